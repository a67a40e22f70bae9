package numapool

import (
	"sync/atomic"
	"testing"
)

// RunParallel runs a benchmark body on every worker of p, as
// testing.B.RunParallel does on goroutines, but each body runs on its
// worker's pinned thread and gets its *Worker (ID, CPUs, NUMA node, state),
// so a parallel benchmark repeats from run to run: the same threads on the
// same CPUs. The bodies share b.N iterations, handed out by pb.Next in
// grains of up to 10,000 (one atomic add per grain). Like testing's
// RunParallel, it does not reset the timer. A failing body (a panic, or
// runtime.Goexit from b.FailNow) fails the benchmark with the worker named.
//
//	func BenchmarkLookup(b *testing.B) {
//		p, _ := numapool.New()
//		defer p.Close()
//		numapool.RunParallel(b, p, func(w *numapool.Worker, pb *numapool.PB) {
//			for pb.Next() {
//				lookup(w.ID())
//			}
//		})
//	}
func RunParallel(b *testing.B, p *Pool, body func(w *Worker, pb *PB)) {
	b.Helper()
	n := uint64(b.N)
	// As testing does: grains small enough to balance, large enough that
	// the shared counter is not the bottleneck.
	grain := n / (100 * uint64(p.Workers()))
	grain = max(1, min(grain, 10000))
	var next atomic.Uint64
	err := onEachWorker(p, func(w *Worker) error {
		body(w, &PB{next: &next, n: n, grain: grain})
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// PB hands out the iterations of a RunParallel benchmark to one body.
type PB struct {
	next       *atomic.Uint64 // iterations handed out, shared by the bodies
	n, grain   uint64
	cache, end uint64 // this body's current grain
}

// Next reports whether there is another iteration to run.
func (pb *PB) Next() bool {
	if pb.cache < pb.end {
		pb.cache++
		return true
	}
	start := pb.next.Add(pb.grain) - pb.grain
	if start >= pb.n {
		return false
	}
	pb.cache, pb.end = start+1, min(start+pb.grain, pb.n)
	return true
}
