// Command quickstart starts a numapool pool of the default size (one worker
// per CPU this process may use), squares 0..99 with numapool.Map, and prints
// the results in input order, the CPU each worker is pinned to, and how many
// tasks ran on each CPU.
//
//	go run ./examples/quickstart
package main

import (
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/numapool/numapool/csrc"
	"github.com/numapool/numapool/numapool"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// square is the task: a plain function of one argument.
func square(x int) int { return x * x }

// placed is what a worker-aware task reports: where it ran.
type placed struct {
	worker int // the worker's ID, 0..Workers()-1
	cpu    int // the CPU the task's thread was on
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

	// The worker-aware form: the task also learns its worker and reads the
	// CPU its thread is running on, which is always one of the worker's.
	ran, err := numapool.MapFunc(p, xs, func(wk *numapool.Worker, x int) (placed, error) {
		return placed{worker: wk.ID(), cpu: csrc.CurrentCPU()}, nil
	})
	if err != nil {
		return err
	}
	perCPU := map[int]int{}
	for _, r := range ran {
		if cpus := p.CPUs(r.worker); !cpus.IsEmpty() && !cpus.Has(r.cpu) {
			return fmt.Errorf("a task of worker %d ran on CPU %d, outside its CPUs %s", r.worker, r.cpu, cpus)
		}
		perCPU[r.cpu]++
	}
	cpus := make([]int, 0, len(perCPU))
	for cpu := range perCPU {
		cpus = append(cpus, cpu)
	}
	slices.Sort(cpus)
	for _, cpu := range cpus {
		fmt.Fprintf(w, "CPU %d ran %d tasks\n", cpu, perCPU[cpu])
	}
	return p.Close()
}
