package numapool_test

import (
	"errors"
	"fmt"
	"log"
	"math"

	"github.com/numapool/numapool/numapool"
)

// For hands each worker blocks [lo, hi) of the index range; the loop over a
// block is ordinary Go code, compiled as a hand-written loop would be.
func ExampleFor() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	xs := make([]float64, 1000)
	for i := range xs {
		xs[i] = float64(i)
	}
	ys := make([]float64, len(xs))
	err = numapool.For(p, len(xs), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ys[i] = xs[i] * xs[i]
		}
	})
	fmt.Println(ys[:5], ys[999], err)
	// Output:
	// [0 1 4 9 16] 998001 <nil>
}

// ForIndex calls its body once per index: simpler than For when the body
// is big enough that one indirect call per index does not matter.
func ExampleForIndex() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	cubes := make([]int, 8)
	err = numapool.ForIndex(p, len(cubes), func(i int) { cubes[i] = i * i * i })
	fmt.Println(cubes, err)
	// Output:
	// [0 1 8 27 64 125 216 343] <nil>
}

// A ForFunc body may fail: the first error ends the loop with a
// *TaskError that names the block and wraps the body's error.
func ExampleForFunc() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	xs := make([]float64, 1000)
	xs[345] = math.NaN()
	errNaN := errors.New("not a number")
	err = numapool.ForFunc(p, len(xs), func(w *numapool.Worker, lo, hi int) error {
		for i := lo; i < hi; i++ {
			if math.IsNaN(xs[i]) {
				return fmt.Errorf("xs[%d]: %w", i, errNaN)
			}
			xs[i] = math.Sqrt(float64(i))
		}
		return nil
	}, numapool.ChunkSize(100))

	var te *numapool.TaskError
	if errors.As(err, &te) {
		fmt.Printf("block %s (first index %d): %v\n", te.Arg, te.Index, te.Err)
	}
	fmt.Println(errors.Is(err, errNaN))
	// Output:
	// block [300, 400) (first index 300): xs[345]: not a number
	// true
}

// Reduce sums the partial results of the blocks in block order, on the
// calling goroutine: the same pool and options give the same bits on every
// run, even for floating-point sums.
func ExampleReduce() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	harmonic := func(lo, hi int) float64 {
		s := 0.0
		for i := lo; i < hi; i++ {
			s += 1 / float64(i+1)
		}
		return s
	}
	add := func(a, b float64) float64 { return a + b }

	h, err := numapool.Reduce(p, 1_000_000, harmonic, add)
	if err != nil {
		log.Fatal(err)
	}
	again, err := numapool.Reduce(p, 1_000_000, harmonic, add)
	if err != nil {
		log.Fatal(err)
	}
	none, err := numapool.Reduce(p, 0, harmonic, add)
	fmt.Printf("%.6f %v\n", h, h == again)
	fmt.Println(none, err)
	// Output:
	// 14.392727 true
	// 0 <nil>
}

// span is a partial result of ExampleReduceFunc: the smallest and largest
// value of a block, with their indices.
type span struct {
	min, max       float64
	argMin, argMax int
}

// ReduceFunc's partials may be any type; combine needs to be associative,
// not commutative, since partials meet in block order.
func ExampleReduceFunc() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	xs := make([]float64, 10_000)
	for i := range xs {
		xs[i] = math.Sin(float64(i))
	}
	extremes := func(_ *numapool.Worker, lo, hi int) (span, error) {
		s := span{math.Inf(1), math.Inf(-1), -1, -1}
		for i := lo; i < hi; i++ {
			if math.IsNaN(xs[i]) {
				return s, fmt.Errorf("xs[%d] is NaN", i)
			}
			if xs[i] < s.min {
				s.min, s.argMin = xs[i], i
			}
			if xs[i] > s.max {
				s.max, s.argMax = xs[i], i
			}
		}
		return s, nil
	}
	widen := func(a, b span) span {
		if b.min < a.min {
			a.min, a.argMin = b.min, b.argMin
		}
		if b.max > a.max {
			a.max, a.argMax = b.max, b.argMax
		}
		return a
	}

	s, err := numapool.ReduceFunc(p, len(xs), extremes, widen)
	fmt.Printf("min %.6f at %d, max %.6f at %d, %v\n", s.min, s.argMin, s.max, s.argMax, err)

	xs[7777] = math.NaN()
	_, err = numapool.ReduceFunc(p, len(xs), extremes, widen, numapool.ChunkSize(1000))
	var te *numapool.TaskError
	if errors.As(err, &te) {
		fmt.Println(te.Arg, te.Err)
	}
	// Output:
	// min -0.999993 at 9574, max 0.999994 at 9929, <nil>
	// [7000, 8000) xs[7777] is NaN
}

// Plan says how a call will be cut before it runs: the chunk size, the
// number of chunks and the bound on tasks in flight.
func ExamplePool_Plan() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	// A slice of 1000: shrinking chunks, in rounds of one per worker, each
	// a quarter of the tasks left split over the 2 workers, down to 8
	// (1000 / (64 x 2)): 125, 125, 94, 94, 71, 71, 53, 53, 40, 40, 30, 30,
	// 22, 22, 17, 17, 12, 12, 9, 9, then six chunks of 8 and one of 6.
	pl, err := p.Plan(1000)
	fmt.Printf("%+v %v\n", pl, err)
	// An explicit chunk size gives equal chunks.
	pl, err = p.Plan(1000, numapool.ChunkSize(100))
	fmt.Printf("%+v %v\n", pl, err)
	// A bound on tasks in flight below the chunk size shrinks the chunk.
	pl, err = p.Plan(1000, numapool.ChunkSize(100), numapool.MaxTasksActive(50))
	fmt.Printf("%+v %v\n", pl, err)
	pl, err = p.Plan(-1, numapool.IterableLen(2000)) // an iter.Seq of 2000
	fmt.Printf("%+v %v\n", pl, err)
	_, err = p.Plan(-1) // an iter.Seq of unknown length
	fmt.Println(err != nil)
	// Output:
	// {Tasks:1000 ChunkSize:125 MinChunkSize:8 Chunks:27 MaxActive:500} <nil>
	// {Tasks:1000 ChunkSize:100 MinChunkSize:0 Chunks:10 MaxActive:400} <nil>
	// {Tasks:1000 ChunkSize:50 MinChunkSize:0 Chunks:20 MaxActive:50} <nil>
	// {Tasks:2000 ChunkSize:250 MinChunkSize:0 Chunks:8 MaxActive:1000} <nil>
	// true
}

// Celsius and Fahrenheit are named slice types: the map functions take
// them as they are, with no conversion to []float64.
type (
	Celsius    []float64
	Fahrenheit []float64
)

// Inputs may be named slice or sequence types; MapInto also writes into a
// named slice type.
func ExampleSource() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	c := Celsius{-40, 0, 37, 100}
	f := make(Fahrenheit, len(c))
	toF := func(x float64) float64 { return x*9/5 + 32 }
	if err := numapool.MapInto(p, f, c, toF); err != nil {
		log.Fatal(err)
	}
	again, err := numapool.Map(p, c, toF) // results are a plain []float64
	fmt.Println(f, again, err)
	// Output:
	// [-40 32 98.6 212] [-40 32 98.6 212] <nil>
}
