package main

import "github.com/numapool/numapool/topology"

// Report is the JSON form: the corpus keys (from topology.Summary) and more.
type Report struct {
	topology.Summary
	Root      string               `json:"root"`
	Usable    topology.CPUSet      `json:"usable"`
	Online    topology.CPUSet      `json:"online"`
	Present   topology.CPUSet      `json:"present"`
	Memory    uint64               `json:"memory_bytes"`
	Nodes     []NodeReport         `json:"nodes"`
	Caches    []CacheReport        `json:"caches"`
	Distances DistanceReport       `json:"distances"`
	HugePages []topology.HugePages `json:"huge_pages"`
	CPU       *topology.CPUInfo    `json:"cpu,omitempty"`
}

// NodeReport is one NUMA node.
type NodeReport struct {
	OSIndex    int                  `json:"os_index"`
	CPUs       topology.CPUSet      `json:"cpus"`
	Memory     uint64               `json:"memory_bytes"`
	MemoryOnly bool                 `json:"memory_only"`
	HugePages  []topology.HugePages `json:"huge_pages"`
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

func report(m *topology.Machine) Report {
	r := Report{
		Summary:   m.Summary(),
		Root:      m.Root(),
		Usable:    m.Usable(),
		Online:    m.Online(),
		Present:   m.Present(),
		Memory:    m.Memory(),
		HugePages: m.HugePages(),
		CPU:       m.CPUInfo(),
		Nodes:     []NodeReport{},
		Caches:    []CacheReport{},
	}
	for _, n := range m.Nodes() {
		r.Nodes = append(r.Nodes, NodeReport{n.OSIndex, n.CPUs, n.Memory, n.MemoryOnly, n.HugePages})
	}
	for _, c := range m.Caches() {
		r.Caches = append(r.Caches, CacheReport{c.Name(), c.Size, c.CPUs})
	}
	r.Distances.Nodes, r.Distances.Matrix = m.Distances()
	return r
}
