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
		"  Package L#0 P#0",
		"    NUMANode L#0 P#0 (1024MB) 4 x 2048KB huge pages (4 free) + L3 L#0 (16MB)",
		"      4 x L2 (2048KB) + L1d (48KB) + L1i (32KB) + Core  L#0-3, CPUs 0-3,16-19",
		"        2 x PU",
		"    NUMANode L#1 P#1 (1024MB) 4 x 2048KB huge pages (4 free) + L3 L#1 (16MB)",
		"      4 x L2 (2048KB) + L1d (48KB) + L1i (32KB) + Core  L#4-7, CPUs 4-7,20-23",
		"        2 x PU",
	}, lines[:8])
	// CPU 31 is not usable: core 15 has one PU and is not folded with
	// its three siblings.
	assert.Contains(t, out.String(), "\n      3 x L2 (2048KB) + L1d (48KB) + L1i (32KB) + Core  L#12-14, CPUs 12-14,28-30\n        2 x PU\n      L2 L#15 (2048KB) + L1d L#15 (48KB) + L1i L#15 (32KB) + Core L#15 P#7 + PU L#30 P#15\n")
	assert.Len(t, lines, 29, "a 32-CPU machine in 29 lines")
	assert.Contains(t, out.String(), "\nCounts: 2 packages, 4 NUMA nodes, 16 cores, 31 PUs\n")
	assert.Contains(t, out.String(), "\nUsable CPUs: 0-30 (31 of 32 online; present 0-31)\n")
	assert.Contains(t, out.String(), "\nUsable memory nodes: 0-3 (4096MB)\nCPU limit: none\nPCI devices: none listed\n")
	assert.Contains(t, out.String(), "NUMA distances:\n          #0    #1    #2    #3\n    #0    10    12    20    20\n")
	assert.NotContains(t, out.String(), "CPU:", "a recorded machine has no cpuid")
	assert.Empty(t, errOut.String())
}

func TestLimitNodesAndDevices(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.CPUMax = "150000 100000"
	spec.CgroupCPUs = "0-15"
	spec.CgroupMems = "0-1"
	spec.PCI = []topologytest.PCIDevice{
		{Address: "0000:00:00.0", Vendor: "8086", Product: "2020", Class: "060000", Node: -1},
		{Address: "0000:3b:00.0", Vendor: "8086", Product: "1572", Class: "020000", Node: 2},
		{Address: "0000:5e:00.0", Vendor: "144d", Product: "a808", Class: "010802", Node: 1},
	}
	dir := fixture(t, spec)
	var out, errOut bytes.Buffer
	require.Equal(t, 0, run([]string{"-root", dir}, &out, &errOut), errOut.String())
	text := out.String()
	assert.Contains(t, text, "\nUsable memory nodes: 0-1 (2048MB)\nCPU limit: 1.5 CPUs of time per period (cgroup); Go's GOMAXPROCS follows it\n")
	assert.Contains(t, text, "\nPCI devices (1 bridges not shown; -bridges shows them):\n  0000:3b:00.0 ")
	// Names depend on the pci.ids installed; the locality does not.
	assert.Contains(t, text, " (NUMANode P#2, CPUs 8-11)\n  0000:5e:00.0 ")
	assert.Contains(t, text, " (NUMANode P#1, CPUs 4-7)\n")
	assert.NotContains(t, text, "0000:00:00.0")

	out.Reset()
	require.Equal(t, 0, run([]string{"-root", dir, "-bridges"}, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "\nPCI devices:\n  0000:00:00.0 ")
	assert.Contains(t, out.String(), " (no NUMA node, CPUs 0-15)\n")

	out.Reset()
	require.Equal(t, 0, run([]string{"-root", dir, "-json"}, &out, &errOut), errOut.String())
	var r struct {
		CPULimit    *float64             `json:"cpu_limit"`
		UsableNodes string               `json:"usable_nodes"`
		PCI         []topology.PCIDevice `json:"pci_devices"`
		PackageList []PackageReport      `json:"package_list"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &r))
	require.NotNil(t, r.CPULimit)
	assert.Equal(t, 1.5, *r.CPULimit)
	assert.Equal(t, "0-1", r.UsableNodes)
	require.Len(t, r.PCI, 3)
	assert.Equal(t, "0000:3b:00.0", r.PCI[1].Address)
	assert.Equal(t, "8086", r.PCI[1].VendorID)
	assert.Equal(t, 2, r.PCI[1].Node)
	assert.Equal(t, "8-11", r.PCI[1].CPUs.String())
	require.Len(t, r.PackageList, 2, "package 1 keeps CPUs 8-15")
	assert.Equal(t, []int{0, 1}, r.PackageList[0].Nodes)
	assert.Equal(t, []int{}, r.PackageList[1].Nodes, "nodes 2-3 are not allowed")
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
		"  Package L#0 P#0",
		"    NUMANode L#0 P#0 (1024MB) + L3 L#0 (16MB)",
		"    NUMANode L#1 P#4 (1024MB) memory only, near CPUs 0-3,16-19",
		"    NUMANode L#2 P#1 (1024MB) + L3 L#1 (16MB)",
		"  Package L#1 P#1 no usable CPU",
		"    NUMANode L#3 P#2 (1024MB) no usable CPU",
		"    NUMANode L#4 P#3 (1024MB) no usable CPU",
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
	errOut.Reset()
	assert.Equal(t, 2, run([]string{"/some/dir"}, &out, &errOut))
	assert.Equal(t, "topology: unexpected argument \"/some/dir\"; give the folder with -root\n", errOut.String())
	assert.Empty(t, out.String())
}

func TestSize(t *testing.T) {
	for b, want := range map[uint64]string{
		// Units scale up to PB: 381486GB prints as 373TB.
		381486 << 30: "373TB", 9 << 40: "9216GB", 10 << 40: "10TB", 12 << 50: "12PB",
		512: "512B", 48 << 10: "48KB", 1 << 20: "1024KB", 32 << 20: "32MB", 7258 << 20: "7258MB", 64 << 30: "64GB",
		// lstopo rounds to the nearest unit: 13.59 GiB prints as 14GB.
		14590103552: "14GB", 14<<30 - 1<<29 - 1: "13GB",
	} {
		assert.Equal(t, want, size(b))
	}
}
