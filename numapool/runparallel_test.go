package numapool

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/csrc"
)

// RunParallel runs one body per worker, on that worker's pinned thread,
// and the bodies together run exactly b.N iterations.
func TestRunParallel(t *testing.T) {
	p := newPool(t, Workers(2))
	want := threadsOfWorkers(t, p)
	var (
		mu     sync.Mutex
		bodies = map[int]int{} // worker ID -> thread
		iters  atomic.Int64
		rounds int
		lastN  int
	)
	res := testing.Benchmark(func(b *testing.B) {
		rounds++
		lastN = b.N
		iters.Store(0)
		mu.Lock()
		clear(bodies)
		mu.Unlock()
		RunParallel(b, p, func(w *Worker, pb *PB) {
			mu.Lock()
			bodies[w.ID()] = csrc.ThreadID()
			mu.Unlock()
			for pb.Next() {
				iters.Add(1)
			}
		})
	})
	require.Positive(t, rounds)
	assert.Equal(t, int64(lastN), iters.Load(), "b.N iterations in all")
	assert.Equal(t, want, bodies, "one body on each worker's own thread")
	assert.Positive(t, res.N)
}

func TestPBHandsOutEveryIterationOnce(t *testing.T) {
	for _, c := range []struct{ n, grain uint64 }{{0, 1}, {1, 1}, {10, 3}, {1000, 7}, {5, 10000}} {
		var next atomic.Uint64
		seen := make([]atomic.Int32, c.n)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				pb := &PB{next: &next, n: c.n, grain: c.grain}
				// The iteration number is not exposed; count by grains.
				for pb.Next() {
					seen[pb.cache-1].Add(1)
				}
			})
		}
		wg.Wait()
		for i := range seen {
			assert.Equal(t, int32(1), seen[i].Load(), "n=%d grain=%d iteration %d", c.n, c.grain, i)
		}
	}
}

// A panicking body fails the run with a TaskError naming the worker, and
// the pool stays usable.
func TestOnEachWorkerErrors(t *testing.T) {
	p := newPool(t, Workers(2))
	err := onEachWorker(p, func(w *Worker) error {
		if w.ID() == 1 {
			panic("body failed")
		}
		return nil
	})
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, 1, te.WorkerID)
	assert.Equal(t, 1, te.Index)
	var ran atomic.Int32
	require.NoError(t, onEachWorker(p, func(w *Worker) error { ran.Add(1); return nil }))
	assert.Equal(t, int32(2), ran.Load())
}
