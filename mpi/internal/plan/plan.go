// Package plan decides, on rank 0, which chunk of a distributed call goes
// to which rank and when each rank is told to stop. It does no MPI itself,
// so that its rules can be tested without mpirun.
//
// Chunks are handed out in input order, on demand: every remote rank
// starts with Prefetch chunks and gets one more for each result it sends
// back, so a slow rank asks less often and gets less. Rank 0 takes chunks
// for its own pool from the same sequence between messages.
package plan

import "fmt"

// Reply is what rank 0 sends a rank that needs work.
type Reply int

const (
	Work  Reply = iota // a chunk [lo, hi)
	Stop               // no more work: the rank ends the call after its queued chunks
	None               // the rank was already told to stop
	Later              // nothing now: the rank holds its share of the call's end
)

// A Plan hands out the chunks of 0..n-1 to ranks. It is not safe for
// concurrent use; rank 0's MPI thread owns it.
type Plan struct {
	n, ranks, fixed, min, next int
	endDepth                   int // see EndDepth; 0: none
	halted                     bool
	inFlight                   []int  // chunks sent to a rank and not yet answered
	stopped                    []bool // the rank was sent Stop
	given                      []int  // chunks handed to each rank
	tasks                      []int  // tasks handed to each rank
}

// Guided is the number of chunks per rank the remaining work is cut into
// when no chunk size is fixed: each chunk is ceil(remaining / (Guided x
// ranks)) long, but at least the minimum. Chunks shrink as the work runs
// out, so the last ones finish close together on every rank.
const Guided = 4

// New returns the plan for n tasks over ranks ranks. chunk > 0 fixes the
// chunk size; chunk == 0 asks for guided sizes that shrink to a minimum of
// ceil(n / (32 x Guided x ranks)), 1/128 of a rank's share. Either way the sequence of chunks depends
// only on n, chunk and ranks, never on timing.
func New(n, chunk, ranks int) (*Plan, error) {
	if n < 0 {
		return nil, fmt.Errorf("mpi: %d tasks: the input length cannot be negative", n)
	}
	if ranks < 1 {
		return nil, fmt.Errorf("mpi: %d ranks: a call needs at least one rank", ranks)
	}
	if chunk < 0 {
		return nil, fmt.Errorf("mpi: ChunkSize(%d): a chunk holds at least 1 task (leave the option out for guided chunks)", chunk)
	}
	p := &Plan{
		n: n, ranks: ranks, fixed: chunk,
		inFlight: make([]int, ranks),
		stopped:  make([]bool, ranks),
		given:    make([]int, ranks),
		tasks:    make([]int, ranks),
	}
	p.min = max(1, ceilDiv(n, 32*Guided*ranks))
	return p, nil
}

// EndDepth caps, once guided chunks have shrunk to the minimum, the chunks
// a remote rank holds (running and queued) at d; 0 removes the cap. Until
// then a rank holds as many as it is sent (Prefetch): near the end of a
// call those are work rank 0 can no longer take, and a rank holding one
// more chunk than rank 0 ends later by that chunk. Rank 0 sets it when a
// minimum chunk runs long enough to cover the time a rank waits for its
// next chunk (see lead in package mpi). Fixed chunks are never capped.
func (p *Plan) EndDepth(d int) { p.endDepth = d }

// ending reports whether guided chunks have shrunk to the minimum and some
// are left.
func (p *Plan) ending() bool {
	return p.fixed == 0 && p.next < p.n && p.size() == p.min
}

// size is the length of the next chunk: fixed, or guided down to the
// minimum.
func (p *Plan) size() int {
	if p.fixed > 0 {
		return p.fixed
	}
	return max(p.min, ceilDiv(p.n-p.next, Guided*p.ranks))
}

// Min returns the smallest chunk the plan cuts, guided or fixed.
func (p *Plan) Min() int {
	if p.fixed > 0 {
		return p.fixed
	}
	return p.min
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// take cuts the next chunk off the sequence.
func (p *Plan) take(rank int) (lo, hi int, ok bool) {
	if p.halted || p.next >= p.n {
		return 0, 0, false
	}
	lo, hi = p.next, min(p.n, p.next+p.size())
	p.next = hi
	p.given[rank]++
	p.tasks[rank] += hi - lo
	return lo, hi, true
}

// Send decides what goes to remote rank r, which has room for one more
// chunk (at the start, or after it answered one): a chunk, Stop, or
// nothing when r was already stopped.
func (p *Plan) Send(r int) (lo, hi int, reply Reply) {
	if p.stopped[r] {
		return 0, 0, None
	}
	if p.endDepth > 0 && p.inFlight[r] >= p.endDepth && p.ending() {
		return 0, 0, Later
	}
	if lo, hi, ok := p.take(r); ok {
		p.inFlight[r]++
		return lo, hi, Work
	}
	p.stopped[r] = true
	return 0, 0, Stop
}

// Answered records that rank r sent back the result of one chunk.
func (p *Plan) Answered(r int) error {
	if p.inFlight[r] == 0 {
		return fmt.Errorf("mpi: rank %d answered a chunk it was not sent (a message of another call?)", r)
	}
	p.inFlight[r]--
	return nil
}

// Local returns the next chunk for rank 0's own pool.
func (p *Plan) Local() (lo, hi int, ok bool) { return p.take(0) }

// Halt stops the hand-out (a task failed, or the caller stopped reading):
// every later Send answers Stop or None and Local answers nothing.
func (p *Plan) Halt() { p.halted = true }

// Halted reports whether Halt was called.
func (p *Plan) Halted() bool { return p.halted }

// Waiting reports whether any remote rank still owes a result or has not
// been told to stop; rank 0 must keep receiving while it does.
func (p *Plan) Waiting() bool {
	for r := 1; r < p.ranks; r++ {
		if p.inFlight[r] > 0 || !p.stopped[r] {
			return true
		}
	}
	return false
}

// Given returns how many chunks each rank was handed.
func (p *Plan) Given() []int { return append([]int(nil), p.given...) }

// Tasks returns how many tasks each rank was handed.
func (p *Plan) Tasks() []int { return append([]int(nil), p.tasks...) }
