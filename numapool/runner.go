package numapool

// A runner runs one chunk: the tasks in[k] for every k, writing results to
// out[k]; base is the call-wide index of in[0], for error messages. It
// reports whether every task of the chunk ran and succeeded. It is
// built once per call, so the per-task path is a direct call of the user's
// function and a store: no interface call, no allocation. Every 64 tasks it
// looks whether the call was stopped.
//
// A task's error, panic or runtime.Goexit stops the job with a TaskError
// naming the task; the deferred function reads k, the task that was running.
type runner[A, R any] func(w *Worker, in []A, out []R, base int) bool

const checkEvery = 64

func plainRunner[A, R any](b *jobBase, f func(A) R) runner[A, R] {
	return func(w *Worker, in []A, out []R, base int) (completed bool) {
		k, ended := 0, false
		defer func() {
			if !ended {
				b.taskFailed(w, base+k, in[k], recovered(recover()))
			}
		}()
		out = out[:len(in)]
		for k < len(in) {
			end := min(k+checkEvery, len(in))
			for ; k < end; k++ {
				out[k] = f(in[k])
			}
			if b.stopped.Load() && k < len(in) {
				ended = true
				return false
			}
		}
		ended = true
		return true
	}
}

func funcRunner[A, R any](b *jobBase, f func(*Worker, A) (R, error)) runner[A, R] {
	return func(w *Worker, in []A, out []R, base int) (completed bool) {
		k, ended := 0, false
		defer func() {
			if !ended {
				b.taskFailed(w, base+k, in[k], recovered(recover()))
			}
		}()
		out = out[:len(in)]
		for k < len(in) {
			end := min(k+checkEvery, len(in))
			for ; k < end; k++ {
				r, err := f(w, in[k])
				if err != nil {
					ended = true
					b.taskFailed(w, base+k, in[k], err)
					return false
				}
				out[k] = r
			}
			if b.stopped.Load() && k < len(in) {
				ended = true
				return false
			}
		}
		ended = true
		return true
	}
}
