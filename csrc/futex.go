//go:build linux && cgo

package csrc

import (
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Linux futex operations on memory private to this process.
const (
	futexWaitPrivate = 0 | 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	futexWakePrivate = 1 | 128 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

// FutexWait blocks the calling thread while *word == val, until FutexWake
// on word, a signal, or a spurious wake-up; callers re-check their
// condition in a loop. It returns at once when *word != val. The goroutine
// enters a blocking system call, so the Go runtime may give its P to other
// goroutines while it sleeps. Cost when it does not sleep: one system call.
func FutexWait(word *atomic.Uint32, val uint32) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitPrivate, uintptr(val), 0, 0, 0)
}

// FutexWake wakes up to n threads blocked in FutexWait on word and returns
// how many it woke. Each woken thread resumes on a CPU the kernel chooses
// within its affinity mask, all at once, without going through the Go
// scheduler's hand-offs. Cost: one system call.
func FutexWake(word *atomic.Uint32, n int) int {
	r, _, _ := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWakePrivate, uintptr(n), 0, 0, 0)
	return int(r)
}
