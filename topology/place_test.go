package topology_test

import (
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lists renders each worker's CPU set in list syntax.
func lists(sets []topology.CPUSet) []string {
	out := make([]string, len(sets))
	for i, s := range sets {
		out[i] = s.String()
	}
	return out
}

func TestPlace(t *testing.T) {
	// Node n: cores 4n..4n+3, first threads 4n..4n+3, siblings 16+4n..16+4n+3.
	m := topologytest.Load(t, topologytest.TwoSockets())
	for _, tc := range []struct {
		name   string
		n      int
		p      topology.Placement
		within string
		want   []string
	}{
		{"compact fills core by core", 6, topology.Compact, "", []string{"0", "16", "1", "17", "2", "18"}},
		{"compact fills node 0 first", 9, topology.Compact, "", []string{"0", "16", "1", "17", "2", "18", "3", "19", "4"}},
		{"zero placement is compact", 3, topology.Placement{}, "", []string{"0", "16", "1"}},
		{"spread over packages then nodes", 8, topology.Spread, "", []string{"0", "8", "4", "12", "1", "9", "5", "13"}},
		{"spread: siblings after all cores", 18, topology.Spread, "", []string{
			"0", "8", "4", "12", "1", "9", "5", "13", "2", "10", "6", "14", "3", "11", "7", "15", "16", "24"}},
		{"in node", 3, topology.InNode(2), "", []string{"8", "24", "9"}},
		{"in node wraps", 10, topology.InNode(3), "", []string{"12", "28", "13", "29", "14", "30", "15", "31", "12", "28"}},
		{"nested compact in a worker's CPUs", 3, topology.Compact, "5,21", []string{"5", "21", "5"}},
		{"nested spread in a worker's CPUs", 4, topology.Spread, "4-5,20-21", []string{"4", "5", "20", "21"}},
		{"spread within both packages", 4, topology.Spread, "0-1,8-9", []string{"0", "8", "1", "9"}},
		{"in node within", 2, topology.InNode(1), "0-5", []string{"4", "5"}},
		{"within beyond usable is cut", 2, topology.Compact, "30-40", []string{"30", "31"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var within topology.CPUSet
			if tc.within != "" {
				within = set(t, tc.within)
			}
			got, err := m.Place(tc.n, tc.p, within)
			require.NoError(t, err)
			assert.Equal(t, tc.want, lists(got))
		})
	}
}

func TestPlaceWrapsOverAllCPUs(t *testing.T) {
	m := topologytest.Load(t, topologytest.TwoSockets())
	for _, p := range []topology.Placement{topology.Compact, topology.Spread} {
		got, err := m.Place(64, p, topology.CPUSet{})
		require.NoError(t, err)
		var all topology.CPUSet
		for i, s := range got[:32] {
			require.Equal(t, 1, s.Len())
			assert.False(t, all.Has(s.First()), "CPU %s given twice", s)
			all = all.Union(s)
			assert.Equal(t, s, got[i+32], "second round repeats the first")
		}
		assert.Equal(t, m.Usable(), all, "%s", p)
	}
}

func TestPlaceRespectsUsable(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.CgroupCPUs = "2-5,18-19"
	spec.Offline = []int{4}
	m := topologytest.Load(t, spec)
	got, err := m.Place(4, topology.Compact, topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []string{"2", "18", "3", "19"}, lists(got))
	got, err = m.Place(3, topology.Spread, topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []string{"2", "5", "3"}, lists(got))
	got, err = m.Place(2, topology.InNode(1), topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []string{"5", "5"}, lists(got))
}

func TestPlaceMemoryOnlyNode(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.MemoryOnlyNodes = 1
	m := topologytest.Load(t, spec)
	got, err := m.Place(2, topology.InNode(4), topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "16"}, lists(got), "the CPUs nearest the memory")
	got, err = m.Place(3, topology.Spread, topology.CPUSet{})
	require.NoError(t, err)
	assert.Equal(t, []string{"0", "8", "4"}, lists(got))
}

func TestPlaceErrors(t *testing.T) {
	m := topologytest.Load(t, topologytest.TwoSockets())
	_, err := m.Place(0, topology.Compact, topology.CPUSet{})
	assert.ErrorContains(t, err, "0 workers")
	_, err = m.Place(-2, topology.Spread, topology.CPUSet{})
	assert.ErrorContains(t, err, "-2 workers")
	_, err = m.Place(1, topology.Compact, topology.NewCPUSet(40, 41))
	assert.ErrorContains(t, err, "no usable CPU in 40-41; usable CPUs are 0-31")
	_, err = m.Place(1, topology.InNode(7), topology.CPUSet{})
	assert.ErrorContains(t, err, "no NUMA node 7; nodes are 0-3")
	_, err = m.Place(1, topology.InNode(1), topology.NewCPUSet(0))
	assert.ErrorContains(t, err, "NUMA node 1 has no usable CPU in 0")
}

func TestPlacementString(t *testing.T) {
	assert.Equal(t, "compact", topology.Compact.String())
	assert.Equal(t, "spread", topology.Spread.String())
	assert.Equal(t, "node 3", topology.InNode(3).String())
}
