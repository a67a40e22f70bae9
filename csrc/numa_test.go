//go:build linux && cgo

package csrc

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testPage = 4096

// mapped returns pages fresh private anonymous pages, unmapped at the end of
// the test.
func mapped(t *testing.T, pages int) []byte {
	t.Helper()
	mem, err := syscall.Mmap(-1, 0, pages*testPage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, syscall.Munmap(mem)) })
	return mem
}

func touch(mem []byte) {
	for i := 0; i < len(mem); i += testPage {
		mem[i] = 1
	}
}

// memoryNodes lists the nodes with memory, as sysfs says; [0] on a kernel
// without NUMA support.
func memoryNodes(t *testing.T) []int {
	t.Helper()
	b, err := os.ReadFile("/sys/devices/system/node/has_memory")
	if os.IsNotExist(err) {
		return []int{0}
	}
	require.NoError(t, err)
	var nodes []int
	for _, part := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		require.NoError(t, err)
		z := a
		if isRange {
			z, err = strconv.Atoi(hi)
			require.NoError(t, err)
		}
		for n := a; n <= z; n++ {
			nodes = append(nodes, n)
		}
	}
	require.NotEmpty(t, nodes)
	return nodes
}

func TestMbindBindPlacesPagesOnTheNode(t *testing.T) {
	for _, node := range memoryNodes(t) {
		mem := mapped(t, 16)
		require.NoError(t, Mbind(mem, PolicyBind, []int{node}))
		mode, nodes, err := PolicyOf(unsafe.Pointer(&mem[0]))
		require.NoError(t, err)
		assert.Equal(t, PolicyBind, mode)
		assert.Equal(t, []int{node}, nodes)

		touch(mem)
		where, err := PageNodes(mem, testPage)
		require.NoError(t, err)
		require.Len(t, where, 16)
		for i, n := range where {
			assert.Equal(t, node, n, "page %d", i)
		}
	}
}

func TestMbindInterleaveSpreadsPages(t *testing.T) {
	all := memoryNodes(t)
	mem := mapped(t, 8*len(all))
	require.NoError(t, Mbind(mem, PolicyInterleave, all))
	mode, nodes, err := PolicyOf(unsafe.Pointer(&mem[0]))
	require.NoError(t, err)
	assert.Equal(t, PolicyInterleave, mode)
	assert.Equal(t, all, nodes)

	touch(mem)
	where, err := PageNodes(mem, testPage)
	require.NoError(t, err)
	count := map[int]int{}
	for _, n := range where {
		count[n]++
	}
	for _, n := range all {
		assert.Equal(t, 8, count[n], "pages on node %d", n)
	}
}

func TestMbindLocalReadsBack(t *testing.T) {
	mem := mapped(t, 4)
	require.NoError(t, Mbind(mem, PolicyLocal, nil))
	mode, nodes, err := PolicyOf(unsafe.Pointer(&mem[0]))
	require.NoError(t, err)
	assert.Equal(t, PolicyLocal, mode)
	assert.Empty(t, nodes)
}

func TestPageNodesBeforeAndAfterTouch(t *testing.T) {
	mem := mapped(t, 4)
	where, err := PageNodes(mem, testPage)
	require.NoError(t, err)
	assert.Equal(t, []int{NoNode, NoNode, NoNode, NoNode}, where, "untouched")

	_ = mem[testPage] // a read maps the shared zero page, which is no node's
	mem[2*testPage] = 1
	where, err = PageNodes(mem, testPage)
	require.NoError(t, err)
	assert.Equal(t, NoNode, where[0])
	assert.Equal(t, NoNode, where[1])
	assert.Contains(t, memoryNodes(t), where[2])
	assert.Equal(t, NoNode, where[3])
}

func TestMbindMissingNodeFails(t *testing.T) {
	all := memoryNodes(t)
	missing := all[len(all)-1] + 1
	mem := mapped(t, 1)
	err := Mbind(mem, PolicyBind, []int{missing})
	require.Error(t, err)
	assert.ErrorIs(t, err, syscall.EINVAL)
	assert.Contains(t, err.Error(), "mbind(bind, ["+strconv.Itoa(missing)+"])")
}

func TestMbindRejectsBadArguments(t *testing.T) {
	mem := mapped(t, 1)
	for _, tc := range []struct {
		name  string
		mem   []byte
		mode  MemPolicy
		nodes []int
		want  string
	}{
		{"empty range", nil, PolicyBind, []int{0}, "non-empty range"},
		{"bind without nodes", mem, PolicyBind, nil, "needs at least one node"},
		{"local with nodes", mem, PolicyLocal, []int{0}, "takes no nodes"},
		{"negative node", mem, PolicyInterleave, []int{-1}, "node -1 is outside 0..1023"},
		{"node too big", mem, PolicyBind, []int{MaxNodes}, "node 1024 is outside"},
		{"unknown mode", mem, MemPolicy(99), []int{0}, "unknown memory policy 99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Mbind(tc.mem, tc.mode, tc.nodes)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestPageNodesRejectsBadPageSize(t *testing.T) {
	_, err := PageNodes(mapped(t, 1), 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "page size 0 must be positive")
}

func TestMemPolicyString(t *testing.T) {
	assert.Equal(t, "interleave", PolicyInterleave.String())
	assert.Equal(t, "local", PolicyLocal.String())
	assert.Equal(t, "MemPolicy(42)", MemPolicy(42).String())
}
