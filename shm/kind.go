package shm

import "fmt"

// PageKind is the kind of page backing an array. As an Option it demands
// that kind: construction fails rather than fall back.
type PageKind int

const (
	// AnyPages, the default, tries reserved huge pages, then transparent huge
	// pages, then normal pages; huge ones only for arrays of at least one
	// huge page.
	AnyPages PageKind = iota
	// HugeTLB pages come from the kernel's reserved pool (MAP_HUGETLB;
	// vm.nr_hugepages); the mapping is rounded up to whole huge pages.
	HugeTLB
	// THP are transparent huge pages: a 2 MiB-aligned mapping advised with
	// madvise(MADV_HUGEPAGE), whose whole huge pages the kernel backs with
	// huge pages where it has free contiguous memory; the tail beyond the last
	// whole huge page uses normal pages.
	THP
	// NormalPages are the system's base pages, 4 KiB on x86-64; the mapping
	// is advised MADV_NOHUGEPAGE, so that a kernel set to always give
	// transparent huge pages does not.
	NormalPages
)

func (k PageKind) String() string {
	switch k {
	case AnyPages:
		return "any"
	case HugeTLB:
		return "hugetlb"
	case THP:
		return "thp"
	case NormalPages:
		return "normal"
	}
	return fmt.Sprintf("PageKind(%d)", int(k))
}

func (k PageKind) apply(c *config) error {
	if k < AnyPages || k > NormalPages {
		return fmt.Errorf("shm: unknown page kind %d; use HugeTLB, THP, NormalPages or AnyPages", int(k))
	}
	if c.pagesSet {
		return fmt.Errorf("shm: two page kinds given (%v and %v); give at most one", c.pages, k)
	}
	c.pages, c.pagesSet = k, true
	return nil
}
