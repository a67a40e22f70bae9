package bench

import (
	"errors"
	"math"

	"github.com/numapool/numapool/numapool"
)

// TimestepCells is the length of Timestep's rod: about 10 µs of work per
// step on one core, so a step is a small parallel loop.
const TimestepCells = 8192

// heatInit is the starting temperature of cell i.
func heatInit(i int) float64 { return float64(Mix(uint64(i))%1000) / 1000 }

// A rod is one contender's two buffers of a heat equation in one dimension.
type rod struct{ a, b []float64 }

func newRod() *rod {
	r := &rod{make([]float64, TimestepCells), make([]float64, TimestepCells)}
	r.reset()
	return r
}

func (r *rod) reset() {
	for i := range r.a {
		r.a[i] = heatInit(i)
	}
	copy(r.b, r.a) // the ends never change
}

// step computes interior cells 1+lo .. 1+hi-1 of the next step from a into
// b. The explicit conversions keep Go from fusing a multiply and an add,
// so every contender (and the OpenMP program, built with
// -ffp-contract=off) gets the same bits.
func (r *rod) step(lo, hi int) {
	a, b := r.a, r.b
	for i := lo + 1; i < hi+1; i++ {
		t := float64(2 * a[i])
		s := a[i-1] - t + a[i+1]
		b[i] = a[i] + float64(0.25*s)
	}
}

func (r *rod) swap() { r.a, r.b = r.b, r.a }

func (r *rod) sum() uint64 {
	var h uint64
	for _, v := range r.a {
		h = checksum(h, math.Float64bits(v))
	}
	return h
}

// timestepLoop is the length of one step's parallel loop.
const timestepLoop = TimestepCells - 2

// Timestep is a time-stepping loop of many small parallel loops: n steps
// (400 in the benchmark) of a heat equation over TimestepCells cells, one
// parallel loop per step, so the cost of starting and joining a loop is
// what shows. numapool runs For per step; the hand split starts its
// goroutines per step; every peer gets one task per chunk of numapool's
// default size per step.
var Timestep = &Workload{
	Name: "Timestep", Full: 400, Quick: 50, Test: 3,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		r := newRod()
		for range n {
			r.step(0, timestepLoop)
			r.swap()
		}
		return r.sum()
	},
	Cases: func(n, workers int) []Case {
		steps := func(name string, newRunner func() (Runner, error), loop func(r Runner, block func(lo, hi int)) error) Case {
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
				rd := newRod()
				return instance{
					run: func() error {
						rd.reset()
						for range n {
							if err := loop(r, rd.step); err != nil {
								return err
							}
							rd.swap()
						}
						return nil
					},
					sum:   rd.sum,
					close: closeRunner,
				}, nil
			}}
		}
		cases := []Case{
			steps("seq", nil, func(_ Runner, block func(lo, hi int)) error { block(0, timestepLoop); return nil }),
			steps("handsplit", nil, func(_ Runner, block func(lo, hi int)) error {
				handSplit(timestepLoop, workers, block)
				return nil
			}),
			timestepNumapool("numapool", workers, steps),
			timestepNumapool("numapool-unpinned", workers, steps, numapool.Unpinned()),
		}
		for _, peer := range Peers {
			cases = append(cases, steps(peer.Name, func() (Runner, error) { return peer.New(workers) },
				func(r Runner, block func(lo, hi int)) error { return runChunks(r, timestepLoop, workers, block) }))
		}
		return cases
	},
}

// timestepNumapool is a Timestep case running numapool's For per step on a
// pool made with opts.
func timestepNumapool(name string, workers int, steps func(string, func() (Runner, error), func(Runner, func(lo, hi int)) error) Case, opts ...numapool.Option) Case {
	return Case{name, func() (Instance, error) {
		p, err := newPool(workers, opts...)
		if err != nil {
			return nil, err
		}
		in, err := steps(name, nil, func(_ Runner, block func(lo, hi int)) error {
			return numapool.For(p, timestepLoop, block)
		}).New()
		if err != nil {
			return nil, errors.Join(err, p.Close())
		}
		return instance{in.Run, in.Sum, p.Close}, nil
	}}
}
