package numavm_test

// The checks only a real kernel answers. They run inside the machines of
// numavm.Machines (make test-numa), whose init sets $NUMAVM_MACHINE, and
// skip anywhere else: a host's NUMA shape is not what a Machine's Want says.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/numapool/numapool/csrc"
	"github.com/numapool/numapool/numapool"
	"github.com/numapool/numapool/numavm"
	"github.com/numapool/numapool/shm"
	"github.com/numapool/numapool/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pageSize = 4096

// guest returns the machine this test runs in, or skips.
func guest(t *testing.T) numavm.Machine {
	t.Helper()
	name := os.Getenv("NUMAVM_MACHINE")
	if name == "" {
		t.Skip("runs only inside a numavm guest (make test-numa sets NUMAVM_MACHINE there)")
	}
	m, ok := numavm.Lookup(name)
	require.True(t, ok, "NUMAVM_MACHINE=%q names no machine of numavm.Machines", name)
	return m
}

func cpuList(t *testing.T, s string) topology.CPUSet {
	t.Helper()
	set, err := topology.ParseCPUList(s)
	require.NoError(t, err, "CPU list %q", s)
	return set
}

// sysfsNode reads the node of cpu from its nodeN link in sysfs, without the
// topology package.
func sysfsNode(t *testing.T, cpu int) int {
	t.Helper()
	links, err := filepath.Glob(fmt.Sprintf("/sys/devices/system/cpu/cpu%d/node*", cpu))
	require.NoError(t, err)
	require.Len(t, links, 1, "CPU %d has one node link", cpu)
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(links[0]), "node"))
	require.NoError(t, err)
	return n
}

// bytesOf is the memory behind s.
func bytesOf[T any](s []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// pagesPerNode asks move_pages where each page of mem is, and counts them.
func pagesPerNode(t *testing.T, mem []byte) map[int]int {
	t.Helper()
	where, err := csrc.PageNodes(mem, pageSize)
	require.NoError(t, err)
	count := map[int]int{}
	for _, n := range where {
		count[n]++
	}
	return count
}

func newPool(t *testing.T, opts ...numapool.Option) *numapool.Pool {
	t.Helper()
	p, err := numapool.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

// cpusWithMemory lists, for each node the process may allocate from that
// also has usable CPUs, one such CPU.
func cpusWithMemory(t *testing.T, m numavm.Machine) map[int]int {
	usable := cpuList(t, m.Want.Usable)
	out := map[int]int{}
	for _, node := range m.Want.Mems {
		if c := cpuList(t, m.Want.CPUsByNode[node]).Intersect(usable); !c.IsEmpty() {
			out[node] = c.First()
		}
	}
	return out
}

// TestGuestTopology compares what the topology package reads on the live
// machine with the machine's definition.
func TestGuestTopology(t *testing.T) {
	vm := guest(t)
	m, err := topology.Current()
	require.NoError(t, err)
	w := vm.Want
	usable := cpuList(t, w.Usable)
	assert.Equal(t, usable.String(), m.Usable().String(), "usable CPUs")
	assert.Equal(t, cpuList(t, w.Online).String(), m.Online().String(), "online CPUs")
	assert.Len(t, m.Packages(), w.Packages, "packages")
	var nodes []int
	for _, n := range m.Nodes() {
		nodes = append(nodes, n.OSIndex)
		own := cpuList(t, w.CPUsByNode[n.OSIndex])
		assert.Equal(t, own.IsEmpty(), n.MemoryOnly, "node %d memory-only", n.OSIndex)
		if !own.IsEmpty() {
			assert.Equal(t, own.Intersect(usable).String(), n.CPUs.String(), "CPUs of node %d", n.OSIndex)
		}
	}
	assert.Equal(t, w.Mems, nodes, "NUMA nodes")
	var siblings []string
	for _, c := range m.Cores() {
		siblings = append(siblings, c.CPUs.String())
	}
	assert.Equal(t, w.Siblings, siblings, "SMT siblings per core")
	for pair, d := range vm.Distances {
		if slices.Contains(nodes, pair[0]) && slices.Contains(nodes, pair[1]) {
			assert.Equal(t, d, m.Distance(pair[0], pair[1]), "distance %v", pair)
			assert.Equal(t, d, m.Distance(pair[1], pair[0]), "distance %v", pair)
		}
	}
	for cpu := range usable.All() {
		assert.Equal(t, sysfsNode(t, cpu), m.NodeOf(cpu), "node of CPU %d", cpu)
	}
	assert.Equal(t, w.GOMAXPROCS, runtime.GOMAXPROCS(0), "GOMAXPROCS")
}

// TestGuestWorkersRunWherePlaced pins a one-worker pool to each usable CPU
// in turn, and a default pool over all of them, and asks the kernel where
// each task ran: sched_getcpu, the thread's affinity, and the CPU's node in
// sysfs must match what the pool says of the worker.
func TestGuestWorkersRunWherePlaced(t *testing.T) {
	vm := guest(t)
	usable := cpuList(t, vm.Want.Usable)
	type seen struct {
		cpu, wantNode int
		affinity      []int
		placed        topology.CPUSet
	}
	record := func(w *numapool.Worker, _ int) (seen, error) {
		aff, err := csrc.ThreadAffinity()
		return seen{cpu: csrc.CurrentCPU(), affinity: aff, wantNode: w.Node(), placed: w.CPUs()}, err
	}
	check := func(t *testing.T, got []seen) {
		for _, s := range got {
			assert.True(t, s.placed.Has(s.cpu), "ran on CPU %d, placed on %s", s.cpu, s.placed)
			assert.Equal(t, s.placed.Slice(), s.affinity, "thread affinity")
			assert.True(t, usable.Has(s.cpu), "CPU %d outside the usable %s", s.cpu, usable)
			if s.wantNode >= 0 {
				assert.Equal(t, s.wantNode, sysfsNode(t, s.cpu), "node of CPU %d", s.cpu)
			}
		}
	}
	for cpu := range usable.All() {
		t.Run(fmt.Sprintf("cpu%d", cpu), func(t *testing.T) {
			p := newPool(t, numapool.Workers(1), numapool.CPUIDs(cpu))
			got, err := numapool.MapFunc(p, make([]int, 8), record, numapool.ChunkSize(1))
			require.NoError(t, err)
			require.Len(t, got, 8)
			for _, s := range got {
				assert.Equal(t, cpu, s.cpu)
				assert.Equal(t, sysfsNode(t, cpu), s.wantNode, "Worker.Node on CPU %d", cpu)
			}
			check(t, got)
		})
	}
	t.Run("default", func(t *testing.T) {
		p := newPool(t)
		assert.Equal(t, min(usable.Len(), vm.Want.GOMAXPROCS), p.Workers(), "default worker count")
		covered := topology.CPUSet{}
		for id := range p.Workers() {
			covered = covered.Union(p.CPUs(id))
		}
		assert.True(t, covered.IsSubsetOf(usable), "workers placed on %s, usable %s", covered, usable)
		got, err := numapool.MapFunc(p, make([]int, 64), record, numapool.ChunkSize(1))
		require.NoError(t, err)
		check(t, got)
	})
}

// TestGuestBindReadsBack binds an array to each node the process may use
// and reads every page's node back with move_pages.
func TestGuestBindReadsBack(t *testing.T) {
	vm := guest(t)
	for _, node := range vm.Want.Mems {
		a, err := shm.New[int64](1<<18, shm.Bind(node), shm.NormalPages)
		require.NoError(t, err, "Bind(%d)", node)
		s := a.Slice()
		for i := range s {
			s[i] = int64(i)
		}
		pages := len(bytesOf(s)) / pageSize
		assert.Equal(t, map[int]int{node: pages}, pagesPerNode(t, bytesOf(s)), "pages of an array bound to node %d", node)
		require.NoError(t, a.Free())
	}
}

// TestGuestInterleaveReadsBack interleaves an array over every node the
// process may use: move_pages finds the same number of pages on each.
func TestGuestInterleaveReadsBack(t *testing.T) {
	vm := guest(t)
	k := len(vm.Want.Mems)
	a, err := shm.New[int64](k*1<<16, shm.Interleave(), shm.NormalPages)
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Free()) }()
	s := a.Slice()
	for i := range s {
		s[i] = 1
	}
	want := map[int]int{}
	for _, n := range vm.Want.Mems {
		want[n] = len(bytesOf(s)) / pageSize / k
	}
	assert.Equal(t, want, pagesPerNode(t, bytesOf(s)))
}

// TestGuestFirstTouchFollowsTheWorker lets a worker pinned on each node
// touch its own part of a FirstTouch array: each part's pages are on that
// worker's node (or, where the cgroup forbids that node, on allowed ones).
// WorkersOnly: the calling goroutine, which is not pinned, must not run a
// chunk of the loop itself.
func TestGuestFirstTouchFollowsTheWorker(t *testing.T) {
	vm := guest(t)
	all, err := topology.Current()
	require.NoError(t, err)
	var cpus []int
	for cpu := range cpuList(t, vm.Want.Usable).All() {
		cpus = append(cpus, cpu)
	}
	const part = 64 * pageSize / 8 // int64s in 64 pages
	a, err := shm.New[int64](part*len(cpus), shm.FirstTouch(), shm.NormalPages)
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Free()) }()
	s := a.Slice()
	for i, cpu := range cpus {
		p := newPool(t, numapool.Workers(1), numapool.CPUIDs(cpu), numapool.WorkersOnly())
		seg := s[i*part : (i+1)*part]
		require.NoError(t, numapool.For(p, len(seg), func(lo, hi int) {
			for j := lo; j < hi; j++ {
				seg[j] = int64(cpu)
			}
		}))
		local := all.NodeOf(cpu)
		got := pagesPerNode(t, bytesOf(seg))
		if slices.Contains(vm.Want.Mems, local) {
			assert.Equal(t, map[int]int{local: 64}, got, "pages first touched on CPU %d", cpu)
		} else {
			for n := range got {
				assert.Contains(t, vm.Want.Mems, n, "a page first touched on CPU %d (node %d, not allowed)", cpu, local)
			}
		}
	}
}

// TestGuestReplicasAreLocal makes one copy per node, checks each copy's
// pages, then hands the copies to a pool as its shared object: each worker
// must get its own node's copy (marked with the node's number), read from
// memory on that node.
func TestGuestReplicasAreLocal(t *testing.T) {
	vm := guest(t)
	r, err := shm.NewReplicated[int64](1<<16, nil)
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Free()) }()
	assert.Equal(t, vm.Want.Mems, r.Nodes(), "one copy per node the process may use")
	for _, node := range r.Nodes() {
		c, ok := r.Replica(node)
		require.True(t, ok)
		s := c.Slice()
		for i := range s {
			s[i] = int64(node)
		}
		assert.Equal(t, map[int]int{node: len(bytesOf(s)) / pageSize}, pagesPerNode(t, bytesOf(s)), "pages of node %d's copy", node)
	}
	withCPUs := cpusWithMemory(t, vm)
	var mu sync.Mutex
	reached := map[int]bool{}
	for node, cpu := range withCPUs {
		p := newPool(t, numapool.Workers(1), numapool.CPUIDs(cpu), numapool.SharedObjects(r))
		_, err := numapool.MapFunc(p, make([]int, 4), func(w *numapool.Worker, _ int) (int, error) {
			s, ok := numapool.Shared[[]int64](w)
			if !assert.True(t, ok, "worker on node %d gets a []int64", w.Node()) {
				return 0, nil
			}
			where := pagesPerNode(t, bytesOf(s[:pageSize/8]))
			assert.Equal(t, int64(node), s[0], "worker on node %d reads node %d's copy", node, s[0])
			assert.Equal(t, map[int]int{node: 1}, where, "the copy's memory")
			mu.Lock()
			reached[w.Node()] = true
			mu.Unlock()
			return 0, nil
		})
		require.NoError(t, err)
	}
	want := map[int]bool{}
	for node := range withCPUs {
		want[node] = true
	}
	assert.Equal(t, want, reached, "a worker ran on each node with CPUs")
}

// TestGuestHugeTLBFromTheNodeWithPages asks for HugeTLB pages where only
// one node has them: they come from that node.
func TestGuestHugeTLBFromTheNodeWithPages(t *testing.T) {
	vm := guest(t)
	if vm.Want.HugeNode < 0 {
		t.Skipf("machine %s reserves no huge pages (hugetlb-offline runs this)", vm.Name)
	}
	m, err := topology.Current()
	require.NoError(t, err)
	for _, n := range m.Nodes() {
		var pages int
		for _, h := range n.HugePages {
			pages += h.Total
		}
		if n.OSIndex == vm.Want.HugeNode {
			assert.NotZero(t, pages, "node %d has huge pages", n.OSIndex)
		} else {
			assert.Zero(t, pages, "node %d has no huge pages", n.OSIndex)
		}
	}
	a, err := shm.New[byte](4<<20, shm.HugeTLB)
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Free()) }()
	assert.Equal(t, shm.HugeTLB, a.Kind())
	s := a.Slice()
	for i := range s {
		s[i] = 1
	}
	where, err := csrc.PageNodes(s, 2<<20)
	require.NoError(t, err)
	assert.Equal(t, []int{vm.Want.HugeNode, vm.Want.HugeNode}, where, "node of each huge page")
}

// TestGuestCgroupLimits checks that nothing is placed outside the cgroup's
// cpus and mems, and that a cpu.max limit caps the default pool.
func TestGuestCgroupLimits(t *testing.T) {
	vm := guest(t)
	if vm.Cgroup == nil {
		t.Skipf("machine %s runs the tests in no cgroup (cgroup does)", vm.Name)
	}
	usable := cpuList(t, vm.Want.Usable)
	m, err := topology.Current()
	require.NoError(t, err)
	if vm.Cgroup.CPUs != "" {
		assert.True(t, m.Usable().IsSubsetOf(cpuList(t, vm.Cgroup.CPUs)), "usable %s inside cpuset.cpus %s", m.Usable(), vm.Cgroup.CPUs)
		for cpu := range cpuList(t, vm.Want.Online).Difference(usable).All() {
			assert.Error(t, m.CheckCPU(cpu), "CPU %d is outside the cgroup", cpu)
			_, err := numapool.New(numapool.CPUIDs(cpu))
			assert.Error(t, err, "a pool on CPU %d, outside the cgroup", cpu)
		}
	}
	p := newPool(t, numapool.WorkersOnly())
	assert.Equal(t, min(usable.Len(), vm.Want.GOMAXPROCS), p.Workers())
	for id := range p.Workers() {
		assert.True(t, p.CPUs(id).IsSubsetOf(usable), "worker %d on %s", id, p.CPUs(id))
	}
	// Memory with no policy, touched by every worker, stays in the mems.
	a, err := shm.New[int64](1<<18, shm.NormalPages)
	require.NoError(t, err)
	defer func() { require.NoError(t, a.Free()) }()
	s := a.Slice()
	require.NoError(t, numapool.For(p, len(s), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			s[i] = 1
		}
	}))
	for n := range pagesPerNode(t, bytesOf(s)) {
		assert.Contains(t, vm.Want.Mems, n, "a page on node %d", n)
	}
	if vm.Cgroup.Mems != "" {
		for _, n := range m.Nodes() {
			assert.Contains(t, vm.Want.Mems, n.OSIndex, "topology keeps node %d", n.OSIndex)
		}
		for node := range vm.Want.CPUsByNode {
			if !slices.Contains(vm.Want.Mems, node) {
				_, err := shm.New[int64](1024, shm.Bind(node))
				assert.ErrorContains(t, err, fmt.Sprintf("NUMA node %d is outside the memory nodes this process may use", node),
					"Bind(%d) outside cpuset.mems %s", node, vm.Cgroup.Mems)
			}
		}
	}
}

// TestGuestOfflineCPU checks that an offline CPU is never used.
func TestGuestOfflineCPU(t *testing.T) {
	vm := guest(t)
	online := cpuList(t, vm.Want.Online)
	if online.Len() == vm.CPUs() {
		t.Skipf("machine %s has every CPU online (hugetlb-offline runs this)", vm.Name)
	}
	m, err := topology.Current()
	require.NoError(t, err)
	for cpu := range vm.CPUs() {
		if online.Has(cpu) {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/sys/devices/system/cpu/cpu%d/online", cpu))
		require.NoError(t, err)
		assert.Equal(t, "0", strings.TrimSpace(string(b)), "CPU %d is offline in sysfs", cpu)
		assert.False(t, m.Usable().Has(cpu))
		assert.Error(t, m.CheckCPU(cpu), "CPU %d is offline", cpu)
		_, err = numapool.New(numapool.CPUIDs(cpu))
		assert.Error(t, err, "a pool on offline CPU %d", cpu)
	}
}
