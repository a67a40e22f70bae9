package shm

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// firstNode is the lowest node with memory.
func firstNode(t *testing.T) int {
	t.Helper()
	ni, err := machineNodes()
	require.NoError(t, err)
	return ni.memory[0]
}

func TestTHPDemandedIsReadBack(t *testing.T) {
	thpWorks(t)
	a, err := New[float64](4*mib/8, THP, Bind(firstNode(t)))
	if err != nil && strings.Contains(err.Error(), "the kernel gave normal") {
		t.Skip("no free huge pages on this machine right now: ", err)
	}
	require.NoError(t, err)
	defer func() { assert.NoError(t, a.Free()) }()
	assert.Equal(t, THP, a.Kind())
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, THP, st.Kind)
	assert.Equal(t, a.Bytes(), st.Resident, "faulted in at construction")
	assert.Positive(t, st.Huge)
	assert.Zero(t, st.Huge%hugeSize())
}

func TestTHPFirstTouchIsEligibleUntilTouched(t *testing.T) {
	thpWorks(t)
	a := newFloats(t, 4*mib/8, THP, FirstTouch())
	assert.Equal(t, THP, a.Kind())
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Zero(t, st.Resident, "nothing touched yet")
	assert.Equal(t, THP, st.Kind)

	s := a.Slice()
	for i := range s {
		s[i] = 1
	}
	st, err = a.Stat()
	require.NoError(t, err)
	assert.Equal(t, a.Bytes(), st.Resident)
	assert.Zero(t, st.Huge%hugeSize())
	assert.LessOrEqual(t, st.Huge, st.Resident)
}

func TestNormalPagesDemandedGetNoHugePages(t *testing.T) {
	a := newFloats(t, 4*mib/8, NormalPages, Bind(firstNode(t)))
	assert.Equal(t, NormalPages, a.Kind())
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, NormalPages, st.Kind)
	assert.Equal(t, a.Bytes(), st.Resident)
	assert.Zero(t, st.Huge)
}

func TestAnyPagesSmallArrayIsNormal(t *testing.T) {
	a := newFloats(t, 1000, Bind(firstNode(t)))
	assert.Equal(t, NormalPages, a.Kind())
}

func TestAnyPagesKindMatchesTheKernel(t *testing.T) {
	a := newFloats(t, 4*mib/8, Bind(firstNode(t)))
	assert.NotEqual(t, AnyPages, a.Kind())
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, a.Kind(), st.Kind)
	assert.Equal(t, a.Kind() != NormalPages, st.Huge > 0, "huge bytes %d for kind %v", st.Huge, a.Kind())
}

// freeHugeTLB returns the free bytes of the reserved huge page pool.
func freeHugeTLB(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "HugePages_Free:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			require.NoError(t, err)
			return n * hugeTLBSize()
		}
	}
	return 0
}

func TestHugeTLBDemanded(t *testing.T) {
	const size = 4 * mib
	a, err := New[byte](size, HugeTLB)
	if freeHugeTLB(t) < size {
		require.Error(t, err, "the pool has %d bytes free", freeHugeTLB(t))
		assert.Nil(t, a)
		assert.Contains(t, err.Error(), "no reserved huge pages for 4194304 bytes")
		assert.Contains(t, err.Error(), "vm.nr_hugepages")
		return
	}
	require.NoError(t, err)
	defer func() { assert.NoError(t, a.Free()) }()
	assert.Equal(t, HugeTLB, a.Kind())
}

func TestPageKindString(t *testing.T) {
	assert.Equal(t, "any", AnyPages.String())
	assert.Equal(t, "hugetlb", HugeTLB.String())
	assert.Equal(t, "thp", THP.String())
	assert.Equal(t, "normal", NormalPages.String())
	assert.Equal(t, "PageKind(7)", PageKind(7).String())
}
