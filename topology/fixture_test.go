package topology_test

import (
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/stretchr/testify/require"
)

func set(t *testing.T, list string) topology.CPUSet {
	t.Helper()
	s, err := topology.ParseCPUList(list)
	require.NoError(t, err)
	return s
}
