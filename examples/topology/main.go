// Command topology prints the machine as the topology package sees it: an
// lstopo-like tree (objects, OS indexes, cache sizes, memory per node), the
// CPUs this process may use, and the NUMA distance matrix.
//
//	go run ./examples/topology              # this machine
//	go run ./examples/topology -root DIR    # a recorded sysfs/procfs tree
//	go run ./examples/topology -json        # one JSON object
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
	"strings"

	"github.com/numapool/numapool/topology"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("topology", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", "/", "folder holding the machine's sys/ and proc/")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the tree")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	m, err := topology.Load(*root)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(report(m)); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		return 0
	}
	printTree(stdout, m)
	return 0
}

// printTree writes the tree, then the usable CPUs and the distances.
func printTree(w io.Writer, m *topology.Machine) {
	if info := m.CPUInfo(); info != nil {
		fmt.Fprintf(w, "CPU: %s (%s, family %d model %d stepping %d)\n", info.Brand, info.Vendor, info.Family, info.Model, info.Stepping)
		if len(info.Features) > 0 {
			fmt.Fprintf(w, "Features: %s\n", strings.Join(info.Features, " "))
		}
	}
	m.Tree().Walk(func(o *topology.Object, depth int) {
		fmt.Fprintf(w, "%s%s\n", strings.Repeat("  ", depth), label(o))
	})
	fmt.Fprintln(w)
	s := counts(m)
	fmt.Fprintf(w, "Counts: %d packages, %d NUMA nodes, %d cores, %d PUs\n", s.Packages, s.NUMANodes, s.Cores, s.PUs)
	fmt.Fprintf(w, "Usable CPUs: %s (%d of %d online; present %s)\n", m.Usable(), m.Usable().Len(), m.Online().Len(), m.Present())
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

// label is one line of the tree, lstopo style with OS indexes (P#).
func label(o *topology.Object) string {
	switch o.Type {
	case topology.MachineObject:
		return fmt.Sprintf("Machine (%s total)", size(o.Memory))
	case topology.NUMANodeObject:
		l := fmt.Sprintf("NUMANode P#%d (%s)", o.OSIndex, size(o.Memory))
		if o.Node.MemoryOnly {
			l += " memory only"
			if !o.CPUs.IsEmpty() {
				l += ", near CPUs " + o.CPUs.String()
			}
		}
		for _, h := range o.Node.HugePages {
			if h.Total > 0 {
				l += fmt.Sprintf(" %d x %s huge pages (%d free)", h.Total, size(h.Size), h.Free)
			}
		}
		if o.CPUs.IsEmpty() {
			l += " no usable CPU"
		}
		return l
	case topology.L3Object, topology.L2Object, topology.L1dObject:
		return fmt.Sprintf("%s (%s)", o.Type, size(o.Size))
	case topology.PackageObject:
		if o.CPUs.IsEmpty() {
			return fmt.Sprintf("Package P#%d no usable CPU", o.OSIndex)
		}
	}
	return fmt.Sprintf("%s P#%d", o.Type, o.OSIndex)
}

// size prints bytes as lstopo does: in the largest binary unit (KB = 1024
// bytes) that still shows at least 10 of it, rounded to the nearest unit.
func size(b uint64) string {
	switch {
	case b >= 10<<30:
		return fmt.Sprintf("%dGB", (b+1<<29)>>30)
	case b >= 10<<20:
		return fmt.Sprintf("%dMB", (b+1<<19)>>20)
	case b >= 10<<10:
		return fmt.Sprintf("%dKB", (b+1<<9)>>10)
	}
	return fmt.Sprintf("%dB", b)
}
