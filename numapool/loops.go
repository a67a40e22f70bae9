package numapool

import (
	"fmt"
	"time"
)

// For runs body over the index range 0..n-1 on the pool's workers, a block
// at a time: body(lo, hi) must handle every index i with lo <= i < hi.
// Blocks are cut as ChunkSize says (by default shrinking, see Pool.Plan),
// and workers take them one uncontended compare-and-swap at a time, so the
// cost per block is one indirect call and the loop inside body is the
// caller's own code, which the compiler
// optimises as in a hand-written loop (inlined arithmetic, bounds-check
// elimination, vectorisable stores):
//
//	numapool.For(p, len(xs), func(lo, hi int) {
//		for i := lo; i < hi; i++ {
//			ys[i] = xs[i] * xs[i]
//		}
//	})
//
// A panic in body ends the call with a *TaskError whose Index is the
// block's first index and whose Arg names the block, "[lo, hi)".
func For(p *Pool, n int, body func(lo, hi int), opts ...CallOption) error {
	return forRange(p, n, opts, true, func(pl Plan) rangeBody {
		return func(_ *Worker, _, lo, hi int) error {
			body(lo, hi)
			return nil
		}
	})
}

// ForFunc is For for loop bodies that need their worker (ID, CPUs, NUMA
// node, state, shared objects) or fail: the first error ends the call with
// a *TaskError that wraps it, naming the block.
func ForFunc(p *Pool, n int, body func(w *Worker, lo, hi int) error, opts ...CallOption) error {
	return forRange(p, n, opts, false, func(pl Plan) rangeBody {
		return func(w *Worker, _, lo, hi int) error { return body(w, lo, hi) }
	})
}

// ForIndex runs body(i) for every i in 0..n-1: For with one indirect call
// per index (about 1-2 ns each), for loop bodies too big for that to matter.
func ForIndex(p *Pool, n int, body func(i int), opts ...CallOption) error {
	return forRange(p, n, opts, true, func(pl Plan) rangeBody {
		return func(_ *Worker, _, lo, hi int) error {
			for i := lo; i < hi; i++ {
				body(i)
			}
			return nil
		}
	})
}

// Reduce computes a reduction over the index range 0..n-1: body(lo, hi)
// returns the partial result of one block, and combine merges partials. The
// partials are kept one per block (one allocation per call, none per block
// or index) and combined on the calling goroutine in block order, so the
// result depends only on n, the chunk size and the number of workers: a
// float64 sum gives the same bits on every run with the same pool and
// options (OpenMP's reduction clause does not promise this). combine need
// not be commutative, only associative. For n == 0 Reduce returns R's zero
// value.
//
//	sum, err := numapool.Reduce(p, len(xs), func(lo, hi int) float64 {
//		s := 0.0
//		for _, x := range xs[lo:hi] {
//			s += x
//		}
//		return s
//	}, func(a, b float64) float64 { return a + b })
func Reduce[R any](p *Pool, n int, body func(lo, hi int) R, combine func(a, b R) R, opts ...CallOption) (R, error) {
	return reduce(p, n, func(_ *Worker, lo, hi int) (R, error) { return body(lo, hi), nil }, combine, opts, true)
}

// ReduceFunc is Reduce for bodies that need their worker or fail: the
// first error ends the call with a *TaskError that wraps it.
func ReduceFunc[R any](p *Pool, n int, body func(w *Worker, lo, hi int) (R, error), combine func(a, b R) R, opts ...CallOption) (R, error) {
	return reduce(p, n, body, combine, opts, false)
}

// reduce is Reduce and ReduceFunc; plain says body ignores its Worker.
func reduce[R any](p *Pool, n int, body func(w *Worker, lo, hi int) (R, error), combine func(a, b R) R, opts []CallOption, plain bool) (R, error) {
	var (
		zero     R
		partials []R
	)
	err := forRange(p, n, opts, plain, func(pl Plan) rangeBody {
		partials = make([]R, pl.Chunks)
		return func(w *Worker, k, lo, hi int) error {
			r, err := body(w, lo, hi)
			if err != nil {
				return err
			}
			partials[k] = r
			return nil
		}
	})
	if err != nil || len(partials) == 0 {
		return zero, err
	}
	acc := partials[0]
	for _, r := range partials[1:] {
		acc = combine(acc, r)
	}
	return acc, nil
}

// rangeBody runs block k, indices [lo, hi), of a range loop.
type rangeBody func(w *Worker, k, lo, hi int) error

// blockArg names a block of a range loop in a TaskError.
type blockArg struct{ lo, hi int }

func (b blockArg) String() string { return fmt.Sprintf("[%d, %d)", b.lo, b.hi) }

// forRange runs a range loop of n indices on a sliceJob; mk builds the
// block body once the plan is known. plain says the body ignores its
// Worker, so the caller may help (sliceJob.help).
func forRange(p *Pool, n int, opts []CallOption, plain bool, mk func(Plan) rangeBody) error {
	if n < 0 {
		return fmt.Errorf("numapool: a loop over %d indices: the count cannot be negative", n)
	}
	cc, err := callOptions(opts)
	if err != nil {
		return err
	}
	if cc.iterableLen >= 0 {
		return fmt.Errorf("numapool: IterableLen(%d) is for iter.Seq inputs; a loop's length is its n argument", cc.iterableLen)
	}
	if n == 0 {
		mk(Plan{})
		if t := startTracker(p, &cc, 0); t != nil {
			t.finish(nil) // an empty loop's bar ends complete
		}
		return nil
	}
	pl, sched, err := slicePlan(&cc, n, p.n)
	if err != nil {
		return err
	}
	j := newSliceJob(p, &cc, pl, sched, plain)
	body := mk(pl)
	b := &j.jobBase
	if b.timeout > 0 {
		b.argOf = func(w *Worker, lo int) string {
			return blockArg{lo, int(w.curHi.Load())}.String()
		}
	}
	j.run = func(w *Worker, k, lo, hi int) (ok bool) {
		if b.stopped.Load() {
			return false // as chunkRunner: no block of a stopped call starts
		}
		ended := false
		defer func() {
			if !ended {
				b.taskFailed(w, lo, blockArg{lo, hi}, recovered(recover()))
			}
		}()
		var t0 time.Time
		ins := p.insights
		if ins != nil {
			t0 = time.Now()
		}
		if b.timeout > 0 {
			w.curHi.Store(int64(hi))
			w.curTask.Store(int64(lo))
			defer w.curTask.Store(noTask)
		}
		err := body(w, k, lo, hi)
		ended = true
		if ins != nil {
			ins.chunkDone(w.id, time.Since(t0), hi-lo, lo, blockArg{lo, hi}.String)
		}
		if err != nil {
			b.taskFailed(w, lo, blockArg{lo, hi}, err)
			return false
		}
		return true
	}
	return runSlice(p, j, &cc)
}
