package numapool

import "time"

// A runner runs one chunk: the tasks in[k] for every k, writing results to
// out[k]; base is the call-wide index of in[0], for error messages. It
// reports whether every task of the chunk ran and succeeded.
//
// It is built once per call, so the per-task path is a direct call of the
// user's function, a store of the result and a store of the task's index:
// no interface call, no allocation. The loop over a block of tasks lives in
// its own function so that its counter stays out of the deferred closure
// (a captured counter costs 40% on an x*x task). Between blocks of 64 tasks
// it looks whether the call was stopped.
//
// A task's error, panic or runtime.Goexit stops the job with a TaskError
// naming the task; the deferred function reads cur, the task that was
// running.
type runner[A, R any] func(w *Worker, in []A, out []R, base int) bool

const checkEvery = 64

// block runs the tasks of one block, keeping *cur at the index (within the
// chunk) of the task it is running, and returns the first task error.
type block[A, R any] func(w *Worker, in []A, out []R, base int, cur *int) error

// chunkRunner wraps a block function into a runner: blocks of 64 tasks,
// a stop check between them, and the recovery that names a failed task.
func chunkRunner[A, R any](b *jobBase, run block[A, R]) runner[A, R] {
	return func(w *Worker, in []A, out []R, base int) bool {
		if b.stopped.Load() {
			// The call stopped after this chunk was taken: a worker held up
			// between taking it and here (descheduled past abandonGrace)
			// may have been abandoned, and its call may have returned. No
			// task of a stopped call starts.
			return false
		}
		cur, ended := 0, false
		defer func() {
			if !ended {
				b.taskFailed(w, base+cur, in[cur], recovered(recover()))
			}
		}()
		out = out[:len(in)]
		var t0 time.Time
		ins := b.pool.insights
		if ins != nil {
			t0 = time.Now()
		}
		step, timed := checkEvery, b.timeout > 0
		if timed {
			step = 1 // the watchdog sees each task
			defer w.curTask.Store(noTask)
		}
		for lo := 0; lo < len(in); lo += step {
			hi := min(lo+step, len(in))
			if timed {
				w.curTask.Store(int64(base + lo))
			}
			if err := run(w, in[lo:hi], out[lo:hi], lo, &cur); err != nil {
				ended = true
				b.taskFailed(w, base+cur, in[cur], err)
				return false
			}
			if hi < len(in) && b.stopped.Load() {
				ended = true
				return false
			}
		}
		ended = true
		if ins != nil {
			ins.chunkDone(w.id, time.Since(t0), len(in), base, func() string { return shortArg(in[0]) })
		}
		return true
	}
}

func plainRunner[A, R any](b *jobBase, f func(A) R) runner[A, R] {
	return chunkRunner(b, func(_ *Worker, in []A, out []R, base int, cur *int) error {
		out = out[:len(in)]
		for i := range in {
			*cur = base + i
			out[i] = f(in[i])
		}
		return nil
	})
}

// eachRunner is plainRunner for ForEach: f returns nothing, so the loop
// calls it directly, one indirect call per task and no result store,
// where plainRunner over a wrapper would make two calls.
func eachRunner[A any](b *jobBase, f func(A)) runner[A, struct{}] {
	return chunkRunner(b, func(_ *Worker, in []A, _ []struct{}, base int, cur *int) error {
		for i := range in {
			*cur = base + i
			f(in[i])
		}
		return nil
	})
}

func funcRunner[A, R any](b *jobBase, f func(*Worker, A) (R, error)) runner[A, R] {
	return chunkRunner(b, func(w *Worker, in []A, out []R, base int, cur *int) error {
		out = out[:len(in)]
		for i := range in {
			*cur = base + i
			r, err := f(w, in[i])
			if err != nil {
				return err
			}
			out[i] = r
		}
		return nil
	})
}

// intoRunner is plainRunner for MapInto, whose output is the caller's own
// memory: each block of results is computed into a buffer on the worker's
// stack and copied out only while the worker is still part of the call.
// A call that abandons the worker (TaskTimeout, Context, Terminate) waits
// for a copy in progress, so no result lands in dst after MapInto returned.
// Cost: two atomic stores, one load and a copy from L1 per 64 tasks.
func intoRunner[A, R any](b *jobBase, f func(A) R) runner[A, R] {
	return chunkRunner(b, func(w *Worker, in []A, out []R, base int, cur *int) error {
		var buf [checkEvery]R
		tmp := buf[:len(in)]
		for i := range in {
			*cur = base + i
			tmp[i] = f(in[i])
		}
		w.storing.Store(true)
		if w.inJob.Load() == b {
			copy(out, tmp)
		}
		w.storing.Store(false)
		return nil
	})
}
