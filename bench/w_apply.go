package bench

import (
	"errors"
	"sync"

	"github.com/alitto/pond/v2"
	"github.com/numapool/numapool/numapool"
)

// Apply is n independent submissions of one medium task each (Medium's
// task, about 20 µs; 20,000 in the benchmark), every one with a result of
// its own, as a program hands work to a pool one piece at a time (MPIRE's
// apply_async). numapool calls ApplyAsync once per task and then Get on
// each Future in order (numapool); numapool-apply calls the blocking Apply
// from one submitting goroutine per worker, each waiting for its own task
// before it submits the next; numapool-foreach runs the same tasks as one
// ForIndex call, the reference for work known up front. The peers submit
// one closure per task the way their READMEs show (errgroup's Go, the
// channel pool's send, ants' Submit, pond's group Submit, conc's pool Go,
// conc's iter); pond-result uses pond's own future, a ResultPool whose
// Submit returns a task to Wait on, as numapool's Future is. The OpenMP
// program runs one `omp task` per item from a `single` region.
var Apply = &Workload{
	Name: "Apply", Full: 20_000, Quick: 1000, Test: 16,
	Tasks: func(n int) int { return n },
	Want:  Medium.Want,
	Cases: func(n, workers int) []Case {
		// The plain loop, the hand split, ForIndex and the per-task peers
		// of Medium's cases; For's chunked variants and errgroup-chunk
		// answer Medium's question, not this one.
		var cases []Case
		for _, c := range loopCases(n, workers, spinLoop(n, func(int) int { return MediumRounds }), nil) {
			switch c.Name {
			case "numapool", "numapool-unpinned", "errgroup-chunk":
			case "numapool-foreach":
				cases = append(cases, applyAsyncCase(n, workers), applyBlockingCase(n, workers), c)
			default:
				cases = append(cases, c)
			}
		}
		return append(cases, pondResultCase(n, workers))
	},
}

// applyTask is Apply's task i, behind opaqueSpin as every contender's is.
func applyTask(i int) func(*numapool.Worker) (uint64, error) {
	return func(*numapool.Worker) (uint64, error) { return opaqueSpin(i, MediumRounds), nil }
}

// applyAsyncCase submits every task with ApplyAsync, then waits for each
// Future in submission order and stores its result.
func applyAsyncCase(n, workers int) Case {
	return Case{"numapool", func() (Instance, error) {
		p, err := newPool(workers)
		if err != nil {
			return nil, err
		}
		out := make([]uint64, n)
		futs := make([]*numapool.Future[uint64], n)
		return instance{
			run: func() error {
				for i := range n {
					futs[i] = numapool.ApplyAsync(p, applyTask(i))
				}
				var errs error
				for i, f := range futs {
					r, err := f.Get()
					out[i] = r
					errs = errors.Join(errs, err)
					futs[i] = nil
				}
				return errs
			},
			sum:   func() uint64 { return sumUint64(out) },
			close: p.Close,
		}, nil
	}}
}

// applyBlockingCase runs one submitting goroutine per worker, each calling
// the blocking Apply for every workers-th task: as many tasks in flight as
// workers, and a round trip to a worker for every task.
func applyBlockingCase(n, workers int) Case {
	return Case{"numapool-apply", func() (Instance, error) {
		p, err := newPool(workers)
		if err != nil {
			return nil, err
		}
		out := make([]uint64, n)
		errs := make([]error, workers)
		return instance{
			run: func() error {
				var wg sync.WaitGroup
				for g := range workers {
					wg.Go(func() {
						errs[g] = nil
						for i := g; i < n; i += workers {
							r, err := numapool.Apply(p, applyTask(i))
							if err != nil {
								errs[g] = err
								return
							}
							out[i] = r
						}
					})
				}
				wg.Wait()
				return errors.Join(errs...)
			},
			sum:   func() uint64 { return sumUint64(out) },
			close: p.Close,
		}, nil
	}}
}

// pondResultCase submits every task to a pond ResultPool of workers
// goroutines and then waits for each returned task in submission order,
// pond's counterpart of ApplyAsync and Get.
func pondResultCase(n, workers int) Case {
	return Case{"pond-result", func() (Instance, error) {
		p := pond.NewResultPool[uint64](workers)
		out := make([]uint64, n)
		tasks := make([]pond.ResultTask[uint64], n)
		return instance{
			run: func() error {
				for i := range n {
					tasks[i] = p.Submit(func() uint64 { return opaqueSpin(i, MediumRounds) })
				}
				var errs error
				for i, t := range tasks {
					r, err := t.Wait()
					out[i] = r
					errs = errors.Join(errs, err)
					tasks[i] = nil
				}
				return errs
			},
			sum:   func() uint64 { return sumUint64(out) },
			close: func() error { p.StopAndWait(); return nil },
		}, nil
	}}
}
