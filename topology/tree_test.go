package topology_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outline renders a tree one object a line, indented by depth.
func outline(root *topology.Object) []string {
	var out []string
	root.Walk(func(o *topology.Object, depth int) {
		out = append(out, fmt.Sprintf("%s%s#%d %s", strings.Repeat(" ", depth), o.Type, o.OSIndex, o.CPUs))
	})
	return out
}

func TestTree(t *testing.T) {
	m := topologytest.Load(t, topologytest.TwoSockets())
	root := m.Tree()
	count := map[topology.ObjectType]int{}
	root.Walk(func(o *topology.Object, _ int) { count[o.Type]++ })
	assert.Equal(t, map[topology.ObjectType]int{
		"Machine": 1, "Package": 2, "NUMANode": 4, "L3": 4, "L2": 16, "L1d": 16, "L1i": 16, "Core": 16, "PU": 32,
	}, count)
	lines := outline(root)
	assert.Equal(t, []string{
		"Machine#-1 0-31",
		" Package#0 0-7,16-23",
		"  NUMANode#0 0-3,16-19",
		"   L3#-1 0-3,16-19",
		"    L2#-1 0,16",
		"     L1d#-1 0,16",
		"      L1i#-1 0,16",
		"       Core#0 0,16",
		"        PU#0 0",
		"        PU#16 16",
		"    L2#-1 1,17",
	}, lines[:11])
	// Logical indexes count each type in tree order, as hwloc's L# does.
	var pus, cores []int
	root.Walk(func(o *topology.Object, _ int) {
		switch o.Type {
		case topology.PUObject:
			pus = append(pus, o.LogicalIndex, o.OSIndex)
		case topology.CoreObject:
			cores = append(cores, o.LogicalIndex)
		}
	})
	assert.Equal(t, []int{0, 0, 1, 16, 2, 1, 3, 17}, pus[:8], "L#, P# pairs")
	assert.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, cores)
	assert.Equal(t, " Package#1 8-15,24-31", lines[1+1+(len(lines)-2)/2])
	assert.Equal(t, uint64(4<<30), root.Memory)
	assert.Equal(t, uint64(1<<30), root.Children[0].Children[0].Memory)
	assert.Equal(t, uint64(16<<20), root.Children[0].Children[0].Children[0].Size)
}

func TestTreeNodeSpanningPackages(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.NoNodeFolder = true
	lines := outline(topologytest.Load(t, spec).Tree())
	assert.Equal(t, []string{"Machine#-1 0-31", " NUMANode#0 0-31", "  Package#0 0-7,16-23"}, lines[:3])
}

func TestTreeCPUlessNodes(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.MemoryOnlyNodes = 1
	spec.CgroupCPUs = "0-7,16-23"
	root := topologytest.Load(t, spec).Tree()
	require.Len(t, root.Children, 2)
	p0, p1 := root.Children[0], root.Children[1]
	assert.Equal(t, topology.PackageObject, p1.Type)
	assert.True(t, p1.CPUs.IsEmpty(), "package 1 stays for its nodes' memory")
	require.Len(t, p1.Children, 2)
	assert.Equal(t, []int{2, 3}, []int{p1.Children[0].OSIndex, p1.Children[1].OSIndex})
	var types []string
	for _, c := range p0.Children {
		types = append(types, fmt.Sprintf("%s#%d %s", c.Type, c.OSIndex, c.CPUs))
	}
	assert.Equal(t, []string{"NUMANode#0 0-3,16-19", "NUMANode#4 0-3,16-19", "NUMANode#1 4-7,20-23"}, types)
	assert.True(t, p0.Children[1].Node.MemoryOnly)
}
