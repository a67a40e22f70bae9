package mpi

import (
	"errors"
	"fmt"
	"slices"

	"github.com/numapool/numapool/numapool"
)

// Reduce computes body over blocks [lo, hi) of 0..n-1 on every rank's pool
// and combines the partial results into one, returned on every rank. It is
// collective: every rank passes the same n.
//
// Rank 0 hands out chunks as Map does. A rank reduces its chunk with
// numapool.Reduce in blocks of LocalChunkSize tasks, which combines the
// blocks' partials in block order; rank 0 then combines the chunks' partials in chunk order and
// broadcasts the result. Chunk and block boundaries depend only on n, the
// number of ranks and the options, never on timing or on which rank ran a
// chunk, so the result is the same bits on every run: combine need only be
// associative, not commutative (floating-point sums included, up to their
// usual rounding for that grouping). R travels as raw bytes when it is
// pointer-free, else through ResultCodec. n == 0 gives R's zero value.
func Reduce[R any](c *Comm, p *numapool.Pool, n int, body func(lo, hi int) R, combine func(a, b R) R, opts ...Option) (R, error) {
	var f func(*numapool.Worker, int, int) (R, error)
	if body != nil {
		f = func(_ *numapool.Worker, lo, hi int) (R, error) { return body(lo, hi), nil }
	}
	return ReduceFunc(c, p, n, f, combine, opts...)
}

// block is a range of tasks as a task's argument.
type block struct{ lo, hi int }

func (b block) String() string { return fmt.Sprintf("[%d, %d)", b.lo, b.hi) }

// ReduceFunc is Reduce for bodies that need their worker or return an
// error. A failed block ends the call on every rank with a *TaskError
// whose Index is the block's start.
func ReduceFunc[R any](c *Comm, p *numapool.Pool, n int, body func(w *numapool.Worker, lo, hi int) (R, error), combine func(a, b R) R, opts ...Option) (R, error) {
	var zero R
	j := &job[struct{}, R]{kind: callReduce, n: n, perChunk: true, name: func() string { return "Reduce" }}
	var errs []error
	cfg, err := newConfig(opts)
	if err != nil {
		errs = append(errs, err)
		cfg = &config{prefetch: defaultPrefetch}
	}
	j.cfg = cfg
	if p == nil {
		errs = append(errs, errors.New("mpi: Reduce: the pool is nil; every rank passes a pool of its own (numapool.New())"))
	}
	if body == nil || combine == nil {
		errs = append(errs, errors.New("mpi: Reduce: body and combine must both be non-nil"))
	}
	if n < 0 {
		errs = append(errs, fmt.Errorf("mpi: Reduce: n = %d; the number of tasks cannot be negative", n))
	}
	if cfg.argCodec != nil || cfg.everyRank {
		errs = append(errs, errors.New("mpi: Reduce: ArgCodec and InputOnEveryRank do not apply: only index ranges travel"))
	}
	if j.res, err = pickCodec[R](cfg.resCodec, "results", "ResultCodec"); err != nil {
		errs = append(errs, err)
	}
	j.fail = errors.Join(errs...)

	j.run = func(lo, hi int, _ []struct{}, out []R) error {
		v, err := reduceChunk(c.rank, p, lo, hi, cfg, body, combine)
		out[0] = v
		return err
	}
	type part struct {
		lo int
		v  R
	}
	var parts []part
	var result R
	if c.rank == 0 {
		j.sink = func(int, int) []R { return make([]R, 1) }
		j.done = func(lo, _ int, res []R) error {
			parts = append(parts, part{lo, res[0]})
			return nil
		}
		j.last = func() (payload []byte, err error) {
			slices.SortFunc(parts, func(a, b part) int { return a.lo - b.lo })
			vs := make([]R, len(parts))
			for i, pt := range parts {
				vs[i] = pt.v
			}
			if result, err = fold(vs, combine); err != nil {
				return nil, err
			}
			return j.res.Append(nil, []R{result})
		}
	} else {
		j.take = func(payload []byte) error {
			v := make([]R, 1)
			if err := j.res.Decode(payload, v); err != nil {
				return fmt.Errorf("mpi: Reduce: the result from rank 0: %w", err)
			}
			result = v[0]
			return nil
		}
	}
	if err := c.do(func(t *thread) error { return runJob(t, c, j) }); err != nil {
		return zero, err
	}
	return result, nil
}

// reduceChunk reduces [lo, hi) on the pool with numapool.ReduceFunc, in
// blocks of LocalChunkSize combined in block order. A panic in combine,
// which numapool runs on the calling thread, is returned as an error.
func reduceChunk[R any](rank int, p *numapool.Pool, lo, hi int, cfg *config, body func(w *numapool.Worker, lo, hi int) (R, error), combine func(a, b R) R) (v R, err error) {
	size := cfg.localChunk
	if size == 0 {
		size = max(1, (hi-lo+63)/64)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mpi: Reduce: combine panicked: %v", r)
		}
	}()
	opts := append(slices.Clip(cfg.local), numapool.ChunkSize(size))
	v, err = numapool.ReduceFunc(p, hi-lo, func(w *numapool.Worker, a, b int) (R, error) {
		return body(w, lo+a, lo+b)
	}, combine, opts...)
	if te, ok := errors.AsType[*numapool.TaskError](err); ok {
		b := block{lo + te.Index, min(hi, lo+te.Index+size)}
		return v, &TaskError{Rank: rank, WorkerID: te.WorkerID, Index: b.lo, Arg: b.String(), Msg: te.Err.Error(), Err: te.Err}
	}
	return v, err
}

// fold combines vs left to right; a panic in combine is returned as an
// error, so that the call still ends on every rank.
func fold[R any](vs []R, combine func(a, b R) R) (acc R, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mpi: Reduce: combine panicked: %v", r)
		}
	}()
	if len(vs) == 0 {
		return acc, nil
	}
	acc = vs[0]
	for _, v := range vs[1:] {
		acc = combine(acc, v)
	}
	return acc, nil
}
