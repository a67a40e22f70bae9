package shm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/numapool/numapool/csrc"
)

// A MemPolicy says on which NUMA nodes an array's pages go (where memory
// lives, not where workers run: that is topology.Placement). It is applied
// with mbind(2) before any page is touched. The zero MemPolicy leaves the
// process's own policy in force, which is first touch unless the program
// runs under numactl or calls set_mempolicy.
type MemPolicy struct {
	mode  csrc.MemPolicy
	nodes []int
	all   bool // Interleave with no nodes: every node with memory
	local bool // Local, not yet resolved to the calling thread's node
}

// Bind puts every page on node; when the node is full, allocation fails
// (the kernel's OOM handling applies) rather than spill elsewhere.
func Bind(node int) MemPolicy {
	return MemPolicy{mode: csrc.PolicyBind, nodes: []int{node}}
}

// Interleave spreads pages round-robin over nodes, every node with memory
// when none are given. Huge pages are interleaved whole.
func Interleave(nodes ...int) MemPolicy {
	return MemPolicy{mode: csrc.PolicyInterleave, nodes: slices.Clone(nodes), all: len(nodes) == 0}
}

// FirstTouch puts each page on the node of the CPU whose thread touches it
// first (MPOL_LOCAL), whatever the process's own policy says. An array so
// placed is not touched at construction.
func FirstTouch() MemPolicy {
	return MemPolicy{mode: csrc.PolicyLocal}
}

// Local binds every page to the NUMA node of the calling thread, resolved
// when the array is made: for scratch memory that a worker makes for itself
// (in its init, say) on its own pinned thread. The calling goroutine must be
// locked to its thread (runtime.LockOSThread, as numapool workers are) and
// the thread pinned to CPUs of one node; otherwise New returns an error that
// names the CPUs and nodes. A node without memory of its own gives the
// nearest node with memory. The array's Policy then reports Bind of that
// node, and New faults its pages in there, as under Bind. Cost: as Bind, plus
// one pthread_getaffinity_np.
func Local() MemPolicy {
	return MemPolicy{mode: csrc.PolicyBind, local: true}
}

// Nodes returns the nodes the policy names, nil for first touch and the
// process default.
func (p MemPolicy) Nodes() []int { return slices.Clone(p.nodes) }

// String returns "default", "first-touch", "bind(N)" or "interleave(N,M,...)"
// ("interleave(all)" and "local" before the nodes are known).
func (p MemPolicy) String() string {
	switch p.mode {
	case csrc.PolicyDefault:
		return "default"
	case csrc.PolicyLocal:
		return "first-touch"
	}
	if p.local {
		return "local"
	}
	if p.all {
		return p.mode.String() + "(all)"
	}
	s := make([]string, len(p.nodes))
	for i, n := range p.nodes {
		s[i] = strconv.Itoa(n)
	}
	return p.mode.String() + "(" + strings.Join(s, ",") + ")"
}

// touchesEarly reports whether construction may populate the pages: only when
// the policy, not the toucher, decides where they go.
func (p MemPolicy) touchesEarly() bool {
	return p.mode == csrc.PolicyBind || p.mode == csrc.PolicyInterleave
}

// resolve checks p's nodes against the machine and fills in "all" and the
// calling thread's node for Local.
func (p MemPolicy) resolve(ni nodeInfo) (MemPolicy, error) {
	if p.local {
		cpus, err := csrc.ThreadAffinity()
		if err != nil {
			return p, fmt.Errorf("shm: Local: %w", err)
		}
		node, err := ni.localNode(cpus)
		if err != nil {
			return p, err
		}
		p.nodes, p.local = []int{node}, false
	}
	if p.all {
		p.nodes, p.all = slices.Clone(ni.memory), false
	}
	seen := map[int]bool{}
	for _, n := range p.nodes {
		if seen[n] {
			return p, fmt.Errorf("shm: NUMA node %d is named twice; name each node once", n)
		}
		seen[n] = true
		if err := ni.check(n); err != nil {
			return p, err
		}
	}
	slices.Sort(p.nodes)
	return p, nil
}

func (p MemPolicy) apply(c *config) error {
	if c.policySet {
		return fmt.Errorf("shm: two memory policies given (%v and %v); give at most one", c.policy, p)
	}
	c.policy, c.policySet = p, true
	return nil
}
