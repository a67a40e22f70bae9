package numapool_test

import (
	"fmt"
	"log"
	"sync"
	"testing"

	"github.com/numapool/numapool/numapool"
)

// RunParallel in a benchmark: one body per pinned worker, sharing b.N
// iterations. (Called through testing.Benchmark here so the example runs;
// in a _test.go file it goes straight into a BenchmarkXxx function.)
func ExampleRunParallel() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	var mu sync.Mutex
	perWorker := map[int]int{}
	total := 0
	testing.Benchmark(func(b *testing.B) {
		clear(perWorker)
		numapool.RunParallel(b, p, func(w *numapool.Worker, pb *numapool.PB) {
			n := 0
			for pb.Next() {
				n++ // the benchmarked work, on w's own CPU
			}
			mu.Lock()
			perWorker[w.ID()] += n
			mu.Unlock()
		})
		total = b.N
	})
	fmt.Println("bodies:", len(perWorker), "iterations:", perWorker[0]+perWorker[1] == total)
	// Output: bodies: 2 iterations: true
}
