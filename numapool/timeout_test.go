package numapool

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/csrc"
)

// stuck is a task that blocks until released: a task that never returns,
// as far as the call can tell. The test releases it at the end so that its
// abandoned goroutine can finish before goleak looks.
type stuck struct {
	release chan struct{}
	once    sync.Once
}

func newStuck(t *testing.T, p *Pool) *stuck {
	s := &stuck{release: make(chan struct{})}
	t.Cleanup(func() {
		s.free()
		waitAbandoned(t, p)
	})
	return s
}

func (s *stuck) free() { s.once.Do(func() { close(s.release) }) }

// waitAbandoned waits until every abandoned worker goroutine of p ended.
func waitAbandoned(t *testing.T, p *Pool) {
	t.Helper()
	within(t, 10*time.Second, "abandoned workers ending", func() {
		for p.abandonedThreads.Load() > 0 {
			time.Sleep(time.Millisecond)
		}
	})
}

// A task that never returns fails the call with a timeout naming the
// worker, the task and the limit; the worker is abandoned and replaced, so
// the pool keeps its size and serves the next call.
func TestTaskTimeoutAbandonsAndReplaces(t *testing.T) {
	p := newPool(t, Workers(2))
	s := newStuck(t, p)
	before := threadsOfWorkers(t, p)
	for _, kind := range []string{"Map", "IMap", "MapSeq", "For"} {
		var err error
		within(t, 10*time.Second, kind+" with a stuck task", func() {
			task := func(x int) int {
				if x == 13 {
					<-s.release
				}
				return x
			}
			opts := []CallOption{TaskTimeout(50 * time.Millisecond), ChunkSize(4)}
			switch kind {
			case "Map":
				_, err = Map(p, slices.Collect(countTo(100)), task, opts...)
			case "MapSeq":
				_, err = Map(p, countTo(100), task, opts...)
			case "IMap":
				for _, e := range IMap(p, slices.Collect(countTo(100)), task, opts...) {
					if e != nil {
						err = e
					}
				}
			case "For":
				err = For(p, 100, func(lo, hi int) {
					for i := lo; i < hi; i++ {
						task(i)
					}
				}, opts...)
			}
		})
		var te *TaskError
		require.ErrorAs(t, err, &te, kind)
		var to *TimeoutError
		require.ErrorAs(t, err, &to, kind)
		assert.Equal(t, TimeoutError{Phase: "task", Limit: 50 * time.Millisecond}, *to)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		if kind == "For" {
			assert.Equal(t, 12, te.Index, "the block holding index 13")
			assert.Equal(t, "[12, 16)", te.Arg)
		} else {
			assert.Equal(t, 13, te.Index, kind)
			assert.Equal(t, "13", te.Arg, kind)
		}
		assert.Contains(t, err.Error(), "ran past its timeout of 50ms")
		// The pool still has two workers, and both serve.
		assert.Equal(t, 2, p.Workers())
		r, err := Map(p, slices.Collect(countTo(1000)), square, ChunkSize(1))
		require.NoError(t, err)
		assert.Equal(t, squares(1000), r)
	}
	after := threadsOfWorkers(t, p)
	assert.NotEqual(t, before, after, "the stuck worker's thread was replaced")
	assert.Positive(t, p.abandonedThreads.Load(), "the stuck tasks run on, detached")
}

// A context deadline ends a call over tasks that take far longer, without
// waiting for them; Terminate does too.
func TestPromptStopDoesNotWaitForTasks(t *testing.T) {
	// WorkersOnly: Terminate cannot cut short a task that the calling
	// goroutine runs (calls with a Context never run any there).
	p, err := New(Workers(2), WorkersOnly())
	require.NoError(t, err)
	s := newStuck(t, p)
	slow := func(x int) int { <-s.release; return x }
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	within(t, 10*time.Second, "a call past its context's deadline", func() {
		_, err := Map(p, slices.Collect(countTo(10)), slow, Context(ctx))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
	within(t, 10*time.Second, "a lazy call past its context's deadline", func() {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		for _, err := range IMap(p, countTo(10), slow, Context(ctx), ChunkSize(1)) {
			assert.ErrorIs(t, err, context.DeadlineExceeded)
		}
	})
	r, err := Map(p, []int{1, 2, 3}, square)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 4, 9}, r)

	// Terminate while both workers are stuck.
	done := make(chan error, 1)
	go func() {
		_, err := Map(p, slices.Collect(countTo(10)), slow, ChunkSize(1))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	within(t, 10*time.Second, "Terminate with stuck tasks", func() { assert.NoError(t, p.Terminate()) })
	within(t, 10*time.Second, "the terminated call", func() { assert.ErrorIs(t, <-done, ErrTerminated) })
}

// No result of an abandoned task lands in MapInto's dst after it returned.
func TestMapIntoIsNotWrittenAfterReturn(t *testing.T) {
	p := newPool(t, Workers(2))
	s := newStuck(t, p)
	dst := make([]int, 64)
	for i := range dst {
		dst[i] = -1
	}
	src := slices.Collect(countTo(64))
	err := MapInto(p, dst, src, func(x int) int {
		if x == 5 {
			<-s.release // returns after the call did
		}
		return 1000 + x
	}, ChunkSize(64), TaskTimeout(30*time.Millisecond))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	snapshot := slices.Clone(dst)
	s.free()
	waitAbandoned(t, p)
	assert.Equal(t, snapshot, dst, "dst unchanged after MapInto returned")
	assert.Equal(t, -1, dst[5])
}

// Tasks that watch Worker.Context return when the call times out. OrderTasks
// fixes who runs what: task 0 (worker 0) never returns; task 1 (worker 1)
// waits until task 0 runs, then 100 ms; task 2 (worker 0) never starts;
// task 3 (worker 1) waits for the call's context. Task 0 runs longer than
// task 3 and the watchdog checks workers in ID order, so task 0 times out
// first, and task 3 sees the cancellation. Worker 0 is abandoned and
// replaced. Whether task 3 left within the call's short grace (so that its
// worker is kept) depends on how fast this machine runs it, which is no
// test's business (under QEMU it may not); what does not is that the call
// never returned while task 3 was still inside worker 1 without replacing
// that worker.
func TestWorkerContextIsCancelledOnTimeout(t *testing.T) {
	p := newPool(t, Workers(2))
	s := newStuck(t, p)
	var cancelled atomic.Int32
	var tid [4]atomic.Int64 // the thread that ran each task
	var threeLeft atomic.Bool
	threeDone := make(chan error, 1)
	zeroRuns := make(chan struct{})
	_, err := MapFunc(p, []int{0, 1, 2, 3}, func(w *Worker, x int) (int, error) {
		tid[x].Store(int64(csrc.ThreadID()))
		switch x {
		case 0:
			close(zeroRuns)
			<-s.release
		case 1:
			<-zeroRuns
			time.Sleep(100 * time.Millisecond)
		case 3:
			select {
			case <-w.Context().Done():
				cancelled.Add(1)
				cause := context.Cause(w.Context())
				threeDone <- cause
				threeLeft.Store(true)
				return 0, cause
			case <-time.After(10 * time.Second):
				threeDone <- errors.New("task 3 saw no cancellation in 10 s")
			}
		}
		return x, nil
	}, ChunkSize(1), OrderTasks(), TaskTimeout(200*time.Millisecond))
	left := threeLeft.Load()
	require.ErrorIs(t, err, context.DeadlineExceeded)
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 0, te.Index)
	assert.Equal(t, 0, te.WorkerID)
	cause := <-threeDone
	assert.ErrorIs(t, cause, context.DeadlineExceeded, "task 3's context ends with the call's timeout")
	assert.Equal(t, int32(1), cancelled.Load(), "task 3 saw the cancellation and returned")

	now := threadsOfWorkers(t, p)
	assert.NotEqual(t, int(tid[0].Load()), now[0], "the stuck task's worker 0 was replaced by a fresh thread")
	kept := int(tid[3].Load()) == now[1]
	if !left {
		assert.False(t, kept, "the call returned while task 3 was inside worker 1, so it must have replaced worker 1")
	}
	t.Logf("task 3 returned before the call: %v; worker 1 kept its thread: %v", left, kept)
	assert.Equal(t, context.Background(), (&Worker{}).Context(), "outside a task")
}

// Init and exit functions past their limits: the call (or Close) fails
// with a WorkerError naming the phase, and nothing waits for them.
func TestInitAndExitTimeouts(t *testing.T) {
	block := make(chan struct{})
	var released sync.Once
	release := func() { released.Do(func() { close(block) }) }
	defer release()
	var slowInit atomic.Bool
	slowInit.Store(true)
	st := NewWorkerState(func(w *Worker) (int, error) {
		if slowInit.Load() {
			<-block
		}
		return 1, nil
	}, func(w *Worker, s *int) (any, error) {
		<-block
		return "late", nil
	})
	p, err := New(Workers(1), WithState(st), InitTimeout(30*time.Millisecond), ExitTimeout(30*time.Millisecond))
	require.NoError(t, err)
	within(t, 10*time.Second, "a call whose init times out", func() {
		_, err = Map(p, []int{1}, square)
	})
	var we *WorkerError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "init", we.Phase)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	slowInit.Store(false)
	r, err := MapFunc(p, []int{1}, func(w *Worker, x int) (int, error) { return *st.Of(w), nil })
	require.NoError(t, err)
	assert.Equal(t, []int{1}, r, "a fresh worker inits in time")
	within(t, 10*time.Second, "Close whose exit times out", func() { err = p.Close() })
	require.ErrorAs(t, err, &we)
	assert.Equal(t, "exit", we.Phase)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	release()
	waitAbandoned(t, p)
	for _, e := range p.ExitResults() {
		assert.NotEqual(t, "late", e.Value, "a timed-out exit's result is dropped")
	}
}

func TestTimeoutOptionErrors(t *testing.T) {
	p := newPool(t, Workers(1))
	_, err := Map(p, []int{1}, square, TaskTimeout(0))
	assert.EqualError(t, err, "numapool: TaskTimeout(0s): a timeout must be positive (leave the option out for none)")
	_, err = New(InitTimeout(-time.Second))
	assert.EqualError(t, err, "numapool: InitTimeout(-1s): a timeout must be positive (leave the option out for none)")
	_, err = New(ExitTimeout(0))
	assert.EqualError(t, err, "numapool: ExitTimeout(0s): a timeout must be positive (leave the option out for none)")
	assert.True(t, errors.Is(&TimeoutError{}, context.DeadlineExceeded))
}
