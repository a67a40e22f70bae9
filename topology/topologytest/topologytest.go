// Package topologytest writes synthetic sysfs and procfs trees, laid out as
// the Linux kernel lays them out, so code that reads the topology can be
// tested on machines other than the one it runs on.
package topologytest

import (
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"testing/fstest"
)

// Spec describes a synthetic machine. CPUs are numbered as Linux numbers
// them on x86: first thread of every core (package by package, node by node,
// core by core), then every second thread, and so on. Node i of package p
// has OS index p*NodesPerPackage+i; core_id counts cores inside a package,
// so it repeats across packages, as on real machines.
type Spec struct {
	Packages, NodesPerPackage, CoresPerNode, ThreadsPerCore int

	Offline    []int  // CPUs whose online file says 0; they lose their topology folder
	Affinity   string // Cpus_allowed_list in proc/self/status; "" writes no status file
	MemsAllow  string // Mems_allowed_list in proc/self/status, with Affinity
	CgroupCPUs string // the process's cgroup cpuset CPUs; "" means no cpuset cgroup
	CgroupMems string // the process's cgroup cpuset nodes; "" means all nodes
	CgroupV1   bool   // v1 cpuset and cpu hierarchies instead of cgroup2
	// CpusetOnly writes the cpuset the old way: proc/self/cpuset names it
	// (there is no proc/self/cgroup) in a v1 hierarchy mounted with
	// noprefix on /dev/cpuset (files "cpus" and "mems"), beside a cgroup2
	// mount without the cpuset controller.
	CpusetOnly bool
	// CPUMax is the CPU bandwidth limit of the process's cgroup, as
	// cgroup2's cpu.max writes it ("200000 100000": 2 CPUs; "max 100000":
	// none); with CgroupV1 it becomes cpu.cfs_quota_us and
	// cpu.cfs_period_us. "" writes no limit.
	CPUMax string

	MemoryOnlyNodes int  // nodes with memory and no CPUs, numbered after the others
	NoNodeFolder    bool // no sys/devices/system/node at all
	OldKernel       bool // hex masks only: no *_list files, no top online file, no cpuX links

	// UnknownPackageIDs writes physical_package_id -1 (s390, some POWER
	// and ARM kernels); BookOf[p], when set, puts package p in s390 book
	// BookOf[p] (book_siblings), all books in one drawer.
	UnknownPackageIDs bool
	BookOf            []int
	// NoCoreFiles writes no core_cpus or thread_siblings files, and
	// NoPackageFiles no package_cpus or core_siblings files, as some
	// kernels (PS3, fake test machines) did.
	NoCoreFiles, NoPackageFiles bool
	// Initiators[n] lists the nodes whose CPUs are node n's HMAT
	// initiators (nodeN/access1/initiators/nodeM).
	Initiators map[int][]int
	// L2MapShared makes each L2's shared_cpu_map name two neighbouring
	// cores (0-1, 2-3, ... inside a node) while its shared_cpu_list names
	// the core alone, as a recorded AMD machine's kernel did.
	L2MapShared bool
	// EmptyL3Map writes the L3's shared_cpu_map as all zeros and no
	// shared_cpu_list, as ia64 kernels did.
	EmptyL3Map bool

	// PCI lists PCI devices, written below sys/devices/pci0000:00 with
	// their links in sys/bus/pci/devices.
	PCI []PCIDevice

	NodeMemoryMiB int // memory per node; 0 means 1024
	HugePages2M   int // 2 MiB huge pages reserved per node
}

// PCIDevice is a synthetic PCI device.
type PCIDevice struct {
	Address         string // "0000:3b:00.0"
	Vendor, Product string // hex ids, "8086", "1572"
	Class           string // class, subclass and interface, "020000"
	// Node is the NUMA node it is attached to; its local CPUs are the
	// node's. -1 writes numa_node -1 and every CPU as local.
	Node int
}

const (
	kBPerMiB = 1024
	// cfsPeriod is the kernel's default CPU bandwidth period: 100 ms, in
	// µs, as cpu.max and cpu.cfs_period_us write it.
	cfsPeriod = "100000"
)

// TwoSockets is 2 packages x 2 NUMA nodes x 4 cores x 2 threads: 32 CPUs,
// nodes 0-3, node n holding cores 4n..4n+3, CPUs 4n..4n+3 and 16+4n..16+4n+3.
func TwoSockets() Spec {
	return Spec{Packages: 2, NodesPerPackage: 2, CoresPerNode: 4, ThreadsPerCore: 2}
}

// Cores returns the number of physical cores.
func (s Spec) Cores() int { return s.Packages * s.NodesPerPackage * s.CoresPerNode }

// CPUs returns the number of logical CPUs.
func (s Spec) CPUs() int { return s.Cores() * s.ThreadsPerCore }

// CPU returns the Linux number of thread t of core c of node n of package p.
func (s Spec) CPU(p, n, c, t int) int {
	return t*s.Cores() + (p*s.NodesPerPackage+n)*s.CoresPerNode + c
}

// cpu describes one CPU's place.
type cpu struct{ pkg, node, core, thread int }

func (s Spec) place(id int) cpu {
	g := id % s.Cores()
	return cpu{
		pkg:    g / (s.NodesPerPackage * s.CoresPerNode),
		node:   g / s.CoresPerNode,
		core:   g % (s.NodesPerPackage * s.CoresPerNode),
		thread: id / s.Cores(),
	}
}

// FS returns the tree as an in-memory file system, for topology.LoadFS.
// Building it costs no disk access: about 1,600 entries for TwoSockets.
func (s Spec) FS() fstest.MapFS {
	w := &writer{files: fstest.MapFS{}}
	s.writeCPUs(w)
	if !s.NoNodeFolder {
		s.writeNodes(w)
	}
	s.writeProc(w)
	s.writePCI(w)
	return w.files
}

func (s Spec) writePCI(w *writer) {
	for _, d := range s.PCI {
		local := s.set(func(o cpu) bool { return d.Node < 0 || o.node == d.Node })
		dir := "sys/devices/pci0000:00/" + d.Address
		w.file(dir+"/vendor", "0x"+d.Vendor)
		w.file(dir+"/device", "0x"+d.Product)
		w.file(dir+"/class", "0x"+d.Class)
		w.file(dir+"/numa_node", strconv.Itoa(d.Node))
		w.file(dir+"/local_cpulist", listOf(local))
		w.file(dir+"/local_cpus", mask(local))
		w.file(dir+"/modalias", fmt.Sprintf("pci:v0000%sd0000%ssv00000000sd00000000bc%ssc%si%s",
			strings.ToUpper(d.Vendor), strings.ToUpper(d.Product), d.Class[0:2], d.Class[2:4], d.Class[4:6]))
		w.link("../../../devices/pci0000:00/"+d.Address, "sys/bus/pci/devices/"+d.Address)
	}
}

// Write creates the tree below dir (sys/ and proc/), for code that reads
// a folder.
func (s Spec) Write(dir string) error {
	return writeTree(s.FS(), dir)
}

func (s Spec) online(id int) bool { return !slices.Contains(s.Offline, id) }

// set returns the online CPUs for which keep is true.
func (s Spec) set(keep func(cpu) bool) []int {
	var out []int
	for id := range s.CPUs() {
		if s.online(id) && keep(s.place(id)) {
			out = append(out, id)
		}
	}
	return out
}

func (s Spec) writeCPUs(w *writer) {
	base := "sys/devices/system/cpu"
	all := s.set(func(cpu) bool { return true })
	w.file(base+"/possible", list(0, s.CPUs()-1))
	w.file(base+"/present", list(0, s.CPUs()-1))
	if !s.OldKernel {
		w.file(base+"/online", listOf(all))
	}
	for id := range s.CPUs() {
		d := fmt.Sprintf("%s/cpu%d", base, id)
		if id > 0 {
			w.file(d+"/online", map[bool]string{true: "1", false: "0"}[s.online(id)])
		}
		if !s.online(id) {
			continue
		}
		me := s.place(id)
		t := d + "/topology"
		pkgID := me.pkg
		if s.UnknownPackageIDs {
			pkgID = -1
		}
		w.file(t+"/physical_package_id", strconv.Itoa(pkgID))
		if me.pkg < len(s.BookOf) {
			book := s.set(func(o cpu) bool { return o.pkg < len(s.BookOf) && s.BookOf[o.pkg] == s.BookOf[me.pkg] })
			w.sets(t, "book_siblings", book, false)
			w.sets(t, "drawer_siblings", s.set(func(cpu) bool { return true }), false)
			w.file(t+"/book_id", strconv.Itoa(s.BookOf[me.pkg]))
			w.file(t+"/drawer_id", "0")
		}
		w.file(t+"/core_id", strconv.Itoa(me.core))
		sib := s.set(func(o cpu) bool { return o.pkg == me.pkg && o.core == me.core })
		pkg := s.set(func(o cpu) bool { return o.pkg == me.pkg })
		if !s.NoCoreFiles {
			w.sets(t, "thread_siblings", sib, s.OldKernel)
			if !s.OldKernel {
				w.sets(t, "core_cpus", sib, false)
			}
		}
		if !s.NoPackageFiles {
			w.sets(t, "core_siblings", pkg, s.OldKernel)
			if !s.OldKernel {
				w.sets(t, "package_cpus", pkg, false)
			}
		}
		node := s.set(func(o cpu) bool { return o.node == me.node })
		l2 := sib
		if s.L2MapShared {
			l2 = s.set(func(o cpu) bool { return o.pkg == me.pkg && o.core/2 == me.core/2 })
		}
		for i, c := range []struct {
			level int
			typ   string
			size  string
			share []int
		}{
			{1, "Data", "48K", sib},
			{1, "Instruction", "32K", sib},
			{2, "Unified", "2048K", l2},
			{3, "Unified", "16384K", node},
		} {
			ci := fmt.Sprintf("%s/cache/index%d", d, i)
			w.file(ci+"/level", strconv.Itoa(c.level))
			w.file(ci+"/type", c.typ)
			w.file(ci+"/size", c.size)
			w.file(ci+"/coherency_line_size", "64")
			w.file(ci+"/ways_of_associativity", "8")
			switch {
			case c.level == 3 && s.EmptyL3Map:
				w.file(ci+"/shared_cpu_map", mask(nil))
			case c.level == 2 && s.L2MapShared:
				w.file(ci+"/shared_cpu_map", mask(l2))
				w.file(ci+"/shared_cpu_list", listOf(sib))
			default:
				w.sets(ci, "shared_cpu", c.share, s.OldKernel)
			}
		}
	}
}

func (s Spec) nodes() int { return s.Packages*s.NodesPerPackage + s.MemoryOnlyNodes }

func (s Spec) nodeMiB() int {
	if s.NodeMemoryMiB == 0 {
		return 1024
	}
	return s.NodeMemoryMiB
}

// distance: 10 local, 12 inside a package, 20 across packages; a
// memory-only node is 17 from node 0 and 28 from the others.
func (s Spec) distance(a, b int) int {
	cpuNodes := s.Packages * s.NodesPerPackage
	switch {
	case a == b:
		return 10
	case a >= cpuNodes || b >= cpuNodes:
		if a == 0 || b == 0 {
			return 17
		}
		return 28
	case a/s.NodesPerPackage == b/s.NodesPerPackage:
		return 12
	}
	return 20
}

func (s Spec) writeNodes(w *writer) {
	base := "sys/devices/system/node"
	w.file(base+"/possible", list(0, s.nodes()-1))
	w.file(base+"/online", list(0, s.nodes()-1))
	for n := range s.nodes() {
		d := fmt.Sprintf("%s/node%d", base, n)
		cpus := s.set(func(o cpu) bool { return o.node == n })
		if s.OldKernel {
			w.file(d+"/cpumap", mask(cpus))
		} else {
			w.sets(d, "cpu", cpus, false)
			for _, c := range cpus {
				w.link(fmt.Sprintf("../../cpu/cpu%d", c), fmt.Sprintf("%s/cpu%d", d, c))
			}
		}
		kb := s.nodeMiB() * kBPerMiB
		w.file(d+"/meminfo", fmt.Sprintf("Node %d MemTotal:       %d kB\nNode %d MemFree:        %d kB\n", n, kb, n, kb/2))
		dist := make([]string, s.nodes())
		for o := range dist {
			dist[o] = strconv.Itoa(s.distance(n, o))
		}
		w.file(d+"/distance", strings.Join(dist, " "))
		for _, i := range s.Initiators[n] {
			w.link(fmt.Sprintf("../../../node%d", i), fmt.Sprintf("%s/access1/initiators/node%d", d, i))
		}
		hp := d + "/hugepages/hugepages-2048kB"
		w.file(hp+"/nr_hugepages", strconv.Itoa(s.HugePages2M))
		w.file(hp+"/free_hugepages", strconv.Itoa(s.HugePages2M))
		hp = d + "/hugepages/hugepages-1048576kB"
		w.file(hp+"/nr_hugepages", "0")
		w.file(hp+"/free_hugepages", "0")
	}
}

func (s Spec) writeProc(w *writer) {
	total := s.nodes() * s.nodeMiB() * kBPerMiB
	if s.NoNodeFolder {
		total = s.nodeMiB() * kBPerMiB
	}
	w.file("proc/meminfo", fmt.Sprintf("MemTotal:       %d kB\nMemFree:        %d kB\nHugepagesize:       2048 kB\nHugetlb:               0 kB\n", total, total/2))
	for _, kb := range []int{2048, 1048576} {
		hp := fmt.Sprintf("sys/kernel/mm/hugepages/hugepages-%dkB", kb)
		n := 0
		if kb == 2048 {
			n = s.HugePages2M * max(1, s.nodes())
		}
		w.file(hp+"/nr_hugepages", strconv.Itoa(n))
		w.file(hp+"/free_hugepages", strconv.Itoa(n))
	}
	if len(s.BookOf) > 0 {
		// What hwloc's dumps record of uname; hwloc reads books on s390 only.
		w.file("proc/hwloc-nofile-info", "Architecture: s390x")
	}
	if s.Affinity != "" {
		mems := s.MemsAllow
		if mems == "" {
			mems = list(0, max(1, s.nodes())-1)
		}
		w.file("proc/self/status", fmt.Sprintf("Name:\tfake\nState:\tR (running)\nCpus_allowed:\tffffffff\nCpus_allowed_list:\t%s\nMems_allowed_list:\t%s\n", s.Affinity, mems))
	}
	switch {
	case s.CpusetOnly:
		s.writeCpusetOnly(w)
	case s.CgroupV1:
		s.writeCgroupV1(w)
	default:
		s.writeCgroup2(w)
	}
}

// cgroupMems is the memory nodes of the process's cpuset.
func (s Spec) cgroupMems() string {
	if s.CgroupMems != "" {
		return s.CgroupMems
	}
	return list(0, max(1, s.nodes())-1)
}

func (s Spec) writeCpusetOnly(w *writer) {
	w.file("proc/self/cpuset", "/job")
	w.file("proc/mounts", "sysfs /sys sysfs rw 0 0\ncgroup2 /dev/cgroup cgroup2 rw 0 0\ncpuset /dev/cpuset cgroup rw,relatime,cpuset,noprefix 0 0\n")
	w.file("dev/cgroup/cgroup.controllers", "cpu io memory pids")
	w.file("dev/cpuset/cpus", list(0, s.CPUs()-1))
	w.file("dev/cpuset/mems", list(0, max(1, s.nodes())-1))
	if s.CgroupCPUs != "" {
		w.file("dev/cpuset/job/cpus", s.CgroupCPUs)
		w.file("dev/cpuset/job/mems", s.cgroupMems())
	}
}

func (s Spec) writeCgroupV1(w *writer) {
	w.file("proc/self/cgroup", "5:memory:/job\n4:cpuset:/job\n3:cpu,cpuacct:/job\n")
	w.file("proc/mounts", "sysfs /sys sysfs rw 0 0\ncgroup /sys/fs/cgroup/memory cgroup rw,nosuid,memory 0 0\ncgroup /sys/fs/cgroup/cpuset cgroup rw,nosuid,cpuset 0 0\ncgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,cpu,cpuacct 0 0\n")
	w.file("sys/fs/cgroup/cpuset/cpuset.cpus", list(0, s.CPUs()-1))
	if s.CgroupCPUs != "" {
		d := "sys/fs/cgroup/cpuset/job"
		w.file(d+"/cpuset.cpus", s.CgroupCPUs)
		w.file(d+"/cpuset.effective_cpus", s.CgroupCPUs)
		w.file(d+"/cpuset.mems", s.cgroupMems())
		w.file(d+"/cpuset.effective_mems", s.cgroupMems())
	}
	d := "sys/fs/cgroup/cpu,cpuacct"
	w.file(d+"/cpu.cfs_quota_us", "-1")
	w.file(d+"/cpu.cfs_period_us", cfsPeriod)
	quota, period := "-1", cfsPeriod
	if q, p, ok := strings.Cut(s.CPUMax, " "); ok {
		quota, period = q, p
		if q == "max" {
			quota = "-1"
		}
	}
	w.file(d+"/job/cpu.cfs_quota_us", quota)
	w.file(d+"/job/cpu.cfs_period_us", period)
}

func (s Spec) writeCgroup2(w *writer) {
	w.file("proc/self/cgroup", "0::/job.slice/step\n")
	w.file("proc/mounts", "sysfs /sys sysfs rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n")
	w.file("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids")
	w.file("sys/fs/cgroup/cpuset.cpus.effective", list(0, s.CPUs()-1))
	w.file("sys/fs/cgroup/cpuset.mems.effective", list(0, max(1, s.nodes())-1))
	d := "sys/fs/cgroup/job.slice"
	if s.CgroupCPUs != "" {
		// The cpuset controller is enabled on job.slice only: step has no
		// cpuset files, so a reader must walk up.
		w.file(d+"/cpuset.cpus.effective", s.CgroupCPUs)
		w.file(d+"/cpuset.mems.effective", s.cgroupMems())
	}
	// The limit sits on job.slice; step, below it, sets none: the
	// tightest limit on the way up is the one that holds.
	if s.CPUMax != "" {
		w.file(d+"/cpu.max", s.CPUMax)
	}
	w.file(d+"/step/cpu.max", "max "+cfsPeriod)
	w.file(d+"/step/cgroup.procs", "1")
}

// writer collects the files of a tree.
type writer struct{ files fstest.MapFS }

func (w *writer) file(rel, content string) {
	w.files[rel] = &fstest.MapFile{Data: []byte(content + "\n"), Mode: 0o644}
}

func (w *writer) link(target, rel string) {
	w.files[rel] = &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink | 0o777}
}

// sets writes name (a hex mask) and, unless maskOnly, name_list (or, for a
// node's "cpu", cpumap and cpulist).
func (w *writer) sets(dir, name string, cpus []int, maskOnly bool) {
	if name == "cpu" {
		w.file(dir+"/cpumap", mask(cpus))
		w.file(dir+"/cpulist", listOf(cpus))
		return
	}
	file := name
	if name == "shared_cpu" {
		file = "shared_cpu_map"
	}
	w.file(dir+"/"+file, mask(cpus))
	if !maskOnly {
		w.file(dir+"/"+strings.TrimSuffix(name, "_map")+"_list", listOf(cpus))
	}
}

// list returns "a-b" (or "a" when a == b).
func list(a, b int) string {
	if a == b {
		return strconv.Itoa(a)
	}
	return fmt.Sprintf("%d-%d", a, b)
}

// listOf returns sorted CPUs in Linux list syntax.
func listOf(cpus []int) string {
	c := slices.Sorted(slices.Values(cpus))
	var parts []string
	for i := 0; i < len(c); {
		j := i
		for j+1 < len(c) && c[j+1] == c[j]+1 {
			j++
		}
		parts = append(parts, list(c[i], c[j]))
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// mask returns CPUs as a Linux hex mask of 32-bit words, most significant
// first, at least one word.
func mask(cpus []int) string {
	top := 0
	for _, c := range cpus {
		top = max(top, c)
	}
	words := make([]uint32, top/32+1)
	for _, c := range cpus {
		words[c/32] |= 1 << uint(c%32)
	}
	parts := make([]string, len(words))
	for i, v := range words {
		parts[len(words)-1-i] = fmt.Sprintf("%08x", v)
	}
	return strings.Join(parts, ",")
}
