package numapool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Apply runs f once on one of the pool's workers and returns its result
// (MPIRE's apply). It accepts the Context, TaskTimeout and progress-bar
// call options (a bar of one task); a
// failure (an error, a panic, runtime.Goexit, a timeout) is a *TaskError
// that names the worker, and fails this apply alone: other applies and maps
// on the pool carry on. Applies share the workers with maps; a worker takes
// an apply between two chunks. On a pool WithState, a worker without state
// runs init first: an init that fails or passes InitTimeout fails that
// apply alone with a *WorkerError, and the next apply tries init again.
//
// Cost: one lock to queue the task, one wake-up of a parked worker, and
// the Future (two allocations); the first apply after the pool ran none
// also registers the pool's apply queue as a call, and an apply that runs
// a worker's init also makes a call of its own for that init (a few
// allocations, once per worker thread).
func Apply[R any](p *Pool, f func(w *Worker) (R, error), opts ...CallOption) (R, error) {
	if p.reentrant() {
		var zero R
		return zero, ErrReentrant
	}
	return ApplyAsync(p, f, opts...).Get()
}

// ApplyAsync is Apply that returns at once with a Future of the result
// (MPIRE's apply_async). It does not check for reentrancy, as Apply does:
// a task that waits on a Future of its own pool may wait forever.
func ApplyAsync[R any](p *Pool, f func(w *Worker) (R, error), opts ...CallOption) *Future[R] {
	a := &applyOf[R]{f: f}
	a.Future.done = make(chan struct{})
	fut, t := &a.Future, &a.applyTask
	t.task = a
	var cc callConfig
	if len(opts) > 0 {
		var err error
		cc, err = callOptions(opts)
		if err == nil {
			err = applyOptions(&cc)
		}
		if err != nil {
			fut.complete(*new(R), err)
			return fut
		}
	}
	t.timeout = cc.taskTimeout
	if tr := startTracker(p, &cc, 1); tr != nil {
		// A bar of one task: full when it succeeds, stopped when it fails.
		fut.finished = func(err error) {
			if err == nil {
				tr.add(1)
			}
			tr.finish(err)
		}
	}
	if cc.ctx != nil {
		t.parent = cc.ctx
		if cc.ctx.Err() != nil {
			a.fail(context.Cause(cc.ctx))
			return fut
		}
		// Under fut.mu: a Context cancelled from here on runs stop on
		// AfterFunc's goroutine, whose complete reads release under
		// fut.mu too, so it waits for release to be set.
		fut.mu.Lock()
		stop := context.AfterFunc(cc.ctx, func() { t.stop(context.Cause(cc.ctx)) })
		fut.release = func() { stop() }
		fut.mu.Unlock()
	}
	if err := p.submitApply(t); err != nil {
		a.fail(err)
	}
	return fut
}

// applyOf is one apply with its future: one allocation for both.
type applyOf[R any] struct {
	Future[R]
	applyTask
	f func(w *Worker) (R, error)
}

func (a *applyOf[R]) fail(err error) bool { return a.complete(*new(R), err) }

func (a *applyOf[R]) run(w *Worker) {
	ended := false
	defer func() {
		if !ended {
			a.complete(*new(R), &TaskError{WorkerID: w.id, Arg: applyArg, Err: recovered(recover())})
		}
	}()
	r, err := a.f(w)
	ended = true
	if err != nil {
		a.complete(r, &TaskError{WorkerID: w.id, Arg: applyArg, Err: err})
		return
	}
	a.complete(r, nil)
}

// settled reports whether the future has its result or is getting it.
func (a *applyOf[R]) settled() bool { return a.state.Load() != 0 }

// applyRunner is the typed side of an applyTask.
type applyRunner interface {
	run(w *Worker)       // runs the function and completes the future
	fail(err error) bool // completes the future with err, once
	settled() bool       // the future is completed: the function must not run
}

// applyArg is what a TaskError of an apply shows as the argument.
const applyArg = "(apply)"

// applyOptions refuses the call options that mean nothing for one task.
func applyOptions(cc *callConfig) error {
	switch {
	case cc.chunkSize != 0, cc.iterableLen >= 0, cc.maxActive != 0, cc.lifespan != 0, cc.orderTasks:
		return errors.New("numapool: Apply and ApplyAsync run one task: of the call options only Context, TaskTimeout, ProgressBar and CustomProgressBar apply (ChunkSize, IterableLen, MaxTasksActive, WorkerLifespan and OrderTasks are for calls over many tasks)")
	}
	return nil
}

// Future is the result of an ApplyAsync, ready once its task has run,
// failed, timed out or been cancelled.
type Future[R any] struct {
	state    atomic.Int32 // 0 pending, 1 completing, 2 done
	done     chan struct{}
	r        R
	err      error
	release  func()          // stops watching the Context option; set under mu
	finished func(err error) // ends the progress bar, if any

	mu        sync.Mutex
	onSuccess []func(R)
	onError   []func(error)
}

// complete sets the result once; it reports whether this call did.
func (f *Future[R]) complete(r R, err error) bool {
	if !f.state.CompareAndSwap(0, 1) {
		return false
	}
	f.r, f.err = r, err
	f.mu.Lock()
	f.state.Store(2)
	succ, fail := f.onSuccess, f.onError
	f.onSuccess, f.onError = nil, nil
	release := f.release // set under mu (ApplyAsync)
	f.mu.Unlock()
	if release != nil {
		release()
	}
	if f.finished != nil {
		f.finished(err)
	}
	f.callbacks(succ, fail)
	close(f.done) // after the callbacks: Get returns once they ran
	return true
}

func (f *Future[R]) callbacks(succ []func(R), fail []func(error)) {
	if f.err == nil {
		for _, cb := range succ {
			cb(f.r)
		}
		return
	}
	for _, cb := range fail {
		cb(f.err)
	}
}

// Ready reports whether the result is there: Get will not block.
func (f *Future[R]) Ready() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// Done returns a channel closed when the result is ready.
func (f *Future[R]) Done() <-chan struct{} { return f.done }

// Get waits for the result and returns it with the task's error.
func (f *Future[R]) Get() (R, error) {
	<-f.done
	return f.r, f.err
}

// Wait is Get that gives up when ctx is done, returning ctx's error; the
// task itself goes on (cancel it with the Context call option instead).
func (f *Future[R]) Wait(ctx context.Context) (R, error) {
	select {
	case <-f.done:
		return f.r, f.err
	case <-ctx.Done():
		var zero R
		return zero, context.Cause(ctx)
	}
}

// Then registers callbacks for the result (MPIRE's callback and
// error_callback); either may be nil. They run once, on the goroutine that
// completes the future, before Get and Wait return: the worker that ran the
// task, right after it (so keep them short; a callback that calls into this
// pool gets ErrReentrant), or the timer or context goroutine of a timeout or
// cancellation; and on the goroutine calling Then when the result is
// already there.
func (f *Future[R]) Then(onSuccess func(R), onError func(error)) *Future[R] {
	f.mu.Lock()
	if f.state.Load() != 2 {
		if onSuccess != nil {
			f.onSuccess = append(f.onSuccess, onSuccess)
		}
		if onError != nil {
			f.onError = append(f.onError, onError)
		}
		f.mu.Unlock()
		return f
	}
	f.mu.Unlock()
	var succ []func(R)
	var fail []func(error)
	if onSuccess != nil {
		succ = append(succ, onSuccess)
	}
	if onError != nil {
		fail = append(fail, onError)
	}
	f.callbacks(succ, fail)
	return f
}

// applyTask is one queued apply.
type applyTask struct {
	task    applyRunner
	timeout time.Duration
	parent  context.Context // the Context option's, or nil

	mu     sync.Mutex
	worker *Worker         // the worker that took it from the queue
	job    *applyJob       // the queue it came from
	in     *jobBase        // what worker is inside for it: the queue, or its init's call
	ctx    context.Context // made on first use (Worker.Context)
	cancel context.CancelCauseFunc
	done   bool // ended: a context made now is already cancelled
}

// context returns the apply's context, made on first use.
func (t *applyTask) context() context.Context {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx == nil {
		parent := t.parent
		if parent == nil {
			parent = context.Background()
		}
		t.ctx, t.cancel = context.WithCancelCause(parent)
		if t.done {
			t.cancel(errCallEnded)
		}
	}
	return t.ctx
}

// end cancels the apply's context, if made, with cause err.
func (t *applyTask) end(err error) {
	t.mu.Lock()
	t.done = true
	if t.cancel != nil {
		t.cancel(err)
	}
	t.mu.Unlock()
}

// stop fails the task with err: dropped if still queued, abandoned with
// its worker if running (or running its worker's init). Whoever swaps the
// task out of its worker's curApply counts it finished: here, after the
// worker's replacement is counted among the pool's threads, so a Close
// that the failed caller starts at once waits for that thread.
func (t *applyTask) stop(err error) {
	if !t.task.fail(err) {
		return
	}
	t.end(err)
	t.mu.Lock()
	w, j, in := t.worker, t.job, t.in
	t.mu.Unlock()
	if w != nil && w.curApply.CompareAndSwap(t, nil) {
		// Still running it: the worker goes with it. (False when the
		// worker is between its init and the queue: it then sees the
		// task settled and runs nothing.)
		j.pool.abandonWorker(w, in)
		j.finished()
	}
}

// applyJob is the pool's queue of applies, registered as a call while it
// holds any. Workers take applies one at a time, between chunks of maps.
type applyJob struct {
	jobBase
	mu          sync.Mutex
	queue       []*applyTask
	outstanding int // queued or running; guarded by the pool's applyMu
}

func (j *applyJob) pending() bool {
	if j.stopped.Load() {
		return false
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.queue) > 0
}

// take pops the next apply and publishes it as w's (curApply), w being
// inside in for it; nil when the queue is empty.
func (j *applyJob) take(w *Worker, in *jobBase) *applyTask {
	j.mu.Lock()
	if len(j.queue) == 0 {
		j.mu.Unlock()
		return nil
	}
	t := j.queue[0]
	j.queue[0] = nil
	j.queue = j.queue[1:]
	j.mu.Unlock()
	t.mu.Lock()
	t.worker, t.job, t.in = w, j, in
	t.mu.Unlock()
	w.curApply.Store(t)
	return t
}

// settle counts t finished if w still holds it; otherwise whoever took it
// from w (stop) did or will.
func (j *applyJob) settle(w *Worker, t *applyTask) bool {
	if !w.curApply.CompareAndSwap(t, nil) {
		return false
	}
	j.finished()
	return true
}

func (j *applyJob) work(w *Worker) bool {
	if !j.pending() {
		return false
	}
	var first *applyTask
	if w.stateOf == nil && j.pool.hooks != nil {
		// The state's init runs for the first apply, outside the queue
		// (initFor): its failure fails that apply, not the queue.
		var in jobBase
		in.init(j.pool, &callConfig{})
		in.shared = j.shared
		if first = j.take(w, &in); first == nil {
			return false
		}
		if !j.initFor(w, first, &in) {
			return true
		}
	}
	defer j.leave(w)
	entered := j.enter(w)
	ran := false
	for t := first; ; t = nil {
		if t == nil {
			if !entered || j.stopped.Load() || w.inJob.Load() != &j.jobBase {
				break
			}
			if t = j.take(w, &j.jobBase); t == nil {
				break
			}
		}
		ran = true
		if !j.runOne(w, t) {
			break // abandoned: touch nothing more
		}
	}
	return ran
}

// initFor runs the state's init on w for t, the apply w took, inside a
// call of its own (in), which InitTimeout, the apply's Context and
// Terminate abandon w from. A failure fails t, and only t: the next apply
// starts a new init. It reports whether w got its state and may run t.
func (j *applyJob) initFor(w *Worker, t *applyTask, in *jobBase) (ok bool) {
	if j.stopped.Load() || t.task.settled() {
		// Terminated or cancelled while queued: runOne fails it, or
		// it failed already; the init waits for an apply that runs.
		if j.stopped.Load() {
			t.task.fail(j.stopErr())
		}
		j.settle(w, t)
		return false
	}
	// A failing init fails in, on w's goroutine; an init past InitTimeout
	// fails it from a timer and abandons w, which may never come back, so
	// t fails from here and is counted finished once w is out of in.
	ctx := in.context()
	unwatch := context.AfterFunc(ctx, func() {
		if !in.abandon.Load() {
			return // not a timeout: w's goroutine fails t below
		}
		t.task.fail(in.error())
		t.end(errCallEnded)
		in.wait(in.drained)
		j.settle(w, t)
	})
	in.enter(w)
	defer func() {
		// Also when init called runtime.Goexit: this runs as it unwinds.
		unwatch()
		in.leave(w)
		if ok && !w.lostJob {
			in.end()
			t.mu.Lock()
			t.in = &j.jobBase
			t.mu.Unlock()
			return
		}
		ok = false
		if !w.lostJob || in.abandon.Load() {
			// Init failed (an error, a panic, Goexit: in failed before
			// startState returned), or it ran past InitTimeout (the
			// timer fails in, if it has not yet). Otherwise stop
			// abandoned w, and t has its error.
			<-ctx.Done()
			t.task.fail(in.error())
		}
		in.end()
		j.settle(w, t)
	}()
	ok = w.startState(in)
	return ok
}

// runOne runs t on w with its own context and timeout; false means t was
// taken from w (stopped while running, and w abandoned). The apply counts
// as finished when runOne returns, also when its task calls
// runtime.Goexit, unless stop took it from w and counted it.
func (j *applyJob) runOne(w *Worker, t *applyTask) (kept bool) {
	defer func() { kept = j.settle(w, t) }()
	if t.task.settled() {
		return // cancelled while queued, or stopped during init: never run
	}
	if j.stopped.Load() {
		// Terminated between the take and here: Terminate may have looked
		// at the queue and the workers before this worker published t.
		t.task.fail(j.stopErr())
		return
	}
	if t.parent != nil && t.parent.Err() != nil {
		t.task.fail(context.Cause(t.parent)) // cancelled while queued: never run
		return
	}
	var timer *time.Timer
	if t.timeout > 0 {
		limit := t.timeout
		timer = time.AfterFunc(limit, func() {
			t.stop(&TaskError{WorkerID: w.id, Arg: applyArg, Err: &TimeoutError{Phase: "task", Limit: limit}})
		})
	}
	w.apply = t
	defer func() {
		w.apply = nil
		if timer != nil {
			timer.Stop()
		}
		t.end(errCallEnded)
	}()
	t.task.run(w)
	return
}

// stopErr is the error of the stopped queue (Terminate's).
func (j *applyJob) stopErr() error {
	if err := j.error(); err != nil {
		return err
	}
	return ErrTerminated
}

// finished counts an apply done; the last outstanding one takes the queue
// off the pool's calls.
func (j *applyJob) finished() {
	p := j.pool
	p.applyMu.Lock()
	j.outstanding--
	last := j.outstanding == 0 && p.applies == j
	if last {
		p.applies = nil
	}
	p.applyMu.Unlock()
	if last {
		p.endCall(j)
	}
}

// submitApply queues t, registering the apply queue as a call if needed.
func (p *Pool) submitApply(t *applyTask) error {
	p.mu.Lock()
	open := p.state == poolOpen
	p.mu.Unlock()
	if !open {
		return ErrClosed
	}
	p.applyMu.Lock()
	j := p.applies
	if j == nil {
		j = &applyJob{}
		j.init(p, &callConfig{})
		if err := p.beginCall(j); err != nil {
			p.applyMu.Unlock()
			return err
		}
		p.applies = j
	}
	j.outstanding++
	j.mu.Lock()
	j.queue = append(j.queue, t)
	j.mu.Unlock()
	p.applyMu.Unlock()
	p.notifyOne()
	return nil
}

// failApplies fails every queued apply with err and takes the queue off
// the pool's calls (Terminate).
func (p *Pool) failApplies(err error) {
	p.applyMu.Lock()
	j := p.applies
	p.applies = nil
	p.applyMu.Unlock()
	if j == nil {
		return
	}
	j.mu.Lock()
	stop := j.queue
	j.queue = nil
	j.mu.Unlock()
	for id := range p.slots {
		if w := p.slots[id].Load(); w != nil {
			if t := w.curApply.Load(); t != nil {
				stop = append(stop, t)
			}
		}
	}
	for _, t := range stop {
		t.stop(err) // queued: dropped; running: abandoned with its worker
	}
	j.waitDrained()
	p.endCall(j)
}
