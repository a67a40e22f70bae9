package topology_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCorpus loads every recorded machine of the corpus and compares it
// with hwloc's answers: the corpus' expected files (counts, CPUs of nodes,
// packages and cores) and testdata/hwloc (caches, memory, distances).
func TestCorpus(t *testing.T) {
	dir := topologytest.CorpusDir()
	if dir == "" {
		t.Skip("topology corpus not found: set NUMAPOOL_TOPOLOGY_CORPUS or put shared/topology-corpus beside the repository")
	}
	archives, err := filepath.Glob(filepath.Join(dir, "*.tar.bz2"))
	require.NoError(t, err)
	require.Len(t, archives, 20, "the corpus holds 20 dumps")
	for _, a := range archives {
		name := strings.TrimSuffix(filepath.Base(a), ".tar.bz2")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join(dir, name+".expected.json"))
			require.NoError(t, err)
			var want summary
			require.NoError(t, json.Unmarshal(b, &want))

			root, err := topologytest.UnpackFS(a)
			require.NoError(t, err)
			m, err := topology.LoadFS(root)
			require.NoError(t, err)
			got := summarize(m)

			assert.Equal(t, want.Packages, got.Packages, "packages")
			assert.Equal(t, want.NUMANodes, got.NUMANodes, "numa_nodes")
			assert.Equal(t, want.Cores, got.Cores, "cores")
			assert.Equal(t, want.PUs, got.PUs, "pus")
			assert.Equal(t, want.PUOSIndexes, got.PUOSIndexes, "pu_os_indexes")
			assert.Equal(t, want.PUsByNode, got.PUsByNode, "pus_by_node")
			assert.Equal(t, want.PUsByPackage, got.PUsByPackage, "pus_by_package")
			assert.Equal(t, sortedCores(want.CorePUs), sortedCores(got.CorePUs), "core_pus")
			checkHwlocDetail(t, name, m)

			// Every policy hands out each usable CPU once, and the tree
			// holds every object.
			for _, p := range []topology.Placement{topology.Compact, topology.Spread} {
				order, err := m.Order(p, topology.CPUSet{})
				require.NoError(t, err)
				assert.Len(t, order, m.Usable().Len(), "%s", p)
				assert.Equal(t, m.Usable(), topology.NewCPUSet(order...), "%s", p)
			}
			count := map[topology.ObjectType]int{}
			m.Tree().Walk(func(o *topology.Object, _ int) { count[o.Type]++ })
			assert.Equal(t, want.PUs, count[topology.PUObject])
			assert.Equal(t, want.Cores, count[topology.CoreObject])
			assert.Equal(t, want.Packages, count[topology.PackageObject])
			assert.Equal(t, want.NUMANodes, count[topology.NUMANodeObject])
		})
	}
}

func sortedCores(c [][]int) [][]int {
	out := slices.Clone(c)
	slices.SortFunc(out, slices.Compare)
	return out
}
