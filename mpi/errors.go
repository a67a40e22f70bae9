package mpi

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"

	"github.com/numapool/numapool/numapool"
)

// TaskError is the error of a distributed call in which a task failed. The
// call ends on every rank with an equal TaskError; on the rank that ran the
// task, Err is the task's own error (reached by errors.Is and errors.As),
// elsewhere it is nil and Msg holds its text.
type TaskError struct {
	Rank     int    // rank that ran the task
	WorkerID int    // worker of that rank's pool; -1 when no task ran (the pool failed)
	Index    int    // position of the task in the call's input (for Reduce, the start of its block)
	Arg      string // the task's argument, printed with %v and shortened
	Msg      string // the task's error text
	Err      error  // the task's own error, on the rank that ran it
}

func (e *TaskError) Error() string {
	return fmt.Sprintf("mpi: task %d (arg %s) on rank %d, worker %d: %s", e.Index, e.Arg, e.Rank, e.WorkerID, e.Msg)
}

func (e *TaskError) Unwrap() error { return e.Err }

// RankError is a failure on one rank that is not a task's (a codec
// error, say); the call ends on every rank with it.
type RankError struct {
	Rank int
	Msg  string
	Err  error // the error itself, on the rank where it happened
}

func (e *RankError) Error() string { return fmt.Sprintf("mpi: rank %d: %s", e.Rank, e.Msg) }

func (e *RankError) Unwrap() error { return e.Err }

// taskError describes err, from rank running the chunk starting at lo
// on its pool, as a call failure.
func taskError(err error, rank, lo int) error {
	if te, ok := errors.AsType[*TaskError](err); ok {
		return te
	}
	if re, ok := errors.AsType[*RankError](err); ok {
		return re
	}
	if te, ok := errors.AsType[*numapool.TaskError](err); ok {
		return &TaskError{Rank: rank, WorkerID: te.WorkerID, Index: lo + te.Index, Arg: te.Arg, Msg: te.Err.Error(), Err: te.Err}
	}
	return &RankError{Rank: rank, Msg: err.Error(), Err: err}
}

// wireError is a call failure as it travels.
type wireError struct {
	Task                  bool
	Rank, WorkerID, Index int
	Arg, Msg              string
}

func encodeError(err error) []byte {
	var w wireError
	switch e := err.(type) {
	case *TaskError:
		w = wireError{Task: true, Rank: e.Rank, WorkerID: e.WorkerID, Index: e.Index, Arg: e.Arg, Msg: e.Msg}
	case *RankError:
		w = wireError{Rank: e.Rank, Msg: e.Msg}
	default:
		w = wireError{Msg: err.Error()}
	}
	var b bytes.Buffer
	if gob.NewEncoder(&b).Encode(&w) != nil {
		return nil
	}
	return b.Bytes()
}

// decodeError rebuilds a failure; mine is this rank's own failure, which
// is returned instead when it is the same one, so that it keeps its cause.
func decodeError(b []byte, mine error) error {
	var w wireError
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&w); err != nil {
		return fmt.Errorf("mpi: a failure report from rank 0 could not be read: %w", err)
	}
	if w.Task {
		if te, ok := mine.(*TaskError); ok && te.Rank == w.Rank && te.Index == w.Index {
			return te
		}
		return &TaskError{Rank: w.Rank, WorkerID: w.WorkerID, Index: w.Index, Arg: w.Arg, Msg: w.Msg}
	}
	if re, ok := mine.(*RankError); ok && re.Rank == w.Rank && re.Msg == w.Msg {
		return re
	}
	return &RankError{Rank: w.Rank, Msg: w.Msg}
}
