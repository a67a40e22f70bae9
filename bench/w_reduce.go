package bench

import "github.com/numapool/numapool/numapool"

// reduceInput is the i-th value Reduce sums the squares of: 20 bits.
func reduceInput(i int) int64 { return int64(Mix(uint64(i)) >> 44) }

// Reduce is a reduction: the sum of x*x over n int64 values in memory (4
// million, 32 MB, in the benchmark), which streams memory more than it
// computes. numapool runs Reduce (partials in block order on the caller);
// every peer gets one task per chunk of numapool's default size, each
// writing its partial to its own slot, since nobody submits a task per
// element of a reduction. Integer sums are exact in any order, so every
// contender must give the same checksum.
var Reduce = &Workload{
	Name: "Reduce", Full: 4_000_000, Quick: 1_000_000, Test: 1000,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		var s int64
		for i := range n {
			x := reduceInput(i)
			s += x * x
		}
		return uint64(s)
	},
	Cases: func(n, workers int) []Case {
		xs := make([]int64, n) // read only: shared by every case
		for i := range xs {
			xs[i] = reduceInput(i)
		}
		sum := func(lo, hi int) int64 {
			var s int64
			for _, x := range xs[lo:hi] {
				s += x * x
			}
			return s
		}
		// partials runs split over the chunk count, each chunk's partial into
		// its slot, and adds them up.
		partials := func(name string, count func() int, newRunner func() (Runner, error),
			split func(r Runner, block func(lo, hi int)) error, slot func(lo int) int) Case {
			return Case{name, func() (Instance, error) {
				var r Runner
				var closeRunner func() error
				if newRunner != nil {
					var err error
					if r, err = newRunner(); err != nil {
						return nil, err
					}
					closeRunner = r.Close
				}
				parts := make([]int64, count())
				var total int64
				return instance{
					run: func() error {
						err := split(r, func(lo, hi int) { parts[slot(lo)] = sum(lo, hi) })
						total = 0
						for _, p := range parts {
							total += p
						}
						return err
					},
					sum:   func() uint64 { return uint64(total) },
					close: closeRunner,
				}, nil
			}}
		}
		per := chunkLen(n, workers)
		chunks := func() int { return (n + per - 1) / per }
		perPart := max(1, (n+workers-1)/workers)
		cases := []Case{
			partials("seq", func() int { return 1 }, nil,
				func(_ Runner, block func(lo, hi int)) error { block(0, n); return nil },
				func(int) int { return 0 }),
			partials("handsplit", func() int { return workers }, nil,
				func(_ Runner, block func(lo, hi int)) error { handSplit(n, workers, block); return nil },
				func(lo int) int { return lo / perPart }),
			{"numapool", func() (Instance, error) {
				p, err := newPool(workers)
				if err != nil {
					return nil, err
				}
				var total int64
				return instance{
					run: func() error {
						total, err = numapool.Reduce(p, n, sum, func(a, b int64) int64 { return a + b })
						return err
					},
					sum:   func() uint64 { return uint64(total) },
					close: p.Close,
				}, nil
			}},
		}
		for _, peer := range Peers {
			cases = append(cases, partials(peer.Name, chunks, func() (Runner, error) { return peer.New(workers) },
				func(r Runner, block func(lo, hi int)) error { return runChunks(r, n, workers, block) },
				func(lo int) int { return lo / per }))
		}
		return cases
	},
}
