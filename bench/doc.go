// Package bench measures numapool against the ways Go programs run
// parallel work without it, and against OpenMP in C, on the workloads HPC
// users run: tiny and medium tasks, unbalanced tasks, stateful tasks with
// exit results, a numerical workload over one large shared input, an
// expensive per-worker initialisation reused across calls, a lazy stream,
// a reduction, a time-stepping loop of many small parallel loops and many
// independent submissions of one task each (apply).
//
// It is a module of its own so that none of the peers (errgroup, ants,
// pond, conc) ever enters numapool's dependencies. Everything here is for
// `go test`: the benchmarks give the figures (read them as ratios against
// the baselines of the same run, with benchstat and cmd/benchratio), and
// the tests check that every case of every workload computes the same
// checksum as a plain loop and that no goroutine outlives its case.
//
// A workload is a Workload value; each of its Cases is one contender's way
// to run it, built once and run many times, as a program would.
package bench
