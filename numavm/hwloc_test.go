package numavm_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numapool/numapool/numavm"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A 2-package machine: package 1 has a memory-only node beside its own;
// core 0 has two PUs (0 and 4); PU 64's word shows hwloc's empty (zero)
// words; PU 5 is not in the cpuset hwloc kept.
const hwlocXML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE topology SYSTEM "hwloc2.dtd">
<topology version="2.0">
  <object type="Machine" os_index="0" cpuset="0x00000001,,0x00000013" complete_cpuset="0x00000001,,0x0000003f">
    <object type="Package" os_index="0" cpuset="0x00000011">
      <object type="NUMANode" os_index="0" cpuset="0x00000011"/>
      <object type="L2Cache" cpuset="0x00000011">
        <object type="Core" os_index="0" cpuset="0x00000011">
          <object type="PU" os_index="0" cpuset="0x00000001"/>
          <object type="PU" os_index="4" cpuset="0x00000010"/>
        </object>
      </object>
    </object>
    <object type="Package" os_index="1" cpuset="0x00000001,,0x00000002">
      <object type="NUMANode" os_index="1" cpuset="0x00000001,,0x00000002"/>
      <object type="NUMANode" os_index="2" cpuset="0x00000001,,0x00000002"/>
      <object type="Core" os_index="0" cpuset="0x00000002">
        <object type="PU" os_index="1" cpuset="0x00000002"/>
      </object>
      <object type="Core" os_index="1" cpuset="0x00000001,,0x0">
        <object type="PU" os_index="64" cpuset="0x00000001,,0x0"/>
      </object>
    </object>
  </object>
</topology>`

func TestHwlocSummary(t *testing.T) {
	got, err := numavm.HwlocSummary([]byte(hwlocXML))
	require.NoError(t, err)
	assert.Equal(t, numavm.Summary{
		Packages: 2, NUMANodes: 3, Cores: 3, PUs: 4,
		PUOSIndexes:  []int{0, 1, 4, 64},
		PUsByNode:    map[int][]int{0: {0, 4}, 1: {1, 64}, 2: {1, 64}},
		PUsByPackage: map[int][]int{0: {0, 4}, 1: {1, 64}},
		CorePUs:      [][]int{{0, 4}, {1}, {64}},
	}, got)

	_, err = numavm.HwlocSummary([]byte(`<topology><object type="PU" os_index="x"/></topology>`))
	assert.EqualError(t, err, `numavm: hwloc PU with os_index "x"`)
	_, err = numavm.HwlocSummary([]byte(`<topology><object type="PU" os_index="0" cpuset="0xzz"/><object type="Core" cpuset="0xzz"/></topology>`))
	assert.EqualError(t, err, `numavm: hwloc bitmap "0xzz": word "0xzz" is not 32-bit hex`)
	_, err = numavm.HwlocSummary([]byte(`<topology`))
	assert.ErrorContains(t, err, "numavm: reading hwloc's XML")
}

func TestCompareSummaries(t *testing.T) {
	a := numavm.Summary{Packages: 1, NUMANodes: 1, Cores: 2, PUs: 2, PUOSIndexes: []int{0, 1},
		PUsByNode: map[int][]int{0: {0, 1}}, PUsByPackage: map[int][]int{0: {0, 1}}, CorePUs: [][]int{{1}, {0}}}
	b := a
	b.CorePUs = [][]int{{0}, {1}}
	assert.Nil(t, numavm.CompareSummaries(a, b), "core order does not matter")
	b.Cores = 1
	b.PUsByNode = map[int][]int{0: {0}}
	assert.Equal(t, []string{"cores: hwloc 2, numapool 1", "pus_by_node: hwloc map[0:[0 1]], numapool map[0:[0]]"}, numavm.CompareSummaries(a, b))
}

// TestHwlocSummaryMatchesTheCorpus runs lstopo on each recorded machine of
// the topology corpus: HwlocSummary must give the corpus' expected answer,
// which hwloc made the same way.
func TestHwlocSummaryMatchesTheCorpus(t *testing.T) {
	dir := topologytest.CorpusDir()
	if dir == "" {
		t.Skip("topology corpus not found: set NUMAPOOL_TOPOLOGY_CORPUS or put shared/topology-corpus beside the repository")
	}
	if _, err := exec.LookPath("lstopo"); err != nil {
		t.Skip("lstopo not installed (Debian's hwloc-nox; make test-numa installs it)")
	}
	archives, err := filepath.Glob(filepath.Join(dir, "*.tar.bz2"))
	require.NoError(t, err)
	require.NotEmpty(t, archives)
	for _, a := range archives {
		name := strings.TrimSuffix(filepath.Base(a), ".tar.bz2")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, name+".expected.json"))
			require.NoError(t, err)
			var want numavm.Summary
			require.NoError(t, json.Unmarshal(b, &want))
			root, err := topologytest.Unpack(a, t.TempDir())
			require.NoError(t, err)
			x, err := exec.Command("lstopo", "--input", root, "--no-io", "--of", "xml", "-").Output()
			require.NoError(t, err)
			got, err := numavm.HwlocSummary(x)
			require.NoError(t, err)
			assert.Nil(t, numavm.CompareSummaries(want, got))
		})
	}
}
