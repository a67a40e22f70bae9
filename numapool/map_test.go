package numapool

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newPool(t *testing.T, opts ...Option) *Pool {
	t.Helper()
	p, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

func square(x int) int { return x * x }

func countTo(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

func squares(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i * i
	}
	return out
}

// collect drains a lazy call, failing the test on an error.
func collect[R any](t *testing.T, seq iter.Seq2[R, error]) []R {
	t.Helper()
	var out []R
	for r, err := range seq {
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

// The four map functions over slices and generators, ordered results equal
// to the input order, unordered ones a permutation (MPIRE's squares example).
func TestMapFamilySquares(t *testing.T) {
	p := newPool(t, Workers(4))
	in := slices.Collect(countTo(100))
	want := squares(100)
	type call struct {
		name    string
		run     func() []int
		ordered bool
	}
	calls := []call{
		{"Map/slice", func() []int { r, err := Map(p, in, square); require.NoError(t, err); return r }, true},
		{"Map/seq+len", func() []int {
			r, err := Map(p, countTo(100), square, IterableLen(100))
			require.NoError(t, err)
			return r
		}, true},
		{"Map/seq+chunk", func() []int { r, err := Map(p, countTo(100), square, ChunkSize(4)); require.NoError(t, err); return r }, true},
		{"MapUnordered/slice", func() []int { r, err := MapUnordered(p, in, square); require.NoError(t, err); return r }, false},
		{"MapUnordered/seq", func() []int {
			r, err := MapUnordered(p, countTo(100), square, ChunkSize(3))
			require.NoError(t, err)
			return r
		}, false},
		{"IMap/slice", func() []int { return collect(t, IMap(p, in, square)) }, true},
		{"IMap/seq", func() []int { return collect(t, IMap(p, countTo(100), square, IterableLen(100))) }, true},
		{"IMap/seq chunk 1", func() []int { return collect(t, IMap(p, countTo(100), square, ChunkSize(1))) }, true},
		{"IMapUnordered/slice", func() []int { return collect(t, IMapUnordered(p, in, square)) }, false},
		{"IMapUnordered/seq", func() []int { return collect(t, IMapUnordered(p, countTo(100), square, ChunkSize(7))) }, false},
		{"MapFunc/slice", func() []int {
			r, err := MapFunc(p, in, func(_ *Worker, x int) (int, error) { return x * x, nil })
			require.NoError(t, err)
			return r
		}, true},
		{"IMapUnorderedFunc/seq", func() []int {
			return collect(t, IMapUnorderedFunc(p, countTo(100), func(_ *Worker, x int) (int, error) { return x * x, nil }, IterableLen(100)))
		}, false},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			got := c.run()
			if c.ordered {
				assert.Equal(t, want, got)
				return
			}
			require.Len(t, got, len(want))
			sort.Ints(got)
			assert.Equal(t, want, got)
		})
	}
}

// MPIRE's multiply example: several arguments travel as one struct.
func TestMapProductsOfPairs(t *testing.T) {
	p := newPool(t, Workers(3))
	type pair struct{ x, y int }
	var in []pair
	for x := range 100 {
		in = append(in, pair{x, x + 100})
	}
	got := collect(t, IMap(p, in, func(a pair) int { return a.x * a.y }))
	require.Len(t, got, 100)
	assert.Equal(t, []int{0, 101, 204, 309, 416}, got[:5])
	for i, r := range got {
		assert.Equal(t, i*(i+100), r)
	}
}

func TestMapEmptyInput(t *testing.T) {
	p := newPool(t, Workers(2))
	r, err := Map(p, []int{}, square)
	require.NoError(t, err)
	assert.Empty(t, r)
	assert.NotNil(t, r)
	r, err = MapUnordered(p, countTo(0), square, IterableLen(0))
	require.NoError(t, err)
	assert.Empty(t, r)
	assert.Empty(t, collect(t, IMap(p, []int(nil), square)))
	assert.Empty(t, collect(t, IMapUnordered(p, countTo(0), square, ChunkSize(5))))
}

// A single worker makes the unordered calls ordered (MPIRE says so).
func TestUnorderedWithOneWorkerIsOrdered(t *testing.T) {
	p := newPool(t, Workers(1))
	got := collect(t, IMapUnordered(p, countTo(50), square, ChunkSize(3)))
	assert.Equal(t, squares(50), got)
}

func TestIterableLenTruncates(t *testing.T) {
	p := newPool(t, Workers(2))
	r, err := Map(p, countTo(100), square, IterableLen(10))
	require.NoError(t, err)
	assert.Equal(t, squares(10), r)
	r, err = Map(p, slices.Collect(countTo(100)), square, IterableLen(7))
	require.NoError(t, err)
	assert.Equal(t, squares(7), r)
	// A length beyond the input just ends with the input.
	r, err = Map(p, countTo(5), square, IterableLen(100))
	require.NoError(t, err)
	assert.Equal(t, squares(5), r)
	assert.Equal(t, squares(3), collect(t, IMap(p, countTo(100), square, IterableLen(3))))
}

func TestCallOptionErrors(t *testing.T) {
	p := newPool(t, Workers(2))
	_, err := Map(p, countTo(10), square)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "IterableLen")
	assert.Contains(t, err.Error(), "ChunkSize")

	for _, c := range []struct {
		opt  CallOption
		want string
	}{
		{ChunkSize(0), "ChunkSize(0)"},
		{ChunkSize(-3), "ChunkSize(-3)"},
		{IterableLen(-1), "negative"},
		{MaxTasksActive(0), "MaxTasksActive(0)"},
		{WorkerLifespan(-1), "negative"},
		{nilContext(), "context.Background"},
	} {
		_, err := Map(p, []int{1, 2, 3}, square, c.opt)
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
		var n int
		for _, err := range IMap(p, []int{1}, square, c.opt) {
			n++
			assert.ErrorContains(t, err, c.want)
		}
		assert.Equal(t, 1, n)
	}
	// A MaxTasksActive below ChunkSize shrinks the chunk to it, whether
	// the chunk size was given or not (MPIRE accepts both).
	r, err := Map(p, slices.Collect(countTo(20)), square, ChunkSize(10), MaxTasksActive(5))
	require.NoError(t, err)
	assert.Equal(t, squares(20), r)
	pl, err := p.Plan(20, ChunkSize(10), MaxTasksActive(5))
	require.NoError(t, err)
	assert.Equal(t, Plan{Tasks: 20, ChunkSize: 5, Chunks: 4, MaxActive: 5}, pl)
}

// nilContext is Context(nil), out of staticcheck's sight: passing nil is
// the point of the test.
func nilContext() CallOption {
	var ctx context.Context
	return Context(ctx)
}

func TestNewOptionErrors(t *testing.T) {
	cpu := usable(t).Slice()[0] // not always 0: a cgroup may leave CPU 0 out
	for _, c := range []struct {
		opts []Option
		want string
	}{
		{[]Option{Workers(0)}, "at least 1"},
		{[]Option{Workers(-2)}, "Workers(-2)"},
		{[]Option{CPUIDs()}, "at least one CPU"},
		{[]Option{CPUIDs(-1)}, "negative"},
		{[]Option{CPUIDs(1 << 40)}, "usable CPUs are"},
		{[]Option{CPUIDs(1_000_000_000)}, "1000000000"},
		{[]Option{CPUSets()}, "at least one CPU set"},
		{[]Option{Workers(3), CPUIDs(cpu, cpu)}, "2 CPU entries for 3 workers"},
		{[]Option{CPUIDs(cpu), Unpinned()}, "cannot be combined"},
	} {
		p, err := New(c.opts...)
		assert.Nil(t, p)
		assert.ErrorContains(t, err, c.want)
	}
}

// Every call reads each input exactly once and writes each output once,
// whatever the chunking.
func TestChunkingCoversEveryTask(t *testing.T) {
	p := newPool(t, Workers(3))
	for _, n := range []int{1, 2, 3, 7, 12, 13, 100, 1001} {
		for _, cs := range []int{0, 1, 2, 5, 64} {
			opts := []CallOption{}
			if cs > 0 {
				opts = append(opts, ChunkSize(cs))
			}
			r, err := Map(p, slices.Collect(countTo(n)), square, opts...)
			require.NoError(t, err)
			assert.Equal(t, squares(n), r, "n=%d chunk=%d", n, cs)
			opts = append(opts, IterableLen(n))
			assert.Equal(t, squares(n), collect(t, IMap(p, countTo(n), square, opts...)), "n=%d chunk=%d", n, cs)
		}
	}
}

func TestMapInto(t *testing.T) {
	p := newPool(t, Workers(2))
	dst := make([]int, 120)
	for i := range dst {
		dst[i] = -1
	}
	require.NoError(t, MapInto(p, dst, slices.Collect(countTo(100)), square, ChunkSize(7)))
	assert.Equal(t, squares(100), dst[:100])
	assert.Equal(t, -1, dst[100], "MapInto writes only len(src) results")

	err := MapInto(p, make([]int, 3), []int{1, 2, 3, 4}, square)
	assert.ErrorContains(t, err, "dst holds 3 results but src has 4 tasks")
	require.NoError(t, MapInto(p, make([]int, 3), []int{1, 2, 3, 4}, square, IterableLen(3)))
}

// Allocations of a call do not grow with the number of tasks: a constant,
// plus at most one per chunk buffer for streaming calls.
func TestAllocationsDoNotGrowWithTasks(t *testing.T) {
	p := newPool(t, Workers(2))
	dst := make([]int, 100_000)
	measure := func(n int, call func(in []int)) float64 {
		in := slices.Collect(countTo(n))
		return testing.AllocsPerRun(20, func() { call(in) })
	}
	type kind struct {
		name string
		call func(in []int)
	}
	for _, k := range []kind{
		{"Map", func(in []int) { _, err := Map(p, in, square, ChunkSize(16)); require.NoError(t, err) }},
		{"MapInto", func(in []int) { require.NoError(t, MapInto(p, dst, in, square, ChunkSize(16))) }},
		{"IMap", func(in []int) {
			for _, err := range IMap(p, in, square, ChunkSize(16)) {
				require.NoError(t, err)
			}
		}},
		{"IMapUnordered/seq", func(in []int) {
			for _, err := range IMapUnordered(p, slices.Values(in), square, ChunkSize(16)) {
				require.NoError(t, err)
			}
		}},
	} {
		small, large := measure(1_000, k.call), measure(100_000, k.call)
		// Map allocates its result: one allocation either way.
		assert.InDelta(t, small, large, 2, "%s: %v allocations for 1,000 tasks, %v for 100,000", k.name, small, large)
	}
}

func TestForEach(t *testing.T) {
	p := newPool(t, Workers(3))
	out := make([]int, 200)
	require.NoError(t, ForEach(p, slices.Collect(countTo(200)), func(i int) { out[i] = i * i }, ChunkSize(7)))
	assert.Equal(t, squares(200), out)

	clear(out)
	require.NoError(t, ForEach(p, countTo(200), func(i int) { out[i] = i * i }, IterableLen(200)))
	assert.Equal(t, squares(200), out)

	perWorker := make([]int64, p.Workers())
	err := ForEachFunc(p, slices.Collect(countTo(100)), func(w *Worker, x int) error {
		perWorker[w.ID()] += int64(x) // each worker owns its slot
		if x == 77 {
			return fmt.Errorf("no 77")
		}
		return nil
	}, ChunkSize(1))
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 77, te.Index)
	require.NoError(t, ForEachFunc(p, []int{}, func(*Worker, int) error { return errors.New("never") }))
}

// Breaking out of an IMap loop after a task failed must not call the loop
// body again with the error (a range-over-func panic).
func TestIMapBreakAfterFailureDoesNotCallTheLoopAgain(t *testing.T) {
	p := newPool(t, Workers(2))
	boom := errors.New("boom")
	for range 20 {
		n := 0
		for r, err := range IMapFunc(p, slices.Collect(countTo(1000)), func(_ *Worker, x int) (int, error) {
			if x == 0 {
				time.Sleep(200 * time.Microsecond)
				return 0, nil
			}
			return 0, boom
		}, ChunkSize(1)) {
			n++
			if err == nil {
				assert.Equal(t, 0, r)
			}
			break
		}
		assert.Equal(t, 1, n)
	}
}

// A huge MaxTasksActive does not size huge buffers.
func TestHugeMaxTasksActive(t *testing.T) {
	p := newPool(t, Workers(2))
	r, err := Map(p, countTo(3), square, ChunkSize(1), MaxTasksActive(1<<62))
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 4}, r)
	assert.Equal(t, squares(50), collect(t, IMap(p, slices.Collect(countTo(50)), square, ChunkSize(2), MaxTasksActive(1<<62))))
	assert.Equal(t, squares(5000), collect(t, IMap(p, countTo(5000), square, ChunkSize(1), MaxTasksActive(1<<40))))
}
