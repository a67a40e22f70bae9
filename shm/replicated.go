package shm

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
)

// A Replicated array holds one copy of the same n values of T on each of a
// set of NUMA nodes, each copy bound to its node, so that code running on a
// node reads local memory. Writes go to one copy only: fill the copies with
// Load (or through each Replica) before sharing them, and treat them as
// read-only afterwards. Its methods are safe for concurrent use; Free must
// come after every use.
type Replicated[T any] struct {
	nodes    []int
	copies   []*Array[T]
	nearest  map[int]int // the node of any online CPU, or one the process may use -> index in copies
	freed    atomic.Bool
	typeName string
}

// NewReplicated maps one array of n zeroed values of T on each of nodes
// (every node with memory when nodes is empty), each bound there and faulted
// in. opts may demand a page kind; a MemPolicy is an error, since each copy
// is bound to its own node. Cost: as New with Bind, once per node, and as
// much memory as one array per node.
func NewReplicated[T any](n int, nodes []int, opts ...Option) (*Replicated[T], error) {
	t, c, ni, err := prepare[T](opts)
	if err != nil {
		return nil, err
	}
	if c.policySet {
		return nil, fmt.Errorf("shm: NewReplicated binds each copy to its node, so it takes no MemPolicy (got %v); "+
			"list the nodes instead", c.policy)
	}
	// Interleave over the nodes resolves "all" and checks each node once.
	p, err := Interleave(nodes...).resolve(ni)
	if err != nil {
		return nil, err
	}
	if len(p.nodes) == 0 {
		return nil, errors.New("shm: the kernel lists no NUMA node with memory; name the nodes to copy to")
	}
	r := &Replicated[T]{nodes: p.nodes, nearest: map[int]int{}, typeName: t.String()}
	for _, node := range r.nodes {
		c.policy = Bind(node)
		a, err := newArray[T](n, t, c, ni)
		if err != nil {
			return nil, errors.Join(err, r.freeCopies())
		}
		r.copies = append(r.copies, a)
	}
	for _, node := range slices.Concat(ni.online, ni.others) {
		r.nearest[node] = slices.Index(r.nodes, ni.nearest(node, r.nodes))
	}
	return r, nil
}

// Nodes returns the nodes holding a copy, sorted.
func (r *Replicated[T]) Nodes() []int { return slices.Clone(r.nodes) }

// Len returns the number of values in each copy.
func (r *Replicated[T]) Len() int { return r.copies[0].Len() }

// Replica returns the copy on node, if there is one.
func (r *Replicated[T]) Replica(node int) (*Array[T], bool) {
	i := slices.Index(r.nodes, node)
	if i < 0 {
		return nil, false
	}
	return r.copies[i], true
}

// Local returns the copy nearest to node as a slice: node's own copy, else
// the one the kernel's distance table puts closest, else the first. Cost: a
// map lookup. It panics after Free.
func (r *Replicated[T]) Local(node int) []T {
	i, ok := r.nearest[node]
	if !ok {
		i = 0
	}
	if r.freed.Load() {
		panic(fmt.Sprintf("shm: Local of a freed Replicated[%s]", r.typeName))
	}
	return r.copies[i].data
}

// ForNode is Local as an any holding a []T: numapool hands each worker
// ForNode(the worker's node) as its shared object.
func (r *Replicated[T]) ForNode(node int) any { return r.Local(node) }

// Load copies src into every copy; src must have Len values. Each copy's
// pages stay on its node whoever writes them.
func (r *Replicated[T]) Load(src []T) error {
	if r.freed.Load() {
		return fmt.Errorf("shm: Load of Replicated[%s]: %w", r.typeName, ErrFreed)
	}
	if len(src) != r.Len() {
		return fmt.Errorf("shm: Load of %d values into Replicated[%s] of %d; pass exactly %d", len(src), r.typeName, r.Len(), r.Len())
	}
	for _, a := range r.copies {
		copy(a.data, src)
	}
	return nil
}

// Free frees every copy, as Array.Free does. Freeing twice returns an
// error wrapping ErrFreed.
func (r *Replicated[T]) Free() error {
	if !r.freed.CompareAndSwap(false, true) {
		return fmt.Errorf("shm: Free of Replicated[%s]: %w", r.typeName, ErrFreed)
	}
	return r.freeCopies()
}

func (r *Replicated[T]) freeCopies() error {
	var errs []error
	for _, a := range r.copies {
		errs = append(errs, a.Free())
	}
	return errors.Join(errs...)
}
