package shm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseList(t *testing.T) {
	for in, want := range map[string][]int{
		"0":             {0},
		"0-3":           {0, 1, 2, 3},
		"0,2-3,8":       {0, 2, 3, 8},
		"10,2":          {2, 10},
		"1-2,2-3":       {1, 2, 3},
		"":              nil,
		"0-1,4-5,16-17": {0, 1, 4, 5, 16, 17},
	} {
		got, err := parseList(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"x", "3-1", "-1", "1-", "1,,2"} {
		_, err := parseList(bad)
		assert.Error(t, err, bad)
	}
}

// fakeNodes writes a sysfs node folder: online and memory lists and one
// distance row per online node.
func fakeNodes(t *testing.T, online, memory string, dist map[string]string) string {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "online"), []byte(online+"\n"), 0o644))
	if memory != "" {
		require.NoError(t, os.WriteFile(filepath.Join(root, "has_memory"), []byte(memory+"\n"), 0o644))
	}
	for node, row := range dist {
		dir := filepath.Join(root, "node"+node)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "distance"), []byte(row+"\n"), 0o644))
	}
	return root
}

func TestReadNodesFourNodes(t *testing.T) {
	// Two sockets of two nodes each: 0-1 and 2-3; node 3 has CPUs only.
	root := fakeNodes(t, "0-3", "0-2", map[string]string{
		"0": "10 12 32 32",
		"1": "12 10 32 32",
		"2": "32 32 10 12",
		"3": "32 32 12 10",
	})
	ni, err := readNodes(root)
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 2, 3}, ni.online)
	assert.Equal(t, []int{0, 1, 2}, ni.memory)

	assert.NoError(t, ni.check(2))
	err = ni.check(3)
	require.Error(t, err)
	assert.Equal(t, "shm: NUMA node 3 has no memory of its own; nodes with memory are [0 1 2]", err.Error())
	err = ni.check(7)
	require.Error(t, err)
	assert.Equal(t, "shm: NUMA node 7 does not exist; this machine's nodes are [0 1 2 3]", err.Error())

	have := []int{0, 2}
	assert.Equal(t, 0, ni.nearest(0, have))
	assert.Equal(t, 0, ni.nearest(1, have), "same socket")
	assert.Equal(t, 2, ni.nearest(2, have))
	assert.Equal(t, 2, ni.nearest(3, have), "same socket")
	assert.Equal(t, 0, ni.nearest(9, have), "unknown node: first copy")
	assert.Equal(t, 0, ni.nearest(-1, have), "no node: first copy")
}

func TestReadNodesWithoutNUMA(t *testing.T) {
	ni, err := readNodes(filepath.Join(t.TempDir(), "absent"))
	require.NoError(t, err)
	assert.Equal(t, []int{0}, ni.online)
	assert.Equal(t, []int{0}, ni.memory)
	assert.NoError(t, ni.check(0))
	assert.Error(t, ni.check(1))
}

func TestReadNodesWithoutHasMemory(t *testing.T) {
	ni, err := readNodes(fakeNodes(t, "0-1", "", nil))
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1}, ni.memory)
	assert.Equal(t, 1, ni.nearest(1, []int{0, 1}))
	assert.Equal(t, 0, ni.nearest(2, []int{0, 1}))
}

func TestReadNodesRejectsGarbage(t *testing.T) {
	_, err := readNodes(fakeNodes(t, "zero", "0", nil))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `bad list entry "zero"`)
}

func TestReadNodesThisMachine(t *testing.T) {
	ni, err := readNodes(sysNodes)
	require.NoError(t, err)
	require.NotEmpty(t, ni.online)
	require.NotEmpty(t, ni.memory)
	assert.Subset(t, ni.online, ni.memory)
}
