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
// explicit Free returns the memory. After Free any use through the Array is
// an error or a panic, and a slice kept from before faults (never a silent
// read of someone else's memory) while the freed range is in quarantine:
// until QuarantineArrays more arrays have been freed, or until it and the
// arrays freed after it add up to more than QuarantineBytes. Then the range
// is unmapped and may be reused.
//
// Page kinds (HugeTLB, THP, NormalPages) are tried in that order unless an
// option demands one, and what the kernel gave is read back from the
// array's own page tables (the PAGEMAP_SCAN ioctl of /proc/self/pagemap;
// /proc/self/smaps on kernels before 6.7). Memory policies (Bind,
// Interleave, FirstTouch, Local) are applied with mbind(2) before the first
// touch, and Stat reads back where the pages are. Replicated keeps one copy
// per node, for each worker to read its own node's.
package shm
