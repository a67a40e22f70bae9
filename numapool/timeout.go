package numapool

import (
	"context"
	"fmt"
	"time"
)

// TimeoutError is a task, init or exit function that ran past its limit
// (TaskTimeout, InitTimeout, ExitTimeout). It is the Err of the *TaskError
// or *WorkerError that names the worker. errors.Is(err,
// context.DeadlineExceeded) holds.
type TimeoutError struct {
	Phase string        // "task", "init" or "exit"
	Limit time.Duration // the limit it ran past
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s ran past its timeout of %v; the worker was abandoned and replaced", e.Phase, e.Limit)
}

// Is makes errors.Is(err, context.DeadlineExceeded) true.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// noTask is curTask's value while a worker runs no task of a timed call.
const noTask = -1

// watchTasks fails job b with a timeout when one of its workers runs the
// same task for longer than b.timeout, then abandons the workers still
// inside. It checks every quarter of the limit (at least every
// millisecond) and returns when done is closed.
func (b *jobBase) watchTasks(done <-chan struct{}) {
	p := b.pool
	tick := max(b.timeout/4, time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	type seen struct {
		task  int64
		since time.Time
	}
	last := make([]seen, len(p.slots))
	workers := make([]*Worker, len(p.slots))
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			for id := range p.slots {
				w := p.slots[id].Load()
				task := int64(noTask)
				if w != nil && w.inJob.Load() == b {
					task = w.curTask.Load()
				}
				if w != workers[id] || task != last[id].task || task == noTask {
					workers[id], last[id] = w, seen{task, now}
					continue
				}
				if now.Sub(last[id].since) < b.timeout {
					continue
				}
				arg := "?"
				if b.argOf != nil {
					arg = b.argOf(w, int(task))
				}
				b.abandon.Store(true)
				b.fail(&TaskError{WorkerID: id, Index: int(task), Arg: arg, Err: &TimeoutError{Phase: "task", Limit: b.timeout}})
				// The stuck worker goes now; the others get the call's
				// grace to leave (waitDrained).
				p.abandonWorker(w, b)
				return
			}
		}
	}
}

// startWatch starts the task watchdog of a call with a TaskTimeout; the
// returned function stops it.
func (b *jobBase) startWatch() (stop func()) {
	if b.timeout <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		b.watchTasks(done)
	}()
	return func() {
		close(done)
		<-finished
	}
}
