//go:build amd64 || arm64

package numapool

// getg returns the address of the calling goroutine's runtime descriptor
// (two instructions, no system call): it names the goroutine while it
// lives. Worker goroutines are locked to their threads, so for a worker it
// names the thread too. A descriptor is reused after its goroutine ends,
// so a key is removed before the goroutine that registered it returns.
func getg() uintptr

// goroutineKey is the key of the calling goroutine in liveWorkers.
func goroutineKey() uintptr { return getg() }

// keyIsStable: a key read by a goroutine that is not locked stays its own.
const keyIsStable = true
