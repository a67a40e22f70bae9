package shm

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/topology/topologytest"
)

func TestNodesOfTwoSocketsAndAMemoryNode(t *testing.T) {
	// Two sockets of two nodes each (0-1, 2-3), and node 4 with memory only,
	// nearest to node 0.
	s := topologytest.TwoSockets()
	s.MemoryOnlyNodes = 1
	ni := nodesOf(topologytest.Load(t, s))
	assert.Equal(t, []int{0, 1, 2, 3, 4}, ni.online)
	assert.Equal(t, []int{0, 1, 2, 3, 4}, ni.memory)

	assert.NoError(t, ni.check(4))
	err := ni.check(7)
	require.Error(t, err)
	assert.Equal(t, "shm: NUMA node 7 does not exist; this machine's nodes are [0 1 2 3 4]", err.Error())

	have := []int{0, 2}
	assert.Equal(t, 0, ni.nearest(0, have))
	assert.Equal(t, 0, ni.nearest(1, have), "same socket")
	assert.Equal(t, 2, ni.nearest(2, have))
	assert.Equal(t, 2, ni.nearest(3, have), "same socket")
	assert.Equal(t, 0, ni.nearest(4, have), "the memory node sits next to node 0")
	assert.Equal(t, 0, ni.nearest(9, have), "unknown node: first copy")
	assert.Equal(t, 0, ni.nearest(-1, have), "no node: first copy")
}

func TestNodesWithoutNUMA(t *testing.T) {
	s := topologytest.Spec{Packages: 1, NodesPerPackage: 1, CoresPerNode: 2, ThreadsPerCore: 1, NoNodeFolder: true}
	ni := nodesOf(topologytest.Load(t, s))
	assert.Equal(t, []int{0}, ni.online)
	assert.Equal(t, []int{0}, ni.memory)
	assert.NoError(t, ni.check(0))
}

// A node the process may not allocate from (cgroup cpuset.mems) is not
// offered, and asking for it says so and names the nodes it may use; a
// node the machine lacks is still one that does not exist.
func TestNodesFollowTheCgroup(t *testing.T) {
	s := topologytest.TwoSockets()
	s.CgroupCPUs = "0-7"
	s.CgroupMems = "0-1"
	s.MemoryOnlyNodes = 1 // node 4
	ni := nodesOf(topologytest.Load(t, s))
	assert.Equal(t, []int{0, 1}, ni.online)
	assert.Equal(t, []int{2, 3}, ni.others, "the nodes of the machine's other online CPUs")
	for _, node := range []int{2, 3, 4} {
		assert.EqualError(t, ni.check(node), fmt.Sprintf("shm: NUMA node %d is outside the memory nodes this process may use "+
			"(its cgroup's cpuset.mems); use one of [0 1]", node))
	}
	assert.EqualError(t, ni.check(5), "shm: NUMA node 5 does not exist; the nodes this process may use are [0 1]")
	assert.NoError(t, ni.check(1))
}

// The cgroup machine of make test-numa: CPUs 1-3 usable, node 0 holding
// CPUs 0-1 and node 1 CPUs 2-3, memory from node 1 only. CPU 1's thread
// gets node 1's memory (Local) and node 1's replica, not an error.
func TestNodesOutsideTheCgroupMemsGetTheNearest(t *testing.T) {
	s := topologytest.Spec{Packages: 2, NodesPerPackage: 1, CoresPerNode: 2, ThreadsPerCore: 1, CgroupCPUs: "1-3", CgroupMems: "1"}
	ni := nodesOf(topologytest.Load(t, s))
	assert.Equal(t, []int{1}, ni.online)
	assert.Equal(t, []int{0}, ni.others)
	got, err := ni.localNode([]int{1})
	require.NoError(t, err)
	assert.Equal(t, 1, got)
	assert.Equal(t, 1, ni.nearest(0, []int{1}))
	assert.EqualError(t, ni.check(0), "shm: NUMA node 0 is outside the memory nodes this process may use (its cgroup's cpuset.mems); use one of [1]")
}

func TestNodesThisMachine(t *testing.T) {
	ni, err := machineNodes()
	require.NoError(t, err)
	require.NotEmpty(t, ni.online)
	require.NotEmpty(t, ni.memory)
	assert.Subset(t, ni.online, ni.memory)
}

// A node with CPUs but no memory cannot hold pages.
func TestCheckNodeWithoutMemory(t *testing.T) {
	ni := nodeInfo{online: []int{0, 1}, memory: []int{0}}
	err := ni.check(1)
	require.Error(t, err)
	assert.Equal(t, "shm: NUMA node 1 has no memory of its own; nodes with memory are [0]", err.Error())
}
