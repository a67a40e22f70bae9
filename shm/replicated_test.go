package shm

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newReplicated(t *testing.T, n int, nodes []int, opts ...Option) *Replicated[float64] {
	t.Helper()
	r, err := NewReplicated[float64](n, nodes, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Free() })
	return r
}

func TestReplicatedOneCopyPerNode(t *testing.T) {
	nodes := memoryNodes(t)
	r := newReplicated(t, 4*mib/8, nil)
	assert.Equal(t, nodes, r.Nodes())
	assert.Equal(t, 4*mib/8, r.Len())
	for _, node := range nodes {
		a, ok := r.Replica(node)
		require.True(t, ok, "node %d", node)
		assert.Equal(t, Bind(node).String(), a.Policy().String())
		st, err := a.Stat()
		require.NoError(t, err)
		assert.Equal(t, map[int]int{node: a.Bytes()}, st.NodeBytes, "copy for node %d", node)
	}
	_, ok := r.Replica(nodes[len(nodes)-1] + 1)
	assert.False(t, ok)
}

func TestReplicatedForNodeGivesThatNodesCopy(t *testing.T) {
	nodes := memoryNodes(t)
	r := newReplicated(t, 100, nil)
	for _, node := range nodes {
		got, ok := r.ForNode(node).([]float64)
		require.True(t, ok, "ForNode returns a []float64")
		a, _ := r.Replica(node)
		assert.Equal(t, unsafe.Pointer(&a.Slice()[0]), unsafe.Pointer(&got[0]), "node %d", node)
		assert.Len(t, got, 100)
	}
}

func TestReplicatedUnknownNodeFallsBackToFirstCopy(t *testing.T) {
	r := newReplicated(t, 100, nil)
	first, _ := r.Replica(r.Nodes()[0])
	for _, node := range []int{-1, 1 << 20} {
		got := r.ForNode(node).([]float64)
		assert.Equal(t, unsafe.Pointer(&first.Slice()[0]), unsafe.Pointer(&got[0]), "node %d", node)
	}
}

func TestReplicatedNodeWithoutCopyGetsNearest(t *testing.T) {
	nodes := needNodes(t, 2)
	ni, err := machineNodes()
	require.NoError(t, err)
	r := newReplicated(t, 100, nodes[:1])
	for _, node := range ni.online {
		got := r.Local(node)
		a, _ := r.Replica(ni.nearest(node, nodes[:1]))
		assert.Equal(t, unsafe.Pointer(&a.Slice()[0]), unsafe.Pointer(&got[0]), "node %d", node)
	}
}

func TestReplicatedCopiesAreDistinct(t *testing.T) {
	nodes := needNodes(t, 2)
	r := newReplicated(t, 100, nodes[:2])
	a, b := r.Local(nodes[0]), r.Local(nodes[1])
	a[0] = 1
	assert.Zero(t, b[0], "a write reaches one copy only")
}

func TestReplicatedLoad(t *testing.T) {
	r := newReplicated(t, 5, nil)
	src := []float64{1, 2, 3, 4, 5}
	require.NoError(t, r.Load(src))
	for _, node := range r.Nodes() {
		assert.Equal(t, src, r.Local(node), "node %d", node)
	}
	err := r.Load(src[:3])
	require.Error(t, err)
	assert.Equal(t, "shm: Load of 3 values into Replicated[float64] of 5; pass exactly 5", err.Error())
}

func TestNewReplicatedRejectsBadArguments(t *testing.T) {
	ni, err := machineNodes()
	require.NoError(t, err)
	missing := absentNode(ni)
	first := ni.memory[0] // not always 0: a cgroup may allow other nodes only
	for _, tc := range []struct {
		name  string
		n     int
		nodes []int
		opts  []Option
		want  string
	}{
		{"placement", 10, nil, []Option{Bind(0)}, "takes no MemPolicy (got bind(0)); list the nodes instead"},
		{"missing node", 10, []int{missing}, nil, fmt.Sprintf("NUMA node %d does not exist", missing)},
		{"node twice", 10, []int{first, first}, nil, fmt.Sprintf("NUMA node %d is named twice", first)},
		{"zero length", 0, nil, nil, "array length 0 must be positive"},
		{"THP on a small array", 10, nil, []Option{THP}, "hold no whole"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := NewReplicated[float64](tc.n, tc.nodes, tc.opts...)
			require.Error(t, err)
			assert.Nil(t, r)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReplicatedFree(t *testing.T) {
	r, err := NewReplicated[float64](100, nil)
	require.NoError(t, err)
	a, _ := r.Replica(r.Nodes()[0])
	require.NoError(t, r.Free())
	assert.PanicsWithValue(t, "shm: Slice of a freed Array[float64]", func() { a.Slice() }, "copies are freed too")
	assert.PanicsWithValue(t, "shm: Local of a freed Replicated[float64]", func() { r.ForNode(0) })
	assert.ErrorIs(t, r.Load(make([]float64, 100)), ErrFreed)
	err = r.Free()
	require.ErrorIs(t, err, ErrFreed)
	assert.Equal(t, "shm: Free of Replicated[float64]: array already freed", err.Error())
}
