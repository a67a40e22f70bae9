package numapool

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

var (
	// ErrClosed is returned by calls on a pool after Close or Terminate began.
	ErrClosed = errors.New("numapool: pool is closed")

	// ErrTerminated is returned by calls that were in flight when Terminate
	// was called.
	ErrTerminated = errors.New("numapool: pool was terminated while the call was running")

	// ErrGoexit is the cause in a TaskError when a task called
	// runtime.Goexit (t.FailNow and testify's require do). The worker thread
	// that ran it ends and a fresh worker with the same ID takes its place.
	ErrGoexit = errors.New("task called runtime.Goexit")

	// ErrDaemon is returned by New when it is called from inside a task of a
	// daemon pool (the default).
	ErrDaemon = errors.New("numapool: cannot start a pool from inside a task of a daemon pool; create the outer pool with numapool.Daemon(false) to allow nested pools")

	// ErrReentrant is returned when a task calls Map (or Close) on the pool
	// that runs it: it would wait on its own worker.
	ErrReentrant = errors.New("numapool: a task called into its own pool, which would wait on itself forever; start a nested pool (outer pool with numapool.Daemon(false)) or return the work to the caller")
)

// TaskError is the error of a call in which a task failed: it returned an
// error, panicked, or called runtime.Goexit. errors.Is and errors.As reach
// the task's own error through Unwrap.
type TaskError struct {
	WorkerID int    // ID of the worker that ran the task; -1: the calling goroutine (see WorkersOnly)
	Index    int    // position of the task in the call's input
	Arg      string // the task's argument, printed with %v and shortened
	Err      error  // the task's error, a *PanicError, or ErrGoexit
}

func (e *TaskError) Error() string {
	if e.WorkerID < 0 {
		return fmt.Sprintf("numapool: task %d (arg %s) on the calling goroutine: %v", e.Index, e.Arg, e.Err)
	}
	return fmt.Sprintf("numapool: task %d (arg %s) on worker %d: %v", e.Index, e.Arg, e.WorkerID, e.Err)
}

func (e *TaskError) Unwrap() error { return e.Err }

// PanicError is a panic in a task, kept as a value with the stack of the
// goroutine that panicked.
type PanicError struct {
	Value any    // what was passed to panic
	Frame string // the function and line that panicked, "pkg.Func (file.go:12)"
	Stack []byte // the panicking goroutine's stack, from debug.Stack
}

func newPanicError(v any) *PanicError {
	return &PanicError{Value: v, Frame: panicFrame(), Stack: debug.Stack()}
}

// Error is one line: the panic value and the frame that panicked. The whole
// stack is in Stack.
func (e *PanicError) Error() string {
	msg := cutRunes(fmt.Sprint(e.Value), maxPanicLen)
	if e.Frame == "" {
		return "panic: " + msg
	}
	return "panic: " + msg + " [at " + e.Frame + "]"
}

// maxPanicLen bounds how much of a panic value Error prints.
const maxPanicLen = 200

// Unwrap returns the panic value when it is an error, so errors.Is and
// errors.As see through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// panicFrame names the frame that panicked, called from a deferred
// recovery: the first frame below runtime.gopanic that is not in the
// runtime itself (an index out of range passes through runtime.goPanicIndex).
func panicFrame() string {
	var pcs [32]uintptr
	n := runtime.Callers(2, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	below := false
	for {
		f, more := frames.Next()
		if below && !strings.HasPrefix(f.Function, "runtime.") {
			return fmt.Sprintf("%s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if f.Function == "runtime.gopanic" {
			below = true
		}
		if !more {
			return ""
		}
	}
}
