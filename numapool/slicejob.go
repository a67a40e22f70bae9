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
}

func (j *sliceJob) pending() bool {
	return !j.stopped.Load() && j.next.Load() < j.chunks
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
		j.leave()
	}()
	if !j.enter(w) {
		return false
	}
	for !j.stopped.Load() {
		if j.limit && !j.takeCredit() {
			break
		}
		c := j.next.Add(1) - 1
		if c >= j.chunks {
			if j.limit {
				j.credit.Add(j.size)
			}
			break
		}
		lo := c * j.size
		hi := min(lo+j.size, j.n)
		ran++
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
	p.notify()
	j.wait(func() bool { return j.done.Load() == j.chunks || j.drained() })
	if j.done.Load() == j.chunks {
		// Every task ran: only a task's own failure makes the call fail,
		// not a cancellation that came after the work was done.
		var te *TaskError
		if err := j.error(); errors.As(err, &te) {
			return err
		}
		return nil
	}
	if err := j.error(); err != nil {
		return err
	}
	return errStopped
}
