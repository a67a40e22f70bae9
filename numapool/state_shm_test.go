package numapool

import (
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/shm"
	"github.com/numapool/numapool/topology"
)

// Per-worker scratch arrays made in init with shm.Local sit on the worker's
// own NUMA node, as move_pages reads them back. On a one-node machine this
// checks node 0; the multi-node QEMU machines (numavm/) run it on every node.
// A worker whose node this process may not allocate from (outside a
// cgroup's cpuset.mems) gets the nearest node it may use, by the kernel's
// distances.
func TestWorkerStateScratchIsNodeLocal(t *testing.T) {
	m, err := topology.Current()
	require.NoError(t, err)
	localTo := func(node int) int {
		var allowed []int
		for _, n := range m.Nodes() {
			if n.Memory > 0 {
				allowed = append(allowed, n.OSIndex)
			}
		}
		if len(allowed) == 0 || slices.Contains(allowed, node) {
			return node
		}
		best := allowed[0]
		for _, n := range allowed[1:] {
			if d := m.Distance(node, n); d >= 0 && d < m.Distance(node, best) {
				best = n
			}
		}
		return best
	}
	const n = 1 << 16 // 512 KiB of float64 per worker
	var mu sync.Mutex
	arrays := map[int]*shm.Array[float64]{} // by worker ID
	scratch := NewWorkerState(func(w *Worker) (*shm.Array[float64], error) {
		a, err := shm.New[float64](n, shm.Local())
		if err != nil {
			return nil, err
		}
		s := a.Slice()
		for i := range s {
			s[i] = float64(w.ID())
		}
		mu.Lock()
		arrays[w.ID()] = a
		mu.Unlock()
		return a, nil
	}, func(w *Worker, a **shm.Array[float64]) (any, error) { return nil, (*a).Free() })
	p, err := New(WithState(scratch))
	require.NoError(t, err)
	nodes := make([]int, p.Workers())
	for id := range nodes {
		nodes[id] = p.slots[id].Load().Node()
	}
	// Enough one-task chunks that every worker runs some: each waits
	// until every worker has made its scratch array.
	var ready sync.WaitGroup
	ready.Add(p.Workers())
	seen := make([]sync.Once, p.Workers())
	_, err = MapFunc(p, make([]int, p.Workers()), func(w *Worker, _ int) (float64, error) {
		seen[w.ID()].Do(ready.Done)
		ready.Wait()
		return (*scratch.Of(w)).Slice()[0], nil
	}, ChunkSize(1))
	require.NoError(t, err)
	require.Len(t, arrays, p.Workers(), "every worker made its scratch array")
	for id, a := range arrays {
		st, err := a.Stat()
		require.NoError(t, err)
		require.GreaterOrEqual(t, nodes[id], 0, "worker %d is pinned within one node", id)
		want := localTo(nodes[id])
		assert.Equal(t, map[int]int{want: st.Resident}, st.NodeBytes, "worker %d's scratch pages are on node %d (the worker's is %d)", id, want, nodes[id])
		assert.Equal(t, float64(id), a.Slice()[n-1])
	}
	require.NoError(t, p.Close())
}
