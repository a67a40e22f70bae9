package bench

// Tiny is x*x over n ints (1,000,000 in the benchmark): a task costs less
// than any hand-over between goroutines, so only per-task and per-call
// costs show.
var Tiny = &Workload{
	Name: "Tiny", Full: 1_000_000, Quick: 100_000, Test: 1000,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		var h uint64
		for i := range n {
			h = checksum(h, uint64(Square(tinyInput(i, n))))
		}
		return h
	},
	Cases: func(n, workers int) []Case {
		return loopCases(n, workers, func() (loop, func() error, error) {
			in := make([]int, n)
			for i := range in {
				in[i] = tinyInput(i, n)
			}
			out := make([]uint64, n)
			return loop{
				block: func(lo, hi int) {
					for i := lo; i < hi; i++ {
						out[i] = uint64(in[i] * in[i])
					}
				},
				task: func(i int) { out[i] = uint64(opaqueSquare(in[i])) },
				sum:  func() uint64 { return sumUint64(out) },
			}, nil, nil
		}, nil)
	},
}

// tinyInput is the i-th of n inputs: negatives too.
func tinyInput(i, n int) int { return i - n/2 }
