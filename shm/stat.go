package shm

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/numapool/numapool/csrc"
)

// Stat is what the kernel says about an array's memory right now.
type Stat struct {
	// Kind is the page kind of the resident pages (for an array with none
	// yet, the kind the kernel will fault in).
	Kind PageKind
	// Bytes is the length of the mapping; Resident how much of it has
	// memory behind it; Huge how much of that is in huge pages.
	Bytes, Resident, Huge int
	// Policy is the memory policy read back with get_mempolicy.
	Policy MemPolicy
	// NodeBytes maps each NUMA node to the resident bytes on it, as
	// move_pages reports them page by page.
	NodeBytes map[int]int
}

// Stat reads the array's page kind, residency and memory policy back from the
// kernel. Cost: a walk of the array's page tables (PAGEMAP_SCAN), a
// get_mempolicy, and one move_pages call per 2 MiB of array: tens of
// milliseconds per GiB. Not for hot paths.
func (a *Array[T]) Stat() (Stat, error) {
	if a.freed.Load() {
		return Stat{}, fmt.Errorf("shm: Stat of Array[%v]: %w", reflect.TypeFor[T](), ErrFreed)
	}
	return statOf(a.region)
}

func statOf(r region) (Stat, error) {
	mem := r.mem
	u, err := usage(mem)
	if err != nil {
		return Stat{}, err
	}
	mode, nodes, err := csrc.PolicyOf(unsafe.Pointer(unsafe.SliceData(mem)))
	if err != nil {
		return Stat{}, err
	}
	where, err := csrc.PageNodes(mem, pageSize)
	if err != nil {
		return Stat{}, err
	}
	onNode := map[int]int{}
	for _, n := range where {
		if n != csrc.NoNode {
			onNode[n] += pageSize
		}
	}
	return Stat{
		Kind:      kindOf(r.kind, u),
		Bytes:     len(mem),
		Resident:  u.resident,
		Huge:      u.huge,
		Policy:    MemPolicy{mode: mode, nodes: nodes},
		NodeBytes: onNode,
	}, nil
}
