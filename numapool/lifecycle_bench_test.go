package numapool

import (
	"testing"
)

// BenchmarkInsights: the 1,000,000-task Map and the 64-task Map with
// insights off (the default) and on, in the same run.
func BenchmarkInsights(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1M", 1_000_000}, {"64", 64}} {
		in := benchInput(size.n)
		for _, on := range []bool{false, true} {
			name := size.name + "/off"
			var opts []Option
			if on {
				name = size.name + "/on"
				opts = append(opts, WithInsights())
			}
			b.Run(name, func(b *testing.B) {
				p := benchPool(b, opts...)
				b.ReportAllocs()
				for b.Loop() {
					r, err := Map(p, in, opaqueSquare)
					if err != nil {
						b.Fatal(err)
					}
					benchSink = r
				}
			})
		}
	}
}

// BenchmarkWorkerState: reaching per-worker state from a task (ws.Of) against
// a task that ignores its worker.
func BenchmarkWorkerState(b *testing.B) {
	const n = 1_000_000
	in := benchInput(n)
	st := NewWorkerState(func(w *Worker) (int, error) { return 3, nil }, nil)
	p := benchPool(b, WithState(st))
	b.Run("plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := MapFunc(p, in, func(w *Worker, x int) (int, error) { return x * x, nil })
			if err != nil {
				b.Fatal(err)
			}
			benchSink = r
		}
	})
	b.Run("state", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			r, err := MapFunc(p, in, func(w *Worker, x int) (int, error) { return x * *st.Of(w), nil })
			if err != nil {
				b.Fatal(err)
			}
			benchSink = r
		}
	})
}
