package topology_test

import (
	"fmt"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
)

func ExampleParseCPUList() {
	s, err := topology.ParseCPUList("0-3,8,10-11")
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Len(), s.Slice(), s.Mask())
	_, err = topology.ParseCPUList("0-3,x")
	fmt.Println(err)
	// Output:
	// 7 [0 1 2 3 8 10 11] 00000d0f
	// topology: bad CPU list "0-3,x": part "x": "x" is not a CPU number (digits only)
}

func ExampleParseCPUMask() {
	s, err := topology.ParseCPUMask("00000001,0000000f")
	if err != nil {
		panic(err)
	}
	fmt.Println(s)
	// Output: 0-3,32
}

func ExampleCPUSet_Difference() {
	all := topology.NewCPUSet(0, 1, 2, 3)
	taken := topology.NewCPUSet(1, 2)
	fmt.Println(all.Difference(taken), all.Intersect(taken), all.Union(topology.NewCPUSet(9)))
	// Output: 0,3 1-2 0-3,9
}

// A recorded or synthetic machine loads from its root folder (Load) or from
// a file system in memory (LoadFS).
func ExampleMachine_Place() {
	m, err := topology.LoadFS(topologytest.TwoSockets().FS())
	if err != nil {
		panic(err)
	}
	compact, _ := m.Place(4, topology.Compact, topology.CPUSet{})
	spread, _ := m.Place(4, topology.Spread, topology.CPUSet{})
	node3, _ := m.Place(2, topology.InNode(3), topology.CPUSet{})
	nested, _ := m.Place(3, topology.Compact, topology.NewCPUSet(6, 22))
	fmt.Println(compact, spread, node3, nested)
	// Output: [0 16 1 17] [0 8 4 12] [12 28] [6 22 6]
}

func ExampleMachine_CheckCPUs() {
	spec := topologytest.TwoSockets()
	spec.Offline = []int{7}
	spec.CgroupCPUs = "0-15"
	m, err := topology.LoadFS(spec.FS())
	if err != nil {
		panic(err)
	}
	fmt.Println(m.CheckCPUs(topology.NewCPUSet(2, 7)))
	fmt.Println(m.CheckCPUs(topology.NewCPUSet(20)))
	fmt.Println(m.CheckCPUs(topology.NewCPUSet(2, 3)))
	// Output:
	// CPU 7 is offline; usable CPUs are 0-6,8-15
	// CPU 20 is not allowed to this process (affinity mask or cgroup cpuset); usable CPUs are 0-6,8-15
	// <nil>
}

func ExampleCurrent() {
	m, err := topology.Current()
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Usable().IsSubsetOf(m.Online()), len(m.PUs()) == m.Usable().Len())
	// Output: true true
}

func ExampleMachine_Tree() {
	spec := topologytest.Spec{Packages: 1, NodesPerPackage: 1, CoresPerNode: 2, ThreadsPerCore: 2}
	m, err := topology.LoadFS(spec.FS())
	if err != nil {
		panic(err)
	}
	m.Tree().Walk(func(o *topology.Object, depth int) {
		fmt.Printf("%*s%s P#%d %s\n", 2*depth, "", o.Type, o.OSIndex, o.CPUs)
	})
	// Output:
	// Machine P#-1 0-3
	//   Package P#0 0-3
	//     NUMANode P#0 0-3
	//       L3 P#-1 0-3
	//         L2 P#-1 0,2
	//           L1d P#-1 0,2
	//             L1i P#-1 0,2
	//               Core P#0 0,2
	//                 PU P#0 0
	//                 PU P#2 2
	//         L2 P#-1 1,3
	//           L1d P#-1 1,3
	//             L1i P#-1 1,3
	//               Core P#1 1,3
	//                 PU P#1 1
	//                 PU P#3 3
}

// Each package lists its NUMA nodes and cores; each core its PUs.
func ExampleMachine_Packages() {
	spec := topologytest.TwoSockets()
	spec.Offline = []int{31}
	m, err := topology.LoadFS(spec.FS())
	if err != nil {
		panic(err)
	}
	for _, p := range m.Packages() {
		fmt.Printf("package %d: CPUs %s, %d nodes, %d cores\n", p.OSIndex, p.CPUs, len(p.Nodes), len(p.Cores))
	}
	fmt.Println(m.Node(3).CPUs, m.Cores()[15].CPUs)
	// Output:
	// package 0: CPUs 0-7,16-23, 2 nodes, 8 cores
	// package 1: CPUs 8-15,24-30, 2 nodes, 8 cores
	// 12-15,28-30 15
}

// A cgroup CPU limit (cpu.max "150000 100000": one and a half CPUs of time
// per period) leaves the usable CPUs as they are.
func ExampleMachine_CPULimit() {
	spec := topologytest.TwoSockets()
	spec.CPUMax = "150000 100000"
	m, err := topology.LoadFS(spec.FS())
	if err != nil {
		panic(err)
	}
	limit, ok := m.CPULimit()
	fmt.Println(limit, ok, m.Usable().Len())
	// Output: 1.5 true 32
}

// Workers that feed a NIC run on the CPUs local to it.
func ExampleNearDevice() {
	spec := topologytest.TwoSockets()
	spec.PCI = []topologytest.PCIDevice{{Address: "0000:3b:00.0", Vendor: "8086", Product: "1572", Class: "020000", Node: 2}}
	m, err := topology.LoadFS(spec.FS())
	if err != nil {
		panic(err)
	}
	for _, d := range m.PCIDevices() {
		fmt.Println(d.Address, d.ClassID, d.VendorID+":"+d.ProductID, d.Node, d.CPUs)
	}
	sets, err := m.Place(4, topology.NearDevice("0000:3b:00.0"), topology.CPUSet{})
	fmt.Println(sets, err)
	// Output:
	// 0000:3b:00.0 0200 8086:1572 2 8-11,24-27
	// [8 24 9 25] <nil>
}
