//go:build !amd64 && !arm64

package numapool

import "github.com/numapool/numapool/csrc"

// goroutineKey is the key of the calling goroutine in liveWorkers: here the
// id of its thread (a system call), which names a worker's goroutine since
// workers are locked to their threads. A goroutine that is not locked must
// lock its thread while it uses the key (keyIsStable).
func goroutineKey() uintptr { return uintptr(csrc.ThreadID()) }

// keyIsStable: a thread id read by a goroutine that is not locked may name
// another goroutine once it moves.
const keyIsStable = false
