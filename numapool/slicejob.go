package numapool

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// sliceJob runs a call over a slice whose results go straight into their
// slots of the output (Map, MapUnordered, MapInto, ForEach over slices, and
// the loops). No descriptor, no queue, no allocation per task or per chunk.
//
// Chunks are handed out from lanes: each worker owns a run of consecutive
// chunk numbers and takes the next with a compare-and-swap on its own cache
// line; one that runs out steals the back half of the fullest lane. So
// small chunks cost an uncontended atomic each, not a round trip of a
// shared cursor between CPUs, and the last chunks spread over every worker.
// The calling goroutine takes chunks from the back of the lanes (see
// help); its own lane stays empty.
type sliceJob struct {
	jobBase
	sched schedule
	run   func(w *Worker, k, lo, hi int) bool // runs the chunk at position k, tasks lo..hi-1

	lanes []lane // one per worker; nil: the shared cursor next

	// helps: the calling goroutine runs chunks while no worker has arrived
	// (plain calls; see help).
	helps bool

	next   atomic.Int64 // next chunk, without lanes
	done   atomic.Int64 // chunks finished (added once per worker visit)
	credit atomic.Int64 // tasks that may still be taken, when limited
	limit  bool         // MaxTasksActive can bind (fixed schedules only)

	byWorker []workerCursor // OrderTasks: each worker's next chunk
}

// A lane is a run of chunk numbers [lo, hi), packed into one word (hi in
// the upper half) so that taking and stealing are single compare-and-swaps.
type lane struct {
	v atomic.Uint64
	_ [128 - 8]byte
}

// maxLaneChunks bounds the chunks that lanes can number; calls with more
// use the shared cursor.
const maxLaneChunks = 1 << 31

func packLane(lo, hi int64) uint64       { return uint64(hi)<<32 | uint64(lo) }
func unpackLane(v uint64) (lo, hi int64) { return int64(v & (1<<32 - 1)), int64(v >> 32) }

// newSliceJob makes the job of a call cutting n tasks by pl and sched.
func newSliceJob(p *Pool, cc *callConfig, pl Plan, sched schedule, plain bool) *sliceJob {
	j := &sliceJob{
		sched: sched,
		limit: pl.MaxActive < satMul(p.n, pl.ChunkSize),
	}
	j.init(p, cc)
	j.credit.Store(int64(pl.MaxActive))
	if cc.orderTasks {
		j.orderTasks(p.n)
		return j
	}
	// The caller helps with plain calls only: tasks that see their Worker,
	// a TaskTimeout or a context (which must return on time), insights
	// (which account per worker) and worker state (whose init must run
	// before the tasks) need every chunk on a worker. A big call gets help
	// only while the pool's last big call was short (helpBigUnder).
	j.helps = plain && helpAllowed(p, cc) && !j.limit && sched.chunks <= helpAlone &&
		(!j.big() || p.lastBig.Load() < int64(helpBigUnder))
	if sched.chunks < maxLaneChunks && (p.n > 1 || j.helps) {
		j.lanes = make([]lane, p.n)
		w := int64(p.n)
		for id := range w {
			j.lanes[id].v.Store(packLane(sched.laneStart(id, w), sched.laneStart(id+1, w)))
		}
	}
	return j
}

// helpAllowed reports whether the caller may run tasks of a plain call
// with options cc on p (see WorkersOnly).
func helpAllowed(p *Pool, cc *callConfig) bool {
	return p.callerHelps && cc.taskTimeout == 0 && cc.lifespan == 0 && p.insights == nil && p.hooks == nil &&
		(cc.ctx == nil || cc.ctx.Done() == nil) && !cc.orderTasks
}

// standInFor returns the Worker that the calling goroutine runs tasks of
// call b as (ID -1), registered for it and counting as a task of the pool
// (see register); releaseStandIn returns it. The pool keeps one spare, so
// a call allocates none unless calls help concurrently.
func (p *Pool) standInFor(b *jobBase) *Worker {
	h := p.standIn.Swap(nil)
	if h == nil {
		h = &Worker{pool: p, id: -1, node: -1}
	}
	h.inTask = true
	h.inJob.Store(b)
	register(h)
	return h
}

// releaseStandIn undoes standInFor.
func (p *Pool) releaseStandIn(h *Worker) {
	unregister(h)
	h.inJob.Store(nil)
	p.standIn.Store(h)
}

// register makes h, a caller's stand-in, the worker that currentWorker
// finds for the calling goroutine while h.inTask is set, until unregister.
// Cost: a lock and an append, no allocation once the list has grown.
func register(h *Worker) {
	if !keyIsStable {
		runtime.LockOSThread()
	}
	h.key = goroutineKey()
	callers.mu.Lock()
	callers.list = append(callers.list, h)
	callers.n.Add(1)
	callers.mu.Unlock()
}

// unregister undoes register, on the same goroutine.
func unregister(h *Worker) {
	callers.mu.Lock()
	for i := len(callers.list) - 1; i >= 0; i-- {
		if callers.list[i] == h {
			last := len(callers.list) - 1
			callers.list[i] = callers.list[last]
			callers.list[last] = nil
			callers.list = callers.list[:last]
			break
		}
	}
	callers.n.Add(-1)
	callers.mu.Unlock()
	if !keyIsStable {
		runtime.UnlockOSThread()
	}
}

// callers lists the stand-ins of the goroutines that run tasks of their
// own calls (see help), for currentWorker.
var callers struct {
	mu   sync.Mutex
	n    atomic.Int32
	list []*Worker
}

// currentCaller returns the stand-in registered for the calling goroutine
// while it runs a task, or nil.
func currentCaller(key uintptr) *Worker {
	callers.mu.Lock()
	defer callers.mu.Unlock()
	for i := len(callers.list) - 1; i >= 0; i-- {
		// h.inTask is written only by the goroutine whose key h holds.
		if h := callers.list[i]; h.key == key {
			if h.inTask {
				return h
			}
			return nil
		}
	}
	return nil
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
	if j.stopped.Load() {
		return false
	}
	switch {
	case j.byWorker != nil:
		return j.done.Load() < j.sched.chunks
	case j.lanes != nil:
		for i := range j.lanes {
			if lo, hi := unpackLane(j.lanes[i].v.Load()); lo < hi {
				return true
			}
		}
		return false
	}
	return j.next.Load() < j.sched.chunks
}

// take returns the next chunk for worker id and whether there was one.
func (j *sliceJob) take(id int) (int64, bool) {
	switch {
	case j.byWorker != nil:
		n := int64(len(j.byWorker))
		c := j.byWorker[id].next.Add(n) - n
		return c, c < j.sched.chunks
	case j.lanes == nil:
		c := j.next.Add(1) - 1
		return c, c < j.sched.chunks
	}
	l := &j.lanes[id].v
	for {
		v := l.Load()
		lo, hi := unpackLane(v)
		if lo >= hi {
			return j.steal(id)
		}
		if l.CompareAndSwap(v, v+1) {
			return lo, true
		}
	}
}

// steal takes chunks from the fullest lane other than id's (which is
// empty, and written only by its owner while empty). Under a fixed
// schedule, whose chunks are all alike, it takes the back half of that
// lane: it runs the first chunk of that half and keeps the rest in its own
// lane, so thieves and owners rarely meet again. Under a shrinking
// schedule, whose lanes run from big chunks to small ones, it takes the
// one chunk the owner would run next, the biggest left: taking the back
// half would leave the owner its bigger chunks, and the call would end on
// one of them while the thief waits (the tail that shrinking chunks are
// there to avoid). Those lanes hold few chunks, so the steals are few.
func (j *sliceJob) steal(id int) (int64, bool) {
	for {
		best := j.fullest(id)
		if best < 0 {
			return 0, false
		}
		l := &j.lanes[best].v
		v := l.Load()
		lo, hi := unpackLane(v)
		if lo >= hi {
			continue
		}
		if j.sched.floor != 0 { // shrinking: the owner's next chunk
			if l.CompareAndSwap(v, v+1) {
				return lo, true
			}
			continue
		}
		half := (hi - lo + 1) / 2
		if l.CompareAndSwap(v, packLane(lo, hi-half)) {
			if half > 1 {
				j.lanes[id].v.Store(packLane(hi-half+1, hi))
			}
			return hi - half, true
		}
	}
}

// fullest returns the lane other than id's with the most chunks left, or
// -1 when all are empty.
func (j *sliceJob) fullest(id int) int {
	best, most := -1, int64(0)
	for i := range j.lanes {
		if lo, hi := unpackLane(j.lanes[i].v.Load()); i != id && hi-lo > most {
			best, most = i, hi-lo
		}
	}
	return best
}

func (j *sliceJob) work(w *Worker) bool {
	if !j.pending() {
		return false
	}
	ran, completed := 0, int64(0)
	defer func() {
		// Also runs when a task called runtime.Goexit.
		j.finished(completed)
		j.leave(w)
	}()
	if !j.enter(w) {
		return false
	}
	for !j.stopped.Load() {
		if j.byWorker != nil && j.byWorker[w.id].next.Load() >= j.sched.chunks {
			// Under OrderTasks the other workers may still own chunks: a
			// worker with none left must not hold the credit that one of
			// them waits for (only w moves its cursor, so a chunk seen
			// here is taken below).
			break
		}
		if j.limit && !j.takeCredit() {
			break
		}
		c, ok := j.take(w.id)
		if !ok {
			if j.limit {
				j.credit.Add(j.sched.size)
			}
			break
		}
		ran++
		if w.stateOf == nil && j.pool.hooks != nil && !w.startState(&j.jobBase) {
			break
		}
		if _, ok := j.runChunk(w, c); ok {
			completed++
		}
		if j.limit {
			j.credit.Add(j.sched.size)
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

// runChunk runs the chunk numbered c on w (a worker, or the caller's
// stand-in) and counts its tasks for the progress bar; it returns the
// chunk's task count and whether every task succeeded.
func (j *sliceJob) runChunk(w *Worker, c int64) (tasks int64, ok bool) {
	c = j.sched.position(c)
	lo, hi := j.sched.bounds(c)
	if !j.run(w, int(c), int(lo), int(hi)) {
		return hi - lo, false
	}
	if t := j.progress; t != nil {
		t.add(int(hi - lo))
	}
	return hi - lo, true
}

// finished counts completed chunks; the last one stops the job.
func (j *sliceJob) finished(completed int64) {
	if completed > 0 && j.done.Add(completed) == j.sched.chunks {
		j.stopped.Store(true)
	}
}

// help runs chunks on the calling goroutine until a worker arrives, the
// chunks run out or the call stops: a call that finishes before a parked
// worker could wake costs no more than the loop itself, and a long call
// loses nothing, since the caller leaves the rest to the pinned workers as
// soon as one of them is inside. Its tasks run on the caller's own thread,
// as worker -1 (TaskError.WorkerID); while they run, the goroutine counts
// as a task of the pool, so a task that calls back into it gets
// ErrReentrant as on a worker. Cost: a registration in a sync.Map, tens of
// nanoseconds per call.
//
// The caller takes the call's last chunks, one at a time: under the
// default shrinking chunks the smallest, so that a chunk it still runs
// when the workers have finished the rest is a short tail. Waking a parked
// worker costs the caller a system call and the worker tens of
// microseconds, so when workers are parked the caller wakes them only once
// the work left, at the pace measured so far, exceeds wakeAfter. A call
// that is all small tasks then wakes nobody; one with a heavy task wakes
// the workers after its first chunk, at most 1/32 of a worker's share.
// Calls of more than helpAlone chunks get no help: the caller would only
// cover the workers' wake-up, and on a machine whose CPUs the workers
// hold it competes with them for the rest (a 100,000-task ChunkSize(1)
// call took 2.0 ms with help, 1.3 ms without). Calls of more than
// helpAlone tasks wake the workers at once and get help for at most
// wakeAlone, and only while the pool's last such call was short (see
// helpBigUnder): a loop of 8,190 cells run every time step, a few
// microseconds of work, then costs its loop and a wake-up call, not the
// wait for a parked thread.
func (j *sliceJob) help() {
	p := j.pool
	// A call of more than helpAlone tasks wakes the workers at once and
	// gets the caller's help only until one of them is inside or wakeAlone
	// has passed: a short loop (a time step's) is then done before they
	// arrive, and a long one does not keep the caller on the CPU of a
	// pinned worker it woke (helping until a worker was inside made
	// 1,000,000-task For, MapInto and Reduce 1.4-1.5x as long; waking
	// only after wakeAlone made a 47 us call 1.2x as long).
	big := j.big()
	woke := big || p.idle.Load() == 0
	if woke {
		p.notify()
	}
	h := p.standInFor(&j.jobBase)
	completed := int64(0)
	defer func() {
		// Also runs when a task called runtime.Goexit on this goroutine.
		j.finished(completed)
		if !woke && !j.stopped.Load() {
			p.notify()
		}
		p.releaseStandIn(h)
	}()
	start := time.Now()
	// The pace is read after the first chunk and then each time the tasks
	// run have doubled: a clock read per chunk would cost more than the
	// chunks of a small call.
	ran, check := int64(0), int64(0)
	for !j.stopped.Load() && j.inside.Load() == 0 {
		c, ok := j.takeLast()
		if !ok {
			return
		}
		tasks, ok := j.runChunk(h, c)
		if ok {
			completed++
		}
		if big {
			if time.Since(start) > wakeAlone {
				return
			}
			continue
		}
		if !woke {
			if ran += tasks; ran < check {
				continue
			}
			check = 2 * ran
			if left := j.sched.n - ran; left > 0 && time.Since(start)*time.Duration(left) > wakeAfter*time.Duration(ran) {
				woke = true
				p.notify()
			}
		}
	}
}

// The caller helps with calls of at most helpAlone chunks: of at most
// helpAlone tasks alone while the work left is below wakeAfter, then
// until a worker is inside; of more, until a worker is inside or for at
// most wakeAlone (see help).
const (
	wakeAfter = 10 * time.Microsecond
	wakeAlone = 10 * time.Microsecond
	helpAlone = 4096
)

// helpBigUnder: the caller helps with a call of more than helpAlone tasks
// only while the pool's last such call took less than this. A loop run
// every time step repeats its length, so the last call foretells the
// next: a short one gains the workers' wake-up time (tens of
// microseconds, most of its time), and a long one would gain under 5% of
// it while the chunk the caller takes, unpinned and of unknown cost, may
// hold up a worker's P (BenchmarkUnbalanced: 1.015-1.022x the channel
// pool with the caller's help, 1.000 without, medians of 6 alternating
// runs).
const helpBigUnder = time.Millisecond

// big reports whether j has more than helpAlone tasks, which changes how
// the caller helps (see help).
func (j *sliceJob) big() bool { return j.sched.n > helpAlone }

// takeLast takes the last chunk of the last lane that has any: the
// smallest chunk of a shrinking schedule.
func (j *sliceJob) takeLast() (int64, bool) {
	if j.lanes == nil {
		return j.take(0) // the shared cursor; one lane
	}
	for i := len(j.lanes) - 1; i >= 0; i-- {
		l := &j.lanes[i].v
		for {
			v := l.Load()
			lo, hi := unpackLane(v)
			if lo >= hi {
				break
			}
			if l.CompareAndSwap(v, packLane(lo, hi-1)) {
				return hi - 1, true
			}
		}
	}
	return 0, false
}

// ownFailure returns err if a task or a worker's init or exit failed, else
// nil.
func ownFailure(err error) error {
	if err == nil {
		return nil
	}
	var te *TaskError
	var we *WorkerError
	if errors.As(err, &te) || errors.As(err, &we) {
		return err
	}
	return nil
}

// takeCredit takes a chunk's worth of MaxTasksActive credit if there is
// that much. It never lowers the count on failure, so a worker that finds
// too little cannot make another worker see too little as well.
func (j *sliceJob) takeCredit() bool {
	for {
		c := j.credit.Load()
		if c < j.sched.size {
			return false
		}
		if j.credit.CompareAndSwap(c, c-j.sched.size) {
			return true
		}
	}
}

// runSlice runs j on p and waits for it.
func runSlice(p *Pool, j *sliceJob, cc *callConfig) (err error) {
	if j.progress = startTracker(p, cc, int(j.sched.n)); j.progress != nil {
		defer func() { j.progress.finish(err) }()
	}
	release := j.watch(cc.ctx) // before workers can see the job
	defer release()
	if err := p.beginCall(j); err != nil {
		return err
	}
	defer p.endCall(j)
	defer j.startWatch()()
	if j.big() {
		start := time.Now()
		defer func() { p.lastBig.Store(int64(time.Since(start))) }()
	}
	if !j.helps {
		p.notify()
	} else {
		returned := false
		defer func() {
			if !returned {
				// A task run by help called runtime.Goexit: this goroutine
				// ends, but no worker may touch the call's memory after.
				j.stopped.Store(true)
				j.waitDrained()
			}
		}()
		j.help()
		returned = true
	}
	chunks := j.sched.chunks
	j.wait(func() bool {
		return j.done.Load() == chunks || j.drained() || (j.stopped.Load() && j.abandon.Load())
	})
	if j.done.Load() != chunks {
		j.waitDrained() // a prompt stop abandons the workers that stay
	}
	if j.done.Load() == chunks {
		// Every task ran: only a task's own failure makes the call fail,
		// not a cancellation that came after the work was done.
		return ownFailure(j.error())
	}
	if err := j.error(); err != nil {
		return err
	}
	return errStopped
}
