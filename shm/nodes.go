package shm

import (
	"fmt"
	"slices"

	"github.com/numapool/numapool/topology"
)

// nodeInfo is what the topology layer says about the NUMA nodes this
// process may place pages on.
type nodeInfo struct {
	online   []int         // sorted; the nodes this process may allocate from
	memory   []int         // sorted; the nodes pages can be placed on
	distance map[int][]int // node -> distances to each online node, in online order
	cpuNode  func(cpu int) int
	// others holds the nodes of online CPUs that this process may not
	// allocate from (a cgroup's cpuset.cpus may reach beyond its
	// cpuset.mems), sorted.
	others []int
	// listed reports whether the kernel's distance table has node, in
	// online or not (memory-only nodes too); nil when unknown.
	listed func(node int) bool
}

// machineNodes returns the nodes of the machine this process runs on.
func machineNodes() (nodeInfo, error) {
	m, err := topology.Current()
	if err != nil {
		return nodeInfo{}, fmt.Errorf("shm: reading this machine's NUMA nodes: %w", err)
	}
	return nodesOf(m), nil
}

// nodesOf lists m's nodes (those this process may allocate from), the ones
// with memory, and the kernel's distances between them and from the nodes
// of online CPUs outside them. A node with no memory figure at all (a
// kernel without NUMA, say) counts as having memory, so that node 0 always
// exists.
func nodesOf(m *topology.Machine) nodeInfo {
	ni := nodeInfo{distance: map[int][]int{}, cpuNode: m.NodeOf}
	for _, n := range m.Nodes() {
		ni.online = append(ni.online, n.OSIndex)
		if n.Memory > 0 {
			ni.memory = append(ni.memory, n.OSIndex)
		}
	}
	if len(ni.memory) == 0 {
		ni.memory = slices.Clone(ni.online)
	}
	for cpu := range m.Online().All() {
		if n := m.NodeOf(cpu); n >= 0 && !slices.Contains(ni.online, n) && !slices.Contains(ni.others, n) {
			ni.others = append(ni.others, n)
		}
	}
	slices.Sort(ni.others)
	ni.listed = func(node int) bool { return m.Distance(node, node) >= 0 }
	for _, a := range slices.Concat(ni.online, ni.others) {
		row := make([]int, len(ni.online))
		for i, b := range ni.online {
			if row[i] = m.Distance(a, b); row[i] < 0 {
				row = nil // distances only refine the choice of a nearest replica
				break
			}
		}
		if row != nil {
			ni.distance[a] = row
		}
	}
	return ni
}

// check returns a clear error for a node that cannot hold pages.
func (ni nodeInfo) check(node int) error {
	if !slices.Contains(ni.online, node) {
		if slices.Contains(ni.others, node) || ni.listed != nil && ni.listed(node) {
			return fmt.Errorf("shm: NUMA node %d is outside the memory nodes this process may use "+
				"(its cgroup's cpuset.mems); use one of %v", node, ni.online)
		}
		if len(ni.others) > 0 {
			return fmt.Errorf("shm: NUMA node %d does not exist; the nodes this process may use are %v", node, ni.online)
		}
		return fmt.Errorf("shm: NUMA node %d does not exist; this machine's nodes are %v", node, ni.online)
	}
	if !slices.Contains(ni.memory, node) {
		return fmt.Errorf("shm: NUMA node %d has no memory of its own; nodes with memory are %v", node, ni.memory)
	}
	return nil
}

// nearest returns the entry of have closest to node by the kernel's distance
// table, the first on ties, and have[0] when node is unknown.
func (ni nodeInfo) nearest(node int, have []int) int {
	if slices.Contains(have, node) {
		return node
	}
	d, ok := ni.distance[node]
	if !ok {
		return have[0]
	}
	best, bestD := have[0], int(^uint(0)>>1)
	for _, h := range have {
		i := slices.Index(ni.online, h)
		if i >= 0 && d[i] < bestD {
			best, bestD = h, d[i]
		}
	}
	return best
}

// localNode returns the node with memory for a thread that may run on cpus:
// the one node holding them all, or, for a node without memory of its own,
// the nearest node with memory. CPUs spread over several nodes are an
// error. A CPU the topology places on no node counts as on the only node
// of a machine with one.
func (ni nodeInfo) localNode(cpus []int) (int, error) {
	var nodes []int
	for _, c := range cpus {
		n := -1
		if ni.cpuNode != nil {
			n = ni.cpuNode(c)
		}
		if n < 0 && len(ni.online) == 1 {
			n = ni.online[0]
		}
		if n < 0 {
			return 0, fmt.Errorf("shm: Local: the topology places CPU %d on no NUMA node; name the node with Bind(node)", c)
		}
		if !slices.Contains(nodes, n) {
			nodes = append(nodes, n)
		}
	}
	slices.Sort(nodes)
	if len(nodes) != 1 {
		return 0, fmt.Errorf("shm: Local needs the calling thread pinned within one NUMA node, but it may run on CPUs %v of nodes %v; "+
			"call it from a goroutine locked to its thread (runtime.LockOSThread) and pinned, as numapool workers are, "+
			"or name the node with Bind(node)", topology.NewCPUSet(cpus...), nodes)
	}
	if len(ni.memory) == 0 || slices.Contains(ni.memory, nodes[0]) {
		return nodes[0], nil
	}
	return ni.nearest(nodes[0], ni.memory), nil
}
