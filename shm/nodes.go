package shm

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// sysNodes is where Linux describes its NUMA nodes.
const sysNodes = "/sys/devices/system/node"

// nodeInfo is what sysfs says about the machine's NUMA nodes.
type nodeInfo struct {
	online   []int         // sorted
	memory   []int         // sorted; the nodes pages can be placed on
	distance map[int][]int // node -> distances to each online node, in online order
}

// readNodes reads the node lists under root (sysNodes outside tests). A
// kernel without NUMA support has no such folder: that is one node, 0.
func readNodes(root string) (nodeInfo, error) {
	online, err := readNodeList(filepath.Join(root, "online"))
	if errors.Is(err, fs.ErrNotExist) {
		return nodeInfo{online: []int{0}, memory: []int{0}}, nil
	}
	if err != nil {
		return nodeInfo{}, err
	}
	memory, err := readNodeList(filepath.Join(root, "has_memory"))
	if errors.Is(err, fs.ErrNotExist) {
		memory, err = online, nil // kernels before 2.6.35 have no has_memory
	}
	if err != nil {
		return nodeInfo{}, err
	}
	info := nodeInfo{online: online, memory: memory, distance: map[int][]int{}}
	for _, n := range online {
		b, err := os.ReadFile(filepath.Join(root, "node"+strconv.Itoa(n), "distance"))
		if err != nil {
			continue // distances only refine the choice of a nearest replica
		}
		var d []int
		for _, f := range strings.Fields(string(b)) {
			v, err := strconv.Atoi(f)
			if err != nil {
				d = nil
				break
			}
			d = append(d, v)
		}
		if len(d) == len(online) {
			info.distance[n] = d
		}
	}
	return info, nil
}

// readNodeList parses a sysfs list such as "0-3,8,10-11".
func readNodeList(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	nodes, err := parseList(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("shm: reading %s: %w", path, err)
	}
	return nodes, nil
}

func parseList(s string) ([]int, error) {
	var out []int
	if s == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 0 {
			return nil, fmt.Errorf("bad list entry %q", part)
		}
		z := a
		if isRange {
			z, err = strconv.Atoi(hi)
			if err != nil || z < a {
				return nil, fmt.Errorf("bad list entry %q", part)
			}
		}
		for n := a; n <= z; n++ {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// check returns a clear error for a node that cannot hold pages.
func (ni nodeInfo) check(node int) error {
	if !slices.Contains(ni.online, node) {
		return fmt.Errorf("shm: NUMA node %d does not exist; this machine's nodes are %v", node, ni.online)
	}
	if !slices.Contains(ni.memory, node) {
		return fmt.Errorf("shm: NUMA node %d has no memory of its own; nodes with memory are %v", node, ni.memory)
	}
	return nil
}

// nearest returns the entry of have closest to node by the kernel's distance
// table, the first on ties, and have[0] when node is unknown.
func (ni nodeInfo) nearest(node int, have []int) int {
	if slices.Contains(have, node) {
		return node
	}
	d, ok := ni.distance[node]
	if !ok {
		return have[0]
	}
	best, bestD := have[0], int(^uint(0)>>1)
	for _, h := range have {
		i := slices.Index(ni.online, h)
		if i >= 0 && d[i] < bestD {
			best, bestD = h, d[i]
		}
	}
	return best
}
