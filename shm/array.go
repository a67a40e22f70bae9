package shm

import (
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/numapool/numapool/csrc"
)

// ErrFreed is wrapped by the errors of Free, Stat and Load on a freed array.
var ErrFreed = errors.New("array already freed")

// An Array is a fixed-length array of T in memory outside the Go heap: a
// private anonymous mapping of its own, which the garbage collector never
// scans, backed by the page kind the kernel gave and placed on NUMA nodes
// by its MemPolicy. Its methods are safe for concurrent use; Free must come
// after every use of the array and of its slice view.
type Array[T any] struct {
	data   []T
	mem    []byte
	region region
	kind   PageKind
	policy MemPolicy
	freed  atomic.Bool
}

// New maps an array of n zeroed values of T. T must be free of pointers (no
// pointers, strings, slices, maps, channels, functions or interfaces, at any
// depth): the garbage collector does not see this memory, so it could free
// what such values point to.
//
// Page kinds are tried in the order HugeTLB, THP, NormalPages (huge ones
// only for arrays of at least one huge page) unless an option demands one;
// Kind reports what the kernel gave, and a demanded kind that cannot be had
// is an error. Under Bind or Interleave the pages are placed and faulted in
// here, so New costs about the time to zero n values; otherwise (the
// default or FirstTouch) no page exists until first touched. Call Free when
// done: the memory is not garbage collected.
func New[T any](n int, opts ...Option) (*Array[T], error) {
	t, c, ni, err := prepare[T](opts)
	if err != nil {
		return nil, err
	}
	return newArray[T](n, t, c, ni)
}

// prepare checks T and the options and reads the machine's nodes: what New
// and NewReplicated both start with.
func prepare[T any](opts []Option) (reflect.Type, config, nodeInfo, error) {
	t := reflect.TypeFor[T]()
	if err := checkElem(t); err != nil {
		return nil, config{}, nodeInfo{}, err
	}
	c, err := newConfig(opts)
	if err != nil {
		return nil, config{}, nodeInfo{}, err
	}
	ni, err := machineNodes()
	if err != nil {
		return nil, config{}, nodeInfo{}, err
	}
	return t, c, ni, nil
}

// maxBytes bounds an array's size: 256 TiB, twice the user address space
// of x86-64 with 4-level page tables.
const maxBytes = 1 << 48

func newArray[T any](n int, t reflect.Type, c config, ni nodeInfo) (*Array[T], error) {
	if n <= 0 {
		return nil, fmt.Errorf("shm: array length %d must be positive", n)
	}
	if n > maxBytes/int(t.Size()) {
		return nil, fmt.Errorf("shm: %d values of %v (%d bytes each) overflow the address space", n, t, t.Size())
	}
	policy, err := c.policy.resolve(ni)
	if err != nil {
		return nil, err
	}
	size := n * int(t.Size())
	r, kind, err := mapKind(size, c.pages, policy)
	if err != nil {
		return nil, fmt.Errorf("shm: Array[%v] of %d values: %w", t, n, err)
	}
	track(r)
	return &Array[T]{
		data:   unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(r.mem))), n),
		mem:    r.mem,
		region: r,
		kind:   kind,
		policy: policy,
	}, nil
}

// mapKind maps size bytes with the first page kind that works, places them
// and reads back the kind the kernel gave.
func mapKind(size int, want PageKind, policy MemPolicy) (region, PageKind, error) {
	var errs []error
	for _, k := range []PageKind{HugeTLB, THP, NormalPages} {
		if want != AnyPages && want != k {
			continue
		}
		if want == AnyPages && (k == THP && size < hugeSize() || k == HugeTLB && size < hugeTLBSize()) {
			continue // no whole huge page fits
		}
		r, got, err := mapOne(size, k, policy)
		if err == nil && (got == k || want == AnyPages) {
			return r, got, nil
		}
		if err == nil {
			err = fmt.Errorf("asked for %v pages, the kernel gave %v (too little unfragmented memory?); "+
				"leave out the %v option to accept what it gives", k, got, k)
			if uerr := r.unmap(); uerr != nil {
				err = errors.Join(err, uerr)
			}
		}
		errs = append(errs, err)
	}
	return region{}, 0, errors.Join(errs...)
}

// mapOne maps size bytes as kind k, applies policy, faults the pages in
// when the policy decides where they go, and reads back the kind. Cost: a
// few system calls, the page-table walk of the range, and the faults.
func mapOne(size int, k PageKind, policy MemPolicy) (region, PageKind, error) {
	r, err := mapRegion(size, k)
	if err != nil {
		return region{}, 0, err
	}
	fail := func(err error) (region, PageKind, error) {
		return region{}, 0, errors.Join(err, r.unmap())
	}
	if policy.mode != csrc.PolicyDefault {
		if err := csrc.Mbind(r.mem, policy.mode, policy.nodes); err != nil {
			return fail(fmt.Errorf("placing %v: %w", policy, err))
		}
	}
	if policy.touchesEarly() {
		if err := populate(r.mem); err != nil {
			return fail(err)
		}
	}
	u, err := usage(r.mem)
	if err != nil {
		return fail(err)
	}
	return r, kindOf(k, u), nil
}

// Slice returns the array as a Go slice, which ordinary Go code can index,
// range over and pass on; it costs nothing. After Free it panics, and a slice
// obtained before Free faults on first use: the program stops with an
// "unexpected fault address" error (a recoverable panic in goroutines that
// call debug.SetPanicOnFault), never touching memory it does not own.
func (a *Array[T]) Slice() []T {
	if a.freed.Load() {
		panic(fmt.Sprintf("shm: Slice of a freed Array[%v]", reflect.TypeFor[T]()))
	}
	return a.data
}

// Len returns the number of values in the array.
func (a *Array[T]) Len() int { return len(a.data) }

// Bytes returns the length of the mapping, at least Len times the size of T.
func (a *Array[T]) Bytes() int { return len(a.mem) }

// Kind returns the page kind the kernel reported when the array was made.
// For an array not touched at construction (default policy or
// FirstTouch) it is the kind the kernel will fault in; Stat reads what it
// did.
func (a *Array[T]) Kind() PageKind { return a.kind }

// Policy returns the memory policy the array was made with, its nodes
// resolved.
func (a *Array[T]) Policy() MemPolicy { return a.policy }

// Free returns the array's memory to the system at once. Its addresses stay
// reserved (mapped PROT_NONE, with no memory behind them) while the array is
// in quarantine: until QuarantineArrays more arrays have been freed, or until
// it and the arrays freed after it add up to more than QuarantineBytes. Until
// then a stale slice faults instead of reading or corrupting whatever would
// be mapped there next; afterwards the addresses are unmapped and may be
// reused. Freeing twice returns an error wrapping ErrFreed. Cost: one mmap,
// plus one munmap per array leaving quarantine.
func (a *Array[T]) Free() error {
	if !a.freed.CompareAndSwap(false, true) {
		return fmt.Errorf("shm: Free of Array[%v]: %w", reflect.TypeFor[T](), ErrFreed)
	}
	return retire(a.region)
}
