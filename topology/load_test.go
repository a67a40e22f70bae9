package topology_test

import (
	"testing"
	"testing/fstest"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadTwoSockets(t *testing.T) {
	for _, old := range []bool{false, true} {
		spec := topologytest.TwoSockets()
		spec.OldKernel = old
		spec.HugePages2M = 3
		m := topologytest.Load(t, spec)
		assert.Equal(t, "0-31", m.Usable().String())
		assert.Equal(t, "0-31", m.Online().String())
		require.Len(t, m.Packages(), 2)
		require.Len(t, m.Nodes(), 4)
		require.Len(t, m.Cores(), 16, "core_id repeats across packages; cores must not merge")
		require.Len(t, m.PUs(), 32)

		p0, p1 := m.Packages()[0], m.Packages()[1]
		assert.Equal(t, 0, p0.OSIndex)
		assert.Equal(t, "0-7,16-23", p0.CPUs.String())
		assert.Equal(t, "8-15,24-31", p1.CPUs.String())
		assert.Len(t, p0.Cores, 8)
		require.Len(t, p1.Nodes, 2)
		assert.Equal(t, []int{2, 3}, []int{p1.Nodes[0].OSIndex, p1.Nodes[1].OSIndex})

		n1 := m.Node(1)
		require.NotNil(t, n1)
		assert.Equal(t, "4-7,20-23", n1.CPUs.String())
		assert.Equal(t, p0.OSIndex, n1.Package.OSIndex)
		assert.False(t, n1.MemoryOnly)
		assert.Equal(t, uint64(1<<30), n1.Memory)
		require.Len(t, n1.HugePages, 2)
		assert.Equal(t, topology.HugePages{Size: 2 << 20, Total: 3, Free: 3}, n1.HugePages[0])
		assert.Equal(t, uint64(1<<30), n1.HugePages[1].Size)
		assert.Equal(t, uint64(4<<30), m.Memory())

		core := m.Cores()[9]
		assert.Equal(t, "9,25", core.CPUs.String())
		assert.Equal(t, 1, core.OSIndex, "core_id inside package 1")
		assert.Same(t, core, core.Package.Cores[1], "one copy links to itself")
		assert.Equal(t, 2, core.Node.OSIndex)
		pu := m.PU(25)
		require.NotNil(t, pu)
		assert.Equal(t, core.CPUs, pu.Core.CPUs)
		assert.Equal(t, 2, pu.Node.OSIndex)
		assert.Nil(t, m.PU(99))
		assert.Equal(t, 3, m.NodeOf(31))
		assert.Equal(t, -1, m.NodeOf(32))

		assert.Equal(t, 10, m.Distance(2, 2))
		assert.Equal(t, 12, m.Distance(2, 3))
		assert.Equal(t, 20, m.Distance(0, 3))
		assert.Equal(t, -1, m.Distance(0, 9))
		assert.Nil(t, m.CPUInfo(), "a recorded machine has no cpuid")
	}
}

func TestLoadCaches(t *testing.T) {
	m := topologytest.Load(t, topologytest.TwoSockets())
	count := map[string]int{}
	for _, c := range m.Caches() {
		count[c.Name()]++
	}
	assert.Equal(t, map[string]int{"L3": 4, "L2": 16, "L1d": 16, "L1i": 16}, count)
	l3 := m.Caches()[0]
	assert.Equal(t, "L3", l3.Name())
	assert.Equal(t, uint64(16<<20), l3.Size)
	assert.Equal(t, "0-3,16-19", l3.CPUs.String())
	for _, c := range m.Caches() {
		switch c.Name() {
		case "L1d":
			assert.Equal(t, uint64(48<<10), c.Size, "L1d size must be the data cache's, not the L1i's")
		case "L1i":
			assert.Equal(t, uint64(32<<10), c.Size)
		case "L2":
			assert.Equal(t, uint64(2<<20), c.Size)
			assert.Equal(t, 2, c.CPUs.Len())
		}
		assert.Equal(t, 64, c.LineSize)
		assert.Equal(t, 8, c.Ways)
	}
}

func TestLoadOffline(t *testing.T) {
	for _, old := range []bool{false, true} {
		spec := topologytest.TwoSockets()
		spec.OldKernel = old
		spec.Offline = []int{5, 16, 17}
		m := topologytest.Load(t, spec)
		assert.Equal(t, "0-4,6-15,18-31", m.Usable().String())
		assert.Equal(t, "0-31", m.Present().String())
		assert.Equal(t, m.Usable(), m.Online())
		assert.Len(t, m.PUs(), 29)
		assert.Len(t, m.Cores(), 16, "core 5 keeps its sibling 21")
		assert.Equal(t, "0-4,6-7,18-23", m.Packages()[0].CPUs.String())
		assert.Equal(t, "0-3,18-19", m.Node(0).CPUs.String())
	}
}

func TestLoadCgroup(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		spec := topologytest.TwoSockets()
		spec.CgroupV1 = v1
		spec.CgroupCPUs = "2-9"
		spec.CgroupMems = "0-1"
		m := topologytest.Load(t, spec)
		assert.Equal(t, "2-9", m.Usable().String(), "v1=%v", v1)
		assert.Equal(t, "0-31", m.Online().String())
		require.Len(t, m.Nodes(), 2, "only nodes in cpuset.mems")
		assert.Equal(t, "2-3", m.Node(0).CPUs.String())
		assert.Nil(t, m.Node(2))
		require.Len(t, m.Packages(), 2, "package 1 keeps usable CPUs 8-9")
		assert.Equal(t, "8-9", m.Packages()[1].CPUs.String())
		assert.Len(t, m.Cores(), 8)
		assert.Nil(t, m.PU(8).Node, "node 2 is not allowed")
		assert.Equal(t, 2, m.NodeOf(8))
	}
}

func TestLoadAffinity(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.Affinity = "0-11"
	spec.CgroupCPUs = "8-31"
	spec.Offline = []int{9}
	m := topologytest.Load(t, spec)
	assert.Equal(t, "8,10-11", m.Usable().String(), "online ∩ affinity ∩ cgroup")
	require.Len(t, m.Packages(), 2, "package 0 stays for its allowed memory nodes, as in hwloc")
	assert.True(t, m.Packages()[0].CPUs.IsEmpty())
	assert.Len(t, m.Cores(), 3)
}

func TestLoadMemoryOnlyNode(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.MemoryOnlyNodes = 1
	m := topologytest.Load(t, spec)
	require.Len(t, m.Nodes(), 5)
	n := m.Node(4)
	require.NotNil(t, n)
	assert.True(t, n.MemoryOnly)
	assert.Equal(t, uint64(1<<30), n.Memory)
	assert.Equal(t, "0-3,16-19", n.CPUs.String(), "the CPUs of its nearest node")
	assert.Equal(t, 0, n.Package.OSIndex)
	assert.Equal(t, 17, m.Distance(4, 0))
	assert.Len(t, m.Cores(), 16)
	assert.Equal(t, 0, m.NodeOf(0), "a memory-only node owns no CPU")
}

func TestLoadNoNodeFolder(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.NoNodeFolder = true
	m := topologytest.Load(t, spec)
	require.Len(t, m.Nodes(), 1)
	n := m.Nodes()[0]
	assert.Equal(t, 0, n.OSIndex)
	assert.Equal(t, "0-31", n.CPUs.String())
	assert.Equal(t, uint64(1<<30), n.Memory, "from proc/meminfo")
	assert.Nil(t, n.Package, "the node spans both packages")
	assert.Equal(t, 0, m.NodeOf(17))
	assert.Equal(t, 10, m.Distance(0, 0))
	assert.Len(t, m.Packages(), 2)
	assert.Len(t, m.Cores(), 16)
}

func TestLoadErrors(t *testing.T) {
	_, err := topology.Load(t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sys/devices/system/cpu")

	_, err = topology.LoadFS(fstest.MapFS{})
	assert.EqualError(t, err, "topology: no sys/devices/system/cpu below the file system given")
	_, err = topology.LoadFS(nil)
	assert.EqualError(t, err, `topology: LoadFS needs a file system; use Load("/") for this machine`)

	spec := topologytest.TwoSockets()
	spec.CgroupCPUs = "40-41"
	_, err = topology.LoadFS(spec.FS())
	assert.EqualError(t, err, `topology: no usable CPU below the file system given (online "0-31", allowed "40-41")`)

	// A folder loads like the same tree in memory.
	dir := t.TempDir()
	require.NoError(t, topologytest.TwoSockets().Write(dir))
	fromDir, err := topology.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, dir, fromDir.Root())
	fromMem := topologytest.Load(t, topologytest.TwoSockets())
	assert.Equal(t, "", fromMem.Root())
	assert.Equal(t, summarize(fromMem), summarize(fromDir))
}

func TestCurrent(t *testing.T) {
	m, err := topology.Current()
	require.NoError(t, err)
	again, err := topology.Current()
	require.NoError(t, err)
	assert.Same(t, m, again)
	assert.Equal(t, "/", m.Root())
	assert.False(t, m.Usable().IsEmpty())
	assert.True(t, m.Usable().IsSubsetOf(m.Online()))
	assert.Len(t, m.PUs(), m.Usable().Len())
	assert.NotEmpty(t, m.Nodes())
	assert.NotEmpty(t, m.Packages())
	require.NotNil(t, m.CPUInfo())
	for cpu := range m.Usable().All() {
		assert.NoError(t, m.CheckCPU(cpu))
	}
}

func TestLoadOrdersNodesByNumber(t *testing.T) {
	// ghw orders node10 before node2; Linux numbers are what count.
	m := topologytest.Load(t, topologytest.Spec{Packages: 1, NodesPerPackage: 12, CoresPerNode: 1, ThreadsPerCore: 1})
	var ids []int
	for _, n := range m.Nodes() {
		ids = append(ids, n.OSIndex)
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, ids)
	assert.Equal(t, "10", m.Node(10).CPUs.String())
	assert.Equal(t, 12, m.Distance(2, 10))
	assert.Equal(t, 10, m.NodeOf(10))
}

// TestObjectsAreCopies changes every object the accessors hand out and
// checks that the Machine still reports what it loaded.
func TestObjectsAreCopies(t *testing.T) {
	m := topologytest.Load(t, topologytest.TwoSockets())
	pkgs := m.Packages()
	for _, p := range pkgs {
		// Links inside one copy lead to the same objects.
		for _, n := range p.Nodes {
			assert.Same(t, p, n.Package)
		}
		for _, c := range p.Cores {
			assert.Same(t, p, c.Package)
			for _, pu := range c.PUs {
				assert.Same(t, c, pu.Core)
			}
		}
		p.OSIndex = 99
		p.CPUs = topology.CPUSet{}
		p.Nodes[0].Memory = 0
		p.Cores[0].PUs[0].OSIndex = 99
		p.Nodes = nil
	}
	pkgs[0] = nil
	nodes := m.Nodes()
	nodes[0].HugePages[0].Total = 99
	nodes[1] = nil
	m.Caches()[0].Size = 0
	m.PU(0).Core.CPUs = topology.CPUSet{}
	m.Node(3).CPUs = topology.CPUSet{}

	again := m.Packages()
	require.Len(t, again, 2)
	assert.Equal(t, 0, again[0].OSIndex)
	assert.Equal(t, "0-7,16-23", again[0].CPUs.String())
	require.Len(t, again[0].Nodes, 2)
	assert.Equal(t, uint64(1<<30), again[0].Nodes[0].Memory)
	assert.Equal(t, 0, again[0].Cores[0].PUs[0].OSIndex)
	require.NotNil(t, m.Nodes()[1])
	assert.Equal(t, 0, m.Nodes()[0].HugePages[0].Total)
	assert.Equal(t, uint64(16<<20), m.Caches()[0].Size)
	assert.Equal(t, "0,16", m.PU(0).Core.CPUs.String())
	assert.Equal(t, "12-15,28-31", m.Node(3).CPUs.String())
	order, err := m.Order(topology.InNode(3), topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []int{12, 28, 13, 29, 14, 30, 15, 31}, order)
}

// TestLoadCpusetOnly is a v1 cpuset named only by proc/self/cpuset, in a
// hierarchy mounted with noprefix beside a cgroup2 mount without the
// cpuset controller: hwloc restricts to it (its files are "cpus" and
// "mems"), and so does Load.
func TestLoadCpusetOnly(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.CpusetOnly = true
	spec.CgroupCPUs = "0-3"
	spec.CgroupMems = "2-3"
	m := topologytest.Load(t, spec)
	assert.Equal(t, "0-3", m.Usable().String())
	var nodes []int
	for _, n := range m.Nodes() {
		nodes = append(nodes, n.OSIndex)
		assert.True(t, n.CPUs.IsEmpty(), "node %d holds none of CPUs 0-3", n.OSIndex)
	}
	assert.Equal(t, []int{2, 3}, nodes)
	// hwloc keeps package 0 for its CPUs and package 1 for nodes 2-3.
	require.Len(t, m.Packages(), 2)

	spec.CgroupCPUs = ""
	assert.Equal(t, "0-31", topologytest.Load(t, spec).Usable().String(), "the top cpuset holds every CPU")
}
