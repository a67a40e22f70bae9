package shm

import (
	"errors"
	"sync"
)

// Freed ranges wait in a quarantine, oldest first, with their memory already
// returned and their addresses mapped PROT_NONE, so that a stale slice
// faults. A range leaves, and is truly unmapped, once QuarantineArrays more
// arrays have been freed after it, or once it and the arrays freed after it
// add up to more than QuarantineBytes. The address space and the mappings
// that freed arrays hold are so bounded, however many arrays a program makes
// and frees.
const (
	// QuarantineArrays is how many freed arrays keep their addresses
	// reserved: at most this many mappings.
	QuarantineArrays = 1024
	// QuarantineBytes bounds the address space freed arrays keep reserved
	// (1 TiB of the 128 TiB a process has on x86-64), beyond the last array
	// freed, which always stays.
	QuarantineBytes = 1 << 40
)

// quarantine is the FIFO of freed regions and the counts of live ones.
var quarantine = struct {
	sync.Mutex
	fifo          []region // oldest first
	bytes         int      // sum of len(mem) over fifo
	maxArrays     int
	maxBytes      int
	live, liveLen int // arrays made and not yet freed, and their bytes
}{maxArrays: QuarantineArrays, maxBytes: QuarantineBytes}

// track counts a region handed out as an array.
func track(r region) {
	quarantine.Lock()
	quarantine.live++
	quarantine.liveLen += len(r.mem)
	quarantine.Unlock()
}

// retire returns r's memory, keeps its addresses reserved in quarantine and
// unmaps the regions that leave it. Cost: one mmap, plus one munmap per
// region leaving.
func retire(r region) error {
	err := release(r.mem)
	quarantine.Lock()
	quarantine.live--
	quarantine.liveLen -= len(r.mem)
	if err != nil {
		quarantine.Unlock()
		return errors.Join(err, r.unmap())
	}
	quarantine.fifo = append(quarantine.fifo, r)
	quarantine.bytes += len(r.mem)
	leaving := evict()
	quarantine.Unlock()
	var errs []error
	for _, old := range leaving {
		errs = append(errs, old.unmap())
	}
	return errors.Join(errs...)
}

// evict takes the regions beyond the limits out of the FIFO, oldest first,
// keeping the newest; the caller holds the lock and unmaps them.
func evict() []region {
	q := &quarantine
	n := 0
	bytes := q.bytes
	for len(q.fifo)-n > q.maxArrays || bytes > q.maxBytes && len(q.fifo)-n > 1 {
		bytes -= len(q.fifo[n].mem)
		n++
	}
	if n == 0 {
		return nil
	}
	leaving := make([]region, n)
	copy(leaving, q.fifo[:n])
	q.fifo = append(q.fifo[:0], q.fifo[n:]...)
	q.bytes = bytes
	return leaving
}

// Usage counts this process's shm mappings.
type Usage struct {
	// Arrays and Bytes count the arrays made and not yet freed (each copy
	// of a Replicated array counts as one) and the bytes they map.
	Arrays, Bytes int
	// Quarantined and QuarantinedBytes count the freed arrays whose
	// addresses are still reserved, so that stale slices fault, and their
	// bytes; they hold address space but no memory.
	Quarantined, QuarantinedBytes int
}

// InUse returns the current counts: a program that frees every array it
// makes returns to zero Arrays, and Quarantined never exceeds
// QuarantineArrays. Cost: a lock.
func InUse() Usage {
	quarantine.Lock()
	defer quarantine.Unlock()
	return Usage{
		Arrays:           quarantine.live,
		Bytes:            quarantine.liveLen,
		Quarantined:      len(quarantine.fifo),
		QuarantinedBytes: quarantine.bytes,
	}
}
