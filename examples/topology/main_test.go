package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func fixture(t *testing.T, spec topologytest.Spec) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, spec.Write(dir))
	return dir
}

func TestTreeOutput(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.CgroupCPUs = "0-30"
	spec.HugePages2M = 4
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-root", fixture(t, spec)}, &out, &errOut), errOut.String())
	lines := strings.Split(out.String(), "\n")
	assert.Equal(t, []string{
		"Machine (4096MB total)",
		"  Package P#0",
		"    NUMANode P#0 (1024MB) 4 x 2048KB huge pages (4 free)",
		"      L3 (16MB)",
		"        L2 (2048KB)",
		"          L1d (48KB)",
		"            Core P#0",
		"              PU P#0",
		"              PU P#16",
	}, lines[:9])
	assert.Contains(t, out.String(), "\nCounts: 2 packages, 4 NUMA nodes, 16 cores, 31 PUs\n")
	assert.Contains(t, out.String(), "\nUsable CPUs: 0-30 (31 of 32 online; present 0-31)\n")
	assert.Contains(t, out.String(), "NUMA distances:\n          #0    #1    #2    #3\n    #0    10    12    20    20\n")
	assert.NotContains(t, out.String(), "CPU:", "a recorded machine has no cpuid")
	assert.Empty(t, errOut.String())
}

func TestTreeMemoryOnlyAndDisallowedNodes(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.MemoryOnlyNodes = 1
	spec.CgroupCPUs = "0-7,16-23"
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-root", fixture(t, spec)}, &out, &errOut), errOut.String())
	var top []string
	for line := range strings.Lines(out.String()) {
		if strings.Contains(line, "Package") || strings.Contains(line, "NUMANode") {
			top = append(top, strings.TrimRight(line, "\n"))
		}
	}
	assert.Equal(t, []string{
		"  Package P#0",
		"    NUMANode P#0 (1024MB)",
		"    NUMANode P#4 (1024MB) memory only, near CPUs 0-3,16-19",
		"    NUMANode P#1 (1024MB)",
		"  Package P#1 no usable CPU",
		"    NUMANode P#2 (1024MB) no usable CPU",
		"    NUMANode P#3 (1024MB) no usable CPU",
	}, top)
}

func TestJSONOutput(t *testing.T) {
	dir := fixture(t, topologytest.TwoSockets())
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-json", "-root", dir}, &out, &errOut), errOut.String())
	var got Counts
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	m, err := topology.Load(dir)
	require.NoError(t, err)
	assert.Equal(t, counts(m), got)
	assert.Equal(t, 16, got.Cores)
	assert.Equal(t, []int{8, 9, 10, 11, 24, 25, 26, 27}, got.PUsByNode[2])
	var raw map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &raw))
	for _, k := range []string{"packages", "numa_nodes", "cores", "pus", "pu_os_indexes", "pus_by_node", "pus_by_package", "core_pus", "usable", "nodes", "caches", "distances"} {
		assert.Contains(t, raw, k)
	}
	assert.Equal(t, "0-31", raw["usable"])
}

// TestJSONMatchesHwloc runs the tool on one recorded machine and compares
// it with hwloc's answer; the topology package's own test covers them all.
func TestJSONMatchesHwloc(t *testing.T) {
	corpus := topologytest.CorpusDir()
	if corpus == "" {
		t.Skip("topology corpus not found: set NUMAPOOL_TOPOLOGY_CORPUS or put shared/topology-corpus beside the repository")
	}
	const name = "16em64t-4s2c2t-offlines"
	root, err := topologytest.Unpack(filepath.Join(corpus, name+".tar.bz2"), t.TempDir())
	require.NoError(t, err)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-json", "-root", root}, &out, &errOut), errOut.String())
	b, err := os.ReadFile(filepath.Join(corpus, name+".expected.json"))
	require.NoError(t, err)
	var want, got Counts
	require.NoError(t, json.Unmarshal(b, &want))
	require.NoError(t, json.Unmarshal(out.Bytes(), &got))
	assert.Equal(t, want, got)
}

func TestLiveMachine(t *testing.T) {
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run(nil, &out, &errOut), errOut.String())
	m, err := topology.Current()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out.String(), "CPU: "))
	assert.Contains(t, out.String(), "Usable CPUs: "+m.Usable().String()+" ")
}

func TestErrors(t *testing.T) {
	var out, errOut bytes.Buffer
	assert.Equal(t, 1, run([]string{"-root", t.TempDir()}, &out, &errOut))
	assert.Contains(t, errOut.String(), "sys/devices/system/cpu")
	errOut.Reset()
	assert.Equal(t, 2, run([]string{"-bogus"}, &out, &errOut))
	assert.Contains(t, errOut.String(), "bogus")
	assert.Empty(t, out.String())
}

func TestSize(t *testing.T) {
	for b, want := range map[uint64]string{
		512: "512B", 48 << 10: "48KB", 1 << 20: "1024KB", 32 << 20: "32MB", 7258 << 20: "7258MB", 64 << 30: "64GB",
		// lstopo rounds to the nearest unit: 13.59 GiB prints as 14GB.
		14590103552: "14GB", 14<<30 - 1<<29 - 1: "13GB",
	} {
		assert.Equal(t, want, size(b))
	}
}
