package mpi

import (
	"iter"
	"sync/atomic"

	"github.com/numapool/numapool/numapool"
)

// An Item is one result of MapStream with the position of its task.
type Item[R any] struct {
	Index int // position of the task in rank 0's input
	Value R
}

// MapStream is MapFunc without input order: on rank 0 it yields each
// chunk's results as soon as the chunk is back, from whichever rank ran
// it. Other ranks run their chunks inside the loop and yield nothing but a
// failure. A failure is yielded once, last, with a zero Item.
//
// Stopping the loop early on rank 0 ends the call on every rank: ranks
// skip the chunks they still hold, and their loops end without an error.
// While the loop runs, the MPI thread serves it: other calls on c (from
// the loop's body, say) return ErrBusy.
func MapStream[A, R any](c *Comm, p *numapool.Pool, in []A, f func(w *numapool.Worker, a A) (R, error), opts ...Option) iter.Seq2[Item[R], error] {
	return func(yield func(Item[R], error) bool) {
		j := newMapJob(c, p, in, f, nil, opts, callStream, "MapStream")
		type chunk struct {
			lo  int
			res []R
		}
		chunks := make(chan chunk, c.size*j.cfg.prefetch+1)
		var stopped atomic.Bool
		if c.rank == 0 {
			j.sink = func(lo, hi int) []R { return make([]R, hi-lo) }
			j.done = func(lo, _ int, res []R) error {
				if stopped.Load() {
					return errStopped
				}
				chunks <- chunk{lo, res}
				return nil
			}
		}

		c.mu.RLock()
		defer c.mu.RUnlock()
		if c.finalized {
			yield(Item[R]{}, ErrFinalized)
			return
		}
		if !c.streaming.CompareAndSwap(false, true) {
			yield(Item[R]{}, ErrBusy)
			return
		}
		defer c.streaming.Store(false)
		result := make(chan error, 1)
		c.reqs <- func(t *thread) {
			result <- safely(t, func(t *thread) error {
				defer close(chunks)
				return runJob(t, c, j)
			})
		}
		// On an early stop (or a panic in the loop's body), let the call
		// end on every rank before returning.
		finished := false
		defer func() {
			if !finished {
				stopped.Store(true)
				for range chunks {
				}
				<-result
			}
		}()
		for ck := range chunks {
			for i, r := range ck.res {
				if !yield(Item[R]{Index: ck.lo + i, Value: r}, nil) {
					return
				}
			}
		}
		finished = true
		if err := <-result; err != nil {
			yield(Item[R]{}, err)
		}
	}
}
