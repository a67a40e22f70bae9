package bench

import (
	"errors"
	"fmt"

	"github.com/numapool/numapool/numapool"
)

// histBins is the number of bins of a Stateful histogram.
const histBins = 1024

// A Histogram counts hashed words into bins: Stateful's per-worker state.
type Histogram [histBins]uint32

// docLen is the number of words of document i: 16 to 515, most short and
// a few long (the square of a uniform draw), like a pile of real documents.
func docLen(i int) int {
	r := int(Mix(uint64(i)) % 1000)
	return 16 + r*r/2000
}

// countDoc hashes every word of document i into h.
func countDoc(h *Histogram, i int) {
	for j := range docLen(i) {
		w := Mix(uint64(i)<<20 | uint64(j))
		h[Spin(int(w), 8)%histBins]++
	}
}

func (h *Histogram) add(o *Histogram) {
	for i, v := range o {
		h[i] += v
	}
}

func (h *Histogram) sum() uint64 {
	var s uint64
	for _, v := range h {
		s = checksum(s, uint64(v))
	}
	return s
}

// Stateful is MPIRE's "stateful" benchmark in Go: n documents of random
// length (20,000 in the benchmark, about 4 µs on average), each counted
// into its worker's own histogram; at the end every worker hands back its
// histogram as an exit result and the caller merges them. One run is a
// pool's whole life (start, work, exit results, close), as in MPIRE's
// benchmark. numapool keeps the histogram in a WorkerState and returns it
// from the exit function; pools without per-worker state take a histogram
// from a free list of one per worker (a buffered channel) for each task.
var Stateful = &Workload{
	Name: "Stateful", Full: 20_000, Quick: 2000, Test: 24,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		var h Histogram
		for i := range n {
			countDoc(&h, i)
		}
		return h.sum()
	},
	Cases: func(n, workers int) []Case {
		cases := []Case{
			statefulCase("seq", func(total *Histogram) error {
				for i := range n {
					countDoc(total, i)
				}
				return nil
			}),
			statefulCase("handsplit", func(total *Histogram) error {
				hs := make([]Histogram, workers)
				per := max(1, (n+workers-1)/workers)
				handSplit(n, workers, func(lo, hi int) {
					h := &hs[lo/per]
					for i := lo; i < hi; i++ {
						countDoc(h, i)
					}
				})
				for i := range hs {
					total.add(&hs[i])
				}
				return nil
			}),
			statefulCase("numapool", func(total *Histogram) error {
				return statefulNumapool(n, workers, total)
			}),
		}
		for _, peer := range Peers {
			cases = append(cases, statefulCase(peer.Name, func(total *Histogram) error {
				r, err := peer.New(workers)
				if err != nil {
					return err
				}
				free := make(chan *Histogram, workers)
				for range workers {
					free <- new(Histogram)
				}
				err = r.Run(n, func(i int) {
					h := <-free
					countDoc(h, i)
					free <- h
				})
				err = errors.Join(err, r.Close())
				for range workers {
					total.add(<-free)
				}
				return err
			}))
		}
		return cases
	},
}

// statefulCase is a Stateful case whose run fills a zeroed total.
func statefulCase(name string, run func(total *Histogram) error) Case {
	return Case{name, func() (Instance, error) {
		var total Histogram
		return instance{
			run: func() error { total = Histogram{}; return run(&total) },
			sum: total.sum,
		}, nil
	}}
}

// statefulNumapool is one pool's life: a Histogram per worker made by the
// init function on the worker's thread, documents in chunks by ForFunc,
// and each worker's histogram back from the exit function at Close.
func statefulNumapool(n, workers int, total *Histogram) error {
	state := numapool.NewWorkerState(
		func(*numapool.Worker) (Histogram, error) { return Histogram{}, nil },
		func(_ *numapool.Worker, h *Histogram) (any, error) { return h, nil })
	p, err := newPool(workers, numapool.WithState(state))
	if err != nil {
		return err
	}
	err = numapool.ForFunc(p, n, func(w *numapool.Worker, lo, hi int) error {
		h := state.Of(w)
		for i := lo; i < hi; i++ {
			countDoc(h, i)
		}
		return nil
	})
	if cerr := p.Close(); cerr != nil {
		return errors.Join(err, cerr)
	}
	for _, r := range p.ExitResults() {
		h, ok := r.Value.(*Histogram)
		if !ok {
			return fmt.Errorf("bench: worker %d's exit result is %T, want *Histogram", r.WorkerID, r.Value)
		}
		total.add(h)
	}
	return err
}
