package numapool

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
	"unsafe"
)

// WorkerState is per-worker state of type S, made by an init function on
// each worker's own thread and handed to every task that thread runs
// (MPIRE's worker_state with worker_init and worker_exit). Make one with
// NewWorkerState, give it to a pool with WithState, and reach it from a task
// with Of:
//
//	tables := numapool.NewWorkerState(func(w *numapool.Worker) (Table, error) {
//		return buildTable(), nil // on the worker's pinned thread
//	}, nil)
//	p, err := numapool.New(numapool.WithState(tables))
//	...
//	numapool.MapFunc(p, xs, func(w *numapool.Worker, x int) (int, error) {
//		return tables.Of(w).Lookup(x), nil
//	})
//
// State lives as long as the worker's thread: the thread's first task runs
// init (a worker that gets no task never does), and when the thread ends
// (WorkerLifespan, FreshWorkersPerCall, Close, Terminate, a task that called
// runtime.Goexit) exit runs on it with the state. Workers persist across
// calls by default, so init runs once per worker for the pool's life.
//
// Because init runs on the worker's pinned thread, memory it first touches
// (a slice it fills, an shm array with the shm.Local policy) lands on the
// worker's NUMA node.
type WorkerState[S any] struct {
	stateHooks
}

// stateHooks is the untyped side of a WorkerState, which the pool keeps.
type stateHooks struct {
	init func(w *Worker) (unsafe.Pointer, error)
	exit func(w *Worker, s unsafe.Pointer) (any, error)

	// dropped, for tests, is told of each state whose init returned
	// after InitTimeout had fired: no task sees it and no exit runs.
	dropped func(w *Worker, s unsafe.Pointer)
}

// NewWorkerState returns per-worker state made by init on each worker's
// thread before its first task. exit, which may be nil, runs on the thread
// when it ends, with the state; what it returns is collected by the pool
// (Pool.ExitResults), and its error is returned by the call or Close during
// which it ran.
func NewWorkerState[S any](init func(w *Worker) (S, error), exit func(w *Worker, s *S) (any, error)) *WorkerState[S] {
	ws := &WorkerState[S]{}
	ws.init = func(w *Worker) (unsafe.Pointer, error) {
		s, err := init(w)
		if err != nil {
			return nil, err
		}
		return unsafe.Pointer(&s), nil
	}
	if exit != nil {
		ws.exit = func(w *Worker, s unsafe.Pointer) (any, error) { return exit(w, (*S)(s)) }
	}
	return ws
}

// Of returns the state of w, the worker running the calling task. Cost:
// one comparison and one pointer load, no type assertion. It panics when
// w's pool was made without this state, or when called outside a task
// (before w's init ran).
func (ws *WorkerState[S]) Of(w *Worker) *S {
	if w.stateOf != &ws.stateHooks {
		panic("numapool: WorkerState.Of: this worker's pool was not made with WithState for this state (or the call is outside a task)")
	}
	return (*S)(w.state)
}

func (ws *WorkerState[S]) hooks() *stateHooks { return &ws.stateHooks }

// WithState gives the pool's workers the per-worker state ws. A pool has
// at most one WorkerState; put several values in one struct.
func WithState[S any](ws *WorkerState[S]) Option {
	return func(c *poolConfig) error {
		if ws == nil {
			return errors.New("numapool: WithState(nil): make the state with numapool.NewWorkerState")
		}
		if c.state != nil {
			return errors.New("numapool: WithState given twice: a pool has one worker state; put several values in one struct")
		}
		c.state = ws.hooks()
		return nil
	}
}

// WorkerError is the failure of a worker's init or exit function, or its
// timeout: it names the worker and the phase. errors.Is and errors.As reach
// the function's own error (or a *PanicError, or ErrGoexit) through Unwrap.
type WorkerError struct {
	WorkerID int    // the worker whose function failed
	Phase    string // "init" or "exit"
	Err      error
}

func (e *WorkerError) Error() string {
	return fmt.Sprintf("numapool: worker %d %s: %v", e.WorkerID, e.Phase, e.Err)
}

func (e *WorkerError) Unwrap() error { return e.Err }

// ExitResult is what one worker thread's exit function returned.
type ExitResult struct {
	WorkerID int // the worker
	Thread   int // how many threads of this worker ID ended before this one
	Value    any // exit's first result
}

// ExitResults returns the exit results collected since the last call to
// ExitResults (MPIRE's get_exit_results), ordered by worker ID and then by
// the order in which that worker's threads ended. Exits run when a thread
// ends: after WorkerLifespan chunks, before a call under
// FreshWorkersPerCall, and at Close or Terminate, so read them after those.
func (p *Pool) ExitResults() []ExitResult {
	p.exitMu.Lock()
	out := p.exits
	p.exits = nil
	p.exitMu.Unlock()
	slices.SortStableFunc(out, func(a, b ExitResult) int {
		if a.WorkerID != b.WorkerID {
			return a.WorkerID - b.WorkerID
		}
		return a.Thread - b.Thread
	})
	return out
}

// startState runs the state's init on w's thread if it has not run yet.
// An error (or a panic, or runtime.Goexit in init) fails job b with a
// *WorkerError; false means w must not run tasks of b.
func (w *Worker) startState(b *jobBase) (ok bool) {
	p := w.pool
	h := p.hooks
	t0 := time.Now()
	var running atomic.Bool // init has not returned, nor timed out
	if limit := p.initTimeout; limit > 0 {
		running.Store(true)
		t := time.AfterFunc(limit, func() {
			if running.CompareAndSwap(true, false) {
				b.abandon.Store(true)
				b.fail(&WorkerError{WorkerID: w.id, Phase: "init", Err: &TimeoutError{Phase: "init", Limit: limit}})
				p.abandonWorker(w, b)
			}
		})
		defer t.Stop()
	}
	ended := false
	defer func() {
		if !ended {
			b.fail(&WorkerError{WorkerID: w.id, Phase: "init", Err: recovered(recover())})
		}
	}()
	s, err := h.init(w)
	ended = true
	if p.initTimeout > 0 && !running.CompareAndSwap(true, false) {
		// Timed out: this worker was abandoned; s is dropped.
		if h.dropped != nil && err == nil {
			h.dropped(w, s)
		}
		return false
	}
	if err != nil {
		b.fail(&WorkerError{WorkerID: w.id, Phase: "init", Err: err})
		return false
	}
	w.state, w.stateOf = s, h
	w.pool.insights.initDone(w.id, time.Since(t0))
	return true
}

// endState runs the state's exit on w's thread, if init ran on it, and
// records the result. Its error goes to job b when the exit runs inside a
// call (a lifespan ending), and otherwise to Close.
func (w *Worker) endState(b *jobBase) {
	p := w.pool
	if w.stateOf == nil {
		return
	}
	s := w.state
	w.state, w.stateOf = nil, nil
	if p.hooks.exit == nil {
		return
	}
	t0 := time.Now()
	var (
		v       any
		err     error
		running atomic.Bool // exit has not returned, nor timed out
	)
	// Whether this thread still counts as one of the pool's, as its own
	// goroutine sees it now: a call that abandoned it (its task ran past a
	// limit, or this exit's call timed out) has replaced it already.
	owned := !w.wasAbandoned()
	if limit := p.exitTimeout; limit > 0 {
		running.Store(true)
		t := time.AfterFunc(limit, func() {
			if !running.CompareAndSwap(true, false) {
				return
			}
			terr := &WorkerError{WorkerID: w.id, Phase: "exit", Err: &TimeoutError{Phase: "exit", Limit: limit}}
			if b != nil {
				b.abandon.Store(true)
				b.fail(terr)
				p.abandonWorker(w, b)
				return
			}
			p.exitMu.Lock()
			p.exitErrs = append(p.exitErrs, terr)
			p.exitMu.Unlock()
			// Not inside a call: the thread is ending (Goexit in a task,
			// a lifespan or FreshWorkersPerCall handover, Close or
			// Terminate). Count it out of the pool's threads, so Close
			// stops waiting for it, and start its replacement now, as
			// the goroutine would after the exit: it skips that once it
			// sees itself abandoned. The replacement is counted in
			// before this thread is counted out, so the count cannot
			// touch zero in between (a WaitGroup Add from zero must not
			// race with Close's Wait); at Close or Terminate, replace
			// starts nothing.
			if owned && w.abandoned.CompareAndSwap(false, true) {
				p.abandonedThreads.Add(1)
				p.replace(w)
				p.threads.Done()
			}
		})
		defer t.Stop()
	}
	func() {
		ended := false
		defer func() {
			if !ended {
				err = recovered(recover())
			}
		}()
		v, err = p.hooks.exit(w, s)
		ended = true
	}()
	if p.exitTimeout > 0 && !running.CompareAndSwap(true, false) {
		return // timed out: reported, and the result dropped
	}
	p.insights.exitDone(w.id, time.Since(t0))
	p.exitMu.Lock()
	p.exits = append(p.exits, ExitResult{WorkerID: w.id, Thread: p.threadsEnded[w.id], Value: v})
	p.threadsEnded[w.id]++
	if err != nil {
		err = &WorkerError{WorkerID: w.id, Phase: "exit", Err: err}
		if b == nil {
			p.exitErrs = append(p.exitErrs, err)
		}
	}
	p.exitMu.Unlock()
	if err != nil && b != nil {
		b.fail(err)
	}
}

// takeExitErrors returns, and forgets, the exit errors no call returned.
func (p *Pool) takeExitErrors() error {
	p.exitMu.Lock()
	defer p.exitMu.Unlock()
	err := errors.Join(p.exitErrs...)
	p.exitErrs = nil
	return err
}
