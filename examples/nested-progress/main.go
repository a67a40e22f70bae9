// Command nested-progress is MPIRE's "multiple progress bars with nested
// WorkerPools" example in Go: an outer pool maps over inputs, and each of
// its tasks squares the numbers of its input on a pool of its own, with a
// bar of its own. The inner bars stack under the outer pool's bar in one
// display, each named by the worker that started it; nothing is passed to
// make that happen (the nested pool knows its parent worker).
//
//	go run ./examples/nested-progress
//	go run ./examples/nested-progress -inputs 8 -size 200 -keep
//
// On a terminal the bars redraw in place every 0.1 s; elsewhere (a pipe, a
// CI log) each bar prints a plain line at most once a second and a final
// line. The sum of all squares goes to stdout at the end.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/numapool/numapool/numapool"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "nested-progress:", err)
		os.Exit(1)
	}
}

// config is what the flags set.
type config struct {
	inputs  int           // inputs of the outer pool
	size    int           // numbers per input, one inner task each
	workers int           // outer workers; 0: one per usable CPU
	inner   int           // workers of each inner pool
	delay   time.Duration // time each inner task takes, to watch the bars
	keep    bool          // leave finished inner bars on the screen
}

func parse(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("nested-progress", flag.ContinueOnError)
	fs.IntVar(&c.inputs, "inputs", 16, "inputs of the outer pool (MPIRE's example: 100)")
	fs.IntVar(&c.size, "size", 100, "numbers per input, squared by an inner pool")
	fs.IntVar(&c.workers, "workers", 0, "outer workers (0: one per usable CPU)")
	fs.IntVar(&c.inner, "inner", 2, "workers of each inner pool")
	fs.DurationVar(&c.delay, "delay", 2*time.Millisecond, "time each inner task takes")
	fs.BoolVar(&c.keep, "keep", false, "leave finished inner bars on the screen")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case c.inputs < 1 || c.size < 1:
		return c, errors.New("-inputs and -size must be at least 1")
	case c.workers < 0 || c.inner < 1:
		return c, errors.New("-workers must be at least 0 (0: one per usable CPU) and -inner at least 1")
	case c.delay < 0:
		return c, errors.New("-delay cannot be negative")
	}
	return c, nil
}

func run(args []string, stdout io.Writer) error {
	c, err := parse(args)
	if err != nil {
		return err
	}
	opts := []numapool.Option{numapool.Daemon(false)} // tasks may start pools
	if c.workers > 0 {
		opts = append(opts, numapool.Workers(c.workers))
	}
	outer, err := numapool.New(opts...)
	if err != nil {
		return err
	}
	defer outer.Close()

	inputs := make([][]int, c.inputs)
	for i := range inputs {
		inputs[i] = make([]int, c.size)
		for k := range inputs[i] {
			inputs[i][k] = i*c.size + k
		}
	}
	sums, err := numapool.MapFunc(outer, inputs, func(w *numapool.Worker, xs []int) (int, error) {
		return dispatch(w, xs, c)
	}, numapool.ChunkSize(1), numapool.ProgressBar(numapool.ProgressName("outer")))
	if err != nil {
		return err
	}
	total := 0
	for _, s := range sums {
		total += s
	}
	_, err = fmt.Fprintf(stdout, "sum of squares: %d\n", total)
	return err
}

// dispatch is one outer task, MPIRE's dispatcher: square xs on a nested
// pool whose bar is named by this worker and input.
func dispatch(w *numapool.Worker, xs []int, c config) (int, error) {
	inner, err := numapool.New(numapool.Workers(c.inner))
	if err != nil {
		return 0, err
	}
	defer inner.Close()
	name := fmt.Sprintf("worker %d: input %d", w.ID(), xs[0]/c.size)
	squares, err := numapool.Map(inner, xs, func(x int) int {
		time.Sleep(c.delay)
		return x * x
	}, numapool.ChunkSize(1), numapool.ProgressBar(numapool.ProgressName(name), numapool.ProgressLeave(c.keep)))
	if err != nil {
		return 0, err
	}
	sum := 0
	for _, s := range squares {
		sum += s
	}
	return sum, nil
}
