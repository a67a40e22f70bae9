package mpi

/*
#cgo pkg-config: ompi-c
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>
#include "capi.h"

// npmpi_nap sleeps the calling thread for ns nanoseconds.
static void npmpi_nap(long ns) {
	struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
	nanosleep(&ts, NULL);
}

// npmpi_tight_timers asks the kernel to wake the calling thread at most
// 1 us after its sleeps end (the default slack is 50 us).
static void npmpi_tight_timers(void) {
	prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
}
*/
import "C"

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
	"unsafe"
)

// thread is the MPI side of a Comm. Its methods make MPI calls, so they run
// only on the Comm's locked OS thread, inside a function passed to Comm.do.
//
// No method blocks inside the MPI library: Open MPI's blocking calls spin
// on the CPU until they finish, which on a node with more ranks and
// workers than CPUs takes a CPU from the ranks that have work. Waits here
// test their request, spin briefly, yield, then sleep (see waiter).
type thread struct {
	rank, size int
	pending    []*C.npmpi_req // sends not yet known to be finished
	buf        []byte         // the last message received
}

// mpiError turns an MPI return code into an error naming the call.
func mpiError(rc C.int, call string) error {
	if rc == C.MPI_SUCCESS {
		return nil
	}
	var b [C.MPI_MAX_ERROR_STRING + 1]C.char
	C.npmpi_error_string(rc, &b[0], C.int(len(b)))
	return fmt.Errorf("mpi: %s: %s (MPI error %d)", call, C.GoString(&b[0]), int(rc))
}

// A wait tests its request spinTests times in a row, then keeps testing
// while yielding the CPU (sched_yield: other threads that are ready run
// first) for up to yieldFor, then sleeps between tests: in nanosleep, 16
// us doubling up to maxPause, until it has slept parkAfter; then in
// time.Sleep, doubling up to maxPark. The yielding phase catches the
// answers that come within a chunk's time without the cost of waking a
// sleeping locked thread; the sleeping phases leave an idle rank's CPU to
// the busy ones.
//
// The short sleeps are nanosleep on the MPI thread itself: the Go runtime
// wakes a parked locked goroutine through its scheduler, whose poller
// sleeps in whole milliseconds, so on this kind of machine (2 vCPUs, a VM)
// time.Sleep(16 us) on a locked thread took 0.8 to 1.2 ms, and nanosleep
// (with the thread's timer slack cut to 1 us at Init) 70 to 110 us. But
// each nanosleep is a system call that the runtime's sysmon answers by
// handing the thread's P to another thread and back: a nanosleep cost 20
// to 30 us of CPU here, and with the MPI threads sleeping in short steps
// through whole calls, one more Go thread of each rank used 9 to 16 % of a
// CPU. So a wait that has slept parkAfter parks instead (time.Sleep), up
// to about 1 ms late, which a wait this long can afford, and wakes a few
// hundred times a second at most (a rank waiting in barriers through ten
// 50 ms calls then used 6 % of a CPU).
//
// A wait whose rank has nothing else to run yields for lastYield instead
// (rank 0 waiting for the other ranks' last answers, its own pool idle):
// the end of a call then waits for no sleep.
const (
	spinTests    = 64
	yieldFor     = 100 * time.Microsecond
	lastYield    = 2 * time.Millisecond
	minPause     = 16 * time.Microsecond
	relaxedPause = 64 * time.Microsecond
	maxPause     = 256 * time.Microsecond
	parkAfter    = time.Millisecond
	maxPark      = 2 * time.Millisecond
)

// localAhead is how many chunks rank 0's own pool holds: the one it runs
// and one queued behind it, so that it never waits for the MPI thread.
const localAhead = 2

// A waiter is the state of one wait.
type waiter struct {
	step  int
	start time.Time
	sleep time.Duration
	slept time.Duration // asked of nanosleep so far
	yield time.Duration // the yielding phase, when not yieldFor
}

// pause is one step of a wait. It adds to the latency of what the wait is
// for at most the current sleep plus the kernel's wake-up latency (for
// nanosleep) or the scheduler's (about 1 ms, for time.Sleep).
func (w *waiter) pause() {
	w.step++
	switch {
	case w.step < spinTests:
		return
	case w.step == spinTests:
		w.start = time.Now()
	}
	if w.sleep == 0 {
		yield := yieldFor
		if w.yield > 0 {
			yield = w.yield
		}
		if time.Since(w.start) < yield {
			C.sched_yield()
			return
		}
		w.sleep = minPause
	}
	if w.slept >= parkAfter {
		time.Sleep(w.sleep)
		w.sleep = min(2*w.sleep, maxPark)
		return
	}
	C.npmpi_nap(C.long(w.sleep))
	w.slept += w.sleep
	w.sleep = min(2*w.sleep, maxPause)
}

// pauseServing is one step of the wait of a distributed call's serving
// loop, when neither a message nor a finished chunk came and the runner's
// pause did not park (see runner.pause): it frees the sends that have
// finished, then pauses. While the rank's pool has a chunk queued behind
// the one it runs (relaxed), nothing is urgent, so it skips the spinning
// and yielding phases and sleeps at once: for left (until the running
// chunk should end, capped by the caller) when that is more than
// relaxedPause, else from relaxedPause doubling. Each test
// costs the MPI thread CPU time that the workers beside it need
// (MPI_Iprobe runs Open MPI's progress engine): with a fresh spinning
// phase after every message, this thread used 1.5 to 5.5 ms of CPU per 40
// to 100 ms call of BenchmarkMedium.
func (t *thread) pauseServing(w *waiter, relaxed bool, left time.Duration) error {
	if len(t.pending) > 0 {
		if err := t.reap(); err != nil {
			return err
		}
	}
	if relaxed {
		if left > relaxedPause {
			C.npmpi_nap(C.long(left))
			return nil
		}
		if w.sleep == 0 {
			w.step, w.sleep = spinTests, relaxedPause
		}
	}
	w.pause()
	return nil
}

// tightTimers cuts the timer slack of the calling thread (the MPI thread)
// to 1 us, so that its short sleeps end on time.
func tightTimers() { C.npmpi_tight_timers() }

// checkLen rejects messages MPI cannot count in an int.
func checkLen(n int, what string) error {
	if n > math.MaxInt32 {
		return fmt.Errorf("mpi: %s of %d bytes is over MPI's limit of %d bytes per message; use a smaller ChunkSize", what, n, math.MaxInt32)
	}
	return nil
}

// wait finishes r, lazily, and frees it unless keep is set.
func (t *thread) wait(r *C.npmpi_req, call string, keep bool) error {
	var w waiter
	for {
		var done C.int
		if rc := C.npmpi_test(r, &done); rc != C.MPI_SUCCESS {
			if !keep {
				C.npmpi_free(r)
			}
			return mpiError(rc, call)
		}
		if done != 0 {
			if !keep {
				C.npmpi_free(r)
			}
			return nil
		}
		w.pause()
	}
}

// pieceBytes is the most bytes a message of a distributed call takes on
// the wire. Open MPI sends a message up to its eager limit at once (4096
// bytes over shared memory, its own headers included: pieces of 4000
// bytes went at once here, pieces of 4064 did not; more over networks).
// A longer message waits for the receiver to match it and then moves only
// while the sender's thread makes MPI calls, which an MPI thread waiting
// for its pool's chunk does not: with chunks of 128 KB, each rank's MPI
// thread spent a quarter of its CPU time spinning in MPI_Recv. So send
// cuts a message into pieces that each go at once.
const pieceBytes = 4000

// send starts sending a copy of data to dest, in pieces of pieceBytes at
// most: the first starts with data's length (8 bytes, little-endian), the
// others follow with the same tag, which keeps them in order (see poll).
// It returns at once; the copies are freed when the sends are found
// finished by reap or flush.
func (t *thread) send(dest, tag int, data []byte) error {
	if err := checkLen(len(data), "a message"); err != nil {
		return err
	}
	var head [8]byte
	binary.LittleEndian.PutUint64(head[:], uint64(len(data)))
	h := head[:]
	for rest := data; ; h = nil {
		k := min(len(rest), pieceBytes-len(h))
		var rc C.int
		r := C.npmpi_isend(bytesPtr(h), C.int(len(h)), bytesPtr(rest[:k]), C.int(k), C.int(dest), C.int(tag), &rc)
		if r == nil {
			return mpiError(rc, "MPI_Isend")
		}
		t.pending = append(t.pending, r)
		if rest = rest[k:]; len(rest) == 0 {
			break
		}
	}
	return t.reap()
}

// bytesPtr is the address of b's first byte, or nil when b is empty.
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// reap frees the sends that have finished.
func (t *thread) reap() error {
	keep := t.pending[:0]
	var first error
	for _, r := range t.pending {
		var done C.int
		if rc := C.npmpi_test(r, &done); rc != C.MPI_SUCCESS {
			C.npmpi_free(r)
			if first == nil {
				first = mpiError(rc, "MPI_Test of a send")
			}
			continue
		}
		if done != 0 {
			C.npmpi_free(r)
			continue
		}
		keep = append(keep, r)
	}
	clear(t.pending[len(keep):])
	t.pending = keep
	return first
}

// flush waits until every send has finished.
func (t *thread) flush() error {
	var first error
	for _, r := range t.pending {
		if err := t.wait(r, "MPI_Isend", false); err != nil && first == nil {
			first = err
		}
	}
	clear(t.pending)
	t.pending = t.pending[:0]
	return first
}

// poll receives a message that send sent from source (or any rank) with
// tag, if its first piece is there; it then waits for the other pieces,
// which were sent right behind it. The message is valid until the next
// receive.
func (t *thread) poll(source, tag int) (from int, msg []byte, ok bool, err error) {
	n, cfrom, found, err := t.probe(source, tag)
	if err != nil || !found {
		return 0, nil, false, err
	}
	if n < 8 || n > pieceBytes {
		return 0, nil, false, fmt.Errorf("mpi: a message of %d bytes from rank %d is not a piece of a distributed call's message (8 to %d bytes); another program shares the communicator?", n, cfrom, pieceBytes)
	}
	t.buf = slices.Grow(t.buf[:0], n)[:n]
	if err := t.take(t.buf, cfrom, tag); err != nil {
		return 0, nil, false, err
	}
	total := binary.LittleEndian.Uint64(t.buf)
	if total < uint64(n-8) || total > math.MaxInt32 {
		return 0, nil, false, fmt.Errorf("mpi: a message from rank %d says it holds %d bytes, but its first piece has %d", cfrom, total, n-8)
	}
	size := 8 + int(total)
	t.buf = slices.Grow(t.buf, size-n)[:size]
	var w waiter
	for have := n; have < size; {
		k, _, found, err := t.probe(cfrom, tag)
		if err != nil {
			return 0, nil, false, err
		}
		if !found {
			if len(t.pending) > 0 {
				if err := t.reap(); err != nil {
					return 0, nil, false, err
				}
			}
			w.pause()
			continue
		}
		if k > size-have {
			return 0, nil, false, fmt.Errorf("mpi: a piece of %d bytes from rank %d overruns its message (%d of %d bytes left)", k, cfrom, size-have, total)
		}
		if err := t.take(t.buf[have:have+k], cfrom, tag); err != nil {
			return 0, nil, false, err
		}
		have += k
		w = waiter{}
	}
	return cfrom, t.buf[8:], true, nil
}

// probe reports the size and source of the next message from source (or
// any rank) with tag, if one has arrived.
func (t *thread) probe(source, tag int) (n, from int, found bool, err error) {
	var ok, cfrom, count C.int
	if rc := C.npmpi_iprobe(C.int(source), C.int(tag), &ok, &cfrom, &count); rc != C.MPI_SUCCESS {
		return 0, 0, false, mpiError(rc, "MPI_Iprobe")
	}
	return int(count), int(cfrom), ok != 0, nil
}

// take receives into b the message that probe found; it has arrived
// whole (it is no longer than pieceBytes), so MPI_Recv does not wait.
func (t *thread) take(b []byte, from, tag int) error {
	if rc := C.npmpi_recv(bytesPtr(b), C.int(len(b)), C.int(from), C.int(tag)); rc != C.MPI_SUCCESS {
		return mpiError(rc, "MPI_Recv")
	}
	return nil
}

// recv waits for a message from source (or any rank) with tag.
func (t *thread) recv(source, tag int) (from int, msg []byte, err error) {
	var w waiter
	for {
		from, msg, ok, err := t.poll(source, tag)
		if err != nil || ok {
			return from, msg, err
		}
		if len(t.pending) > 0 {
			if err := t.reap(); err != nil {
				return 0, nil, err
			}
		}
		w.pause()
	}
}

// barrier waits until every rank has entered it.
func (t *thread) barrier() error {
	var rc C.int
	r := C.npmpi_ibarrier(&rc)
	if r == nil {
		return mpiError(rc, "MPI_Ibarrier")
	}
	return t.wait(r, "MPI_Ibarrier", false)
}

// bcast returns root's data on every rank; other ranks' data is ignored.
func (t *thread) bcast(data []byte, root int) ([]byte, error) {
	n := []int64{int64(len(data))}
	if t.rank != root {
		n[0] = 0
	}
	if err := t.bcastFixed(int64Bytes(n), root); err != nil {
		return nil, err
	}
	if err := checkLen(int(n[0]), "a broadcast"); err != nil {
		return nil, err
	}
	out := make([]byte, n[0])
	if t.rank == root {
		copy(out, data)
	}
	if err := t.bcastFixed(out, root); err != nil {
		return nil, err
	}
	return out, nil
}

// bcastFixed broadcasts len(b) bytes (the same on every rank) from root
// into b.
func (t *thread) bcastFixed(b []byte, root int) error {
	var rc C.int
	p := bytesPtr(b)
	r := C.npmpi_ibcast(p, C.int(len(b)), C.int(root), &rc)
	if r == nil {
		return mpiError(rc, "MPI_Ibcast")
	}
	if err := t.wait(r, "MPI_Ibcast", true); err != nil {
		C.npmpi_free(r)
		return err
	}
	if len(b) > 0 {
		C.npmpi_take(r, 0, p, C.int(len(b)))
	}
	C.npmpi_free(r)
	return nil
}

// allMax returns the element-wise maximum of v over all ranks.
func (t *thread) allMax(v []int64) ([]int64, error) {
	var rc C.int
	r := C.npmpi_iallreduce_max((*C.int64_t)(unsafe.Pointer(&v[0])), C.int(len(v)), &rc)
	if r == nil {
		return nil, mpiError(rc, "MPI_Iallreduce")
	}
	if err := t.wait(r, "MPI_Iallreduce", true); err != nil {
		C.npmpi_free(r)
		return nil, err
	}
	out := make([]int64, len(v))
	C.npmpi_take(r, C.int(8*len(v)), unsafe.Pointer(&out[0]), C.int(8*len(v)))
	C.npmpi_free(r)
	return out, nil
}

// int64Bytes views v's memory as bytes.
func int64Bytes(v []int64) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 8*len(v))
}
