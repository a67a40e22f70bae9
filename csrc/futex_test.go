//go:build linux && cgo

package csrc

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFutexWaitReturnsWhenValueDiffers(t *testing.T) {
	var word atomic.Uint32
	word.Store(7)
	FutexWait(&word, 6) // must not block
	assert.Equal(t, 0, FutexWake(&word, 1), "nobody waits")
}

// Sleepers on locked threads all wake on one FutexWake.
func TestFutexWakeWakesAllSleepers(t *testing.T) {
	var word atomic.Uint32
	const sleepers = 4
	var ready, done sync.WaitGroup
	ready.Add(sleepers)
	for range sleepers {
		done.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			ready.Done()
			for word.Load() == 0 {
				FutexWait(&word, 0)
			}
		})
	}
	ready.Wait()
	word.Store(1)
	FutexWake(&word, sleepers)
	done.Wait()
	assert.Equal(t, uint32(1), word.Load())
}
