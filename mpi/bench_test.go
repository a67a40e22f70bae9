package mpi

import (
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/numapool/numapool/numapool"
)

// Run under mpirun with a fixed iteration count, so that every rank runs
// each benchmark the same number of times (make bench-mpi):
//
//	mpi/mpirun-local.sh -np 2 --bind-to none --tag-output ./mpi.test \
//		-test.run xxx -test.bench . -test.benchtime 20x -test.count 6
//
// Rank 0's lines are the figures; the other ranks time their own waits.

// mediumIters makes medium about 20 us on this kind of machine (2 vCPUs,
// 2026) when it is idle; BenchmarkMedium/seq reports the real figure.
const mediumIters = 2000

// medium is a CPU-bound task of about 20 us.
func medium(x int) float64 {
	s := float64(x)
	for i := range mediumIters {
		s = math.Sqrt(s*s + float64(i))
	}
	return s
}

// onRank0 runs f on rank 0 only while the other ranks wait in a barrier
// that sleeps, so they leave the CPUs to rank 0.
func onRank0(b *testing.B, c *Comm, f func()) {
	if c.Rank() == 0 {
		f()
	}
	if err := c.Barrier(); err != nil {
		b.Fatal(err)
	}
}

// rankPool gives each rank one worker pinned to a CPU of its own (rank r
// on CPU r mod CPUs), whatever mpirun's binding.
func rankPool(b *testing.B, c *Comm) *numapool.Pool {
	p, err := numapool.New(numapool.CPUIDs(c.Rank() % runtime.NumCPU()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Close() })
	return p
}

func BenchmarkMedium(b *testing.B) {
	c := world
	if c == nil || c.Size() != 2 || runtime.NumCPU() < 2 {
		b.Skip("needs mpirun -np 2 on at least 2 CPUs (make bench-mpi)")
	}
	const n = 4000
	in := count(n)
	var sink float64
	b.Run("seq-1rank-1worker", func(b *testing.B) {
		onRank0(b, c, func() {
			start := time.Now()
			for range b.N {
				for _, x := range in {
					sink += medium(x)
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/task")
		})
	})
	// Each iteration runs the local call and the distributed one back to
	// back, so that both see the same load on a shared machine; the ratio
	// of their sums is the figure.
	var local *numapool.Pool
	if c.Rank() == 0 {
		var err error
		if local, err = numapool.New(numapool.CPUIDs(0, 1)); err != nil {
			b.Fatal(err)
		}
		defer local.Close()
	}
	// The local call takes numapool's default chunks (4 per worker) against
	// guided chunks, and chunks of 64 against chunks of 64.
	for _, tc := range []struct {
		name  string
		opts  []Option
		local []numapool.CallOption
	}{
		{"guided", nil, nil},
		{"guided-prefetch2", []Option{Prefetch(2)}, nil},
		{"chunk64", []Option{ChunkSize(64)}, []numapool.CallOption{numapool.ChunkSize(64)}},
		{"chunk64-prefetch2", []Option{ChunkSize(64), Prefetch(2)}, []numapool.CallOption{numapool.ChunkSize(64)}},
	} {
		b.Run("mpi-2ranks-1worker-vs-local-1rank-2workers/"+tc.name, func(b *testing.B) {
			p := rankPool(b, c)
			var st Stats
			var tLocal, tMPI time.Duration
			share := 0
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				onRank0(b, c, func() {
					if _, err := numapool.Map(local, in, medium, tc.local...); err != nil {
						b.Fatal(err)
					}
				})
				t1 := time.Now()
				var mine []int
				if c.Rank() == 0 {
					mine = in
				}
				if _, err := Map(c, p, mine, medium, append(tc.opts, WithStats(&st))...); err != nil {
					b.Fatal(err)
				}
				tLocal, tMPI = tLocal+t1.Sub(t0), tMPI+time.Since(t1)
				if c.Rank() == 0 {
					share += st.TasksPerRank[1]
				}
			}
			if c.Rank() == 0 {
				b.ReportMetric(float64(tLocal.Nanoseconds())/float64(b.N), "local-ns/op")
				b.ReportMetric(float64(tMPI.Nanoseconds())/float64(b.N), "mpi-ns/op")
				b.ReportMetric(float64(tMPI)/float64(tLocal), "mpi/local")
				b.ReportMetric(float64(share)/float64(b.N*n), "rank1-share")
				b.ReportMetric(float64(st.Chunks), "chunks")
			}
		})
	}
	_ = sink
}

// BenchmarkHandout measures what one chunk costs: Map of trivial tasks,
// one per chunk, against one local pool call per task (the part of a
// chunk's cost that is not MPI's).
func BenchmarkHandout(b *testing.B) {
	c := world
	if c == nil || c.Size() < 2 {
		b.Skip("needs mpirun -np 2 or more (make bench-mpi)")
	}
	const n = 2000
	in := count(n)
	inc := func(x int) int { return x + 1 }
	b.Run("local-pool-call-per-chunk", func(b *testing.B) {
		p := rankPool(b, c)
		b.ResetTimer()
		onRank0(b, c, func() {
			start := time.Now()
			for range b.N {
				for i := range in {
					if _, err := numapool.Map(p, in[i:i+1], inc); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/chunk")
		})
	})
	b.Run("mpi-chunk", func(b *testing.B) {
		p := rankPool(b, c)
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			var mine []int
			if c.Rank() == 0 {
				mine = in
			}
			if _, err := Map(c, p, mine, inc, ChunkSize(1)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/chunk")
	})
}
