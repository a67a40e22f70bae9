package numapool

import (
	"sync"
	"testing"
)

// handSplitRange runs body over 0..n-1 cut into one part per CPU, one
// goroutine each: the hand-written split loop that For aims to match.
func handSplitRange(n, parts int, body func(lo, hi int)) {
	var wg sync.WaitGroup
	per := (n + parts - 1) / parts
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		wg.Go(func() { body(lo, hi) })
	}
	wg.Wait()
}

// BenchmarkForSquares: 1,000,000 x*x with the loop in the caller's code.
// The ratio For / handsplit-inlined is issue 10's figure (target <= 1.05).
func BenchmarkForSquares(b *testing.B) {
	const n = 1_000_000
	in := benchInput(n)
	out := make([]int, n)
	cpus := usableCPUs(b)
	square := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = in[i] * in[i]
		}
	}
	b.Run("handsplit-inlined", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			handSplitRange(n, cpus, square)
		}
	})
	call := func(b *testing.B, p *Pool) {
		if err := For(p, n, square); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("For", func(b *testing.B) {
		p := benchPool(b)
		b.ReportAllocs()
		for b.Loop() {
			call(b, p)
		}
	})
	// Issue 10's ratio, paired: at most 1.05.
	b.Run("pair", func(b *testing.B) {
		p := benchPool(b)
		benchPair(b, "x-handsplit", 1, func() { call(b, p) }, func() { handSplitRange(n, cpus, square) })
	})
	b.Run("ForIndex", func(b *testing.B) {
		p := benchPool(b)
		b.ReportAllocs()
		for b.Loop() {
			if err := ForIndex(p, n, func(i int) { out[i] = in[i] * in[i] }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReduceSum: a float64 sum of 10,000,000 values, against the same
// sum split by hand over the CPUs.
func BenchmarkReduceSum(b *testing.B) {
	const n = 10_000_000
	xs := floatInput(n)
	cpus := usableCPUs(b)
	sum := func(lo, hi int) float64 {
		s := 0.0
		for _, x := range xs[lo:hi] {
			s += x
		}
		return s
	}
	var sink float64
	parts := make([]float64, cpus)
	per := (n + cpus - 1) / cpus
	handsplit := func() {
		handSplitRange(n, cpus, func(lo, hi int) { parts[lo/per] = sum(lo, hi) })
		s := 0.0
		for _, p := range parts {
			s += p
		}
		sink = s
	}
	call := func(b *testing.B, p *Pool) {
		s, err := Reduce(p, n, sum, func(a, b float64) float64 { return a + b })
		if err != nil {
			b.Fatal(err)
		}
		sink = s
	}
	b.Run("handsplit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			handsplit()
		}
	})
	b.Run("Reduce", func(b *testing.B) {
		p := benchPool(b)
		b.ReportAllocs()
		for b.Loop() {
			call(b, p)
		}
	})
	// Issue 10's ratio, paired: at most 1.05.
	b.Run("pair", func(b *testing.B) {
		p := benchPool(b)
		benchPair(b, "x-handsplit", 1, func() { call(b, p) }, handsplit)
	})
	_ = sink
}

// BenchmarkSeqInput: the same eager call over a slice and over an iter.Seq
// of the same values (IterableLen set), so the ratio is the cost of reading
// a sequence (issue 10: at most 5 ns per item over the slice), beside a
// plain range over the sequence on one goroutine, the floor for any pool.
func BenchmarkSeqInput(b *testing.B) {
	const n = 1_000_000
	in := benchInput(n)
	var sink int64
	add := func(x int) { sink += 0 }
	seq := func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
	// range is the floor for any consumer of the sequence: one goroutine
	// ranging over it and calling the task, with no pool.
	b.Run("range", func(b *testing.B) {
		for b.Loop() {
			for x := range seq {
				add(x)
			}
		}
	})
	b.Run("slice", func(b *testing.B) {
		p := benchPool(b)
		b.ReportAllocs()
		for b.Loop() {
			if err := ForEach(p, in, add); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("seq", func(b *testing.B) {
		p := benchPool(b)
		b.ReportAllocs()
		for b.Loop() {
			if err := ForEach(p, iterSeq(seq), add, IterableLen(n)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
