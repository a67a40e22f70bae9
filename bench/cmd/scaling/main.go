// Command scaling runs the Medium and Unbalanced workloads on numapool
// pools of 1, 2, 4, ... workers up to the usable CPUs, pinned and unpinned,
// and prints each one's median time, speed-up over the plain sequential
// loop of the same run and efficiency (speed-up per worker).
//
//	scaling [-short] [-reps 5] [-max N]
//
// -short uses the Quick sizes of `make bench-quick`; -max goes past the
// usable CPUs (oversubscribed: more workers than CPUs). Every run's
// checksum is compared with the plain loop's.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/numapool/numapool/bench"
	"github.com/numapool/numapool/numapool"
)

func main() {
	short := flag.Bool("short", false, "use the quick sizes")
	reps := flag.Int("reps", 5, "timed runs per point (the median is printed)")
	maxW := flag.Int("max", 0, "largest worker count (default: the usable CPUs)")
	flag.Parse()
	cpus, err := bench.UsableCPUs()
	if err == nil {
		err = run(os.Stdout, config{short: *short, reps: *reps, max: *maxW, cpus: cpus})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaling:", err)
		os.Exit(1)
	}
}

type config struct {
	short, test bool
	reps        int
	max, cpus   int
}

// counts is 1, 2, 4, ... below max, then max.
func counts(max int) []int {
	var ws []int
	for w := 1; w < max; w *= 2 {
		ws = append(ws, w)
	}
	return append(ws, max)
}

func run(out io.Writer, c config) error {
	if c.reps < 1 {
		return fmt.Errorf("-reps %d: want at least 1 timed run per point", c.reps)
	}
	if c.max == 0 {
		c.max = c.cpus
	}
	if c.max < 1 {
		return fmt.Errorf("-max %d: want at least 1 worker", c.max)
	}
	fmt.Fprintf(out, "%-11s %-8s %7s %12s %9s %10s\n", "workload", "pinning", "workers", "median", "speed-up", "efficiency")
	for _, w := range []struct {
		wl     *bench.Workload
		rounds func(i, n int) int
	}{
		{bench.Medium, func(int, int) int { return bench.MediumRounds }},
		{bench.Unbalanced, bench.UnbalancedRounds},
	} {
		n := w.wl.Full
		switch {
		case c.test:
			n = w.wl.Test
		case c.short:
			n = w.wl.Quick
		}
		want := w.wl.Want(n)
		seq, err := timeRuns(w.wl.Cases(n, 1)[0].New, want, c.reps)
		if err != nil {
			return fmt.Errorf("%s seq: %w", w.wl.Name, err)
		}
		fmt.Fprintf(out, "%-11s %-8s %7s %12v %9.2f %10s\n", w.wl.Name, "-", "seq", seq.Round(time.Microsecond), 1.0, "-")
		for _, pinned := range []bool{true, false} {
			for _, workers := range counts(c.max) {
				opts := []numapool.Option{numapool.Workers(workers)}
				mode := "pinned"
				if !pinned {
					opts = append(opts, numapool.Unpinned())
					mode = "unpinned"
				}
				d, err := timeRuns(func() (bench.Instance, error) {
					return bench.SpinScaling(n, func(i int) int { return w.rounds(i, n) }, opts...)
				}, want, c.reps)
				if err != nil {
					return fmt.Errorf("%s %s %d workers: %w", w.wl.Name, mode, workers, err)
				}
				speedup := float64(seq) / float64(d)
				fmt.Fprintf(out, "%-11s %-8s %7d %12v %9.2f %10.2f\n", w.wl.Name, mode, workers,
					d.Round(time.Microsecond), speedup, speedup/float64(workers))
			}
		}
	}
	return nil
}

// timeRuns makes an instance, runs it once to warm up and check it, then
// reps times, and returns the median.
func timeRuns(mk func() (bench.Instance, error), want uint64, reps int) (d time.Duration, err error) {
	in, err := mk()
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, in.Close()) }()
	if err := in.Run(); err != nil {
		return 0, err
	}
	if got := in.Sum(); got != want {
		return 0, fmt.Errorf("checksum %#x, the plain loop gives %#x", got, want)
	}
	ds := make([]time.Duration, reps)
	for i := range ds {
		start := time.Now()
		if err := in.Run(); err != nil {
			return 0, err
		}
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[reps/2], nil
}
