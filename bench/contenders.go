package bench

import (
	"fmt"
	"sync"

	"github.com/alitto/pond/v2"
	"github.com/numapool/numapool/numapool"
	"github.com/numapool/numapool/topology"
	"github.com/panjf2000/ants/v2"
	conciter "github.com/sourcegraph/conc/iter"
	concpool "github.com/sourcegraph/conc/pool"
	"golang.org/x/sync/errgroup"
)

// A Runner maps a task over a slice of ints, in parallel or not, and
// returns the results in input order.
type Runner interface {
	// Map returns f(in[i]) at index i. Runners named "-into" or "seq"
	// and "handsplit" fill one buffer they own and return it, so the
	// result is only valid until the next call; all others return a new
	// slice, as numapool.Map does.
	Map(in []int, f func(int) int) ([]int, error)
	// Close stops whatever the runner started; every goroutine and thread
	// it made has ended when Close returns.
	Close() error
}

// A Contender names a way to run a map and makes a Runner for it over
// workers goroutines or threads.
type Contender struct {
	Name string
	New  func(workers int) (Runner, error)
}

// UsableCPUs is the number of CPUs this process may run on, the worker
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

// chunkLen is numapool's default chunk size (4 chunks per worker), used by
// the contenders that cut the input into chunks themselves, so that chunked
// contenders compare like for like.
func chunkLen(n, workers int) int {
	return max(1, (n+4*workers-1)/(4*workers))
}

// buffer returns *buf resized to n, reallocating only when it is too small.
func buffer(buf *[]int, n int) []int {
	if cap(*buf) < n {
		*buf = make([]int, n)
	}
	return (*buf)[:n]
}

// funcRunner is a Runner with nothing to close.
type funcRunner func(in []int, f func(int) int) ([]int, error)

func (r funcRunner) Map(in []int, f func(int) int) ([]int, error) { return r(in, f) }
func (funcRunner) Close() error                                   { return nil }

// Seq is one goroutine and a plain loop into a reused buffer.
var Seq = Contender{"seq", func(int) (Runner, error) {
	var buf []int
	return funcRunner(func(in []int, f func(int) int) ([]int, error) {
		out := buffer(&buf, len(in))
		for i, x := range in {
			out[i] = f(x)
		}
		return out, nil
	}), nil
}}

func handSplit(f func(int) int, in, out []int, parts int) {
	var wg sync.WaitGroup
	per := max(1, (len(in)+parts-1)/parts)
	for lo := 0; lo < len(in); lo += per {
		hi := min(lo+per, len(in))
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				out[i] = f(in[i])
			}
		})
	}
	wg.Wait()
}

// HandSplit is the ideal: the input cut into one part per worker, one
// goroutine each, joined with a WaitGroup, into a reused buffer.
var HandSplit = Contender{"handsplit", func(workers int) (Runner, error) {
	var buf []int
	return funcRunner(func(in []int, f func(int) int) ([]int, error) {
		out := buffer(&buf, len(in))
		handSplit(f, in, out, workers)
		return out, nil
	}), nil
}}

// HandSplitAlloc is HandSplit allocating its result on every call, the
// like-for-like ideal for numapool.Map.
var HandSplitAlloc = Contender{"handsplit-alloc", func(workers int) (Runner, error) {
	return funcRunner(func(in []int, f func(int) int) ([]int, error) {
		out := make([]int, len(in))
		handSplit(f, in, out, workers)
		return out, nil
	}), nil
}}

type numapoolRunner struct {
	p    *numapool.Pool
	opts []numapool.CallOption
	into bool
	buf  []int
}

func (r *numapoolRunner) Map(in []int, f func(int) int) ([]int, error) {
	if r.into {
		out := buffer(&r.buf, len(in))
		return out, numapool.MapInto(r.p, out, in, f, r.opts...)
	}
	return numapool.Map(r.p, in, f, r.opts...)
}

func (r *numapoolRunner) Close() error { return r.p.Close() }

func numapoolContender(name string, into bool, opts ...numapool.CallOption) Contender {
	return Contender{name, func(workers int) (Runner, error) {
		p, err := numapool.New(numapool.Workers(workers))
		if err != nil {
			return nil, err
		}
		return &numapoolRunner{p: p, opts: opts, into: into}, nil
	}}
}

var (
	// Numapool is numapool.Map on a keep-alive pool, default chunks.
	Numapool = numapoolContender("numapool", false)
	// NumapoolInto is numapool.MapInto into a reused buffer.
	NumapoolInto = numapoolContender("numapool-into", true)
	// NumapoolChunk1 is numapool.Map with ChunkSize(1): one task per chunk.
	NumapoolChunk1 = numapoolContender("numapool-chunk1", false, numapool.ChunkSize(1))
)

// ErrgroupTask is errgroup with SetLimit(workers) and one Go per task, a
// fresh group per call.
var ErrgroupTask = Contender{"errgroup-task", func(workers int) (Runner, error) {
	return funcRunner(func(in []int, f func(int) int) ([]int, error) {
		out := make([]int, len(in))
		var g errgroup.Group
		g.SetLimit(workers)
		for i := range in {
			g.Go(func() error { out[i] = f(in[i]); return nil })
		}
		return out, g.Wait()
	}), nil
}}

// ErrgroupChunk is errgroup with SetLimit(workers) and one Go per chunk,
// chunks of numapool's default size.
var ErrgroupChunk = Contender{"errgroup-chunk", func(workers int) (Runner, error) {
	return funcRunner(func(in []int, f func(int) int) ([]int, error) {
		out := make([]int, len(in))
		var g errgroup.Group
		g.SetLimit(workers)
		per := chunkLen(len(in), workers)
		for lo := 0; lo < len(in); lo += per {
			hi := min(lo+per, len(in))
			g.Go(func() error {
				for i := lo; i < hi; i++ {
					out[i] = f(in[i])
				}
				return nil
			})
		}
		return out, g.Wait()
	}), nil
}}

// chanPool is the usual hand-written Go pool: workers goroutines reading
// tasks from one buffered channel, fed one task at a time.
type chanPool struct {
	tasks chan func()
	wg    sync.WaitGroup
}

func (c *chanPool) Map(in []int, f func(int) int) ([]int, error) {
	out := make([]int, len(in))
	var done sync.WaitGroup
	done.Add(len(in))
	for i := range in {
		c.tasks <- func() { out[i] = f(in[i]); done.Done() }
	}
	done.Wait()
	return out, nil
}

func (c *chanPool) Close() error { close(c.tasks); c.wg.Wait(); return nil }

// ChanPool is chanPool with a channel of 1024 tasks.
var ChanPool = Contender{"chanpool", func(workers int) (Runner, error) {
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

// antsRunner submits each task to an ants.Pool as its own closure.
type antsRunner struct{ p *ants.Pool }

func (r antsRunner) Map(in []int, f func(int) int) ([]int, error) {
	out := make([]int, len(in))
	var wg sync.WaitGroup
	wg.Add(len(in))
	for i := range in {
		if err := r.p.Submit(func() { out[i] = f(in[i]); wg.Done() }); err != nil {
			wg.Add(i - len(in)) // the tasks not submitted
			wg.Wait()
			return nil, err
		}
	}
	wg.Wait()
	return out, nil
}

// Close waits for ants' workers and its purge and ticker goroutines.
func (r antsRunner) Close() error { return r.p.ReleaseTimeout(ants.DefaultCleanIntervalTime * 10) }

// Ants is ants.Pool of workers goroutines with one Submit per task.
var Ants = Contender{"ants", func(workers int) (Runner, error) {
	p, err := ants.NewPool(workers)
	if err != nil {
		return nil, err
	}
	return antsRunner{p}, nil
}}

// antsJob is the call an antsFuncRunner's workers serve. It is set before
// the first Invoke of a call; Invoke's hand-over orders it before the
// workers' reads.
type antsJob struct {
	in, out []int
	f       func(int) int
	wg      sync.WaitGroup
}

// antsFuncRunner invokes an ants.PoolWithFuncGeneric with each index: no
// closure per task, the cheapest way through ants.
type antsFuncRunner struct {
	p   *ants.PoolWithFuncGeneric[int]
	job *antsJob
}

func (r *antsFuncRunner) Map(in []int, f func(int) int) ([]int, error) {
	j := &antsJob{in: in, out: make([]int, len(in)), f: f}
	r.job = j
	j.wg.Add(len(in))
	for i := range in {
		if err := r.p.Invoke(i); err != nil {
			j.wg.Add(i - len(in))
			j.wg.Wait()
			return nil, err
		}
	}
	j.wg.Wait()
	return j.out, nil
}

func (r *antsFuncRunner) Close() error {
	return r.p.ReleaseTimeout(ants.DefaultCleanIntervalTime * 10)
}

// AntsFunc is ants.PoolWithFuncGeneric[int] with one Invoke per task.
var AntsFunc = Contender{"ants-func", func(workers int) (Runner, error) {
	r := &antsFuncRunner{}
	p, err := ants.NewPoolWithFuncGeneric(workers, func(i int) {
		j := r.job
		j.out[i] = j.f(j.in[i])
		j.wg.Done()
	})
	if err != nil {
		return nil, err
	}
	r.p = p
	return r, nil
}}

// pondRunner hands each task to a pond pool with Go (no Task handle).
type pondRunner struct{ p pond.Pool }

func (r pondRunner) Map(in []int, f func(int) int) ([]int, error) {
	out := make([]int, len(in))
	var wg sync.WaitGroup
	wg.Add(len(in))
	for i := range in {
		if err := r.p.Go(func() { out[i] = f(in[i]); wg.Done() }); err != nil {
			wg.Add(i - len(in))
			wg.Wait()
			return nil, err
		}
	}
	wg.Wait()
	return out, nil
}

func (r pondRunner) Close() error { r.p.StopAndWait(); return nil }

// Pond is a pond/v2 pool of workers goroutines with one Go per task.
var Pond = Contender{"pond", func(workers int) (Runner, error) {
	return pondRunner{pond.NewPool(workers)}, nil
}}

// ConcPool is a conc pool limited to workers goroutines, one Go per task,
// a fresh pool per call (a conc pool cannot be reused after Wait).
var ConcPool = Contender{"conc-pool", func(workers int) (Runner, error) {
	return funcRunner(func(in []int, f func(int) int) ([]int, error) {
		out := make([]int, len(in))
		p := concpool.New().WithMaxGoroutines(workers)
		for i := range in {
			p.Go(func() { out[i] = f(in[i]) })
		}
		p.Wait()
		return out, nil
	}), nil
}}

// ConcIter is conc/iter.Mapper.Map over workers goroutines. It does not
// cut chunks: its goroutines take one index at a time from an atomic
// counter.
var ConcIter = Contender{"conc-iter", func(workers int) (Runner, error) {
	m := conciter.Mapper[int, int]{MaxGoroutines: workers}
	return funcRunner(func(in []int, f func(int) int) ([]int, error) {
		return m.Map(in, func(x *int) int { return f(*x) }), nil
	}), nil
}}

// All is every contender, for the tests.
var All = []Contender{
	Seq, HandSplit, HandSplitAlloc,
	Numapool, NumapoolInto, NumapoolChunk1,
	ErrgroupTask, ErrgroupChunk, ChanPool,
	Ants, AntsFunc, Pond, ConcPool, ConcIter,
}
