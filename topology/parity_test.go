package topology_test

import (
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each test here is one class of difference found between Load and hwloc
// 2.9 on hwloc's recorded Linux machines, rebuilt as a synthetic machine;
// the expected values are hwloc's rule, named in each test.

// hwloc (look_sysfscpu): a package whose physical_package_id is -1 has no
// OS index; lstopo numbers packages by logical index, in tree order, where
// s390 drawers and books sit above packages, siblings by first CPU. As in
// the topology corpus, Load gives such packages their logical index.
func TestParityUnknownPackageIDs(t *testing.T) {
	spec := topologytest.Spec{Packages: 4, NodesPerPackage: 1, CoresPerNode: 2, ThreadsPerCore: 1, UnknownPackageIDs: true}
	m := topologytest.Load(t, spec)
	got := map[int]string{}
	for _, p := range m.Packages() {
		got[p.OSIndex] = p.CPUs.String()
	}
	assert.Equal(t, map[int]string{0: "0-1", 1: "2-3", 2: "4-5", 3: "6-7"}, got, "no books: by first CPU")

	// Books {0, 2} and {1, 3}: hwloc's tree is book 0 > packages 0-1 and
	// 4-5, book 1 > packages 2-3 and 6-7 (the 20s390-2g6s4c dump).
	spec.BookOf = []int{0, 1, 0, 1}
	m = topologytest.Load(t, spec)
	got = map[int]string{}
	for _, p := range m.Packages() {
		got[p.OSIndex] = p.CPUs.String()
	}
	assert.Equal(t, map[int]string{0: "0-1", 1: "4-5", 2: "2-3", 3: "6-7"}, got)
	assert.Len(t, m.Packages(), 4)
}

// hwloc (read_node_initiators): a node's HMAT initiators (access1, else
// access0) give it their CPUs; they win over the distances, which hwloc
// only consults for a CPU-less node the initiators leave empty.
func TestParityInitiators(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.MemoryOnlyNodes = 2 // nodes 4 and 5: 17 from node 0, 28 from the others
	spec.Initiators = map[int][]int{4: {2, 3}}
	m := topologytest.Load(t, spec)
	n4, n5 := m.Node(4), m.Node(5)
	require.NotNil(t, n4)
	require.NotNil(t, n5)
	assert.True(t, n4.MemoryOnly)
	assert.Equal(t, "8-15,24-31", n4.CPUs.String(), "the CPUs of its initiators, nodes 2 and 3")
	assert.Equal(t, 1, n4.Package.OSIndex)
	assert.Equal(t, "0-3,16-19", n5.CPUs.String(), "no initiators: the nearest node by distance")
	order, err := m.Order(topology.InNode(4), topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []int{8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31}, order, "workers placed near node 4's memory")

	// A node with CPUs adds its initiators' CPUs too.
	spec.Initiators = map[int][]int{1: {0}}
	m = topologytest.Load(t, spec)
	assert.Equal(t, "0-7,16-23", m.Node(1).CPUs.String())
}

// hwloc (look_sysfscpu) reads a cache's CPUs from shared_cpu_map alone; a
// recorded 8-node AMD machine (64amd64-4s2n4ca2co) lists each L2 as private
// in shared_cpu_list while its map shares it between two cores: hwloc
// counts 32 L2s there, not 64.
func TestParityCacheMapOverList(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.L2MapShared = true
	m := topologytest.Load(t, spec)
	var l2 []string
	for _, c := range m.Caches() {
		if c.Name() == "L2" {
			l2 = append(l2, c.CPUs.String())
		}
	}
	assert.Equal(t, []string{"0-1,16-17", "2-3,18-19", "4-5,20-21", "6-7,22-23", "8-9,24-25", "10-11,26-27", "12-13,28-29", "14-15,30-31"}, l2)
}

// hwloc (look_sysfscpu): an all-zero shared_cpu_map (ia64 L3 and L2i, as in
// the 8ia64-2s2c2t dump) means the core's CPUs.
func TestParityEmptyCacheMap(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.EmptyL3Map = true
	m := topologytest.Load(t, spec)
	var l3 []string
	for _, c := range m.Caches() {
		if c.Name() == "L3" {
			l3 = append(l3, c.CPUs.String())
		}
	}
	require.Len(t, l3, 16, "one L3 per core")
	assert.Equal(t, "0,16", l3[0])
}

// hwloc (restrict_object_by_cpuset, no flags): an object that keeps no
// allowed CPU and no allowed NUMA node is removed; one that keeps an
// allowed node stays (16amd64-4n4c-cgroup-distance-merge: CPUs 0-3, nodes
// 2-3 give packages 0, 2 and 3).
func TestParityPackagesWithoutAllowedCPUs(t *testing.T) {
	spec := topologytest.Spec{Packages: 4, NodesPerPackage: 1, CoresPerNode: 4, ThreadsPerCore: 1, CpusetOnly: true, CgroupCPUs: "0-3", CgroupMems: "2-3"}
	m := topologytest.Load(t, spec)
	var ids []int
	for _, p := range m.Packages() {
		ids = append(ids, p.OSIndex)
	}
	assert.Equal(t, []int{0, 2, 3}, ids)
	assert.Equal(t, "0-3", m.Usable().String())
	require.Len(t, m.Nodes(), 2)
	assert.Equal(t, 2, m.Nodes()[0].OSIndex)
}

// hwloc (look_sysfscpu) makes a Core only from a core_cpus or
// thread_siblings file and a Package only from a package_cpus or
// core_siblings file: without them (4fake-4gr1nu1pu, 2ps3-2t), lstopo
// shows no Core or no Package. Placement still uses every usable CPU.
func TestParityNoCoreOrPackageFiles(t *testing.T) {
	spec := topologytest.Spec{Packages: 2, NodesPerPackage: 1, CoresPerNode: 2, ThreadsPerCore: 2, NoCoreFiles: true}
	m := topologytest.Load(t, spec)
	assert.Empty(t, m.Cores())
	require.Len(t, m.Packages(), 2)
	for _, p := range m.Packages() {
		assert.Empty(t, p.Cores)
	}
	assert.Nil(t, m.PU(4).Core)
	assert.Equal(t, 1, m.PU(6).Package.OSIndex)
	order, err := m.Order(topology.Compact, topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 4, 5, 2, 3, 6, 7}, order, "each CPU a core of its own, node by node")
	count := map[topology.ObjectType]int{}
	m.Tree().Walk(func(o *topology.Object, _ int) { count[o.Type]++ })
	assert.Equal(t, 0, count[topology.CoreObject])
	assert.Equal(t, 8, count[topology.PUObject])

	spec.NoCoreFiles, spec.NoPackageFiles = false, true
	m = topologytest.Load(t, spec)
	assert.Empty(t, m.Packages())
	require.Len(t, m.Cores(), 4)
	assert.Nil(t, m.Cores()[0].Package)
	assert.Nil(t, m.Node(1).Package)
	assert.Nil(t, m.PU(3).Package)
	order, err = m.Order(topology.Spread, topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 2, 1, 3, 4, 6, 5, 7}, order)
	count = map[topology.ObjectType]int{}
	m.Tree().Walk(func(o *topology.Object, _ int) { count[o.Type]++ })
	assert.Equal(t, 0, count[topology.PackageObject])
	assert.Equal(t, 4, count[topology.CoreObject])
}
