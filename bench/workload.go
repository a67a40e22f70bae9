package bench

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/numapool/numapool/numapool"
	"github.com/numapool/numapool/topology"
	"golang.org/x/sync/errgroup"
)

// A Workload is one kind of parallel work, run by every contender that can
// express it. Sizes are the n a benchmark uses (Full), `go test -short
// -bench` uses (Quick: the whole suite in under two minutes on 2 CPUs) and
// the tests use (Test: fast under -race).
type Workload struct {
	Name              string
	Full, Quick, Test int
	// Tasks is how many tasks (or parallel loops, for Timestep) one run of
	// size n hands out, for allocations per task.
	Tasks func(n int) int
	// Want is the checksum a run of size n must give, from a plain loop.
	Want func(n int) uint64
	// Cases is every contender's way to run the workload at size n over
	// workers goroutines or threads.
	Cases func(n, workers int) []Case
}

// A Case is one contender's way to run a workload.
type Case struct {
	Name string
	New  func() (Instance, error)
}

// An Instance is a Case made ready: Run does the workload once, Sum gives
// the checksum of the last Run, Close releases everything it made.
type Instance interface {
	Run() error
	Sum() uint64
	Close() error
}

// Workloads is every workload, in the order the tables list them.
var Workloads = []*Workload{Tiny, Medium, Unbalanced, Stateful, Numerical, Init, Stream, Reduce, Timestep, Apply}

// UsableCPUs is the number of CPUs this process may run on: the worker
// count every contender gets.
func UsableCPUs() (int, error) {
	m, err := topology.Current()
	if err != nil {
		return 0, err
	}
	n := m.Usable().Len()
	if n < 1 {
		return 0, fmt.Errorf("bench: no usable CPU")
	}
	return n, nil
}

// instance is an Instance from functions; close may be nil.
type instance struct {
	run   func() error
	sum   func() uint64
	close func() error
}

func (in instance) Run() error   { return in.run() }
func (in instance) Sum() uint64  { return in.sum() }
func (in instance) Close() error { return callClose(in.close) }

func callClose(f func() error) error {
	if f == nil {
		return nil
	}
	return f()
}

// chunkLen is numapool's default chunk size for lazy calls and generators
// (4 chunks per worker), which the contenders that cut chunks themselves
// use too. numapool's eager calls over slices cut shrinking chunks by
// default (numapool.Pool.Plan).
func chunkLen(n, workers int) int {
	return max(1, (n+4*workers-1)/(4*workers))
}

// handSplit runs block over [0, n) cut into one part per worker, one
// goroutine each, joined with a WaitGroup: the ideal for equal tasks.
func handSplit(n, parts int, block func(lo, hi int)) {
	var wg sync.WaitGroup
	per := max(1, (n+parts-1)/parts)
	for lo := 0; lo < n; lo += per {
		wg.Go(func() { block(lo, min(lo+per, n)) })
	}
	wg.Wait()
}

// errgroupChunks runs block over [0, n) in chunks of numapool's default
// size, one errgroup Go per chunk with SetLimit(workers).
func errgroupChunks(n, workers int, block func(lo, hi int)) error {
	var g errgroup.Group
	g.SetLimit(workers)
	per := chunkLen(n, workers)
	for lo := 0; lo < n; lo += per {
		g.Go(func() error { block(lo, min(lo+per, n)); return nil })
	}
	return g.Wait()
}

// runChunks hands a Runner one task per chunk of numapool's default size.
func runChunks(r Runner, n, workers int, block func(lo, hi int)) error {
	per := chunkLen(n, workers)
	return r.Run((n+per-1)/per, func(c int) { block(c*per, min(c*per+per, n)) })
}

// newPool makes a numapool pool of workers threads with opts.
func newPool(workers int, opts ...numapool.Option) (*numapool.Pool, error) {
	return numapool.New(append([]numapool.Option{numapool.Workers(workers)}, opts...)...)
}

// A loop is one contender's copy of an index workload: block fills
// out[lo:hi] with the loop in line, task fills out[i], sum folds out.
type loop struct {
	block func(lo, hi int)
	task  func(i int)
	sum   func() uint64
}

// loopCases are the cases of a workload that fills out[i] for every i in
// [0, n) (Tiny, Medium, Unbalanced, Numerical): a plain loop, the hand
// split, numapool's For (loop in line), ForIndex (one call per index, as
// the peers get) and For on unpinned workers, errgroup over chunks, then every peer with one task
// per index. mk makes one contender's buffers and a func that frees them
// (or nil). extra adds numapool variants, each with its call options.
func loopCases(n, workers int, mk func() (loop, func() error, error), extra map[string][]numapool.CallOption) []Case {
	plain := func(name string, run func(l loop) error) Case {
		return Case{name, func() (Instance, error) {
			l, free, err := mk()
			if err != nil {
				return nil, err
			}
			return instance{func() error { return run(l) }, l.sum, free}, nil
		}}
	}
	pool := func(name string, forIndex bool, poolOpts []numapool.Option, opts ...numapool.CallOption) Case {
		return Case{name, func() (Instance, error) {
			l, free, err := mk()
			if err != nil {
				return nil, err
			}
			p, err := newPool(workers, poolOpts...)
			if err != nil {
				return nil, errors.Join(err, callClose(free))
			}
			run := func() error { return numapool.For(p, n, l.block, opts...) }
			if forIndex {
				run = func() error { return numapool.ForIndex(p, n, l.task, opts...) }
			}
			return instance{run, l.sum, func() error {
				return errors.Join(p.Close(), callClose(free))
			}}, nil
		}}
	}
	cases := []Case{
		plain("seq", func(l loop) error { l.block(0, n); return nil }),
		plain("handsplit", func(l loop) error { handSplit(n, workers, l.block); return nil }),
		pool("numapool", false, nil),
		pool("numapool-foreach", true, nil),
		pool("numapool-unpinned", false, []numapool.Option{numapool.Unpinned()}),
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		cases = append(cases, pool(name, false, nil, extra[name]...))
	}
	cases = append(cases, plain("errgroup-chunk", func(l loop) error { return errgroupChunks(n, workers, l.block) }))
	for _, peer := range Peers {
		cases = append(cases, Case{peer.Name, func() (Instance, error) {
			l, free, err := mk()
			if err != nil {
				return nil, err
			}
			r, err := peer.New(workers)
			if err != nil {
				return nil, errors.Join(err, callClose(free))
			}
			return instance{func() error { return r.Run(n, l.task) }, l.sum, func() error {
				return errors.Join(r.Close(), callClose(free))
			}}, nil
		}})
	}
	return cases
}

// sumUint64 folds a slice of results in index order.
func sumUint64(out []uint64) uint64 {
	var h uint64
	for _, v := range out {
		h = checksum(h, v)
	}
	return h
}
