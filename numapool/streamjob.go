package numapool

import "sync/atomic"

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
	run     runner[A, R]
	queue   *ring[*chunk[A, R]] // caller -> workers (iter.Seq input)
	results *ring[*chunk[A, R]] // workers -> caller

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
	return !j.queue.empty()
}

// take returns the next chunk for a worker to run, if one is ready.
func (j *streamJob[A, R]) take() (*chunk[A, R], bool) {
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
	defer j.leave() // also when a task called runtime.Goexit
	if !j.enter(w) {
		return false
	}
	ran := false
	for !j.stopped.Load() {
		c, ok := j.take()
		if !ok {
			break
		}
		ran = true
		c.ok = j.run(w, c.args, c.res, c.start)
		j.results.pushWait(c)
		j.signal()
		w.chunkDone(j.lifespan)
		if w.retire {
			break
		}
	}
	return ran
}

// source hands out an iter.Seq input a chunk at a time. (Slice inputs
// need none: workers take their chunks themselves.)
type source[A any] struct {
	next func() (A, bool) // the pulled iter.Seq
	left int              // items it may still give; -1 for no limit
}

// fill pulls up to size items into the buffer *into and returns them.
func (s *source[A]) fill(into *[]A, size int) []A {
	buf := (*into)[:0]
	for len(buf) < size && s.left != 0 {
		a, ok := s.next()
		if !ok {
			s.left = 0
			break
		}
		if s.left > 0 {
			s.left--
		}
		buf = append(buf, a)
	}
	*into = buf
	return buf
}

// drive feeds the workers from src and hands each finished chunk to emit,
// in input order when ordered is set, until the input is used up, emit
// returns false, or the job stops. It runs on the calling goroutine.
func (j *streamJob[A, R]) drive(src *source[A], size, maxChunks int, ordered bool, emit func(*chunk[A, R]) bool) error {
	var (
		free        []*chunk[A, R]
		outstanding int // chunks fed and not yet emitted
		seq, start  int
		exhausted   bool
		pending     []*chunk[A, R] // finished chunks waiting for their turn
		nextSeq     int
	)
	if ordered {
		pending = make([]*chunk[A, R], maxChunks)
	}
	recycle := func(c *chunk[A, R]) { free = append(free, c) }
	if j.selfFed() {
		exhausted, outstanding = true, int(j.chunks)
		recycle = func(c *chunk[A, R]) {
			j.free.pushWait(c)
		}
	}
	progress := false
	give := func(c *chunk[A, R]) bool {
		progress = true
		outstanding--
		ok := c.ok && emit(c)
		recycle(c)
		return ok
	}
	for {
		progress = false
		fed := false
		for !exhausted && outstanding < maxChunks && !j.stopped.Load() {
			var c *chunk[A, R]
			if n := len(free); n > 0 {
				c, free = free[n-1], free[:n-1]
			} else {
				c = &chunk[A, R]{res: make([]R, size)}
			}
			c.args = src.fill(&c.buf, size)
			if len(c.args) == 0 {
				exhausted = true
				free = append(free, c)
				break
			}
			exhausted = len(c.args) < size
			c.seq, c.start = seq, start
			seq++
			start += len(c.args)
			outstanding++
			j.queue.pushWait(c)
			fed = true
		}
		if fed {
			j.pool.notify()
		}
		for {
			c, ok := j.results.pop()
			if !ok {
				break
			}
			if !ordered {
				if !give(c) {
					return j.stopErr()
				}
				continue
			}
			pending[c.seq%maxChunks] = c
		}
		for ordered {
			c := pending[nextSeq%maxChunks]
			if c == nil || c.seq != nextSeq {
				break
			}
			pending[nextSeq%maxChunks] = nil
			nextSeq++
			if !give(c) {
				return j.stopErr()
			}
		}
		if progress && j.selfFed() {
			j.pool.notify() // buffers came back: one wake-up per batch
		}
		if exhausted && outstanding == 0 {
			return nil // every task ran and was handed out
		}
		if j.stopped.Load() {
			return j.stopErr()
		}
		if progress && !exhausted {
			continue // room for more input before waiting
		}
		j.wait(func() bool { return !j.results.empty() || j.stopped.Load() })
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
