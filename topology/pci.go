package topology

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jaypipes/ghw"
	ghwpci "github.com/jaypipes/ghw/pkg/pci"
	"github.com/jaypipes/pcidb"
)

// PCIDevice is one PCI device and the part of the machine it hangs from.
type PCIDevice struct {
	Address   string `json:"address"`    // domain:bus:device.function, "0000:3b:00.0"
	VendorID  string `json:"vendor_id"`  // four hex digits, "8086"
	ProductID string `json:"product_id"` // four hex digits
	ClassID   string `json:"class_id"`   // class and subclass, four hex digits: "0200" is Ethernet
	Vendor    string `json:"vendor"`     // vendor name from pci.ids; "" if unknown
	Product   string `json:"product"`    // product name from pci.ids; "" if unknown
	Class     string `json:"class"`      // subclass name from pci.ids ("Ethernet controller"); "" if unknown
	Driver    string `json:"driver"`     // the kernel driver bound to it; "" if none
	// Node is the NUMA node the device is attached to (numa_node), or -1
	// when the kernel does not say.
	Node int `json:"numa_node"`
	// CPUs are the usable CPUs local to the device (local_cpulist): the
	// ones to run work that feeds it. Empty when none of them is usable.
	CPUs CPUSet `json:"cpus"`
}

// pciDir is where the kernel lists PCI devices.
const pciDir = "sys/bus/pci/devices"

// pciIDsPaths are where Debian (package pci.ids), Fedora (hwdata) and
// others install the PCI name database. Names come from the running
// machine's copy even for a recorded one, and are never fetched.
var pciIDsPaths = []string{"/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids"}

// PCIDevices returns the machine's PCI devices, by address (none when sysfs
// lists none), with the NUMA
// node and the CPUs each is local to, as sysfs gives them, and names from
// pci.ids (through ghw and pcidb, which never fetch it from the network;
// without a pci.ids the names are empty). Each call reads the devices
// afresh, a few files per device; the name database is parsed once per
// process (about 30 ms).
//
// ghw's PCI reader supplies the names and drivers of a machine loaded from
// a folder; the addresses, ids and locality always come from sysfs, since
// ghw v0.27 drops every device when one lacks a modalias file (old
// kernels) and gives no NUMA node where its topology reader fails.
func (m *Machine) PCIDevices() []PCIDevice {
	return m.pciDevices(true)
}

// pciDevices reads the devices, with names (through ghw) when named is set.
func (m *Machine) pciDevices(named bool) []PCIDevice {
	f := fsys{fs: m.fs}
	addrs := pciAddresses(f)
	if len(addrs) == 0 {
		return nil
	}
	var names map[string]*ghwpci.Device
	if named {
		names = m.ghwPCI()
	}
	out := make([]PCIDevice, 0, len(addrs))
	for _, a := range addrs {
		dir := path.Join(pciDir, a)
		d := PCIDevice{
			Address:   a,
			VendorID:  hexID(f, path.Join(dir, "vendor"), 4),
			ProductID: hexID(f, path.Join(dir, "device"), 4),
			ClassID:   hexID(f, path.Join(dir, "class"), 6),
			Node:      f.readInt(path.Join(dir, "numa_node"), -1),
		}
		if len(d.ClassID) == 6 {
			d.ClassID = d.ClassID[:4] // class and subclass; the interface is too fine
		}
		if local, ok := f.readSet(dir, "local_cpulist", "local_cpus"); ok {
			d.CPUs = local.Intersect(m.usable)
		} else if n := m.nodeIndex(d.Node); n >= 0 {
			d.CPUs = m.nodes[n].CPUs
		} else {
			d.CPUs = m.usable
		}
		if g := names[a]; g != nil {
			if g.Vendor != nil && g.Vendor.Name != "unknown" {
				d.Vendor = g.Vendor.Name
			}
			if g.Product != nil && g.Product.Name != "unknown" {
				d.Product = g.Product.Name
			}
			if g.Subclass != nil && g.Subclass.Name != "unknown" {
				d.Class = g.Subclass.Name
			}
			d.Driver = g.Driver
		}
		out = append(out, d)
	}
	return out
}

// pciAddresses lists the entries of sys/bus/pci/devices that look like PCI
// addresses, sorted.
func pciAddresses(f fsys) []string {
	var out []string
	for _, name := range f.names(pciDir) {
		if isPCIAddress(name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// isPCIAddress accepts dddd:bb:dd.f in hex, with a domain of 4 or 8 digits.
func isPCIAddress(s string) bool {
	dom, rest, ok := strings.Cut(s, ":")
	if !ok || (len(dom) != 4 && len(dom) != 8) || !isHex(dom) {
		return false
	}
	bus, rest, ok := strings.Cut(rest, ":")
	if !ok || len(bus) != 2 || !isHex(bus) {
		return false
	}
	dev, fn, ok := strings.Cut(rest, ".")
	return ok && len(dev) == 2 && isHex(dev) && len(fn) == 1 && fn[0] >= '0' && fn[0] <= '7'
}

func isHex(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return s != ""
}

// hexID reads a sysfs id such as "0x8086" and returns its last width hex
// digits, lower case, or "" when it is not one.
func hexID(f fsys, p string, width int) string {
	s, ok := f.read(p)
	if !ok {
		return ""
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 32)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%0*x", width, v)
}

// ghwPCI returns ghw's devices by address, for a machine loaded from a
// folder; nil otherwise, or when ghw fails.
func (m *Machine) ghwPCI() map[string]*ghwpci.Device {
	if m.root == "" {
		return nil
	}
	info, err := ghw.PCI(ghw.WithChroot(m.root), ghw.WithDisableTopology(), ghw.WithDisableWarnings(), ghw.WithPCIDB(pciNames()))
	if err != nil {
		return nil
	}
	out := map[string]*ghwpci.Device{}
	for _, d := range info.Devices {
		out[d.Address] = d
	}
	return out
}

var (
	pciNamesMu sync.Mutex
	pciNamesBy = map[string]*pcidb.PCIDB{} // by file, parsed once per process
)

// pciNames loads the first pci.ids of pciIDsPaths with pcidb, network
// fetching off and no cache, once per file; without one, an empty
// database, so that ghw does not look for one itself.
func pciNames() *pcidb.PCIDB {
	pciNamesMu.Lock()
	defer pciNamesMu.Unlock()
	off, cacheOnly := false, false
	for _, p := range pciIDsPaths {
		if db := pciNamesBy[p]; db != nil {
			return db
		}
		if _, err := os.Stat(p); err != nil {
			continue
		}
		db, err := pcidb.New(&pcidb.WithOption{Path: &p, EnableNetworkFetch: &off, CacheOnly: &cacheOnly})
		if err == nil {
			pciNamesBy[p] = db
			return db
		}
	}
	return &pcidb.PCIDB{Classes: map[string]*pcidb.Class{}, Vendors: map[string]*pcidb.Vendor{}, Products: map[string]*pcidb.Product{}}
}
