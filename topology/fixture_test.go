package topology_test

import (
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/require"
)

// load writes spec into a temporary folder and loads it.
func load(t *testing.T, spec topologytest.Spec) *topology.Machine {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, spec.Write(dir))
	m, err := topology.Load(dir)
	require.NoError(t, err)
	return m
}

func set(t *testing.T, list string) topology.CPUSet {
	t.Helper()
	s, err := topology.ParseCPUList(list)
	require.NoError(t, err)
	return s
}
