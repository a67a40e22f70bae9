package topologytest

import (
	"testing"

	"github.com/numapool/numapool/topology"
)

// Load writes spec into a temporary folder of t and loads it as a machine,
// failing t if either step fails.
func Load(t testing.TB, spec Spec) *topology.Machine {
	t.Helper()
	dir := t.TempDir()
	if err := spec.Write(dir); err != nil {
		t.Fatalf("topologytest: writing %+v: %v", spec, err)
	}
	m, err := topology.Load(dir)
	if err != nil {
		t.Fatalf("topologytest: loading %+v: %v", spec, err)
	}
	return m
}
