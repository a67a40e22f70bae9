package mpi_test

import (
	"fmt"
	"log"

	"github.com/numapool/numapool/mpi"
	"github.com/numapool/numapool/mpi/codec"
	"github.com/numapool/numapool/numapool"
)

// These examples are programs for mpirun (mpirun -np 4 ./prog): they need
// MPI started once per process, so they are compiled here, not run; the
// tests run the same calls under mpirun.

// A distributed map: rank 0 holds the input and gets the results in input
// order; every rank runs chunks on its own pool.
func ExampleMap() {
	c, err := mpi.Init()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Finalize()
	p, err := numapool.New() // one worker per CPU this rank is bound to
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	var in []float64
	if c.Rank() == 0 {
		in = []float64{1, 2, 3, 4}
	}
	out, err := mpi.Map(c, p, in, func(x float64) float64 { return x * x })
	if err != nil {
		log.Fatal(err)
	}
	if c.Rank() == 0 {
		fmt.Println(out) // [1 4 9 16]
	}
}

// Strings hold pointers, so they travel through a codec.
func ExampleMapFunc_codec() {
	c, err := mpi.Init()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Finalize()
	p, err := numapool.New()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	var words []string
	if c.Rank() == 0 {
		words = []string{"one", "pinned", "pool", "per", "rank"}
	}
	where, err := mpi.MapFunc(c, p, words, func(w *numapool.Worker, s string) (string, error) {
		return fmt.Sprintf("%s: rank %d, worker %d", s, c.Rank(), w.ID()), nil
	}, mpi.ArgCodec(codec.Gob[string]()), mpi.ResultCodec(codec.Gob[string]()))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range where {
		fmt.Println(s)
	}
}

// Results as they come back, from whichever rank ran them.
func ExampleMapStream() {
	c, err := mpi.Init()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Finalize()
	p, err := numapool.New()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	var in []int
	if c.Rank() == 0 {
		in = make([]int, 1000)
		for i := range in {
			in[i] = i
		}
	}
	for it, err := range mpi.MapStream(c, p, in, func(_ *numapool.Worker, x int) (int, error) { return x * x, nil }) {
		if err != nil {
			log.Fatal(err)
		}
		if it.Value > 250000 {
			fmt.Println("first square over 250000:", it.Index, it.Value)
			break // ends the call on every rank
		}
	}
}

// A reduction whose result is the same bits on every run, on every rank.
func ExampleReduce() {
	c, err := mpi.Init()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Finalize()
	p, err := numapool.New()
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	sum, err := mpi.Reduce(c, p, 1_000_000, func(lo, hi int) float64 {
		s := 0.0
		for i := lo; i < hi; i++ {
			s += 1 / float64(i+1)
		}
		return s
	}, func(a, b float64) float64 { return a + b })
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("rank %d: H(10^6) = %.6f\n", c.Rank(), sum) // 14.392727 on every rank
}
