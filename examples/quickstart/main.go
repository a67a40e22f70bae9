// Command quickstart starts a numapool pool of the default size (one worker
// per CPU this process may use), squares 0..99 with numapool.Map, then counts
// the primes below 1,000,000 in 100 tasks of about a millisecond each, and
// prints which worker ran how many of them and on which CPU.
//
//	go run ./examples/quickstart
//
// The counting tasks are long enough for every worker to take a share: a
// call of 100 tasks of a few nanoseconds each (the squares) is over before a
// second worker has woken up, so a single worker would often run it all.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/numapool/numapool/numapool"
	"github.com/numapool/numapool/topology"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// square is a task: a plain function of one argument.
func square(x int) int { return x * x }

// The counting work: primes below limit, in tasks of block numbers each.
const (
	limit = 1_000_000
	block = 10_000
)

// countPrimes counts the primes in [lo, lo+block) by trial division: about a
// millisecond of arithmetic on a current x86-64 core.
func countPrimes(lo int) int {
	n := 0
	for x := max(lo, 2); x < lo+block; x++ {
		prime := x == 2 || x%2 == 1
		for d := 3; prime && d*d <= x; d += 2 {
			prime = x%d != 0
		}
		if prime {
			n++
		}
	}
	return n
}

// counted is what a worker-aware task returns: its result and where it ran.
type counted struct {
	primes int
	worker int // the worker's ID, 0..Workers()-1
	cpu    int // the CPU the worker's thread ran on
}

func run(w io.Writer) error {
	p, err := numapool.New() // one worker per usable CPU, pinned, spread over cores
	if err != nil {
		return err
	}
	defer p.Close()

	fmt.Fprintf(w, "%d workers\n", p.Workers())
	for id := range p.Workers() {
		fmt.Fprintf(w, "worker %d pinned to CPU %s\n", id, p.CPUs(id))
	}

	xs := make([]int, 100)
	for i := range xs {
		xs[i] = i
	}
	// The plain form: results come back in input order.
	squares, err := numapool.Map(p, xs, square)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "squares of 0..99: %v\n", squares)

	// The worker-aware form: each task also learns its worker, and asks it
	// for the CPU its thread runs on, always one of the worker's own CPUs.
	// ChunkSize(1) hands the tasks out one at a time, so the workers share
	// them as they finish.
	starts := make([]int, limit/block)
	for i := range starts {
		starts[i] = i * block
	}
	results, err := numapool.MapFunc(p, starts, func(wk *numapool.Worker, lo int) (counted, error) {
		return counted{primes: countPrimes(lo), worker: wk.ID(), cpu: wk.CPU()}, nil
	}, numapool.ChunkSize(1))
	if err != nil {
		return err
	}
	total := 0
	tasks := make([]int, p.Workers())
	ran := make([]topology.CPUSet, p.Workers())
	for _, r := range results {
		if cpus := p.CPUs(r.worker); !cpus.IsEmpty() && !cpus.Has(r.cpu) {
			return fmt.Errorf("a task of worker %d ran on CPU %d, outside its CPUs %s", r.worker, r.cpu, cpus)
		}
		total += r.primes
		tasks[r.worker]++
		ran[r.worker] = ran[r.worker].Add(r.cpu)
	}
	fmt.Fprintf(w, "primes below %d: %d, counted in %d tasks of %d numbers\n", limit, total, len(starts), block)
	for id, n := range tasks {
		if n == 0 {
			fmt.Fprintf(w, "worker %d ran 0 tasks\n", id)
			continue
		}
		fmt.Fprintf(w, "worker %d ran %d tasks on CPU %s\n", id, n, ran[id])
	}
	return p.Close()
}
