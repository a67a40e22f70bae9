package numapool

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
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
	caller   uint64        // goroutine running the call's generator and loop body (0: none)
	progress *tracker      // counts finished tasks for a progress bar; nil when off
	timeout  time.Duration // TaskTimeout; 0 for none

	// abandon is set when the call must return promptly (a timeout, its
	// context, Terminate): workers still inside it after abandonGrace are
	// abandoned (see abandonInside).
	abandon atomic.Bool

	// The call's context, made on first use (Worker.Context): a child of
	// the Context option's, cancelled when the call stops or ends.
	ctxMu     sync.Mutex
	parentCtx context.Context
	ctx       context.Context
	cancel    context.CancelCauseFunc
	ended     bool // the call returned: its context is cancelled

	// argOf formats the argument of the task w runs (for timeout errors).
	argOf func(w *Worker, index int) string

	stopped atomic.Bool // no new chunk may start; read by every worker
	_       [64]byte
	inside  atomic.Int32 // workers inside work(); written on every visit
	_       [64]byte

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
	b.timeout = cc.taskTimeout
	b.parentCtx = cc.ctx
	b.wake = make(chan struct{}, 1)
}

// enter marks a worker inside the job and reports whether it may take
// chunks; every enter is paired with leave.
func (b *jobBase) enter(w *Worker) bool {
	b.inside.Add(1)
	w.inJob.Store(b)
	w.job = b
	if b.stopped.Load() {
		return false
	}
	w.shared = b.shared.perWorker[w.id]
	return true
}

// leave marks a worker out of the job and wakes the waiter if it may be
// waiting for that.
func (b *jobBase) leave(w *Worker) {
	w.job = nil
	if w.inJob.CompareAndSwap(b, nil) {
		b.inside.Add(-1)
		b.signal()
		return
	}
	// The call abandoned w and took its place (abandonWorker).
	w.lostJob = true
}

// fail records err as the job's error if it has none yet and stops it.
func (b *jobBase) fail(err error) {
	b.errMu.Lock()
	if b.err == nil {
		b.err = err
	}
	b.errMu.Unlock()
	b.stopped.Store(true)
	b.cancelContext(err)
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

// context returns the call's context, making it on first use.
func (b *jobBase) context() context.Context {
	b.ctxMu.Lock()
	defer b.ctxMu.Unlock()
	if b.ctx == nil {
		parent := b.parentCtx
		if parent == nil {
			parent = context.Background()
		}
		b.ctx, b.cancel = context.WithCancelCause(parent)
		if b.ended {
			b.cancel(errCallEnded)
		} else if err := b.error(); err != nil {
			b.cancel(err)
		}
	}
	return b.ctx
}

// cancelContext cancels the call's context, if it was made, with cause err.
func (b *jobBase) cancelContext(err error) {
	b.ctxMu.Lock()
	if b.cancel != nil {
		b.cancel(err)
	}
	b.ctxMu.Unlock()
}

// end marks the call returned: its context is done from now on.
func (b *jobBase) end() {
	b.ctxMu.Lock()
	b.ended = true
	if b.cancel != nil {
		b.cancel(errCallEnded)
	}
	b.ctxMu.Unlock()
}

// errCallEnded is the cause of a call's context once the call returned.
var errCallEnded = errors.New("numapool: the call returned")

// abandonGrace is how long a call that must return promptly waits for its
// workers to leave before it abandons them: long enough for tasks that
// watch their context to return, short next to any timeout a user sets.
const abandonGrace = 10 * time.Millisecond

// waitDrained waits until no worker is inside the stopped job. When the
// job must return promptly (b.abandon), it waits at most abandonGrace and
// then abandons the workers still inside: each is replaced by a fresh
// thread with its ID and CPUs, and runs on, detached, until its task
// returns. Without it (an early break, a task error), it waits for the
// running tasks to return.
func (b *jobBase) waitDrained() {
	if !b.abandon.Load() {
		b.wait(b.drained)
		return
	}
	deadline := time.Now().Add(abandonGrace)
	for !b.drained() {
		if time.Now().After(deadline) {
			b.abandonInside()
			// Left: workers between enter and leave, none in a task. Poll:
			// Terminate and the call's own goroutine may both wait here,
			// and the job's wake-up channel has room for one waiter.
			for !b.drained() {
				time.Sleep(10 * time.Microsecond)
			}
			return
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// abandonInside abandons every worker still inside the job.
func (b *jobBase) abandonInside() {
	p := b.pool
	for id := range p.slots {
		if w := p.slots[id].Load(); w != nil && w.inJob.Load() == b {
			p.abandonWorker(w, b)
		}
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
		b.abandon.Store(true)
		b.fail(context.Cause(ctx))
	}
	return context.AfterFunc(ctx, func() {
		b.abandon.Store(true)
		b.fail(context.Cause(ctx))
	})
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
