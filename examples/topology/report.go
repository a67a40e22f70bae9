package main

import "github.com/numapool/numapool/topology"

// Counts holds the keys of the topology corpus' expected files (hwloc's
// answers), with their meaning: counts of each object, the usable CPUs, the
// usable CPUs of each kept NUMA node and package (by OS index), and the
// usable SMT siblings of each core.
type Counts struct {
	Packages     int           `json:"packages"`
	NUMANodes    int           `json:"numa_nodes"`
	Cores        int           `json:"cores"`
	PUs          int           `json:"pus"`
	PUOSIndexes  []int         `json:"pu_os_indexes"`
	PUsByNode    map[int][]int `json:"pus_by_node"`
	PUsByPackage map[int][]int `json:"pus_by_package"`
	CorePUs      [][]int       `json:"core_pus"`
}

func counts(m *topology.Machine) Counts {
	pkgs, nodes, cores := m.Packages(), m.Nodes(), m.Cores()
	c := Counts{
		Packages:     len(pkgs),
		NUMANodes:    len(nodes),
		Cores:        len(cores),
		PUs:          m.Usable().Len(),
		PUOSIndexes:  m.Usable().Slice(),
		PUsByNode:    map[int][]int{},
		PUsByPackage: map[int][]int{},
		CorePUs:      make([][]int, 0, len(cores)),
	}
	for _, n := range nodes {
		c.PUsByNode[n.OSIndex] = n.CPUs.Slice()
	}
	for _, p := range pkgs {
		c.PUsByPackage[p.OSIndex] = topology.NewCPUSet(c.PUsByPackage[p.OSIndex]...).Union(p.CPUs).Slice()
	}
	for _, k := range cores {
		c.CorePUs = append(c.CorePUs, k.CPUs.Slice())
	}
	return c
}

// Report is the JSON form: the corpus keys (Counts) and more.
type Report struct {
	Counts
	Root   string          `json:"root"`
	Usable topology.CPUSet `json:"usable"`
	// UsableNodes are the NUMA nodes the process may allocate from.
	UsableNodes topology.CPUSet `json:"usable_nodes"`
	// CPULimit is the cgroup's CPU bandwidth limit in CPUs; null if none.
	CPULimit *float64 `json:"cpu_limit"`
	// PackageList lists every package, even two that share an OS index
	// (pus_by_package, keyed by OS index, merges those).
	PackageList []PackageReport      `json:"package_list"`
	PCI         []topology.PCIDevice `json:"pci_devices"`
	Online      topology.CPUSet      `json:"online"`
	Present     topology.CPUSet      `json:"present"`
	Memory      uint64               `json:"memory_bytes"`
	Nodes       []NodeReport         `json:"nodes"`
	Caches      []CacheReport        `json:"caches"`
	Distances   DistanceReport       `json:"distances"`
	HugePages   []topology.HugePages `json:"huge_pages"`
	CPU         *topology.CPUInfo    `json:"cpu,omitempty"`
}

// NodeReport is one NUMA node.
type NodeReport struct {
	OSIndex    int                  `json:"os_index"`
	CPUs       topology.CPUSet      `json:"cpus"`
	Memory     uint64               `json:"memory_bytes"`
	MemoryOnly bool                 `json:"memory_only"`
	HugePages  []topology.HugePages `json:"huge_pages"`
}

// PackageReport is one package.
type PackageReport struct {
	OSIndex int             `json:"os_index"`
	CPUs    topology.CPUSet `json:"cpus"`
	Nodes   []int           `json:"nodes"`
}

// CacheReport is one cache.
type CacheReport struct {
	Name string          `json:"name"`
	Size uint64          `json:"size_bytes"`
	CPUs topology.CPUSet `json:"cpus"`
}

// DistanceReport is the NUMA distance matrix between the kept nodes.
type DistanceReport struct {
	Nodes  []int   `json:"nodes"`
	Matrix [][]int `json:"matrix"`
}

func report(m *topology.Machine, devs []topology.PCIDevice) Report {
	r := Report{
		UsableNodes: usableNodes(m),
		PackageList: []PackageReport{},
		PCI:         devs,
		Counts:      counts(m),
		Root:        m.Root(),
		Usable:      m.Usable(),
		Online:      m.Online(),
		Present:     m.Present(),
		Memory:      m.Memory(),
		HugePages:   m.HugePages(),
		CPU:         m.CPUInfo(),
		Nodes:       []NodeReport{},
		Caches:      []CacheReport{},
	}
	for _, n := range m.Nodes() {
		r.Nodes = append(r.Nodes, NodeReport{n.OSIndex, n.CPUs, n.Memory, n.MemoryOnly, n.HugePages})
	}
	for _, c := range m.Caches() {
		r.Caches = append(r.Caches, CacheReport{c.Name(), c.Size, c.CPUs})
	}
	r.Distances.Nodes, r.Distances.Matrix = m.Distances()
	if limit, ok := m.CPULimit(); ok {
		r.CPULimit = &limit
	}
	if r.PCI == nil {
		r.PCI = []topology.PCIDevice{}
	}
	for _, p := range m.Packages() {
		pr := PackageReport{OSIndex: p.OSIndex, CPUs: p.CPUs, Nodes: []int{}}
		for _, n := range p.Nodes {
			pr.Nodes = append(pr.Nodes, n.OSIndex)
		}
		r.PackageList = append(r.PackageList, pr)
	}
	return r
}
