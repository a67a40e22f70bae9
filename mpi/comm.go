package mpi

/*
#include "capi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

var (
	// ErrFinalized is returned by calls on a Comm after Finalize.
	ErrFinalized = errors.New("mpi: MPI was finalized; a process can run MPI only once, so make every call before Finalize")

	// ErrBusy is returned by calls made on a Comm while a MapStream loop
	// is running on it (from the loop's body, say): the MPI thread is
	// serving the stream until the loop ends.
	ErrBusy = errors.New("mpi: the MPI thread is serving a MapStream loop; make other MPI calls after the loop ends")

	// errStopped ends a call whose caller stopped reading its results.
	errStopped = errors.New("mpi: the call was stopped by its caller")
)

// started is set by the first Init: MPI allows one Init per process.
var started atomic.Bool

// A ThreadLevel is an MPI thread support level.
type ThreadLevel int

// The levels of the MPI standard, lowest first.
const (
	ThreadSingle     ThreadLevel = C.MPI_THREAD_SINGLE
	ThreadFunneled   ThreadLevel = C.MPI_THREAD_FUNNELED
	ThreadSerialized ThreadLevel = C.MPI_THREAD_SERIALIZED
	ThreadMultiple   ThreadLevel = C.MPI_THREAD_MULTIPLE
)

func (l ThreadLevel) String() string {
	switch l {
	case ThreadSingle:
		return "MPI_THREAD_SINGLE"
	case ThreadFunneled:
		return "MPI_THREAD_FUNNELED"
	case ThreadSerialized:
		return "MPI_THREAD_SERIALIZED"
	case ThreadMultiple:
		return "MPI_THREAD_MULTIPLE"
	}
	return fmt.Sprintf("ThreadLevel(%d)", int(l))
}

// A Comm is this process's place in MPI_COMM_WORLD: its rank, the number of
// ranks, and the one OS thread that makes every MPI call of the process.
//
// Its methods and the distributed calls may be used from any goroutine;
// they hand their MPI work to that thread and wait for it. Distributed
// calls are collective: every rank makes the same calls in the same order.
type Comm struct {
	rank, size int
	level      ThreadLevel

	reqs      chan func(*thread)
	exited    chan struct{}
	mu        sync.RWMutex // held for reading by calls, for writing by Finalize
	finalized bool
	streaming atomic.Bool
	seq       int64 // distributed calls made so far; touched on the MPI thread only
}

// Init starts MPI and returns this process's Comm. Call it once per
// process, before any other call of this package, on every rank.
//
// Init starts a goroutine that locks itself to its OS thread for good and
// calls MPI_Init_thread with MPI_THREAD_FUNNELED: every later MPI call is
// made from that same thread, whichever goroutine asks, so MPI never sees
// a second thread and funneled is all it must support. MPI_THREAD_SINGLE
// would be wrong (a Go process always has several threads), and
// MPI_THREAD_MULTIPLE would cost locks inside Open MPI on every call for
// nothing. A library that gives less than funneled is an error.
//
// Before it starts MPI, Init sets OMPI_MCA_opal_signal to an empty list
// (unless the environment sets it): Open MPI would otherwise install its
// own handlers for SIGSEGV, SIGBUS, SIGFPE and SIGABRT over the Go
// runtime's, and a nil dereference in Go code would end the process instead
// of becoming a panic.
func Init() (*Comm, error) {
	if !started.CompareAndSwap(false, true) {
		return nil, errors.New("mpi: Init called twice; MPI can be started once per process, so keep the first Comm")
	}
	if _, ok := os.LookupEnv("OMPI_MCA_opal_signal"); !ok {
		if err := os.Setenv("OMPI_MCA_opal_signal", ""); err != nil {
			return nil, fmt.Errorf("mpi: setting OMPI_MCA_opal_signal: %w", err)
		}
	}
	c := &Comm{reqs: make(chan func(*thread)), exited: make(chan struct{})}
	ready := make(chan error, 1)
	go c.serve(ready)
	if err := <-ready; err != nil {
		<-c.exited
		return nil, err
	}
	return c, nil
}

// serve is the MPI thread: it starts MPI, then runs requests until
// Finalize. It never unlocks its OS thread, so the thread ends with it.
func (c *Comm) serve(ready chan<- error) {
	defer close(c.exited)
	runtime.LockOSThread()
	tightTimers()
	var provided C.int
	if rc := C.npmpi_init(C.int(ThreadFunneled), &provided); rc != C.MPI_SUCCESS {
		ready <- mpiError(rc, "MPI_Init_thread")
		return
	}
	c.level = ThreadLevel(provided)
	if c.level < ThreadFunneled {
		C.npmpi_finalize()
		ready <- fmt.Errorf("mpi: the MPI library gives %v, but a Go process has several threads and needs at least %v; use an Open MPI built with thread support", c.level, ThreadFunneled)
		return
	}
	var rank, size C.int
	if rc := C.npmpi_rank_size(&rank, &size); rc != C.MPI_SUCCESS {
		C.npmpi_finalize()
		ready <- mpiError(rc, "MPI_Comm_rank")
		return
	}
	c.rank, c.size = int(rank), int(size)
	t := &thread{rank: c.rank, size: c.size}
	ready <- nil
	for f := range c.reqs {
		f(t)
	}
}

// do runs f on the MPI thread and returns its error. A panic in f is
// returned as an error.
func (c *Comm) do(f func(*thread) error) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.finalized {
		return ErrFinalized
	}
	if c.streaming.Load() {
		return ErrBusy
	}
	done := make(chan error, 1)
	c.reqs <- func(t *thread) { done <- safely(t, f) }
	return <-done
}

// safely runs f, turning a panic into an error.
func safely(t *thread, f func(*thread) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("mpi: panic on the MPI thread: %v", r)
		}
	}()
	return f(t)
}

// Rank returns this process's rank in MPI_COMM_WORLD, 0..Size()-1.
func (c *Comm) Rank() int { return c.rank }

// Size returns the number of ranks in MPI_COMM_WORLD.
func (c *Comm) Size() int { return c.size }

// ThreadLevel returns the thread support level MPI gave (funneled or more).
func (c *Comm) ThreadLevel() ThreadLevel { return c.level }

// Barrier returns when every rank has called it. A rank that waits sleeps
// between tests instead of spinning in MPI.
func (c *Comm) Barrier() error {
	return c.do(func(t *thread) error { return t.barrier() })
}

// Abort ends every rank of the job with code (MPI_Abort); it does not
// return.
func (c *Comm) Abort(code int) {
	_ = c.do(func(*thread) error { C.npmpi_abort(C.int(code)); return nil })
	os.Exit(code) // MPI_Abort should not return; if it does, still end
}

// Finalize waits for every rank (a barrier that sleeps instead of spinning),
// ends MPI and the MPI thread. It is collective. Calls after it return
// ErrFinalized; MPI cannot be started again in this process. Inside a
// MapStream loop it returns ErrBusy.
func (c *Comm) Finalize() error {
	if c.streaming.Load() {
		return ErrBusy // the stream holds c.mu until its loop ends
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.finalized {
		return ErrFinalized
	}
	c.finalized = true
	done := make(chan error, 1)
	c.reqs <- func(t *thread) {
		err := t.barrier()
		if ferr := t.flush(); err == nil {
			err = ferr
		}
		if rc := C.npmpi_finalize(); err == nil {
			err = mpiError(rc, "MPI_Finalize")
		}
		done <- err
	}
	err := <-done
	close(c.reqs)
	<-c.exited
	return err
}
