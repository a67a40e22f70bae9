package bench

import (
	"fmt"
	"sync"
	"testing"
)

// The benchmarks run every case of one workload as sub-benchmarks, so that
// figures compare as ratios against the baselines of the same run
// (benchstat; cmd/benchratio for numapool's ratio to each). -short uses
// the Quick sizes (make bench-quick). Each case is checked once against
// the workload's plain loop before it is timed, and reports tasks/op so
// that allocations per task can be read off.

var wants sync.Map // "name/n" -> checksum, computed once per process

func benchWorkload(b *testing.B, w *Workload) {
	n := w.Full
	if testing.Short() {
		n = w.Quick
	}
	key := fmt.Sprint(w.Name, "/", n)
	v, ok := wants.Load(key)
	if !ok {
		v, _ = wants.LoadOrStore(key, w.Want(n))
	}
	want := v.(uint64)
	for _, c := range w.Cases(n, usableCPUs(b)) {
		b.Run(c.Name, func(b *testing.B) {
			in, err := c.New()
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := in.Close(); err != nil {
					b.Errorf("Close: %v", err)
				}
			}()
			if err := in.Run(); err != nil {
				b.Fatal(err)
			}
			if got := in.Sum(); got != want {
				b.Fatalf("checksum %#x, a plain loop gives %#x", got, want)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := in.Run(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.Tasks(n)), "tasks/op")
		})
	}
}

func BenchmarkTiny(b *testing.B)       { benchWorkload(b, Tiny) }
func BenchmarkMedium(b *testing.B)     { benchWorkload(b, Medium) }
func BenchmarkUnbalanced(b *testing.B) { benchWorkload(b, Unbalanced) }
func BenchmarkStateful(b *testing.B)   { benchWorkload(b, Stateful) }
func BenchmarkNumerical(b *testing.B)  { benchWorkload(b, Numerical) }
func BenchmarkInit(b *testing.B)       { benchWorkload(b, Init) }
func BenchmarkStream(b *testing.B)     { benchWorkload(b, Stream) }
func BenchmarkReduce(b *testing.B)     { benchWorkload(b, Reduce) }
func BenchmarkTimestep(b *testing.B)   { benchWorkload(b, Timestep) }
func BenchmarkApply(b *testing.B)      { benchWorkload(b, Apply) }
