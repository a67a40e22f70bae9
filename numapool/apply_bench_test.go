package numapool

import (
	"sync"
	"testing"
)

// BenchmarkApply: the cost of one apply of a tiny function, submitted 1,000
// at a time and then collected, against submitting the same function to a
// buffered-channel pool and waiting for it with a WaitGroup.
func BenchmarkApply(b *testing.B) {
	const batch = 1000
	cpus := usableCPUs(b)
	f := func(x int) int { return x * x }
	b.Run("chanpool", func(b *testing.B) {
		c := newChanPool(cpus)
		defer c.close()
		out := make([]int, batch)
		b.ReportAllocs()
		for b.Loop() {
			var wg sync.WaitGroup
			wg.Add(batch)
			for i := range batch {
				c.tasks <- func() { out[i] = f(i); wg.Done() }
			}
			wg.Wait()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/apply")
	})
	b.Run("ApplyAsync", func(b *testing.B) {
		p := benchPool(b)
		futs := make([]*Future[int], batch)
		b.ReportAllocs()
		for b.Loop() {
			for i := range batch {
				futs[i] = ApplyAsync(p, func(*Worker) (int, error) { return f(i), nil })
			}
			for _, fu := range futs {
				if _, err := fu.Get(); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/apply")
	})
}
