// Command sharedobjects is MPIRE's shared-array example in Go: tasks write
// their results by index into arrays that every worker shares, handed to the
// pool as its shared objects. The arrays live outside the Go heap in shm
// arrays; the program prints which page kind each got and on which NUMA
// nodes its pages are.
//
//	go run ./examples/sharedobjects
//
// It runs six parts:
//
//  1. squares[idx] = x*x for pairs (idx, x), one shared array;
//  2. two shared arrays (squares and sums) in one struct, tasks also
//     returning x%2;
//  3. an array with one slot per worker, each worker adding into its own
//     slot (Worker.ID) the squares of the blocks of numbers it was given,
//     and counting its tasks;
//  4. a 32 MiB array placed by first touch, each worker filling its own
//     blocks: big enough for huge pages;
//  5. a read-only table replicated on every NUMA node, each worker reading
//     its own node's copy;
//  6. per-worker scratch arrays, each made by its worker's init with
//     shm.Local, so on that worker's node.
//
// Goroutines share the Go heap, so a plain []float64 would be shared just
// as well; see docs/shared-memory.md for what shm adds (memory the GC does
// not count, huge pages, NUMA placement).
package main

import (
	"fmt"
	"io"
	"iter"
	"os"
	"slices"
	"sync"

	"github.com/numapool/numapool/numapool"
	"github.com/numapool/numapool/shm"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sharedobjects:", err)
		os.Exit(1)
	}
}

// n is the number of tasks of parts 1 to 3, as in MPIRE's example.
const n = 100

// indexed is one task of parts 1 and 2: MPIRE's (idx, x) pair. Go tasks
// take one argument, so several arguments travel as a struct.
type indexed struct {
	idx int
	x   float64
}

// pairs yields (idx, x) for x in 0..n-1, as MPIRE's enumerate(range(100)):
// a generator, so the calls below pass its length with IterableLen.
func pairs(n int) iter.Seq[indexed] {
	return func(yield func(indexed) bool) {
		for i := range n {
			if !yield(indexed{idx: i, x: float64(i)}) {
				return
			}
		}
	}
}

// squareWithIndex is MPIRE's square_with_index: the shared object is a
// single array, and each task writes its own index, so no lock is needed.
func squareWithIndex(w *numapool.Worker, a indexed) (struct{}, error) {
	squares, ok := numapool.Shared[*shm.Array[float64]](w)
	if !ok {
		return struct{}{}, fmt.Errorf("shared objects are a %T, not an *shm.Array[float64]", w.Shared())
	}
	squares.Slice()[a.idx] = a.x * a.x
	return struct{}{}, nil
}

// results is part 2's shared objects: several objects travel as one struct
// (MPIRE uses a tuple).
type results struct {
	squares, sums *shm.Array[float64]
}

// squareAddAndModuloWithIndex is MPIRE's square_add_and_modulo_with_index:
// it writes two arrays and also returns a value.
func squareAddAndModuloWithIndex(w *numapool.Worker, a indexed) (int, error) {
	r, ok := numapool.Shared[results](w)
	if !ok {
		return 0, fmt.Errorf("shared objects are a %T, not results", w.Shared())
	}
	r.squares.Slice()[a.idx] = a.x * a.x
	r.sums.Slice()[a.idx] = a.x + a.x
	return int(a.x) % 2, nil
}

// slot is one worker's accumulator in part 3, padded to a cache line so
// that workers adding into neighbouring slots do not slow each other down.
// shm element types may be any pointer-free struct.
type slot struct {
	sum   int64
	tasks int64
	_     [48]byte
}

// blockLen is how many squares one task of part 3 adds: MPIRE's square_sum
// adds one square per task, which is so little work that the first worker
// to wake up takes every task before the others start.
const blockLen = 30_000

// squareSum is MPIRE's square_sum, a block at a time: task x adds the
// squares of x*blockLen .. (x+1)*blockLen-1 into the slot of its worker's ID.
// A worker runs one task at a time, so its slot needs no lock.
func squareSum(w *numapool.Worker, x int) (struct{}, error) {
	slots, ok := numapool.Shared[*shm.Array[slot]](w)
	if !ok {
		return struct{}{}, fmt.Errorf("shared objects are a %T, not an *shm.Array[slot]", w.Shared())
	}
	var sum int64
	for i := int64(x) * blockLen; i < int64(x+1)*blockLen; i++ {
		sum += i * i
	}
	s := &slots.Slice()[w.ID()]
	s.sum += sum
	s.tasks++
	return struct{}{}, nil
}

func run(out io.Writer) error {
	// Part 1: one shared array, handed to the pool when it starts.
	squares, err := shm.New[float64](n)
	if err != nil {
		return err
	}
	defer squares.Free()
	p, err := numapool.New(numapool.SharedObjects(squares))
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(out, "pool of %d workers\n", p.Workers())

	if _, err := numapool.MapUnorderedFunc(p, pairs(n), squareWithIndex, numapool.IterableLen(n)); err != nil {
		return err
	}
	fmt.Fprintf(out, "1. squares: %v\n", squares.Slice())
	if err := describe(out, "squares", squares); err != nil {
		return err
	}

	// Part 2: two arrays; SetSharedObjects swaps the shared objects for the
	// calls that follow.
	r := results{}
	if r.squares, err = shm.New[float64](n); err != nil {
		return err
	}
	defer r.squares.Free()
	if r.sums, err = shm.New[float64](n); err != nil {
		return err
	}
	defer r.sums.Free()
	p.SetSharedObjects(r)
	modulo, err := numapool.MapFunc(p, pairs(n), squareAddAndModuloWithIndex, numapool.IterableLen(n))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "2. squares: %v\n", r.squares.Slice())
	fmt.Fprintf(out, "2. sums: %v\n", r.sums.Slice())
	fmt.Fprintf(out, "2. x%%2: %v\n", modulo)

	// Part 3: one slot per worker, indexed by worker ID.
	slots, err := shm.New[slot](p.Workers())
	if err != nil {
		return err
	}
	defer slots.Free()
	p.SetSharedObjects(slots)
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	if _, err := numapool.MapUnorderedFunc(p, xs, squareSum); err != nil {
		return err
	}
	// How the tasks spread over the workers depends on timing (on a busy
	// machine one worker may take them all); the total does not.
	var total, tasks int64
	for id, s := range slots.Slice() {
		fmt.Fprintf(out, "3. worker %d: %d tasks, sum %d\n", id, s.tasks, s.sum)
		total += s.sum
		tasks += s.tasks
	}
	fmt.Fprintf(out, "3. total: %d in %d tasks\n", total, tasks)

	// Part 4: a big array placed by first touch: each page lands on the
	// NUMA node of the worker that writes it first.
	if err := bigArray(out, p); err != nil {
		return err
	}

	// Part 5: a table replicated on every node.
	if err := replicated(out); err != nil {
		return err
	}

	// Part 6: per-worker scratch on each worker's node.
	return scratch(out)
}

// bigLen is part 4's array length: 32 MiB of float64, 16 huge pages.
const bigLen = 4 << 20

// block is a range of indexes, the task of part 4.
type block struct{ lo, hi int }

func bigArray(out io.Writer, p *numapool.Pool) error {
	big, err := shm.New[float64](bigLen, shm.FirstTouch())
	if err != nil {
		return err
	}
	defer big.Free()
	p.SetSharedObjects(big)
	const blockLen = 1 << 18 // 2 MiB of float64: one huge page per task
	blocks := make([]block, 0, bigLen/blockLen)
	for lo := 0; lo < bigLen; lo += blockLen {
		blocks = append(blocks, block{lo, lo + blockLen})
	}
	nodes, err := numapool.MapFunc(p, blocks, func(w *numapool.Worker, b block) (int, error) {
		a, _ := numapool.Shared[*shm.Array[float64]](w)
		v := a.Slice()[b.lo:b.hi]
		for i := range v {
			v[i] = float64(b.lo + i)
		}
		return w.Node(), nil
	}, numapool.ChunkSize(1))
	if err != nil {
		return err
	}
	v := big.Slice()
	if v[bigLen-1] != bigLen-1 {
		return fmt.Errorf("big[%d] = %v, want %d", bigLen-1, v[bigLen-1], bigLen-1)
	}
	slices.Sort(nodes)
	fmt.Fprintf(out, "4. blocks written from workers on nodes %v\n", slices.Compact(nodes))
	return describe(out, "big", big)
}

// describe prints what the kernel says about an array's pages.
func describe[T any](out io.Writer, name string, a *shm.Array[T]) error {
	st, err := a.Stat()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   %s: %d values; at creation the kernel gave %v pages; now %v pages, %d bytes mapped, %d resident, %d in huge pages; policy %v; resident bytes per node %v\n",
		name, a.Len(), a.Kind(), st.Kind, st.Bytes, st.Resident, st.Huge, st.Policy, st.NodeBytes)
	return nil
}

// tableLen is part 5's table length.
const tableLen = 1 << 16

func replicated(out io.Writer) error {
	table, err := shm.NewReplicated[float64](tableLen, nil) // nil: a copy on every node with memory
	if err != nil {
		return err
	}
	defer table.Free()
	data := make([]float64, tableLen)
	for i := range data {
		data[i] = float64(i) / 2
	}
	if err := table.Load(data); err != nil {
		return err
	}
	fmt.Fprintf(out, "5. table of %d values copied on nodes %v\n", table.Len(), table.Nodes())

	// The pool calls table.ForNode(node) once per worker; Worker.Shared
	// then holds that node's copy as a []float64.
	p, err := numapool.New(numapool.SharedObjects(table))
	if err != nil {
		return err
	}
	defer p.Close()
	// One task per worker: each waits at a barrier until all have started,
	// so no worker can take two (only for this printout).
	type seen struct{ worker, node, copyNode int }
	var arrived sync.WaitGroup
	arrived.Add(p.Workers())
	got, err := numapool.MapFunc(p, make([]int, p.Workers()), func(w *numapool.Worker, _ int) (seen, error) {
		arrived.Done()
		arrived.Wait()
		local, ok := numapool.Shared[[]float64](w)
		if !ok {
			return seen{}, fmt.Errorf("shared objects are a %T, not a []float64", w.Shared())
		}
		if local[tableLen-1] != data[tableLen-1] {
			return seen{}, fmt.Errorf("copy holds %v at %d, want %v", local[tableLen-1], tableLen-1, data[tableLen-1])
		}
		return seen{worker: w.ID(), node: w.Node(), copyNode: copyNode(table, local)}, nil
	}, numapool.ChunkSize(1))
	if err != nil {
		return err
	}
	slices.SortFunc(got, func(a, b seen) int { return a.worker - b.worker })
	for _, s := range got {
		fmt.Fprintf(out, "5. worker %d on node %d reads the copy on node %d\n", s.worker, s.node, s.copyNode)
	}
	return p.Close()
}

// copyNode returns the node whose copy local is, or -1.
func copyNode(table *shm.Replicated[float64], local []float64) int {
	for _, node := range table.Nodes() {
		if a, ok := table.Replica(node); ok && &a.Slice()[0] == &local[0] {
			return node
		}
	}
	return -1
}

// scratchLen is the length of each worker's scratch array in part 6: 2 MiB
// of float64.
const scratchLen = 1 << 18

// scratch gives every worker an shm array of its own, made by the worker
// state's init on the worker's pinned thread with shm.Local, so bound to
// the worker's NUMA node, and freed by its exit when the pool closes.
func scratch(out io.Writer) error {
	bufs := numapool.NewWorkerState(func(w *numapool.Worker) (*shm.Array[float64], error) {
		return shm.New[float64](scratchLen, shm.Local())
	}, func(w *numapool.Worker, a **shm.Array[float64]) (any, error) {
		return nil, (*a).Free()
	})
	p, err := numapool.New(numapool.WithState(bufs))
	if err != nil {
		return err
	}
	defer p.Close()
	// One task per worker, as in part 5: each waits until all have started.
	type seen struct {
		worker, node int
		scratch      []int // the nodes holding the scratch array's pages
	}
	var arrived sync.WaitGroup
	arrived.Add(p.Workers())
	got, err := numapool.MapFunc(p, make([]int, p.Workers()), func(w *numapool.Worker, _ int) (seen, error) {
		arrived.Done()
		arrived.Wait()
		a := *bufs.Of(w)
		s := a.Slice()
		for i := range s {
			s[i] = float64(w.ID())
		}
		st, err := a.Stat()
		if err != nil {
			return seen{}, err
		}
		var nodes []int
		for n := range st.NodeBytes {
			nodes = append(nodes, n)
		}
		slices.Sort(nodes)
		return seen{worker: w.ID(), node: w.Node(), scratch: nodes}, nil
	}, numapool.ChunkSize(1))
	if err != nil {
		return err
	}
	slices.SortFunc(got, func(a, b seen) int { return a.worker - b.worker })
	for _, s := range got {
		fmt.Fprintf(out, "6. worker %d on node %d has its scratch on nodes %v\n", s.worker, s.node, s.scratch)
	}
	return p.Close() // each worker's exit frees its array
}
