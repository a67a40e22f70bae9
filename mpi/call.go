package mpi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/numapool/numapool/mpi/codec"
	"github.com/numapool/numapool/mpi/internal/plan"
)

// Message tags: rank 0 to a rank (chunks, then Stop), a rank to rank 0
// (results), and rank 0's notice that the call is ending early.
const (
	tagDown = 7301
	tagUp   = 7302
	tagHalt = 7303
)

// Message kinds, the first word of every message's header.
const (
	msgWork    = iota + 1 // lo, hi, then the arguments unless every rank has them
	msgStop               // no more chunks for this rank
	msgResult             // lo, hi, then the results
	msgFailed             // lo, hi, then the failure
	msgSkipped            // lo, hi: not run, the call is ending
	msgHalt               // the call ends early: skip queued chunks
	msgVoid               // a chunk whose arguments rank 0 could not encode: answer Skipped
)

// Call kinds, checked to agree across ranks.
const (
	callMap = iota + 1
	callStream
	callReduce
)

var callNames = map[int64]string{callMap: "Map", callStream: "MapStream", callReduce: "Reduce"}

// Final status of a call, broadcast by rank 0 when it ends.
const (
	statusOK = iota
	statusFailed
	statusStopped
)

const headerLen = 32

// header is the fixed start of a message: kind, lo, hi and the call's
// sequence number, which catches a message of another call.
func putHeader(b []byte, kind, lo, hi int, seq int64) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(kind))
	b = binary.LittleEndian.AppendUint64(b, uint64(lo))
	b = binary.LittleEndian.AppendUint64(b, uint64(hi))
	return binary.LittleEndian.AppendUint64(b, uint64(seq))
}

func readHeader(m []byte, seq int64) (kind, lo, hi int, payload []byte, err error) {
	if len(m) < headerLen {
		return 0, 0, 0, nil, fmt.Errorf("mpi: a message of %d bytes is shorter than its header; another program shares the communicator?", len(m))
	}
	kind = int(binary.LittleEndian.Uint64(m))
	lo = int(binary.LittleEndian.Uint64(m[8:]))
	hi = int(binary.LittleEndian.Uint64(m[16:]))
	if s := int64(binary.LittleEndian.Uint64(m[24:])); s != seq {
		return 0, 0, 0, nil, fmt.Errorf("mpi: a message of distributed call %d arrived during call %d; every rank must make the same calls in the same order", s, seq)
	}
	return kind, lo, hi, m[headerLen:], nil
}

// A job is one distributed call as the protocol sees it: tasks 0..n-1 in
// chunks [lo, hi), each run by run on some rank's pool into out; on rank 0,
// sink gives the slice a chunk's results go to and done takes them.
type job[A, R any] struct {
	kind     int64
	n        int
	in       []A  // rank 0's input, or every rank's
	ship     bool // arguments travel with their chunks
	perChunk bool // one result per chunk instead of one per task
	args     codec.Codec[A]
	res      codec.Codec[R]
	cfg      *config

	run  func(lo, hi int, args []A, out []R) error
	sink func(lo, hi int) []R            // rank 0
	done func(lo, hi int, res []R) error // rank 0; errStopped ends the call quietly
	last func() ([]byte, error)          // rank 0: a payload broadcast with the final status
	take func(payload []byte) error      // other ranks: that payload
	fail error                           // set on a rank that rejects the call before it starts
	name func() string                   // the call's name, for errors
}

func (j *job[A, R]) outLen(lo, hi int) int {
	if j.perChunk {
		return 1
	}
	return hi - lo
}

// runJob makes the distributed call j on the MPI thread.
func runJob[A, R any](t *thread, c *Comm, j *job[A, R]) error {
	c.seq++
	if err := agree(t, c.seq, j); err != nil {
		return err
	}
	if t.rank == 0 {
		return lead(t, c.seq, j)
	}
	return follow(t, c.seq, j)
}

// agree checks, before any task runs, that every rank accepted the call
// and that all make the same call as rank 0, in one allreduce: the
// maximum of each value of the call and of its negation (so its minimum),
// and of a flag set by a rank that rejects the call. Where they show a
// difference, explain finds which ranks differ and how.
func agree[A, R any](t *thread, seq int64, j *job[A, R]) error {
	everyRank := int64(0)
	if !j.ship {
		everyRank = 1
	}
	mine := []int64{j.kind, int64(j.n), int64(j.cfg.chunk), everyRank, seq, int64(j.cfg.prefetch), int64(j.cfg.localChunk)}
	k := len(mine)
	v := make([]int64, 2*k+1)
	for i, x := range mine {
		v[i], v[k+i] = x, -x
	}
	if everyRank == 0 {
		// Only rank 0's input length counts: the others' neither raise
		// the maximum nor lower the minimum.
		v[1], v[k+1] = -1, math.MinInt64
		if t.rank == 0 {
			v[1] = int64(j.n)
		}
	}
	if j.fail != nil {
		v[2*k] = 1
	}
	all, err := t.allMax(v)
	if err != nil {
		return err
	}
	same := all[2*k] == 0
	for i := range k {
		if all[k+i] != math.MinInt64 && all[i] != -all[k+i] {
			same = false
		}
	}
	if !same {
		return explain(t, j, mine)
	}
	j.n = int(all[1])
	return nil
}

// explain is agree's second round, when the ranks differ: rank 0
// broadcasts its view of the call, and each rank reports whether it
// rejects the call or differs from rank 0. It returns the error that
// explains the difference, on every rank.
func explain[A, R any](t *thread, j *job[A, R], mine []int64) error {
	everyRank := mine[3]
	root := append([]int64(nil), mine...)
	if err := t.bcastFixed(int64Bytes(root), 0); err != nil {
		return err
	}
	var why string
	for i, what := range []string{"call", "input length", "ChunkSize", "InputOnEveryRank", "call sequence", "Prefetch", "LocalChunkSize"} {
		if i == 1 && everyRank == 0 {
			continue // only rank 0's length counts
		}
		if root[i] != mine[i] && why == "" {
			why = fmt.Sprintf("%s: rank 0 has %d, rank %d has %d", what, root[i], t.rank, mine[i])
			if i == 0 {
				why = fmt.Sprintf("rank 0 calls %s, rank %d calls %s", callNames[root[i]], t.rank, callNames[mine[i]])
			}
		}
	}
	flags := []int64{0, 0}
	if j.fail != nil {
		flags[0] = int64(t.rank) + 1
	}
	if why != "" {
		flags[1] = int64(t.rank) + 1
	}
	all, err := t.allMax(flags)
	if err != nil {
		return err
	}
	switch {
	case j.fail != nil:
		return j.fail
	case all[0] > 0:
		return fmt.Errorf("mpi: %s: rank %d rejected the call (its own error says why); no task ran", j.name(), all[0]-1)
	case why != "":
		return fmt.Errorf("mpi: %s: ranks disagree about the call (%s); every rank must make the same calls, in the same order, with the same options", j.name(), why)
	case all[1] > 0:
		return fmt.Errorf("mpi: %s: rank %d disagrees with rank 0 about the call (its error says how); every rank must make the same calls, in the same order, with the same options", j.name(), all[1]-1)
	}
	// The ranks differed in agree's allreduce but not here: a rank
	// changed its mind between the rounds, which they cannot do.
	return fmt.Errorf("mpi: %s: the ranks disagreed about the call and then agreed; this is a bug in numapool/mpi", j.name())
}

// endDepth is what a remote rank holds at most near the end of a guided
// call, a running chunk and one queued, as rank 0 does (localAhead), when
// a minimum chunk lasts endChunk or more: about three hand-outs of a chunk
// on a 2-vCPU VM (BenchmarkHandout: about 60 us each), so the queued chunk
// covers the wait for the next.
const (
	endDepth = 2
	endChunk = 200 * time.Microsecond
)

// lead is rank 0's side: it hands out chunks, runs its own on its runner
// meanwhile, collects results, and broadcasts how the call ended.
func lead[A, R any](t *thread, seq int64, j *job[A, R]) error {
	pl, err := plan.New(j.n, j.cfg.chunk, t.size)
	if err != nil {
		return err
	}
	// Rank 0's own chunks run on its runner while this thread serves the
	// other ranks; localAhead of them are held so that its pool never waits
	// for this thread.
	own := startRunner(j, localAhead)
	defer own.stop()
	var failure, unsent error
	var msg []byte
	// down sends rank r what the plan says. Arguments that fail to encode
	// leave the chunk void and the failure in unsent, for the loop to halt on.
	down := func(r int) error {
		lo, hi, reply := pl.Send(r)
		switch reply {
		case plan.Work:
			msg = putHeader(msg[:0], msgWork, lo, hi, seq)
			if j.ship {
				var err error
				if msg, err = j.args.Append(msg, j.in[lo:hi]); err != nil {
					msg = putHeader(msg[:0], msgVoid, lo, hi, seq)
					if unsent == nil {
						unsent = &RankError{Rank: 0, Msg: fmt.Sprintf("arguments of tasks %d..%d: %v", lo, hi-1, err), Err: err}
					}
				}
			}
		case plan.Stop:
			msg = putHeader(msg[:0], msgStop, 0, 0, seq)
		default:
			return nil
		}
		return t.send(r, tagDown, msg)
	}
	halt := func(why error) error {
		if failure != nil {
			return nil
		}
		failure = why
		pl.Halt()
		own.skip.Store(true)
		for r := 1; r < t.size; r++ {
			if err := t.send(r, tagHalt, putHeader(nil, msgHalt, 0, 0, seq)); err != nil {
				return err
			}
			if err := down(r); err != nil {
				return err
			}
		}
		return nil
	}
	// deliver passes a chunk's results on; a failure there ends the call.
	deliver := func(lo, hi int, out []R) error {
		if err := j.done(lo, hi, out); err != nil {
			if errors.Is(err, errStopped) {
				return halt(errStopped)
			}
			return halt(&RankError{Rank: 0, Msg: err.Error(), Err: err})
		}
		return nil
	}
	// gap follows the time between two answers of the other ranks: rank
	// 0's MPI thread parks no longer than that (see runner.pause).
	var gap time.Duration
	var lastAnswer time.Time
	handle := func(from int, m []byte) error {
		kind, lo, hi, payload, err := readHeader(m, seq)
		if err != nil {
			return err
		}
		now := time.Now()
		if !lastAnswer.IsZero() {
			if g := now.Sub(lastAnswer); gap == 0 {
				gap = g
			} else {
				gap += (g - gap) / 4
			}
		}
		lastAnswer = now
		if err := pl.Answered(from); err != nil {
			return err
		}
		switch kind {
		case msgResult:
			if failure == nil {
				out := j.sink(lo, hi)
				if err := j.res.Decode(payload, out); err != nil {
					if err := halt(&RankError{Rank: 0, Msg: fmt.Sprintf("results of tasks %d..%d from rank %d: %v", lo, hi-1, from, err), Err: err}); err != nil {
						return err
					}
				} else if err := deliver(lo, hi, out); err != nil {
					return err
				}
			}
		case msgFailed:
			if err := halt(decodeError(payload, nil)); err != nil {
				return err
			}
		case msgSkipped:
		default:
			return fmt.Errorf("mpi: rank %d sent a message of kind %d to rank 0 during a call", from, kind)
		}
		return down(from)
	}
	// haltUnsent ends the call when arguments failed to encode.
	haltUnsent := func() error {
		if unsent == nil {
			return nil
		}
		why := unsent
		unsent = nil
		return halt(why)
	}

	// Rank 0's first chunk goes to its runner before the other ranks'
	// queued chunks are sent: the runner's start (a thread wake-up)
	// overlaps those sends.
	// feedOwn reports whether it gave any.
	feedOwn := func(most int) bool {
		gave := false
		for range most {
			if own.full() {
				break
			}
			lo, hi, ok := pl.Local()
			if !ok {
				break
			}
			ck := &chunkRun[A, R]{lo: lo, hi: hi, out: j.sink(lo, hi)}
			if j.in != nil {
				ck.args = j.in[lo:hi]
			}
			own.give(ck)
			gave = true
		}
		return gave
	}
	// Each other rank's first chunk, then rank 0's own, then the rest of
	// the others' Prefetch.
	for i := range j.cfg.prefetch {
		for r := 1; r < t.size; r++ {
			if err := down(r); err != nil {
				return err
			}
		}
		if i == 0 {
			feedOwn(1)
		}
	}
	var w waiter
	for {
		if err := haltUnsent(); err != nil {
			return err
		}
		busy := false
		// Rank 0's chunks that have finished.
		for {
			ck, ok := own.take()
			if !ok {
				break
			}
			busy = true
			switch {
			case ck.err != nil:
				if err := halt(taskError(ck.err, 0, ck.lo)); err != nil {
					return err
				}
			case ck.ran && failure == nil:
				if err := deliver(ck.lo, ck.hi, ck.out); err != nil {
					return err
				}
			}
		}
		// Near the end, a rank holding a chunk more than rank 0 ends
		// later by that chunk, but one that holds too few waits for its
		// next: cap what remote ranks hold only where a minimum chunk
		// takes endChunk or more, by rank 0's own time per task.
		if own.perTask > 0 {
			depth := 0
			if time.Duration(own.perTask*float64(pl.Min())) >= endChunk {
				depth = endDepth
			}
			pl.EndDepth(depth)
		}
		// The other ranks' answers, at most as many as can be in flight
		// before rank 0's own pool is looked at again.
		for range (t.size - 1) * j.cfg.prefetch {
			from, m, ok, err := t.poll(-1, tagUp)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			busy = true
			if err := handle(from, m); err != nil {
				return err
			}
			if err := haltUnsent(); err != nil {
				return err
			}
		}
		// Keep rank 0's own pool fed.
		if feedOwn(localAhead) {
			busy = true
		}
		if own.held == 0 && !pl.Waiting() {
			break // the plan has nothing left for rank 0 and owes nothing
		}
		switch {
		case busy:
			w = waiter{}
		case !pl.Waiting():
			// Only rank 0's own chunks are left: nothing else can come,
			// so the thread parks until its runner finishes one.
			own.await()
		case own.held == 0:
			// Only the other ranks' last answers are left, and rank 0's
			// pool is idle: test for them longer before sleeping, so
			// that the call's end waits for no sleep.
			w.yield = lastYield
			if err := t.pauseServing(&w, false, 0); err != nil {
				return err
			}
		default:
			if err := own.pause(t, &w, restMin, 1, gap); err != nil {
				return err
			}
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	if s := j.cfg.stats; s != nil {
		s.ChunksPerRank, s.TasksPerRank = pl.Given(), pl.Tasks()
		s.Chunks = 0
		for _, g := range s.ChunksPerRank {
			s.Chunks += g
		}
	}

	// The final status: a status byte, then the failure or the payload.
	status := []byte{statusOK}
	switch {
	case errors.Is(failure, errStopped):
		status[0] = statusStopped
	case failure != nil:
		status = append([]byte{statusFailed}, encodeError(failure)...)
	case j.last != nil:
		payload, err := j.last()
		if err != nil {
			// Every rank expects a halt notice with a failed status.
			failure = &RankError{Rank: 0, Msg: err.Error(), Err: err}
			status = append([]byte{statusFailed}, encodeError(failure)...)
			for r := 1; r < t.size; r++ {
				if err := t.send(r, tagHalt, putHeader(nil, msgHalt, 0, 0, seq)); err != nil {
					return err
				}
			}
			if err := t.flush(); err != nil {
				return err
			}
		} else {
			status = append(status, payload...)
		}
	}
	if _, err := t.bcast(status, 0); err != nil {
		return err
	}
	if errors.Is(failure, errStopped) {
		return nil
	}
	return failure
}

// follow is the side of every other rank: it runs the chunks rank 0 sends
// on its runner, answers each as it finishes, and keeps receiving while a
// chunk runs, until told to stop; then it learns how the call ended.
func follow[A, R any](t *thread, seq int64, j *job[A, R]) error {
	var mine error // this rank's own failure
	halted, stopped := false, false
	var msg []byte
	rn := startRunner(j, j.cfg.prefetch)
	defer rn.stop()
	answer := func() error { return t.send(0, tagUp, msg) }
	var w waiter
	for !stopped || rn.held > 0 {
		busy := false
		// Answer the chunks the pool has finished.
		for {
			ck, ok := rn.take()
			if !ok {
				break
			}
			busy = true
			switch {
			case ck.err != nil && mine == nil:
				mine = taskError(ck.err, t.rank, ck.lo)
				msg = append(putHeader(msg[:0], msgFailed, ck.lo, ck.hi, seq), encodeError(mine)...)
			case !ck.ran || ck.err != nil || halted || mine != nil:
				msg = putHeader(msg[:0], msgSkipped, ck.lo, ck.hi, seq)
			default:
				var err error
				msg = putHeader(msg[:0], msgResult, ck.lo, ck.hi, seq)
				if msg, err = j.res.Append(msg, ck.out); err != nil {
					mine = &RankError{Rank: t.rank, Msg: fmt.Sprintf("results of tasks %d..%d: %v", ck.lo, ck.hi-1, err), Err: err}
					rn.skip.Store(true)
					msg = append(putHeader(msg[:0], msgFailed, ck.lo, ck.hi, seq), encodeError(mine)...)
				}
			}
			if err := answer(); err != nil {
				return err
			}
		}
		if !halted {
			_, _, got, err := t.poll(0, tagHalt)
			if err != nil {
				return err
			}
			if got {
				halted, busy = true, true
				rn.skip.Store(true)
			}
		}
		// Take the chunks that have come.
		for !stopped {
			_, m, ok, err := t.poll(0, tagDown)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			busy = true
			kind, lo, hi, payload, err := readHeader(m, seq)
			if err != nil {
				return err
			}
			if kind == msgStop {
				stopped = true
				break
			}
			if kind != msgWork && kind != msgVoid || lo < 0 || hi < lo || hi > j.n {
				return fmt.Errorf("mpi: rank 0 sent kind %d for tasks [%d, %d) of %d", kind, lo, hi, j.n)
			}
			if rn.full() {
				return fmt.Errorf("mpi: rank 0 sent rank %d more than Prefetch (%d) chunks at a time", t.rank, j.cfg.prefetch)
			}
			if kind == msgVoid || halted || mine != nil {
				msg = putHeader(msg[:0], msgSkipped, lo, hi, seq)
				if err := answer(); err != nil {
					return err
				}
				continue
			}
			ck := &chunkRun[A, R]{lo: lo, hi: hi, out: make([]R, j.outLen(lo, hi))}
			if j.ship {
				// The message buffer is reused: decode now.
				ck.args = make([]A, hi-lo)
				if err := j.args.Decode(payload, ck.args); err != nil {
					mine = &RankError{Rank: t.rank, Msg: fmt.Sprintf("arguments of tasks %d..%d: %v", lo, hi-1, err), Err: err}
					rn.skip.Store(true)
					msg = append(putHeader(msg[:0], msgFailed, lo, hi, seq), encodeError(mine)...)
					if err := answer(); err != nil {
						return err
					}
					continue
				}
			} else if j.in != nil {
				ck.args = j.in[lo:hi]
			}
			rn.give(ck)
		}
		if busy {
			w = waiter{}
		} else if err := rn.pause(t, &w, 0, 4, 0); err != nil {
			return err
		}
	}
	if err := t.flush(); err != nil {
		return err
	}
	status, err := t.bcast(nil, 0)
	if err != nil {
		return err
	}
	if len(status) == 0 {
		return fmt.Errorf("mpi: rank 0 sent an empty final status")
	}
	if status[0] != statusOK && !halted {
		// Rank 0 sent a halt notice to every rank; take ours.
		if _, _, err := t.recv(0, tagHalt); err != nil {
			return err
		}
	}
	switch status[0] {
	case statusStopped:
		return nil
	case statusFailed:
		return decodeError(status[1:], mine)
	}
	if j.take != nil {
		return j.take(status[1:])
	}
	return nil
}
