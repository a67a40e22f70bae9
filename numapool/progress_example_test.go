package numapool_test

import (
	"fmt"
	"log"
	"os"

	"github.com/numapool/numapool/numapool"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Show a progress bar on stderr: tasks done of the total, percentage,
// elapsed and remaining time, and the rate. Off a terminal (as under go
// test) it is a plain line at most once a second and a final one:
//
//	squares: 1000/1000 100% | 0.0s | 2.1M/s | done
func ExampleProgressBar() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	in := make([]int, 1000)
	for i := range in {
		in[i] = i
	}
	out, err := numapool.Map(p, in, func(x int) int { return x * x },
		numapool.ProgressBar(numapool.ProgressName("squares")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(out), out[999])
	// Output: 1000 998001
}

// Drive a bar you made yourself, as MPIRE accepts a custom tqdm bar: set
// its total to the number of tasks and call Wait on its container after
// the call.
func ExampleCustomProgressBar() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	in := make([]int, 500)
	progress := mpb.New(mpb.WithOutput(os.Stderr), mpb.WithWidth(60))
	bar := progress.AddBar(int64(len(in)),
		mpb.PrependDecorators(decor.Name("cubes "), decor.CountersNoUnit("%d/%d")),
		mpb.AppendDecorators(decor.Percentage()))
	_, err = numapool.Map(p, in, func(x int) int { return x * x * x }, numapool.CustomProgressBar(bar))
	if err != nil {
		log.Fatal(err)
	}
	progress.Wait()
	fmt.Println(bar.Current(), bar.Completed())
	// Output: 500 true
}

// Pools started inside tasks (Daemon(false)) show their bars under the
// outer pool's bar, in one display, with nothing to pass: MPIRE's nested
// WorkerPools example. See examples/nested-progress for the whole program.
func ExampleProgressBar_nested() {
	outer, err := numapool.New(numapool.Workers(2), numapool.Daemon(false))
	if err != nil {
		log.Fatal(err)
	}
	defer outer.Close()

	sumOfSquares := func(w *numapool.Worker, from int) (int, error) {
		inner, err := numapool.New(numapool.Workers(2))
		if err != nil {
			return 0, err
		}
		defer inner.Close()
		xs := make([]int, 100)
		for i := range xs {
			xs[i] = from + i
		}
		sq, err := numapool.Map(inner, xs, func(x int) int { return x * x },
			numapool.ProgressBar(numapool.ProgressName(fmt.Sprintf("worker %d", w.ID()))))
		sum := 0
		for _, v := range sq {
			sum += v
		}
		return sum, err
	}
	sums, err := numapool.MapFunc(outer, []int{0, 100, 200, 300}, sumOfSquares,
		numapool.ProgressBar(numapool.ProgressName("inputs")))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sums)
	// Output: [328350 2318350 6308350 12298350]
}
