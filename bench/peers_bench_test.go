package bench

import (
	"slices"
	"testing"
)

// The three workloads run over every contender in one `go test -bench`, so
// that figures compare as ratios (benchstat) against seq, handsplit-alloc
// (the ideal for a Map that returns a new slice) and chanpool (the usual
// hand-written pool). See README.md.

var sink []int

// benchContenders runs each contender as a sub-benchmark mapping f over in,
// after checking once, outside the timed loop, that its results are right.
func benchContenders(b *testing.B, in []int, f func(int) int, cs ...Contender) {
	w := workers(b)
	want := seqMap(in, f)
	for _, c := range cs {
		b.Run(c.Name, func(b *testing.B) {
			r, err := c.New(w)
			if err != nil {
				b.Fatal(err)
			}
			defer func() {
				if err := r.Close(); err != nil {
					b.Errorf("Close: %v", err)
				}
			}()
			got, err := r.Map(in, f)
			if err != nil {
				b.Fatal(err)
			}
			if !slices.Equal(got, want) {
				b.Fatalf("%s computes wrong results", c.Name)
			}
			b.ReportAllocs()
			for b.Loop() {
				out, err := r.Map(in, f)
				if err != nil {
					b.Fatal(err)
				}
				sink = out
			}
		})
	}
}

// BenchmarkSquares: x*x over 1,000,000 ints. The issue asks numapool to be
// within 1.3x of handsplit-alloc and at least 50x faster than ants.
func BenchmarkSquares(b *testing.B) {
	benchContenders(b, ints(1_000_000), OpaqueSquare,
		Seq, HandSplit, HandSplitAlloc, Numapool, NumapoolInto,
		ErrgroupTask, ErrgroupChunk, ChanPool, Ants, AntsFunc, Pond,
		ConcPool, ConcIter)
}

// BenchmarkChunk1: x*x over 100,000 ints, one task at a time everywhere,
// the per-task overhead. The issue asks numapool-chunk1 to take at most
// 0.7x the time of chanpool.
func BenchmarkChunk1(b *testing.B) {
	benchContenders(b, ints(100_000), OpaqueSquare,
		ChanPool, NumapoolChunk1, ErrgroupTask, Ants, AntsFunc, Pond,
		ConcPool, ConcIter)
}

// BenchmarkHeavy: about 2 µs of arithmetic per task over 20,000 ints.
// Hand-over costs vanish beside the work, so every contender should come
// close to handsplit; numapool's chunking must not cost balance here.
func BenchmarkHeavy(b *testing.B) {
	benchContenders(b, ints(20_000), OpaqueSpin,
		Seq, HandSplitAlloc, Numapool, NumapoolChunk1, ErrgroupTask,
		ErrgroupChunk, ChanPool, Ants, AntsFunc, Pond, ConcPool, ConcIter)
}
