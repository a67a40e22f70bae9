package topology_test

import "github.com/numapool/numapool/topology"

// summary is a machine reduced to the keys of the corpus' expected files
// (hwloc's answers): counts of each object, the usable CPUs, the usable
// CPUs of each kept NUMA node and package (by OS index), and the usable SMT
// siblings of each core.
type summary struct {
	Packages     int           `json:"packages"`
	NUMANodes    int           `json:"numa_nodes"`
	Cores        int           `json:"cores"`
	PUs          int           `json:"pus"`
	PUOSIndexes  []int         `json:"pu_os_indexes"`
	PUsByNode    map[int][]int `json:"pus_by_node"`
	PUsByPackage map[int][]int `json:"pus_by_package"`
	CorePUs      [][]int       `json:"core_pus"`
}

func summarize(m *topology.Machine) summary {
	pkgs, nodes, cores := m.Packages(), m.Nodes(), m.Cores()
	s := summary{
		Packages:     len(pkgs),
		NUMANodes:    len(nodes),
		Cores:        len(cores),
		PUs:          len(m.PUs()),
		PUOSIndexes:  m.Usable().Slice(),
		PUsByNode:    map[int][]int{},
		PUsByPackage: map[int][]int{},
		CorePUs:      make([][]int, 0, len(cores)),
	}
	for _, n := range nodes {
		s.PUsByNode[n.OSIndex] = n.CPUs.Slice()
	}
	for _, p := range pkgs {
		s.PUsByPackage[p.OSIndex] = topology.NewCPUSet(s.PUsByPackage[p.OSIndex]...).Union(p.CPUs).Slice()
	}
	for _, c := range cores {
		s.CorePUs = append(s.CorePUs, c.CPUs.Slice())
	}
	return s
}
