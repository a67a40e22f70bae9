package numapool

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/shm"
)

// A replicated shm array given as the shared objects reaches each task as
// its worker's node-local copy, without the task asking.
func TestSharedReplicatedArrayIsNodeLocal(t *testing.T) {
	const n = 1 << 12
	nodes := map[int]bool{}
	p := newPool(t)
	for id := range p.Workers() {
		w := p.slots[id].Load()
		nodes[w.Node()] = true
	}
	var list []int
	for node := range nodes {
		require.GreaterOrEqual(t, node, 0, "a pinned worker sits on one node")
		list = append(list, node)
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
		assert.Equal(t, uintptr(unsafe.Pointer(&want[0])), s.base, "the task saw the copy of node %d", s.node)
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
