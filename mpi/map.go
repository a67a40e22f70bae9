package mpi

import (
	"errors"
	"fmt"

	"github.com/numapool/numapool/numapool"
)

// Map calls f on every item of rank 0's input, spread over every rank's
// pool, and returns the results on rank 0 in input order; other ranks get
// nil. It is collective: every rank calls it, with its own pool. Other
// ranks pass a nil input, or the same one with InputOnEveryRank.
//
// Rank 0 hands out chunks of the input in order and on demand (see
// ChunkSize and Prefetch): a slow rank asks less often and gets less. Each
// rank runs a chunk as one call of its pool (numapool.MapInto), on a
// goroutine of its own, while its MPI thread answers and receives the next
// chunks; as in a local call, that goroutine runs tasks while the pool's
// workers wake (worker -1 in a TaskError) unless the pool is WorkersOnly.
// Arguments and results of pointer-free types travel as raw bytes; others
// need ArgCodec or ResultCodec. A failed task ends the call on every rank
// with a *TaskError naming the rank, worker, index and argument; ranks skip
// the chunks they still hold.
func Map[A, R any](c *Comm, p *numapool.Pool, in []A, f func(A) R, opts ...Option) ([]R, error) {
	return mapCall(c, p, in, nil, f, opts)
}

// MapFunc is Map for tasks that need their worker or return an error.
func MapFunc[A, R any](c *Comm, p *numapool.Pool, in []A, f func(w *numapool.Worker, a A) (R, error), opts ...Option) ([]R, error) {
	return mapCall(c, p, in, f, nil, opts)
}

// mapCall is Map and MapFunc: one of f (MapFunc's) and plain (Map's) is
// set.
func mapCall[A, R any](c *Comm, p *numapool.Pool, in []A, f func(w *numapool.Worker, a A) (R, error), plain func(A) R, opts []Option) ([]R, error) {
	j := newMapJob(c, p, in, f, plain, opts, callMap, "Map")
	var out []R
	if c.rank == 0 && j.fail == nil {
		out = make([]R, len(in))
		j.sink = func(lo, hi int) []R { return out[lo:hi] }
		j.done = func(int, int, []R) error { return nil }
	}
	if err := c.do(func(t *thread) error { return runJob(t, c, j) }); err != nil {
		return nil, err
	}
	return out, nil
}

// newMapJob builds the job of a map call. A problem with this rank's own
// arguments is kept in j.fail, so that the call fails on every rank. The
// task is f, or plain when f is nil. A chunk is one call of the rank's
// pool: MapInto of plain into the chunk's results (no allocation, no copy,
// and the runner may run tasks while the worker wakes), or MapFunc of f.
func newMapJob[A, R any](c *Comm, p *numapool.Pool, in []A, f func(w *numapool.Worker, a A) (R, error), plain func(A) R, opts []Option, kind int64, name string) *job[A, R] {
	j := &job[A, R]{kind: kind, name: func() string { return name }}
	var errs []error
	cfg, err := newConfig(opts)
	if err != nil {
		errs = append(errs, err)
		cfg = &config{prefetch: defaultPrefetch}
	}
	j.cfg = cfg
	if p == nil {
		errs = append(errs, fmt.Errorf("mpi: %s: the pool is nil; every rank passes a pool of its own (numapool.New())", name))
	}
	if f == nil && plain == nil {
		errs = append(errs, fmt.Errorf("mpi: %s: the task function is nil", name))
	}
	j.ship = !cfg.everyRank
	switch {
	case c.rank == 0 || cfg.everyRank:
		j.in, j.n = in, len(in)
	case in != nil:
		errs = append(errs, fmt.Errorf("mpi: %s: rank %d passed an input of %d items, but only rank 0's is used; pass nil on other ranks, or InputOnEveryRank() when every rank has the same input", name, c.rank, len(in)))
	}
	if j.ship {
		if j.args, err = pickCodec[A](cfg.argCodec, "arguments", "ArgCodec"); err != nil {
			errs = append(errs, err)
		}
	}
	if j.res, err = pickCodec[R](cfg.resCodec, "results", "ResultCodec"); err != nil {
		errs = append(errs, err)
	}
	j.fail = errors.Join(errs...)
	local := cfg.local
	if plain != nil {
		j.run = func(lo, hi int, args []A, out []R) error {
			return numapool.MapInto(p, out, args, plain, local...)
		}
		return j
	}
	j.run = func(lo, hi int, args []A, out []R) error {
		res, err := numapool.MapFunc(p, args, f, local...)
		if err != nil {
			return err
		}
		copy(out, res)
		return nil
	}
	return j
}
