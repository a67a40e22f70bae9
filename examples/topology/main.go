// Command topology prints the machine as the topology package sees it: an
// lstopo-like tree with logical (L#) and OS (P#) indexes, cache sizes and
// memory per node, then the CPUs and memory nodes this process may use, its
// CPU limit, the PCI devices and the CPUs local to each, and the NUMA
// distance matrix.
//
//	go run ./examples/topology              # this machine
//	go run ./examples/topology -root DIR    # a recorded sysfs/procfs tree
//	go run ./examples/topology -json        # one JSON object
//	go run ./examples/topology -bridges     # PCI bridges too
//
// Identical siblings below a NUMA node print once, counted ("8 x L2 ...
// + Core"), and a chain of single children prints on one line joined by
// " + ", as lstopo does, so a 64-core machine takes about as many lines as
// lstopo's.
//
// The JSON object holds the keys of the topology corpus' expected files
// (packages, numa_nodes, cores, pus, pu_os_indexes, pus_by_node,
// pus_by_package, core_pus) with the same meaning, so any dump can be
// compared with hwloc's answer, plus more detail.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/numapool/numapool/topology"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("topology", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "/", "folder holding the machine's sys/ and proc/")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the tree")
	bridges := fs.Bool("bridges", false, "list PCI bridges too")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "topology: unexpected argument %q; give the folder with -root\n", fs.Arg(0))
		return 2
	}
	m, err := topology.Load(*root)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	devs := m.PCIDevices()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report(m, devs)); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	printMachine(stdout, m, devs, *bridges)
	return 0
}

// printMachine writes the tree, then the usable CPUs and nodes, the CPU
// limit, the PCI devices and the distances.
func printMachine(w io.Writer, m *topology.Machine, devs []topology.PCIDevice, bridges bool) {
	if info := m.CPUInfo(); info != nil {
		fmt.Fprintf(w, "CPU: %s (%s, family %d model %d stepping %d)\n", info.Brand, info.Vendor, info.Family, info.Model, info.Stepping)
		if len(info.Features) > 0 {
			fmt.Fprintf(w, "Features: %s\n", strings.Join(info.Features, " "))
		}
	}
	printTree(w, m.Tree())
	fmt.Fprintln(w)
	c := counts(m)
	fmt.Fprintf(w, "Counts: %d packages, %d NUMA nodes, %d cores, %d PUs\n", c.Packages, c.NUMANodes, c.Cores, c.PUs)
	fmt.Fprintf(w, "Usable CPUs: %s (%d of %d online; present %s)\n", m.Usable(), m.Usable().Len(), m.Online().Len(), m.Present())
	fmt.Fprintf(w, "Usable memory nodes: %s (%s)\n", usableNodes(m), size(m.Memory()))
	if limit, ok := m.CPULimit(); ok {
		fmt.Fprintf(w, "CPU limit: %s CPUs of time per period (cgroup); Go's GOMAXPROCS follows it\n", strconv.FormatFloat(limit, 'f', -1, 64))
	} else {
		fmt.Fprintln(w, "CPU limit: none")
	}
	printPCI(w, devs, bridges)
	ids, matrix := m.Distances()
	fmt.Fprintln(w, "NUMA distances:")
	fmt.Fprintf(w, "%6s", "")
	for _, id := range ids {
		fmt.Fprintf(w, " %5s", fmt.Sprintf("#%d", id))
	}
	fmt.Fprintln(w)
	for i, row := range matrix {
		fmt.Fprintf(w, "%6s", fmt.Sprintf("#%d", ids[i]))
		for _, d := range row {
			fmt.Fprintf(w, " %5d", d)
		}
		fmt.Fprintln(w)
	}
}

// usableNodes returns the OS indexes of the nodes the process may use.
func usableNodes(m *topology.Machine) topology.CPUSet {
	var s topology.CPUSet
	for _, n := range m.Nodes() {
		s = s.Add(n.OSIndex)
	}
	return s
}

// printPCI lists the PCI devices, bridges (class 06) only when asked.
func printPCI(w io.Writer, devs []topology.PCIDevice, bridges bool) {
	hidden := 0
	var lines []string
	for _, d := range devs {
		if !bridges && strings.HasPrefix(d.ClassID, "06") {
			hidden++
			continue
		}
		lines = append(lines, pciLine(d))
	}
	switch {
	case len(devs) == 0:
		fmt.Fprintln(w, "PCI devices: none listed")
		return
	case hidden > 0:
		fmt.Fprintf(w, "PCI devices (%d bridges not shown; -bridges shows them):\n", hidden)
	default:
		fmt.Fprintln(w, "PCI devices:")
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// pciLine is one device: address, class, names (or ids), node and CPUs.
func pciLine(d topology.PCIDevice) string {
	class := d.Class
	if class == "" {
		class = "class " + d.ClassID
	}
	name := strings.TrimSpace(d.Vendor + " " + d.Product)
	if d.Product == "" {
		name = strings.TrimSpace(fmt.Sprintf("%s [%s:%s]", d.Vendor, d.VendorID, d.ProductID))
	}
	where := "no NUMA node"
	if d.Node >= 0 {
		where = fmt.Sprintf("NUMANode P#%d", d.Node)
	}
	cpus := d.CPUs.String()
	if cpus == "" {
		cpus = "none usable"
	}
	return fmt.Sprintf("%s %s: %s (%s, CPUs %s)", d.Address, class, name, where, cpus)
}
