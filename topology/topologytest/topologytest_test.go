package topologytest_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/numapool/numapool/topology/topologytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestListAndMask(t *testing.T) {
	assert.Equal(t, "0-3,8,10-11", topologytest.ListOf([]int{11, 0, 1, 2, 3, 8, 10}))
	assert.Equal(t, "", topologytest.ListOf(nil))
	assert.Equal(t, "00000001,0000000f", topologytest.Mask([]int{0, 1, 2, 3, 32}))
	assert.Equal(t, "00000000", topologytest.Mask(nil))
}

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
	assert.Error(t, err)
}
