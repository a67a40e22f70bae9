package numapool

import (
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/numapool/numapool/topology"
)

// The baselines, run beside numapool in the same benchmark so that figures
// compare as ratios within one run (benchstat):
//   - seq:       one goroutine, a plain loop;
//   - handsplit: the ideal, the slice cut into one part per usable CPU,
//     one goroutine each, joined with a WaitGroup;
//   - chanpool:  a worker pool fed one task at a time through a buffered
//     channel, the usual hand-written Go pool.
// Each calls the task through a func value that the compiler cannot see
// through, as numapool must: a library gets the task as a value and cannot
// inline it. handsplit-inlined shows what inlining x*x into a hand-written
// loop gains, for honesty; no pool can reach it.

var benchSink []int

func benchSquare(x int) int { return x * x }

// opaqueSquare is benchSquare behind a variable, so calls through it are
// not inlined.
var opaqueSquare = benchSquare

func benchInput(n int) []int {
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	return in
}

func handSplit(f func(int) int, in, out []int, parts int) {
	var wg sync.WaitGroup
	per := (len(in) + parts - 1) / parts
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

// chanPool is a plain buffered-channel worker pool.
type chanPool struct {
	tasks chan func()
	wg    sync.WaitGroup
}

func newChanPool(workers int) *chanPool {
	c := &chanPool{tasks: make(chan func(), 1024)}
	for range workers {
		c.wg.Go(func() {
			for t := range c.tasks {
				t()
			}
		})
	}
	return c
}

func (c *chanPool) close() { close(c.tasks); c.wg.Wait() }

func (c *chanPool) mapInts(f func(int) int, in, out []int) {
	var done sync.WaitGroup
	done.Add(len(in))
	for i := range in {
		c.tasks <- func() { out[i] = f(in[i]); done.Done() }
	}
	done.Wait()
}

// benchPool starts a pool for a benchmark and closes it when it ends.
func benchPool(b *testing.B, opts ...Option) *Pool {
	b.Helper()
	p, err := New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

func usableCPUs(b *testing.B) int {
	m, err := topology.Current()
	if err != nil {
		b.Fatal(err)
	}
	return m.Usable().Len()
}

// BenchmarkMapSquares is the first figure: Map of x*x over
// 1,000,000 ints against the hand-split loop over the same CPUs.
func BenchmarkMapSquares(b *testing.B) {
	const n = 1_000_000
	in := benchInput(n)
	out := make([]int, n)
	cpus := usableCPUs(b)
	f := opaqueSquare
	b.Run("seq", func(b *testing.B) {
		for b.Loop() {
			for i := range in {
				out[i] = f(in[i])
			}
		}
	})
	b.Run("handsplit", func(b *testing.B) {
		for b.Loop() {
			handSplit(f, in, out, cpus)
		}
	})
	b.Run("handsplit-inlined", func(b *testing.B) {
		var wg sync.WaitGroup
		for b.Loop() {
			per := (n + cpus - 1) / cpus
			for lo := 0; lo < n; lo += per {
				hi := min(lo+per, n)
				wg.Go(func() {
					for i := lo; i < hi; i++ {
						out[i] = in[i] * in[i]
					}
				})
			}
			wg.Wait()
		}
	})
	// Map returns a new slice, so the like-for-like ideal allocates its
	// output on every call too.
	b.Run("handsplit-alloc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res := make([]int, n)
			handSplit(f, in, res, cpus)
			benchSink = res
		}
	})
	b.Run("numapool-into", func(b *testing.B) {
		p := benchPool(b)
		b.ReportAllocs()
		for b.Loop() {
			if err := MapInto(p, out, in, f); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, fresh := range []bool{false, true} {
		b.Run(fmt.Sprintf("numapool/fresh=%v", fresh), func(b *testing.B) {
			p := benchPool(b, freshOpt(fresh)...)
			b.ReportAllocs()
			for b.Loop() {
				r, err := Map(p, in, f)
				if err != nil {
					b.Fatal(err)
				}
				benchSink = r
			}
		})
	}
}

// BenchmarkMapChunk1 is the per-task overhead figure: chunk size 1 over
// 100,000 ints against a buffered-channel pool doing the same.
func BenchmarkMapChunk1(b *testing.B) {
	const n = 100_000
	in := benchInput(n)
	out := make([]int, n)
	cpus := usableCPUs(b)
	b.Run("chanpool", func(b *testing.B) {
		c := newChanPool(cpus)
		defer c.close()
		b.ReportAllocs()
		for b.Loop() {
			c.mapInts(opaqueSquare, in, out)
		}
	})
	b.Run("numapool", func(b *testing.B) {
		p := benchPool(b)
		b.ReportAllocs()
		for b.Loop() {
			r, err := Map(p, in, opaqueSquare, ChunkSize(1))
			if err != nil {
				b.Fatal(err)
			}
			benchSink = r
		}
	})
	b.Run("numapool-workers-only", func(b *testing.B) {
		p := benchPool(b, WorkersOnly())
		b.ReportAllocs()
		for b.Loop() {
			r, err := Map(p, in, opaqueSquare, ChunkSize(1))
			if err != nil {
				b.Fatal(err)
			}
			benchSink = r
		}
	})
	for _, lazy := range []struct {
		name string
		call func(*Pool, []int, func(int) int, ...CallOption) iter.Seq2[int, error]
	}{
		{"numapool-imap", IMap[int, int, []int]},
		{"numapool-imap-unordered", IMapUnordered[int, int, []int]},
	} {
		b.Run(lazy.name, func(b *testing.B) {
			p := benchPool(b)
			b.ReportAllocs()
			for b.Loop() {
				for r, err := range lazy.call(p, in, opaqueSquare, ChunkSize(1)) {
					if err != nil {
						b.Fatal(err)
					}
					out[0] = r
				}
			}
		})
	}
}

// benchPair runs a and base one after the other in every iteration, a
// first in even iterations and base first in odd ones, and reports the
// median over iterations of a's time over base's times scale as the
// metric unit. A pair runs within microseconds to milliseconds, so the
// slow spells of a shared machine, which move whole benchmarks by 10% or
// more, weigh on both sides of each ratio alike.
func benchPair(b *testing.B, unit string, scale float64, a, base func()) {
	timed := func(f func()) time.Duration {
		t0 := time.Now()
		f()
		return time.Since(t0)
	}
	var ratios []float64
	for i := 0; b.Loop(); i++ {
		var ta, tb time.Duration
		if i%2 == 0 {
			ta = timed(a)
			tb = timed(base)
		} else {
			tb = timed(base)
			ta = timed(a)
		}
		ratios = append(ratios, float64(ta)/(float64(tb)*scale))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], unit)
}

// BenchmarkMapSmall measures the fixed cost of one call: 64 tasks, against
// the hand-split loop over the usable CPUs. workers-only keeps every task
// on a worker (WorkersOnly): the cost of waking parked worker threads.
func BenchmarkMapSmall(b *testing.B) {
	in := benchInput(64)
	cpus := usableCPUs(b)
	handsplit := func() {
		out := make([]int, len(in))
		handSplit(opaqueSquare, in, out, cpus)
		benchSink = out
	}
	call := func(b *testing.B, p *Pool) {
		r, err := Map(p, in, benchSquare)
		if err != nil {
			b.Fatal(err)
		}
		benchSink = r
	}
	b.Run("handsplit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			handsplit()
		}
	})
	for _, c := range []struct {
		name string
		opts []Option
	}{
		{"fresh=false", nil},
		{"fresh=true", []Option{FreshWorkersPerCall()}},
		{"workers-only", []Option{WorkersOnly()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := benchPool(b, c.opts...)
			b.ReportAllocs()
			for b.Loop() {
				call(b, p)
			}
		})
	}
	// Issue 14's ratio, paired: at most 3.
	b.Run("pair", func(b *testing.B) {
		p := benchPool(b)
		benchPair(b, "x-handsplit", 1, func() { call(b, p) }, handsplit)
	})
}

// spin is a task of about units x 60 ns.
func spin(units int) int {
	v := 0
	for i := range units {
		v += mix(i)
	}
	return v
}

var opaqueSpin = spin

// BenchmarkUnbalanced is 5,000 tasks whose cost grows with the index (task
// i about i/5000 x 40 us): seq is the sequential loop, so seq / CPUs is the
// ideal where nothing else runs, and handsplit-balanced (equal costs per
// CPU, no hand-out) the ideal this machine gives in the same run;
// handsplit cuts the input in equal halves; chanpool hands out one
// task at a time; numapool runs the default (shrinking) chunks and, for
// comparison, four equal chunks per worker on workers only (the defaults
// before shrinking chunks).
func BenchmarkUnbalanced(b *testing.B) {
	const n = 5000
	in := make([]int, n)
	for i := range in {
		in[i] = i * 667 / n
	}
	out := make([]int, n)
	cpus := usableCPUs(b)
	seq := func() {
		for i := range in {
			out[i] = opaqueSpin(in[i])
		}
	}
	call := func(b *testing.B, p *Pool, opts ...CallOption) {
		if err := MapInto(p, out, in, opaqueSpin, opts...); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("seq", func(b *testing.B) {
		for b.Loop() {
			seq()
		}
	})
	b.Run("handsplit", func(b *testing.B) {
		for b.Loop() {
			handSplit(opaqueSpin, in, out, cpus)
		}
	})
	// handsplit-balanced is the oracle: one goroutine per CPU, each given
	// the same total cost (cut where the running sum of in reaches its
	// share), with no hand-out at all. Its time is what this machine
	// delivers for the call at the moment, the ideal that seq / 2 stands
	// for where nothing else runs.
	b.Run("handsplit-balanced", func(b *testing.B) {
		cuts := costCuts(in, cpus)
		for b.Loop() {
			var wg sync.WaitGroup
			for k := range cpus {
				wg.Go(func() {
					for i := cuts[k]; i < cuts[k+1]; i++ {
						out[i] = opaqueSpin(in[i])
					}
				})
			}
			wg.Wait()
		}
	})
	b.Run("chanpool", func(b *testing.B) {
		c := newChanPool(cpus)
		defer c.close()
		for b.Loop() {
			c.mapInts(opaqueSpin, in, out)
		}
	})
	for _, c := range []struct {
		name string
		opts []Option
	}{
		{"numapool", nil},
		{"numapool-unpinned", []Option{Unpinned()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := benchPool(b, c.opts...)
			for b.Loop() {
				call(b, p)
			}
		})
	}
	// Issue 14's ratio, paired: numapool over seq / CPUs (at most 1.02),
	// and over the channel pool.
	b.Run("pair-seq", func(b *testing.B) {
		p := benchPool(b)
		benchPair(b, "x-seq/cpus", 1/float64(cpus), func() { call(b, p) }, seq)
	})
	b.Run("pair-chanpool", func(b *testing.B) {
		p := benchPool(b)
		c := newChanPool(cpus)
		defer c.close()
		benchPair(b, "x-chanpool", 1, func() { call(b, p) }, func() { c.mapInts(opaqueSpin, in, out) })
	})
	// The defaults before shrinking chunks and lanes: four equal chunks
	// per worker, every chunk on a worker.
	b.Run("numapool-equal-chunks", func(b *testing.B) {
		p := benchPool(b, WorkersOnly())
		for b.Loop() {
			call(b, p, ChunkSize(ceilDiv(n, 4*p.n)))
		}
	})
}

// costCuts cuts in into parts runs of equal total cost, where the cost of
// task i is in[i] (opaqueSpin's), and returns the parts+1 bounds.
func costCuts(in []int, parts int) []int {
	total := 0
	for _, c := range in {
		total += c
	}
	cuts := make([]int, 1, parts+1)
	sum := 0
	for i, c := range in {
		if sum += c; len(cuts) < parts && sum*parts >= total*len(cuts) {
			cuts = append(cuts, i+1)
		}
	}
	for len(cuts) < parts+1 {
		cuts = append(cuts, len(in))
	}
	return cuts
}

// BenchmarkIdlePool reports the CPU time the whole process spends per
// second while a pool sits idle (getrusage), as cpu-ms/idle-s.
func BenchmarkIdlePool(b *testing.B) {
	p := benchPool(b)
	if _, err := Map(p, benchInput(1000), benchSquare); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var total time.Duration
	for b.Loop() {
		before := cpuTime(b)
		time.Sleep(time.Second)
		total += cpuTime(b) - before
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "cpu-ms/idle-s")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mix is a compute-bound task of about 60 ns: 64 rounds of xorshift.
func mix(x int) int {
	v := uint64(x) | 1
	for range 64 {
		v ^= v << 13
		v ^= v >> 7
		v ^= v << 17
	}
	return int(v)
}

var opaqueMix = mix

// BenchmarkScaling runs a compute-bound task over 200,000 ints on 1, 2,
// 4, ... workers up to the usable CPUs, against the hand-split loop on as
// many goroutines. On a 2-CPU machine it shows little; run it where there
// are more CPUs.
func BenchmarkScaling(b *testing.B) {
	const n = 200_000
	in := benchInput(n)
	out := make([]int, n)
	cpus := usableCPUs(b)
	for w := 1; w <= cpus; w *= 2 {
		b.Run(fmt.Sprintf("handsplit/workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				handSplit(opaqueMix, in, out, w)
			}
		})
		b.Run(fmt.Sprintf("numapool/workers=%d", w), func(b *testing.B) {
			p := benchPool(b, Workers(w))
			for b.Loop() {
				if err := MapInto(p, out, in, opaqueMix); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFullMachine runs the compute-bound task on every usable CPU in
// a few configurations, to tell where time goes when workers take all of
// them: pinned or not, coarse or fine chunks, one CPU left free.
func BenchmarkFullMachine(b *testing.B) {
	const n = 200_000
	in := benchInput(n)
	out := make([]int, n)
	cpus := usableCPUs(b)
	b.Run("handsplit", func(b *testing.B) {
		for b.Loop() {
			handSplit(opaqueMix, in, out, cpus)
		}
	})
	for _, c := range []struct {
		name  string
		opts  []Option
		chunk int
	}{
		{"pinned", nil, 0},
		{"unpinned", []Option{Unpinned()}, 0},
		{"pinned-fine", nil, n / (32 * cpus)},
		{"unpinned-fine", []Option{Unpinned()}, n / (32 * cpus)},
		{"pinned-n-1", []Option{Workers(max(1, cpus-1))}, 0},
		{"pinned-channel", nil, 0},
		{"pinned-futex", nil, 0},
		{"unpinned-futex", []Option{Unpinned()}, 0},
	} {
		b.Run(c.name, func(b *testing.B) {
			switch {
			case strings.HasSuffix(c.name, "futex"):
				parking = parkFutex
			case strings.HasSuffix(c.name, "channel"):
				parking = parkChannel
			}
			defer func() { parking = parkAuto }()
			p := benchPool(b, c.opts...)
			var opts []CallOption
			if c.chunk > 0 {
				opts = append(opts, ChunkSize(c.chunk))
			}
			for b.Loop() {
				if err := MapInto(p, out, in, opaqueMix, opts...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIMapChunk1FreeP is the lazy chunk-size-1 call on a pool that
// leaves the caller a P of its own (one worker fewer than GOMAXPROCS).
func BenchmarkIMapChunk1FreeP(b *testing.B) {
	in := benchInput(100_000)
	p := benchPool(b, Workers(max(1, runtime.GOMAXPROCS(0)-1)))
	for b.Loop() {
		for r, err := range IMap(p, in, opaqueSquare, ChunkSize(1)) {
			if err != nil {
				b.Fatal(err)
			}
			_ = r
		}
	}
}

// freshOpt is FreshWorkersPerCall when fresh is set.
func freshOpt(fresh bool) []Option {
	if fresh {
		return []Option{FreshWorkersPerCall()}
	}
	return nil
}
