package shm

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Every array gets a mapping of its own, private and anonymous, so the Go
// garbage collector never sees it. Normal and THP mappings sit between two
// PROT_NONE guard pages, so the kernel never merges an array's mapping with a
// neighbour's and /proc/self/smaps reports each array on its own.
//
// Free does not unmap: it maps PROT_NONE over the range (MAP_FIXED), which
// hands the memory back to the system at once but keeps the addresses
// reserved for the life of the process. A slice view kept past Free then
// faults on its first use instead of reaching whatever the kernel would
// otherwise map there next (another array, or the Go heap itself). The cost
// is address space only: no memory, no swap and no commit charge.

var pageSize = os.Getpagesize()

// hugeSize returns the size of a transparent huge page.
func hugeSize() int {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")
	if err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && v > 0 {
			return v
		}
	}
	return 2 << 20
}

// hugeTLBSize returns the default size of a reserved huge page.
func hugeTLBSize() int {
	b, err := os.ReadFile("/proc/meminfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Hugepagesize:"); ok {
				kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
				if err == nil && kb > 0 {
					return kb << 10
				}
			}
		}
	}
	return 2 << 20
}

func roundUp(n, to int) int { return (n + to - 1) / to * to }

// mapHugeTLB maps size bytes (rounded up to whole huge pages) from the
// reserved pool; the kernel aligns the mapping and reserves its pages now, so
// ENOMEM here means the pool is too small.
func mapHugeTLB(size int) ([]byte, error) {
	size = roundUp(size, hugeTLBSize())
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(size), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_HUGETLB)
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(p), size), nil
}

// mapGuarded maps size bytes (rounded up to whole pages) of readable,
// writable memory starting on an align boundary, between two guard pages.
func mapGuarded(size, align int) ([]byte, error) {
	size = roundUp(size, pageSize)
	total := size + 2*align + 2*pageSize
	base, err := unix.MmapPtr(-1, 0, nil, uintptr(total), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, err
	}
	off := roundUp(int(uintptr(base))+pageSize, align) - int(uintptr(base))
	start := unsafe.Add(base, off)
	if _, err := unix.MmapPtr(-1, 0, start, uintptr(size), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED); err != nil {
		return nil, errors.Join(err, unix.MunmapPtr(base, uintptr(total)))
	}
	// Hand back the alignment slack, keeping one guard page on each side.
	var errs []error
	if head := off - pageSize; head > 0 {
		errs = append(errs, unix.MunmapPtr(base, uintptr(head)))
	}
	if tail := total - (off + size + pageSize); tail > 0 {
		errs = append(errs, unix.MunmapPtr(unsafe.Add(start, size+pageSize), uintptr(tail)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(start), size), nil
}

// adviseHuge asks for transparent huge pages on mem.
func adviseHuge(mem []byte) error { return unix.Madvise(mem, unix.MADV_HUGEPAGE) }

// quarantine releases mem's pages and leaves its addresses reserved and
// inaccessible for good.
func quarantine(mem []byte) error {
	_, err := unix.MmapPtr(-1, 0, unsafe.Pointer(unsafe.SliceData(mem)), uintptr(len(mem)), unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("shm: releasing %d bytes: %w", len(mem), err)
	}
	return nil
}

// populate faults in every page of mem for writing, under whatever policy
// mbind gave the range: MADV_POPULATE_WRITE (Linux 5.14), else one write per
// page of the zero the page already holds.
func populate(mem []byte) error {
	err := unix.Madvise(mem, unix.MADV_POPULATE_WRITE)
	if !errors.Is(err, unix.EINVAL) {
		if err != nil {
			return fmt.Errorf("shm: populating %d bytes: %w", len(mem), err)
		}
		return nil
	}
	for i := 0; i < len(mem); i += pageSize {
		mem[i] = 0
	}
	return nil
}
