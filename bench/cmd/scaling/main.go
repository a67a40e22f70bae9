// Command scaling runs the Medium and Unbalanced workloads on numapool
// pools of 1, 2, 4, ... workers up to the usable CPUs, pinned and unpinned,
// and prints each one's median time, speed-up over the plain sequential
// loop of the same run and efficiency (speed-up per worker). The timed
// runs go round all points in turn, so that the load of a shared machine
// weighs on every point alike.
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
		points := []point{{name: "seq", mode: "-", mk: w.wl.Cases(n, 1)[0].New}}
		for _, pinned := range []bool{true, false} {
			for _, workers := range counts(c.max) {
				opts := []numapool.Option{numapool.Workers(workers)}
				mode := "pinned"
				if !pinned {
					opts = append(opts, numapool.Unpinned())
					mode = "unpinned"
				}
				points = append(points, point{name: fmt.Sprint(workers), mode: mode, workers: workers,
					mk: func() (bench.Instance, error) {
						return bench.SpinScaling(n, func(i int) int { return w.rounds(i, n) }, opts...)
					}})
			}
		}
		if err := timeRounds(points, want, c.reps); err != nil {
			return fmt.Errorf("%s: %w", w.wl.Name, err)
		}
		seq := points[0].median
		for _, p := range points {
			speedup := float64(seq) / float64(p.median)
			eff := "-"
			if p.workers > 0 {
				eff = fmt.Sprintf("%.2f", speedup/float64(p.workers))
			}
			fmt.Fprintf(out, "%-11s %-8s %7s %12v %9.2f %10s\n", w.wl.Name, p.mode, p.name,
				p.median.Round(time.Microsecond), speedup, eff)
		}
	}
	return nil
}

// A point is one row of the table: a way to run the workload and its
// median time.
type point struct {
	name, mode string
	workers    int // 0 for seq
	mk         func() (bench.Instance, error)
	median     time.Duration
}

// timeRounds makes every point's instance and runs each once to warm up
// and check it, then times reps rounds, each running every point once in
// turn, so that the machine's load drifts over all points alike; each
// point gets its median.
func timeRounds(points []point, want uint64, reps int) (err error) {
	ins := make([]bench.Instance, 0, len(points))
	defer func() {
		for _, in := range ins {
			err = errors.Join(err, in.Close())
		}
	}()
	for _, p := range points {
		in, err := p.mk()
		if err != nil {
			return fmt.Errorf("%s %s: %w", p.mode, p.name, err)
		}
		ins = append(ins, in)
		if err := in.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", p.mode, p.name, err)
		}
		if got := in.Sum(); got != want {
			return fmt.Errorf("%s %s: checksum %#x, the plain loop gives %#x", p.mode, p.name, got, want)
		}
	}
	ds := make([][]time.Duration, len(points))
	for range reps {
		for i, in := range ins {
			start := time.Now()
			if err := in.Run(); err != nil {
				return err
			}
			ds[i] = append(ds[i], time.Since(start))
		}
	}
	for i := range points {
		slices.Sort(ds[i])
		points[i].median = ds[i][reps/2]
	}
	return nil
}
