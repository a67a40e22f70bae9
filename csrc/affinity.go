//go:build linux && cgo

package csrc

/*
#include "affinity.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"slices"
	"syscall"
	"unsafe"
)

// maxCPUs is the number of CPU ids this package handles: 0 to maxCPUs-1.
// It is Linux's largest build limit (NR_CPUS, 8192 on x86-64 and arm64);
// topology.MaxCPUs is the same count, for CPU sets and their syntax.
const maxCPUs = 8192

// PinThread restricts the calling OS thread to the given CPUs with
// pthread_setaffinity_np. The caller must hold runtime.LockOSThread, or the
// mask stays behind on a thread that other goroutines will use.
// Cost: one system call.
func PinThread(cpus []int) error {
	if len(cpus) == 0 {
		return errors.New("csrc: PinThread needs at least one CPU")
	}
	top := 0
	for _, c := range cpus {
		if c < 0 || c >= maxCPUs {
			return fmt.Errorf("csrc: CPU %d is outside 0..%d", c, maxCPUs-1)
		}
		top = max(top, c)
	}
	cs := make([]C.int, len(cpus))
	for i, c := range cpus {
		cs[i] = C.int(c)
	}
	rc := C.np_pin_self(&cs[0], C.int(len(cs)), C.int(top))
	if rc != 0 {
		return fmt.Errorf("csrc: pthread_setaffinity_np(%v): %w", cpus, syscall.Errno(rc))
	}
	return nil
}

// ThreadAffinity returns the CPUs the calling OS thread may run on, sorted,
// as read back with pthread_getaffinity_np. Cost: one system call.
func ThreadAffinity() ([]int, error) {
	buf := make([]C.int, 1024)
	for {
		var n C.int
		rc := C.np_self_mask((*C.int)(unsafe.Pointer(&buf[0])), C.int(len(buf)), &n, C.int(maxCPUs-1))
		if rc == C.int(syscall.ERANGE) && len(buf) < maxCPUs {
			buf = make([]C.int, maxCPUs)
			continue
		}
		if rc != 0 {
			return nil, fmt.Errorf("csrc: pthread_getaffinity_np: %w", syscall.Errno(rc))
		}
		out := make([]int, n)
		for i := range out {
			out[i] = int(buf[i])
		}
		slices.Sort(out)
		return out, nil
	}
}

// CurrentCPU returns the CPU the calling thread is running on right now
// (sched_getcpu), or -1 where the system cannot say. Cost: a vDSO call,
// tens of nanoseconds.
func CurrentCPU() int { return int(C.np_current_cpu()) }

// ThreadID returns the kernel thread id (gettid) of the calling thread.
func ThreadID() int { return int(C.np_gettid()) }
