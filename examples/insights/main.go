// Command insights shows MPIRE's "expensive initialisation" pattern on a
// numapool pool: each worker builds a costly lookup table once, in its init
// function on its own pinned thread (so the table's memory is first touched
// on that worker's NUMA node), every task of several calls reuses it through
// the worker state, and the pool's insights show where the time went.
//
//	go run ./examples/insights
package main

import (
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"time"

	"github.com/numapool/numapool/numapool"
)

// tableSize is the number of entries of each worker's table: large enough
// that building it takes visible time, small enough for a quick example.
const tableSize = 1 << 20

// table is a worker's lookup table and the number of lookups it served.
type table struct {
	sqrt    []float64
	lookups int
}

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) error {
	tables := numapool.NewWorkerState(
		func(w *numapool.Worker) (table, error) {
			t := table{sqrt: make([]float64, tableSize)}
			for i := range t.sqrt {
				t.sqrt[i] = math.Sqrt(float64(i))
			}
			return t, nil
		},
		func(w *numapool.Worker, t *table) (any, error) { return t.lookups, nil },
	)
	p, err := numapool.New(numapool.WithState(tables), numapool.WithInsights())
	if err != nil {
		return err
	}
	task := func(w *numapool.Worker, x int) (float64, error) {
		t := tables.Of(w)
		s := 0.0
		for k := range 2000 {
			s += t.sqrt[(x*7919+k)%tableSize]
		}
		t.lookups += 2000
		return s, nil
	}
	start := time.Now()
	for call := range 3 {
		xs := make([]int, 2000)
		for i := range xs {
			xs[i] = call*len(xs) + i
		}
		if _, err := numapool.MapFunc(p, xs, task); err != nil {
			p.Close()
			return err
		}
	}
	elapsed := time.Since(start)
	if err := p.Close(); err != nil {
		return err
	}
	lookups := 0
	exits := p.ExitResults()
	for _, e := range exits {
		fmt.Fprintf(out, "worker %d: %d lookups\n", e.WorkerID, e.Value)
		lookups += e.Value.(int)
	}
	fmt.Fprintf(out, "%d lookups in 3 calls, %d tables built, in %v\n\n", lookups, len(exits), elapsed.Round(time.Millisecond))
	in, _ := p.Insights()
	fmt.Fprint(out, in)
	return nil
}
