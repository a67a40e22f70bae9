package topology_test

import (
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
)

func TestCPULimit(t *testing.T) {
	for _, tc := range []struct {
		max    string
		v1     bool
		want   float64
		wantOK bool
	}{
		{"200000 100000", false, 2, true},
		{"150000 100000", false, 1.5, true},
		{"50000 100000", true, 0.5, true},
		{"400000 100000", true, 4, true},
		{"max 100000", false, 0, false},
		{"max 100000", true, 0, false},
		{"", false, 0, false},
		{"", true, 0, false},
	} {
		spec := topologytest.TwoSockets()
		spec.CPUMax, spec.CgroupV1 = tc.max, tc.v1
		m := topologytest.Load(t, spec)
		got, ok := m.CPULimit()
		assert.Equal(t, tc.wantOK, ok, "%q v1=%v", tc.max, tc.v1)
		assert.InDelta(t, tc.want, got, 1e-9, "%q v1=%v", tc.max, tc.v1)
		assert.Equal(t, 32, m.Usable().Len(), "a limit leaves the usable CPUs as they are")
	}
}

// TestCPULimitTightest puts a tighter limit below a looser one and the
// other way round: the tighter one holds either way.
func TestCPULimitTightest(t *testing.T) {
	spec := topologytest.TwoSockets()
	spec.CPUMax = "300000 100000"
	fs := spec.FS()
	step := "sys/fs/cgroup/job.slice/step/cpu.max"
	fs[step].Data = []byte("100000 50000\n") // 2 CPUs, below job.slice's 3
	m, err := topology.LoadFS(fs)
	assert.NoError(t, err)
	got, ok := m.CPULimit()
	assert.True(t, ok)
	assert.Equal(t, 2.0, got)

	fs[step].Data = []byte("800000 100000\n")
	m, err = topology.LoadFS(fs)
	assert.NoError(t, err)
	got, _ = m.CPULimit()
	assert.Equal(t, 3.0, got)

	// A namespaced mount: proc/self/cgroup names a path the mount does not
	// show; the mount's top is the process's cgroup.
	fs = spec.FS()
	delete(fs, "sys/fs/cgroup/job.slice/cpu.max")
	fs["proc/self/cgroup"].Data = []byte("0::/host/path/pod\n")
	fs["sys/fs/cgroup/cpu.max"] = fs[step]
	fs["sys/fs/cgroup/cpu.max"].Data = []byte("250000 100000\n")
	m, err = topology.LoadFS(fs)
	assert.NoError(t, err)
	got, _ = m.CPULimit()
	assert.Equal(t, 2.5, got)
}
