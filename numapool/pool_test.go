package numapool

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/csrc"
	"github.com/numapool/numapool/topology"
)

func usable(t *testing.T) topology.CPUSet {
	t.Helper()
	m, err := topology.Current()
	require.NoError(t, err)
	return m.Usable()
}

// where is what a task saw of its thread.
type where struct {
	worker, cpu, tid int
	mask             []int
}

func whereAmI(w *Worker, _ int) (where, error) {
	mask, err := csrc.ThreadAffinity()
	return where{worker: w.ID(), cpu: csrc.CurrentCPU(), tid: csrc.ThreadID(), mask: mask}, err
}

func TestDefaultPoolHasOneWorkerPerUsableCPU(t *testing.T) {
	cpus := usable(t)
	p := newPool(t)
	assert.Equal(t, min(cpus.Len(), runtime.GOMAXPROCS(0)), p.Workers(), "one per usable CPU, at most GOMAXPROCS")
	m, err := topology.Current()
	require.NoError(t, err)
	nodes, err := MapFunc(p, slices.Collect(countTo(4*p.Workers())), func(w *Worker, _ int) ([2]int, error) {
		return [2]int{w.Node(), m.NodeOf(csrc.CurrentCPU())}, nil
	}, ChunkSize(1))
	require.NoError(t, err)
	for _, n := range nodes {
		assert.Equal(t, n[1], n[0], "Worker.Node is the node of the CPU the task runs on")
	}
	seen := topology.CPUSet{}
	for id := range p.Workers() {
		assert.Equal(t, 1, p.CPUs(id).Len(), "default placement pins each worker to one CPU")
		seen = seen.Union(p.CPUs(id))
	}
	// Each worker on a CPU of its own, all usable; every usable CPU has
	// one unless GOMAXPROCS (a cgroup's cpu.max, say) caps the workers.
	assert.Equal(t, p.Workers(), seen.Len(), "no two workers share a CPU: they cover %s", seen)
	assert.True(t, seen.IsSubsetOf(cpus), "workers cover %s, usable CPUs are %s", seen, cpus)
	if p.Workers() == cpus.Len() {
		assert.True(t, seen.Equal(cpus), "workers cover %s, usable CPUs are %s", seen, cpus)
	}
}

// A worker pinned to one CPU only ever runs there, and its mask reads back
// as exactly that CPU.
func TestPinnedWorkersStayOnTheirCPU(t *testing.T) {
	for cpu := range usable(t).All() {
		t.Run(fmt.Sprint("cpu", cpu), func(t *testing.T) {
			p := newPool(t, Workers(2), CPUIDs(cpu))
			got, err := MapFunc(p, slices.Collect(countTo(2000)), whereAmI, ChunkSize(10))
			require.NoError(t, err)
			for _, g := range got {
				require.Equal(t, cpu, g.cpu)
				require.Equal(t, []int{cpu}, g.mask)
			}
		})
	}
}

func TestCPUIDsOnePerWorker(t *testing.T) {
	cpus := usable(t).Slice()
	ids := slices.Clone(cpus)
	slices.Reverse(ids)
	p := newPool(t, CPUIDs(ids...))
	require.Equal(t, len(ids), p.Workers())
	got, err := MapFunc(p, slices.Collect(countTo(500)), whereAmI, ChunkSize(1))
	require.NoError(t, err)
	for _, g := range got {
		assert.Equal(t, []int{ids[g.worker]}, g.mask, "worker %d", g.worker)
		assert.Equal(t, ids[g.worker], g.cpu)
	}
}

func TestCPUSetsSharedByAllWorkers(t *testing.T) {
	all := usable(t)
	p := newPool(t, Workers(3), CPUSets(all))
	got, err := MapFunc(p, slices.Collect(countTo(30)), whereAmI, ChunkSize(1))
	require.NoError(t, err)
	for _, g := range got {
		assert.Equal(t, all.Slice(), g.mask)
		assert.True(t, all.Has(g.cpu))
	}
}

func TestCPUIDsOutsideTheMachineListUsableCPUs(t *testing.T) {
	cpus := usable(t)
	p, err := New(CPUIDs(4095))
	assert.Nil(t, p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "4095")
	assert.Contains(t, err.Error(), cpus.String(), "the error lists the usable CPUs")
}

func TestWorkerIDsAndSharedObjects(t *testing.T) {
	type table struct{ name string }
	shared := &table{"lookup"}
	p := newPool(t, Workers(3), SharedObjects(shared))
	ids, err := MapFunc(p, slices.Collect(countTo(300)), func(w *Worker, _ int) (int, error) {
		tb, ok := Shared[*table](w)
		if !ok || tb != shared {
			return 0, errors.New("shared objects not reached")
		}
		return w.ID(), nil
	}, ChunkSize(1))
	require.NoError(t, err)
	for _, id := range ids {
		assert.GreaterOrEqual(t, id, 0)
		assert.Less(t, id, 3)
	}
	p.SetSharedObjects("second")
	got, err := MapFunc(p, []int{1}, func(w *Worker, _ int) (any, error) { return w.Shared(), nil })
	require.NoError(t, err)
	assert.Equal(t, []any{"second"}, got)
}

// perNode is a shared object with one copy per NUMA node.
type perNode struct{ asked atomic.Int32 }

func (p *perNode) ForNode(node int) any { p.asked.Add(1); return fmt.Sprint("copy-of-node-", node) }

func TestSharedObjectsForNode(t *testing.T) {
	obj := &perNode{}
	p := newPool(t, Workers(2), SharedObjects(obj))
	got, err := MapFunc(p, []int{0, 1, 2, 3}, func(w *Worker, _ int) (string, error) {
		return w.Shared().(string) + fmt.Sprint("@", w.Node()), nil
	}, ChunkSize(1))
	require.NoError(t, err)
	for _, s := range got {
		var a, b int
		_, err := fmt.Sscanf(s, "copy-of-node-%d@%d", &a, &b)
		require.NoError(t, err)
		assert.Equal(t, a, b, "each worker sees its own node's copy")
	}
	assert.Equal(t, int32(2), obj.asked.Load(), "ForNode is resolved once per worker, not per task")
}

func TestCloseAndTerminateAreIdempotent(t *testing.T) {
	p, err := New(Workers(2))
	require.NoError(t, err)
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	require.NoError(t, p.Terminate())
	_, err = Map(p, []int{1}, square)
	assert.ErrorIs(t, err, ErrClosed)
	for _, err := range IMap(p, []int{1}, square) {
		assert.ErrorIs(t, err, ErrClosed)
	}

	q, err := New(Workers(2))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { assert.NoError(t, q.Terminate()) })
	}
	wg.Wait()
	_, err = Map(q, []int{1}, square)
	assert.ErrorIs(t, err, ErrClosed)
}

func TestCloseWaitsForRunningCalls(t *testing.T) {
	p, err := New(Workers(2))
	require.NoError(t, err)
	started := make(chan struct{})
	release := make(chan struct{})
	var result []int
	var callErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		result, callErr = Map(p, []int{1, 2, 3, 4}, func(x int) int {
			if x == 1 {
				close(started)
				<-release
			}
			return x * x
		}, ChunkSize(1))
	}()
	<-started
	closed := make(chan struct{})
	go func() { assert.NoError(t, p.Close()); close(closed) }()
	close(release)
	<-closed
	<-done
	require.NoError(t, callErr)
	assert.Equal(t, []int{1, 4, 9, 16}, result)
}

func TestTerminateStopsCallsInFlight(t *testing.T) {
	p, err := New(Workers(2))
	require.NoError(t, err)
	started := make(chan struct{})
	var once sync.Once
	var ran atomic.Int64
	errs := make(chan error, 2)
	go func() {
		_, err := Map(p, slices.Collect(countTo(1_000_000)), func(x int) int {
			once.Do(func() { close(started) })
			ran.Add(1)
			for i := 0; i < 2000; i++ {
				x += i
			}
			return x
		}, ChunkSize(1))
		errs <- err
	}()
	go func() {
		var err error
		for _, e := range IMap(p, countTo(1<<40), square, ChunkSize(1)) {
			err = e
		}
		errs <- err
	}()
	<-started
	require.NoError(t, p.Terminate())
	for range 2 {
		assert.ErrorIs(t, <-errs, ErrTerminated)
	}
	assert.Less(t, ran.Load(), int64(1_000_000), "terminated work must not run to the end")
}

func TestTaskErrorStopsTheCallAndPoolStaysUsable(t *testing.T) {
	p := newPool(t, Workers(2))
	boom := errors.New("boom")
	var ran atomic.Int64
	_, err := MapFunc(p, slices.Collect(countTo(100000)), func(w *Worker, x int) (int, error) {
		ran.Add(1)
		if x == 500 {
			return 0, fmt.Errorf("task 500: %w", boom)
		}
		return x, nil
	}, ChunkSize(10))
	require.Error(t, err)
	assert.ErrorIs(t, err, boom)
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 500, te.Index)
	assert.Equal(t, "500", te.Arg)
	assert.Contains(t, []int{0, 1}, te.WorkerID)
	assert.Contains(t, err.Error(), "task 500")
	assert.Contains(t, err.Error(), "worker")
	assert.Less(t, ran.Load(), int64(100000), "the rest of the call is cancelled")

	r, err := Map(p, slices.Collect(countTo(100)), square)
	require.NoError(t, err)
	assert.Equal(t, squares(100), r)
}

func TestTaskPanicKeepsStack(t *testing.T) {
	p := newPool(t, Workers(2))
	type big struct{ Payload string }
	in := []big{{"a"}, {"b"}, {string(make([]byte, 500))}}
	for _, name := range []string{"Map", "IMap"} {
		var err error
		f := func(b big) int {
			if len(b.Payload) > 100 {
				panic(fmt.Errorf("payload too long: %w", context.Canceled))
			}
			return len(b.Payload)
		}
		if name == "Map" {
			_, err = Map(p, in, f, ChunkSize(1))
		} else {
			for _, e := range IMap(p, in, f, ChunkSize(1)) {
				err = e
			}
		}
		require.Error(t, err, name)
		var te *TaskError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, 2, te.Index)
		assert.LessOrEqual(t, len(te.Arg), maxArgLen+len("…"), "the argument is shortened")
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		assert.Contains(t, string(pe.Stack), "TestTaskPanicKeepsStack", "the stack shows where the panic was")
		assert.ErrorIs(t, err, context.Canceled, "errors.Is sees through panic(err)")
	}
	assert.Equal(t, squares(10), collect(t, IMap(p, countTo(10), square, ChunkSize(2))))
}

// threadsOfWorkers returns the thread of every worker of p, by worker ID.
// Its tasks wait for each other, so each of the p.Workers() tasks runs on a
// different worker.
func threadsOfWorkers(t *testing.T, p *Pool) map[int]int {
	t.Helper()
	var arrived sync.WaitGroup
	arrived.Add(p.Workers())
	got, err := MapFunc(p, slices.Collect(countTo(p.Workers())), func(w *Worker, _ int) (where, error) {
		arrived.Done()
		arrived.Wait()
		return whereAmI(w, 0)
	}, ChunkSize(1))
	require.NoError(t, err)
	tids := map[int]int{}
	for _, g := range got {
		tids[g.worker] = g.tid
	}
	require.Len(t, tids, p.Workers())
	return tids
}

// A task calling runtime.Goexit (t.FailNow, require.*) ends its worker's
// thread; the call fails, a fresh worker takes the ID, the pool goes on.
func TestGoexitInTaskReplacesWorker(t *testing.T) {
	p := newPool(t, Workers(2))
	before := threadsOfWorkers(t, p)
	var exited atomic.Int64
	_, err := MapFunc(p, slices.Collect(countTo(100)), func(w *Worker, x int) (int, error) {
		if x == 42 {
			exited.Store(int64(w.ID()))
			runtimeGoexit()
		}
		return x, nil
	}, ChunkSize(1))
	require.ErrorIs(t, err, ErrGoexit)
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 42, te.Index)
	assert.Equal(t, int(exited.Load()), te.WorkerID)

	after := threadsOfWorkers(t, p)
	for id := range p.Workers() {
		if id == te.WorkerID {
			assert.NotEqual(t, before[id], after[id], "worker %d ran Goexit and has a new thread", id)
		} else {
			assert.Equal(t, before[id], after[id], "worker %d keeps its thread", id)
		}
	}
	assert.Equal(t, squares(100), collect(t, IMap(p, countTo(100), square, ChunkSize(3))))
}

// Lifespan 1: every chunk runs on a thread of its own.
func TestWorkerLifespanRecyclesThreads(t *testing.T) {
	p := newPool(t, Workers(2))
	got, err := MapFunc(p, slices.Collect(countTo(40)), whereAmI, ChunkSize(4), WorkerLifespan(1))
	require.NoError(t, err)
	tids := map[int][]int{} // tid -> chunk numbers
	for i, g := range got {
		if !slices.Contains(tids[g.tid], i/4) {
			tids[g.tid] = append(tids[g.tid], i/4)
		}
	}
	assert.Len(t, tids, 10, "10 chunks, one thread each")
	for tid, chunks := range tids {
		assert.Len(t, chunks, 1, "thread %d ran chunks %v", tid, chunks)
	}
	// IDs and pinning survive recycling.
	for _, g := range got {
		assert.Equal(t, p.CPUs(g.worker).Slice(), g.mask)
	}
	got, err = MapFunc(p, countTo(40), whereAmI, ChunkSize(4), WorkerLifespan(2))
	require.NoError(t, err)
	perThread := map[int]int{}
	for _, g := range got {
		perThread[g.tid]++
	}
	for tid, n := range perThread {
		assert.LessOrEqual(t, n, 8, "thread %d ran more than 2 chunks", tid)
	}
}

func TestWorkersPersistByDefault(t *testing.T) {
	kept := newPool(t, Workers(2))
	a, b := threadsOfWorkers(t, kept), threadsOfWorkers(t, kept)
	assert.Equal(t, a, b, "by default threads persist across calls")

	fresh := newPool(t, Workers(2), FreshWorkersPerCall())
	a, b = threadsOfWorkers(t, fresh), threadsOfWorkers(t, fresh)
	for id := range a {
		assert.NotEqual(t, a[id], b[id], "with FreshWorkersPerCall worker %d gets a fresh thread per call", id)
	}
}

func TestNestedPools(t *testing.T) {
	daemon := newPool(t, Workers(2))
	errs, err := MapFunc(daemon, []int{1, 2}, func(*Worker, int) (error, error) {
		q, err := New(Workers(2))
		if q != nil {
			q.Close()
		}
		return err, nil
	}, ChunkSize(1))
	require.NoError(t, err)
	for _, e := range errs {
		assert.ErrorIs(t, e, ErrDaemon)
		assert.ErrorContains(t, e, "Daemon(false)")
	}

	outer := newPool(t, Workers(2), Daemon(false))
	sums, err := MapFunc(outer, []int{10, 20}, func(w *Worker, base int) ([]int, error) {
		inner, err := New()
		if err != nil {
			return nil, err
		}
		defer inner.Close()
		for id := range inner.Workers() {
			if !inner.CPUs(id).IsSubsetOf(w.CPUs()) {
				return nil, fmt.Errorf("inner worker %d on %s, outside the outer worker's %s", id, inner.CPUs(id), w.CPUs())
			}
		}
		return Map(inner, slices.Collect(countTo(base)), square)
	}, ChunkSize(1))
	require.NoError(t, err)
	assert.Equal(t, [][]int{squares(10), squares(20)}, sums)
}

func TestCallIntoOwnPoolFromTaskIsAnError(t *testing.T) {
	p := newPool(t, Workers(2))
	got, err := MapFunc(p, []int{1}, func(*Worker, int) (error, error) {
		_, err := Map(p, []int{1, 2}, square)
		return errors.Join(err, p.Close()), nil
	})
	require.NoError(t, err)
	assert.ErrorIs(t, got[0], ErrReentrant)
}

func TestConcurrentCalls(t *testing.T) {
	p := newPool(t, Workers(2))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			n := 100 + g*37
			in := slices.Collect(countTo(n))
			add := func(x int) int { return x*x + g }
			for range 5 {
				var got []int
				var err error
				switch g % 4 {
				case 0:
					got, err = Map(p, in, add, ChunkSize(3))
				case 1:
					got, err = MapUnordered(p, countTo(n), add, IterableLen(n))
					slices.Sort(got)
				case 2:
					got = collect(t, IMap(p, in, add, ChunkSize(5)))
				case 3:
					got = collect(t, IMapUnordered(p, countTo(n), add, ChunkSize(2)))
					slices.Sort(got)
				}
				assert.NoError(t, err)
				want := make([]int, n)
				for i := range want {
					want[i] = i*i + g
				}
				assert.Equal(t, want, got, "goroutine %d", g)
			}
		})
	}
	wg.Wait()
}

func TestIMapBreakCancelsTheRest(t *testing.T) {
	p := newPool(t, Workers(2))
	var pulled, ran atomic.Int64
	gen := func(yield func(int) bool) {
		for i := 0; ; i++ {
			pulled.Add(1)
			if !yield(i) {
				return
			}
		}
	}
	n := 0
	for r, err := range IMap(p, iterSeq(gen), func(x int) int { ran.Add(1); return x * 2 }, ChunkSize(4)) {
		require.NoError(t, err)
		assert.Equal(t, 2*n, r)
		n++
		if n == 50 {
			break
		}
	}
	assert.Equal(t, 50, n)
	assert.LessOrEqual(t, pulled.Load(), int64(50+2*2*4+1), "no more than MaxTasksActive beyond what was used")
	// The pool is usable afterwards, and goleak (TestMain) checks nothing leaked.
	assert.Equal(t, squares(20), collect(t, IMapUnordered(p, countTo(20), square, ChunkSize(20))))
}

func TestMaxTasksActiveIsNeverExceeded(t *testing.T) {
	p := newPool(t, Workers(2))
	for _, c := range []struct {
		name      string
		chunk     int
		maxActive int
	}{{"default", 3, 0}, {"tight", 2, 4}, {"one chunk", 5, 5}} {
		t.Run(c.name, func(t *testing.T) {
			limit := c.maxActive
			opts := []CallOption{ChunkSize(c.chunk)}
			if limit > 0 {
				opts = append(opts, MaxTasksActive(limit))
			} else {
				limit = 2 * p.Workers() * c.chunk
			}
			var pulled, finished, running, peakAhead, peakRunning atomic.Int64
			gen := func(yield func(int) bool) {
				for i := range 2000 {
					ahead := pulled.Add(1) - finished.Load()
					for {
						old := peakAhead.Load()
						if ahead <= old || peakAhead.CompareAndSwap(old, ahead) {
							break
						}
					}
					if !yield(i) {
						return
					}
				}
			}
			task := func(x int) int {
				r := running.Add(1)
				for {
					old := peakRunning.Load()
					if r <= old || peakRunning.CompareAndSwap(old, r) {
						break
					}
				}
				running.Add(-1)
				finished.Add(1)
				return x
			}
			got, err := Map(p, iterSeq(gen), task, opts...)
			require.NoError(t, err)
			assert.Len(t, got, 2000)
			assert.LessOrEqual(t, peakAhead.Load(), int64(limit), "tasks pulled and not finished")
			assert.LessOrEqual(t, peakRunning.Load(), int64(limit))

			// Over a slice the bound holds for tasks taken and not finished.
			var taken atomic.Int64
			peakAhead.Store(0)
			_, err = MapFunc(p, slices.Collect(countTo(2000)), func(w *Worker, x int) (int, error) {
				r := taken.Add(1)
				for {
					old := peakAhead.Load()
					if r <= old || peakAhead.CompareAndSwap(old, r) {
						break
					}
				}
				taken.Add(-1)
				return x, nil
			}, opts...)
			require.NoError(t, err)
			assert.LessOrEqual(t, peakAhead.Load(), int64(limit))
		})
	}
}

func TestContextCancelsTheCall(t *testing.T) {
	p := newPool(t, Workers(2))
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int64
	_, err := Map(p, slices.Collect(countTo(1_000_000)), func(x int) int {
		if ran.Add(1) == 1000 {
			cancel()
		}
		return x
	}, ChunkSize(1), Context(ctx))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, ran.Load(), int64(1_000_000))

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var last error
	for _, err := range IMap(p, countTo(1<<40), square, ChunkSize(8), Context(ctx)) {
		if err != nil {
			last = err
			break
		}
		if n++; n == 100 {
			cancel()
		}
	}
	assert.ErrorIs(t, last, context.Canceled)
	r, err := Map(p, []int{3}, square)
	require.NoError(t, err)
	assert.Equal(t, []int{9}, r)
}

func iterSeq(f func(yield func(int) bool)) func(yield func(int) bool) { return f }

// With FreshWorkersPerCall, concurrent calls restart each worker's thread
// once per call that begins, not each time the worker moves between calls.
func TestFreshThreadsPerCallNotPerSwitch(t *testing.T) {
	p := newPool(t, Workers(2), FreshWorkersPerCall())
	var mu sync.Mutex
	tids := map[int]bool{}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			_, err := MapFunc(p, slices.Collect(countTo(3000)), func(w *Worker, x int) (int, error) {
				mu.Lock()
				tids[csrc.ThreadID()] = true
				mu.Unlock()
				return x, nil
			}, ChunkSize(1))
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, len(tids), 2*3, "2 workers, each restarted at most once per call begun")
}

func TestCancelledContextRunsNothing(t *testing.T) {
	p := newPool(t, Workers(2))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Int64
	task := func(x int) int { ran.Add(1); return x }
	for range 50 {
		_, err := Map(p, slices.Collect(countTo(1000)), task, Context(ctx))
		require.ErrorIs(t, err, context.Canceled)
		_, err = Map(p, countTo(1000), task, ChunkSize(10), Context(ctx))
		require.ErrorIs(t, err, context.Canceled)
		for _, err := range IMap(p, slices.Collect(countTo(1000)), task, Context(ctx)) {
			require.ErrorIs(t, err, context.Canceled)
		}
	}
	assert.Zero(t, ran.Load())
}

// The futex parking mode (the default for large pools) does the same work
// as channel parking, and its sleeping workers use no CPU.
func TestFutexParking(t *testing.T) {
	parking = parkFutex
	p := newPool(t, Workers(3))
	parking = parkAuto
	require.True(t, p.futex)
	for range 20 {
		r, err := Map(p, slices.Collect(countTo(1000)), square, ChunkSize(7))
		require.NoError(t, err)
		assert.Equal(t, squares(1000), r)
		assert.Equal(t, squares(100), collect(t, IMap(p, countTo(100), square, ChunkSize(3))))
	}
	tids := threadsOfWorkers(t, p)
	time.Sleep(200 * time.Millisecond)
	for id, tid := range tids {
		before := threadTicks(t, tid)
		time.Sleep(300 * time.Millisecond)
		assert.LessOrEqual(t, threadTicks(t, tid)-before, 1, "worker %d busy while parked on the futex", id)
	}
}

func TestParkingModeChoice(t *testing.T) {
	procs := runtime.GOMAXPROCS(0)
	assert.False(t, useFutex(2), "small pools park on channels")
	assert.True(t, useFutex(max(procs, futexWorkers)), "many workers holding every P park on the futex")
	if procs > futexWorkers {
		assert.False(t, useFutex(procs-1), "a pool that leaves a P free parks on channels")
	}
	parking = parkChannel
	assert.False(t, useFutex(64))
	parking = parkFutex
	assert.True(t, useFutex(1))
	parking = parkAuto
}

// With FreshWorkersPerCall, a thread that served a call never serves a call
// that began after it, even when that call has no work ready at first.
func TestOldThreadNeverServesANewerCall(t *testing.T) {
	p := newPool(t, Workers(1), FreshWorkersPerCall())
	record := func(set *sync.Map) func(x int) int {
		return func(x int) int { set.Store(csrc.ThreadID(), true); return x }
	}
	var aTids, bTids sync.Map
	aStarted := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		slow := func(yield func(int) bool) {
			for i := range 30 {
				time.Sleep(time.Millisecond)
				if !yield(i) {
					return
				}
			}
		}
		var once sync.Once
		recordA := record(&aTids)
		taskA := func(x int) int {
			r := recordA(x)
			once.Do(func() { close(aStarted) })
			return r
		}
		for _, err := range IMap(p, iterSeq(slow), taskA, ChunkSize(1)) {
			assert.NoError(t, err)
		}
	})
	<-aStarted
	// The threads that served A before B began; later threads may serve both.
	before := map[any]bool{}
	aTids.Range(func(tid, _ any) bool { before[tid] = true; return true })
	late := func(yield func(int) bool) {
		time.Sleep(20 * time.Millisecond)
		for i := range 50 {
			if !yield(i) {
				return
			}
		}
	}
	for _, err := range IMap(p, iterSeq(late), record(&bTids), ChunkSize(1)) {
		require.NoError(t, err)
	}
	wg.Wait()
	require.NotEmpty(t, before)
	bTids.Range(func(tid, _ any) bool {
		assert.False(t, before[tid], "thread %v served call A and then call B, which began after it", tid)
		return true
	})
}

// The Placement option puts workers where the topology layer's policy says.
func TestPlacementOption(t *testing.T) {
	m, err := topology.Current()
	require.NoError(t, err)
	firstNode := m.Nodes()[0].OSIndex
	for _, policy := range []topology.Placement{topology.Compact, topology.Spread, topology.InNode(firstNode)} {
		want, err := m.Place(3, policy, topology.CPUSet{})
		require.NoError(t, err)
		p := newPool(t, Workers(3), Placement(policy))
		got, err := MapFunc(p, slices.Collect(countTo(300)), whereAmI, ChunkSize(1))
		require.NoError(t, err)
		for id := range 3 {
			assert.True(t, p.CPUs(id).Equal(want[id]), "%v: worker %d on %s, want %s", policy, id, p.CPUs(id), want[id])
		}
		for _, g := range got {
			assert.Equal(t, want[g.worker].Slice(), g.mask, "%v: worker %d's thread mask", policy, g.worker)
		}
	}
	_, err = New(Placement(topology.InNode(4095)))
	assert.Error(t, err, "a node that does not exist")
}
