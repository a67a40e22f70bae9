package topology_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pciSpec is TwoSockets with a NIC on node 2, an NVMe drive on node 1 and a
// bridge the kernel places on no node.
func pciSpec() topologytest.Spec {
	spec := topologytest.TwoSockets()
	spec.PCI = []topologytest.PCIDevice{
		{Address: "0000:00:00.0", Vendor: "8086", Product: "2020", Class: "060000", Node: -1},
		{Address: "0000:3b:00.0", Vendor: "8086", Product: "1572", Class: "020000", Node: 2},
		{Address: "0000:5e:00.0", Vendor: "144d", Product: "a808", Class: "010802", Node: 1},
	}
	return spec
}

// A pci.ids with the three devices of pciSpec, in the file's own syntax;
// it ends, as the real one does, with class ff (pcidb v1.1.1 drops the
// subclasses of a file's last class).
const pciIDs = `8086  Intel Corporation
	1572  Ethernet Controller X710 for 10GbE SFP+
	2020  Sky Lake-E DMI3 Registers
144d  Samsung Electronics Co Ltd
	a808  NVMe SSD Controller SM981/PM981/PM983
C 01  Mass storage controller
	08  Non-Volatile memory controller
C 02  Network controller
	00  Ethernet controller
C 06  Bridge
	00  Host bridge
C ff  Unassigned class
`

func TestPCIDevices(t *testing.T) {
	ids := filepath.Join(t.TempDir(), "pci.ids")
	require.NoError(t, os.WriteFile(ids, []byte(pciIDs), 0o644))
	saved := *topology.PCIIDsPaths
	*topology.PCIIDsPaths = []string{ids}
	t.Cleanup(func() { *topology.PCIIDsPaths = saved })

	spec := pciSpec()
	spec.CgroupCPUs = "0-9,16-25"
	dir := t.TempDir()
	require.NoError(t, spec.Write(dir))
	fromDir, err := topology.Load(dir)
	require.NoError(t, err)
	devs := fromDir.PCIDevices()
	assert.Equal(t, []topology.PCIDevice{
		{Address: "0000:00:00.0", VendorID: "8086", ProductID: "2020", ClassID: "0600", Vendor: "Intel Corporation", Product: "Sky Lake-E DMI3 Registers", Class: "Host bridge", Node: -1, CPUs: set(t, "0-9,16-25")},
		{Address: "0000:3b:00.0", VendorID: "8086", ProductID: "1572", ClassID: "0200", Vendor: "Intel Corporation", Product: "Ethernet Controller X710 for 10GbE SFP+", Class: "Ethernet controller", Node: 2, CPUs: set(t, "8-9,24-25")},
		{Address: "0000:5e:00.0", VendorID: "144d", ProductID: "a808", ClassID: "0108", Vendor: "Samsung Electronics Co Ltd", Product: "NVMe SSD Controller SM981/PM981/PM983", Class: "Non-Volatile memory controller", Node: 1, CPUs: set(t, "4-7,20-23")},
	}, devs)

	// In memory there is no folder for ghw: the same devices, no names.
	inMem := topologytest.Load(t, spec)
	devs = inMem.PCIDevices()
	require.Len(t, devs, 3)
	assert.Equal(t, topology.PCIDevice{Address: "0000:3b:00.0", VendorID: "8086", ProductID: "1572", ClassID: "0200", Node: 2, CPUs: set(t, "8-9,24-25")}, devs[1])

	// Without a pci.ids the names are empty; nothing is fetched.
	*topology.PCIIDsPaths = []string{filepath.Join(t.TempDir(), "none")}
	devs = fromDir.PCIDevices()
	assert.Equal(t, "", devs[1].Vendor)
	assert.Equal(t, "8086", devs[1].VendorID)

	assert.Empty(t, topologytest.Load(t, topologytest.TwoSockets()).PCIDevices())
}

func TestNearDevice(t *testing.T) {
	m := topologytest.Load(t, pciSpec())
	order, err := m.Order(topology.NearDevice("0000:3b:00.0"), topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []int{8, 24, 9, 25, 10, 26, 11, 27}, order, "node 2's CPUs, compact")
	sets, err := m.Place(3, topology.NearDevice("0000:5E:00.0"), topology.NewCPUSet(5, 21, 30))
	require.NoError(t, err)
	assert.Equal(t, []topology.CPUSet{topology.NewCPUSet(5), topology.NewCPUSet(21), topology.NewCPUSet(5)}, sets)
	assert.Equal(t, "near 0000:3b:00.0", topology.NearDevice("0000:3b:00.0").String())

	_, err = m.Order(topology.NearDevice("0000:99:00.0"), topology.CPUSet{})
	assert.EqualError(t, err, `topology: no PCI device "0000:99:00.0"; devices are 0000:00:00.0 0000:3b:00.0 0000:5e:00.0 (addresses as lspci -D prints them)`)
	_, err = m.Order(topology.NearDevice("0000:3b:00.0"), topology.NewCPUSet(0, 1))
	assert.EqualError(t, err, `topology: PCI device 0000:3b:00.0 has no usable CPU in 0-1 (its local usable CPUs: "8-11,24-27")`)
	_, err = topologytest.Load(t, topologytest.TwoSockets()).Order(topology.NearDevice("0000:3b:00.0"), topology.CPUSet{})
	assert.EqualError(t, err, `topology: no PCI device "0000:3b:00.0": this machine lists none in sys/bus/pci/devices`)
}
