package numapool

import (
	"iter"
	"sync/atomic"
	"unsafe"
)

// streamJob runs a call whose input arrives one item at a time (an
// iter.Seq) or whose results are handed out as they are ready (IMap and
// IMapUnordered). In flight there are at most maxChunks chunks, so memory
// stays flat whatever the input's length; chunk buffers are recycled, so a
// call allocates at most maxChunks of them.
//
// Over an iter.Seq, the calling goroutine pulls the input, and feeds chunk
// descriptors to the workers through the queue ring. Over a slice, workers
// feed themselves: a worker takes a free chunk buffer from the free ring
// (the credit that bounds what is in flight) and the next chunk of the
// slice by one atomic add on a cursor. Either way finished chunks go back
// to the calling goroutine through the results ring, and it hands them to
// the loop: in input order (pending, by chunk number) or as they come.
type streamJob[A, R any] struct {
	jobBase
	run      runner[A, R]
	queue    *ring[*chunk[A, R]]   // caller -> workers (iter.Seq input)
	byWorker []*ring[*chunk[A, R]] // caller -> worker i, under OrderTasks
	results  *ring[*chunk[A, R]]   // workers -> caller

	// Self-feeding from a slice.
	in     []A
	size   int64
	chunks int64
	free   *ring[*chunk[A, R]] // caller -> workers: empty chunk buffers
	_      cacheLinePad
	next   atomic.Int64 // next chunk of in to take
	_      cacheLinePad
}

// chunk is a run of consecutive tasks and their results.
type chunk[A, R any] struct {
	seq   int  // chunk number in the call
	start int  // call-wide index of args[0]
	args  []A  // the tasks' arguments
	buf   []A  // owned storage for args, when the input is an iter.Seq
	res   []R  // results, res[k] for args[k]
	ok    bool // every task ran and succeeded
}

func (j *streamJob[A, R]) selfFed() bool { return j.free != nil }

func (j *streamJob[A, R]) pending() bool {
	if j.stopped.Load() {
		return false
	}
	if j.selfFed() {
		return j.next.Load() < j.chunks && !j.free.empty()
	}
	if j.byWorker != nil {
		for _, q := range j.byWorker {
			if !q.empty() {
				return true
			}
		}
		return false
	}
	return !j.queue.empty()
}

// take returns the next chunk for a worker to run, if one is ready.
func (j *streamJob[A, R]) take(w *Worker) (*chunk[A, R], bool) {
	if j.byWorker != nil {
		return j.byWorker[w.id].pop()
	}
	if !j.selfFed() {
		return j.queue.pop()
	}
	c, ok := j.free.pop()
	if !ok {
		return nil, false // MaxTasksActive reached
	}
	idx := j.next.Add(1) - 1
	if idx >= j.chunks {
		j.free.pushWait(c)
		return nil, false
	}
	lo := idx * j.size
	hi := min(lo+j.size, int64(len(j.in)))
	c.seq, c.start, c.args = int(idx), int(lo), j.in[lo:hi]
	return c, true
}

func (j *streamJob[A, R]) work(w *Worker) bool {
	if !j.pending() {
		return false
	}
	defer j.leave(w) // also when a task called runtime.Goexit
	if !j.enter(w) {
		return false
	}
	ran := false
	for !j.stopped.Load() {
		c, ok := j.take(w)
		if !ok {
			break
		}
		ran = true
		if w.stateOf == nil && j.pool.hooks != nil && !w.startState(&j.jobBase) {
			c.ok = false
			j.results.pushWait(c)
			j.signal()
			break
		}
		j.runChunk(w, c)
		w.chunkDone(j.lifespan)
		if w.retire {
			w.endState(&j.jobBase) // inside the call, which returns its error
			break
		}
	}
	return ran
}

// runChunk runs c's tasks on w (a worker, or the caller's stand-in), counts
// them for the progress bar, and hands c back to the calling goroutine.
func (j *streamJob[A, R]) runChunk(w *Worker, c *chunk[A, R]) {
	if j.timeout > 0 {
		w.curChunk.Store((*byte)(unsafe.Pointer(c)))
	}
	c.ok = j.run(w, c.args, c.res, c.start)
	if t := j.progress; t != nil && c.ok {
		t.add(len(c.args))
	}
	j.results.pushWait(c)
	j.signal()
}

// driver runs on the calling goroutine: it feeds chunks of an iter.Seq to
// the workers (or, for a self-fed job, hands buffers back to them) and
// hands each finished chunk to emit, in input order when ordered is set.
type driver[A, R any] struct {
	j           *streamJob[A, R]
	size        int // tasks per chunk
	maxChunks   int // chunks in flight at most
	ordered     bool
	emit        func(*chunk[A, R]) bool
	free        []*chunk[A, R] // buffers to reuse (iter.Seq input)
	outstanding int            // chunks fed and not yet emitted
	pending     []*chunk[A, R] // finished chunks waiting for their turn
	nextSeq     int            // the chunk to emit next, when ordered
	ended       bool           // emit returned false or a chunk failed
	helper      *Worker        // the caller's stand-in, when it helps
}

// startHelp lets the calling goroutine run chunks while it waits for
// results or for room to feed more (see sliceJob.help): a lazy call with
// small chunks then keeps going on the caller's CPU instead of trading CPUs
// with the workers every few chunks. The returned function ends it.
func (d *driver[A, R]) startHelp() (end func()) {
	p := d.j.pool
	h := p.standInFor(&d.j.jobBase)
	h.inTask = false // a task only while helpOne runs one: the loop body is not
	d.helper = h
	return func() { p.releaseStandIn(h) }
}

// helpOne runs the next chunk on the calling goroutine, if one is ready
// (fed and not taken, or for a self-fed call a buffer and a chunk free),
// and reports whether it did.
func (d *driver[A, R]) helpOne() bool {
	j, h := d.j, d.helper
	c, ok := j.take(h)
	if !ok {
		return false
	}
	h.inTask = true
	j.runChunk(h, c)
	h.inTask = false
	return true
}

func newDriver[A, R any](j *streamJob[A, R], size, maxChunks int, ordered bool, emit func(*chunk[A, R]) bool) *driver[A, R] {
	d := &driver[A, R]{j: j, size: size, maxChunks: maxChunks, ordered: ordered, emit: emit}
	if ordered {
		d.pending = make([]*chunk[A, R], maxChunks)
	}
	return d
}

// chunkPrealloc caps the argument buffer a chunk starts with: chunks of an
// iter.Seq grow to their real length by append, so a huge ChunkSize or
// IterableLen over a short input allocates only what the input holds.
const chunkPrealloc = 1 << 14

// feed reads seq on the calling goroutine, at most limit items (-1: no
// limit), and hands it to the workers a chunk at a time. Reading the
// sequence with range rather than iter.Pull costs an indirect call and an
// append per item, not a coroutine switch.
func (d *driver[A, R]) feed(seq iter.Seq[A], limit int) error {
	c := d.newChunk()
	seqNo, start := 0, 0
	submit := func() bool {
		c.args = c.buf
		if cap(c.res) < len(c.args) {
			c.res = make([]R, len(c.args))
		}
		c.res = c.res[:len(c.args)]
		c.seq, c.start = seqNo, start
		seqNo++
		start += len(c.args)
		ok := d.submit(c)
		c = d.newChunk()
		return ok
	}
	stopped := false
	if limit != 0 && d.size <= chunkPrealloc {
		// Buffers hold a whole chunk: fill by index, one store, one add
		// and one compare per item, in a yield function of its own rather
		// than a range loop's body, whose prologue loads every variable
		// the loop shares with it and checks the loop's state: half the
		// cost of an item. What a full chunk needs is in full.
		f := filler[A]{buf: c.buf[:d.size], left: limit, quota: d.size}
		claimLines(f.buf)
		if f.left > 0 {
			f.quota = min(f.quota, f.left)
		}
		full := func() bool {
			if f.ended {
				// The sequence went on after yield returned false (a
				// broken iterator): drop what it gives.
				f.k--
				return false
			}
			c.buf = f.buf[:f.k]
			if f.left > 0 {
				f.left -= f.k
			}
			ok := submit()
			f.buf, f.k = c.buf[:d.size], 0 // submit took the chunk and made c anew
			claimLines(f.buf)
			if !ok {
				stopped = true
				return f.end()
			}
			if f.left == 0 {
				return f.end()
			}
			if f.left > 0 {
				f.quota = min(d.size, f.left)
			}
			return true
		}
		seq(func(a A) bool {
			f.buf[f.k] = a
			if f.k++; f.k < f.quota {
				return true
			}
			return full()
		})
		c.buf = f.buf[:f.k]
	} else if limit != 0 {
		left := limit
		for a := range seq {
			c.buf = append(c.buf, a)
			if len(c.buf) == d.size && !submit() {
				stopped = true
				break
			}
			if left > 0 {
				if left--; left == 0 {
					break
				}
			}
		}
	}
	if !stopped && len(c.buf) > 0 {
		stopped = !submit()
	}
	if stopped {
		return d.j.stopErr()
	}
	return d.finish()
}

// cacheLine is the size of a CPU cache line on the machines numapool runs
// on (x86-64, and the 64-byte lines of most arm64 cores).
const cacheLine = 64

// claimLines writes the zero value into one element of buf per cache line.
// A recycled chunk buffer was last read by a worker on another core, so
// every line of it sits in that core's cache: filled item by item, one
// store in eight (for 8-byte items) then waits for its line to come back.
// Claiming the lines first, in a loop that does nothing else, lets the CPU
// fetch them all at once. Cost: one store per 64 bytes; it took an int
// sequence's fill from 6.1 to 5.2 ns an item on 2 vCPUs.
func claimLines[A any](buf []A) {
	var zero A
	size := unsafe.Sizeof(zero)
	if size == 0 || size >= cacheLine {
		return // nothing to share, or every store claims its own lines
	}
	step := int(cacheLine / size)
	for i := 0; i < len(buf); i += step {
		buf[i] = zero
	}
}

// filler is the state of feed's fill loop: the chunk buffer, how many
// items it holds, how many make it full, and how many the call may still
// take (-1: no limit).
type filler[A any] struct {
	buf            []A
	k, quota, left int
	ended          bool // yield returned false
}

// end makes every later item of a sequence that does not stop go to full,
// which drops it, and returns false for yield.
func (f *filler[A]) end() bool {
	f.ended, f.quota = true, 0
	return false
}

func (d *driver[A, R]) newChunk() *chunk[A, R] {
	if n := len(d.free); n > 0 {
		c := d.free[n-1]
		d.free = d.free[:n-1]
		c.buf = c.buf[:0]
		return c
	}
	return &chunk[A, R]{buf: make([]A, 0, min(d.size, chunkPrealloc))}
}

// submit queues c for the workers, then waits until there is room for
// another chunk before the generator may give its next item: the items of
// the chunk being filled count as taken from the input, so MaxTasksActive
// holds them too. False means the call ended.
func (d *driver[A, R]) submit(c *chunk[A, R]) bool {
	j := d.j
	if j.stopped.Load() {
		return false
	}
	d.outstanding++
	if j.byWorker != nil {
		j.byWorker[c.seq%len(j.byWorker)].pushWait(c)
	} else {
		j.queue.pushWait(c)
	}
	if j.byWorker != nil {
		j.pool.notify() // the chunk's own worker may be any of the parked ones
	} else {
		j.pool.notifyOne()
	}
	for {
		if !d.collect() {
			return false
		}
		if d.outstanding < d.maxChunks {
			return true
		}
		if j.stopped.Load() {
			return false
		}
		if d.helper != nil && d.helpOne() {
			continue
		}
		j.wait(func() bool { return !j.results.empty() || j.stopped.Load() })
	}
}

// finish hands out the chunks still in flight once no more will be fed.
func (d *driver[A, R]) finish() error {
	j := d.j
	for {
		if !d.collect() {
			return j.stopErr()
		}
		if d.outstanding == 0 {
			return nil // every task ran and was handed out
		}
		if j.stopped.Load() {
			return j.stopErr()
		}
		if d.helper != nil && d.helpOne() {
			continue
		}
		j.wait(func() bool { return !j.results.empty() || j.stopped.Load() })
	}
}

// collect hands every finished chunk that is due to emit; false means the
// call ended (emit returned false or a chunk failed).
func (d *driver[A, R]) collect() bool {
	j := d.j
	returned := false
	for !d.ended {
		c, ok := j.results.pop()
		if !ok {
			break
		}
		if !d.ordered {
			d.give(c)
			returned = true
			continue
		}
		d.pending[c.seq%d.maxChunks] = c
		for !d.ended {
			c := d.pending[d.nextSeq%d.maxChunks]
			if c == nil || c.seq != d.nextSeq {
				break
			}
			d.pending[d.nextSeq%d.maxChunks] = nil
			d.nextSeq++
			d.give(c)
			returned = true
		}
	}
	if returned && j.selfFed() {
		j.pool.notify() // buffers came back: one wake-up per batch
	}
	return !d.ended
}

// give hands c to emit and recycles its buffer.
func (d *driver[A, R]) give(c *chunk[A, R]) {
	d.outstanding--
	if !c.ok || !d.emit(c) {
		d.ended = true
	}
	if d.j.selfFed() {
		d.j.free.pushWait(c)
	} else {
		d.free = append(d.free, c)
	}
}

// stopErr is the job's error, or errStopped when it has none (the loop
// ended early).
func (j *streamJob[A, R]) stopErr() error {
	if err := j.error(); err != nil {
		return err
	}
	return errStopped
}
