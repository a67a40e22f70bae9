package shm

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// limitQuarantine sets the quarantine's limits for one test, emptying it
// first so that the test starts from nothing, and puts the defaults back
// afterwards.
func limitQuarantine(t *testing.T, arrays, bytes int) {
	t.Helper()
	set := func(arrays, bytes int) {
		quarantine.Lock()
		quarantine.maxArrays, quarantine.maxBytes = 0, 0
		leaving := evict()
		quarantine.maxArrays, quarantine.maxBytes = arrays, bytes
		quarantine.Unlock()
		for _, r := range leaving {
			require.NoError(t, r.unmap())
		}
	}
	set(arrays, bytes)
	t.Cleanup(func() { set(QuarantineArrays, QuarantineBytes) })
}

// mapped reports whether any page of mem is mapped at all (mincore fails
// with ENOMEM on an unmapped range; it never reads the memory).
func mapped(t *testing.T, mem []byte) bool {
	t.Helper()
	vec := make([]byte, (len(mem)+pageSize-1)/pageSize)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&mem[0])), uintptr(len(mem)), uintptr(unsafe.Pointer(&vec[0])))
	if errno == unix.ENOMEM {
		return false
	}
	require.Zero(t, errno, "mincore: %v", errno)
	return true
}

// mapCount counts the mappings of this process.
func mapCount(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	require.NoError(t, err)
	return strings.Count(string(b), "\n")
}

// vmSize returns this process's address space in bytes (VmSize).
func vmSize(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmSize:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			require.NoError(t, err)
			return kb << 10
		}
	}
	t.Fatal("no VmSize in /proc/self/status")
	return 0
}

func TestFreeCyclesKeepMappingsBounded(t *testing.T) {
	// Freed ranges used to stay mapped for good: 1,000 cycles left 1,000
	// more mappings (the kernel allows 65,530).
	const limit, cycles = 16, 1000
	limitQuarantine(t, limit, QuarantineBytes)
	before := mapCount(t)
	for range cycles {
		a, err := New[byte](4 * pageSize)
		require.NoError(t, err)
		a.Slice()[0] = 1
		require.NoError(t, a.Free())
	}
	assert.Equal(t, Usage{Quarantined: limit, QuarantinedBytes: limit * 4 * pageSize}, InUse())
	// Each quarantined range is at most one mapping; the slack is for what
	// the Go runtime maps meanwhile.
	assert.Less(t, mapCount(t)-before, limit+100, "mappings after %d cycles", cycles)
}

func TestFreeCyclesKeepAddressSpaceBounded(t *testing.T) {
	// 200 cycles of a 256 MiB array used to leave 50 GiB of address space
	// reserved; 6,552 cycles of 20 GiB filled all 128 TiB.
	const size, cycles = 256 << 20, 200
	limitQuarantine(t, QuarantineArrays, 4*size)
	before := vmSize(t)
	for range cycles {
		a, err := New[byte](size, NormalPages) // untouched: no memory behind it
		require.NoError(t, err)
		require.NoError(t, a.Free())
	}
	assert.Equal(t, Usage{Quarantined: 4, QuarantinedBytes: 4 * size}, InUse())
	// The slack is for what the Go runtime reserves meanwhile.
	assert.Less(t, vmSize(t)-before, 16*size, "address space after %d cycles of %d bytes", cycles, size)
}

func TestStaleSliceFaultsWhileInQuarantine(t *testing.T) {
	const limit = 4
	limitQuarantine(t, limit, QuarantineBytes)
	a, err := New[float64](1000)
	require.NoError(t, err)
	s := a.Slice()
	mem := a.mem
	require.NoError(t, a.Free())
	faults := func() {
		t.Helper()
		r := staleAccess(func() { sink = s[10] })
		addr, ok := r.(interface{ Addr() uintptr })
		require.True(t, ok, "read of a freed array gave %v, want a fault", r)
		assert.Equal(t, uintptr(unsafe.Pointer(&s[10])), addr.Addr())
	}
	faults()

	// limit-1 more frees: a is still the oldest in quarantine.
	for range limit - 1 {
		b, err := New[float64](1000)
		require.NoError(t, err)
		require.NoError(t, b.Free())
		faults()
	}
	assert.True(t, mapped(t, mem), "reserved while in quarantine")

	// One more: a leaves, and its addresses, guards and all, are unmapped.
	b, err := New[float64](1000)
	require.NoError(t, err)
	require.NoError(t, b.Free())
	assert.False(t, mapped(t, mem), "unmapped after %d later frees", limit)
	assert.False(t, mapped(t, unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&mem[0]), -pageSize)), pageSize)), "guard below")
	assert.False(t, mapped(t, unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&mem[0]), len(mem))), pageSize)), "guard above")
	assert.Equal(t, limit, InUse().Quarantined)
}

func TestQuarantineByteLimit(t *testing.T) {
	const size = 1 << 20
	limitQuarantine(t, QuarantineArrays, 3*size)
	free := func(n int) {
		t.Helper()
		a, err := New[byte](n, NormalPages)
		require.NoError(t, err)
		require.NoError(t, a.Free())
	}
	for i := 1; i <= 3; i++ {
		free(size)
		assert.Equal(t, Usage{Quarantined: i, QuarantinedBytes: i * size}, InUse(), "%d MiB is within the limit", i)
	}
	free(size)
	assert.Equal(t, Usage{Quarantined: 3, QuarantinedBytes: 3 * size}, InUse(), "the oldest left")
	free(2 * size)
	assert.Equal(t, Usage{Quarantined: 2, QuarantinedBytes: 3 * size}, InUse(), "two left for one of 2 MiB")
	free(5 * size)
	assert.Equal(t, Usage{Quarantined: 1, QuarantinedBytes: 5 * size}, InUse(), "the last freed stays, whatever its size")
}

func TestInUseCountsLiveArrays(t *testing.T) {
	before := InUse()
	a, err := New[float64](1000)
	require.NoError(t, err)
	r, err := NewReplicated[int32](10, nil)
	require.NoError(t, err)
	copies := len(r.Nodes())
	mid := InUse()
	assert.Equal(t, before.Arrays+1+copies, mid.Arrays)
	assert.Equal(t, before.Bytes+a.Bytes()+copies*pageSize, mid.Bytes)

	require.NoError(t, a.Free())
	require.NoError(t, r.Free())
	after := InUse()
	assert.Equal(t, before.Arrays, after.Arrays)
	assert.Equal(t, before.Bytes, after.Bytes)
	assert.Equal(t, min(before.Quarantined+1+copies, QuarantineArrays), after.Quarantined)
}

func TestFailedNewLeavesNothingBehind(t *testing.T) {
	before := InUse()
	_, err := New[byte](4*pageSize, THP) // too small for one huge page
	require.Error(t, err)
	assert.Equal(t, before, InUse())
}
