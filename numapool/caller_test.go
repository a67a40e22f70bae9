package numapool

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parked waits until every worker of p is parked, so that the next call
// finds them asleep.
func parked(t *testing.T, p *Pool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.idle.Load() < int32(p.n) {
		require.True(t, time.Now().Before(deadline), "the workers did not park")
		time.Sleep(100 * time.Microsecond)
	}
}

// A small plain call on a pool whose workers sleep runs on the calling
// goroutine, last chunk first; under WorkersOnly it runs on a worker.
func TestCallerRunsSmallPlainCalls(t *testing.T) {
	for _, only := range []bool{false, true} {
		var opts []Option
		if only {
			opts = append(opts, WorkersOnly())
		}
		p := newPool(t, append(opts, Workers(2))...)
		parked(t, p)
		_, err := Map(p, squares(64), func(x int) int {
			if x == 63*63 {
				panic("last")
			}
			return x
		})
		var te *TaskError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, 63, te.Index)
		if only {
			assert.GreaterOrEqual(t, te.WorkerID, 0, "WorkersOnly: on a worker")
			assert.Contains(t, te.Error(), "on worker ")
		} else {
			assert.Equal(t, -1, te.WorkerID, "the caller ran the last chunk")
			assert.Contains(t, te.Error(), "on the calling goroutine")
		}
	}
}

// A pool with FreshWorkersPerCall, and a call with a WorkerLifespan, run
// every task on a worker thread: the caller's thread is neither fresh nor
// ever recycled.
func TestCallerLeavesFreshAndRecycledThreadsAlone(t *testing.T) {
	for _, c := range []struct {
		name string
		pool []Option
		call []CallOption
	}{
		{"FreshWorkersPerCall", []Option{FreshWorkersPerCall()}, nil},
		{"WorkerLifespan", nil, []CallOption{WorkerLifespan(3)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := newPool(t, append(c.pool, Workers(2))...)
			for range 20 {
				parked(t, p)
				_, err := Map(p, squares(64), func(x int) int {
					if x == 63*63 {
						panic("last")
					}
					return x
				}, c.call...)
				var te *TaskError
				require.ErrorAs(t, err, &te)
				require.GreaterOrEqual(t, te.WorkerID, 0, "a task ran on the caller")
				for _, err := range IMap(p, squares(8), func(x int) int {
					if x == 7*7 {
						panic("last")
					}
					return x
				}, append(c.call, ChunkSize(1))...) {
					if err != nil {
						require.ErrorAs(t, err, &te)
						require.GreaterOrEqual(t, te.WorkerID, 0, "a task of a lazy call ran on the caller")
					}
				}
			}
		})
	}
}

// Calls whose tasks see their Worker never run on the caller.
func TestCallerNeverRunsWorkerTasks(t *testing.T) {
	p := newPool(t, Workers(2))
	for range 50 {
		parked(t, p)
		var bad atomic.Int64
		_, err := MapFunc(p, squares(64), func(w *Worker, x int) (int, error) {
			if w.ID() < 0 || w.ID() >= 2 || currentWorker() != w {
				bad.Add(1)
			}
			return x, nil
		})
		require.NoError(t, err)
		require.NoError(t, ForFunc(p, 64, func(w *Worker, lo, hi int) error {
			if w.ID() < 0 {
				bad.Add(1)
			}
			return nil
		}))
		require.Zero(t, bad.Load())
	}
}

// A task the caller runs counts as a task of the pool: calling into the
// pool gives ErrReentrant, as on a worker, instead of waiting on itself.
func TestCallerTaskCallingItsPool(t *testing.T) {
	p := newPool(t, Workers(2))
	parked(t, p)
	var mu sync.Mutex
	var errs []error
	var onCaller atomic.Bool
	_, err := Map(p, []int{1}, func(x int) int {
		if w := currentWorker(); w != nil && w.id == -1 {
			onCaller.Store(true)
		}
		_, e1 := Map(p, []int{1, 2}, square)
		e2 := p.Close()
		e3 := p.Terminate()
		mu.Lock()
		errs = append(errs, e1, e2, e3)
		mu.Unlock()
		return x
	})
	require.NoError(t, err)
	require.True(t, onCaller.Load(), "a one-task call on parked workers runs on the caller")
	for _, e := range errs {
		assert.ErrorIs(t, e, ErrReentrant)
	}
	r, err := Map(p, []int{1, 2, 3}, square)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4, 9}, r)
}

// runtime.Goexit in a task the caller runs ends the calling goroutine, as
// in a plain loop; the call stops first and the pool stays usable.
func TestCallerGoexitEndsCaller(t *testing.T) {
	p := newPool(t, Workers(2))
	parked(t, p)
	returned := make(chan bool, 1)
	go func() {
		ended := true
		defer func() { returned <- ended }()
		_, _ = Map(p, []int{1, 2, 3}, func(x int) int {
			if x == 3 {
				runtime.Goexit()
			}
			return x
		})
		ended = false
	}()
	assert.True(t, <-returned, "the calling goroutine ended inside Map")
	r, err := Map(p, squares(100), func(x int) int { return x + 1 })
	require.NoError(t, err)
	assert.Len(t, r, 100)
	p.mu.Lock()
	left := len(*p.jobs.Load())
	p.mu.Unlock()
	assert.Zero(t, left, "the ended call left the pool's list")
}

// A call with a heavy task wakes the workers after the caller's first
// chunk: the caller does not run a long call alone.
func TestCallerWakesWorkersForHeavyCalls(t *testing.T) {
	p := newPool(t, Workers(2))
	parked(t, p)
	var onWorkers atomic.Int64
	require.NoError(t, ForIndex(p, 64, func(i int) {
		time.Sleep(2 * time.Millisecond)
		if w := currentWorker(); w != nil && w.id >= 0 {
			onWorkers.Add(1)
		}
	}))
	assert.Positive(t, onWorkers.Load(), "workers took part")
}

// Every task runs exactly once whatever the lanes and steals do: uneven
// tasks, one to four workers, chunk size 1 and the default, concurrent
// calls.
func TestLanesRunEveryTaskOnce(t *testing.T) {
	for workers := 1; workers <= 4; workers++ {
		p := newPool(t, Workers(workers))
		var wg sync.WaitGroup
		for g := range 3 {
			wg.Go(func() {
				for _, n := range []int{1, 2, 7, 100, 1000, 5000} {
					for _, opts := range [][]CallOption{nil, {ChunkSize(1)}, {ChunkSize(3)}} {
						counts := make([]atomic.Int32, n)
						err := ForIndex(p, n, func(i int) {
							if (i+g)%97 == 0 {
								time.Sleep(20 * time.Microsecond)
							}
							counts[i].Add(1)
						}, opts...)
						if !assert.NoError(t, err) {
							return
						}
						for i := range counts {
							if c := counts[i].Load(); c != 1 {
								t.Errorf("workers=%d n=%d opts=%d: index %d ran %d times", workers, n, len(opts), i, c)
								return
							}
						}
					}
				}
			})
		}
		wg.Wait()
	}
}

// Reduce combines its blocks in order whichever lane ran them, so its
// result is the same on every run.
func TestReduceIsDeterministicWithLanes(t *testing.T) {
	p := newPool(t, Workers(3))
	xs := make([]float64, 100_003)
	for i := range xs {
		xs[i] = 1 / float64(i+1)
	}
	sum := func() float64 {
		s, err := Reduce(p, len(xs), func(lo, hi int) float64 {
			acc := 0.0
			for _, x := range xs[lo:hi] {
				acc += x
			}
			return acc
		}, func(a, b float64) float64 { return a + b })
		require.NoError(t, err)
		return s
	}
	first := sum()
	for range 20 {
		require.Equal(t, first, sum())
	}
}

// A lazy plain call whose workers are all busy goes on, in order, on the
// calling goroutine; its tasks count as tasks of the pool there, and the
// loop body between them does not.
func TestCallerRunsLazyCallsWhileWorkersAreBusy(t *testing.T) {
	p := newPool(t, Workers(1))
	release, busy := make(chan struct{}), make(chan struct{})
	blocked := make(chan error, 1)
	go func() {
		_, err := MapFunc(p, []int{0}, func(_ *Worker, x int) (int, error) {
			close(busy)
			<-release
			return x, nil
		})
		blocked <- err
	}()
	<-busy
	var got []int
	for r, err := range IMap(p, squares(20), func(x int) int {
		w := currentWorker()
		if w == nil || w.id != -1 {
			return -1
		}
		if _, err := Map(p, []int{1}, square); !errors.Is(err, ErrReentrant) {
			return -2
		}
		return x
	}, ChunkSize(1)) {
		require.NoError(t, err)
		require.Nil(t, currentWorker(), "the loop body is not a task")
		got = append(got, r)
	}
	assert.Equal(t, squares(20), got, "every task ran on the caller, in order")
	close(release)
	require.NoError(t, <-blocked)
}

// A loop of more than 4096 indices (at most 4096 chunks) on a parked pool
// starts on the caller while the workers wake, a heavy one is left to
// them once they are inside, and after a long one the next is theirs.
func TestCallerStartsLargeLoops(t *testing.T) {
	p := newPool(t, Workers(2))
	const n = 8190
	count := func(body func(i int)) (caller, workers int64) {
		var c, w atomic.Int64
		parked(t, p)
		require.NoError(t, For(p, n, func(lo, hi int) {
			if cw := currentWorker(); cw != nil && cw.id < 0 {
				c.Add(int64(hi - lo))
			} else {
				w.Add(int64(hi - lo))
			}
			for i := lo; i < hi; i++ {
				body(i)
			}
		}))
		return c.Load(), w.Load()
	}
	xs := make([]float64, n)
	var caller, workers int64
	for range 5 { // a worker woken at once may, rarely, be inside before the caller's first chunk
		p.lastBig.Store(0) // as on a new pool, whatever the last try took
		caller, workers = count(func(i int) { xs[i] = xs[i]*0.5 + 1 })
		assert.Equal(t, int64(n), caller+workers)
		if caller > 0 {
			break
		}
	}
	assert.Positive(t, caller, "a light loop above 4096 indices starts on the caller")
	caller, workers = count(func(int) { time.Sleep(time.Microsecond) })
	assert.Equal(t, int64(n), caller+workers)
	assert.Positive(t, workers, "a heavy loop wakes the workers")
	assert.Less(t, caller, int64(n/2), "and leaves them the rest")

	// The heavy loop took over a millisecond (8190 sleeps on 2 workers),
	// so the next loop of its size is left to the workers whole; once a
	// loop is short again, the caller helps again. How long the light
	// loop takes depends on the machine (over a millisecond under QEMU's
	// TCG), so the short call is recorded rather than produced.
	caller, workers = count(func(i int) { xs[i] = xs[i]*0.5 + 1 })
	assert.Equal(t, int64(n), caller+workers)
	assert.Zero(t, caller, "after a long call of more than 4096 tasks the caller does not help")
	for range 5 {
		p.lastBig.Store(int64(helpBigUnder / 10))
		if caller, _ = count(func(i int) { xs[i] = xs[i]*0.5 + 1 }); caller > 0 {
			break
		}
	}
	assert.Positive(t, caller, "after a short call the caller helps again")
}
