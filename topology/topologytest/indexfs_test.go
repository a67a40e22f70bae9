package topologytest

import (
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIndexFS checks the index against fstest.TestFS and against MapFS's
// own listings.
func TestIndexFS(t *testing.T) {
	spec := TwoSockets()
	spec.PCI = []PCIDevice{{Address: "0000:3b:00.0", Vendor: "8086", Product: "1572", Class: "020000", Node: 2}}
	m := spec.FS()
	m["empty"] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
	x := indexFS(m)
	for _, dir := range []string{".", "sys", "sys/devices/system/cpu", "sys/devices/system/cpu/cpu3/cache", "sys/devices/system/node/node1", "sys/bus/pci/devices", "sys/bus/pci/devices/0000:3b:00.0", "empty"} {
		want, err := m.ReadDir(dir)
		require.NoError(t, err, dir)
		got, err := x.ReadDir(dir)
		require.NoError(t, err, dir)
		require.Len(t, got, len(want), dir)
		for i := range want {
			assert.Equal(t, want[i].Name(), got[i].Name(), dir)
			assert.Equal(t, want[i].Type(), got[i].Type(), "%s/%s", dir, want[i].Name())
		}
		st, err := x.Stat(dir)
		require.NoError(t, err, dir)
		assert.True(t, st.IsDir(), dir)
	}
	_, err := x.ReadDir("sys/none")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = fs.ReadFile(x, "sys/devices/system/cpu/cpu0/topology/none")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = fs.Stat(x, "sys/bus/pci/devices/0000:3b:00.0/none")
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = x.Open("../x")
	assert.Error(t, err)
	b, err := fs.ReadFile(x, "sys/bus/pci/devices/0000:3b:00.0/vendor")
	require.NoError(t, err)
	assert.Equal(t, "0x8086\n", string(b), "read through the link")
	// fstest.TestFS opens every entry many ways: a small machine suffices.
	small := Spec{Packages: 1, NodesPerPackage: 1, CoresPerNode: 2, ThreadsPerCore: 1, PCI: spec.PCI[:1]}
	require.NoError(t, fstest.TestFS(indexFS(small.FS()), "sys/devices/system/cpu/cpu1/topology/core_id", "proc/meminfo"))
}
