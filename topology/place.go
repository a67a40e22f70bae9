package topology

import (
	"errors"
	"fmt"
	"strings"
)

// Placement is a policy for putting workers on CPUs. The zero value is
// Compact.
type Placement struct {
	kind placeKind
	node int
	addr string
}

type placeKind int

const (
	compact placeKind = iota
	spread
	inNode
	nearDevice
)

var (
	// Compact fills one NUMA node before the next, one core after another,
	// all SMT siblings of a core before the next core: workers share caches.
	Compact = Placement{kind: compact}
	// Spread deals workers round-robin over packages and, inside each, over
	// NUMA nodes, one thread per core before any SMT sibling: workers get
	// the most cache and memory bandwidth.
	Spread = Placement{kind: spread}
)

// InNode keeps workers on the NUMA node with OS index id, compact inside it.
func InNode(id int) Placement { return Placement{kind: inNode, node: id} }

// NearDevice keeps workers on the usable CPUs local to the PCI device at
// address addr ("0000:3b:00.0", as PCIDevices and lspci -D name it), compact
// among them: work that feeds a NIC, GPU or NVMe drive runs next to it.
// Placing with it reads the machine's PCI devices (see PCIDevices).
func NearDevice(addr string) Placement { return Placement{kind: nearDevice, addr: addr} }

func (p Placement) String() string {
	switch p.kind {
	case nearDevice:
		return "near " + p.addr
	case spread:
		return "spread"
	case inNode:
		return fmt.Sprintf("node %d", p.node)
	}
	return "compact"
}

// Place returns n CPU sets, one per worker, each holding one CPU chosen by
// p among within ∩ m.Usable() (all usable CPUs when within is empty). When
// n exceeds the CPUs, the order starts again from the first.
func (m *Machine) Place(n int, p Placement, within CPUSet) ([]CPUSet, error) {
	if n <= 0 {
		return nil, fmt.Errorf("topology: cannot place %d workers", n)
	}
	order, err := m.Order(p, within)
	if err != nil {
		return nil, err
	}
	out := make([]CPUSet, n)
	for i := range out {
		out[i] = NewCPUSet(order[i%len(order)])
	}
	return out, nil
}

// Order returns the CPUs of within ∩ m.Usable() (all usable CPUs when within
// is empty) in the order p hands them to workers.
func (m *Machine) Order(p Placement, within CPUSet) ([]int, error) {
	cpus := m.usable
	if !within.IsEmpty() {
		cpus = cpus.Intersect(within)
		if cpus.IsEmpty() {
			return nil, fmt.Errorf("topology: no usable CPU in %s; usable CPUs are %s", within, m.usable)
		}
	}
	switch p.kind {
	case spread:
		return m.spreadOrder(cpus), nil
	case inNode:
		i := m.nodeIndex(p.node)
		if i < 0 {
			return nil, fmt.Errorf("topology: no NUMA node %d; nodes are %s", p.node, m.nodeIDs())
		}
		c := cpus.Intersect(m.nodes[i].CPUs)
		if c.IsEmpty() {
			return nil, fmt.Errorf("topology: NUMA node %d has no usable CPU in %s (its CPUs: %s)", p.node, cpus, m.nodes[i].CPUs)
		}
		return m.compactOrder(c), nil
	case nearDevice:
		d, err := m.pciDevice(p.addr)
		if err != nil {
			return nil, err
		}
		c := cpus.Intersect(d.CPUs)
		if c.IsEmpty() {
			return nil, fmt.Errorf("topology: PCI device %s has no usable CPU in %s (its local usable CPUs: %q)", p.addr, cpus, d.CPUs)
		}
		return m.compactOrder(c), nil
	case compact:
		return m.compactOrder(cpus), nil
	}
	return nil, errors.New("topology: unknown placement")
}

// pciDevice returns the PCI device at addr, or an error listing the
// addresses there are.
func (m *Machine) pciDevice(addr string) (PCIDevice, error) {
	devs := m.pciDevices(false) // locality needs no names
	var addrs []string
	for _, d := range devs {
		if strings.EqualFold(d.Address, addr) {
			return d, nil
		}
		addrs = append(addrs, d.Address)
	}
	if len(addrs) == 0 {
		return PCIDevice{}, fmt.Errorf("topology: no PCI device %q: this machine lists none in %s", addr, pciDir)
	}
	return PCIDevice{}, fmt.Errorf("topology: no PCI device %q; devices are %s (addresses as lspci -D prints them)", addr, strings.Join(addrs, " "))
}

func (m *Machine) nodeIDs() CPUSet {
	var s CPUSet
	for _, n := range m.nodes {
		s = s.Add(n.OSIndex)
	}
	return s
}

// coreGroups returns the cores holding CPUs of cpus, cut down to cpus and
// grouped by NUMA node and package: node by node (in node order, then cores
// in no kept node), inside a node package by package (so a node spanning
// packages gives one group per package), cores by first CPU.
func (m *Machine) coreGroups(cpus CPUSet) [][]CPUSet {
	var groups [][]CPUSet
	var seen CPUSet
	addGroups := func(in func(*Core) bool) {
		var pkgs []*Package
		byPkg := map[*Package][]CPUSet{}
		for _, c := range m.cores {
			if !in(c) {
				continue
			}
			if s := c.CPUs.Intersect(cpus).Difference(seen); !s.IsEmpty() {
				if _, ok := byPkg[c.Package]; !ok {
					pkgs = append(pkgs, c.Package)
				}
				byPkg[c.Package] = append(byPkg[c.Package], s)
				seen = seen.Union(s)
			}
		}
		for _, p := range pkgs {
			groups = append(groups, byPkg[p])
		}
	}
	for _, n := range m.nodes {
		if !n.MemoryOnly {
			addGroups(func(c *Core) bool { return c.Node == n })
		}
	}
	addGroups(func(*Core) bool { return true })
	return groups
}

// compactOrder: node by node, core by core, siblings together.
func (m *Machine) compactOrder(cpus CPUSet) []int {
	var out []int
	for _, g := range m.coreGroups(cpus) {
		for _, core := range g {
			out = append(out, core.Slice()...)
		}
	}
	return out
}

// spreadOrder: all first threads of cores before any second thread; within
// one thread rank, round-robin over packages, inside a package round-robin
// over its nodes, inside a node core after core.
func (m *Machine) spreadOrder(cpus CPUSet) []int {
	type nodeQ struct {
		pkg   *Package
		cores []CPUSet
	}
	var nodes []nodeQ
	for _, g := range m.coreGroups(cpus) {
		i, _ := m.puIndex(g[0].First())
		pkg := m.pus[i].Package
		nodes = append(nodes, nodeQ{pkg: pkg, cores: g})
	}
	// Package order: by first appearance; node order inside each package.
	var pkgs []*Package
	byPkg := map[*Package][]int{}
	for i, nq := range nodes {
		if _, ok := byPkg[nq.pkg]; !ok {
			pkgs = append(pkgs, nq.pkg)
		}
		byPkg[nq.pkg] = append(byPkg[nq.pkg], i)
	}
	maxRank := 0
	for _, nq := range nodes {
		for _, c := range nq.cores {
			maxRank = max(maxRank, c.Len())
		}
	}
	var out []int
	for rank := range maxRank {
		// One queue per node of the CPUs of this rank, core after core.
		queues := make([][]int, len(nodes))
		for i, nq := range nodes {
			for _, c := range nq.cores {
				if s := c.Slice(); rank < len(s) {
					queues[i] = append(queues[i], s[rank])
				}
			}
		}
		// Per package, interleave its nodes' queues.
		pkgQ := make([][]int, len(pkgs))
		for pi, p := range pkgs {
			pkgQ[pi] = interleave(pickQueues(queues, byPkg[p]))
		}
		out = append(out, interleave(pkgQ)...)
	}
	return out
}

func pickQueues(all [][]int, idx []int) [][]int {
	out := make([][]int, len(idx))
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}

// interleave takes one from each queue in turn until all are empty.
func interleave(qs [][]int) []int {
	var out []int
	for i := 0; ; i++ {
		took := false
		for _, q := range qs {
			if i < len(q) {
				out = append(out, q[i])
				took = true
			}
		}
		if !took {
			return out
		}
	}
}
