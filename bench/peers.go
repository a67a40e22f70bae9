package bench

import (
	"errors"
	"iter"
	"sync"

	"github.com/alitto/pond/v2"
	"github.com/panjf2000/ants/v2"
	conciter "github.com/sourcegraph/conc/iter"
	concpool "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

// A Runner is a peer library used the way its documentation shows: one
// task (a closure) handed over per call of task.
type Runner interface {
	// Run calls task(i) once for every i in [0, n) and returns when every
	// call has returned.
	Run(n int, task func(i int)) error
	// Stream calls task(x) for each x that seq yields, with a bounded
	// number of tasks taken and not finished, and returns when every call
	// has returned. It returns errNoStream where the peer has no way to.
	Stream(seq iter.Seq[int], task func(x int)) error
	// Close stops what the runner started: every goroutine it made has
	// ended when Close returns.
	Close() error
}

// A Peer names a Runner and makes one over a number of goroutines.
type Peer struct {
	Name string
	New  func(workers int) (Runner, error)
}

var errNoStream = errors.New("bench: this peer cannot consume a stream")

// Peers is every per-task peer, in the order the tables list them.
var Peers = []Peer{ErrgroupPeer, ChanPoolPeer, AntsPeer, PondPeer, ConcPoolPeer, ConcIterPeer}

// ErrgroupPeer is errgroup.Group with SetLimit(workers), one Go per task
// and a fresh group per call, as errgroup's documentation shows. Go blocks
// while workers tasks run, which bounds a stream.
var ErrgroupPeer = Peer{"errgroup", func(workers int) (Runner, error) {
	return errgroupRunner(workers), nil
}}

type errgroupRunner int

func (w errgroupRunner) Run(n int, task func(int)) error {
	var g errgroup.Group
	g.SetLimit(int(w))
	for i := range n {
		g.Go(func() error { task(i); return nil })
	}
	return g.Wait()
}

func (w errgroupRunner) Stream(seq iter.Seq[int], task func(int)) error {
	var g errgroup.Group
	g.SetLimit(int(w))
	for x := range seq {
		g.Go(func() error { task(x); return nil })
	}
	return g.Wait()
}

func (errgroupRunner) Close() error { return nil }

// ChanPoolPeer is the pool Go programmers write by hand: workers goroutines
// reading closures from one channel of 1024, a WaitGroup per call.
var ChanPoolPeer = Peer{"chanpool", func(workers int) (Runner, error) {
	c := &chanPool{tasks: make(chan func(), 1024)}
	for range workers {
		c.wg.Go(func() {
			for t := range c.tasks {
				t()
			}
		})
	}
	return c, nil
}}

type chanPool struct {
	tasks chan func()
	wg    sync.WaitGroup
}

func (c *chanPool) Run(n int, task func(int)) error {
	var done sync.WaitGroup
	done.Add(n)
	for i := range n {
		c.tasks <- func() { task(i); done.Done() }
	}
	done.Wait()
	return nil
}

func (c *chanPool) Stream(seq iter.Seq[int], task func(int)) error {
	var done sync.WaitGroup
	for x := range seq {
		done.Add(1)
		c.tasks <- func() { task(x); done.Done() }
	}
	done.Wait()
	return nil
}

func (c *chanPool) Close() error { close(c.tasks); c.wg.Wait(); return nil }

// AntsPeer is an ants.Pool of workers goroutines with one Submit per task
// and a WaitGroup per call, as ants' README shows. Submit blocks while every
// worker is busy (ants' default), which bounds a stream.
var AntsPeer = Peer{"ants", func(workers int) (Runner, error) {
	p, err := ants.NewPool(workers)
	if err != nil {
		return nil, err
	}
	return antsRunner{p}, nil
}}

type antsRunner struct{ p *ants.Pool }

func (r antsRunner) Run(n int, task func(int)) error {
	return r.Stream(func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}, task)
}

func (r antsRunner) Stream(seq iter.Seq[int], task func(int)) error {
	var wg sync.WaitGroup
	var err error
	for x := range seq {
		wg.Add(1)
		if err = r.p.Submit(func() { task(x); wg.Done() }); err != nil {
			wg.Done()
			break
		}
	}
	wg.Wait()
	return err
}

// Close waits for ants' workers and its purge and ticker goroutines.
func (r antsRunner) Close() error { return r.p.ReleaseTimeout(ants.DefaultCleanIntervalTime * 10) }

// PondPeer is a pond/v2 pool of workers goroutines; a call submits its
// tasks to a task group and waits for the group, as pond's README shows
// for related tasks. Streams go to a second pool whose queue holds
// 2 x workers tasks, so that Go blocks when it is full (pond's default
// queue is unbounded and would take the whole stream at once).
var PondPeer = Peer{"pond", func(workers int) (Runner, error) {
	return &pondRunner{
		p:      pond.NewPool(workers),
		stream: pond.NewPool(workers, pond.WithQueueSize(2*workers)),
	}, nil
}}

type pondRunner struct{ p, stream pond.Pool }

func (r *pondRunner) Run(n int, task func(int)) error {
	g := r.p.NewGroup()
	for i := range n {
		g.Submit(func() { task(i) })
	}
	return g.Wait()
}

func (r *pondRunner) Stream(seq iter.Seq[int], task func(int)) error {
	var wg sync.WaitGroup
	var err error
	for x := range seq {
		wg.Add(1)
		if err = r.stream.Go(func() { task(x); wg.Done() }); err != nil {
			wg.Done()
			break
		}
	}
	wg.Wait()
	return err
}

func (r *pondRunner) Close() error { r.p.StopAndWait(); r.stream.StopAndWait(); return nil }

// ConcPoolPeer is a conc pool limited to workers goroutines, one Go per
// task, a fresh pool per call (a conc pool is not reused after Wait). Go
// blocks while workers tasks run, which bounds a stream.
var ConcPoolPeer = Peer{"conc-pool", func(workers int) (Runner, error) {
	return concPoolRunner(workers), nil
}}

type concPoolRunner int

func (w concPoolRunner) Run(n int, task func(int)) error {
	p := concpool.New().WithMaxGoroutines(int(w))
	for i := range n {
		p.Go(func() { task(i) })
	}
	p.Wait()
	return nil
}

func (w concPoolRunner) Stream(seq iter.Seq[int], task func(int)) error {
	p := concpool.New().WithMaxGoroutines(int(w))
	for x := range seq {
		p.Go(func() { task(x) })
	}
	p.Wait()
	return nil
}

func (concPoolRunner) Close() error { return nil }

// ConcIterPeer is conc/iter's Iterator.ForEachIdx over workers goroutines,
// which take one index at a time from an atomic counter (no chunks). It
// needs a slice, so it has no stream.
var ConcIterPeer = Peer{"conc-iter", func(workers int) (Runner, error) {
	return concIterRunner{conciter.Iterator[struct{}]{MaxGoroutines: workers}}, nil
}}

type concIterRunner struct{ it conciter.Iterator[struct{}] }

func (r concIterRunner) Run(n int, task func(int)) error {
	r.it.ForEachIdx(make([]struct{}, n), func(i int, _ *struct{}) { task(i) })
	return nil
}

func (concIterRunner) Stream(iter.Seq[int], func(int)) error { return errNoStream }
func (concIterRunner) Close() error                          { return nil }
