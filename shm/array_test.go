package shm

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const mib = 1 << 20

// thpWorks reports whether the kernel hands out transparent huge pages on
// request; tests that need them skip with the reason otherwise.
func thpWorks(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil || strings.Contains(string(b), "[never]") {
		t.Skip("transparent huge pages are off on this machine")
	}
}

func newFloats(t *testing.T, n int, opts ...Option) *Array[float64] {
	t.Helper()
	a, err := New[float64](n, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Free() })
	return a
}

func TestNewIsZeroedAndWritable(t *testing.T) {
	a := newFloats(t, 1000)
	s := a.Slice()
	require.Len(t, s, 1000)
	assert.Equal(t, 1000, a.Len())
	assert.GreaterOrEqual(t, a.Bytes(), 8000)
	assert.Zero(t, a.Bytes()%os.Getpagesize())
	for i, v := range s {
		require.Zero(t, v, "index %d", i)
	}
	for i := range s {
		s[i] = float64(i)
	}
	again := a.Slice()
	assert.Equal(t, 999.0, again[999])
	assert.Equal(t, &s[0], &again[0], "Slice returns the same memory every time")
}

func TestNewStructElements(t *testing.T) {
	a, err := New[particle](64)
	require.NoError(t, err)
	defer func() { assert.NoError(t, a.Free()) }()
	s := a.Slice()
	s[63] = particle{ID: 7, Tag: [8]byte{'x'}, Live: true}
	assert.Equal(t, int64(7), a.Slice()[63].ID)
	assert.True(t, a.Slice()[63].Live)
}

func TestNewRejectsBadArguments(t *testing.T) {
	ni, err := machineNodes()
	require.NoError(t, err)
	missing := absentNode(ni)
	first := ni.memory[0] // not always 0: a cgroup may allow other nodes only
	for _, tc := range []struct {
		name string
		n    int
		opts []Option
		want string
	}{
		{"zero length", 0, nil, "shm: array length 0 must be positive"},
		{"negative length", -3, nil, "shm: array length -3 must be positive"},
		{"overflow", math.MaxInt / 4, nil, "overflow the address space"},
		{"two kinds", 10, []Option{THP, NormalPages}, "two page kinds given (thp and normal); give at most one"},
		{"unknown kind", 10, []Option{PageKind(9)}, "unknown page kind 9"},
		{"two placements", 10, []Option{Bind(0), FirstTouch()}, "two memory policies given (bind(0) and first-touch)"},
		{"missing node", 10, []Option{Bind(missing)}, fmt.Sprintf("NUMA node %d does not exist", missing)},
		{"missing node in interleave", 10, []Option{Interleave(first, missing)}, fmt.Sprintf("NUMA node %d does not exist", missing)},
		{"node twice", 10, []Option{Interleave(first, first)}, fmt.Sprintf("NUMA node %d is named twice", first)},
		{"THP on a small array", 10, []Option{THP}, "hold no whole"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New[float64](tc.n, tc.opts...)
			require.Error(t, err)
			assert.Nil(t, a)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNewMissingNodeListsTheNodes(t *testing.T) {
	ni, err := machineNodes()
	require.NoError(t, err)
	missing := absentNode(ni) + 4
	_, err = New[float64](10, Bind(missing))
	require.Error(t, err)
	listed := "this machine's nodes are"
	if len(ni.others) > 0 {
		listed = "the nodes this process may use are" // a cgroup hides some
	}
	assert.Equal(t, fmt.Sprintf("shm: NUMA node %d does not exist; %s %v", missing, listed, ni.online), err.Error())
}

// A node that exists but lies outside the process's cgroup cpuset.mems is
// refused with that reason and the nodes it may use, by New and by
// NewReplicated. It needs a machine whose cgroup hides a node with online
// CPUs: the cgroup machine of make test-numa (numavm) is one.
func TestNewNodeOutsideTheCgroupMems(t *testing.T) {
	ni, err := machineNodes()
	require.NoError(t, err)
	if len(ni.others) == 0 {
		t.Skip("this process may allocate from the node of every online CPU; the cgroup machine of make test-numa runs this")
	}
	node := ni.others[0]
	want := fmt.Sprintf("shm: NUMA node %d is outside the memory nodes this process may use (its cgroup's cpuset.mems); use one of %v", node, ni.online)
	a, err := New[float64](10, Bind(node))
	assert.Nil(t, a)
	assert.EqualError(t, err, want)
	r, err := NewReplicated[float64](10, []int{node})
	assert.Nil(t, r)
	assert.EqualError(t, err, want)
}

// absentNode returns a node number this machine does not have.
func absentNode(ni nodeInfo) int {
	n := slices.Max(slices.Concat(ni.online, ni.others)) + 1
	for ni.listed != nil && ni.listed(n) {
		n++
	}
	return n
}
