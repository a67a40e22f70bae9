//go:build linux && cgo

package csrc

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// onLockedThread runs f on a fresh goroutine locked to its own thread and
// lets that thread end afterwards, so that a pinned mask never leaks into the
// test binary's other threads.
func onLockedThread(t *testing.T, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		f()
	}()
	<-done
}

func TestPinThreadReadsBack(t *testing.T) {
	all, err := ThreadAffinity()
	require.NoError(t, err)
	require.NotEmpty(t, all)
	for _, cpu := range all {
		onLockedThread(t, func() {
			require.NoError(t, PinThread([]int{cpu}))
			mask, err := ThreadAffinity()
			require.NoError(t, err)
			assert.Equal(t, []int{cpu}, mask)
			for range 100 {
				assert.Equal(t, cpu, CurrentCPU())
				runtime.Gosched()
			}
		})
	}
}

func TestPinThreadSet(t *testing.T) {
	all, err := ThreadAffinity()
	require.NoError(t, err)
	onLockedThread(t, func() {
		require.NoError(t, PinThread(all))
		mask, err := ThreadAffinity()
		require.NoError(t, err)
		assert.Equal(t, all, mask)
		assert.Contains(t, all, CurrentCPU())
	})
}

func TestPinThreadRejectsBadInput(t *testing.T) {
	assert.ErrorContains(t, PinThread(nil), "at least one CPU")
	assert.ErrorContains(t, PinThread([]int{-1}), "CPU -1 is outside")
	assert.ErrorContains(t, PinThread([]int{maxCPUs}), "outside")
}

func TestThreadIDDiffersPerThread(t *testing.T) {
	ids := make(chan int, 2)
	for range 2 {
		onLockedThread(t, func() { ids <- ThreadID() })
	}
	a, b := <-ids, <-ids
	assert.Positive(t, a)
	assert.NotEqual(t, a, b, "two locked goroutines that each end their thread ran on one thread")
}
