package numapool

import (
	"errors"
	"sync/atomic"
)

// sliceJob runs a call over a slice whose results go straight into their
// slots of the output (Map and MapUnordered over slices). Workers take
// chunks themselves: one atomic add on a shared cursor per chunk, no
// descriptor, no queue, no allocation per task or per chunk.
type sliceJob struct {
	jobBase
	n, size, chunks int64
	run             func(w *Worker, lo, hi int) bool // runs tasks lo..hi-1

	_      cacheLinePad
	next   atomic.Int64 // next chunk to take
	_      cacheLinePad
	done   atomic.Int64 // chunks finished
	credit atomic.Int64 // tasks that may still be taken, when limited
	limit  bool         // MaxTasksActive can bind

	byWorker []workerCursor // OrderTasks: each worker's next chunk
}

// workerCursor is one worker's next chunk under OrderTasks, on its own
// cache line.
type workerCursor struct {
	next atomic.Int64
	_    cacheLinePad
}

// orderTasks sets up j to hand chunk i to worker i mod n.
func (j *sliceJob) orderTasks(n int) {
	j.byWorker = make([]workerCursor, n)
	for id := range j.byWorker {
		j.byWorker[id].next.Store(int64(id))
	}
}

func (j *sliceJob) pending() bool {
	if j.byWorker != nil {
		return !j.stopped.Load() && j.done.Load() < j.chunks
	}
	return !j.stopped.Load() && j.next.Load() < j.chunks
}

// take returns the next chunk number for w: from the shared cursor, or
// under OrderTasks from w's own sequence id, id+n, id+2n, ...
func (j *sliceJob) take(w *Worker) int64 {
	if j.byWorker != nil {
		n := int64(len(j.byWorker))
		return j.byWorker[w.id].next.Add(n) - n
	}
	return j.next.Add(1) - 1
}

func (j *sliceJob) work(w *Worker) bool {
	if !j.pending() {
		return false
	}
	ran, completed := 0, int64(0)
	defer func() {
		// Also runs when a task called runtime.Goexit.
		if completed > 0 && j.done.Add(completed) == j.chunks {
			j.stopped.Store(true)
		}
		j.leave(w)
	}()
	if !j.enter(w) {
		return false
	}
	for !j.stopped.Load() {
		if j.limit && !j.takeCredit() {
			break
		}
		c := j.take(w)
		if c >= j.chunks {
			if j.limit {
				j.credit.Add(j.size)
			}
			break
		}
		lo := c * j.size
		hi := min(lo+j.size, j.n)
		ran++
		if w.stateOf == nil && j.pool.hooks != nil && !w.startState(&j.jobBase) {
			break
		}
		if j.run(w, int(lo), int(hi)) {
			completed++
			if t := j.progress; t != nil {
				t.add(int(hi - lo))
			}
		}
		if j.limit {
			j.credit.Add(j.size)
			j.pool.notify() // a worker that found no credit may be waiting
		}
		w.chunkDone(j.lifespan)
		if w.retire {
			w.endState(&j.jobBase) // inside the call, which returns its error
			break
		}
	}
	return ran > 0
}

// takeCredit takes a chunk's worth of MaxTasksActive credit if there is
// that much. It never lowers the count on failure, so a worker that finds
// too little cannot make another worker see too little as well.
func (j *sliceJob) takeCredit() bool {
	for {
		c := j.credit.Load()
		if c < j.size {
			return false
		}
		if j.credit.CompareAndSwap(c, c-j.size) {
			return true
		}
	}
}

// runSlice runs j on p and waits for it.
func runSlice(p *Pool, j *sliceJob, cc *callConfig) (err error) {
	if j.progress = startTracker(p, cc, int(j.n)); j.progress != nil {
		defer func() { j.progress.finish(err) }()
	}
	release := j.watch(cc.ctx) // before workers can see the job
	defer release()
	if err := p.beginCall(j); err != nil {
		return err
	}
	defer p.endCall(j)
	defer j.startWatch()()
	p.notify()
	j.wait(func() bool {
		return j.done.Load() == j.chunks || j.drained() || (j.stopped.Load() && j.abandon.Load())
	})
	if j.done.Load() != j.chunks {
		j.waitDrained() // a prompt stop abandons the workers that stay
	}
	if j.done.Load() == j.chunks {
		// Every task ran: only a task's own failure makes the call fail,
		// not a cancellation that came after the work was done.
		var te *TaskError
		var we *WorkerError
		if err := j.error(); errors.As(err, &te) || errors.As(err, &we) {
			return err
		}
		return nil
	}
	if err := j.error(); err != nil {
		return err
	}
	return errStopped
}
