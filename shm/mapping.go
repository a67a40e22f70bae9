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
// neighbour's.
//
// Free does not unmap at once: it maps PROT_NONE over the range (MAP_FIXED),
// which hands the memory back to the system but keeps the addresses
// reserved, and puts the range in a bounded quarantine (quarantine.go). A
// slice view kept past Free then faults on its first use instead of reaching
// whatever the kernel would otherwise map there next (another array, or the
// Go heap itself), for as long as the range stays in quarantine.

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

// A region is one array's mapping: mem, with guard bytes of PROT_NONE
// reserved on each side (none for HugeTLB), mapped as kind.
type region struct {
	mem   []byte
	guard int
	kind  PageKind // HugeTLB, THP or NormalPages
}

// unmap returns the whole region, guards included, to the system. Only for
// a region no slice of which was ever handed out, or one leaving quarantine.
func (r region) unmap() error {
	if err := unix.MunmapPtr(unsafe.Add(unsafe.Pointer(unsafe.SliceData(r.mem)), -r.guard), uintptr(len(r.mem)+2*r.guard)); err != nil {
		return fmt.Errorf("shm: unmapping %d bytes: %w", len(r.mem)+2*r.guard, err)
	}
	return nil
}

// mapRegion maps size bytes as kind: HugeTLB from the reserved pool, THP
// advised and aligned to a huge page, NormalPages advised against huge
// pages (so that a kernel set to always give them does not).
func mapRegion(size int, kind PageKind) (region, error) {
	switch kind {
	case HugeTLB:
		mem, err := mapHugeTLB(size)
		if err != nil {
			return region{}, fmt.Errorf("no reserved huge pages for %d bytes (%w); reserve some with sysctl vm.nr_hugepages, "+
				"or leave out the HugeTLB option", size, err)
		}
		return region{mem: mem, kind: HugeTLB}, nil
	case THP:
		if size < hugeSize() {
			return region{}, fmt.Errorf("%d bytes hold no whole %d-byte transparent huge page", size, hugeSize())
		}
		if why := thpRefused(); why != "" {
			return region{}, fmt.Errorf("the kernel will not use transparent huge pages here (%s); set "+
				"/sys/kernel/mm/transparent_hugepage/enabled to madvise or always, or leave out the THP option", why)
		}
	}
	align := pageSize
	if kind == THP {
		align = hugeSize()
	}
	mem, err := mapGuarded(size, align)
	if err != nil {
		return region{}, err
	}
	r := region{mem: mem, guard: pageSize, kind: kind}
	advice, name := unix.MADV_HUGEPAGE, "MADV_HUGEPAGE"
	if kind == NormalPages {
		advice, name = unix.MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE"
	}
	err = unix.Madvise(mem, advice)
	if kind == NormalPages && errors.Is(err, unix.EINVAL) {
		err = nil // a kernel without transparent huge pages
	}
	if err != nil {
		return region{}, errors.Join(fmt.Errorf("shm: madvise(%s) on %d bytes: %w", name, len(mem), err), r.unmap())
	}
	return r, nil
}

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

// release hands mem's memory back at once and leaves its addresses reserved
// and inaccessible (PROT_NONE, no memory behind them).
func release(mem []byte) error {
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
