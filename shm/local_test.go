package shm

import (
	"runtime"
	"slices"
	"testing"

	"github.com/numapool/numapool/csrc"
	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLocalNodeOfPinnedCPUs(t *testing.T) {
	// Node n holds CPUs 4n..4n+3 and 16+4n..16+4n+3.
	ni := nodesOf(topologytest.Load(t, topologytest.TwoSockets()))
	for _, tc := range []struct {
		cpus []int
		want int
	}{
		{[]int{0}, 0},
		{[]int{5, 21}, 1},
		{[]int{8, 9, 10, 11, 24, 25, 26, 27}, 2},
		{[]int{31}, 3},
	} {
		got, err := ni.localNode(tc.cpus)
		require.NoError(t, err, "%v", tc.cpus)
		assert.Equal(t, tc.want, got, "%v", tc.cpus)
	}
	_, err := ni.localNode([]int{0, 1, 4})
	require.Error(t, err)
	assert.Equal(t, "shm: Local needs the calling thread pinned within one NUMA node, but it may run on CPUs 0-1,4 of nodes [0 1]; "+
		"call it from a goroutine locked to its thread (runtime.LockOSThread) and pinned, as numapool workers are, "+
		"or name the node with Bind(node)", err.Error())
}

func TestLocalNodeWithoutMemoryGivesTheNearest(t *testing.T) {
	ni := nodeInfo{
		online:   []int{0, 1, 2},
		memory:   []int{0, 2},
		distance: map[int][]int{1: {20, 10, 12}},
		cpuNode:  func(cpu int) int { return 1 },
	}
	got, err := ni.localNode([]int{3})
	require.NoError(t, err)
	assert.Equal(t, 2, got)
}

func TestLocalNodeWithoutNUMA(t *testing.T) {
	ni := nodeInfo{online: []int{0}, memory: []int{0}, cpuNode: func(int) int { return -1 }}
	got, err := ni.localNode([]int{0, 1})
	require.NoError(t, err)
	assert.Equal(t, 0, got)

	ni = nodeInfo{online: []int{0, 1}, memory: []int{0, 1}, cpuNode: func(int) int { return -1 }}
	_, err = ni.localNode([]int{3})
	require.EqualError(t, err, "shm: Local: the topology places CPU 3 on no NUMA node; name the node with Bind(node)")
}

// onPinnedThread runs f on a goroutine locked to a thread pinned to cpus.
// The thread is never unlocked: it ends with the goroutine.
func onPinnedThread(t *testing.T, cpus []int, f func()) {
	t.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread()
		if err := csrc.PinThread(cpus); err != nil {
			done <- err
			return
		}
		f()
		done <- nil
	}()
	require.NoError(t, <-done)
}

// Every node with CPUs this process may use, in turn: an array made with
// Local on a thread pinned there has all its pages on that node, as
// move_pages reads them.
func TestLocalPlacesPagesOnTheThreadsNode(t *testing.T) {
	m, err := topology.Current()
	require.NoError(t, err)
	ni := nodesOf(m)
	tried := 0
	for _, node := range m.Nodes() {
		if node.MemoryOnly || node.CPUs.IsEmpty() {
			continue
		}
		want := node.OSIndex
		if !slices.Contains(ni.memory, want) {
			want = ni.nearest(want, ni.memory)
		}
		cpu := node.CPUs.Last()
		tried++
		var a *Array[float64]
		var newErr error
		onPinnedThread(t, []int{cpu}, func() {
			a, newErr = New[float64](4*mib/8, Local())
		})
		require.NoError(t, newErr, "node %d", node.OSIndex)
		assert.Equal(t, Bind(want).String(), a.Policy().String(), "CPU %d of node %d", cpu, node.OSIndex)
		s := a.Slice()
		for i := range s {
			s[i] = float64(i)
		}
		st, err := a.Stat()
		require.NoError(t, err)
		assert.Equal(t, map[int]int{want: a.Bytes()}, st.NodeBytes, "CPU %d of node %d", cpu, node.OSIndex)
		assert.Equal(t, a.Bytes(), st.Resident)
		require.NoError(t, a.Free())
	}
	require.Positive(t, tried, "no node with usable CPUs")
}

func TestLocalRefusesAThreadOnTwoNodes(t *testing.T) {
	m, err := topology.Current()
	require.NoError(t, err)
	var cpus []int
	for _, node := range m.Nodes() {
		if !node.MemoryOnly && !node.CPUs.IsEmpty() && len(cpus) < 2 {
			cpus = append(cpus, node.CPUs.First())
		}
	}
	if len(cpus) < 2 {
		t.Skipf("this machine has usable CPUs on %d NUMA node(s); the check needs 2", len(cpus))
	}
	var newErr error
	onPinnedThread(t, cpus, func() { _, newErr = New[float64](1000, Local()) })
	require.Error(t, newErr)
	assert.Contains(t, newErr.Error(), "shm: Local needs the calling thread pinned within one NUMA node, but it may run on CPUs "+
		topology.NewCPUSet(cpus...).String())
}

func TestLocalString(t *testing.T) {
	assert.Equal(t, "local", Local().String())
}
