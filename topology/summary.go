package topology

// Summary is the machine reduced to the facts a worker pool depends on, with
// the keys and meaning of hwloc's answers in the topology corpus: counts of
// each object, the usable CPUs, the usable CPUs of each kept NUMA node and
// package (by OS index), and the usable SMT siblings of each core.
type Summary struct {
	Packages     int           `json:"packages"`
	NUMANodes    int           `json:"numa_nodes"`
	Cores        int           `json:"cores"`
	PUs          int           `json:"pus"`
	PUOSIndexes  []int         `json:"pu_os_indexes"`
	PUsByNode    map[int][]int `json:"pus_by_node"`
	PUsByPackage map[int][]int `json:"pus_by_package"`
	CorePUs      [][]int       `json:"core_pus"`
}

// Summary returns the machine's Summary.
func (m *Machine) Summary() Summary {
	s := Summary{
		Packages:     len(m.packages),
		NUMANodes:    len(m.nodes),
		Cores:        len(m.cores),
		PUs:          len(m.pus),
		PUOSIndexes:  m.usable.Slice(),
		PUsByNode:    map[int][]int{},
		PUsByPackage: map[int][]int{},
		CorePUs:      make([][]int, 0, len(m.cores)),
	}
	for _, n := range m.nodes {
		s.PUsByNode[n.OSIndex] = n.CPUs.Slice()
	}
	for _, p := range m.packages {
		s.PUsByPackage[p.OSIndex] = NewCPUSet(s.PUsByPackage[p.OSIndex]...).Union(p.CPUs).Slice()
	}
	for _, c := range m.cores {
		s.CorePUs = append(s.CorePUs, c.CPUs.Slice())
	}
	return s
}
