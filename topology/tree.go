package topology

import (
	"cmp"
	"slices"
)

// ObjectType names a kind of object in the machine tree, as hwloc does.
type ObjectType string

// Object types, from the root down.
const (
	MachineObject  ObjectType = "Machine"
	PackageObject  ObjectType = "Package"
	NUMANodeObject ObjectType = "NUMANode"
	L3Object       ObjectType = "L3"
	L2Object       ObjectType = "L2"
	L1dObject      ObjectType = "L1d"
	L1iObject      ObjectType = "L1i"
	CoreObject     ObjectType = "Core"
	PUObject       ObjectType = "PU"
)

var objectRank = map[ObjectType]int{
	MachineObject: 0, PackageObject: 1, NUMANodeObject: 2,
	L3Object: 3, L2Object: 4, L1dObject: 5, L1iObject: 6, CoreObject: 7, PUObject: 8,
}

// Object is one node of the machine tree.
type Object struct {
	Type ObjectType
	// LogicalIndex numbers the objects of one type 0, 1, ... in tree order
	// (depth first, children by first CPU), as hwloc's L# does.
	LogicalIndex int
	OSIndex      int    // -1 for the machine and caches
	CPUs         CPUSet // usable CPUs below this object
	Memory       uint64 // bytes: the machine's total, or a NUMA node's
	Size         uint64 // bytes, for caches
	Node         *Node  // for NUMANode objects
	Children     []*Object
}

// Tree returns the machine as a tree, each object under the smallest one
// whose CPUs contain its own: normally Machine > Package > NUMANode > L3 >
// L2 > L1d > L1i > Core > PU, but a NUMA node that spans packages sits
// above them. A node with no usable CPUs, or with memory only, sits under
// its package, or under the machine, and holds nothing. Instruction caches
// other than L1i are left out. Children are ordered by first CPU.
func (m *Machine) Tree() *Object {
	root := &Object{Type: MachineObject, OSIndex: -1, CPUs: m.usable, Memory: m.memTotal}
	all := m.objects()
	var objs []*Object
	pkgObj := map[*Package]*Object{}
	for _, p := range all.packages {
		o := &Object{Type: PackageObject, OSIndex: p.OSIndex, CPUs: p.CPUs}
		pkgObj[p] = o
		objs = append(objs, o)
	}
	// Nodes without usable CPUs, and memory-only nodes (whose CPUs are
	// only the nearest ones), hold no objects: they hang under their
	// package, or the machine.
	var leaves []*Object
	for _, n := range all.nodes {
		o := &Object{Type: NUMANodeObject, OSIndex: n.OSIndex, CPUs: n.CPUs, Memory: n.Memory, Node: n}
		if n.CPUs.IsEmpty() || n.MemoryOnly {
			leaves = append(leaves, o)
			continue
		}
		objs = append(objs, o)
	}
	for _, c := range m.caches {
		if c.Type == InstructionCache && c.Level != 1 || c.Level > 3 {
			continue
		}
		objs = append(objs, &Object{Type: ObjectType(c.Name()), OSIndex: -1, CPUs: c.CPUs, Size: c.Size})
	}
	for _, c := range all.cores {
		objs = append(objs, &Object{Type: CoreObject, OSIndex: c.OSIndex, CPUs: c.CPUs})
	}
	for _, p := range m.pus {
		objs = append(objs, &Object{Type: PUObject, OSIndex: p.OSIndex, CPUs: NewCPUSet(p.OSIndex)})
	}
	// Biggest first, and for equal CPUs the higher object first, so every
	// parent is placed before its children.
	slices.SortStableFunc(objs, func(a, b *Object) int {
		return cmp.Or(cmp.Compare(b.CPUs.Len(), a.CPUs.Len()), cmp.Compare(objectRank[a.Type], objectRank[b.Type]))
	})
	for _, o := range objs {
		if o.CPUs.IsEmpty() {
			root.Children = append(root.Children, o)
			continue
		}
		parent := root
	descend:
		for {
			for _, c := range parent.Children {
				if o.CPUs.IsSubsetOf(c.CPUs) && (!o.CPUs.Equal(c.CPUs) || objectRank[c.Type] < objectRank[o.Type]) {
					parent = c
					continue descend
				}
			}
			break
		}
		parent.Children = append(parent.Children, o)
	}
	for _, o := range leaves {
		parent := root
		if p := o.Node.Package; p != nil && pkgObj[p] != nil {
			parent = pkgObj[p]
		}
		parent.Children = append(parent.Children, o)
	}
	sortTree(root)
	next := map[ObjectType]int{}
	root.Walk(func(o *Object, _ int) {
		o.LogicalIndex = next[o.Type]
		next[o.Type]++
	})
	return root
}

func sortTree(o *Object) {
	slices.SortStableFunc(o.Children, func(a, b *Object) int {
		// Objects without CPUs go last, then by first CPU, then by rank.
		ae, be := a.CPUs.IsEmpty(), b.CPUs.IsEmpty()
		if ae != be {
			if ae {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(a.CPUs.First(), b.CPUs.First()),
			cmp.Compare(objectRank[a.Type], objectRank[b.Type]),
			cmp.Compare(a.OSIndex, b.OSIndex))
	})
	for _, c := range o.Children {
		sortTree(c)
	}
}

// Walk calls fn for o and every object below it, depth first, with the
// depth (0 for o).
func (o *Object) Walk(fn func(obj *Object, depth int)) {
	o.walk(fn, 0)
}

func (o *Object) walk(fn func(*Object, int), depth int) {
	fn(o, depth)
	for _, c := range o.Children {
		c.walk(fn, depth+1)
	}
}
