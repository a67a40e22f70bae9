package mpi

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/numapool/numapool/mpi/codec"
	"github.com/numapool/numapool/mpi/internal/plan"
	"github.com/numapool/numapool/numapool"
)

func sum(lo, hi int) int {
	s := 0
	for i := lo; i < hi; i++ {
		s += i
	}
	return s
}

func add(a, b int) int { return a + b }

func TestReduceSum(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	for _, n := range []int{0, 1, 7, 100000} {
		got, err := Reduce(c, p, n, sum, add)
		if err != nil {
			t.Fatal(err)
		}
		if want := n * (n - 1) / 2; got != want {
			t.Fatalf("n=%d: rank %d got %d, want %d", n, c.Rank(), got, want)
		}
	}
}

// floatSum adds 1/(i+1) over [lo, hi), in order.
func floatSum(lo, hi int) float64 {
	s := 0.0
	for i := lo; i < hi; i++ {
		s += 1 / float64(i+1)
	}
	return s
}

func fadd(a, b float64) float64 { return a + b }

// groupedSum is what Reduce must compute: blocks of each chunk combined in
// order, then chunks in order, with the chunks the plan cuts.
func groupedSum(t *testing.T, n, ranks int) float64 {
	pl, err := plan.New(n, 0, ranks)
	if err != nil {
		t.Fatal(err)
	}
	total, first := 0.0, true
	for lo, hi, ok := pl.Local(); ok; lo, hi, ok = pl.Local() {
		size := max(1, (hi-lo+63)/64)
		part, firstBlock := 0.0, true
		for b := lo; b < hi; b += size {
			v := floatSum(b, min(hi, b+size))
			if firstBlock {
				part, firstBlock = v, false
			} else {
				part += v
			}
		}
		if first {
			total, first = part, false
		} else {
			total += part
		}
	}
	return total
}

func TestReduceIsDeterministic(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	const n = 200003
	want := groupedSum(t, n, c.Size())
	for run := range 3 {
		got, err := Reduce(c, p, n, floatSum, fadd)
		if err != nil {
			t.Fatal(err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("run %d, rank %d: %v (%#x), want %v (%#x), the sum in chunk and block order", run, c.Rank(), got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
}

func TestReduceStructResult(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	type minMax struct{ Min, Max, N int }
	got, err := ReduceFunc(c, p, 1000, func(_ *numapool.Worker, lo, hi int) (minMax, error) {
		return minMax{Min: (lo * 7) % 1000, Max: ((hi - 1) * 7) % 1000, N: hi - lo}, nil
	}, func(a, b minMax) minMax {
		return minMax{Min: min(a.Min, b.Min), Max: max(a.Max, b.Max), N: a.N + b.N}
	}, LocalChunkSize(1))
	if err != nil {
		t.Fatal(err)
	}
	if got != (minMax{Min: 0, Max: 999, N: 1000}) {
		t.Fatalf("rank %d: %+v, want {0 999 1000}", c.Rank(), got)
	}
}

func TestReduceGobResult(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	got, err := Reduce(c, p, 30, func(lo, hi int) []int {
		var s []int
		for i := lo; i < hi; i++ {
			s = append(s, i)
		}
		return s
	}, func(a, b []int) []int { return append(a, b...) }, ResultCodec(codec.Gob[[]int]()), ChunkSize(4), LocalChunkSize(3))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 30 {
		t.Fatalf("rank %d: %v, want 0..29 in order", c.Rank(), got)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("rank %d: %v, want 0..29 in order", c.Rank(), got)
		}
	}
}

func TestReduceFailure(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	_, err := ReduceFunc(c, p, 1000, func(_ *numapool.Worker, lo, hi int) (int, error) {
		if lo <= 640 && 640 < hi {
			return 0, errBoom
		}
		return hi - lo, nil
	}, add, ChunkSize(100), LocalChunkSize(10))
	checkTaskError(t, c, err, 640, "[640, 650)", "boom", errBoom)

	_, err = Reduce(c, p, 100, sum, func(a, b int) int { panic("combine") }, ChunkSize(10))
	if err == nil || !strings.Contains(err.Error(), "combine panicked: combine") {
		t.Fatalf("rank %d: %v, want the combine panic on every rank", c.Rank(), err)
	}
	var re *RankError
	if !errors.As(err, &re) {
		t.Fatalf("rank %d: %T, want a *RankError", c.Rank(), err)
	}

	// One block per chunk: combine runs only on rank 0, over the chunks'
	// partials, after every rank has finished its chunks.
	_, err = Reduce(c, p, 100, sum, func(a, b int) int { panic("late") }, ChunkSize(10), LocalChunkSize(10))
	if re, ok := errors.AsType[*RankError](err); !ok || re.Rank != 0 || !strings.Contains(err.Error(), "combine panicked: late") {
		t.Fatalf("rank %d: %v, want rank 0's combine panic on every rank", c.Rank(), err)
	}

	_, err = Reduce(c, p, -1, sum, add)
	if err == nil || !strings.Contains(err.Error(), "cannot be negative") {
		t.Fatalf("Reduce over -1 tasks: %v", err)
	}
}
