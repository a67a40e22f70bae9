//go:build linux && cgo

package csrc

/*
#include "numa.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// MemPolicy is a Linux memory policy mode, as in linux/mempolicy.h.
type MemPolicy int

// The policy modes this package sets and reads back.
const (
	PolicyDefault    MemPolicy = 0 // MPOL_DEFAULT: the thread's or process's policy
	PolicyPreferred  MemPolicy = 1 // MPOL_PREFERRED: one node first, others when it is full
	PolicyBind       MemPolicy = 2 // MPOL_BIND: only the given nodes
	PolicyInterleave MemPolicy = 3 // MPOL_INTERLEAVE: page by page over the given nodes
	PolicyLocal      MemPolicy = 4 // MPOL_LOCAL: the node of the CPU that touches the page first
)

func (p MemPolicy) String() string {
	switch p {
	case PolicyDefault:
		return "default"
	case PolicyPreferred:
		return "preferred"
	case PolicyBind:
		return "bind"
	case PolicyInterleave:
		return "interleave"
	case PolicyLocal:
		return "local"
	}
	return fmt.Sprintf("MemPolicy(%d)", int(p))
}

// MaxNodes bounds the NUMA node numbers this package handles: 1024 is the
// kernel's largest CONFIG_NODES_SHIFT (10).
const MaxNodes = 1024

// NoNode is what PageNodes reports for a page with no memory of its own yet:
// never touched, or only read (and so mapped to the kernel's shared zero page).
const NoNode = -1

const maskWords = MaxNodes / (8 * C.sizeof_ulong)

func nodeMask(nodes []int) (*[maskWords]C.ulong, error) {
	var mask [maskWords]C.ulong
	bits := 8 * C.sizeof_ulong
	for _, n := range nodes {
		if n < 0 || n >= MaxNodes {
			return nil, fmt.Errorf("csrc: NUMA node %d is outside 0..%d", n, MaxNodes-1)
		}
		mask[n/bits] |= 1 << (n % bits)
	}
	return &mask, nil
}

// Mbind sets the memory policy of mem, which must start on a page boundary,
// with mbind(2) and no flags: pages already present stay where they are, so
// call it before the first touch. nodes must be empty for PolicyDefault and
// PolicyLocal and non-empty otherwise. mem must be memory from mmap, never
// from the Go heap. Cost: one system call.
func Mbind(mem []byte, mode MemPolicy, nodes []int) error {
	if len(mem) == 0 {
		return errors.New("csrc: Mbind needs a non-empty range")
	}
	switch mode {
	case PolicyDefault, PolicyLocal:
		if len(nodes) != 0 {
			return fmt.Errorf("csrc: policy %v takes no nodes, got %v", mode, nodes)
		}
	case PolicyPreferred, PolicyBind, PolicyInterleave:
		if len(nodes) == 0 {
			return fmt.Errorf("csrc: policy %v needs at least one node", mode)
		}
	default:
		return fmt.Errorf("csrc: unknown memory policy %d", int(mode))
	}
	mask, err := nodeMask(nodes)
	if err != nil {
		return err
	}
	rc := C.np_mbind(unsafe.Pointer(&mem[0]), C.ulong(len(mem)), C.int(mode), &mask[0], MaxNodes+1)
	if rc != 0 {
		return fmt.Errorf("csrc: mbind(%v, %v): %w", mode, nodes, syscall.Errno(rc))
	}
	return nil
}

// PolicyOf reads back, with get_mempolicy(2) and MPOL_F_ADDR, the policy that
// governs the page holding addr and its nodes, sorted. Cost: one system call.
func PolicyOf(addr unsafe.Pointer) (MemPolicy, []int, error) {
	var mask [maskWords]C.ulong
	var mode C.int
	rc := C.np_get_mempolicy(addr, &mode, &mask[0], MaxNodes)
	if rc != 0 {
		return 0, nil, fmt.Errorf("csrc: get_mempolicy: %w", syscall.Errno(rc))
	}
	bits := 8 * C.sizeof_ulong
	var nodes []int
	for n := range MaxNodes {
		if mask[n/bits]&(1<<(n%bits)) != 0 {
			nodes = append(nodes, n)
		}
	}
	return MemPolicy(mode), nodes, nil
}

// PageNodes reports the NUMA node of each page of mem, taking pages pageSize
// bytes apart from mem's start, as move_pages(2) reads them without moving
// anything; NoNode for a page without memory of its own. Cost: one system
// call per 512 pages.
func PageNodes(mem []byte, pageSize int) ([]int, error) {
	if pageSize <= 0 {
		return nil, fmt.Errorf("csrc: page size %d must be positive", pageSize)
	}
	if len(mem) == 0 {
		return nil, nil
	}
	count := (len(mem) + pageSize - 1) / pageSize
	status := make([]C.int, count)
	rc := C.np_page_nodes(unsafe.Pointer(&mem[0]), C.long(pageSize), C.long(count), &status[0])
	if rc != 0 {
		return nil, fmt.Errorf("csrc: move_pages: %w", syscall.Errno(rc))
	}
	out := make([]int, count)
	for i, s := range status {
		out[i] = max(int(s), NoNode)
	}
	return out, nil
}
