package topology_test

import (
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var hwlocUpdate = flag.Bool("hwloc-update", false, "rewrite testdata/hwloc/*.json from lstopo --input on each corpus dump (needs hwloc's lstopo-no-graphics, Debian package hwloc-nox)")

// hwlocDetail is what hwloc says about a dump beyond the corpus' expected
// files: the CPUs of each cache by name (only caches holding usable CPUs),
// the memory of each NUMA node (its MemTotal), and the NUMA distance
// matrix.
type hwlocDetail struct {
	Oracle        string              `json:"oracle"`
	Caches        map[string][]string `json:"caches"`
	NodeMemory    map[int]uint64      `json:"node_memory"`
	DistanceNodes []int               `json:"distance_nodes,omitempty"`
	Distances     [][]int             `json:"distances,omitempty"`
	// PCI maps each PCI device and bridge (lstopo --whole-io) to its
	// class and ids ("0200 14e4:1639") and the CPUs of the object it hangs
	// from, which hwloc picks by the device's local_cpus.
	PCI map[string]hwlocPCI `json:"pci,omitempty"`
}

type hwlocPCI struct {
	Type string `json:"type"`
	CPUs string `json:"cpus"`
}

// checkHwlocDetail compares the caches, memory per node and distances of m,
// loaded from the corpus dump name, with hwloc's answers kept in
// testdata/hwloc (made by go test -run TestHwlocUpdate -hwloc-update).
func checkHwlocDetail(t *testing.T, name string, m *topology.Machine) {
	b, err := os.ReadFile(filepath.Join("testdata", "hwloc", name+".json"))
	require.NoError(t, err, "hwloc's answer for %s; make it with go test -run TestHwlocUpdate -hwloc-update", name)
	var want hwlocDetail
	require.NoError(t, json.Unmarshal(b, &want))

	got := map[string][]string{}
	for _, c := range m.Caches() {
		got[c.Name()] = append(got[c.Name()], c.CPUs.String())
	}
	for k := range got {
		slices.Sort(got[k])
	}
	assert.Equal(t, want.Caches, got, "caches by name")

	mem := map[int]uint64{}
	for _, n := range m.Nodes() {
		mem[n.OSIndex] = n.Memory
	}
	assert.Equal(t, want.NodeMemory, mem, "memory per node")

	ids, matrix := m.Distances()
	if want.Distances != nil {
		assert.Equal(t, want.DistanceNodes, ids, "distance matrix nodes")
		assert.Equal(t, want.Distances, matrix, "distances")
	}

	devs := m.PCIDevices()
	pci := map[string]hwlocPCI{}
	orZero := func(id string) string {
		if id == "" {
			return "0000" // hwloc's answer where sysfs has no vendor or device file
		}
		return id
	}
	for _, d := range devs {
		pci[d.Address] = hwlocPCI{Type: d.ClassID + " " + orZero(d.VendorID) + ":" + orZero(d.ProductID), CPUs: d.CPUs.String()}
	}
	if len(want.PCI) == 0 {
		assert.Empty(t, pci, "PCI devices")
	} else {
		assert.Equal(t, want.PCI, pci, "PCI devices: class, ids and local CPUs")
	}
}

// TestHwlocUpdate rewrites testdata/hwloc from lstopo when -hwloc-update is
// given; it needs the corpus and lstopo-no-graphics (Debian: hwloc-nox).
func TestHwlocUpdate(t *testing.T) {
	if !*hwlocUpdate {
		t.Skip("run with -hwloc-update to rewrite testdata/hwloc from lstopo")
	}
	dir := topologytest.CorpusDir()
	require.NotEmpty(t, dir, "topology corpus not found")
	archives, err := filepath.Glob(filepath.Join(dir, "*.tar.bz2"))
	require.NoError(t, err)
	for _, a := range archives {
		name := strings.TrimSuffix(filepath.Base(a), ".tar.bz2")
		writeHwlocDetail(t, a, filepath.Join("testdata", "hwloc", name+".json"))
	}
}

// hwlocObject is one object of lstopo's XML output.
type hwlocObject struct {
	Type      string        `xml:"type,attr"`
	OSIndex   string        `xml:"os_index,attr"`
	CPUSet    string        `xml:"cpuset,attr"`
	Memory    uint64        `xml:"local_memory,attr"`
	Depth     int           `xml:"depth,attr"`
	BusID     string        `xml:"pci_busid,attr"`
	PCIType   string        `xml:"pci_type,attr"`
	CacheType int           `xml:"cache_type,attr"`
	Children  []hwlocObject `xml:"object"`
}

type hwlocXML struct {
	Objects   []hwlocObject `xml:"object"`
	Distances []struct {
		Type    string   `xml:"type,attr"`
		Name    string   `xml:"name,attr"`
		Indexes []string `xml:"indexes"`
		Values  []string `xml:"u64values"`
	} `xml:"distances2"`
}

// writeHwlocDetail runs lstopo on the unpacked dump and writes what it says.
func writeHwlocDetail(t *testing.T, archive, file string) {
	root, err := topologytest.Unpack(archive, t.TempDir())
	require.NoError(t, err)
	out, err := exec.Command("lstopo-no-graphics", "--input", root, "--no-io", "--of", "xml").Output()
	require.NoError(t, err, "lstopo-no-graphics (apt-get install hwloc-nox)")
	version, err := exec.Command("lstopo-no-graphics", "--version").Output()
	require.NoError(t, err)
	var x hwlocXML
	require.NoError(t, xml.Unmarshal(out, &x))
	d := hwlocDetail{Oracle: strings.TrimSpace(string(version)), Caches: map[string][]string{}, NodeMemory: map[int]uint64{}}
	var walk func(o hwlocObject)
	walk = func(o hwlocObject) {
		set := hwlocSet(t, o.CPUSet)
		switch {
		case o.Type == "NUMANode":
			id, err := strconv.Atoi(o.OSIndex)
			require.NoError(t, err)
			d.NodeMemory[id] = o.Memory
		case strings.HasSuffix(o.Type, "Cache") && o.Type != "MemCache" && o.Depth > 0 && !set.IsEmpty():
			name := fmt.Sprintf("L%d", o.Depth) + map[int]string{1: "d", 2: "i"}[o.CacheType]
			d.Caches[name] = append(d.Caches[name], set.String())
		}
		for _, c := range o.Children {
			walk(c)
		}
	}
	for _, o := range x.Objects {
		walk(o)
	}
	for k := range d.Caches {
		slices.Sort(d.Caches[k])
	}
	for _, dist := range x.Distances {
		if dist.Type != "NUMANode" || dist.Name != "NUMALatency" {
			continue
		}
		for _, idx := range dist.Indexes {
			for _, f := range strings.Fields(idx) {
				n, err := strconv.Atoi(f)
				require.NoError(t, err)
				d.DistanceNodes = append(d.DistanceNodes, n)
			}
		}
		var vals []int
		for _, v := range dist.Values {
			for _, f := range strings.Fields(v) {
				n, err := strconv.Atoi(f)
				require.NoError(t, err)
				vals = append(vals, n)
			}
		}
		n := len(d.DistanceNodes)
		require.Len(t, vals, n*n)
		for i := range n {
			d.Distances = append(d.Distances, vals[i*n:(i+1)*n])
		}
	}
	io, err := exec.Command("lstopo-no-graphics", "--input", root, "--whole-io", "--of", "xml").Output()
	require.NoError(t, err)
	var withIO hwlocXML
	require.NoError(t, xml.Unmarshal(io, &withIO))
	var walkIO func(o hwlocObject, cpus string)
	walkIO = func(o hwlocObject, cpus string) {
		switch o.Type {
		case "PCIDev", "Bridge":
			if o.BusID != "" {
				if d.PCI == nil {
					d.PCI = map[string]hwlocPCI{}
				}
				f := strings.Fields(o.PCIType) // "0200 [14e4:1639] [1028:02d3] 20"
				require.GreaterOrEqual(t, len(f), 2, o.PCIType)
				d.PCI[o.BusID] = hwlocPCI{Type: f[0] + " " + strings.Trim(f[1], "[]"), CPUs: cpus}
			}
		case "OSDev", "Misc":
		default:
			cpus = hwlocSet(t, o.CPUSet).String()
		}
		for _, c := range o.Children {
			walkIO(c, cpus)
		}
	}
	for _, o := range withIO.Objects {
		walkIO(o, "")
	}
	b, err := json.MarshalIndent(d, "", " ")
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
	require.NoError(t, os.WriteFile(file, append(b, '\n'), 0o644))
}

// hwlocSet reads hwloc's bitmap syntax: 32-bit hex words, most significant
// first, where an empty word between commas is zero ("0xff,,0x1").
func hwlocSet(t *testing.T, s string) topology.CPUSet {
	if s == "" {
		return topology.CPUSet{}
	}
	words := strings.Split(s, ",")
	for i, w := range words {
		w = strings.TrimPrefix(w, "0x")
		if w == "" {
			w = "0"
		}
		words[i] = w
	}
	set, err := topology.ParseCPUMask(strings.Join(words, ","))
	require.NoError(t, err, s)
	return set
}
