package topology_test

import (
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
)

// BenchmarkObjects measures one copy of the object graph (what Packages,
// Cores, ... cost per call) against reading Usable, which copies nothing:
// 256 CPUs in 8 packages x 4 nodes x 4 cores x 2 threads.
func BenchmarkObjects(b *testing.B) {
	m := topologytest.Load(b, topologytest.Spec{Packages: 8, NodesPerPackage: 4, CoresPerNode: 4, ThreadsPerCore: 2})
	b.Run("Packages", func(b *testing.B) {
		for b.Loop() {
			if len(m.Packages()) != 8 {
				b.Fatal("packages")
			}
		}
	})
	b.Run("Usable", func(b *testing.B) {
		var s topology.CPUSet
		for b.Loop() {
			s = m.Usable()
		}
		if s.Len() != 256 {
			b.Fatal("usable")
		}
	})
}
