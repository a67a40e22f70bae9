package topology_test

import (
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckCPUs(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.Offline = []int{7}
	spec.CgroupCPUs = "0-3,7-31"
	m := topologytest.Load(t, spec)
	usable := "0-3,8-31"
	require.Equal(t, usable, m.Usable().String())

	for _, tc := range []struct {
		cpu     int
		problem topology.CPUProblem
		msg     string
	}{
		{-1, topology.Negative, "CPU -1 is negative; usable CPUs are " + usable},
		{32, topology.NotOnMachine, "CPU 32 does not exist on this machine; usable CPUs are " + usable},
		{7, topology.Offline, "CPU 7 is offline; usable CPUs are " + usable},
		{5, topology.NotUsable, "CPU 5 is not allowed to this process (affinity mask or cgroup cpuset); usable CPUs are " + usable},
	} {
		err := m.CheckCPU(tc.cpu)
		var ce *topology.CPUError
		require.ErrorAs(t, err, &ce, "CPU %d", tc.cpu)
		assert.Equal(t, tc.cpu, ce.CPU)
		assert.Equal(t, tc.problem, ce.Problem)
		assert.Equal(t, usable, ce.Usable.String())
		assert.EqualError(t, err, tc.msg)
		if tc.cpu >= 0 {
			assert.EqualError(t, m.CheckCPUs(topology.NewCPUSet(0, tc.cpu)), tc.msg)
		}
	}
	assert.NoError(t, m.CheckCPU(0))
	assert.NoError(t, m.CheckCPUs(set(t, "0-3,8")))

	var ce *topology.CPUError
	require.ErrorAs(t, m.CheckCPUs(topology.CPUSet{}), &ce)
	assert.Equal(t, topology.NoCPU, ce.Problem)
	assert.EqualError(t, ce, "no CPU given; usable CPUs are "+usable)
	// The lowest bad CPU of a set is reported.
	assert.EqualError(t, m.CheckCPUs(topology.NewCPUSet(40, 7, 5)), "CPU 5 is not allowed to this process (affinity mask or cgroup cpuset); usable CPUs are "+usable)
}
