// Command mpi-map runs a distributed map and a distributed reduction with
// one pinned numapool pool per MPI rank.
//
// On one machine (shared memory between ranks):
//
//	go build -o mpi-map . && mpirun -np 2 --bind-to core ./mpi-map -n 100000
//
// On a cluster, one rank per NUMA domain, each pool on its domain's cores:
//
//	mpirun --hostfile hosts --map-by ppr:1:numa --bind-to numa ./mpi-map -n 10000000
//	srun --ntasks-per-node=2 --cpu-bind=ldoms ./mpi-map -n 10000000   # Slurm
//
// Rank 0 prints each rank's pool, the longest Collatz chain below n (a map:
// rank 0 holds the input and gets the results in input order) and the sum
// of 1/i² for i = 1..n, next to π²/6 (a reduction: every rank gets it).
// With -check, rank 0 recomputes both on its own and exits 1 on a mismatch.
package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/numapool/numapool/mpi"
	"github.com/numapool/numapool/numapool"
)

func main() {
	n := flag.Int("n", 100000, "number of tasks")
	chunk := flag.Int("chunk", 0, "tasks per chunk handed to a rank (0: guided)")
	check := flag.Bool("check", false, "recompute on rank 0 alone and exit 1 on a mismatch")
	flag.Parse()
	if err := run(*n, *chunk, *check); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(n, chunk int, check bool) (err error) {
	if n < 1 {
		return fmt.Errorf("mpi-map: -n %d: give at least 1 task", n)
	}
	c, err := mpi.Init()
	if err != nil {
		return err
	}
	defer func() {
		if ferr := c.Finalize(); err == nil {
			err = ferr
		}
	}()
	// The default pool: one worker per CPU this rank may use, that is the
	// CPUs mpirun (or srun) bound it to.
	p, err := numapool.New()
	if err != nil {
		return err
	}
	defer p.Close()

	var opts []mpi.Option
	if chunk > 0 {
		opts = append(opts, mpi.ChunkSize(chunk))
	}
	hello, err := describe(c, p)
	if err != nil {
		return err
	}

	var in []int64
	if c.Rank() == 0 {
		in = make([]int64, n)
		for i := range in {
			in[i] = int64(i + 1)
		}
	}
	var st mpi.Stats
	steps, err := mpi.Map(c, p, in, collatz, append(opts, mpi.WithStats(&st))...)
	if err != nil {
		return err
	}
	basel, err := mpi.Reduce(c, p, n, inverseSquares, func(a, b float64) float64 { return a + b }, opts...)
	if err != nil {
		return err
	}
	if c.Rank() != 0 {
		return nil
	}
	fmt.Print(hello)
	best := longest(steps)
	fmt.Printf("longest Collatz chain from 1..%d: %d steps from %d (%d chunks; tasks per rank %v)\n", n, steps[best], best+1, st.Chunks, st.TasksPerRank)
	fmt.Printf("sum of 1/i² for i = 1..%d: %.12f (π²/6 = %.12f)\n", n, basel, math.Pi*math.Pi/6)
	if check {
		if err := verify(n, steps, basel); err != nil {
			return err
		}
		fmt.Println("check: both results match rank 0's own computation")
	}
	return nil
}

// describe returns, on rank 0, one line per rank about its pool. Every rank
// has the input (one task per rank); with one chunk of one task at a time,
// each rank runs exactly one: the first chunks go to ranks 1, 2, ... before
// rank 0 takes the last.
func describe(c *mpi.Comm, p *numapool.Pool) (string, error) {
	type line struct {
		Rank int32
		Text [124]byte
	}
	lines, err := mpi.MapFunc(c, p, make([]int, c.Size()), func(_ *numapool.Worker, _ int) (line, error) {
		l := line{Rank: int32(c.Rank())}
		copy(l.Text[:], fmt.Sprintf("rank %d of %d: %d workers on CPUs %s (%v)", c.Rank(), c.Size(), p.Workers(), cpus(p), c.ThreadLevel()))
		return l, nil
	}, mpi.InputOnEveryRank(), mpi.ChunkSize(1), mpi.Prefetch(1))
	if err != nil || c.Rank() != 0 {
		return "", err
	}
	byRank := make([]string, c.Size())
	for _, l := range lines {
		byRank[l.Rank] = strings.TrimRight(string(l.Text[:]), "\x00")
	}
	return strings.Join(byRank, "\n") + "\n", nil
}

// cpus lists the CPUs of the pool's workers.
func cpus(p *numapool.Pool) string {
	set := p.CPUs(0)
	for id := 1; id < p.Workers(); id++ {
		set = set.Union(p.CPUs(id))
	}
	return set.String()
}

// collatz counts the steps from x to 1.
func collatz(x int64) int32 {
	steps := int32(0)
	for x != 1 {
		if x%2 == 0 {
			x /= 2
		} else {
			x = 3*x + 1
		}
		steps++
	}
	return steps
}

// inverseSquares adds 1/i² for i in [lo+1, hi+1), largest i first, so
// that small terms are not lost against a large sum.
func inverseSquares(lo, hi int) float64 {
	s := 0.0
	for i := hi; i > lo; i-- {
		s += 1 / (float64(i) * float64(i))
	}
	return s
}

// longest returns the index of the first largest value.
func longest(steps []int32) int {
	best := 0
	for i, s := range steps {
		if s > steps[best] {
			best = i
		}
	}
	return best
}

// verify recomputes both results on one rank.
func verify(n int, steps []int32, basel float64) error {
	for i, s := range steps {
		if want := collatz(int64(i + 1)); s != want {
			return fmt.Errorf("check: Collatz steps of %d: %d from the map, %d here", i+1, s, want)
		}
	}
	if want := inverseSquares(0, n); math.Abs(basel-want) > 1e-12 {
		return fmt.Errorf("check: sum of 1/i²: %.15f from the reduction, %.15f here", basel, want)
	}
	return nil
}
