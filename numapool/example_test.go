package numapool_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/numapool/numapool/numapool"
	"github.com/numapool/numapool/shm"
	"github.com/numapool/numapool/topology"
)

func square(x int) int { return x * x }

// upTo yields 0..n-1: a generator, whose length the pool cannot know.
func upTo(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
}

// count returns the slice 0..n-1.
func count(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

// Start a pool of 4 workers and release it with Close when done.
func ExampleNew() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close() // waits for running work, then ends every worker thread

	fmt.Println(p.Workers())
	// Output: 4
}

// Map returns results in input order.
func ExampleMap() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	squares, err := numapool.Map(p, count(10), square)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

// Several arguments travel as a struct: MPIRE's multiply(x, y).
func ExampleMap_multipleArguments() {
	type pair struct{ x, y int }
	multiply := func(a pair) int { return a.x * a.y }

	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	args := make([]pair, 5)
	for i := range args {
		args[i] = pair{i, i + 100}
	}
	products, err := numapool.Map(p, args, multiply)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(products)
	// Output: [0 101 204 309 416]
}

// MapUnordered over a generator returns results in the order chunks finish;
// sort them to compare.
func ExampleMapUnordered() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	squares, err := numapool.MapUnordered(p, upTo(10), square, numapool.ChunkSize(2))
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(squares)
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

// IMap yields results in input order as they are ready; the last pair
// carries the call's error, if any.
func ExampleIMap() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	for sq, err := range numapool.IMap(p, count(5), square) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(sq)
	}
	// Output:
	// 0
	// 1
	// 4
	// 9
	// 16
}

// Breaking out of an IMap loop cancels the rest of the call, here over an
// endless generator; the pool stays usable.
func ExampleIMap_break() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	naturals := func(yield func(int) bool) {
		for i := 0; ; i++ {
			if !yield(i) {
				return
			}
		}
	}
	var small []int
	for sq, err := range numapool.IMap(p, naturals, square, numapool.ChunkSize(4)) {
		if err != nil {
			log.Fatal(err)
		}
		if sq > 50 {
			break
		}
		small = append(small, sq)
	}
	fmt.Println(small)

	again, err := numapool.Map(p, count(3), square)
	fmt.Println(again, err)
	// Output:
	// [0 1 4 9 16 25 36 49]
	// [0 1 4] <nil>
}

// IMapUnordered yields results as chunks finish, in any order.
func ExampleIMapUnordered() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	var squares []int
	for sq, err := range numapool.IMapUnordered(p, upTo(10), square, numapool.IterableLen(10)) {
		if err != nil {
			log.Fatal(err)
		}
		squares = append(squares, sq)
	}
	slices.Sort(squares)
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

// MapFunc passes each task its *Worker (ID, CPUs, NUMA node, shared
// objects, thread id) and lets it return an error.
func ExampleMapFunc() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	ids, err := numapool.MapFunc(p, count(100), func(w *numapool.Worker, x int) (int, error) {
		return w.ID(), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(ids), slices.Min(ids) >= 0, slices.Max(ids) < p.Workers())
	// Output: 100 true true
}

// MapInto writes into a slice the caller owns: a loop of calls over the
// same buffers makes no garbage.
func ExampleMapInto() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	src := count(8)
	dst := make([]int, len(src))
	for round := range 3 {
		if err := numapool.MapInto(p, dst, src, func(x int) int { return x * round }); err != nil {
			log.Fatal(err)
		}
		fmt.Println(dst)
	}
	// Output:
	// [0 0 0 0 0 0 0 0]
	// [0 1 2 3 4 5 6 7]
	// [0 2 4 6 8 10 12 14]
}

// ForEach runs tasks for their side effects: here each writes its own
// slot of a slice, so no lock is needed.
func ExampleForEach() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	squares := make([]int, 10)
	if err := numapool.ForEach(p, count(10), func(i int) { squares[i] = i * i }); err != nil {
		log.Fatal(err)
	}
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

// A generator has no length: without IterableLen or ChunkSize the call
// fails, and the error names both fixes.
func ExampleChunkSize() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	_, err = numapool.Map(p, upTo(100), square)
	fmt.Println(err)

	// A fixed chunk size of 4 needs no length.
	squares, err := numapool.Map(p, upTo(100), square, numapool.ChunkSize(4))
	fmt.Println(len(squares), squares[99], err)
	// Output:
	// numapool: the input is an iter.Seq of unknown length, so it cannot be cut into 4 chunks per worker: pass numapool.IterableLen(n) with its length, or numapool.ChunkSize(k) to choose the chunk size
	// 100 9801 <nil>
}

// IterableLen gives a generator's length, so the default chunk size can be
// chosen (4 chunks per worker). A length shorter than the input cuts it.
func ExampleIterableLen() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	squares, err := numapool.Map(p, upTo(100), square, numapool.IterableLen(100))
	fmt.Println(len(squares), squares[99], err)

	firstFive, err := numapool.Map(p, upTo(100), square, numapool.IterableLen(5))
	fmt.Println(firstFive, err)
	// Output:
	// 100 9801 <nil>
	// [0 1 4 9 16] <nil>
}

// MaxTasksActive bounds the tasks taken from the input and not yet
// finished: here no more than 8 tasks run or wait at any time, however long
// the generator.
func ExampleMaxTasksActive() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	var active, most atomic.Int64
	task := func(x int) int {
		n := active.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		defer active.Add(-1)
		return x * x
	}
	squares, err := numapool.Map(p, upTo(1_000), task,
		numapool.IterableLen(1_000), numapool.ChunkSize(2), numapool.MaxTasksActive(8))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(squares), squares[999], most.Load() <= 8)
	// Output: 1000 998001 true
}

// WorkerLifespan ends a worker's thread after it has run that many chunks;
// a fresh thread with the same ID and CPUs takes over.
func ExampleWorkerLifespan() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	threads, err := numapool.MapFunc(p, count(100), func(w *numapool.Worker, x int) (int, error) {
		return w.ThreadID(), nil
	}, numapool.ChunkSize(10), numapool.WorkerLifespan(1))
	if err != nil {
		log.Fatal(err)
	}
	slices.Sort(threads)
	fmt.Println(len(slices.Compact(threads)), "threads for 10 chunks")
	// Output: 10 threads for 10 chunks
}

// By default worker threads (and anything a task left in thread-local state)
// live on from one call to the next; with FreshWorkersPerCall every call
// starts on fresh threads, as MPIRE's workers without keep_alive do.
func ExampleFreshWorkersPerCall() {
	thread := func(w *numapool.Worker, _ int) (int, error) { return w.ThreadID(), nil }
	for _, fresh := range []bool{false, true} {
		var opts []numapool.Option
		if fresh {
			opts = append(opts, numapool.FreshWorkersPerCall())
		}
		p, err := numapool.New(append(opts, numapool.Workers(1))...)
		if err != nil {
			log.Fatal(err)
		}
		first, err1 := numapool.MapFunc(p, count(1), thread)
		second, err2 := numapool.MapFunc(p, count(1), thread)
		if err := errors.Join(err1, err2); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("fresh workers per call: %v, same thread in both calls: %v\n", fresh, first[0] == second[0])
		p.Close()
	}
	// Output:
	// fresh workers per call: false, same thread in both calls: true
	// fresh workers per call: true, same thread in both calls: false
}

// A task may start a pool of its own only when the outer pool was made with
// Daemon(false); the nested pool runs on the CPUs of the worker that
// starts it.
func ExampleDaemon() {
	sumOfSquares := func(xs []int) (int, error) {
		inner, err := numapool.New() // inside a task: one worker per CPU of this worker
		if err != nil {
			return 0, err
		}
		defer inner.Close()
		squares, err := numapool.Map(inner, xs, square)
		if err != nil {
			return 0, err
		}
		total := 0
		for _, s := range squares {
			total += s
		}
		return total, nil
	}
	task := func(_ *numapool.Worker, xs []int) (int, error) { return sumOfSquares(xs) }
	groups := [][]int{count(10), count(100)}

	daemon, err := numapool.New(numapool.Workers(2)) // Daemon(true), the default
	if err != nil {
		log.Fatal(err)
	}
	_, err = numapool.MapFunc(daemon, groups, task)
	fmt.Println(errors.Is(err, numapool.ErrDaemon))
	daemon.Close()

	outer, err := numapool.New(numapool.Workers(2), numapool.Daemon(false))
	if err != nil {
		log.Fatal(err)
	}
	defer outer.Close()
	sums, err := numapool.MapFunc(outer, groups, task)
	fmt.Println(sums, err)
	// Output:
	// true
	// [285 328350] <nil>
}

// Pin every worker to one CPU: here the first CPU this process may use,
// so that the example runs anywhere. Every task then runs on that CPU.
func ExampleCPUIDs() {
	m, err := topology.Current()
	if err != nil {
		log.Fatal(err)
	}
	first := m.Usable().First()

	p, err := numapool.New(numapool.Workers(2), numapool.CPUIDs(first))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	cpus, err := numapool.MapFunc(p, count(20), func(w *numapool.Worker, _ int) (int, error) {
		return w.CPU(), nil // the CPU the worker's thread runs on now
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.CPUs(0).Equal(topology.NewCPUSet(first)), p.CPUs(1).Equal(topology.NewCPUSet(first)))
	fmt.Println(slices.Min(cpus) == first && slices.Max(cpus) == first)
	// Output:
	// true true
	// true
}

// A CPU id the process cannot use is an error that says why and lists the
// usable CPUs.
func ExampleCPUIDs_invalid() {
	_, err := numapool.New(numapool.CPUIDs(topology.MaxCPUs - 1))
	var cpuErr *topology.CPUError
	if errors.As(err, &cpuErr) {
		fmt.Println(cpuErr.CPU, cpuErr.Problem == topology.NotOnMachine, cpuErr.Usable.Equal(mustUsable()))
	}
	// Output: 8191 true true
}

func mustUsable() topology.CPUSet {
	m, err := topology.Current()
	if err != nil {
		log.Fatal(err)
	}
	return m.Usable()
}

// CPUSets gives workers sets of CPUs: one set shared by every worker, or
// one set per worker.
func ExampleCPUSets() {
	m, err := topology.Current()
	if err != nil {
		log.Fatal(err)
	}
	usable := m.Usable()

	// Every worker may run on any usable CPU, as MPIRE's cpu_ids=[[...]].
	p, err := numapool.New(numapool.Workers(3), numapool.CPUSets(usable))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	for id := range p.Workers() {
		fmt.Println(id, p.CPUs(id).Equal(usable))
	}
	// Output:
	// 0 true
	// 1 true
	// 2 true
}

// Placement chooses workers' CPUs by a topology policy; Unpinned leaves
// the threads free to run anywhere.
func ExamplePlacement() {
	m, err := topology.Current()
	if err != nil {
		log.Fatal(err)
	}
	p, err := numapool.New(numapool.Placement(topology.Compact))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	// One worker per usable CPU, at most GOMAXPROCS (which follows a
	// cgroup's cpu.max), each on a usable CPU of its own.
	all := topology.NewCPUSet()
	for id := range p.Workers() {
		all = all.Union(p.CPUs(id))
	}
	fmt.Println(p.Workers() == min(m.Usable().Len(), runtime.GOMAXPROCS(0)),
		all.Len() == p.Workers() && all.IsSubsetOf(m.Usable()))

	free, err := numapool.New(numapool.Workers(2), numapool.Unpinned())
	if err != nil {
		log.Fatal(err)
	}
	defer free.Close()
	fmt.Println(free.CPUs(0).IsEmpty())
	// Output:
	// true true
	// true
}

// MPIRE's shared-array example: tasks write results by index into an
// array every worker shares. The array lives outside the Go heap.
func ExampleSharedObjects() {
	squares, err := shm.New[float64](10)
	if err != nil {
		log.Fatal(err)
	}
	defer squares.Free()

	p, err := numapool.New(numapool.Workers(4), numapool.SharedObjects(squares))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	type indexed struct {
		idx int
		x   float64
	}
	args := make([]indexed, 10)
	for i := range args {
		args[i] = indexed{i, float64(i)}
	}
	_, err = numapool.MapUnorderedFunc(p, args, func(w *numapool.Worker, a indexed) (struct{}, error) {
		s, _ := numapool.Shared[*shm.Array[float64]](w)
		s.Slice()[a.idx] = a.x * a.x // each task its own index: no lock
		return struct{}{}, nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(squares.Slice())
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

// With one slot per worker, each worker accumulates into the slot of its
// own ID; several shared objects travel as one struct.
func ExamplePool_SetSharedObjects() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	type accumulators struct {
		sums   []float64 // one per worker
		counts []int     // one per worker
	}
	acc := accumulators{make([]float64, p.Workers()), make([]int, p.Workers())}
	p.SetSharedObjects(acc) // for the calls that start from now on

	_, err = numapool.MapUnorderedFunc(p, count(100), func(w *numapool.Worker, x int) (struct{}, error) {
		a, _ := numapool.Shared[accumulators](w)
		a.sums[w.ID()] += float64(x * x) // a worker runs one task at a time
		a.counts[w.ID()]++
		return struct{}{}, nil
	})
	if err != nil {
		log.Fatal(err)
	}
	total, tasks := 0.0, 0
	for id := range p.Workers() {
		total += acc.sums[id]
		tasks += acc.counts[id]
	}
	fmt.Println(total, tasks)
	// Output: 328350 100
}

// A replicated array keeps a copy on every NUMA node; the pool hands each
// worker its node's copy (ForNode), which the task sees as a []T.
func ExampleSharedObjects_replicated() {
	table, err := shm.NewReplicated[float64](4, nil) // nil: every node with memory
	if err != nil {
		log.Fatal(err)
	}
	defer table.Free()
	if err := table.Load([]float64{0.5, 1.5, 2.5, 3.5}); err != nil {
		log.Fatal(err)
	}

	p, err := numapool.New(numapool.Workers(4), numapool.SharedObjects(table))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	vals, err := numapool.MapFunc(p, []int{3, 2, 1, 0}, func(w *numapool.Worker, i int) (float64, error) {
		local, ok := numapool.Shared[[]float64](w) // this worker's node's copy
		if !ok {
			return 0, fmt.Errorf("shared objects are a %T", w.Shared())
		}
		return local[i], nil
	})
	fmt.Println(vals, err)
	// Output: [3.5 2.5 1.5 0.5] <nil>
}

// A task's error ends the call with a *TaskError naming the task;
// errors.Is and errors.As reach the task's own error.
func ExampleTaskError() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	errOdd := errors.New("odd input")
	_, err = numapool.MapFunc(p, []int{2, 4, 7, 8}, func(_ *numapool.Worker, x int) (int, error) {
		if x%2 == 1 {
			return 0, fmt.Errorf("checking %d: %w", x, errOdd)
		}
		return x / 2, nil
	})
	var te *numapool.TaskError
	if errors.As(err, &te) {
		fmt.Printf("task %d (arg %s) failed: %v\n", te.Index, te.Arg, te.Err)
	}
	fmt.Println(errors.Is(err, errOdd))

	// The pool stays usable.
	halves, err := numapool.MapFunc(p, []int{2, 4}, func(_ *numapool.Worker, x int) (int, error) { return x / 2, nil })
	fmt.Println(halves, err)
	// Output:
	// task 2 (arg 7) failed: checking 7: odd input
	// true
	// [1 2] <nil>
}

// A panic in a task is caught: the call returns a *TaskError whose cause is
// a *PanicError with the panic value and the stack.
func ExamplePanicError() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	_, err = numapool.Map(p, []int{1, 2, 0, 4}, func(x int) int { return 12 / x })
	var pe *numapool.PanicError
	if errors.As(err, &pe) {
		fmt.Println("panic:", pe.Value)
		fmt.Println("stack recorded:", len(pe.Stack) > 0)
	}
	var re runtime.Error // a runtime panic value is an error, so errors.As reaches it too
	fmt.Println(errors.As(err, &re))
	// Output:
	// panic: runtime error: integer divide by zero
	// stack recorded: true
	// true
}

// A task that calls runtime.Goexit (as t.FailNow and testify's require do)
// on a worker fails its call with ErrGoexit; its worker is replaced. Under
// WorkersOnly every task runs on a worker; without it, a task of a plain
// call that the calling goroutine runs would end that goroutine, as in a
// plain loop (MapFunc's tasks always run on workers).
func ExampleErrGoexit() {
	p, err := numapool.New(numapool.Workers(2), numapool.WorkersOnly())
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	_, err = numapool.Map(p, []int{1, 2, 3}, func(x int) int {
		if x == 2 {
			runtime.Goexit()
		}
		return x
	})
	fmt.Println(errors.Is(err, numapool.ErrGoexit))

	again, err := numapool.Map(p, []int{1, 2, 3}, square)
	fmt.Println(again, err)
	// Output:
	// true
	// [1 4 9] <nil>
}

// Context ties a call to a context: once it is done, tasks not yet started
// are dropped and the call returns the context's error. Here the input is
// endless, so only the cancellation can end the call.
func ExampleContext() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	naturals := func(yield func(int) bool) {
		for i := 0; ; i++ {
			if !yield(i) {
				return
			}
		}
	}
	_, err = numapool.Map(p, naturals, func(x int) int {
		if x == 1000 {
			cancel()
		}
		return x * x
	}, numapool.ChunkSize(10), numapool.Context(ctx))
	fmt.Println(err, errors.Is(err, context.Canceled))
	// Output: context canceled true
}

// One pool serves calls from many goroutines at once; each gets its own
// results.
func ExamplePool_concurrent() {
	p, err := numapool.New(numapool.Workers(4))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	var wg sync.WaitGroup
	sums := make([]int, 8)
	for g := range sums {
		wg.Go(func() {
			out, err := numapool.Map(p, count(100), func(x int) int { return x * g })
			if err != nil {
				log.Fatal(err)
			}
			for _, v := range out {
				sums[g] += v
			}
		})
	}
	wg.Wait()
	fmt.Println(sums)
	// Output: [0 4950 9900 14850 19800 24750 29700 34650]
}

// Close waits for the work in flight and ends the workers (MPIRE's
// stop_and_join); later calls fail with ErrClosed. Closing twice is fine.
func ExamplePool_Close() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.Close(), p.Close())
	_, err = numapool.Map(p, count(3), square)
	fmt.Println(errors.Is(err, numapool.ErrClosed))
	// Output:
	// <nil> <nil>
	// true
}

// Terminate stops the pool now: a call in flight returns ErrTerminated
// (tasks already running finish first; Go cannot stop them from outside).
func ExamplePool_Terminate() {
	p, err := numapool.New(numapool.Workers(2))
	if err != nil {
		log.Fatal(err)
	}

	started := make(chan struct{})
	var once sync.Once
	done := make(chan error)
	go func() {
		// An endless input: only Terminate can end this call.
		_, err := numapool.Map(p, func(yield func(int) bool) {
			for i := 0; yield(i); i++ {
			}
		}, func(x int) int {
			once.Do(func() { close(started) })
			return x
		}, numapool.ChunkSize(1))
		done <- err
	}()
	<-started
	fmt.Println(p.Terminate())
	err = <-done
	fmt.Println(errors.Is(err, numapool.ErrTerminated))
	_, err = numapool.Map(p, count(3), square)
	fmt.Println(errors.Is(err, numapool.ErrClosed))
	// Output:
	// <nil>
	// true
	// true
}
