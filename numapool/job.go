package numapool

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
)

// callerSpins is how many times a waiting caller looks for results before
// it parks, when the pool leaves it a P of its own.
const callerSpins = 4096

// A job is one call (Map, IMap, ...) as the workers see it. Workers visit
// the pool's jobs in turn; work runs chunks of the job for as long as some
// are ready and reports whether it ran any. There is one interface call per
// visit, none per chunk or task.
type job interface {
	base() *jobBase
	work(w *Worker) bool
	pending() bool // chunks are waiting to be taken
}

// jobBase is the state every job shares: cancellation, its first error, and
// the count of workers inside it.
type jobBase struct {
	pool     *Pool
	epoch    uint64 // 0 when workers persist across calls
	lifespan int
	shared   *sharedObjects
	caller   uint64   // goroutine running the call's generator and loop body (0: none)
	progress *tracker // counts finished tasks for a progress bar; nil when off

	stopped atomic.Bool // no new chunk may start; read by every worker
	_       cacheLinePad
	inside  atomic.Int32 // workers inside work(); written on every visit
	_       cacheLinePad

	errMu sync.Mutex
	err   error

	// waiter is the goroutine that waits for the job; it parks on wake
	// when waiting is set, and whoever clears waiting sends one token.
	waiting atomic.Bool
	wake    chan struct{}
}

func (b *jobBase) base() *jobBase { return b }

func (b *jobBase) init(p *Pool, cc *callConfig) {
	b.pool = p
	b.lifespan = cc.lifespan
	b.wake = make(chan struct{}, 1)
}

// enter marks a worker inside the job and reports whether it may take
// chunks; every enter is paired with leave.
func (b *jobBase) enter(w *Worker) bool {
	b.inside.Add(1)
	if b.stopped.Load() {
		return false
	}
	w.shared = b.shared.perWorker[w.id]
	return true
}

// leave marks a worker out of the job and wakes the waiter if it may be
// waiting for that.
func (b *jobBase) leave() {
	b.inside.Add(-1)
	b.signal()
}

// fail records err as the job's error if it has none yet and stops it.
func (b *jobBase) fail(err error) {
	b.errMu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.errMu.Unlock()
	b.stopped.Store(true)
	b.signal()
}

// error returns the job's first error.
func (b *jobBase) error() error {
	b.errMu.Lock()
	defer b.errMu.Unlock()
	return b.err
}

// signal wakes the waiting goroutine if it is parked: one atomic load when
// it is not.
func (b *jobBase) signal() {
	if b.waiting.Load() && b.waiting.CompareAndSwap(true, false) {
		b.wake <- struct{}{}
	}
}

// wait parks the waiting goroutine until ready returns true. ready is
// checked after the waiting flag is raised, so a signal cannot be lost.
func (b *jobBase) wait(ready func() bool) {
	if b.pool.spin {
		// Workers leave a P free, so this goroutine has one: look again
		// for a while before parking, since a worker's wake-up would put
		// it on that worker's own P, where it waits until the worker
		// stops.
		for i := range callerSpins {
			if ready() {
				return
			}
			if i%16 == 15 {
				runtime.Gosched()
			}
		}
	}
	for !ready() {
		b.waiting.Store(true)
		if ready() {
			if !b.waiting.CompareAndSwap(true, false) {
				<-b.wake // a signaller won the flag and is sending
			}
			return
		}
		<-b.wake
	}
}

// drained reports whether the job is stopped and no worker is inside it,
// so nothing will touch its input or output any more.
func (b *jobBase) drained() bool { return b.stopped.Load() && b.inside.Load() == 0 }

// watch stops the job when ctx is done; the returned function releases
// the watch.
func (b *jobBase) watch(ctx context.Context) func() bool {
	if ctx == nil || ctx.Done() == nil {
		return func() bool { return true }
	}
	if ctx.Err() != nil {
		// Already done: stop before any worker starts, rather than when
		// AfterFunc's goroutine gets to run.
		b.fail(context.Cause(ctx))
	}
	return context.AfterFunc(ctx, func() { b.fail(context.Cause(ctx)) })
}

// taskFailed records the failure of task i (argument arg) on worker w:
// err is the task's error, a *PanicError, or ErrGoexit (see recovered).
func (b *jobBase) taskFailed(w *Worker, i int, arg any, err error) {
	b.fail(&TaskError{WorkerID: w.id, Index: i, Arg: shortArg(arg), Err: err})
}

// recovered turns what recover returned into the task's error.
func recovered(r any) error {
	if r == nil {
		return ErrGoexit
	}
	return newPanicError(r)
}

// errStopped is the error of a job stopped without a recorded cause; it
// never reaches users.
var errStopped = errors.New("numapool: call stopped")
