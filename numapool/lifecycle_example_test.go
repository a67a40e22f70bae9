package numapool_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/numapool/numapool/numapool"
)

// Per-worker state: a table built once per worker, on the worker's own
// pinned thread, reused by every task of every call; exit reports what each
// worker did, and ExitResults collects it after Close.
func ExampleNewWorkerState() {
	type table struct {
		squares []int
		lookups int
	}
	tables := numapool.NewWorkerState(
		func(w *numapool.Worker) (table, error) { // init, on w's thread
			t := table{squares: make([]int, 1000)}
			for i := range t.squares {
				t.squares[i] = i * i
			}
			return t, nil
		},
		func(w *numapool.Worker, t *table) (any, error) { return t.lookups, nil }, // exit
	)
	p, err := numapool.New(numapool.Workers(2), numapool.WithState(tables))
	if err != nil {
		log.Fatal(err)
	}
	lookup := func(w *numapool.Worker, x int) (int, error) {
		t := tables.Of(w) // *table: no type assertion, one pointer load
		t.lookups++
		return t.squares[x], nil
	}
	for range 3 {
		if _, err := numapool.MapFunc(p, count(100), lookup); err != nil {
			log.Fatal(err)
		}
	}
	if err := p.Close(); err != nil {
		log.Fatal(err)
	}
	total := 0
	for _, e := range p.ExitResults() {
		total += e.Value.(int)
	}
	fmt.Println("lookups:", total)
	// Output: lookups: 300
}

// OrderTasks hands chunk i to worker i mod n: MPIRE's order_tasks example,
// values 1..20 on 4 workers in chunks of 3.
func ExampleOrderTasks() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	values := make([]int, 20)
	for i := range values {
		values[i] = i + 1
	}
	ids, err := numapool.MapFunc(p, values, func(w *numapool.Worker, x int) (int, error) { return w.ID(), nil },
		numapool.ChunkSize(3), numapool.OrderTasks())
	if err != nil {
		log.Fatal(err)
	}
	byWorker := make([][]int, 4)
	for i, id := range ids {
		byWorker[id] = append(byWorker[id], values[i])
	}
	for id, vs := range byWorker {
		fmt.Println("worker", id, vs)
	}
	// Output:
	// worker 0 [1 2 3 13 14 15]
	// worker 1 [4 5 6 16 17 18]
	// worker 2 [7 8 9 19 20]
	// worker 3 [10 11 12]
}

// Insights: where the workers' time went, and the slowest tasks.
func ExampleWithInsights() {
	p, err := numapool.New(numapool.Workers(2), numapool.WithInsights())
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	_, err = numapool.Map(p, count(20), func(x int) int {
		if x == 13 {
			time.Sleep(20 * time.Millisecond)
		}
		return x
	}, numapool.ChunkSize(1))
	if err != nil {
		log.Fatal(err)
	}
	in, _ := p.Insights()
	fmt.Println("tasks:", in.Total.Tasks)
	fmt.Println("slowest:", in.Slowest[0].Index, in.Slowest[0].Arg)
	fmt.Println(strings.Contains(in.String(), "working %"))
	// Output:
	// tasks: 20
	// slowest: 13 13
	// true
}

// Apply runs one function on the pool; ApplyAsync returns a Future, whose
// callbacks run before Get returns.
func ExampleApplyAsync() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	r, err := numapool.Apply(p, func(w *numapool.Worker) (int, error) { return 6 * 7, nil })
	fmt.Println(r, err)

	var futures []*numapool.Future[int]
	for i := range 5 {
		futures = append(futures, numapool.ApplyAsync(p, func(w *numapool.Worker) (int, error) {
			if i == 3 {
				return 0, errors.New("three is bad")
			}
			return i * i, nil
		}))
	}
	var failures []string
	futures[3].Then(nil, func(err error) {
		var te *numapool.TaskError
		errors.As(err, &te)
		failures = append(failures, te.Err.Error())
	})
	for _, f := range futures {
		r, err := f.Get()
		fmt.Println(r, err != nil)
	}
	fmt.Println(failures)
	// Output:
	// 42 <nil>
	// 0 false
	// 1 false
	// 4 false
	// 0 true
	// 16 false
	// [three is bad]
}

// A task past TaskTimeout fails the call at once: the call cancels its
// context, abandons the stuck worker to finish on its own, and a fresh
// thread with the same worker ID takes its place.
func ExampleTaskTimeout() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	release := make(chan struct{})
	_, err = numapool.Map(p, count(8), func(x int) int {
		if x == 5 {
			<-release // never returns while the call waits
		}
		return x
	}, numapool.ChunkSize(1), numapool.TaskTimeout(50*time.Millisecond))
	var te *numapool.TaskError
	var to *numapool.TimeoutError
	fmt.Println(errors.As(err, &te), te.Index, errors.As(err, &to), to.Limit, errors.Is(err, context.DeadlineExceeded))
	close(release) // the abandoned task returns; its result goes nowhere

	r, err := numapool.Map(p, count(4), func(x int) int { return x * x })
	fmt.Println(r, err, p.Workers())
	// Output:
	// true 5 true 50ms true
	// [0 1 4 9] <nil> 2
}
