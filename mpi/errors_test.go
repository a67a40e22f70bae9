package mpi

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/numapool/numapool/mpi/codec"
	"github.com/numapool/numapool/numapool"
)

// checkTaskError checks that err is the failure of task index on every
// rank, with its cause on the rank that ran it, on worker 0 of a one-worker
// pool.
func checkTaskError(t *testing.T, c *Comm, err error, index int, arg, msg string, cause error) {
	t.Helper()
	checkTaskErrorOn(t, c, err, index, arg, msg, cause, false)
}

// checkTaskErrorOn is checkTaskError where plain allows worker -1 too: a
// plain Map's chunk is a MapInto of the rank's pool, whose caller (the
// rank's runner) runs tasks while the worker wakes.
func checkTaskErrorOn(t *testing.T, c *Comm, err error, index int, arg, msg string, cause error, plain bool) {
	t.Helper()
	te, ok := errors.AsType[*TaskError](err)
	if !ok {
		t.Fatalf("rank %d: error %v (%T), want a *TaskError", c.Rank(), err, err)
	}
	workerOK := te.WorkerID == 0 || plain && te.WorkerID == -1
	if te.Index != index || te.Arg != arg || !strings.Contains(te.Msg, msg) || te.Rank < 0 || te.Rank >= c.Size() || !workerOK {
		t.Fatalf("rank %d: %+v, want task %d, arg %s, message %q, a rank of 0..%d and worker 0 (or -1 for a plain Map: %v)", c.Rank(), te, index, arg, msg, c.Size()-1, plain)
	}
	want := fmt.Sprintf("mpi: task %d (arg %s) on rank %d, worker %d: ", index, arg, te.Rank, te.WorkerID)
	if !strings.HasPrefix(te.Error(), want) {
		t.Fatalf("rank %d: %q, want it to start %q", c.Rank(), te.Error(), want)
	}
	if te.Rank == c.Rank() {
		if cause != nil && !errors.Is(err, cause) {
			t.Fatalf("rank %d ran the task, but its error %v does not reach %v", c.Rank(), err, cause)
		}
		if te.Err == nil {
			t.Fatalf("rank %d ran the task, but its TaskError has no cause", c.Rank())
		}
	} else if te.Err != nil {
		t.Fatalf("rank %d did not run the task, but its TaskError has a cause %v", c.Rank(), te.Err)
	}
	// Every rank reports the same rank.
	if !sameOnEveryRank(t, c, int64(te.Rank)) {
		t.Fatalf("ranks disagree on where task %d failed", index)
	}
}

func TestTaskErrorEndsCallOnEveryRank(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(2000)
	}
	// Without and with Local options, which every rank passes to its
	// pool's call for each chunk.
	for _, opts := range [][]Option{{ChunkSize(16)}, {ChunkSize(16), Local(numapool.ChunkSize(3))}} {
		_, err := MapFunc(c, p, in, func(_ *numapool.Worker, x int) (int, error) {
			if x == 1337 {
				return 0, fmt.Errorf("task %d: %w", x, errBoom)
			}
			return x, nil
		}, opts...)
		checkTaskError(t, c, err, 1337, "1337", "task 1337: boom", errBoom)

		// The pools still work, and no message of the failed call is left over.
		out, err := Map(c, p, in, func(x int) int { return 2 * x }, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if c.Rank() == 0 && (len(out) != 2000 || out[1999] != 3998) {
			t.Fatalf("Map after a failed call: %d results, last %v", len(out), out[len(out)-1])
		}
	}
}

func TestPanicsEndCallOnEveryRank(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(500)
	}
	var nilMap map[int]int
	_, err := Map(c, p, in, func(x int) int {
		if x == 321 {
			nilMap[x] = x
		}
		return x
	})
	checkTaskErrorOn(t, c, err, 321, "321", "assignment to entry in nil map", nil, true)

	// A nil dereference is a SIGSEGV: it stays a Go panic under Open MPI.
	var nilPtr *vec
	_, err = Map(c, p, in, func(x int) float64 {
		if x == 77 {
			return nilPtr.X
		}
		return 0
	}, ChunkSize(5))
	checkTaskErrorOn(t, c, err, 77, "77", "nil pointer dereference", nil, true)
	if pe, ok := errors.AsType[*numapool.PanicError](err); ok != (err.(*TaskError).Rank == c.Rank()) {
		t.Fatalf("rank %d: PanicError %v reachable: %v; want it only on the rank that ran the task", c.Rank(), pe, ok)
	}
}

func TestArgumentsFailToEncode(t *testing.T) {
	c := needWorld(t)
	if c.Size() == 1 {
		t.Skip("one rank ships no arguments")
	}
	p := newPool(t, numapool.Workers(1))
	// gob cannot send an interface holding a type it was not told of.
	type unregistered struct{ A int }
	type holder struct{ V any }
	var in []holder
	if c.Rank() == 0 {
		in = make([]holder, 40)
		in[3].V = unregistered{1} // the first chunk always goes to rank 1
	}
	_, err := Map(c, p, in, func(h holder) int { return 1 }, ArgCodec(codec.Gob[holder]()), ChunkSize(10))
	re, ok := errors.AsType[*RankError](err)
	if !ok || re.Rank != 0 || !strings.Contains(re.Msg, "arguments of tasks 0..9") {
		t.Fatalf("rank %d: %v, want a RankError of rank 0 about tasks 0..9", c.Rank(), err)
	}
}

// panicky is a codec that panics on the results of task 5.
type panicky struct{}

func (panicky) Append(dst []byte, vs []int) ([]byte, error) {
	for _, v := range vs {
		if v == 5 {
			panic("five")
		}
	}
	raw, _ := codec.Raw[int]()
	return raw.Append(dst, vs)
}

func (panicky) Decode(src []byte, vs []int) error {
	raw, _ := codec.Raw[int]()
	return raw.Decode(src, vs)
}

func TestCodecPanicEndsCallOnEveryRank(t *testing.T) {
	c := needWorld(t)
	if c.Size() == 1 {
		t.Skip("one rank encodes nothing")
	}
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(20)
	}
	// The first chunk, tasks 0..9, always goes to rank 1.
	_, err := Map(c, p, in, func(x int) int { return x }, ResultCodec[int](panicky{}), ChunkSize(10))
	re, ok := errors.AsType[*RankError](err)
	if !ok || re.Rank != 1 || !strings.Contains(re.Msg, "results of tasks 0..9: codec mpi.panicky panicked while encoding: five") {
		t.Fatalf("rank %d: %v, want rank 1's codec panic on every rank", c.Rank(), err)
	}
}

// With several workers a rank runs a chunk's tasks side by side; the
// failed task is still named by its index, argument and worker.
func TestTaskErrorOnSeveralWorkers(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(2))
	var in []int
	if c.Rank() == 0 {
		in = count(3000)
	}
	for _, fail := range []int{0, 1337, 2999} {
		_, err := MapFunc(c, p, in, func(w *numapool.Worker, x int) (int, error) {
			if x == fail {
				return w.ID(), fmt.Errorf("task %d on worker %d: %w", x, w.ID(), errBoom)
			}
			return x, nil
		}, ChunkSize(40))
		te, ok := errors.AsType[*TaskError](err)
		if !ok {
			t.Fatalf("rank %d: %v (%T), want a *TaskError", c.Rank(), err, err)
		}
		want := fmt.Sprintf("task %d on worker %d: boom", fail, te.WorkerID)
		if te.Index != fail || te.Arg != fmt.Sprint(fail) || te.Msg != want {
			t.Fatalf("rank %d: %+v, want task %d, arg %d, message %q", c.Rank(), te, fail, fail, want)
		}
		if te.Rank == c.Rank() && !errors.Is(err, errBoom) {
			t.Fatalf("rank %d ran the task, but %v does not reach its cause", c.Rank(), err)
		}
	}
	out, err := Map(c, p, in, func(x int) int { return x + 1 })
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() == 0 {
		for i, r := range out {
			if r != i+1 {
				t.Fatalf("after failed calls: out[%d] = %d, want %d", i, r, i+1)
			}
		}
	}
}

// A pool terminated during a distributed call ends the call on every
// rank with an error naming the rank, instead of leaving the others to
// wait for chunks it will never run.
func TestTerminateEndsCall(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(4000)
	}
	var once sync.Once
	started := make(chan struct{})
	terminated := make(chan error, 1)
	go func() {
		<-started
		terminated <- p.Terminate()
	}()
	// Every rank terminates its own pool at its first task; the call ends
	// with the failure of whichever rank rank 0 hears of first.
	_, err := Map(c, p, in, func(x int) int {
		once.Do(func() { close(started) })
		time.Sleep(20 * time.Microsecond)
		return x
	}, ChunkSize(8))
	re, ok := errors.AsType[*RankError](err)
	if !ok || !strings.Contains(re.Msg, "terminated") {
		t.Fatalf("rank %d: %v (%T), want a RankError saying the pool was terminated", c.Rank(), err, err)
	}
	if re.Rank == c.Rank() && !errors.Is(err, numapool.ErrTerminated) {
		t.Fatalf("rank %d: its own failure %v does not reach numapool.ErrTerminated", c.Rank(), err)
	}
	once.Do(func() { close(started) }) // a rank that ran no task
	if err := <-terminated; err != nil {
		t.Fatalf("rank %d: Terminate: %v", c.Rank(), err)
	}
	if !sameOnEveryRank(t, c, int64(re.Rank)) {
		t.Fatalf("ranks disagree on which rank failed")
	}
}
