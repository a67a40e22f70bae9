package topology

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

const (
	cpuDir  = "sys/devices/system/cpu"
	nodeDir = "sys/devices/system/node"

	// localDistance is a node's distance to itself: ACPI's SLIT normalises
	// distances to it, and Linux prints it where there is no SLIT.
	localDistance = 10
	// kiB is the unit of meminfo and of huge page folder names ("kB").
	kiB = 1024
)

// cpuTopo is what sysfs says about one logical CPU.
type cpuTopo struct {
	id       int
	online   bool
	pkgID    int
	coreID   int
	siblings CPUSet // core_cpus / thread_siblings
	pkgCPUs  CPUSet // package_cpus / core_siblings
	noCore   bool   // no core file: hwloc makes no Core for the CPU
	noPkg    bool   // no package file: hwloc makes no Package for it
	book     CPUSet // s390 book_siblings; empty elsewhere
	drawer   CPUSet // s390 drawer_siblings; empty elsewhere
}

// sysNode is what sysfs says about one NUMA node.
type sysNode struct {
	id        int
	cpus      CPUSet // CPUs the kernel puts in the node
	local     CPUSet // cpus, or for a node without CPUs the nearest ones
	memory    uint64
	hugePages []HugePages
	dropped   bool // hidden: its CPUs repeat another node's, or GPU memory
}

var (
	currentOnce sync.Once
	current     *Machine
	currentErr  error
)

// Current returns this machine, loaded once per process and shared. It is
// safe to call from any goroutine, including one locked to a pinned thread:
// nothing it reports depends on the calling thread.
func Current() (*Machine, error) {
	currentOnce.Do(func() { current, currentErr = Load("/") })
	return current, currentErr
}

// Load reads the machine whose sysfs and procfs lie below the folder root;
// "" or "/" is the running machine, which alone also gets CPUInfo from
// cpuid. It reads a few files per CPU, cache and NUMA node: about a
// millisecond per hundred CPUs.
func Load(root string) (*Machine, error) {
	if root == "" {
		root = "/"
	}
	root = filepath.Clean(root)
	return load(os.DirFS(root), root)
}

// LoadFS reads the machine whose sys/ and proc/ folders lie at the top of
// fsys: a recorded or synthetic machine held in memory (see package
// topologytest). Its Root is "".
func LoadFS(fsys fs.FS) (*Machine, error) {
	if fsys == nil {
		return nil, errors.New("topology: LoadFS needs a file system; use Load(\"/\") for this machine")
	}
	return load(fsys, "")
}

func load(fsy fs.FS, root string) (*Machine, error) {
	f := fsys{fs: fsy}
	where := root
	if where == "" {
		where = "the file system given"
	}
	if !f.exists(cpuDir) {
		return nil, fmt.Errorf("topology: no %s below %s", cpuDir, where)
	}
	m := &Machine{root: root, fs: fsy, cpuNode: map[int]int{}}
	cpus := readCPUs(f)
	if len(cpus) == 0 {
		return nil, fmt.Errorf("topology: no CPUs listed in %s below %s", cpuDir, where)
	}
	for _, c := range cpus {
		m.present = m.present.Add(c.id)
		if c.online {
			m.online = m.online.Add(c.id)
		}
	}
	limits := readLimits(f, root == "/")
	m.cpuLimit = readCPULimit(f)
	m.allowed = m.present
	if limits.cpusOK {
		m.allowed = limits.cpus
	}
	m.usable = m.online.Intersect(m.allowed)
	if m.usable.IsEmpty() {
		return nil, fmt.Errorf("topology: no usable CPU below %s (online %q, allowed %q)", where, m.online, m.allowed)
	}

	nodes := readNodes(f, m.online)
	m.readDistances(f, nodes)
	localizeNodes(f, nodes, m)
	m.build(cpus, nodes, limits)
	m.caches = readCaches(f, m.usable)
	m.hugePages = readHugePages(f, "sys/kernel/mm/hugepages")
	// The nodes' sum, as hwloc reports it; proc/meminfo only without node
	// memory (inside some sandboxes it shows the host's, not the VM's).
	for _, n := range m.nodes {
		m.memTotal += n.Memory
	}
	if m.memTotal == 0 {
		m.memTotal = readMemTotal(f, "proc/meminfo", "MemTotal")
	}
	if root == "/" {
		m.info = readCPUInfo()
	}
	return m, nil
}

// readCPUs lists the cpuN folders, ascending, with their online state and
// topology files, accepting both list files and the hex masks of old
// kernels. Offline CPUs usually have no topology folder.
func readCPUs(f fsys) []cpuTopo {
	ids := f.numbered(cpuDir, "cpu")
	onlineAll, haveOnline := f.readList(path.Join(cpuDir, "online"))
	out := make([]cpuTopo, 0, len(ids))
	for _, id := range ids {
		dir := path.Join(cpuDir, "cpu"+strconv.Itoa(id))
		c := cpuTopo{id: id, online: true}
		if haveOnline {
			c.online = onlineAll.Has(id)
		} else if v := f.readInt(path.Join(dir, "online"), 1); v == 0 {
			c.online = false
		}
		td := path.Join(dir, "topology")
		c.pkgID = f.readInt(path.Join(td, "physical_package_id"), -1)
		c.coreID = f.readInt(path.Join(td, "core_id"), -1)
		// A CPU without topology files is a core of its own, in a package
		// with the other CPUs that have none.
		var ok bool
		c.siblings, ok = f.readSet(td, "core_cpus_list", "core_cpus", "thread_siblings_list", "thread_siblings")
		c.noCore = !ok
		c.pkgCPUs, ok = f.readSet(td, "package_cpus_list", "package_cpus", "core_siblings_list", "core_siblings")
		c.noPkg = !ok
		c.book, _ = f.readSet(td, "book_siblings_list", "book_siblings")
		c.drawer, _ = f.readSet(td, "drawer_siblings_list", "drawer_siblings")
		out = append(out, c)
	}
	return out
}

// readNodes reads the NUMA nodes, ascending by number. A node claiming CPUs
// that an earlier node already holds, and an NVIDIA GPU's memory node, is
// marked dropped, as hwloc does. Without a node folder the machine is one
// node 0 holding every CPU.
func readNodes(f fsys, cpus CPUSet) []*sysNode {
	ids := f.numbered(nodeDir, "node")
	if len(ids) == 0 {
		return []*sysNode{{
			id:        0,
			cpus:      cpus,
			local:     cpus,
			memory:    readMemTotal(f, "proc/meminfo", "MemTotal"),
			hugePages: readHugePages(f, "sys/kernel/mm/hugepages"),
		}}
	}
	gpu := gpuMemoryNodes(f)
	var claimed CPUSet
	out := make([]*sysNode, 0, len(ids))
	for _, id := range ids {
		dir := path.Join(nodeDir, "node"+strconv.Itoa(id))
		n := &sysNode{id: id}
		set, ok := f.readSet(dir, "cpulist", "cpumap")
		if !ok {
			set = NewCPUSet(f.numbered(dir, "cpu")...)
		}
		n.cpus = set.Intersect(cpus)
		n.local = n.cpus
		n.memory = readMemTotal(f, path.Join(dir, "meminfo"), "MemTotal")
		n.hugePages = readHugePages(f, path.Join(dir, "hugepages"))
		switch {
		case gpu.Has(id) && n.cpus.IsEmpty():
			n.dropped = true
		case !n.cpus.Intersect(claimed).IsEmpty():
			n.dropped = true
		default:
			claimed = claimed.Union(n.cpus)
		}
		out = append(out, n)
	}
	return out
}

// gpuMemoryNodes returns the nodes that NVIDIA's driver reports as GPU
// memory (proc/driver/nvidia/gpus/*/numa_status).
func gpuMemoryNodes(f fsys) CPUSet {
	var set CPUSet
	matches, _ := fs.Glob(f.fs, "proc/driver/nvidia/gpus/*/numa_status")
	for _, p := range matches {
		st, _ := f.read(p)
		for line := range strings.Lines(st) {
			k, v, _ := strings.Cut(line, ":")
			if strings.TrimSpace(k) == "Node" {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
					set = set.Add(n)
				}
			}
		}
	}
	return set
}

// readDistances reads each node's distance row; rows are ordered like the
// node folders. A malformed matrix is ignored.
func (m *Machine) readDistances(f fsys, nodes []*sysNode) {
	if !f.exists(nodeDir) {
		m.distIDs = []int{nodes[0].id}
		m.dist = [][]int{{localDistance}}
		return
	}
	ids := make([]int, len(nodes))
	rows := make([][]int, len(nodes))
	for i, n := range nodes {
		ids[i] = n.id
		s, ok := f.read(path.Join(nodeDir, "node"+strconv.Itoa(n.id), "distance"))
		if !ok {
			return
		}
		for fld := range strings.FieldsSeq(s) {
			v, err := strconv.Atoi(fld)
			if err != nil {
				return
			}
			rows[i] = append(rows[i], v)
		}
		if len(rows[i]) != len(nodes) {
			return
		}
	}
	m.distIDs, m.dist = ids, rows
}

// localizeNodes gives each node the CPUs it is local to, as hwloc does
// (look_sysfsnode in topology-linux.c): nodes with CPUs first, in order,
// add the CPUs of their HMAT initiators; then each node without CPUs takes
// its initiators' CPUs, or, when it has none, those of the nodes nearest
// to it (see localizeByDistance).
func localizeNodes(f fsys, nodes []*sysNode, m *Machine) {
	byID := map[int]*sysNode{}
	for _, n := range nodes {
		if !n.dropped {
			byID[n.id] = n
		}
	}
	initiators := func(n *sysNode) (CPUSet, bool) {
		// access1 lists the fastest CPU initiators; access0 may list a
		// generic initiator (a GPU, a NIC) instead, so it comes second.
		dir := path.Join(nodeDir, "node"+strconv.Itoa(n.id), "access1", "initiators")
		if !f.exists(dir) {
			dir = path.Join(nodeDir, "node"+strconv.Itoa(n.id), "access0", "initiators")
			if !f.exists(dir) {
				return CPUSet{}, false
			}
		}
		var cpus CPUSet
		for _, id := range f.numbered(dir, "node") {
			if o := byID[id]; o != nil && id != n.id {
				cpus = cpus.Union(o.local)
			}
		}
		return cpus, true
	}
	for _, n := range nodes {
		if !n.dropped && !n.cpus.IsEmpty() {
			if c, ok := initiators(n); ok {
				n.local = n.local.Union(c)
			}
		}
	}
	for i, n := range nodes {
		if n.dropped || !n.cpus.IsEmpty() {
			continue
		}
		if c, ok := initiators(n); ok && !c.IsEmpty() {
			n.local = n.local.Union(c)
			continue
		}
		localizeByDistance(i, nodes, m)
	}
}

// localizeByDistance gives node i, which has no CPUs, the CPUs of the nodes
// nearest to it, when the distances single out a strict subset of the other
// nodes and those are farther than the node itself (hwloc's
// fixup_cpuless_node_locality_from_distances).
func localizeByDistance(i int, nodes []*sysNode, m *Machine) {
	if m.dist == nil {
		return
	}
	n := nodes[i]
	best, count, others := -1, 0, 0
	for j, o := range nodes {
		if j == i || o.dropped {
			continue
		}
		others++
		d := m.dist[i][j]
		switch {
		case best < 0 || d < best:
			best, count = d, 1
		case d == best:
			count++
		}
	}
	if best < 0 || best <= m.dist[i][i] || count == others {
		return
	}
	for j, o := range nodes {
		if j != i && !o.dropped && m.dist[i][j] == best {
			n.local = n.local.Union(o.local)
		}
	}
}

// build makes the object tree from the CPUs and nodes, keeping what the
// process may use: usable CPUs, allowed nodes, and the packages holding
// either.
func (m *Machine) build(cpus []cpuTopo, nodes []*sysNode, limits processLimits) {
	byID := map[int]*cpuTopo{}
	var topo CPUSet
	for i := range cpus {
		if cpus[i].online {
			byID[cpus[i].id] = &cpus[i]
			topo = topo.Add(cpus[i].id)
		}
	}
	for _, n := range nodes {
		if n.dropped {
			continue
		}
		for c := range n.cpus.All() {
			m.cpuNode[c] = n.id
		}
	}

	// Packages: the CPUs sharing package_cpus, named by physical_package_id.
	type pkgInfo struct {
		p    *Package
		full CPUSet
	}
	var pkgs []pkgInfo
	var done CPUSet
	for c := range topo.All() {
		if done.Has(c) {
			continue
		}
		t := byID[c]
		full := t.pkgCPUs.Intersect(topo).Difference(done).Add(c)
		if t.pkgCPUs.IsEmpty() {
			full = CPUSet{}
			for d := range topo.Difference(done).All() {
				if byID[d].pkgID == t.pkgID && byID[d].pkgCPUs.IsEmpty() {
					full = full.Add(d)
				}
			}
		}
		done = done.Union(full)
		pkgs = append(pkgs, pkgInfo{p: &Package{OSIndex: t.pkgID, CPUs: full.Intersect(m.usable), hidden: t.noPkg}, full: full})
	}
	numberUnknownPackages(pkgs, byID, func(p pkgInfo) (*Package, CPUSet) { return p.p, p.full })

	// Nodes the process may allocate from.
	nodeByID := map[int]*Node{}
	for _, sn := range nodes {
		if sn.dropped || limits.memsOK && !limits.mems.Has(sn.id) {
			continue
		}
		n := &Node{
			OSIndex:    sn.id,
			CPUs:       sn.local.Intersect(m.usable),
			MemoryOnly: sn.cpus.IsEmpty(),
			Memory:     sn.memory,
			HugePages:  sn.hugePages,
		}
		for _, pk := range pkgs {
			if !sn.local.IsEmpty() && sn.local.IsSubsetOf(pk.full) {
				n.Package = pk.p
				pk.p.Nodes = append(pk.p.Nodes, n)
			}
		}
		m.nodes = append(m.nodes, n)
		nodeByID[n.OSIndex] = n
	}
	for _, pk := range pkgs {
		if !pk.p.CPUs.IsEmpty() || len(pk.p.Nodes) > 0 {
			m.packages = append(m.packages, pk.p)
		}
	}
	for _, n := range m.nodes {
		if n.Package != nil && !slices.Contains(m.packages, n.Package) {
			n.Package = nil
		}
	}

	// Cores: the usable CPUs sharing core_cpus within a package.
	puOf := map[int]*PU{}
	for _, pk := range pkgs {
		var coreDone CPUSet
		for c := range pk.full.Intersect(m.usable).All() {
			if coreDone.Has(c) {
				continue
			}
			t := byID[c]
			sib := t.siblings.Intersect(pk.full).Intersect(m.usable).Add(c).Difference(coreDone)
			// AMD compute units list two cores as thread siblings; their
			// core_id differs, and each is a core of its own.
			for s := range sib.All() {
				if byID[s].coreID != t.coreID {
					sib = sib.Difference(NewCPUSet(s))
				}
			}
			coreDone = coreDone.Union(sib)
			core := &Core{OSIndex: t.coreID, CPUs: sib, Package: pk.p, Node: nodeByID[m.NodeOf(c)], hidden: t.noCore}
			for s := range sib.All() {
				pu := &PU{OSIndex: s, Core: core, Package: pk.p, Node: nodeByID[m.NodeOf(s)]}
				core.PUs = append(core.PUs, pu)
				puOf[s] = pu
			}
			pk.p.Cores = append(pk.p.Cores, core)
			m.cores = append(m.cores, core)
		}
	}
	slices.SortFunc(m.cores, func(a, b *Core) int { return a.CPUs.First() - b.CPUs.First() })
	for c := range m.usable.All() {
		m.pus = append(m.pus, puOf[c])
	}
	m.indexGraph()
}

// numberUnknownPackages numbers the packages whose physical_package_id is
// -1 (s390, some POWER and ARM kernels) 0, 1, ... as hwloc's logical
// indexes run: in tree order, where s390 drawers and books group packages
// above them, each level ordered by first CPU. Without books, that is the
// order of the packages' first CPUs.
func numberUnknownPackages[P any](pkgs []P, byID map[int]*cpuTopo, get func(P) (*Package, CPUSet)) {
	type key struct {
		p                   *Package
		drawer, book, first int
	}
	var keys []key
	for _, pk := range pkgs {
		p, full := get(pk)
		if p.OSIndex >= 0 {
			continue
		}
		t := byID[full.First()]
		keys = append(keys, key{p, t.drawer.Add(t.id).First(), t.book.Add(t.id).First(), t.id})
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.drawer, b.drawer), cmp.Compare(a.book, b.book), cmp.Compare(a.first, b.first))
	})
	for i, k := range keys {
		k.p.OSIndex = i
	}
}

// readMemTotal reads a "key: N kB" line (meminfo style, with or without a
// "Node N" prefix) and returns bytes, or 0.
func readMemTotal(f fsys, p, key string) uint64 {
	s, ok := f.read(p)
	if !ok {
		return 0
	}
	for line := range strings.Lines(s) {
		fs := strings.Fields(line)
		for i := 0; i+1 < len(fs); i++ {
			if fs[i] == key+":" {
				v, err := strconv.ParseUint(fs[i+1], 10, 64)
				if err != nil {
					return 0
				}
				if i+2 < len(fs) && strings.EqualFold(fs[i+2], "kB") {
					v *= kiB
				}
				return v
			}
		}
	}
	return 0
}

// readHugePages reads the hugepages-<size>kB folders below dir.
func readHugePages(f fsys, dir string) []HugePages {
	var out []HugePages
	for _, kb := range f.numberedSuffix(dir, "hugepages-", "kB") {
		d := path.Join(dir, "hugepages-"+strconv.Itoa(kb)+"kB")
		out = append(out, HugePages{
			Size:  uint64(kb) * kiB,
			Total: f.readInt(path.Join(d, "nr_hugepages"), 0),
			Free:  f.readInt(path.Join(d, "free_hugepages"), 0),
		})
	}
	return out
}
