package shm

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"
)

// benchBytes is the array size for the benchmarks: SHM_BENCH_MIB mebibytes,
// else 64 MiB under -short, else 1 GiB.
func benchBytes(b *testing.B) int {
	if v := os.Getenv("SHM_BENCH_MIB"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			b.Fatalf("SHM_BENCH_MIB=%q: want a positive number of MiB", v)
		}
		return n << 20
	}
	if testing.Short() {
		return 64 << 20
	}
	return 1 << 30
}

// mix is splitmix64's finaliser: cheap, and a good spread of indices.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// readArrays returns same-sized arrays on the first node with memory: THP,
// normal pages, and the Go heap for reference, filled with mixed values.
func readArrays(b *testing.B) (thp, normal *Array[uint64], heap []uint64) {
	b.Helper()
	n := benchBytes(b) / 8
	ni, err := machineNodes()
	if err != nil {
		b.Fatal(err)
	}
	node := ni.memory[0]
	if thp, err = New[uint64](n, THP, Bind(node)); err != nil {
		b.Fatal(err)
	}
	if normal, err = New[uint64](n, NormalPages, Bind(node)); err != nil {
		b.Fatal(err)
	}
	heap = make([]uint64, n)
	for _, s := range [][]uint64{thp.Slice(), normal.Slice(), heap} {
		for i := range s {
			s[i] = mix(uint64(i))
		}
	}
	return thp, normal, heap
}

var sinkU uint64

// chase does reads dependent random reads: each index comes from the
// value read before, so every read waits for the previous one, TLB miss
// and all; the read count mixed in keeps the walk out of short cycles.
// len(s) must be a power of two.
func chase(s []uint64, i uint64, reads int) uint64 {
	mask := uint64(len(s) - 1)
	for k := range reads {
		i = mix(s[i&mask]+uint64(k)) & mask
	}
	return i
}

// gather does reads independent random reads, which the CPU can overlap.
func gather(s []uint64, seed uint64, reads int) uint64 {
	mask := uint64(len(s) - 1)
	var sum uint64
	for k := range reads {
		sum += s[mix(seed+uint64(k))&mask]
	}
	return sum
}

func powerOfTwo(b *testing.B) {
	if n := benchBytes(b) / 8; n&(n-1) != 0 {
		b.Fatalf("SHM_BENCH_MIB must be a power of two, got %d MiB", benchBytes(b)>>20)
	}
}

// BenchmarkRandomRead reads random uint64s from THP, normal-page and Go heap
// arrays of the same size; ns/op is ns per read. Compare with benchstat.
func BenchmarkRandomRead(b *testing.B) {
	powerOfTwo(b)
	thp, normal, heap := readArrays(b)
	defer thp.Free()
	defer normal.Free()
	for _, tc := range []struct {
		name string
		s    []uint64
	}{{"thp", thp.Slice()}, {"normal", normal.Slice()}, {"heap", heap}} {
		b.Run("chase/"+tc.name, func(b *testing.B) {
			sinkU = chase(tc.s, 1, b.N)
		})
		b.Run("gather/"+tc.name, func(b *testing.B) {
			sinkU = gather(tc.s, 1, b.N)
		})
	}
	runtime.KeepAlive(heap)
}

// BenchmarkRandomReadRatio alternates batches of dependent random reads on
// the THP and normal-page arrays within one run and reports each one's ns
// per read and normal/thp, the speed-up huge pages give.
func BenchmarkRandomReadRatio(b *testing.B) {
	powerOfTwo(b)
	thp, normal, _ := readArrays(b)
	defer thp.Free()
	defer normal.Free()
	const batch = 1 << 16
	var tThp, tNormal time.Duration
	i := uint64(1)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		i = chase(thp.Slice(), i, batch)
		mid := time.Now()
		i = chase(normal.Slice(), i, batch)
		tThp += mid.Sub(start)
		tNormal += time.Since(mid)
	}
	sinkU = i
	reads := float64(b.N) * batch
	b.ReportMetric(float64(tThp.Nanoseconds())/reads, "thp-ns/read")
	b.ReportMetric(float64(tNormal.Nanoseconds())/reads, "normal-ns/read")
	b.ReportMetric(float64(tNormal)/float64(tThp), "normal/thp")
}

var garbage [1024][]byte

// gcCounters reads the GC's CPU time (runtime/metrics), cycles and pause
// total (MemStats).
func gcCounters() (cpu float64, cycles uint32, pause uint64) {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return s[0].Value.Float64(), ms.NumGC, ms.PauseTotalNs
}

func heapGoal() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// BenchmarkGarbageBesideBigArray allocates 1 KiB of garbage per op (1,024
// buffers stay live) beside a big []float64 held on the Go heap or off it,
// and reports GC CPU and pause time per op, GC cycles per million ops and
// the heap goal at the end. "gogc" runs under GOGC=100 alone. "budget" gives
// both the same memory budget, the array plus 64 MiB, as a container's
// GOMEMLIMIT would (GOGC off): the limit counts a heap array but not an
// off-heap one, so the off-heap run's limit is the 64 MiB alone.
func BenchmarkGarbageBesideBigArray(b *testing.B) {
	size := benchBytes(b)
	for _, mode := range []string{"gogc", "budget"} {
		for _, where := range []string{"heap", "offheap"} {
			b.Run(mode+"/"+where, func(b *testing.B) {
				var heap []float64
				var off *Array[float64]
				if where == "heap" {
					heap = make([]float64, size/8)
					for i := range heap {
						heap[i] = 1
					}
				} else {
					ni, err := machineNodes()
					if err != nil {
						b.Fatal(err)
					}
					if off, err = New[float64](size/8, Bind(ni.memory[0])); err != nil {
						b.Fatal(err)
					}
					defer off.Free()
					for i, s := 0, off.Slice(); i < len(s); i++ {
						s[i] = 1
					}
				}
				if mode == "budget" {
					limit := int64(64 << 20)
					if where == "heap" {
						limit += int64(size)
					}
					defer debug.SetGCPercent(debug.SetGCPercent(-1))
					defer debug.SetMemoryLimit(debug.SetMemoryLimit(limit))
				}
				runtime.GC()
				cpu0, n0, p0 := gcCounters()
				b.ResetTimer()
				for i := range b.N {
					garbage[i%len(garbage)] = make([]byte, 1024)
				}
				b.StopTimer()
				cpu1, n1, p1 := gcCounters()
				ops := float64(b.N)
				b.ReportMetric((cpu1-cpu0)*1e9/ops, "gc-cpu-ns/op")
				b.ReportMetric(float64(p1-p0)/ops, "pause-ns/op")
				b.ReportMetric(float64(n1-n0)*1e6/ops, "gc/Mop")
				b.ReportMetric(float64(heapGoal())/(1<<20), "heap-goal-MiB")
				runtime.KeepAlive(heap)
				garbage = [1024][]byte{}
			})
		}
	}
}
