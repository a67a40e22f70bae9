package numavm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A Machine is one emulated computer: the QEMU options that make it, what
// its guest does before the tests, and what the tests must then find.
type Machine struct {
	Name string // used on the kernel command line and in file names
	Doc  string // one line: what the machine exercises

	CPU                     string // QEMU -cpu model; "" for QEMU's default
	Sockets, Cores, Threads int    // QEMU -smp topology; CPUs = their product
	Nodes                   []Node // NUMA nodes, numbered from 0
	// Distances holds the SLIT distance of each pair of nodes {a, b} with
	// a < b. When nil, QEMU's defaults apply (10 local, 20 remote).
	Distances map[[2]int]int

	// Setup holds shell lines the guest's init runs as root before the
	// tests, outside any cgroup (busybox sh).
	Setup []string
	// Cgroup, when set, is the cgroup v2 group the tests run in.
	Cgroup *Cgroup

	// Slow says the machine also runs the tests listed in SlowTests.
	Slow bool

	Want Want
}

// Node is one NUMA node of a Machine.
type Node struct {
	CPUs string // QEMU cpus= value, such as "0-1"; "" for a memory-only node
	MiB  int    // memory
}

// Cgroup is a cgroup v2 group made by the guest's init for the tests.
type Cgroup struct {
	CPUs, Mems string // cpuset.cpus and cpuset.mems; "" leaves them as inherited
	CPUMax     string // cpu.max, such as "200000 100000"; "" for no limit
}

// Want is what the guest's kernel must report to the tests.
type Want struct {
	Usable     string         // CPUs the tests may run on, as a CPU list
	Online     string         // online CPUs
	Packages   int            // packages holding usable CPUs
	Mems       []int          // NUMA nodes the tests may allocate from
	CPUsByNode map[int]string // node -> its own CPUs (not a memory-only node's nearest)
	Siblings   []string       // each core's usable SMT siblings, as CPU lists
	HugeNode   int            // the only node with reserved huge pages; -1 for none
	GOMAXPROCS int            // what the Go runtime picks in the test process
}

// CPUs returns the number of CPUs the machine has.
func (m Machine) CPUs() int { return m.Sockets * m.Cores * m.Threads }

// MiB returns the machine's memory, all nodes together.
func (m Machine) MiB() int {
	total := 0
	for _, n := range m.Nodes {
		total += n.MiB
	}
	return total
}

// Check reports a definition QEMU would refuse or the tests could not use,
// naming the machine and the fix.
func (m Machine) Check() error {
	if m.Name == "" || strings.ContainsAny(m.Name, " /=\t") {
		return fmt.Errorf("numavm: machine name %q: use letters, digits and dashes", m.Name)
	}
	if m.CPUs() < 1 {
		return fmt.Errorf("numavm: machine %s: Sockets, Cores and Threads must all be at least 1", m.Name)
	}
	if len(m.Nodes) == 0 {
		return fmt.Errorf("numavm: machine %s has no NUMA node; give it at least one Node", m.Name)
	}
	for i, n := range m.Nodes {
		if n.MiB < 128 {
			return fmt.Errorf("numavm: machine %s node %d has %d MiB; give each node at least 128", m.Name, i, n.MiB)
		}
	}
	for pair, d := range m.Distances {
		if pair[0] >= pair[1] || pair[1] >= len(m.Nodes) || pair[0] < 0 {
			return fmt.Errorf("numavm: machine %s: distance key %v must be two nodes a < b below %d", m.Name, pair, len(m.Nodes))
		}
		if d <= 10 || d > 255 {
			return fmt.Errorf("numavm: machine %s: distance %d between nodes %d and %d; use 11..255 (10 is local)", m.Name, d, pair[0], pair[1])
		}
	}
	if m.Distances != nil && len(m.Distances) != len(m.Nodes)*(len(m.Nodes)-1)/2 {
		return fmt.Errorf("numavm: machine %s: QEMU needs a distance for every pair of nodes (%d), got %d",
			m.Name, len(m.Nodes)*(len(m.Nodes)-1)/2, len(m.Distances))
	}
	return nil
}

// QEMUArgs returns the qemu-system-x86_64 arguments that boot the machine
// with kernel and initrd, the guest's console written to consoleLog and its
// second serial port (the results) to resultsLog.
func (m Machine) QEMUArgs(kernel, initrd, consoleLog, resultsLog string) []string {
	args := []string{
		"-nodefaults", "-display", "none", "-no-reboot",
		"-accel", "tcg,thread=multi",
		"-m", strconv.Itoa(m.MiB()) + "M",
		"-smp", fmt.Sprintf("%d,sockets=%d,cores=%d,threads=%d", m.CPUs(), m.Sockets, m.Cores, m.Threads),
	}
	if m.CPU != "" {
		args = append(args, "-cpu", m.CPU)
	}
	for i, n := range m.Nodes {
		args = append(args, "-object", fmt.Sprintf("memory-backend-ram,id=mem%d,size=%dM", i, n.MiB))
		opt := fmt.Sprintf("node,nodeid=%d,memdev=mem%d", i, i)
		for r := range strings.SplitSeq(n.CPUs, ",") {
			if r != "" {
				opt += ",cpus=" + r
			}
		}
		args = append(args, "-numa", opt)
	}
	pairs := make([][2]int, 0, len(m.Distances))
	for p := range m.Distances {
		pairs = append(pairs, p)
	}
	slices.SortFunc(pairs, func(a, b [2]int) int { return a[0]*1000 + a[1] - b[0]*1000 - b[1] })
	for _, p := range pairs {
		args = append(args, "-numa", fmt.Sprintf("dist,src=%d,dst=%d,val=%d", p[0], p[1], m.Distances[p]))
	}
	return append(args,
		"-kernel", kernel, "-initrd", initrd,
		"-append", "console=ttyS0 quiet loglevel=3 panic=-1 transparent_hugepage=madvise numavm.machine="+m.Name,
		"-serial", "file:"+consoleLog, "-serial", "file:"+resultsLog,
	)
}

// setupLines returns the shell lines that prepare the guest: the machine's
// Setup, then the making of its cgroup.
func (m Machine) setupLines() []string {
	lines := slices.Clone(m.Setup)
	if c := m.Cgroup; c != nil {
		lines = append(lines, "echo +cpuset +cpu > /sys/fs/cgroup/cgroup.subtree_control", "mkdir -p /sys/fs/cgroup/numavm")
		if c.CPUs != "" {
			lines = append(lines, "echo "+c.CPUs+" > /sys/fs/cgroup/numavm/cpuset.cpus")
		}
		if c.Mems != "" {
			lines = append(lines, "echo "+c.Mems+" > /sys/fs/cgroup/numavm/cpuset.mems")
		}
		if c.CPUMax != "" {
			lines = append(lines, "echo "+c.CPUMax+" > /sys/fs/cgroup/numavm/cpu.max")
		}
	}
	return lines
}
