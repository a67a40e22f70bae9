package numapool

import (
	"math/bits"
	"runtime"
	"sync/atomic"
)

// cacheLinePad keeps hot atomics on separate cache lines. 128 bytes covers
// the adjacent-line prefetcher of x86 and the 128-byte lines of some arm64
// parts.
type cacheLinePad [128]byte

// ring is a bounded lock-free queue for many producers and many consumers
// (Dmitry Vyukov's sequence-numbered array queue). Each slot carries a
// sequence number that tells a producer when the slot is free and a consumer
// when it holds a value, so a push or a pop is one compare-and-swap on head
// or tail plus one store to the slot: about 20-40 ns uncontended, and no
// allocation.
//
// numapool moves chunk descriptors through rings: from the goroutine that
// feeds a call to the workers, and from the workers back to the goroutine that
// collects results. Both sides bound what is in flight, so a push never finds
// the ring full in normal use; push still reports it.
type ring[T any] struct {
	_     cacheLinePad
	head  atomic.Uint64 // next position to pop
	_     cacheLinePad
	tail  atomic.Uint64 // next position to push
	_     cacheLinePad
	mask  uint64
	slots []ringSlot[T]
}

type ringSlot[T any] struct {
	seq atomic.Uint64
	val T
}

// newRing returns a ring holding at least capacity values, rounded up to a
// power of two and to at least 2: with one slot, "holds the value for pos"
// and "free for pos+1" would be the same sequence number.
func newRing[T any](capacity int) *ring[T] {
	size := uint64(2)
	if capacity > 2 {
		size = 1 << bits.Len64(uint64(capacity-1))
	}
	r := &ring[T]{mask: size - 1, slots: make([]ringSlot[T], size)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r
}

// push appends v and reports whether there was room. A ring whose count of
// values stays below its capacity can still be "full" for a moment: a
// consumer that claimed the oldest slot and has not yet released it holds
// that slot while others wrap around to it. Callers that must not lose v
// use pushWait.
func (r *ring[T]) push(v T) bool {
	pos := r.tail.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch dif := int64(seq - pos); {
		case dif == 0:
			if r.tail.CompareAndSwap(pos, pos+1) {
				s.val = v
				s.seq.Store(pos + 1)
				return true
			}
			pos = r.tail.Load()
		case dif < 0:
			return false // full
		default:
			pos = r.tail.Load()
		}
	}
}

// pop removes the oldest value; ok is false when the ring is empty.
func (r *ring[T]) pop() (v T, ok bool) {
	pos := r.head.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch dif := int64(seq - (pos + 1)); {
		case dif == 0:
			if r.head.CompareAndSwap(pos, pos+1) {
				v = s.val
				var zero T
				s.val = zero // let the GC have what the slot pointed to
				s.seq.Store(pos + r.mask + 1)
				return v, true
			}
			pos = r.head.Load()
		case dif < 0:
			return v, false // empty
		default:
			pos = r.head.Load()
		}
	}
}

// pushWait appends v, waiting while the slot it needs is still held by a
// consumer between its claim and its release (a few instructions, unless
// that goroutine was descheduled in between). It spins, then yields.
func (r *ring[T]) pushWait(v T) {
	for try := 0; !r.push(v); try++ {
		if try >= 64 {
			runtime.Gosched()
		}
	}
}

// empty reports whether no value was ready at the head at some instant
// during the call: a value whose producer has claimed a slot but not yet
// released it does not count. A concurrent push may make it non-empty right
// after.
func (r *ring[T]) empty() bool {
	head := r.head.Load()
	return r.slots[head&r.mask].seq.Load() != head+1
}
