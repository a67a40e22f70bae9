// Package bench compares numapool with the Go worker pools people reach for
// instead of it: errgroup with SetLimit, a hand-written buffered-channel
// pool, ants, pond and conc, beside a sequential loop and a hand-split loop
// over the usable CPUs (the ideal).
//
// It is a module of its own so that none of these peers ever enters
// numapool's dependencies. Everything here is for `go test`: the
// benchmarks in peers_bench_test.go give the figures (read them as ratios,
// with benchstat), and the tests check that every contender computes the
// same results and that no goroutine outlives its pool.
//
// Each contender is a Runner: Map(in, f) maps f over in and returns the
// results in input order, as numapool.Map does. Runners built on a pool
// (numapool, chanpool, ants, pond) make it once in the constructor and keep
// it across calls; those whose API is one pool per batch (errgroup, conc)
// make it in every Map, as their users do. The task always arrives as a func
// value that the compiler cannot see through, because that is all a library
// gets.
package bench
