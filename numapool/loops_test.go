package numapool

import (
	"errors"
	"iter"
	"math"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every index runs exactly once, in blocks that respect the chunk size.
func TestForCoversEveryIndexOnce(t *testing.T) {
	p := newPool(t, Workers(3))
	for _, n := range []int{0, 1, 7, 100, 1001} {
		for _, opts := range [][]CallOption{nil, {ChunkSize(1)}, {ChunkSize(16)}, {ChunkSize(5), MaxTasksActive(5)}} {
			hits := make([]atomic.Int32, n)
			var blocks atomic.Int32
			size := 0
			if len(opts) > 0 {
				pl, err := p.Plan(n, opts...)
				require.NoError(t, err)
				size = pl.ChunkSize
			}
			err := For(p, n, func(lo, hi int) {
				blocks.Add(1)
				if size > 0 {
					assert.LessOrEqual(t, hi-lo, size)
					assert.Zero(t, lo%size, "blocks start on chunk boundaries")
				}
				for i := lo; i < hi; i++ {
					hits[i].Add(1)
				}
			}, opts...)
			require.NoError(t, err)
			for i := range hits {
				require.Equal(t, int32(1), hits[i].Load(), "n=%d index %d", n, i)
			}
			pl, err := p.Plan(n, opts...)
			require.NoError(t, err)
			if n > 0 {
				assert.Equal(t, int32(pl.Chunks), blocks.Load())
			}
		}
	}
}

func TestForIndexAndForFunc(t *testing.T) {
	p := newPool(t, Workers(2))
	out := make([]int, 1000)
	require.NoError(t, ForIndex(p, len(out), func(i int) { out[i] = i * i }))
	assert.Equal(t, squares(1000), out)

	workers := make([]int, 1000)
	require.NoError(t, ForFunc(p, len(workers), func(w *Worker, lo, hi int) error {
		for i := lo; i < hi; i++ {
			workers[i] = w.ID() + 1
		}
		return nil
	}, ChunkSize(10)))
	for _, id := range workers {
		assert.Contains(t, []int{1, 2}, id)
	}
}

func TestForErrorsNameTheBlock(t *testing.T) {
	p := newPool(t, Workers(2))
	boom := errors.New("boom")
	err := ForFunc(p, 100, func(_ *Worker, lo, hi int) error {
		if lo <= 42 && 42 < hi {
			return boom
		}
		return nil
	}, ChunkSize(10))
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, 40, te.Index)
	assert.Equal(t, "[40, 50)", te.Arg)

	err = For(p, 100, func(lo, hi int) {
		if lo == 90 {
			panic("block 90")
		}
	}, ChunkSize(10))
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "block 90", pe.Value)
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "[90, 100)", te.Arg)

	assert.ErrorContains(t, For(p, -1, func(lo, hi int) {}), "cannot be negative")
	assert.ErrorContains(t, For(p, 10, func(lo, hi int) {}, IterableLen(5)), "IterableLen(5) is for iter.Seq inputs")
	assert.ErrorContains(t, For(p, 10, func(lo, hi int) {}, ChunkSize(0)), "ChunkSize(0)")
	// The pool still works.
	require.NoError(t, For(p, 10, func(lo, hi int) {}))
}

func floatInput(n int) []float64 {
	xs := make([]float64, n)
	x := uint64(88172645463325252)
	for i := range xs {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		xs[i] = float64(x%1_000_000) / 7.0
	}
	return xs
}

// A float sum gives the same bits on every run: partials combine in block
// order, whichever worker ran which block.
func TestReduceIsDeterministic(t *testing.T) {
	p := newPool(t, Workers(3))
	xs := floatInput(100_000)
	sum := func(lo, hi int) float64 {
		s := 0.0
		for _, x := range xs[lo:hi] {
			s += x
		}
		return s
	}
	add := func(a, b float64) float64 { return a + b }
	pl, err := p.Plan(len(xs), ChunkSize(1000))
	require.NoError(t, err)
	want := 0.0
	for c := range pl.Chunks {
		want += sum(c*1000, min((c+1)*1000, len(xs)))
	}
	for range 20 {
		got, err := Reduce(p, len(xs), sum, add, ChunkSize(1000))
		require.NoError(t, err)
		require.Equal(t, math.Float64bits(want), math.Float64bits(got))
	}
	zero, err := Reduce(p, 0, sum, add)
	require.NoError(t, err)
	assert.Zero(t, zero)

	// A non-commutative combine: concatenation keeps block order.
	order, err := Reduce(p, 50, func(lo, hi int) []int { return []int{lo} }, func(a, b []int) []int { return append(a, b...) }, ChunkSize(5))
	require.NoError(t, err)
	assert.Equal(t, []int{0, 5, 10, 15, 20, 25, 30, 35, 40, 45}, order)

	boom := errors.New("boom")
	_, err = ReduceFunc(p, 50, func(_ *Worker, lo, hi int) (int, error) {
		if lo == 20 {
			return 0, boom
		}
		return hi - lo, nil
	}, func(a, b int) int { return a + b }, ChunkSize(5))
	assert.ErrorIs(t, err, boom)
}

type (
	vec     []int
	results []int
	ints    iter.Seq[int]
)

// Named slice and sequence types are accepted wherever a slice or a
// sequence is.
func TestNamedSliceAndSeqTypes(t *testing.T) {
	p := newPool(t, Workers(2))
	v := vec(slices.Collect(countTo(100)))
	r, err := Map(p, v, square)
	require.NoError(t, err)
	assert.Equal(t, squares(100), r)
	var gen ints = ints(countTo(100))
	r, err = Map(p, gen, square, IterableLen(100))
	require.NoError(t, err)
	assert.Equal(t, squares(100), r)
	assert.Equal(t, squares(100), collect(t, IMap(p, v, square)))
	assert.Equal(t, squares(100), collect(t, IMap(p, gen, square, ChunkSize(3))))
	dst := make(results, 100)
	require.NoError(t, MapInto(p, dst, v, square))
	assert.Equal(t, results(squares(100)), dst)
	var sum atomic.Int64
	require.NoError(t, ForEach(p, gen, func(x int) { sum.Add(int64(x)) }, ChunkSize(10)))
	assert.Equal(t, int64(4950), sum.Load())
}
