package numapool

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/numapool/numapool/csrc"
	"github.com/numapool/numapool/topology"
)

// Worker is one worker of a pool: a goroutine locked to its own OS thread,
// pinned to its CPUs before its first task. A task learns its worker
// through the *Worker passed to a MapFunc-style function.
//
// When a worker's thread ends (lifespan, a new call under FreshWorkersPerCall, or a
// task that called runtime.Goexit), a new Worker with the same ID, CPUs and
// node takes its place.
type Worker struct {
	pool *Pool
	id   int
	cpus topology.CPUSet
	node int
	tid  int

	shared any // the current call's shared objects for this worker

	// The call this worker is inside (nil between calls), for the abandon
	// handshake: the worker leaves with a compare-and-swap, and a call that
	// abandons it wins that swap instead (abandonWorker).
	inJob     atomic.Pointer[jobBase]
	job       *jobBase                  // the same, for the worker's own reads (Context)
	abandoned atomic.Bool               // its call gave up on it; it ends after its task
	lostJob   bool                      // its leave lost the swap: a call abandoned it (own reads only)
	storing   atomic.Bool               // copying results into caller memory (MapInto)
	curTask   atomic.Int64              // index of the running task, under TaskTimeout
	curHi     atomic.Int64              // end of the running loop block, under TaskTimeout
	curChunk  atomic.Pointer[byte]      // its chunk (*chunk[A, R]), for the timeout's message
	curApply  atomic.Pointer[applyTask] // the apply it runs; swapped out by whoever ends it
	apply     *applyTask                // the same, for the worker's own reads (Context)

	// Per-worker state (WithState): made by init on this thread.
	state   unsafe.Pointer
	stateOf *stateHooks // the hooks that made state; nil before init

	// Idle handling.
	parked atomic.Bool
	wake   chan struct{}

	startedAt time.Time // when startWorker began this thread (insights)

	// A caller's stand-in (ID -1, see sliceJob.help) is registered for
	// the caller's goroutine; it counts as a task only while inTask, which
	// only that goroutine reads and writes.
	inTask bool
	key    uintptr // the caller's goroutineKey, for a stand-in

	// Recycling.
	born     uint64 // the newest call this thread may serve (pool epoch)
	served   bool   // the thread has run a chunk
	chunks   int    // chunks run under a lifespan since the thread started
	retire   bool   // end this thread after the current chunk
	rotation int    // where the next scan of the job list starts
}

// ID returns the worker's ID, 0..n-1, stable across thread restarts.
func (w *Worker) ID() int { return w.id }

// CPUs returns the CPUs the worker's thread is pinned to; empty when the
// pool is unpinned.
func (w *Worker) CPUs() topology.CPUSet { return w.cpus }

// Node returns the NUMA node of the worker's CPUs, or -1 when they span
// nodes or are unknown.
func (w *Worker) Node() int { return w.node }

// CPU returns the CPU the worker's thread runs on at this moment (one
// sched_getcpu call, tens of nanoseconds): for a worker pinned to one CPU,
// always that CPU. Call it from the worker's own task.
func (w *Worker) CPU() int { return csrc.CurrentCPU() }

// Context returns the context of the call whose task is running: it is
// done when the call stops early (a task error, its Context option, a
// TaskTimeout, Terminate) or has returned. A task that may run long should
// watch it: Go cannot stop a task from outside, so a call that must return
// promptly abandons a worker whose task ignores it (see TaskTimeout).
// Outside a task it returns context.Background().
func (w *Worker) Context() context.Context {
	if t := w.apply; t != nil {
		return t.context()
	}
	if b := w.job; b != nil {
		return b.context()
	}
	return context.Background()
}

// ThreadID returns the kernel thread id of the worker's thread.
func (w *Worker) ThreadID() int { return w.tid }

// Shared returns the pool's shared objects (see SharedObjects) as this
// worker sees them.
func (w *Worker) Shared() any { return w.shared }

// Shared returns the worker's shared objects as a T, or T's zero value and
// false when they are of another type.
func Shared[T any](w *Worker) (T, bool) {
	v, ok := w.shared.(T)
	return v, ok
}

// startWorker starts the goroutine of worker id. When started is not nil,
// the worker sends on it nil once pinned, or the pinning error.
func (p *Pool) startWorker(id int, started chan<- error) {
	w := &Worker{
		pool: p,
		id:   id,
		cpus: p.cpus[id],
		node: p.nodes[id],
		wake: make(chan struct{}, 1),
		born: p.epoch.Load(),
	}
	p.threads.Add(1)
	w.startedAt = time.Now()
	go w.run(started)
}

// run is the worker goroutine: lock, pin, register, serve calls.
func (w *Worker) run(started chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
	p := w.pool
	w.tid = csrc.ThreadID()
	if !w.cpus.IsEmpty() {
		if err := csrc.PinThread(w.cpus.Slice()); err != nil {
			err = fmt.Errorf("numapool: pinning worker %d to CPUs %s: %w", w.id, w.cpus, err)
			p.threads.Done()
			if started != nil {
				started <- err
				return
			}
			// A replacement that cannot pin leaves its ID without a
			// thread: fail the calls in flight rather than let them wait
			// for it, and refuse later calls (beginCall).
			p.startErr.CompareAndSwap(nil, &err)
			if list := p.jobs.Load(); list != nil {
				for _, j := range *list {
					j.base().fail(err)
				}
			}
			return
		}
	}
	key := goroutineKey()
	liveWorkers.m.Store(key, w)
	liveWorkers.n.Add(1)
	p.slots[w.id].Store(w)
	p.insights.startedUp(w.id, time.Since(w.startedAt))
	if started != nil {
		started <- nil
	}

	clean := false
	defer func() {
		liveWorkers.m.Delete(key)
		liveWorkers.n.Add(-1)
		if !clean {
			// A task called runtime.Goexit: this goroutine is unwinding and
			// its thread will end. The call already has the error.
			w.endState(nil)
			if !w.wasAbandoned() {
				p.replace(w)
			}
		}
		if w.wasAbandoned() {
			p.abandonedThreads.Add(-1) // abandonWorker counted it out of threads
		} else {
			p.threads.Done()
		}
	}()
	retire := w.serve()
	w.endState(nil) // a lifespan ending ran it already, inside its call
	if retire && !w.wasAbandoned() {
		p.replace(w)
	}
	clean = true
}

// wasAbandoned reports whether a call (or an exit timeout) abandoned w, as
// w's own goroutine sees it. A call abandons w by winning the swap of
// w.inJob, and sets w.abandoned just after; w learns it from losing the
// swap in leave, so it cannot see "not abandoned" in between and start a
// second replacement or count its thread out twice.
func (w *Worker) wasAbandoned() bool { return w.lostJob || w.abandoned.Load() }

// replace starts a fresh worker with w's ID, unless the pool is stopping.
func (p *Pool) replace(w *Worker) {
	if p.quit.Load() {
		return
	}
	p.startWorker(w.id, nil)
}

// serve runs calls until the pool stops (false) or this thread must end
// (true).
func (w *Worker) serve() (retire bool) {
	p := w.pool
	for {
		if p.quit.Load() || w.wasAbandoned() {
			// Close sets quit once no call is left; Terminate once every
			// call is stopped. An abandoned worker has been replaced.
			return false
		}
		gen := p.workGen.Load()
		did := false
		if list := p.jobs.Load(); list != nil && len(*list) > 0 {
			jobs := *list
			w.rotation++
			for k := range jobs {
				j := jobs[(k+w.rotation)%len(jobs)]
				if b := j.base(); b.epoch > w.born {
					// A call that began after this thread did: a thread
					// that has served calls hands over to a fresh one when
					// the call has work, and never serves it itself.
					if w.served {
						if j.pending() {
							return true
						}
						continue
					}
					w.born = b.epoch
				}
				if j.work(w) {
					did, w.served = true, true
				}
				if w.retire {
					return true
				}
				if w.wasAbandoned() {
					// A call gave up on this worker while it ran a task
					// and replaced it: the other calls' watchdogs and
					// Terminate see only the replacement, so this one
					// serves no more of them.
					return false
				}
			}
		}
		if !did {
			if in := p.insights; in != nil {
				t0 := time.Now()
				w.idle(gen)
				in.waited(w.id, time.Since(t0))
			} else {
				w.idle(gen)
			}
		}
	}
}

// spinRounds is how many times an idle worker looks for work before it
// parks: about 10 microseconds, less than one park and wake-up of a locked
// thread costs. It never calls runtime.Gosched: on a locked goroutine that
// is two thread hand-offs.
const spinRounds = 10000

// idle waits until the work generation moves past gen or the pool quits.
func (w *Worker) idle(gen uint64) {
	p := w.pool
	if p.spin {
		for i := 0; i < spinRounds; i++ {
			if p.workGen.Load() != gen || p.quit.Load() {
				return
			}
		}
	}
	if p.futex {
		// Sleep on the pool's futex word. The notifier bumps the word after
		// publishing work and before waking, so a wake-up cannot be lost:
		// either this reads the new word (and the wait returns at once), or
		// the check below sees the new work generation.
		seq := p.wakeSeq.Load()
		p.idle.Add(1)
		if p.workGen.Load() == gen && !p.quit.Load() {
			csrc.FutexWait(&p.wakeSeq, seq)
		}
		p.idle.Add(-1)
		return
	}
	w.parked.Store(true)
	p.idle.Add(1)
	if p.workGen.Load() != gen || p.quit.Load() {
		if w.parked.CompareAndSwap(true, false) {
			p.idle.Add(-1)
			return
		}
		// A notifier won the flag and is sending the wake-up: take it.
	}
	<-w.wake
}

// chunkDone counts a chunk against the call's lifespan.
func (w *Worker) chunkDone(lifespan int) {
	if lifespan > 0 {
		w.chunks++
		if w.chunks >= lifespan {
			w.retire = true
		}
	}
}
