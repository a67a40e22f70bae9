package numapool

import (
	"fmt"
	"iter"
	"slices"
)

// Source is what the map functions take as input: a slice, or an iter.Seq
// (a generator), whose length is unknown unless IterableLen gives it.
type Source[A any] interface {
	[]A | iter.Seq[A] | func(yield func(A) bool)
}

// input splits a Source into its slice or its sequence.
func input[A any, S Source[A]](src S) (slice []A, seq iter.Seq[A]) {
	switch s := any(src).(type) {
	case []A:
		return s, nil
	case iter.Seq[A]:
		return nil, s
	case func(yield func(A) bool):
		return nil, s
	}
	panic("unreachable: Source has three kinds")
}

// callOptions applies opts over the defaults.
func callOptions(opts []CallOption) (callConfig, error) {
	cc := callConfig{iterableLen: -1}
	for _, o := range opts {
		if err := o(&cc); err != nil {
			return cc, err
		}
	}
	return cc, nil
}

// chunking returns the chunk size and the bound on tasks in flight for an
// input of n tasks (-1: unknown) on workers workers.
func chunking(cc *callConfig, n, workers int) (size, maxActive int, err error) {
	size = cc.chunkSize
	if size == 0 {
		if n < 0 {
			return 0, 0, fmt.Errorf("numapool: the input is an iter.Seq of unknown length, so it cannot be cut into 4 chunks per worker: pass numapool.IterableLen(n) with its length, or numapool.ChunkSize(k) to choose the chunk size")
		}
		size = max(1, (n+4*workers-1)/(4*workers))
	}
	maxActive = cc.maxActive
	if maxActive == 0 {
		maxActive = 2 * workers * size
	}
	if maxActive < size {
		if cc.chunkSize > 0 {
			return 0, 0, fmt.Errorf("numapool: MaxTasksActive(%d) is smaller than ChunkSize(%d), so no chunk could ever start: raise MaxTasksActive or lower ChunkSize", maxActive, size)
		}
		size = maxActive
	}
	return size, maxActive, nil
}

// mapEager runs an eager call and returns its results.
func mapEager[A, R any, S Source[A]](p *Pool, src S, opts []CallOption, mk func(*jobBase) runner[A, R], ordered bool) ([]R, error) {
	cc, err := callOptions(opts)
	if err != nil {
		return nil, err
	}
	in, seq := input[A](src)
	if seq != nil {
		var out []R
		err := stream(p, seq, nil, &cc, mk, false, func(c *chunk[A, R]) bool {
			res := c.res[:len(c.args)]
			if !ordered {
				out = append(out, res...)
				return true
			}
			if need := c.start + len(res); need > len(out) {
				out = slices.Grow(out, need-len(out))[:need]
			}
			copy(out[c.start:], res)
			return true
		})
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = []R{}
		}
		return out, nil
	}
	if cc.iterableLen >= 0 && cc.iterableLen < len(in) {
		in = in[:cc.iterableLen]
	}
	out := make([]R, len(in))
	if err := mapSlice(p, in, out, &cc, mk); err != nil {
		return nil, err
	}
	return out, nil
}

// mapSlice runs f over in, writing out[i] for in[i], on a sliceJob.
func mapSlice[A, R any](p *Pool, in []A, out []R, cc *callConfig, mk func(*jobBase) runner[A, R]) error {
	size, maxActive, err := chunking(cc, len(in), p.n)
	if err != nil {
		return err
	}
	j := &sliceJob{
		n:      int64(len(in)),
		size:   int64(size),
		chunks: int64((len(in) + size - 1) / size),
		limit:  maxActive < p.n*size,
	}
	j.init(p, cc)
	j.credit.Store(int64(maxActive))
	run := mk(&j.jobBase)
	j.run = func(w *Worker, lo, hi int) bool { return run(w, in[lo:hi], out[lo:hi], lo) }
	return runSlice(p, j, cc)
}

// mapLazy returns the iterator of a lazy call; the work starts when the
// loop does and stops when the loop ends.
func mapLazy[A, R any, S Source[A]](p *Pool, src S, opts []CallOption, mk func(*jobBase) runner[A, R], ordered bool) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		cc, err := callOptions(opts)
		if err != nil {
			yield(zero, err)
			return
		}
		in, seq := input[A](src)
		broke := false
		err = stream(p, seq, in, &cc, mk, ordered, func(c *chunk[A, R]) bool {
			for _, r := range c.res[:len(c.args)] {
				if !yield(r, nil) {
					broke = true
					return false
				}
			}
			return true
		})
		if err != nil && !broke {
			yield(zero, err) // the loop may not be called again after it broke
		}
	}
}

// maxChunksInFlight bounds the chunks a streaming call keeps in flight,
// whatever MaxTasksActive allows, so that a huge bound does not size huge
// rings: 4096 chunks keep any number of workers busy.
const maxChunksInFlight = 4096

// stream runs a call through a streamJob; emit gets each finished chunk
// and returns false to end the call early (then stream returns nil).
func stream[A, R any](p *Pool, seq iter.Seq[A], in []A, cc *callConfig, mk func(*jobBase) runner[A, R], ordered bool, emit func(*chunk[A, R]) bool) error {
	n := -1
	src := &source[A]{left: -1}
	if seq == nil {
		if cc.iterableLen >= 0 && cc.iterableLen < len(in) {
			in = in[:cc.iterableLen]
		}
		n = len(in)
	} else if cc.iterableLen >= 0 {
		n = cc.iterableLen
		src.left = n
	}
	size, maxActive, err := chunking(cc, n, p.n)
	if err != nil {
		return err
	}
	// The rings and the reorder array have one slot per chunk in flight:
	// no more than the call has, and no more than maxChunksInFlight.
	maxChunks := min(max(1, maxActive/size), maxChunksInFlight)
	if n >= 0 {
		maxChunks = min(maxChunks, max(1, (n+size-1)/size))
	}
	j := &streamJob[A, R]{results: newRing[*chunk[A, R]](maxChunks)}
	j.init(p, cc)
	j.run = mk(&j.jobBase)
	if seq == nil {
		j.in, j.size = in, int64(size)
		j.chunks = int64((len(in) + size - 1) / size)
		j.free = newRing[*chunk[A, R]](maxChunks)
		for range maxChunks {
			j.free.pushWait(&chunk[A, R]{res: make([]R, size)})
		}
	} else {
		j.queue = newRing[*chunk[A, R]](maxChunks)
	}
	release := j.watch(cc.ctx) // before workers can see the job
	defer release()
	if err := p.beginCall(j); err != nil {
		return err
	}
	defer p.endCall(j)
	if seq != nil {
		next, stop := iter.Pull(seq)
		defer stop()
		src.next = next
	}
	defer func() {
		// However the call ends (done, error, early break, a panic in the
		// loop body or the generator), no worker may touch it afterwards.
		j.stopped.Store(true)
		j.wait(j.drained)
	}()
	if j.selfFed() {
		p.notify() // workers feed themselves from the slice
	}
	err = j.drive(src, size, maxChunks, ordered, emit)
	if err == errStopped {
		err = nil
	}
	return err
}
