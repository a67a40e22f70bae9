// Package csrc is numapool's only cgo package: a thin Go API over the C calls
// that pin threads, read where they run, and place memory on NUMA nodes.
//
// Every function here acts on the calling OS thread unless it says otherwise.
// A goroutine that relies on per-thread state (a pinned mask, a thread id) must
// hold runtime.LockOSThread for as long as that state matters; numapool's
// workers lock once and never unlock.
//
// CPU sets cross this boundary as sorted []int of Linux CPU numbers, so that
// this package imports nothing of numapool's own.
package csrc
