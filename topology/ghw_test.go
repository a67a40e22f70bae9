package topology_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jaypipes/ghw"
	ghwmemory "github.com/jaypipes/ghw/pkg/memory"
	ghwtopology "github.com/jaypipes/ghw/pkg/topology"
	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests pin down the faults of ghw v0.27 that this package does not
// pass on: each loads the same tree with ghw and with Load.

func ghwTopology(t *testing.T, dir string) *ghwtopology.Info {
	t.Helper()
	info, err := ghw.Topology(ghw.WithChroot(dir), ghw.WithDisableWarnings())
	require.NoError(t, err)
	return info
}

func TestGhwL1dSize(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Small machines keep these tests quick: each writes its files to disk
	// for ghw. L1d 48 KiB, L1i 32 KiB; 2 nodes of 2 cores x 2 threads.
	require.NoError(t, smallSpec().Write(dir))
	found := 0
	for _, c := range ghwTopology(t, dir).Nodes[0].Caches {
		if c.Level == 1 && c.Type == ghwmemory.CacheTypeData {
			assert.Equal(t, uint64(32<<10), c.SizeBytes, "ghw reports the L1i size for the L1d")
			found++
		}
	}
	assert.Equal(t, 2, found, "one L1d per core of node 0")
	m, err := topology.Load(dir)
	require.NoError(t, err)
	found = 0
	for _, c := range m.Caches() {
		if c.Name() == "L1d" {
			assert.Equal(t, uint64(48<<10), c.Size)
			found++
		}
	}
	assert.Equal(t, 4, found)
}

// smallSpec is 1 package x 2 nodes x 2 cores x 2 threads: CPUs 0-7.
func smallSpec() topologytest.Spec {
	return topologytest.Spec{Packages: 1, NodesPerPackage: 2, CoresPerNode: 2, ThreadsPerCore: 2}
}

func TestGhwNoNodeFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	spec := smallSpec()
	spec.NoNodeFolder = true
	require.NoError(t, spec.Write(dir))
	assert.Empty(t, ghwTopology(t, dir).Nodes, "ghw: no nodes, no error")
	m, err := topology.Load(dir)
	require.NoError(t, err)
	require.Len(t, m.Nodes(), 1)
	assert.Equal(t, "0-7", m.Nodes()[0].CPUs.String())
}

func TestGhwMeminfoWithoutHugetlb(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, smallSpec().Write(dir))
	// Kernels before 4.16 print no Hugetlb line.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "proc/meminfo"), []byte("MemTotal: 4194304 kB\nMemFree: 2097152 kB\n"), 0o644))
	assert.Empty(t, ghwTopology(t, dir).Nodes, "ghw drops every node, no error")
	m, err := topology.Load(dir)
	require.NoError(t, err)
	assert.Len(t, m.Nodes(), 2)
}

func TestGhwNodeOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, topologytest.Spec{Packages: 1, NodesPerPackage: 11, CoresPerNode: 1, ThreadsPerCore: 1}.Write(dir))
	var ghwIDs, ids []int
	for _, n := range ghwTopology(t, dir).Nodes {
		ghwIDs = append(ghwIDs, n.ID)
	}
	assert.Equal(t, []int{0, 1, 10, 2, 3, 4, 5, 6, 7, 8, 9}, ghwIDs, "ghw sorts by folder name")
	m, err := topology.Load(dir)
	require.NoError(t, err)
	for _, n := range m.Nodes() {
		ids = append(ids, n.OSIndex)
	}
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, ids)
}

func TestGhwCoreIDsMerge(t *testing.T) {
	t.Parallel()
	// Two packages of 4 cores x 2 threads in one NUMA node: core_id runs
	// 0-3 in each package.
	dir := t.TempDir()
	require.NoError(t, topologytest.Spec{Packages: 2, NodesPerPackage: 1, CoresPerNode: 4, ThreadsPerCore: 2}.Write(dir))
	nodes := filepath.Join(dir, "sys/devices/system/node")
	require.NoError(t, os.RemoveAll(filepath.Join(nodes, "node1")))
	for name, content := range map[string]string{"cpulist": "0-15", "cpumap": "0000ffff", "distance": "10"} {
		require.NoError(t, os.WriteFile(filepath.Join(nodes, "node0", name), []byte(content+"\n"), 0o644))
	}
	for _, c := range []string{"4", "5", "6", "7", "12", "13", "14", "15"} {
		require.NoError(t, os.Symlink("../../cpu/cpu"+c, filepath.Join(nodes, "node0", "cpu"+c)))
	}

	ghwNodes := ghwTopology(t, dir).Nodes
	require.Len(t, ghwNodes, 1)
	assert.Len(t, ghwNodes[0].Cores, 4, "ghw merges the cores of both packages that share a core_id")
	m, err := topology.Load(dir)
	require.NoError(t, err)
	require.Len(t, m.Nodes(), 1)
	assert.Len(t, m.Cores(), 8)
	for _, c := range m.Cores() {
		assert.Equal(t, 2, c.CPUs.Len(), "core %d", c.OSIndex)
	}
}
