package bench

import "github.com/numapool/numapool/numapool"

// UnbalancedMeanRounds makes an Unbalanced task about 10 µs on average.
const UnbalancedMeanRounds = 5000

// UnbalancedRounds is the cost of task i of n: growing linearly with i,
// from 1 round to twice the mean, so the last chunks hold most of the work.
func UnbalancedRounds(i, n int) int { return 1 + 2*UnbalancedMeanRounds*i/n }

// Unbalanced is n tasks whose cost grows with the index (20,000 in the
// benchmark): a static split leaves the worker with the last part doing
// most of the work; numapool's chunks are taken dynamically, and
// numapool-chunk1 takes one task at a time, as OpenMP's schedule(dynamic,1).
var Unbalanced = &Workload{
	Name: "Unbalanced", Full: 20_000, Quick: 1000, Test: 16,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		var h uint64
		for i := range n {
			h = checksum(h, Spin(i, UnbalancedRounds(i, n)))
		}
		return h
	},
	Cases: func(n, workers int) []Case {
		return loopCases(n, workers, spinLoop(n, func(i int) int { return UnbalancedRounds(i, n) }),
			map[string][]numapool.CallOption{"numapool-chunk1": {numapool.ChunkSize(1)}})
	},
}
