// Package csrc is numapool's low-level layer and its only cgo package: a thin
// Go API over the C calls that pin threads, read where they run, and place
// memory on NUMA nodes. It is not meant for users: the pool's Worker says
// where a task runs (ID, CPUs, CPU, Node, ThreadID), package topology
// describes the machine, and package shm places memory.
//
// Every function here acts on the calling OS thread unless it says otherwise.
// A goroutine that relies on per-thread state (a pinned mask, a thread id) must
// hold runtime.LockOSThread for as long as that state matters; numapool's
// workers lock once and never unlock.
//
// CPU sets cross this boundary as sorted []int of Linux CPU numbers, so that
// this package imports nothing of numapool's own.
//
// The package builds only for Linux with cgo on (GOOS=linux, CGO_ENABLED=1 and
// a C compiler); anywhere else the build stops with one error whose name says
// so, and every package above this one stops with it.
package csrc
