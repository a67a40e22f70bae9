package numapool

import (
	"fmt"
	"iter"
)

// Map calls f on every item of src on the pool's workers and returns the
// results in input order (MPIRE's map). src is a slice or an iter.Seq; an
// iter.Seq needs IterableLen or ChunkSize.
//
// Over a slice, workers take chunks themselves and write each result into
// its slot of the output: one atomic add per chunk, no allocation per task
// or per chunk. If a task panics or calls runtime.Goexit, Map returns a
// *TaskError naming the worker, the task's index and argument, and the rest
// of the call is dropped; the pool stays usable.
func Map[A, R any, S Source[A]](p *Pool, src S, f func(A) R, opts ...CallOption) ([]R, error) {
	return mapEager(p, src, opts, func(b *jobBase) runner[A, R] { return plainRunner(b, f) }, true, true)
}

// MapFunc is Map for tasks that need their worker (ID, CPUs, NUMA node,
// shared objects) or return an error. The first task error ends the call
// with a *TaskError that wraps it.
func MapFunc[A, R any, S Source[A]](p *Pool, src S, f func(w *Worker, a A) (R, error), opts ...CallOption) ([]R, error) {
	return mapEager(p, src, opts, func(b *jobBase) runner[A, R] { return funcRunner(b, f) }, true, false)
}

// MapInto is Map writing into dst instead of a new slice: dst[i] = f(src[i])
// for every i. It allocates nothing that grows with the input, so a loop of
// calls over the same buffers makes no garbage. dst must be at least as long
// as src; on error dst holds a mix of old and new values.
func MapInto[A, R any, D ~[]R, S ~[]A](p *Pool, dst D, src S, f func(A) R, opts ...CallOption) error {
	cc, err := callOptions(opts)
	if err != nil {
		return err
	}
	if cc.iterableLen >= 0 && cc.iterableLen < len(src) {
		src = src[:cc.iterableLen]
	}
	if len(dst) < len(src) {
		return fmt.Errorf("numapool: MapInto: dst holds %d results but src has %d tasks; make dst at least len(src) long", len(dst), len(src))
	}
	return mapSlice(p, []A(src), []R(dst[:len(src)]), &cc, func(b *jobBase) runner[A, R] { return intoRunner(b, f) }, true)
}

// ForEach calls f on every item of src on the pool's workers, for tasks
// that work by side effect (writing into a shared array by index, say).
// It costs what Map costs, less the result slice.
func ForEach[A any, S Source[A]](p *Pool, src S, f func(A), opts ...CallOption) error {
	_, err := mapEager(p, src, opts, func(b *jobBase) runner[A, struct{}] {
		return eachRunner(b, f)
	}, false, true)
	return err
}

// ForEachFunc is ForEach for worker-aware tasks that may fail; the first
// error ends the call with a *TaskError that wraps it.
func ForEachFunc[A any, S Source[A]](p *Pool, src S, f func(w *Worker, a A) error, opts ...CallOption) error {
	_, err := mapEager(p, src, opts, func(b *jobBase) runner[A, struct{}] {
		return funcRunner(b, func(w *Worker, a A) (struct{}, error) { return struct{}{}, f(w, a) })
	}, false, false)
	return err
}

// MapUnordered is Map without the promise of input order: over an
// iter.Seq, results come in the order chunks finish (MPIRE's
// map_unordered). Over a slice it costs the same as Map, and in practice
// returns input order.
func MapUnordered[A, R any, S Source[A]](p *Pool, src S, f func(A) R, opts ...CallOption) ([]R, error) {
	return mapEager(p, src, opts, func(b *jobBase) runner[A, R] { return plainRunner(b, f) }, false, true)
}

// MapUnorderedFunc is MapUnordered for worker-aware tasks that may fail.
func MapUnorderedFunc[A, R any, S Source[A]](p *Pool, src S, f func(w *Worker, a A) (R, error), opts ...CallOption) ([]R, error) {
	return mapEager(p, src, opts, func(b *jobBase) runner[A, R] { return funcRunner(b, f) }, false, false)
}

// IMap is the lazy Map (MPIRE's imap): it returns an iterator that yields
// results in input order as they are ready. Work starts when the loop
// starts; at most MaxTasksActive tasks are taken from src and not yet
// yielded, so a loop over an endless generator runs in flat memory.
// Breaking out of the loop cancels the tasks not yet started and returns
// once no worker touches the call any more; the pool stays usable.
// A failure is yielded once, as the last pair, with R's zero value.
func IMap[A, R any, S Source[A]](p *Pool, src S, f func(A) R, opts ...CallOption) iter.Seq2[R, error] {
	return mapLazy(p, src, opts, func(b *jobBase) runner[A, R] { return plainRunner(b, f) }, true, true)
}

// IMapFunc is IMap for worker-aware tasks that may fail.
func IMapFunc[A, R any, S Source[A]](p *Pool, src S, f func(w *Worker, a A) (R, error), opts ...CallOption) iter.Seq2[R, error] {
	return mapLazy(p, src, opts, func(b *jobBase) runner[A, R] { return funcRunner(b, f) }, true, false)
}

// IMapUnordered is IMap yielding results in the order chunks finish
// (MPIRE's imap_unordered): a slow chunk does not hold back the others.
func IMapUnordered[A, R any, S Source[A]](p *Pool, src S, f func(A) R, opts ...CallOption) iter.Seq2[R, error] {
	return mapLazy(p, src, opts, func(b *jobBase) runner[A, R] { return plainRunner(b, f) }, false, true)
}

// IMapUnorderedFunc is IMapUnordered for worker-aware tasks that may fail.
func IMapUnorderedFunc[A, R any, S Source[A]](p *Pool, src S, f func(w *Worker, a A) (R, error), opts ...CallOption) iter.Seq2[R, error] {
	return mapLazy(p, src, opts, func(b *jobBase) runner[A, R] { return funcRunner(b, f) }, false, false)
}
