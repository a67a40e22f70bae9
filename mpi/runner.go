package mpi

import (
	"fmt"
	"sync/atomic"
	"time"
)

// A chunkRun is one chunk of a distributed call as a rank's runner sees it:
// the tasks [lo, hi), their arguments and the slice their results go to.
type chunkRun[A, R any] struct {
	lo, hi int
	args   []A
	out    []R
	ran    bool          // the chunk ran (false: skipped, the call was ending)
	err    error         // the failure of its pool call
	took   time.Duration // how long its pool call took
}

// A runner runs the chunks a rank holds on the rank's pool, one pool call
// per chunk, in the order they were given, on a goroutine of its own. The
// MPI thread gives it chunks and takes them back finished, and waits for
// it only when it has nothing else to do (see pause), so it keeps
// answering messages while a chunk runs: rank
// 0 hands out work while its own pool computes, and a rank receives its
// next chunks while it runs the current one. The pool therefore never waits
// for MPI as long as a chunk is queued behind the running one; between two
// chunks it waits only for the runner's next pool call (about 20 to 30 us
// on this kind of machine: a call of 64 tasks of 17 us took 1.13 ms back
// to back).
//
// The runner is an ordinary goroutine, not the locked MPI thread: numapool's
// waiting caller spins with runtime.Gosched, which on a locked thread costs
// two thread hand-offs each time (a call of 64 tasks of about 19 us took 2.0
// to 2.5 ms from the MPI thread, 1.1 ms from another goroutine).
type runner[A, R any] struct {
	todo   chan *chunkRun[A, R]
	done   chan *chunkRun[A, R]
	skip   atomic.Bool // set when the call is ending: queued chunks are not run
	held   int         // chunks given and not yet taken back; MPI thread only
	limit  int
	exited chan struct{}

	// The chunk running now: when it started (Unix ns, 0 when none) and its
	// tasks; perTask is the pool's time per task so far (MPI thread only).
	since   atomic.Int64
	tasks   atomic.Int64
	perTask float64

	early *chunkRun[A, R] // a finished chunk that rest took from done
}

// startRunner starts the runner of job j, which holds at most limit chunks.
func startRunner[A, R any](j *job[A, R], limit int) *runner[A, R] {
	rn := &runner[A, R]{
		todo:   make(chan *chunkRun[A, R], limit),
		done:   make(chan *chunkRun[A, R], limit),
		limit:  limit,
		exited: make(chan struct{}),
	}
	go func() {
		defer close(rn.exited)
		for c := range rn.todo {
			if !rn.skip.Load() {
				c.ran = true
				t0 := time.Now()
				rn.tasks.Store(int64(c.hi - c.lo))
				rn.since.Store(t0.UnixNano())
				c.err = runChunk(j, c)
				c.took = time.Since(t0)
				rn.since.Store(0)
				if c.err != nil {
					rn.skip.Store(true) // the call ends: run nothing more
				}
			}
			rn.done <- c // never blocks: done holds limit chunks
		}
	}()
	return rn
}

// runChunk runs c on the pool; a panic outside the tasks (numapool catches
// theirs) is returned as an error.
func runChunk[A, R any](j *job[A, R], c *chunkRun[A, R]) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mpi: panic in a call of the rank's pool: %v", r)
		}
	}()
	return j.run(c.lo, c.hi, c.args, c.out)
}

// full reports whether the runner holds as many chunks as it may.
func (rn *runner[A, R]) full() bool { return rn.held >= rn.limit }

// give queues c behind the chunks the runner holds. It never blocks: the
// caller checks full first.
func (rn *runner[A, R]) give(c *chunkRun[A, R]) {
	rn.held++
	rn.todo <- c
}

// take returns a finished (or skipped) chunk if there is one, without
// waiting.
func (rn *runner[A, R]) take() (*chunkRun[A, R], bool) {
	c := rn.early
	rn.early = nil
	if c == nil {
		select {
		case c = <-rn.done:
		default:
			return nil, false
		}
	}
	rn.held--
	if c.ran && c.hi > c.lo {
		// A moving average, so that the estimate follows a load that
		// changes during the call.
		per := float64(c.took) / float64(c.hi-c.lo)
		if rn.perTask == 0 {
			rn.perTask = per
		} else {
			rn.perTask += (per - rn.perTask) / 4
		}
	}
	return c, true
}

// pause waits, on the MPI thread, when no message and no finished chunk
// came. While the pool runs a chunk and has another queued behind it,
// nothing is urgent: the thread parks until the runner finishes a chunk or
// restFor x d has passed, d being how long the running chunk should take
// from the time per task so far (at most limit, when limit > 0; no
// parking when that is under restFrom), so a waiting MPI thread costs
// almost nothing. Otherwise it
// waits with t.pauseServing: tests, then sleeps in the thread itself.
//
// Other ranks park for up to 4 chunks: the messages they wait for (more
// chunks, a halt) are not urgent while they hold a queued chunk, and a
// finished chunk wakes them at once. Rank 0 parks for up to one of its
// chunks, and no longer than the usual gap between two answers of the
// other ranks (limit), and only when that is restMin or more: it must
// answer them before their queued chunks (Prefetch-1 of them) run out,
// also when they run faster than it does, and a parked locked goroutine
// that waits on a timer wakes through the Go scheduler, up to about 1 ms
// late.
//
// Parking matters on a node whose CPUs all run workers: each sleep of the
// MPI thread in a system call makes the Go runtime hand its P to another
// thread and back (sysmon retakes it), and on this kind of machine (2
// vCPUs, a VM) sleeping in short steps through whole calls cost each rank
// of BenchmarkMedium 9 to 16 % of a CPU, on a thread that was neither the
// MPI thread nor a worker; parked, that thread used about 1 %.
func (rn *runner[A, R]) pause(t *thread, w *waiter, restFrom time.Duration, restFor float64, limit time.Duration) error {
	left, known := rn.left()
	var d time.Duration // how long the running chunk takes, by the estimate
	if known {
		d = time.Duration(rn.perTask * float64(rn.tasks.Load()))
	}
	relaxed := rn.held >= 2 && known && d >= relaxedChunk
	timeout := time.Duration(restFor * float64(d))
	if limit > 0 {
		timeout = min(timeout, limit)
	}
	if relaxed && timeout >= restFrom && rn.early == nil {
		if len(t.pending) > 0 {
			if err := t.reap(); err != nil {
				return err
			}
		}
		timer := time.NewTimer(timeout)
		select {
		case c := <-rn.done:
			rn.early = c
		case <-timer.C:
		}
		timer.Stop()
		return nil
	}
	longest := restMin
	if limit > 0 {
		longest = min(longest, limit)
	}
	return t.pauseServing(w, relaxed, min(left, longest))
}

// await parks the MPI thread until the runner finishes a chunk, which
// take then returns; the runner must hold one.
func (rn *runner[A, R]) await() {
	rn.early = <-rn.done
}

// relaxedChunk is the shortest chunk for which a waiting MPI thread skips
// its spinning and yielding phases while the pool has work queued: shorter
// chunks run out before the thread's sleeps end (a nanosleep lasts 70 us or
// more here; a one-task chunk of BenchmarkHandout takes about 30 us).
const relaxedChunk = 4 * relaxedPause

// restMin is the shortest chunk during which rank 0's MPI thread parks,
// and the longest nap of pauseServing; see pause.
const restMin = time.Millisecond

// left estimates how long the running chunk has still to run, from the
// time per task of the chunks already finished; ok is false when no chunk
// is running or there is no estimate yet.
func (rn *runner[A, R]) left() (d time.Duration, ok bool) {
	since := rn.since.Load()
	if since == 0 || rn.perTask == 0 {
		return 0, false
	}
	end := since + int64(rn.perTask*float64(rn.tasks.Load()))
	return time.Duration(end - time.Now().UnixNano()), true
}

// stop skips the chunks still queued and waits for the runner to end
// (after the chunk it is running, if any).
func (rn *runner[A, R]) stop() {
	rn.skip.Store(true)
	close(rn.todo)
	<-rn.exited
}
