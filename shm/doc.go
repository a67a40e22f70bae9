// Package shm holds big, read-mostly arrays outside the Go heap, for numapool
// workers to share.
//
// Every goroutine already shares the Go heap, so this package is not needed
// for sharing as such. What it adds is memory outside the garbage
// collector's accounting (a big heap array raises the heap goal with it, so
// garbage may pile up to its size before a collection; off the heap it does
// not count, so collections come sooner unless GOGC is raised), huge pages
// that cut TLB misses on random access, and control over which NUMA node
// holds which bytes. The GC never scans a pointer-free heap slice either:
// moving one off the heap saves no marking work.
//
// Each array is a private anonymous mapping of its own. Its element type
// must be free of pointers; Array.Slice gives a normal Go slice over it; an
// explicit Free returns the memory, after which any use is an error, a
// panic or a fault, never a silent read of someone else's memory.
//
// Page kinds (HugeTLB, THP, NormalPages) are tried in that order unless an
// option demands one, and what the kernel gave is read back from
// /proc/self/smaps. Memory policies (Bind, Interleave, FirstTouch) are applied
// with mbind(2) before the first touch, and Stat reads back where the pages
// are. Replicated keeps one copy per node, for each worker to read its own
// node's.
package shm
