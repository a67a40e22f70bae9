package numapool

import "sync/atomic"

// eachJob runs a function once on every worker of the pool, each on its
// own pinned thread (RunParallel's bodies).
type eachJob struct {
	jobBase
	run     func(w *Worker) error
	claimed []atomic.Bool // per worker ID
	left    atomic.Int32  // workers that have not finished
}

func (j *eachJob) pending() bool { return !j.stopped.Load() && j.left.Load() > 0 }

func (j *eachJob) work(w *Worker) bool {
	if !j.pending() || j.claimed[w.id].Load() || !j.claimed[w.id].CompareAndSwap(false, true) {
		return false
	}
	defer j.leave(w)
	if !j.enter(w) {
		return false
	}
	if w.stateOf == nil && j.pool.hooks != nil && !w.startState(&j.jobBase) {
		return false
	}
	ended := false
	defer func() {
		if !ended {
			j.taskFailed(w, w.id, eachArg{}, recovered(recover()))
		}
		if j.left.Add(-1) == 0 {
			j.stopped.Store(true)
		}
	}()
	if err := j.run(w); err != nil {
		j.taskFailed(w, w.id, eachArg{}, err)
	}
	ended = true
	return true
}

// eachArg names the body of a run on every worker in a TaskError.
type eachArg struct{}

func (eachArg) String() string { return "(body run on every worker)" }

// onEachWorker runs f once on every worker and waits for all of them;
// the first error ends it with a *TaskError whose Index is the worker ID.
func onEachWorker(p *Pool, f func(w *Worker) error) error {
	j := &eachJob{run: f, claimed: make([]atomic.Bool, p.n)}
	j.init(p, &callConfig{})
	j.left.Store(int32(p.n))
	if err := p.beginCall(j); err != nil {
		return err
	}
	defer p.endCall(j)
	p.notify()
	j.wait(j.drained)
	return j.error()
}
