package numapool

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/csrc"
)

// scratch is a per-worker state: the thread that made it, and a counter.
type scratch struct {
	tid   int
	tasks int
}

// Init runs once per worker thread, on that thread, before its first task;
// the state persists across calls; exit runs on the same thread at Close
// and its results come back ordered by worker ID.
func TestWorkerStateInitOncePerThread(t *testing.T) {
	var inits atomic.Int32
	st := NewWorkerState(func(w *Worker) (scratch, error) {
		inits.Add(1)
		return scratch{tid: csrc.ThreadID()}, nil
	}, func(w *Worker, s *scratch) (any, error) {
		if s.tid != csrc.ThreadID() {
			return nil, errors.New("exit ran on another thread")
		}
		return s.tasks, nil
	})
	p, err := New(Workers(2), WithState(st))
	require.NoError(t, err)
	total := 0
	for range 5 {
		r, err := MapFunc(p, slices.Collect(countTo(100)), func(w *Worker, x int) (int, error) {
			s := st.Of(w)
			if s.tid != csrc.ThreadID() {
				return 0, errors.New("state of another thread")
			}
			s.tasks++
			return x * x, nil
		}, ChunkSize(5))
		require.NoError(t, err)
		assert.Equal(t, squares(100), r)
		total += 100
	}
	assert.LessOrEqual(t, inits.Load(), int32(2), "one init per worker thread, lazily")
	assert.Empty(t, p.ExitResults(), "no thread ended yet")
	require.NoError(t, p.Close())
	exits := p.ExitResults()
	require.Len(t, exits, int(inits.Load()))
	sum := 0
	for i, e := range exits {
		if i > 0 {
			assert.Less(t, exits[i-1].WorkerID, e.WorkerID, "ordered by worker ID")
		}
		sum += e.Value.(int)
	}
	assert.Equal(t, total, sum, "every task counted in exactly one worker's state")
	assert.Empty(t, p.ExitResults(), "ExitResults drains")
}

// A worker that gets no task never runs init.
func TestWorkerStateInitIsLazy(t *testing.T) {
	var inits atomic.Int32
	st := NewWorkerState(func(w *Worker) (int, error) { inits.Add(1); return w.ID(), nil }, nil)
	p := newPool(t, Workers(3), WithState(st))
	r, err := MapFunc(p, []int{7}, func(w *Worker, x int) (int, error) { return *st.Of(w)*0 + x, nil })
	require.NoError(t, err)
	assert.Equal(t, []int{7}, r)
	assert.Equal(t, int32(1), inits.Load())
}

// Lifespan recycling and FreshWorkersPerCall start state afresh: exit then
// init on the new thread; exit results are ordered by worker and thread.
func TestWorkerStateFollowsThreads(t *testing.T) {
	var mu sync.Mutex
	var inits []int
	st := NewWorkerState(func(w *Worker) (int, error) {
		mu.Lock()
		inits = append(inits, csrc.ThreadID())
		mu.Unlock()
		return csrc.ThreadID(), nil
	}, func(w *Worker, tid *int) (any, error) { return *tid, nil })
	p, err := New(Workers(1), WithState(st))
	require.NoError(t, err)
	_, err = MapFunc(p, slices.Collect(countTo(10)), func(w *Worker, x int) (int, error) {
		return *st.Of(w), nil
	}, ChunkSize(1), WorkerLifespan(2))
	require.NoError(t, err)
	exits := p.ExitResults()
	require.Len(t, exits, 5, "10 chunks, 2 per thread: 5 threads ended inside the call")
	for i, e := range exits {
		assert.Equal(t, 0, e.WorkerID)
		assert.Equal(t, i, e.Thread)
		assert.Equal(t, inits[i], e.Value, "exit got the state its thread's init made")
	}
	require.NoError(t, p.Close())

	fresh := 0
	st2 := NewWorkerState(func(w *Worker) (int, error) { fresh++; return 0, nil }, nil)
	q, err := New(Workers(1), FreshWorkersPerCall(), WithState(st2))
	require.NoError(t, err)
	for range 3 {
		_, err := MapFunc(q, []int{1}, func(w *Worker, x int) (int, error) { return *st2.Of(w), nil })
		require.NoError(t, err)
	}
	require.NoError(t, q.Close())
	assert.Equal(t, 3, fresh, "a fresh thread, and a fresh state, per call")
}

// An init error fails the call that triggered it, naming the worker; the
// pool stays usable and init is tried again on the next call.
func TestWorkerStateInitError(t *testing.T) {
	boom := errors.New("no table")
	var fail atomic.Bool
	fail.Store(true)
	st := NewWorkerState(func(w *Worker) (int, error) {
		if fail.Load() {
			return 0, boom
		}
		return 42, nil
	}, nil)
	p := newPool(t, Workers(1), WithState(st))
	_, err := MapFunc(p, []int{1, 2}, func(w *Worker, x int) (int, error) { return *st.Of(w), nil })
	var we *WorkerError
	require.ErrorAs(t, err, &we)
	assert.Equal(t, 0, we.WorkerID)
	assert.Equal(t, "init", we.Phase)
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, "numapool: worker 0 init: no table", err.Error())
	for _, err := range IMap(p, []int{1}, square) {
		assert.ErrorIs(t, err, boom, "lazy calls fail the same way")
	}
	fail.Store(false)
	r, err := MapFunc(p, []int{1, 2}, func(w *Worker, x int) (int, error) { return *st.Of(w), nil })
	require.NoError(t, err)
	assert.Equal(t, []int{42, 42}, r)

	st3 := NewWorkerState(func(w *Worker) (int, error) { panic("init panicked") }, nil)
	q := newPool(t, Workers(1), WithState(st3))
	err = For(q, 10, func(lo, hi int) {})
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "init panicked", pe.Value)
}

// An exit error is returned by the call during which it ran (a lifespan
// ending) or by Close.
func TestWorkerStateExitErrors(t *testing.T) {
	boom := errors.New("flush failed")
	st := NewWorkerState(func(w *Worker) (int, error) { return 0, nil },
		func(w *Worker, s *int) (any, error) { return nil, boom })
	p, err := New(Workers(1), WithState(st))
	require.NoError(t, err)
	_, err = Map(p, slices.Collect(countTo(4)), square, ChunkSize(2), WorkerLifespan(2))
	var we *WorkerError
	require.ErrorAs(t, err, &we, "the lifespan ended inside this call")
	assert.Equal(t, "exit", we.Phase)
	assert.ErrorIs(t, err, boom)
	_, err = Map(p, []int{1}, square)
	require.NoError(t, err, "a fresh thread serves the next call")
	err = p.Close()
	require.ErrorAs(t, err, &we, "Close returns the exit error of the last thread")
	assert.ErrorIs(t, err, boom)
	assert.NoError(t, p.Close(), "reported once")
}

func TestWorkerStateMisuse(t *testing.T) {
	a := NewWorkerState(func(w *Worker) (int, error) { return 1, nil }, nil)
	b := NewWorkerState(func(w *Worker) (int, error) { return 2, nil }, nil)
	_, err := New(WithState(a), WithState(b))
	assert.ErrorContains(t, err, "WithState given twice")
	var none *WorkerState[int]
	_, err = New(WithState(none))
	assert.ErrorContains(t, err, "WithState(nil)")
	p := newPool(t, Workers(1), WithState(a))
	_, err = MapFunc(p, []int{1}, func(w *Worker, x int) (int, error) { return *b.Of(w), nil })
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Error(), "not made with WithState for this state")
}

// OrderTasks: MPIRE's example, values 1..20 on 4 workers in chunks of 3,
// on every call kind that takes a slice or a sequence, and again on a
// second call of the same pool.
func TestOrderTasks(t *testing.T) {
	p := newPool(t, Workers(4))
	in := make([]int, 20)
	for i := range in {
		in[i] = i + 1
	}
	want := map[int][]int{0: {1, 2, 3, 13, 14, 15}, 1: {4, 5, 6, 16, 17, 18}, 2: {7, 8, 9, 19, 20}, 3: {10, 11, 12}}
	check := func(name string, run func(rec func(w *Worker, x int)) error) {
		for range 2 {
			var mu sync.Mutex
			got := map[int][]int{}
			err := run(func(w *Worker, x int) {
				mu.Lock()
				got[w.ID()] = append(got[w.ID()], x)
				mu.Unlock()
			})
			require.NoError(t, err, name)
			for id := range got {
				slices.Sort(got[id])
			}
			assert.Equal(t, want, got, name)
		}
	}
	task := func(rec func(*Worker, int)) func(w *Worker, x int) (int, error) {
		return func(w *Worker, x int) (int, error) { rec(w, x); return x, nil }
	}
	check("MapFunc", func(rec func(*Worker, int)) error {
		_, err := MapFunc(p, in, task(rec), ChunkSize(3), OrderTasks())
		return err
	})
	check("MapFunc/seq", func(rec func(*Worker, int)) error {
		_, err := MapFunc(p, slices.Values(in), task(rec), ChunkSize(3), OrderTasks())
		return err
	})
	check("IMapFunc", func(rec func(*Worker, int)) error {
		for _, err := range IMapFunc(p, in, task(rec), ChunkSize(3), OrderTasks()) {
			if err != nil {
				return err
			}
		}
		return nil
	})
	check("IMapUnorderedFunc/seq", func(rec func(*Worker, int)) error {
		for _, err := range IMapUnorderedFunc(p, slices.Values(in), task(rec), ChunkSize(3), OrderTasks()) {
			if err != nil {
				return err
			}
		}
		return nil
	})
	check("ForFunc", func(rec func(*Worker, int)) error {
		return ForFunc(p, 20, func(w *Worker, lo, hi int) error {
			for i := lo; i < hi; i++ {
				rec(w, in[i])
			}
			return nil
		}, ChunkSize(3), OrderTasks())
	})
}
