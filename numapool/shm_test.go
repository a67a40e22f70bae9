package numapool

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/shm"
	"github.com/numapool/numapool/topology"
)

// A replicated shm array given as the shared objects reaches each task as
// its worker's node-local copy, without the task asking.
//
// A copy goes on each worker's node that this process may allocate from
// (a cgroup's cpuset.mems may leave some out); a worker on another node
// gets the copy nearest to it, as Replicated.Local picks it.
func TestSharedReplicatedArrayIsNodeLocal(t *testing.T) {
	const n = 1 << 12
	m, err := topology.Current()
	require.NoError(t, err)
	allowed := map[int]bool{}
	for _, node := range m.Nodes() {
		allowed[node.OSIndex] = node.Memory > 0
	}
	nodes := map[int]bool{}
	p := newPool(t)
	for id := range p.Workers() {
		w := p.slots[id].Load()
		nodes[w.Node()] = true
	}
	var list []int
	for node := range nodes {
		require.GreaterOrEqual(t, node, 0, "a pinned worker sits on one node")
		if allowed[node] {
			list = append(list, node)
		}
	}
	if len(list) == 0 {
		list = nil // every node this process may allocate from
	}
	rep, err := shm.NewReplicated[float64](n, list)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, rep.Free()) })
	src := make([]float64, n)
	for i := range src {
		src[i] = float64(i) / 2
	}
	require.NoError(t, rep.Load(src))
	p.SetSharedObjects(rep)

	type seen struct {
		node int
		base uintptr
		val  float64
	}
	got, err := MapFunc(p, []int{0, 1, 2, 3, 100, 4095}, func(w *Worker, i int) (seen, error) {
		local, ok := Shared[[]float64](w)
		if !ok {
			return seen{}, assert.AnError
		}
		return seen{w.Node(), uintptr(unsafe.Pointer(&local[0])), local[i]}, nil
	}, ChunkSize(1))
	require.NoError(t, err)
	for k, s := range got {
		want := rep.Local(s.node)
		assert.Equal(t, uintptr(unsafe.Pointer(&want[0])), s.base, "the task saw the copy nearest to node %d", s.node)
		if own, ok := rep.Replica(s.node); ok {
			assert.Equal(t, uintptr(unsafe.Pointer(&own.Slice()[0])), s.base, "the task on node %d saw that node's own copy", s.node)
		} else {
			assert.False(t, allowed[s.node], "node %d may hold memory, so it has a copy", s.node)
		}
		assert.Equal(t, src[[]int{0, 1, 2, 3, 100, 4095}[k]], s.val)
	}
}

// Each worker's shared objects come from ForNode of that worker's node,
// whatever the nodes are (checked on a made-up layout, since this machine
// may have one node).
func TestSharedObjectsResolvePerWorkerNode(t *testing.T) {
	p := &Pool{n: 4, nodes: []int{0, 3, 1, 3}}
	obj := &perNode{}
	p.setShared(obj)
	got := p.shared.Load().perWorker
	assert.Equal(t, []any{"copy-of-node-0", "copy-of-node-3", "copy-of-node-1", "copy-of-node-3"}, got)

	p.setShared(42)
	assert.Equal(t, []any{42, 42, 42, 42}, p.shared.Load().perWorker, "other values reach every worker as they are")
}
