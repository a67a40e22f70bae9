package shm

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unsafe"
)

// vmaStats sums what /proc/self/smaps says about the mappings that make up
// one array.
type vmaStats struct {
	size, rss     int  // bytes
	anonHuge      int  // bytes in transparent huge pages
	hugetlb       int  // bytes in reserved huge pages
	kernelPage    int  // largest KernelPageSize, bytes
	thpEligible   bool // THPeligible: 1, or VmFlags hg on kernels without it
	hugetlbFlag   bool // VmFlags ht
	found, hasTHP bool
}

// readSmaps reads /proc/self/smaps for the mappings overlapping mem, where
// PAGEMAP_SCAN is missing (kernels before 6.7). Cost: the kernel walks the
// page tables of every mapping up to mem's, and of mem's: about a
// millisecond for a Go process, plus about 10 ms per GiB of normal pages.
func readSmaps(mem []byte) (vmaStats, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return vmaStats{}, fmt.Errorf("shm: reading page kinds: %w", err)
	}
	defer f.Close()
	return parseSmaps(f, uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem)))), uint64(len(mem)))
}

// parseSmaps sums the entries of the mappings overlapping [start,
// start+length) and stops at the first mapping beyond, since the kernel lists
// them in address order.
func parseSmaps(r io.Reader, start, length uint64) (vmaStats, error) {
	var st vmaStats
	end := start + length
	in := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		key, val, ok := strings.Cut(line, ":")
		if !ok || strings.ContainsAny(key, " -") {
			// A mapping's header: "start-end perms offset dev inode [path]".
			lo, hi, ok := strings.Cut(strings.Fields(line)[0], "-")
			if !ok {
				return st, fmt.Errorf("shm: unexpected smaps line %q", line)
			}
			a, err1 := strconv.ParseUint(lo, 16, 64)
			z, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 != nil || err2 != nil {
				return st, fmt.Errorf("shm: unexpected smaps line %q", line)
			}
			if a >= end {
				break
			}
			in = a < end && z > start
			st.found = st.found || in
			continue
		}
		if !in {
			continue
		}
		val = strings.TrimSpace(val)
		if key == "VmFlags" {
			for _, f := range strings.Fields(val) {
				st.hugetlbFlag = st.hugetlbFlag || f == "ht"
				if f == "hg" && !st.hasTHP {
					st.thpEligible = true
				}
			}
			continue
		}
		if key == "THPeligible" {
			st.hasTHP = true
			st.thpEligible = val == "1"
			continue
		}
		kb, ok := strings.CutSuffix(val, " kB")
		if !ok {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(kb))
		if err != nil {
			return st, fmt.Errorf("shm: unexpected smaps line %q", line)
		}
		v <<= 10
		switch key {
		case "Size":
			st.size += v
		case "Rss":
			st.rss += v
		case "AnonHugePages":
			st.anonHuge += v
		case "Private_Hugetlb", "Shared_Hugetlb":
			st.hugetlb += v
		case "KernelPageSize":
			st.kernelPage = max(st.kernelPage, v)
		}
	}
	if err := sc.Err(); err != nil {
		return st, fmt.Errorf("shm: reading page kinds: %w", err)
	}
	if !st.found {
		return st, fmt.Errorf("shm: no mapping at %#x in /proc/self/smaps", start)
	}
	return st, nil
}

// kind returns the page kind the kernel reports: reserved huge pages by the
// mapping's page size, transparent ones by resident huge bytes, or, for a
// mapping nothing has touched yet, by its THP eligibility.
func (st vmaStats) kind() PageKind {
	switch {
	case st.hugetlbFlag || st.kernelPage > pageSize:
		return HugeTLB
	case st.anonHuge > 0:
		return THP
	case st.rss == 0 && st.thpEligible:
		return THP
	}
	return NormalPages
}
