package bench

import "github.com/numapool/numapool/numapool"

// MediumRounds makes a Medium task about 20 µs of Spin.
const MediumRounds = 10_000

// Medium is n equal tasks of about 20 µs each (20,000 in the benchmark):
// hand-over costs vanish beside the work, so every contender should come
// close to the hand split; chunking must not cost balance.
var Medium = &Workload{
	Name: "Medium", Full: 20_000, Quick: 1000, Test: 16,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		var h uint64
		for i := range n {
			h = checksum(h, Spin(i, MediumRounds))
		}
		return h
	},
	Cases: func(n, workers int) []Case {
		return loopCases(n, workers, spinLoop(n, func(int) int { return MediumRounds }), nil)
	},
}

// spinLoop makes the buffers of a workload whose task i is Spin(i,
// rounds(i)).
func spinLoop(n int, rounds func(i int) int) func() (loop, func() error, error) {
	return func() (loop, func() error, error) {
		out := make([]uint64, n)
		return loop{
			block: func(lo, hi int) {
				for i := lo; i < hi; i++ {
					out[i] = Spin(i, rounds(i))
				}
			},
			task: func(i int) { out[i] = opaqueSpin(i, rounds(i)) },
			sum:  func() uint64 { return sumUint64(out) },
		}, nil, nil
	}
}

// SpinScaling is numapool's For over n tasks of Spin(i, rounds(i)) on a
// pool made with opts, for cmd/scaling; Sum checks it against Want.
func SpinScaling(n int, rounds func(i int) int, opts ...numapool.Option) (Instance, error) {
	p, err := numapool.New(opts...)
	if err != nil {
		return nil, err
	}
	l, _, _ := spinLoop(n, rounds)()
	return instance{func() error { return numapool.For(p, n, l.block) }, l.sum, p.Close}, nil
}
