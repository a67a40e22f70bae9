package topologytest_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTwoSocketsNumbering(t *testing.T) {
	s := topologytest.TwoSockets()
	assert.Equal(t, 32, s.CPUs())
	assert.Equal(t, 16, s.Cores())
	assert.Equal(t, 0, s.CPU(0, 0, 0, 0))
	assert.Equal(t, 16, s.CPU(0, 0, 0, 1))
	assert.Equal(t, 13, s.CPU(1, 1, 1, 0))
	assert.Equal(t, 29, s.CPU(1, 1, 1, 1))
}

func TestWriteLayout(t *testing.T) {
	dir := t.TempDir()
	spec := topologytest.TwoSockets()
	spec.Offline = []int{3}
	require.NoError(t, spec.Write(dir))
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join(dir, p))
		require.NoError(t, err)
		return string(b)
	}
	assert.Equal(t, "0-2,4-31\n", read("sys/devices/system/cpu/online"))
	assert.Equal(t, "0\n", read("sys/devices/system/cpu/cpu3/online"))
	assert.NoDirExists(t, filepath.Join(dir, "sys/devices/system/cpu/cpu3/topology"))
	assert.Equal(t, "13,29\n", read("sys/devices/system/cpu/cpu29/topology/thread_siblings_list"))
	assert.Equal(t, "5\n", read("sys/devices/system/cpu/cpu29/topology/core_id"))
	assert.Equal(t, "0-2,16-19\n", read("sys/devices/system/node/node0/cpulist"))
	assert.Equal(t, "10 12 20 20\n", read("sys/devices/system/node/node0/distance"))
	target, err := os.Readlink(filepath.Join(dir, "sys/devices/system/node/node1/cpu4"))
	require.NoError(t, err)
	assert.Equal(t, "../../cpu/cpu4", target)

	old := t.TempDir()
	spec.OldKernel = true
	require.NoError(t, spec.Write(old))
	assert.NoFileExists(t, filepath.Join(old, "sys/devices/system/cpu/online"))
	assert.NoFileExists(t, filepath.Join(old, "sys/devices/system/cpu/cpu29/topology/thread_siblings_list"))
	assert.FileExists(t, filepath.Join(old, "sys/devices/system/cpu/cpu29/topology/thread_siblings"))
	assert.NoFileExists(t, filepath.Join(old, "sys/devices/system/node/node0/cpulist"))
}

func TestUnpackRefusesMissingArchive(t *testing.T) {
	_, err := topologytest.Unpack(filepath.Join(t.TempDir(), "none.tar.bz2"), t.TempDir())
	assert.ErrorIs(t, err, fs.ErrNotExist)
	_, err = topologytest.UnpackFS(filepath.Join(t.TempDir(), "none.tar.bz2"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// TestFSMatchesWrite checks that the in-memory tree and the one on disk
// hold the same files, links and contents.
func TestFSMatchesWrite(t *testing.T) {
	spec := topologytest.Spec{Packages: 2, NodesPerPackage: 1, CoresPerNode: 2, ThreadsPerCore: 2, CgroupV1: true, CgroupCPUs: "0-3", CPUMax: "50000 100000"}
	spec.PCI = []topologytest.PCIDevice{{Address: "0000:3b:00.0", Vendor: "8086", Product: "1572", Class: "020000", Node: 1}}
	dir := t.TempDir()
	require.NoError(t, spec.Write(dir))
	mem := spec.FS()
	n := 0
	for name, f := range mem {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if f.Mode.Type() == fs.ModeSymlink {
			target, err := os.Readlink(p)
			require.NoError(t, err, name)
			assert.Equal(t, string(f.Data), target, name)
		} else {
			b, err := os.ReadFile(p)
			require.NoError(t, err, name)
			assert.Equal(t, string(f.Data), string(b), name)
		}
		n++
	}
	onDisk := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			onDisk++
		}
		return err
	}))
	assert.Equal(t, n, onDisk)
	assert.Greater(t, n, 200, "an 8-CPU machine has over two hundred files")
}
