package numapool

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vbauerster/mpb/v8"
)

func TestApply(t *testing.T) {
	p := newPool(t, Workers(2))
	r, err := Apply(p, func(w *Worker) (int, error) { return 6 * 7, nil })
	require.NoError(t, err)
	assert.Equal(t, 42, r)

	boom := errors.New("boom")
	_, err = Apply(p, func(w *Worker) (int, error) { return 0, boom })
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, applyArg, te.Arg)

	_, err = Apply(p, func(w *Worker) (int, error) { panic("apply panicked") })
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "apply panicked", pe.Value)

	_, err = Apply(p, func(w *Worker) (int, error) { return 1, nil }, ChunkSize(3))
	assert.ErrorContains(t, err, "only Context, TaskTimeout, ProgressBar and CustomProgressBar apply")
}

// 10,000 concurrent ApplyAsync calls, some failing, mixed with maps on the
// same workers: every result right, every failure alone.
func TestApplyAsyncMany(t *testing.T) {
	p := newPool(t, Workers(2))
	const n = 10_000
	futs := make([]*Future[int], n)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < n; i += 4 {
				futs[i] = ApplyAsync(p, func(w *Worker) (int, error) {
					if i%1000 == 7 {
						return 0, errors.New("task 7 of its thousand fails")
					}
					return i * i, nil
				})
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			r, err := Map(p, slices.Collect(countTo(500)), square, ChunkSize(7))
			assert.NoError(t, err)
			assert.Equal(t, squares(500), r)
		}
	})
	wg.Wait()
	for i, f := range futs {
		r, err := f.Get()
		if i%1000 == 7 {
			assert.Error(t, err, "apply %d", i)
			continue
		}
		require.NoError(t, err, "apply %d", i)
		require.Equal(t, i*i, r, "apply %d", i)
		assert.True(t, f.Ready())
	}
}

func TestFutureWaitAndCallbacks(t *testing.T) {
	p := newPool(t, Workers(1))
	release := make(chan struct{})
	f := ApplyAsync(p, func(w *Worker) (string, error) { <-release; return "done", nil })
	assert.False(t, f.Ready())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := f.Wait(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "Wait gives up; the task goes on")
	var got []string
	var mu sync.Mutex
	f.Then(func(s string) { mu.Lock(); got = append(got, "success "+s); mu.Unlock() }, func(error) { t.Error("no error expected") })
	close(release)
	r, err := f.Wait(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "done", r)
	<-f.Done()
	f.Then(func(s string) { mu.Lock(); got = append(got, "late "+s); mu.Unlock() }, nil)
	mu.Lock()
	assert.Equal(t, []string{"success done", "late done"}, got)
	mu.Unlock()

	var failed atomic.Value
	g := ApplyAsync(p, func(w *Worker) (int, error) { return 0, errors.New("bad") }).Then(nil, func(err error) { failed.Store(err.Error()) })
	_, err = g.Get()
	require.Error(t, err)
	assert.Equal(t, err.Error(), failed.Load())
}

// An apply that times out fails alone, its worker is replaced, and the
// other applies and the pool carry on; a Context cancels queued applies.
func TestApplyTimeoutAndContext(t *testing.T) {
	p := newPool(t, Workers(2))
	s := newStuck(t, p)
	var err error
	within(t, 10*time.Second, "an apply past its timeout", func() {
		_, err = Apply(p, func(w *Worker) (int, error) { <-s.release; return 1, nil }, TaskTimeout(30*time.Millisecond))
	})
	var to *TimeoutError
	require.ErrorAs(t, err, &to)
	assert.Equal(t, 30*time.Millisecond, to.Limit)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	r, err := Apply(p, func(w *Worker) (int, error) { return 2, nil })
	require.NoError(t, err)
	assert.Equal(t, 2, r)

	// An apply whose context the task watches.
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	f := ApplyAsync(p, func(w *Worker) (int, error) {
		close(started)
		<-w.Context().Done()
		return 0, context.Cause(w.Context())
	}, Context(ctx))
	<-started
	cancel()
	_, err = f.Get()
	assert.ErrorIs(t, err, context.Canceled)
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	_, err = Apply(p, func(w *Worker) (int, error) { t.Error("must not run"); return 0, nil }, Context(done))
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 2, p.Workers())
}

func TestApplyOnClosedOrFromTask(t *testing.T) {
	p, err := New(Workers(1))
	require.NoError(t, err)
	r, err := MapFunc(p, []int{1}, func(w *Worker, x int) (error, error) {
		_, err := Apply(p, func(w *Worker) (int, error) { return 1, nil })
		return err, nil
	})
	require.NoError(t, err)
	assert.ErrorIs(t, r[0], ErrReentrant)
	require.NoError(t, p.Close())
	_, err = Apply(p, func(w *Worker) (int, error) { return 1, nil })
	assert.ErrorIs(t, err, ErrClosed)
}

// Terminate fails queued and running applies at once.
func TestTerminateFailsApplies(t *testing.T) {
	p, err := New(Workers(1))
	require.NoError(t, err)
	s := newStuck(t, p)
	running := ApplyAsync(p, func(w *Worker) (int, error) { <-s.release; return 1, nil })
	queued := ApplyAsync(p, func(w *Worker) (int, error) { return 2, nil })
	time.Sleep(10 * time.Millisecond)
	within(t, 10*time.Second, "Terminate with a stuck apply", func() { require.NoError(t, p.Terminate()) })
	_, err = running.Get()
	assert.ErrorIs(t, err, ErrTerminated)
	_, err = queued.Get()
	assert.True(t, errors.Is(err, ErrTerminated) || err == nil, "the queued apply either ran before Terminate or failed: %v", err)
}

// An apply with a custom bar completes it on success and aborts it on
// failure.
func TestApplyProgressBar(t *testing.T) {
	p := newPool(t, Workers(1))
	prog := mpb.New(mpb.WithOutput(io.Discard))
	ok := prog.AddBar(1)
	failed := prog.AddBar(1)
	_, err := Apply(p, func(w *Worker) (int, error) { return 1, nil }, CustomProgressBar(ok))
	require.NoError(t, err)
	_, err = Apply(p, func(w *Worker) (int, error) { return 0, errors.New("no") }, CustomProgressBar(failed))
	require.Error(t, err)
	prog.Wait()
	assert.True(t, ok.Completed())
	assert.True(t, failed.Aborted())
}
