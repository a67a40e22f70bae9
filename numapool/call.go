package numapool

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"reflect"
	"slices"
	"unsafe"
)

// Source is what the map functions take as input: a slice, or an iter.Seq
// (a generator), whose length is unknown unless IterableLen gives it. Named
// types count too: a `type Vec []float64` or a `type Rows iter.Seq[Row]`.
type Source[A any] interface {
	~[]A | ~func(yield func(A) bool)
}

// input splits a Source into its slice or its sequence. Both of Source's
// kinds share their memory layout with []A or iter.Seq[A], so the
// conversion is a reinterpretation, chosen by the type's kind.
func input[A any, S Source[A]](src S) (slice []A, seq iter.Seq[A]) {
	if reflect.TypeFor[S]().Kind() == reflect.Slice {
		return *(*[]A)(unsafe.Pointer(&src)), nil
	}
	return nil, *(*iter.Seq[A])(unsafe.Pointer(&src))
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

// Defaults of chunking, from MPIRE: 4 chunks per worker when the length is
// known (enough to even out uneven tasks, few enough that a chunk's cost
// hides the hand-out), and in flight at most 2 chunks per worker (one
// running, one ready), so a worker never waits for the feeder.
const (
	chunksPerWorker   = 4
	inFlightPerWorker = 2
)

// A Plan is how a call cuts its input: what ChunkSize, IterableLen and
// MaxTasksActive come to for an input of a given length on a given pool.
// Pool.Plan returns it, so a call can be tuned without guessing.
type Plan struct {
	Tasks        int // tasks in the input; -1 when unknown (an iter.Seq without IterableLen)
	ChunkSize    int // tasks a worker takes at a time: the first (largest) chunks when they shrink
	MinChunkSize int // when chunks shrink, tasks in the smallest, the input's last chunk aside; 0 when chunks are equal
	Chunks       int // chunks of the input; -1 when unknown
	MaxActive    int // tasks taken from the input and not yet finished, at most
}

// Plan returns the chunking an eager call or a loop over a slice of n tasks
// would use on this pool with opts; n < 0 stands for an iter.Seq, whose
// length is IterableLen's (unknown without it).
//
// By default, eager calls and loops over a slice cut shrinking chunks:
// rounds of one chunk per worker, each of ceil(left / (4 x workers)) tasks
// where left is what the earlier rounds left (the first ceil(n / (4 x
// workers))), down to ceil(n / (64 x workers)), then chunks of that size
// to the end, so uneven tasks leave no long tail. With ChunkSize,
// MaxTasksActive or OrderTasks, and for lazy calls and iter.Seq inputs,
// chunks are equal: ChunkSize's, or by default ceil(n / (4 x workers)),
// never more than n, and for an iter.Seq at most 4096. The default
// MaxTasksActive is 2 x workers x chunk size; a MaxTasksActive below the
// chunk size shrinks the chunk to it. The options' own errors are returned
// as the call would.
func (p *Pool) Plan(n int, opts ...CallOption) (Plan, error) {
	cc, err := callOptions(opts)
	if err != nil {
		return Plan{}, err
	}
	seq := n < 0
	if seq {
		n = cc.iterableLen
		return chunking(&cc, n, p.n, seq)
	} else if cc.iterableLen >= 0 {
		n = min(n, cc.iterableLen)
	}
	pl, _, err := slicePlan(&cc, n, p.n)
	return pl, err
}

// maxSeqChunk caps the default chunk of an iter.Seq input: the calling
// goroutine fills chunk buffers item by item, and chunks of a few thousand
// items keep those buffers in the CPU caches and the workers busy while
// the next chunk fills, at a hand-out cost below a nanosecond per item.
const maxSeqChunk = 4096

// chunking returns the plan for an input of n tasks (-1: unknown) on
// workers workers. Every product saturates, so absurd options give a
// working plan or an error, never an overflow.
func chunking(cc *callConfig, n, workers int, seq bool) (Plan, error) {
	pl := Plan{Tasks: n, Chunks: -1}
	size := cc.chunkSize
	if size == 0 {
		if n < 0 {
			return Plan{}, fmt.Errorf("numapool: the input is an iter.Seq of unknown length, so it cannot be cut into %d chunks per worker: pass numapool.IterableLen(n) with its length, or numapool.ChunkSize(k) to choose the chunk size", chunksPerWorker)
		}
		size = max(1, ceilDiv(n, satMul(chunksPerWorker, workers)))
		if seq {
			size = min(size, maxSeqChunk)
		}
	}
	if n >= 0 {
		size = max(1, min(size, n)) // a chunk never holds more than the input
	}
	pl.MaxActive = cc.maxActive
	if pl.MaxActive == 0 {
		pl.MaxActive = satMul(satMul(inFlightPerWorker, workers), size)
	}
	pl.ChunkSize = min(size, pl.MaxActive)
	if n >= 0 {
		pl.Chunks = ceilDiv(n, pl.ChunkSize)
	}
	return pl, nil
}

// ceilDiv is ceil(a / b) for a >= 0, b > 0, without overflow.
func ceilDiv(a, b int) int {
	q := a / b
	if a%b != 0 {
		q++
	}
	return q
}

// satMul is a * b for a, b >= 0, saturating at the largest int.
func satMul(a, b int) int {
	if a != 0 && b > math.MaxInt/a {
		return math.MaxInt
	}
	return a * b
}

// mapEager runs an eager call and returns its results.
func mapEager[A, R any, S Source[A]](p *Pool, src S, opts []CallOption, mk func(*jobBase) runner[A, R], ordered, plain bool) ([]R, error) {
	cc, err := callOptions(opts)
	if err != nil {
		return nil, err
	}
	in, seq := input[A](src)
	if seq != nil {
		var out []R
		err := stream(p, seq, nil, &cc, mk, false, plain, func(c *chunk[A, R]) bool {
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
	if err := mapSlice(p, in, out, &cc, mk, plain); err != nil {
		return nil, err
	}
	return out, nil
}

// mapSlice runs f over in, writing out[i] for in[i], on a sliceJob; plain
// says f does not see its Worker, so the caller may help (sliceJob.help).
func mapSlice[A, R any](p *Pool, in []A, out []R, cc *callConfig, mk func(*jobBase) runner[A, R], plain bool) error {
	pl, sched, err := slicePlan(cc, len(in), p.n)
	if err != nil {
		return err
	}
	j := newSliceJob(p, cc, pl, sched, plain)
	run := mk(&j.jobBase)
	j.run = func(w *Worker, _, lo, hi int) bool { return run(w, in[lo:hi], out[lo:hi], lo) }
	if j.timeout > 0 {
		j.argOf = func(_ *Worker, index int) string { return shortArg(in[index]) }
	}
	return runSlice(p, j, cc)
}

// slicePlan is chunking for a call over n > 0 known tasks that workers take
// in place (a slice, a loop): by default the chunks shrink (schedule); an
// explicit ChunkSize or MaxTasksActive, or OrderTasks, cuts equal chunks.
func slicePlan(cc *callConfig, n, workers int) (Plan, schedule, error) {
	pl, err := chunking(cc, n, workers, false)
	if err != nil || n <= 0 {
		return pl, schedule{}, err
	}
	if cc.chunkSize != 0 || cc.maxActive != 0 || cc.orderTasks {
		return pl, fixedSchedule(int64(n), int64(pl.ChunkSize)), nil
	}
	s := shrinkingSchedule(int64(n), workers)
	pl.ChunkSize, pl.MinChunkSize, pl.Chunks = int(s.size), int(s.smallest()), int(s.chunks)
	pl.MaxActive = satMul(satMul(inFlightPerWorker, workers), pl.ChunkSize)
	return pl, s, nil
}

// mapLazy returns the iterator of a lazy call; the work starts when the
// loop does and stops when the loop ends.
func mapLazy[A, R any, S Source[A]](p *Pool, src S, opts []CallOption, mk func(*jobBase) runner[A, R], ordered, plain bool) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		cc, err := callOptions(opts)
		if err != nil {
			yield(zero, err)
			return
		}
		in, seq := input[A](src)
		broke := false
		err = stream(p, seq, in, &cc, mk, ordered, plain, func(c *chunk[A, R]) bool {
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
func stream[A, R any](p *Pool, seq iter.Seq[A], in []A, cc *callConfig, mk func(*jobBase) runner[A, R], ordered, plain bool, emit func(*chunk[A, R]) bool) (err error) {
	broke := false // the loop left early (emit returned false)
	n, limit := -1, -1
	if seq == nil {
		if cc.iterableLen >= 0 && cc.iterableLen < len(in) {
			in = in[:cc.iterableLen]
		}
		n = len(in)
	} else if cc.iterableLen >= 0 {
		n, limit = cc.iterableLen, cc.iterableLen
	}
	pl, err := chunking(cc, n, p.n, seq != nil)
	if err != nil {
		return err
	}
	size := pl.ChunkSize
	// The rings and the reorder array have one slot per chunk in flight:
	// no more than the call has, and no more than maxChunksInFlight.
	maxChunks := min(max(1, pl.MaxActive/size), maxChunksInFlight)
	if n >= 0 {
		maxChunks = min(maxChunks, max(1, pl.Chunks))
	}
	j := &streamJob[A, R]{results: newRing[*chunk[A, R]](maxChunks)}
	j.init(p, cc)
	j.caller = goid()
	j.run = mk(&j.jobBase)
	if j.timeout > 0 {
		j.argOf = func(w *Worker, index int) string {
			c := (*chunk[A, R])(unsafe.Pointer(w.curChunk.Load()))
			if c == nil || index < c.start || index >= c.start+len(c.args) {
				return "?"
			}
			return shortArg(c.args[index-c.start])
		}
	}
	if cc.orderTasks && seq == nil {
		// Chunk i must go to worker i mod n: the caller hands a slice out
		// as it does a sequence, into one queue per worker.
		seq, limit = slices.Values(in), len(in)
	}
	if seq == nil {
		j.in, j.size = in, int64(size)
		j.chunks = int64(pl.Chunks)
		j.free = newRing[*chunk[A, R]](maxChunks)
		for range maxChunks {
			j.free.pushWait(&chunk[A, R]{res: make([]R, size)})
		}
	} else if cc.orderTasks {
		j.byWorker = make([]*ring[*chunk[A, R]], p.n)
		for id := range j.byWorker {
			j.byWorker[id] = newRing[*chunk[A, R]](maxChunks)
		}
	} else {
		j.queue = newRing[*chunk[A, R]](maxChunks)
	}
	if j.progress = startTracker(p, cc, n); j.progress != nil {
		defer func() {
			if broke && err == nil {
				j.progress.finish(errStopped) // the loop left early
			} else {
				j.progress.finish(err)
			}
		}()
	}
	release := j.watch(cc.ctx) // before workers can see the job
	defer release()
	if err := p.beginCall(j); err != nil {
		return err
	}
	defer p.endCall(j)
	defer func() {
		// However the call ends (done, error, early break, a panic in the
		// loop body or the generator), no worker may touch it afterwards.
		j.stopped.Store(true)
		j.waitDrained()
		// A worker's exit function that ran inside the call (its lifespan
		// ended) may have failed after the last chunk was handed out.
		var we *WorkerError
		if e := j.error(); err == nil && errors.As(e, &we) {
			err = e
		}
	}()
	defer j.startWatch()()
	d := newDriver(j, size, maxChunks, ordered, emit)
	// With one worker an unordered call still comes in input order (as in
	// MPIRE); the caller running chunks beside that worker would break it.
	if plain && helpAllowed(p, cc) && (ordered || p.n > 1) {
		done := d.startHelp()
		defer done()
	}
	if j.selfFed() {
		d.outstanding = int(j.chunks)
		p.notify() // workers feed themselves from the slice
		err = d.finish()
	} else {
		err = d.feed(seq, limit)
	}
	if err == errStopped {
		broke, err = true, nil
	}
	return err
}
