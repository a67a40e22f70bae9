package numavm

// Machines is the set make test-numa boots, longest first (they run two at
// a time). Sizes are kept small: QEMU's TCG runs every guest CPU on the
// host's few cores.
var Machines = []Machine{
	{
		Name: "memory-only", Doc: "a node with memory and no CPUs, as CXL memory looks",
		Sockets: 1, Cores: 2, Threads: 1,
		Nodes:     []Node{{"0-1", 768}, {"", 512}},
		Distances: map[[2]int]int{{0, 1}: 24},
		Slow:      true,
		Want: Want{
			Usable: "0-1", Online: "0-1", Packages: 1, Mems: []int{0, 1},
			CPUsByNode: map[int]string{0: "0-1", 1: ""},
			Siblings:   []string{"0", "1"},
			HugeNode:   -1, GOMAXPROCS: 2,
		},
	},
	{
		Name: "2pkg-4node", Doc: "2 packages x 2 nodes, SLIT distances 10/12/20",
		Sockets: 2, Cores: 2, Threads: 1,
		Nodes:     []Node{{"0", 512}, {"1", 512}, {"2", 512}, {"3", 512}},
		Distances: map[[2]int]int{{0, 1}: 12, {2, 3}: 12, {0, 2}: 20, {0, 3}: 20, {1, 2}: 20, {1, 3}: 20},
		Want: Want{
			Usable: "0-3", Online: "0-3", Packages: 2, Mems: []int{0, 1, 2, 3},
			CPUsByNode: map[int]string{0: "0", 1: "1", 2: "2", 3: "3"},
			Siblings:   []string{"0", "1", "2", "3"},
			HugeNode:   -1, GOMAXPROCS: 4,
		},
	},
	{
		Name: "smt", Doc: "SMT siblings (Intel Nehalem model, 2 threads on 1 core) beside a memory-only node",
		// Nehalem: an Intel model (QEMU reports threads through CPUID leaf
		// 0xB) without AVX, which TCG emulates slowly. Two CPUs only: under
		// TCG an SMT guest runs several times slower than a plain one.
		CPU: "Nehalem", Sockets: 1, Cores: 1, Threads: 2,
		Nodes: []Node{{"0-1", 768}, {"", 256}},
		Want: Want{
			Usable: "0-1", Online: "0-1", Packages: 1, Mems: []int{0, 1},
			CPUsByNode: map[int]string{0: "0-1", 1: ""},
			Siblings:   []string{"0-1"},
			HugeNode:   -1, GOMAXPROCS: 2,
		},
	},
	{
		Name: "hugetlb-offline", Doc: "2 MiB huge pages reserved on node 1 only; CPU 2 taken offline",
		Sockets: 1, Cores: 3, Threads: 1,
		Nodes: []Node{{"0", 512}, {"1-2", 512}},
		Setup: []string{
			"echo 24 > /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages",
			"echo 0 > /sys/devices/system/cpu/cpu2/online",
		},
		Want: Want{
			Usable: "0-1", Online: "0-1", Packages: 1, Mems: []int{0, 1},
			CPUsByNode: map[int]string{0: "0", 1: "1-2"},
			Siblings:   []string{"0", "1"},
			HugeNode:   1, GOMAXPROCS: 2,
		},
	},
	{
		Name: "cgroup", Doc: "the tests in a cgroup v2 group: cpuset.cpus 1-3, cpuset.mems 1, cpu.max of 2 CPUs",
		Sockets: 2, Cores: 2, Threads: 1,
		Nodes:  []Node{{"0-1", 512}, {"2-3", 512}},
		Cgroup: &Cgroup{CPUs: "1-3", Mems: "1", CPUMax: "200000 100000"},
		Want: Want{
			Usable: "1-3", Online: "0-3", Packages: 2, Mems: []int{1},
			CPUsByNode: map[int]string{0: "0-1", 1: "2-3"},
			Siblings:   []string{"1", "2", "3"},
			HugeNode:   -1, GOMAXPROCS: 2,
		},
	},
}

// SlowTests maps a test binary to a -test.skip pattern of tests that take
// minutes under TCG and do not depend on the machine's shape. Only machines
// marked Slow run them; the summary of every other machine names them.
var SlowTests = map[string]string{
	"numapool": "^(TestAllocationsDoNotGrowWithTasks|TestStress|TestStressOverload)$",
	"shm":      "^TestFreeCyclesKeepMappingsBounded$",
}

// Lookup returns the machine called name.
func Lookup(name string) (Machine, bool) {
	for _, m := range Machines {
		if m.Name == name {
			return m, true
		}
	}
	return Machine{}, false
}
