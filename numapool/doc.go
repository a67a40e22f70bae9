// Package numapool runs Go functions over slices, generators and index
// ranges on a pool of workers that are OS threads pinned to CPUs: the
// feature set of Python's MPIRE WorkerPool (ordered and unordered, eager and
// lazy maps, chunking, a bound on tasks in flight, worker lifespan, shared
// objects, worker IDs, worker state, nested pools), for CPU-bound work on
// multi-core and multi-socket Linux machines.
//
// # Pools
//
// A [Pool] is a fixed set of workers. Each worker is a goroutine locked to an
// OS thread of its own and, by default, pinned to one CPU that this process
// may use (one worker per usable CPU, at most GOMAXPROCS, spread over cores,
// packages and NUMA nodes). Workers and their state persist from one call to the next, as a
// Go thread is cheap to keep and costly to restart; [FreshWorkersPerCall]
// gives MPIRE's fresh workers per call instead. An idle pool parks its
// threads and uses no CPU. A pool is safe for concurrent use: calls from
// many goroutines share its workers.
//
//	p, err := numapool.New() // or New(Workers(4), CPUIDs(...), ...)
//	if err != nil {
//		return err
//	}
//	defer p.Close() // waits for running work, then ends the worker threads
//
// [Option] values configure a pool ([Workers], [CPUIDs], [CPUSets],
// [Placement], [Unpinned], [Daemon], [SharedObjects], [WithState],
// [InitTimeout], [ExitTimeout], [WithInsights], [FreshWorkersPerCall]);
// [CallOption] values configure one call ([ChunkSize], [IterableLen],
// [MaxTasksActive], [WorkerLifespan], [OrderTasks], [Context],
// [TaskTimeout], [ProgressBar]).
//
// # The calls
//
// Every call is a generic function of the pool, the input and the task.
// The ...Func forms take a worker-aware task, func(w *Worker, a A) (R, error),
// which can fail and can ask its [Worker] for its ID, CPUs, CPU, NUMA node,
// shared objects and state; the plain forms take func(A) R.
//
//	shape of the call                     plain          worker-aware
//	ordered, eager: []R                   Map            MapFunc
//	unordered, eager: []R                 MapUnordered   MapUnorderedFunc
//	ordered, lazy: iter.Seq2[R, error]    IMap           IMapFunc
//	unordered, lazy: iter.Seq2[R, error]  IMapUnordered  IMapUnorderedFunc
//	into a slice the caller owns          MapInto
//	no results, side effects only         ForEach        ForEachFunc
//	index range 0..n-1, a block at a time For            ForFunc
//	index range, one call per index       ForIndex
//	reduction over an index range         Reduce         ReduceFunc
//	one function on one worker                           Apply, ApplyAsync (a Future)
//
// The map calls take a slice or an iter.Seq (named types of either too, see
// [Source]); the loops take a count n. Which to pick:
//
//   - A loop over arrays you own: [For]. Its body gets a block [lo, hi) and
//     runs the loop itself, so the compiler optimises it as hand-written
//     code. [Reduce] for sums, minima and the like: partials are combined
//     in block order, so a float64 sum gives the same bits on every run.
//   - A slice in, a slice of results out: [Map]; [MapInto] to reuse the
//     output buffer across calls.
//   - A generator, results wanted as they come, or more results than fit in
//     memory: [IMap] (input order) or [IMapUnordered] (as chunks finish,
//     which never waits on a slow chunk). The unordered eager form,
//     [MapUnordered], returns input order in practice over a slice.
//   - Tasks that fail, or need their worker: the ...Func form.
//   - One function now and then, or many unrelated ones: [Apply] waits for
//     its result, [ApplyAsync] returns a [Future] (about 1.5 µs an apply on
//     2 vCPUs, against 0.3 µs for a buffered-channel pool: prefer a map for
//     many small tasks).
//
// # Workers and their state
//
// Workers persist across calls ([FreshWorkersPerCall] gives MPIRE's fresh
// workers per call). [NewWorkerState] with [WithState] gives each worker
// typed state made by an init function on its own pinned thread (so memory
// it first touches sits on its NUMA node) and an exit function whose
// results [Pool.ExitResults] collects. [OrderTasks] hands chunk i to worker
// i mod n; [WithInsights] records where the workers' time went.
//
// # Costs
//
// Measured on a 2-vCPU development machine shared with other jobs (Go
// 1.26); read them as orders of magnitude, and time your own work with the
// benchmarks (make bench-lib; make bench for the peers and OpenMP).
//
//   - A call's fixed cost: 2-8 µs for a 64-task Map, about a hand-split
//     loop's: the calling goroutine runs the chunks of a small plain call
//     itself while the workers sleep (see [WorkersOnly]). A call that wakes
//     the workers costs tens of µs, more with FreshWorkersPerCall (a thread
//     start per worker).
//   - Over a slice, each worker owns a run of chunks and takes the next
//     with one compare-and-swap on its own cache line, stealing half of
//     another run when its own is empty, and writes each result into its
//     slot: no allocation per task or chunk (about a dozen allocations per
//     Map call, whatever the length). Map of x*x over 1,000,000 ints: 1.17
//     ms against 0.92 ms for a hand-split loop that allocates its result.
//     With ChunkSize(1): 17-43 ns per task.
//   - For over 1,000,000 x*x: 0.3-0.9 ms, as fast as an inlined hand-split
//     loop; ForIndex adds one indirect call per index (1-2 ns); Reduce
//     over 10,000,000 float64s matches a hand-split loop (3.4-3.5 ms
//     against 3.4 ms on 2 vCPUs, 0.99-1.01x paired).
//   - Over an iter.Seq, and in the lazy calls, the calling goroutine feeds
//     and drains chunks through lock-free rings, and runs chunks itself
//     while it would wait. With ChunkSize(1), a lazy call costs 130-165 ns
//     a task, about a buffered-channel pool's cost.
//   - The default chunking over a slice: shrinking chunks, each round's a
//     quarter of the tasks left split over the workers, down to
//     n/(64 x workers), so uneven tasks leave no long tail; lazy calls and
//     generators: 4 equal chunks per worker; at most 2 chunks per worker
//     in flight. [Pool.Plan] returns what a call's options come to.
//
// # Errors
//
// The first task that returns an error, panics, calls runtime.Goexit or runs
// past its TaskTimeout ends its call: tasks not yet started are dropped, and
// the call returns a [*TaskError] naming the worker, the task's index and
// argument, and the cause: the task's error, a [*PanicError] (one line of
// Error, the whole stack in its Stack field), [ErrGoexit] or a
// [*TimeoutError]. errors.Is and errors.As reach the task's own error. The
// pool stays usable. Bad options are errors from [New] or from the call,
// before any task runs.
//
// # More
//
// [RunParallel] runs a benchmark body on every worker's pinned thread, as
// testing.B.RunParallel does on goroutines, for parallel benchmarks that
// repeat from run to run.
//
// The user guide (docs/usage.md in the repository) walks through every
// feature beside its MPIRE counterpart. Every snippet in it is a runnable
// Example of this package: they show on pkg.go.dev, and
// go test -run Example -v ./numapool runs them. Package topology describes
// the machine and places workers; package shm holds big arrays off the Go
// heap, in huge pages, on the NUMA nodes you choose.
package numapool
