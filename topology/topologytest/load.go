package topologytest

import (
	"testing"

	"github.com/numapool/numapool/topology"
)

// Load builds spec in memory and loads it as a machine, failing t if it
// cannot be loaded. It touches no disk.
func Load(t testing.TB, spec Spec) *topology.Machine {
	t.Helper()
	m, err := topology.LoadFS(indexFS(spec.FS()))
	if err != nil {
		t.Fatalf("topologytest: loading %+v: %v", spec, err)
	}
	return m
}
