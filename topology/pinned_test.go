package topology_test

import (
	"runtime"
	"testing"

	"github.com/numapool/numapool/csrc"
	"github.com/numapool/numapool/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadFromPinnedThread loads this machine from a thread pinned to one
// CPU: the usable CPUs are the process's, not the thread's.
func TestLoadFromPinnedThread(t *testing.T) {
	want, err := topology.Load("/")
	require.NoError(t, err)
	cpu := want.Usable().Last()

	type result struct {
		mask   []int
		usable topology.CPUSet
		err    error
	}
	done := make(chan result)
	go func() {
		// The thread keeps its one-CPU mask: the goroutine ends locked, so
		// the runtime ends the thread instead of reusing it.
		runtime.LockOSThread()
		if err := csrc.PinThread([]int{cpu}); err != nil {
			done <- result{err: err}
			return
		}
		mask, err := csrc.ThreadAffinity()
		if err != nil {
			done <- result{err: err}
			return
		}
		m, err := topology.Load("/")
		if err != nil {
			done <- result{err: err}
			return
		}
		done <- result{mask: mask, usable: m.Usable()}
	}()
	r := <-done
	require.NoError(t, r.err)
	assert.Equal(t, []int{cpu}, r.mask, "the thread is pinned")
	assert.Equal(t, want.Usable(), r.usable)
}
