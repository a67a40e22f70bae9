package shm

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Page kinds are read back page by page with the PAGEMAP_SCAN ioctl on
// /proc/self/pagemap (Linux 6.7), which walks only the page tables of the
// array's own range: its cost does not grow with the number of mappings in
// the process. Older kernels fall back to /proc/self/smaps, read up to the
// array's range.

// pageUse is what the kernel says about the pages of one range.
type pageUse struct {
	resident int // bytes with memory of their own behind them, huge pages included
	huge     int // of those, bytes in huge pages (transparent or reserved)
}

// The PAGEMAP_SCAN interface, as in linux/fs.h.
const (
	pageIsPresent = 1 << 3
	pageIsSwapped = 1 << 4
	pageIsPFNZero = 1 << 5
	pageIsHuge    = 1 << 6
	// pagemapScan is _IOWR('f', 16, struct pm_scan_arg).
	pagemapScan = 3<<30 | uint(unsafe.Sizeof(pmScanArg{}))<<16 | 'f'<<8 | 16
)

type pageRegion struct {
	start, end, categories uint64
}

type pmScanArg struct {
	size, flags, start, end, walkEnd uint64
	vec                              unsafe.Pointer // *pageRegion
	vecLen, maxPages                 uint64
	categoryInverted, categoryMask   uint64
	categoryAnyOfMask, returnMask    uint64
}

// noScan is set once PAGEMAP_SCAN has failed as unsupported.
var noScan atomic.Bool

// usage reads back the pages of mem with PAGEMAP_SCAN, else (an older
// kernel, or one that refuses the ioctl) from /proc/self/smaps.
func usage(mem []byte) (pageUse, error) {
	var scanErr error
	if !noScan.Load() {
		u, err := scanPages(mem)
		if err == nil {
			return u, nil
		}
		if errors.Is(err, unix.ENOTTY) || errors.Is(err, unix.EINVAL) {
			noScan.Store(true) // a kernel before 6.7: never try again
		} else {
			scanErr = err
		}
	}
	st, err := readSmaps(mem)
	if err != nil {
		return pageUse{}, errors.Join(scanErr, err)
	}
	return pageUse{resident: st.rss + st.hugetlb, huge: st.anonHuge + st.hugetlb}, nil
}

// scanPages asks PAGEMAP_SCAN for the present and swapped pages of mem and
// which of them are huge. Cost: one open and about one ioctl per 64 runs of
// pages of one kind; the kernel walks mem's page tables only.
func scanPages(mem []byte) (pageUse, error) {
	f, err := os.Open("/proc/self/pagemap")
	if err != nil {
		return pageUse{}, fmt.Errorf("shm: reading page kinds: %w", err)
	}
	defer f.Close()
	start := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem))))
	end := start + uint64(len(mem))
	vec := make([]pageRegion, 64)
	var u pageUse
	for start < end {
		arg := &pmScanArg{
			start:             start,
			end:               end,
			vec:               unsafe.Pointer(&vec[0]),
			vecLen:            uint64(len(vec)),
			categoryAnyOfMask: pageIsPresent | pageIsSwapped,
			returnMask:        pageIsPresent | pageIsPFNZero | pageIsHuge,
		}
		arg.size = uint64(unsafe.Sizeof(*arg))
		n, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), uintptr(pagemapScan), uintptr(unsafe.Pointer(arg)))
		if errno != 0 {
			return pageUse{}, fmt.Errorf("shm: PAGEMAP_SCAN: %w", errno)
		}
		for _, r := range vec[:n] {
			if r.categories&pageIsPresent == 0 || r.categories&pageIsPFNZero != 0 {
				continue // swapped out, or the shared zero page
			}
			u.resident += int(r.end - r.start)
			if r.categories&pageIsHuge != 0 {
				u.huge += int(r.end - r.start)
			}
		}
		if arg.walkEnd <= start {
			return pageUse{}, fmt.Errorf("shm: PAGEMAP_SCAN made no progress at %#x", start)
		}
		start = arg.walkEnd
	}
	return u, nil
}

// kindOf names the page kind of a region mapped as made: reserved huge pages
// by how it was mapped (MAP_HUGETLB gives nothing else), transparent ones by
// resident huge bytes, or, for a range nothing has touched yet, by whether
// the kernel will fault them in (the advice given and the THP settings).
func kindOf(made PageKind, u pageUse) PageKind {
	switch {
	case made == HugeTLB:
		return HugeTLB
	case u.huge > 0:
		return THP
	case u.resident == 0 && made == THP && thpRefused() == "":
		return THP
	}
	return NormalPages
}

// thpRefused says why the kernel would not give transparent huge pages to a
// range advised with MADV_HUGEPAGE, or "" when it would: the system setting
// (the PMD size's own, where it does not inherit) or this process's
// PR_SET_THP_DISABLE. Cost: two small file reads and a prctl.
func thpRefused() string {
	setting := func(file string) string {
		b, err := os.ReadFile(file)
		if err != nil {
			return ""
		}
		s := string(b)
		i, j := strings.IndexByte(s, '['), strings.IndexByte(s, ']')
		if i < 0 || j < i {
			return ""
		}
		return s[i+1 : j]
	}
	const dir = "/sys/kernel/mm/transparent_hugepage/"
	mode := setting(fmt.Sprintf("%shugepages-%dkB/enabled", dir, hugeSize()>>10))
	if mode == "" || mode == "inherit" {
		mode = setting(dir + "enabled")
	}
	switch mode {
	case "always", "madvise":
	case "":
		return "this kernel has no transparent huge pages"
	default:
		return "the system setting is " + mode
	}
	r, err := unix.PrctlRetInt(unix.PR_GET_THP_DISABLE, 0, 0, 0, 0)
	if err == nil && r&1 != 0 && r&unix.PR_THP_DISABLE_EXCEPT_ADVISED == 0 {
		return "this process turned them off with prctl(PR_SET_THP_DISABLE)"
	}
	return ""
}
