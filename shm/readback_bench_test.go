package shm

import (
	"strconv"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// extraMappings adds n mappings to the process (one page each, read-only
// and inaccessible in turn, so the kernel cannot merge them) and returns
// a function that removes them.
func extraMappings(b *testing.B, n int) func() {
	b.Helper()
	if n == 0 {
		return func() {}
	}
	size := n * pageSize
	base, err := unix.MmapPtr(-1, 0, nil, uintptr(size), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		b.Fatal(err)
	}
	mem := unsafe.Slice((*byte)(base), size)
	for i := 0; i < size; i += 2 * pageSize {
		if err := unix.Mprotect(mem[i:i+pageSize], unix.PROT_READ); err != nil {
			b.Fatal(err)
		}
	}
	return func() {
		if err := unix.MunmapPtr(base, uintptr(size)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadBack measures reading back one array's page kinds beside 0
// and 20,000 other mappings: the PAGEMAP_SCAN New and Stat use, and the read
// of /proc/self/smaps that New used before. The array is made first, so the
// other mappings lie below it and smaps lists them first.
func BenchmarkReadBack(b *testing.B) {
	ni, err := machineNodes()
	if err != nil {
		b.Fatal(err)
	}
	node := ni.memory[0]
	a, err := New[float64](4<<20/8, Bind(node))
	if err != nil {
		b.Fatal(err)
	}
	defer a.Free()
	if _, err := scanPages(a.mem); err != nil {
		b.Skip("no PAGEMAP_SCAN on this kernel: ", err)
	}
	for _, n := range []int{0, 20000} {
		remove := extraMappings(b, n)
		b.Run("scan/mappings="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := scanPages(a.mem); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("smaps/mappings="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				if _, err := readSmaps(a.mem); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("new-free/mappings="+strconv.Itoa(n), func(b *testing.B) {
			for b.Loop() {
				c, err := New[float64](4<<20/8, Bind(node))
				if err != nil {
					b.Fatal(err)
				}
				if err := c.Free(); err != nil {
					b.Fatal(err)
				}
			}
		})
		remove()
	}
}
