package numapool

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/numapool/numapool/shm"
)

// Per-worker scratch arrays made in init with shm.Local sit on the worker's
// own NUMA node, as move_pages reads them back. On a one-node machine this
// checks node 0; the multi-node QEMU machines (numavm/) run it on every node.
func TestWorkerStateScratchIsNodeLocal(t *testing.T) {
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
		assert.Equal(t, map[int]int{nodes[id]: st.Resident}, st.NodeBytes, "worker %d's scratch pages are on its node %d", id, nodes[id])
		assert.Equal(t, float64(id), a.Slice()[n-1])
	}
	require.NoError(t, p.Close())
}
