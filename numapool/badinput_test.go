package numapool

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numapool/numapool/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vbauerster/mpb/v8"
)

// The bad-input tests walk every option and argument of numapool's public
// functions with invalid values. What is promised (docs/reliability.md):
//
//   - an invalid value (negative, zero where at least 1 is needed, options
//     that contradict each other, an input that cannot be chunked) is an
//     error whose text names the option or argument, the value, and the fix;
//     the call runs no task and leaves the pool usable;
//   - an absurdly large value either works or is such an error: never an
//     out-of-memory crash, an overflow or a makeslice panic;
//   - a nil function, a nil *Pool and a nil Option are programmer errors,
//     like a nil func anywhere in Go: a nil task function panics on the
//     worker, which the call returns as a *TaskError like any task panic; a
//     nil combine, a nil *Pool or a nil option panics on the caller's
//     goroutine.

// entry is one public call, run over the tasks 0..n-1 with square as the
// task, returning what it computed as squares in input order.
type entry struct {
	name   string
	source bool // takes a slice or an iter.Seq; false: a count n
	lazy   bool
	// run runs the call; seq picks an iter.Seq input where the call takes
	// one; ran counts the tasks (or loop bodies) that ran; pairs is the
	// number of pairs a lazy call yielded.
	run func(p *Pool, n int, seq bool, ran *atomic.Int64, opts ...CallOption) (got []int, err error, pairs int)
}

// entries lists every call of the pool.
func entries() []entry {
	sq := func(ran *atomic.Int64) func(int) int {
		return func(x int) int { ran.Add(1); return x * x }
	}
	sqw := func(ran *atomic.Int64) func(*Worker, int) (int, error) {
		return func(_ *Worker, x int) (int, error) { ran.Add(1); return x * x, nil }
	}
	eager := func(name string, call func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) ([]int, error)) entry {
		//lint:ignore ST1008 the run functions return (results, error, pairs), in the order the table reads
		return entry{name: name, source: true, run: func(p *Pool, n int, seq bool, ran *atomic.Int64, opts ...CallOption) ([]int, error, int) {
			got, err := call(p, slices.Collect(countTo(n)), countTo(n), seq, ran, opts)
			return got, err, 0
		}}
	}
	lazy := func(name string, call func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) iter.Seq2[int, error], ordered bool) entry {
		//lint:ignore ST1008 the run functions return (results, error, pairs), in the order the table reads
		return entry{name: name, source: true, lazy: true, run: func(p *Pool, n int, seq bool, ran *atomic.Int64, opts ...CallOption) (got []int, err error, pairs int) {
			for r, e := range call(p, slices.Collect(countTo(n)), countTo(n), seq, ran, opts) {
				pairs++
				if e != nil {
					err = e
					continue
				}
				got = append(got, r)
			}
			if !ordered {
				slices.Sort(got)
			}
			return got, err, pairs
		}}
	}
	loop := func(name string, call func(p *Pool, n int, out []int, ran *atomic.Int64, opts []CallOption) error) entry {
		//lint:ignore ST1008 the run functions return (results, error, pairs), in the order the table reads
		return entry{name: name, run: func(p *Pool, n int, _ bool, ran *atomic.Int64, opts ...CallOption) ([]int, error, int) {
			out := make([]int, max(n, 0))
			err := call(p, n, out, ran, opts)
			return out, err, 0
		}}
	}
	return []entry{
		eager("Map", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) ([]int, error) {
			if seq {
				return Map(p, src, sq(ran), opts...)
			}
			return Map(p, in, sq(ran), opts...)
		}),
		eager("MapFunc", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) ([]int, error) {
			if seq {
				return MapFunc(p, src, sqw(ran), opts...)
			}
			return MapFunc(p, in, sqw(ran), opts...)
		}),
		eager("MapUnordered", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) (r []int, err error) {
			if seq {
				r, err = MapUnordered(p, src, sq(ran), opts...)
			} else {
				r, err = MapUnordered(p, in, sq(ran), opts...)
			}
			slices.Sort(r)
			return r, err
		}),
		eager("MapUnorderedFunc", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) (r []int, err error) {
			if seq {
				r, err = MapUnorderedFunc(p, src, sqw(ran), opts...)
			} else {
				r, err = MapUnorderedFunc(p, in, sqw(ran), opts...)
			}
			slices.Sort(r)
			return r, err
		}),
		eager("MapInto", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) ([]int, error) {
			if seq {
				in = slices.Collect(src) // MapInto takes slices only
			}
			dst := make([]int, len(in))
			err := MapInto(p, dst, in, sq(ran), opts...)
			return cutToTasks(dst, opts), err
		}),
		eager("ForEach", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) ([]int, error) {
			out := make([]int, len(in))
			f := func(x int) { ran.Add(1); out[x] = x * x }
			var err error
			if seq {
				err = ForEach(p, src, f, opts...)
			} else {
				err = ForEach(p, in, f, opts...)
			}
			return cutToTasks(out, opts), err
		}),
		eager("ForEachFunc", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) ([]int, error) {
			out := make([]int, len(in))
			f := func(_ *Worker, x int) error { ran.Add(1); out[x] = x * x; return nil }
			var err error
			if seq {
				err = ForEachFunc(p, src, f, opts...)
			} else {
				err = ForEachFunc(p, in, f, opts...)
			}
			return cutToTasks(out, opts), err
		}),
		lazy("IMap", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) iter.Seq2[int, error] {
			if seq {
				return IMap(p, src, sq(ran), opts...)
			}
			return IMap(p, in, sq(ran), opts...)
		}, true),
		lazy("IMapFunc", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) iter.Seq2[int, error] {
			if seq {
				return IMapFunc(p, src, sqw(ran), opts...)
			}
			return IMapFunc(p, in, sqw(ran), opts...)
		}, true),
		lazy("IMapUnordered", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) iter.Seq2[int, error] {
			if seq {
				return IMapUnordered(p, src, sq(ran), opts...)
			}
			return IMapUnordered(p, in, sq(ran), opts...)
		}, false),
		lazy("IMapUnorderedFunc", func(p *Pool, in []int, src iter.Seq[int], seq bool, ran *atomic.Int64, opts []CallOption) iter.Seq2[int, error] {
			if seq {
				return IMapUnorderedFunc(p, src, sqw(ran), opts...)
			}
			return IMapUnorderedFunc(p, in, sqw(ran), opts...)
		}, false),
		loop("For", func(p *Pool, n int, out []int, ran *atomic.Int64, opts []CallOption) error {
			return For(p, n, func(lo, hi int) {
				ran.Add(1)
				for i := lo; i < hi; i++ {
					out[i] = i * i
				}
			}, opts...)
		}),
		loop("ForFunc", func(p *Pool, n int, out []int, ran *atomic.Int64, opts []CallOption) error {
			return ForFunc(p, n, func(_ *Worker, lo, hi int) error {
				ran.Add(1)
				for i := lo; i < hi; i++ {
					out[i] = i * i
				}
				return nil
			}, opts...)
		}),
		loop("ForIndex", func(p *Pool, n int, out []int, ran *atomic.Int64, opts []CallOption) error {
			return ForIndex(p, n, func(i int) { ran.Add(1); out[i] = i * i }, opts...)
		}),
		loop("Reduce", func(p *Pool, n int, out []int, ran *atomic.Int64, opts []CallOption) error {
			r, err := Reduce(p, n, func(lo, hi int) []int {
				ran.Add(1)
				return squares(hi)[lo:hi]
			}, func(a, b []int) []int { return append(slices.Clip(a), b...) }, opts...)
			copy(out, r)
			return err
		}),
		loop("ReduceFunc", func(p *Pool, n int, out []int, ran *atomic.Int64, opts []CallOption) error {
			r, err := ReduceFunc(p, n, func(_ *Worker, lo, hi int) ([]int, error) {
				ran.Add(1)
				return squares(hi)[lo:hi], nil
			}, func(a, b []int) []int { return append(slices.Clip(a), b...) }, opts...)
			copy(out, r)
			return err
		}),
	}
}

// cutToTasks cuts out to the tasks a call with opts has (IterableLen).
func cutToTasks(out []int, opts []CallOption) []int {
	pl, err := (&Pool{n: 1}).Plan(len(out), opts...)
	if err == nil && pl.Tasks >= 0 && pl.Tasks < len(out) {
		return out[:pl.Tasks]
	}
	return out
}

// Options and combinations of options that New refuses, with the exact
// error: it names the option, the value and what to do instead.
func TestBadPoolOptions(t *testing.T) {
	cpus := usable(t)
	cpu := cpus.Slice()[0] // not always 0: a cgroup may leave CPU 0 out
	for _, c := range []struct {
		opts []Option
		want string
	}{
		{[]Option{Workers(0)}, "numapool: Workers(0): the number of workers must be at least 1 (leave the option out for one per usable CPU)"},
		{[]Option{Workers(-1)}, "numapool: Workers(-1): the number of workers must be at least 1 (leave the option out for one per usable CPU)"},
		{[]Option{Workers(math.MinInt)}, fmt.Sprintf("numapool: Workers(%d): the number of workers must be at least 1 (leave the option out for one per usable CPU)", math.MinInt)},
		{[]Option{CPUIDs()}, "numapool: CPUIDs needs at least one CPU id"},
		{[]Option{CPUIDs(-1)}, "numapool: CPUIDs: CPU -1 is negative; usable CPUs are " + cpus.String()},
		{[]Option{CPUIDs(math.MinInt)}, fmt.Sprintf("numapool: CPUIDs: CPU %d is negative; usable CPUs are %s", math.MinInt, cpus)},
		{[]Option{CPUIDs(cpu, -1)}, "numapool: CPUIDs: CPU -1 is negative; usable CPUs are " + cpus.String()},
		{[]Option{CPUIDs(1 << 62)}, fmt.Sprintf("numapool: CPUIDs: CPU %d does not exist on this machine; usable CPUs are %s", 1<<62, cpus)},
		{[]Option{CPUIDs(math.MaxInt)}, fmt.Sprintf("numapool: CPUIDs: CPU %d does not exist on this machine; usable CPUs are %s", math.MaxInt, cpus)},
		{[]Option{CPUSets()}, "numapool: CPUSets needs at least one CPU set"},
		{[]Option{CPUSets(topology.CPUSet{})}, "numapool: CPUSets: set 0 is empty; give each worker at least one CPU"},
		{[]Option{CPUSets(topology.NewCPUSet(cpu), topology.CPUSet{})}, "numapool: CPUSets: set 1 is empty; give each worker at least one CPU"},
		{[]Option{CPUSets(topology.NewCPUSet(100_000))}, "numapool: CPU 100000 does not exist on this machine; usable CPUs are " + cpus.String()},
		{[]Option{Workers(3), CPUIDs(cpu, cpu)}, "numapool: 2 CPU entries for 3 workers; give one entry for all workers or exactly one per worker"},
		{[]Option{CPUIDs(cpu), Unpinned()}, "numapool: CPUIDs/CPUSets cannot be combined with Unpinned or Placement; choose one way to place workers"},
		{[]Option{CPUSets(topology.NewCPUSet(cpu)), Placement(topology.Spread)}, "numapool: CPUIDs/CPUSets cannot be combined with Unpinned or Placement; choose one way to place workers"},
		{[]Option{Unpinned(), Placement(topology.Compact)}, "numapool: Unpinned cannot be combined with Placement"},
		{[]Option{InitTimeout(0)}, "numapool: InitTimeout(0s): a timeout must be positive (leave the option out for none)"},
		{[]Option{InitTimeout(-time.Second)}, "numapool: InitTimeout(-1s): a timeout must be positive (leave the option out for none)"},
		{[]Option{ExitTimeout(0)}, "numapool: ExitTimeout(0s): a timeout must be positive (leave the option out for none)"},
		{[]Option{ExitTimeout(math.MinInt64)}, "numapool: ExitTimeout(-2562047h47m16.854775808s): a timeout must be positive (leave the option out for none)"},
		{[]Option{WithState((*WorkerState[int])(nil))}, "numapool: WithState(nil): make the state with numapool.NewWorkerState"},
		{[]Option{WithState(NewWorkerState(func(*Worker) (int, error) { return 0, nil }, nil)), WithState(NewWorkerState(func(*Worker) (int, error) { return 0, nil }, nil))},
			"numapool: WithState given twice: a pool has one worker state; put several values in one struct"},
	} {
		p, err := New(c.opts...)
		assert.Nil(t, p)
		assert.EqualError(t, err, c.want)
	}
	// The NUMA nodes in the message are this machine's.
	for _, node := range []int{-1, 1 << 20} {
		p, err := New(Workers(2), Placement(topology.InNode(node)))
		assert.Nil(t, p)
		require.Error(t, err)
		assert.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("numapool: placing 2 workers: topology: no NUMA node %d; nodes are ", node)), err.Error())
	}
}

// New with a number of workers no machine can run is an error naming the
// thread limit, for every way of placing them.
func TestHugeWorkerCountsAreAnError(t *testing.T) {
	for _, n := range []int{1 << 40, math.MaxInt} {
		for _, opts := range [][]Option{{Unpinned()}, nil, {CPUIDs(0)}, {Placement(topology.Compact)}} {
			p, err := New(append([]Option{Workers(n)}, opts...)...)
			assert.Nil(t, p)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("numapool: %d workers need %d threads, but ", n, n)), err.Error())
			assert.Contains(t, err.Error(), "use fewer workers")
		}
	}
}

// badCallOptions are call options with invalid values and their errors.
func badCallOptions(t *testing.T) []struct {
	name string
	opts []CallOption
	want string
} {
	prog := mpb.New(mpb.WithOutput(io.Discard))
	bar := prog.AddBar(0)
	t.Cleanup(func() {
		bar.Abort(true)
		prog.Wait()
	})
	return []struct {
		name string
		opts []CallOption
		want string
	}{
		{"ChunkSize(0)", []CallOption{ChunkSize(0)}, "numapool: ChunkSize(0): a chunk holds at least 1 task (leave the option out for the default chunks)"},
		{"ChunkSize(-1)", []CallOption{ChunkSize(-1)}, "numapool: ChunkSize(-1): a chunk holds at least 1 task (leave the option out for the default chunks)"},
		{"ChunkSize(MinInt)", []CallOption{ChunkSize(math.MinInt)}, fmt.Sprintf("numapool: ChunkSize(%d): a chunk holds at least 1 task (leave the option out for the default chunks)", math.MinInt)},
		{"IterableLen(-1)", []CallOption{IterableLen(-1)}, "numapool: IterableLen(-1): a length cannot be negative"},
		{"IterableLen(MinInt)", []CallOption{IterableLen(math.MinInt)}, fmt.Sprintf("numapool: IterableLen(%d): a length cannot be negative", math.MinInt)},
		{"MaxTasksActive(0)", []CallOption{MaxTasksActive(0)}, "numapool: MaxTasksActive(0): at least 1 task must be allowed in flight"},
		{"MaxTasksActive(-7)", []CallOption{MaxTasksActive(-7)}, "numapool: MaxTasksActive(-7): at least 1 task must be allowed in flight"},
		{"MaxTasksActive(MinInt)", []CallOption{MaxTasksActive(math.MinInt)}, fmt.Sprintf("numapool: MaxTasksActive(%d): at least 1 task must be allowed in flight", math.MinInt)},
		{"WorkerLifespan(-1)", []CallOption{WorkerLifespan(-1)}, "numapool: WorkerLifespan(-1): a lifespan cannot be negative (0 means unlimited)"},
		{"WorkerLifespan(MinInt)", []CallOption{WorkerLifespan(math.MinInt)}, fmt.Sprintf("numapool: WorkerLifespan(%d): a lifespan cannot be negative (0 means unlimited)", math.MinInt)},
		{"Context(nil)", []CallOption{nilContext()}, "numapool: Context(nil): pass context.Background() for no deadline"},
		{"TaskTimeout(0)", []CallOption{TaskTimeout(0)}, "numapool: TaskTimeout(0s): a timeout must be positive (leave the option out for none)"},
		{"TaskTimeout(-1ns)", []CallOption{TaskTimeout(-1)}, "numapool: TaskTimeout(-1ns): a timeout must be positive (leave the option out for none)"},
		{"TaskTimeout(MinInt64)", []CallOption{TaskTimeout(math.MinInt64)}, "numapool: TaskTimeout(-2562047h47m16.854775808s): a timeout must be positive (leave the option out for none)"},
		{"ProgressWidth(0)", []CallOption{ProgressBar(ProgressWidth(0))}, "numapool: ProgressWidth(0): a bar is at least 1 column wide (leave the option out for the default)"},
		{"ProgressWidth(MinInt)", []CallOption{ProgressBar(ProgressName("x"), ProgressWidth(math.MinInt))}, fmt.Sprintf("numapool: ProgressWidth(%d): a bar is at least 1 column wide (leave the option out for the default)", math.MinInt)},
		{"CustomProgressBar(nil)", []CallOption{CustomProgressBar(nil)}, "numapool: CustomProgressBar(nil): pass a bar made with (*mpb.Progress).AddBar, or use ProgressBar() for the default bar"},
		{"ProgressBar+CustomProgressBar", []CallOption{ProgressBar(), CustomProgressBar(bar)}, "numapool: ProgressBar and CustomProgressBar given together; pass one of them"},
		{"CustomProgressBar+ProgressBar", []CallOption{CustomProgressBar(bar), ProgressBar()}, "numapool: ProgressBar and CustomProgressBar given together; pass one of them"},
		{"a good option before a bad one", []CallOption{ChunkSize(3), MaxTasksActive(0)}, "numapool: MaxTasksActive(0): at least 1 task must be allowed in flight"},
	}
}

// Every call refuses every invalid call option with the option's own
// error, runs no task, and (lazy calls) yields that error as its only pair.
// Pool.Plan refuses them too.
func TestBadCallOptions(t *testing.T) {
	p := newPool(t, Workers(2))
	for _, bad := range badCallOptions(t) {
		for _, e := range entries() {
			for _, seq := range []bool{false, true} {
				if seq && !e.source {
					continue
				}
				var ran atomic.Int64
				_, err, pairs := e.run(p, 10, seq, &ran, bad.opts...)
				assert.EqualError(t, err, bad.want, "%s with %s (seq %v)", e.name, bad.name, seq)
				assert.Zero(t, ran.Load(), "%s with %s ran tasks", e.name, bad.name)
				if e.lazy {
					assert.Equal(t, 1, pairs, "%s with %s: the error is the only pair", e.name, bad.name)
				}
			}
		}
		_, err := p.Plan(10, bad.opts...)
		assert.EqualError(t, err, bad.want, "Plan with %s", bad.name)
	}
	got, err := Map(p, []int{1, 2, 3}, square)
	require.NoError(t, err, "the pool is usable after refused calls")
	assert.Equal(t, []int{1, 4, 9}, got)
}

// Absurdly large option values work on every call: chunks are cut to the
// input, products saturate, nothing is sized from the options alone.
func TestHugeCallOptionsWork(t *testing.T) {
	p := newPool(t, Workers(2))
	for _, opts := range [][]CallOption{
		{ChunkSize(math.MaxInt)},
		{ChunkSize(1 << 62)},
		{MaxTasksActive(math.MaxInt)},
		{WorkerLifespan(math.MaxInt)},
		{TaskTimeout(math.MaxInt64)},
		{ChunkSize(math.MaxInt), MaxTasksActive(math.MaxInt), WorkerLifespan(math.MaxInt), TaskTimeout(math.MaxInt64)},
		{ChunkSize(1), MaxTasksActive(1)},
	} {
		for _, e := range entries() {
			for _, seq := range []bool{false, true} {
				if seq && !e.source {
					continue
				}
				o := opts
				if e.source {
					o = append(slices.Clip(opts), IterableLen(math.MaxInt)) // longer than the input: no cut
				}
				var ran atomic.Int64
				got, err, _ := e.run(p, 10, seq, &ran, o...)
				require.NoError(t, err, "%s with %d options (seq %v)", e.name, len(o), seq)
				assert.Equal(t, squares(10), got, "%s (seq %v)", e.name, seq)
			}
		}
	}
}

// Invalid arguments other than options: negative loop counts, IterableLen
// on a loop, a short MapInto destination, a sequence that cannot be cut.
func TestBadArguments(t *testing.T) {
	p := newPool(t, Workers(2))
	for _, e := range entries() {
		var ran atomic.Int64
		if !e.source {
			for _, n := range []int{-1, math.MinInt} {
				_, err, _ := e.run(p, n, false, &ran)
				assert.EqualError(t, err, fmt.Sprintf("numapool: a loop over %d indices: the count cannot be negative", n), e.name)
			}
			_, err, _ := e.run(p, 10, false, &ran, IterableLen(5))
			assert.EqualError(t, err, "numapool: IterableLen(5) is for iter.Seq inputs; a loop's length is its n argument", e.name)
		} else if e.name != "MapInto" {
			_, err, pairs := e.run(p, 10, true, &ran)
			assert.EqualError(t, err, "numapool: the input is an iter.Seq of unknown length, so it cannot be cut into 4 chunks per worker: pass numapool.IterableLen(n) with its length, or numapool.ChunkSize(k) to choose the chunk size", e.name)
			if e.lazy {
				assert.Equal(t, 1, pairs, e.name)
			}
		}
		assert.Zero(t, ran.Load(), "%s ran tasks", e.name)
	}

	var ran atomic.Int64
	count := func(x int) int { ran.Add(1); return x }
	assert.EqualError(t, MapInto(p, make([]int, 3), []int{1, 2, 3, 4}, count),
		"numapool: MapInto: dst holds 3 results but src has 4 tasks; make dst at least len(src) long")
	assert.EqualError(t, MapInto(p, []int(nil), []int{1}, count),
		"numapool: MapInto: dst holds 0 results but src has 1 tasks; make dst at least len(src) long")
	assert.Zero(t, ran.Load())
	require.NoError(t, MapInto(p, []int(nil), []int(nil), count), "nothing to do")

	// Any negative n asks Plan about an input of unknown length.
	for _, n := range []int{-1, -5, math.MinInt} {
		pl, err := p.Plan(n, ChunkSize(3))
		require.NoError(t, err)
		assert.Equal(t, Plan{Tasks: -1, ChunkSize: 3, Chunks: -1, MaxActive: 12}, pl)
		_, err = p.Plan(n)
		assert.ErrorContains(t, err, "pass numapool.IterableLen(n) with its length, or numapool.ChunkSize(k)")
	}

	// Pool.CPUs documents that an id outside 0..Workers()-1 panics.
	assert.Panics(t, func() { p.CPUs(-1) })
	assert.Panics(t, func() { p.CPUs(p.Workers()) })
}

// Empty and nil inputs are empty calls: no task, an empty result, no error.
func TestEmptyInputs(t *testing.T) {
	p := newPool(t, Workers(2))
	for _, e := range entries() {
		for _, seq := range []bool{false, true} {
			if seq && !e.source {
				continue
			}
			var ran atomic.Int64
			got, err, pairs := e.run(p, 0, seq, &ran, ChunkSize(1))
			require.NoError(t, err, e.name)
			assert.Empty(t, got, e.name)
			assert.Zero(t, ran.Load(), e.name)
			assert.Zero(t, pairs, e.name)
		}
	}
	r, err := Map(p, []int(nil), square)
	require.NoError(t, err)
	assert.Equal(t, []int{}, r, "a nil slice gives an empty, non-nil result")
	var none iter.Seq[int]
	r, err = Map(p, none, square, ChunkSize(1))
	require.NoError(t, err)
	assert.Equal(t, []int{}, r, "a nil iter.Seq is an empty input")
	for range IMap(p, none, square) {
		t.Fatal("a nil iter.Seq yields nothing")
	}
}

// Every call on a closed pool returns ErrClosed; every call from a task
// into its own pool returns ErrReentrant, as do Close and Terminate; New
// from a task of a daemon pool returns ErrDaemon.
func TestClosedAndReentrantCalls(t *testing.T) {
	p := newPool(t, Workers(2))
	got, err := MapFunc(p, []int{0}, func(*Worker, int) ([]error, error) {
		var errs []error
		for _, e := range entries() {
			var ran atomic.Int64
			_, err, _ := e.run(p, 10, false, &ran, ChunkSize(2))
			errs = append(errs, fmt.Errorf("%s: %w", e.name, err))
		}
		errs = append(errs, fmt.Errorf("Close: %w", p.Close()), fmt.Errorf("Terminate: %w", p.Terminate()))
		q, err := New(Workers(1))
		if q != nil {
			q.Close()
		}
		errs = append(errs, fmt.Errorf("New: %w", err))
		return errs, nil
	})
	require.NoError(t, err)
	for _, err := range got[0][:len(got[0])-1] {
		assert.ErrorIs(t, err, ErrReentrant)
		assert.True(t, strings.HasSuffix(err.Error(), ": "+ErrReentrant.Error()), err.Error())
	}
	assert.EqualError(t, got[0][len(got[0])-1], "New: "+ErrDaemon.Error())
	assert.Equal(t, "numapool: a task called into its own pool, which would wait on itself forever; start a nested pool (outer pool with numapool.Daemon(false)) or return the work to the caller", ErrReentrant.Error())
	assert.Equal(t, "numapool: cannot start a pool from inside a task of a daemon pool; create the outer pool with numapool.Daemon(false) to allow nested pools", ErrDaemon.Error())

	require.NoError(t, p.Close())
	for _, e := range entries() {
		var ran atomic.Int64
		_, err, pairs := e.run(p, 10, false, &ran, ChunkSize(2))
		assert.ErrorIs(t, err, ErrClosed, e.name)
		assert.EqualError(t, err, "numapool: pool is closed", e.name)
		assert.Zero(t, ran.Load(), e.name)
		if e.lazy {
			assert.Equal(t, 1, pairs, e.name)
		}
	}
	assert.NoError(t, p.Terminate(), "Terminate after Close")
	assert.NoError(t, p.Close(), "Close twice")
}

// A nil task function, loop body or init function is a programmer error:
// it panics on the worker, and the call returns that panic as it returns
// any task's; the process goes on and so does the pool.
func TestNilFunctionsFailTheCall(t *testing.T) {
	p := newPool(t, Workers(2))
	nilDeref := func(t *testing.T, err error, index int, arg string) {
		t.Helper()
		var te *TaskError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, index, te.Index)
		assert.Equal(t, arg, te.Arg)
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		re, ok := pe.Value.(runtime.Error)
		require.True(t, ok, "a runtime error: %v", pe.Value)
		assert.Equal(t, "runtime error: invalid memory address or nil pointer dereference", re.Error())
	}
	_, err := Map(p, []int{7}, (func(int) int)(nil))
	nilDeref(t, err, 0, "7")
	_, err = MapFunc(p, countTo(3), (func(*Worker, int) (int, error))(nil), ChunkSize(3))
	nilDeref(t, err, 0, "0")
	err = ForEach(p, []int{5}, (func(int))(nil))
	nilDeref(t, err, 0, "5")
	var last error
	for _, err := range IMap(p, []int{4}, (func(int) int)(nil)) {
		last = err
	}
	nilDeref(t, last, 0, "4")
	nilDeref(t, For(p, 10, nil, ChunkSize(10)), 0, "[0, 10)")
	nilDeref(t, ForFunc(p, 10, nil, ChunkSize(10)), 0, "[0, 10)")
	nilDeref(t, ForIndex(p, 10, nil, ChunkSize(10)), 0, "[0, 10)")
	_, err = Reduce(p, 10, (func(lo, hi int) int)(nil), func(a, b int) int { return a + b }, ChunkSize(10))
	nilDeref(t, err, 0, "[0, 10)")

	// Over an empty input a nil function is never called.
	_, err = Map(p, []int{}, (func(int) int)(nil))
	assert.NoError(t, err)

	// A nil init of a WorkerState fails the first call as a WorkerError.
	q, err := New(Workers(1), WithState(NewWorkerState[int](nil, nil)))
	require.NoError(t, err)
	_, err = Map(q, []int{1}, square)
	var we *WorkerError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "init", we.Phase)
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.NoError(t, q.Close())

	got, err := Map(p, []int{1, 2}, square)
	require.NoError(t, err, "the pool is usable after nil functions")
	assert.Equal(t, []int{1, 4}, got)
}

// A nil combine, a nil *Pool and a nil option are programmer errors that
// panic on the caller's goroutine, as a nil func or a nil receiver does
// anywhere in Go; the pool is left as it was.
func TestNilOnTheCallerPanics(t *testing.T) {
	p := newPool(t, Workers(2))
	assert.Panics(t, func() {
		_, _ = Reduce(p, 10, func(lo, hi int) int { return hi - lo }, nil, ChunkSize(2))
	}, "nil combine with more than one block")
	s, err := Reduce(p, 10, func(lo, hi int) int { return hi - lo }, nil, ChunkSize(10))
	require.NoError(t, err, "one block needs no combine")
	assert.Equal(t, 10, s)

	var none *Pool
	assert.Panics(t, func() { _, _ = Map(none, []int{1}, square) })
	assert.Panics(t, func() { _ = none.Close() })
	assert.Panics(t, func() { _, _ = New(nil) })
	assert.Panics(t, func() { _, _ = Map(p, []int{1}, square, nil) })

	got, err := Map(p, []int{1, 2}, square, Context(context.Background()))
	require.NoError(t, err, "the pool is usable after the panics")
	assert.Equal(t, []int{1, 4}, got)
}
