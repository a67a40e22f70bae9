package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/numapool/numapool/topology"
)

// printTree writes the tree lstopo's way: a chain of single children on one
// line joined by " + ", and, below NUMA nodes, a run of identical siblings
// once, as "N x ..." with the logical indexes and CPUs it covers.
func printTree(w io.Writer, root *topology.Object) {
	printObject(w, root, 0)
}

func printObject(w io.Writer, o *topology.Object, depth int) {
	chain := singleChain(o)
	labels := make([]string, len(chain))
	for i, c := range chain {
		labels[i] = label(c)
	}
	fmt.Fprintf(w, "%s%s\n", strings.Repeat("  ", depth), strings.Join(labels, " + "))
	printChildren(w, chain[len(chain)-1].Children, depth+1)
}

// printChildren prints children, folding runs of identical ones.
func printChildren(w io.Writer, children []*topology.Object, depth int) {
	for i := 0; i < len(children); {
		j := i + 1
		if foldable(children[i]) {
			for j < len(children) && shape(children[j]) == shape(children[i]) {
				j++
			}
		}
		if j-i == 1 {
			printObject(w, children[i], depth)
			i = j
			continue
		}
		run := children[i:j]
		var cpus topology.CPUSet
		for _, c := range run {
			cpus = cpus.Union(c.CPUs)
		}
		printShape(w, run[0], depth, fmt.Sprintf("%d x ", len(run)),
			fmt.Sprintf("  L#%d-%d, CPUs %s", run[0].LogicalIndex, run[len(run)-1].LogicalIndex, cpus))
		i = j
	}
}

// printShape prints o without indexes (its run prints the indexes once),
// with prefix and suffix on its first line, and its children the same way.
func printShape(w io.Writer, o *topology.Object, depth int, prefix, suffix string) {
	chain := singleChain(o)
	labels := make([]string, len(chain))
	for i, c := range chain {
		labels[i] = shapeLabel(c)
	}
	fmt.Fprintf(w, "%s%s%s%s\n", strings.Repeat("  ", depth), prefix, strings.Join(labels, " + "), suffix)
	children := chain[len(chain)-1].Children
	for i := 0; i < len(children); {
		j := i + 1
		for j < len(children) && shape(children[j]) == shape(children[i]) {
			j++
		}
		p := ""
		if j-i > 1 {
			p = fmt.Sprintf("%d x ", j-i)
		}
		printShape(w, children[i], depth+1, p, "")
		i = j
	}
}

// singleChain returns o and its descendants while each has one child.
func singleChain(o *topology.Object) []*topology.Object {
	chain := []*topology.Object{o}
	for len(o.Children) == 1 {
		o = o.Children[0]
		chain = append(chain, o)
	}
	return chain
}

// foldable says whether o may be folded with identical siblings: objects
// below NUMA nodes, whose identity matters less than their count.
func foldable(o *topology.Object) bool {
	switch o.Type {
	case topology.MachineObject, topology.PackageObject, topology.NUMANodeObject:
		return false
	}
	return true
}

// shape describes o and its subtree by types and sizes only.
func shape(o *topology.Object) string {
	var b strings.Builder
	b.WriteString(shapeLabel(o))
	b.WriteByte('(')
	for _, c := range o.Children {
		b.WriteString(shape(c))
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// shapeLabel is label without indexes.
func shapeLabel(o *topology.Object) string {
	switch o.Type {
	case topology.L3Object, topology.L2Object, topology.L1dObject, topology.L1iObject:
		return fmt.Sprintf("%s (%s)", o.Type, size(o.Size))
	}
	return string(o.Type)
}

// label is one object, lstopo style, with its logical (L#) and OS (P#)
// indexes.
func label(o *topology.Object) string {
	switch o.Type {
	case topology.MachineObject:
		return fmt.Sprintf("Machine (%s total)", size(o.Memory))
	case topology.NUMANodeObject:
		l := fmt.Sprintf("NUMANode L#%d P#%d (%s)", o.LogicalIndex, o.OSIndex, size(o.Memory))
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
	case topology.L3Object, topology.L2Object, topology.L1dObject, topology.L1iObject:
		return fmt.Sprintf("%s L#%d (%s)", o.Type, o.LogicalIndex, size(o.Size))
	case topology.PackageObject:
		if o.CPUs.IsEmpty() {
			return fmt.Sprintf("Package L#%d P#%d no usable CPU", o.LogicalIndex, o.OSIndex)
		}
	}
	return fmt.Sprintf("%s L#%d P#%d", o.Type, o.LogicalIndex, o.OSIndex)
}

// size prints bytes as lstopo does: in the largest binary unit (KB = 1024
// bytes) that still shows at least 10 of it, rounded to the nearest unit,
// up to PB.
func size(b uint64) string {
	const (
		unitShift = 10 // each unit is 1024 of the one before
		atLeast   = 10 // lstopo moves up a unit once it shows at least 10 of it
	)
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	u := 0
	for u+1 < len(units) && b>>(unitShift*(u+1)) >= atLeast {
		u++
	}
	if u == 0 {
		return fmt.Sprintf("%dB", b)
	}
	shift := uint(unitShift * u)
	return fmt.Sprintf("%d%s", (b+1<<(shift-1))>>shift, units[u])
}
