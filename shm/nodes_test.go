package shm

import (
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
// offered.
func TestNodesFollowTheCgroup(t *testing.T) {
	s := topologytest.TwoSockets()
	s.CgroupCPUs = "0-7"
	s.CgroupMems = "0-1"
	ni := nodesOf(topologytest.Load(t, s))
	assert.Equal(t, []int{0, 1}, ni.online)
	assert.ErrorContains(t, ni.check(2), "NUMA node 2 does not exist")
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
