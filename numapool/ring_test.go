package numapool

import (
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRingFIFO(t *testing.T) {
	r := newRing[int](5)
	assert.Len(t, r.slots, 8, "capacity rounds up to a power of two")
	assert.True(t, r.empty())
	for i := range 8 {
		require.True(t, r.push(i))
	}
	assert.False(t, r.push(8), "full")
	for i := range 8 {
		v, ok := r.pop()
		require.True(t, ok)
		assert.Equal(t, i, v)
	}
	_, ok := r.pop()
	assert.False(t, ok)
	assert.True(t, r.empty())
}

// A consumer that claimed a slot and has not released it makes a producer
// that wraps around to that slot wait; nothing is lost.
func TestRingPushWaitsForAClaimedSlot(t *testing.T) {
	r := newRing[int](2)
	require.True(t, r.push(1))
	require.True(t, r.push(2))
	// Claim slot 0 as pop does, without releasing it yet.
	require.True(t, r.head.CompareAndSwap(0, 1))
	v, ok := r.pop() // slot 1 goes normally
	require.True(t, ok)
	assert.Equal(t, 2, v)
	assert.False(t, r.push(3), "slot 0 is still held by the consumer that claimed it")
	pushed := make(chan struct{})
	go func() { r.pushWait(3); close(pushed) }()
	for range 100 {
		runtime.Gosched()
	}
	select {
	case <-pushed:
		t.Fatal("pushWait wrote into a slot still held by a consumer")
	default:
	}
	// Release slot 0 as pop would.
	r.slots[0].val = 0
	r.slots[0].seq.Store(0 + r.mask + 1)
	<-pushed
	v, ok = r.pop()
	require.True(t, ok)
	assert.Equal(t, 3, v)
}

// Many producers and consumers: every value comes out exactly once.
func TestRingStress(t *testing.T) {
	const producers, consumers, each = 4, 4, 5000
	r := newRing[int](8)
	seen := make([]int32, producers*each)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() {
			for i := range each {
				r.pushWait(p*each + i)
			}
		})
	}
	var got sync.WaitGroup
	remaining := producers * each
	for range consumers {
		got.Go(func() {
			for {
				mu.Lock()
				if remaining == 0 {
					mu.Unlock()
					return
				}
				mu.Unlock()
				v, ok := r.pop()
				if !ok {
					runtime.Gosched()
					continue
				}
				mu.Lock()
				seen[v]++
				remaining--
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	got.Wait()
	for v, n := range seen {
		require.Equal(t, int32(1), n, "value %d seen %d times", v, n)
	}
}

func TestRingHasAtLeastTwoSlots(t *testing.T) {
	r := newRing[int](1)
	require.True(t, r.push(1))
	require.True(t, r.push(2))
	assert.False(t, r.push(3), "a full ring refuses, never overwrites")
	for _, want := range []int{1, 2} {
		v, ok := r.pop()
		require.True(t, ok)
		assert.Equal(t, want, v)
	}
}
