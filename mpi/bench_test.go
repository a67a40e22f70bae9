package mpi

import (
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
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
// 2026) when it is idle (2000 made 15 us on 27 November; 2700 made 20.6 to
// 21.1 us); BenchmarkMedium/seq reports the real figure.
const mediumIters = 2600

// medium is a CPU-bound task of about 20 us.
func medium(x int) float64 {
	s := float64(x)
	for i := range mediumIters {
		s = math.Sqrt(s*s + float64(i))
	}
	return s
}

// A taskWindow records when the first task of a call started and the last
// one ended (Unix ns), on any worker: a call's lead-in (from the call to
// its first task) and tail (from its last task to its return) are its
// costs outside the tasks that no per-task figure shows. A task costs a
// clock read and an atomic maximum (the first one a second clock read),
// about 1/500 of a medium task, on both sides of a comparison.
type taskWindow struct {
	first, last  atomic.Int64
	leads, tails int64 // the lead-ins and tails of the calls so far, in ns
}

func (tw *taskWindow) wrap(f func(int) float64) func(int) float64 {
	return func(x int) float64 {
		if tw.first.Load() == 0 {
			tw.first.CompareAndSwap(0, time.Now().UnixNano())
		}
		r := f(x)
		end := time.Now().UnixNano()
		for l := tw.last.Load(); l < end && !tw.last.CompareAndSwap(l, end); l = tw.last.Load() {
		}
		return r
	}
}

// around runs call, adds its lead-in and tail to the sums (nothing when
// this rank ran no task), and returns how long it took.
func (tw *taskWindow) around(call func()) time.Duration {
	tw.first.Store(0)
	tw.last.Store(0)
	t0 := time.Now().UnixNano()
	call()
	t1 := time.Now().UnixNano()
	if tw.first.Load() != 0 {
		tw.leads += tw.first.Load() - t0
		tw.tails += t1 - tw.last.Load()
	}
	return time.Duration(t1 - t0)
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

// localPool gives rank 0 the pool of the local calls, two workers on CPUs
// 0 and 1; other ranks get nil.
func localPool(b *testing.B, c *Comm) *numapool.Pool {
	if c.Rank() != 0 {
		return nil
	}
	p, err := numapool.New(numapool.CPUIDs(0, 1))
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
	// back, in alternating order, so that both see the same load on a
	// shared machine. The figures are medians over the iterations: of each
	// call's time and of the ratio of each pair, which other programs'
	// bursts (on this shared 2-vCPU machine, tens of ms) move far less than
	// they move a sum. cpu-ratio is the CPU time both ranks used in the
	// distributed calls over what they used in the local ones (rank 1's is
	// its barrier's then): the extra work of the MPI threads and runners.
	local := localPool(b, c)
	// The local call takes numapool's default chunks (4 per worker) against
	// guided chunks, and chunks of 64 against chunks of 64. short is a call
	// of a tenth the tasks (about 6 ms locally), where a call's lead-in and
	// tail weigh ten times as much.
	for _, tc := range []struct {
		name  string
		n     int
		opts  []Option
		local []numapool.CallOption
	}{
		{"guided", n, nil, nil},
		{"guided-prefetch2", n, []Option{Prefetch(2)}, nil},
		{"chunk64", n, []Option{ChunkSize(64)}, []numapool.CallOption{numapool.ChunkSize(64)}},
		{"chunk64-prefetch2", n, []Option{ChunkSize(64), Prefetch(2)}, []numapool.CallOption{numapool.ChunkSize(64)}},
		{"short-guided", n / 10, nil, nil},
	} {
		in := in[:tc.n]
		b.Run("mpi-2ranks-1worker-vs-local-1rank-2workers/"+tc.name, func(b *testing.B) {
			p := rankPool(b, c)
			var st Stats
			var tLocal, tMPI, ratio []float64
			var cpuLocal, cpuMPI time.Duration
			share := 0
			// The lead-ins and tails of the local calls, and of each rank
			// in the distributed ones.
			var twLocal, twMPI taskWindow
			fLocal, fMPI := twLocal.wrap(medium), twMPI.wrap(medium)
			// Each call is timed between points where both ranks are
			// awake: rank 0 times its local call alone while rank 1 waits
			// in a barrier, and the distributed call starts after a
			// second barrier, which rank 1 enters right after the first
			// one (its wait in the first one may end up to a few ms late).
			runLocal := func() (time.Duration, time.Duration) {
				var d time.Duration
				c0 := processCPU()
				if c.Rank() == 0 {
					d = twLocal.around(func() {
						if _, err := numapool.Map(local, in, fLocal, tc.local...); err != nil {
							b.Fatal(err)
						}
					})
				}
				cpu := processCPU() - c0
				barriers(b, c)
				return d, cpu
			}
			runMPI := func() (time.Duration, time.Duration) {
				var mine []int
				if c.Rank() == 0 {
					mine = in
				}
				c0 := processCPU()
				d := twMPI.around(func() {
					if _, err := Map(c, p, mine, fMPI, append(tc.opts, WithStats(&st))...); err != nil {
						b.Fatal(err)
					}
				})
				cpu := processCPU() - c0
				barriers(b, c)
				return d, cpu
			}
			barriers(b, c)
			b.ResetTimer()
			for i := range b.N {
				var dl, dm, cl, cm time.Duration
				if i%2 == 0 {
					dl, cl = runLocal()
					dm, cm = runMPI()
				} else {
					dm, cm = runMPI()
					dl, cl = runLocal()
				}
				tLocal, tMPI = append(tLocal, float64(dl)), append(tMPI, float64(dm))
				ratio = append(ratio, float64(dm)/float64(dl))
				cpuLocal, cpuMPI = cpuLocal+cl, cpuMPI+cm
				if c.Rank() == 0 {
					share += st.TasksPerRank[1]
				}
			}
			b.StopTimer()
			cpu := sumOverRanks(b, c, []int64{int64(cpuLocal), int64(cpuMPI)})
			mpiWin := sumOverRanks(b, c, []int64{twMPI.leads, twMPI.tails})
			if c.Rank() == 0 {
				b.ReportMetric(median(tLocal), "local-ns/op")
				b.ReportMetric(median(tMPI), "mpi-ns/op")
				b.ReportMetric(median(ratio), "mpi/local")
				b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "cpu-ratio")
				b.ReportMetric(float64(share)/float64(b.N*tc.n), "rank1-share")
				b.ReportMetric(float64(st.Chunks), "chunks")
				// Microseconds per call; the distributed figures are the
				// mean over the ranks.
				calls := float64(b.N) * 1e3
				b.ReportMetric(float64(twLocal.leads)/calls, "local-lead-in-us")
				b.ReportMetric(float64(twLocal.tails)/calls, "local-tail-us")
				b.ReportMetric(float64(mpiWin[0])/calls/float64(c.Size()), "mpi-lead-in-us")
				b.ReportMetric(float64(mpiWin[1])/calls/float64(c.Size()), "mpi-tail-us")
				b.ReportMetric(float64(twMPI.leads)/calls, "r0-lead-us")
				b.ReportMetric(float64(twMPI.tails)/calls, "r0-tail-us")
			}
		})
	}
	_ = sink
}

// barriers synchronises the ranks twice: after the second barrier, every
// rank is awake and none is in a long wait.
func barriers(b *testing.B, c *Comm) {
	for range 2 {
		if err := c.Barrier(); err != nil {
			b.Fatal(err)
		}
	}
}

// processCPU returns the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sumOverRanks returns the element-wise sum of v over every rank.
func sumOverRanks(b *testing.B, c *Comm, v []int64) []int64 {
	all := make([]int64, len(v)*c.Size())
	copy(all[c.Rank()*len(v):], v)
	if err := c.do(func(t *thread) error {
		got, err := t.allMax(all)
		all = got
		return err
	}); err != nil {
		b.Fatal(err)
	}
	sum := make([]int64, len(v))
	for r := range c.Size() {
		for i := range v {
			sum[i] += all[r*len(v)+i]
		}
	}
	return sum
}

// median returns the middle value of xs (the mean of the two middle ones
// for an even count); xs is sorted in place.
func median(xs []float64) float64 {
	slices.Sort(xs)
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
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
		mapTimed(b, c, in, inc, "ns/chunk", ChunkSize(1))
	})
}

// BenchmarkLargeMessages: light tasks (about 0.2 us) in chunks whose
// arguments and results are far over Open MPI's eager limit (128 KB and
// 512 KB messages), where a message moves only while both ranks' MPI
// threads make MPI calls, against the local call on 2 workers.
func BenchmarkLargeMessages(b *testing.B) {
	c := world
	if c == nil || c.Size() != 2 || runtime.NumCPU() < 2 {
		b.Skip("needs mpirun -np 2 on at least 2 CPUs (make bench-mpi)")
	}
	const n = 1 << 19
	in := count(n)
	light := func(x int) int {
		for i := range 200 {
			x = x*31 + i
		}
		return x
	}
	b.Run("local-1rank-2workers", func(b *testing.B) {
		local := localPool(b, c)
		b.ResetTimer()
		onRank0(b, c, func() {
			start := time.Now()
			for range b.N {
				if _, err := numapool.Map(local, in, light); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*n), "ns/task")
		})
	})
	for _, size := range []int{16384, 65536} {
		b.Run("mpi-2ranks-1worker/chunk"+strconv.Itoa(size), func(b *testing.B) {
			mapTimed(b, c, in, light, "ns/task", ChunkSize(size))
		})
	}
}

// mapTimed runs Map of f over rank 0's input in, b.N times, on a pool of
// one worker per rank (rankPool), and reports the time per item of in in
// unit.
func mapTimed(b *testing.B, c *Comm, in []int, f func(int) int, unit string, opts ...Option) {
	p := rankPool(b, c)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		var mine []int
		if c.Rank() == 0 {
			mine = in
		}
		if _, err := Map(c, p, mine, f, opts...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*len(in)), unit)
}
