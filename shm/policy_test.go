package shm

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/numapool/numapool/csrc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func memoryNodes(t *testing.T) []int {
	t.Helper()
	ni, err := machineNodes()
	require.NoError(t, err)
	return ni.memory
}

// needNodes skips a test that can only say something on a machine with at
// least n nodes with memory.
func needNodes(t *testing.T, n int) []int {
	t.Helper()
	nodes := memoryNodes(t)
	if len(nodes) < n {
		t.Skipf("this machine has %d NUMA node(s) with memory %v; the check needs %d", len(nodes), nodes, n)
	}
	return nodes
}

func TestBindPutsEveryPageOnTheNode(t *testing.T) {
	for _, node := range memoryNodes(t) {
		a := newFloats(t, 4*mib/8, Bind(node))
		assert.Equal(t, "bind("+strconv.Itoa(node)+")", a.Policy().String())
		st, err := a.Stat()
		require.NoError(t, err)
		assert.Equal(t, a.Policy(), st.Policy, "read back with get_mempolicy")
		assert.Equal(t, map[int]int{node: a.Bytes()}, st.NodeBytes, "read back with move_pages")
	}
}

func TestBindLastNodeOfMany(t *testing.T) {
	nodes := needNodes(t, 2)
	last := nodes[len(nodes)-1]
	a := newFloats(t, 4*mib/8, Bind(last))
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, map[int]int{last: a.Bytes()}, st.NodeBytes)
}

func TestInterleaveAllNodes(t *testing.T) {
	nodes := memoryNodes(t)
	pages := 8 * len(nodes)
	a := newFloats(t, pages*os.Getpagesize()/8, Interleave(), NormalPages)
	assert.Equal(t, nodes, a.Policy().Nodes())
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, a.Policy(), st.Policy)
	want := map[int]int{}
	for _, n := range nodes {
		want[n] = 8 * os.Getpagesize()
	}
	assert.Equal(t, want, st.NodeBytes, "page by page, round robin")
}

func TestInterleaveTwoNodes(t *testing.T) {
	nodes := needNodes(t, 2)
	two := []int{nodes[len(nodes)-1], nodes[0]}
	a := newFloats(t, 16*os.Getpagesize()/8, Interleave(two...), NormalPages)
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, "interleave("+strconv.Itoa(nodes[0])+","+strconv.Itoa(nodes[len(nodes)-1])+")", st.Policy.String())
	assert.Equal(t, map[int]int{two[0]: 8 * os.Getpagesize(), two[1]: 8 * os.Getpagesize()}, st.NodeBytes)
}

// nodeOfCPU reads the node of a CPU from sysfs (its nodeN entry).
func nodeOfCPU(t *testing.T, cpu int) int {
	t.Helper()
	m, err := filepath.Glob(fmt.Sprintf("/sys/devices/system/cpu/cpu%d/node*", cpu))
	require.NoError(t, err)
	if len(m) == 0 {
		return 0 // a kernel without NUMA
	}
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(m[0]), "node"))
	require.NoError(t, err)
	return n
}

// touchFrom writes every value of s from a thread pinned to cpu.
func touchFrom(t *testing.T, cpu int, s []float64) {
	t.Helper()
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the pinned thread ends with the goroutine
		if err := csrc.PinThread([]int{cpu}); err != nil {
			done <- err
			return
		}
		for i := range s {
			s[i] = 1
		}
		done <- nil
	}()
	require.NoError(t, <-done)
}

func TestFirstTouchFollowsTheToucher(t *testing.T) {
	cpus, err := csrc.ThreadAffinity()
	require.NoError(t, err)
	cpu := cpus[len(cpus)-1]
	a := newFloats(t, 4*mib/8, FirstTouch())
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, "first-touch", st.Policy.String())
	assert.Empty(t, st.NodeBytes, "nothing touched at construction")

	touchFrom(t, cpu, a.Slice())
	st, err = a.Stat()
	require.NoError(t, err)
	assert.Equal(t, map[int]int{nodeOfCPU(t, cpu): a.Bytes()}, st.NodeBytes)
}

func TestDefaultPolicyLeavesProcessPolicyAlone(t *testing.T) {
	a := newFloats(t, 1000)
	assert.Equal(t, "default", a.Policy().String())
	assert.Nil(t, a.Policy().Nodes())
	st, err := a.Stat()
	require.NoError(t, err)
	assert.Equal(t, "default", st.Policy.String())
	assert.Zero(t, st.Resident, "not touched at construction")
}

func TestMemPolicyString(t *testing.T) {
	assert.Equal(t, "bind(3)", Bind(3).String())
	assert.Equal(t, "interleave(all)", Interleave().String())
	assert.Equal(t, "interleave(2,0)", Interleave(2, 0).String())
	assert.Equal(t, "first-touch", FirstTouch().String())
	assert.Equal(t, "default", MemPolicy{}.String())
}
