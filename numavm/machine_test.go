package numavm_test

import (
	"strings"
	"testing"

	"github.com/numapool/numapool/numavm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMachinesAreValid(t *testing.T) {
	seen := map[string]bool{}
	slow := 0
	for _, m := range numavm.Machines {
		require.NoError(t, m.Check())
		assert.False(t, seen[m.Name], "machine %s defined twice", m.Name)
		seen[m.Name] = true
		if m.Slow {
			slow++
		}
		got, ok := numavm.Lookup(m.Name)
		assert.True(t, ok)
		assert.Equal(t, m.Name, got.Name)
	}
	assert.Equal(t, 1, slow, "exactly one machine runs the slow tests")
	_, ok := numavm.Lookup("no-such-machine")
	assert.False(t, ok)
}

func TestMachineCheckNamesTheProblem(t *testing.T) {
	good := numavm.Machine{Name: "m", Sockets: 1, Cores: 2, Threads: 1, Nodes: []numavm.Node{{"0", 256}, {"1", 256}}}
	require.NoError(t, good.Check())
	for _, c := range []struct {
		edit func(*numavm.Machine)
		want string
	}{
		{func(m *numavm.Machine) { m.Name = "a b" }, `machine name "a b"`},
		{func(m *numavm.Machine) { m.Cores = 0 }, "Sockets, Cores and Threads must all be at least 1"},
		{func(m *numavm.Machine) { m.Nodes = nil }, "has no NUMA node"},
		{func(m *numavm.Machine) { m.Nodes = []numavm.Node{{"0-1", 64}} }, "node 0 has 64 MiB"},
		{func(m *numavm.Machine) { m.Distances = map[[2]int]int{{1, 0}: 20} }, "distance key [1 0]"},
		{func(m *numavm.Machine) { m.Distances = map[[2]int]int{{0, 1}: 10} }, "distance 10 between nodes 0 and 1"},
	} {
		m := good
		m.Nodes = append([]numavm.Node(nil), good.Nodes...)
		c.edit(&m)
		err := m.Check()
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
	three := numavm.Machine{Name: "m", Sockets: 1, Cores: 3, Threads: 1,
		Nodes: []numavm.Node{{"0", 256}, {"1", 256}, {"2", 256}}, Distances: map[[2]int]int{{0, 1}: 20}}
	assert.ErrorContains(t, three.Check(), "QEMU needs a distance for every pair of nodes (3), got 1")
}

func TestQEMUArgs(t *testing.T) {
	m := numavm.Machine{
		Name: "x", CPU: "Nehalem", Sockets: 2, Cores: 1, Threads: 2,
		Nodes:     []numavm.Node{{"0-1", 512}, {"2,3", 256}, {"", 256}},
		Distances: map[[2]int]int{{1, 2}: 30, {0, 2}: 25, {0, 1}: 20},
	}
	got := strings.Join(m.QEMUArgs("K", "I", "C", "R"), " ")
	want := "-nodefaults -display none -no-reboot -accel tcg,thread=multi -m 1024M -smp 4,sockets=2,cores=1,threads=2 -cpu Nehalem " +
		"-object memory-backend-ram,id=mem0,size=512M -numa node,nodeid=0,memdev=mem0,cpus=0-1 " +
		"-object memory-backend-ram,id=mem1,size=256M -numa node,nodeid=1,memdev=mem1,cpus=2,cpus=3 " +
		"-object memory-backend-ram,id=mem2,size=256M -numa node,nodeid=2,memdev=mem2 " +
		"-numa dist,src=0,dst=1,val=20 -numa dist,src=0,dst=2,val=25 -numa dist,src=1,dst=2,val=30 " +
		"-kernel K -initrd I -append console=ttyS0 quiet loglevel=3 panic=-1 transparent_hugepage=madvise numavm.machine=x " +
		"-serial file:C -serial file:R"
	assert.Equal(t, want, got)
	assert.Equal(t, 4, m.CPUs())
	assert.Equal(t, 1024, m.MiB())
}

func TestMachineScript(t *testing.T) {
	m := numavm.Machine{
		Name: "x", Doc: "doc", Setup: []string{"echo 0 > /sys/devices/system/cpu/cpu3/online", "echo 'q'"},
		Cgroup: &numavm.Cgroup{CPUs: "1-3", Mems: "1", CPUMax: "200000 100000"},
	}
	want := `# x: doc
setup 'echo 0 > /sys/devices/system/cpu/cpu3/online'
setup 'echo '\''q'\'''
setup 'echo +cpuset +cpu > /sys/fs/cgroup/cgroup.subtree_control'
setup 'mkdir -p /sys/fs/cgroup/numavm'
setup 'echo 1-3 > /sys/fs/cgroup/numavm/cpuset.cpus'
setup 'echo 1 > /sys/fs/cgroup/numavm/cpuset.mems'
setup 'echo 200000 100000 > /sys/fs/cgroup/numavm/cpu.max'
CGROUP=/sys/fs/cgroup/numavm
`
	script := numavm.MachineScript(m)
	assert.True(t, strings.HasPrefix(script, want), "script:\n%s", script)
	for bin, pattern := range numavm.SlowTests {
		assert.Contains(t, script, "SKIP_"+bin+"='"+pattern+"'\n")
	}
	m.Slow = true
	assert.Equal(t, want+"TEST_TIMEOUT="+numavm.SlowTestTimeout+"\n", numavm.MachineScript(m))
}

func TestInitScriptRunsEveryBinary(t *testing.T) {
	s := numavm.InitScript("3m")
	assert.True(t, strings.HasPrefix(s, "#!/bin/busybox sh\n"))
	assert.Contains(t, s, "for t in topology shm numapool numavm; do")
	assert.Contains(t, s, "-test.timeout=${TEST_TIMEOUT:-3m}")
	assert.Contains(t, s, "echo 0 > $CGROUP/cgroup.procs")
	assert.Contains(t, s, "/numavm/bin/numavm dump")
	assert.True(t, strings.HasSuffix(s, "poweroff -f\n"))
}

func TestKnownFailures(t *testing.T) {
	numavm.KnownFailures["m/b/TestX"] = "why"
	defer delete(numavm.KnownFailures, "m/b/TestX")
	why, ok := numavm.Known("m", "b", "TestX/sub")
	assert.True(t, ok)
	assert.Equal(t, "why", why)
	_, ok = numavm.Known("other", "b", "TestX")
	assert.False(t, ok)
	numavm.KnownFailures["*/b/TestY"] = "everywhere"
	defer delete(numavm.KnownFailures, "*/b/TestY")
	why, ok = numavm.Known("other", "b", "TestY")
	assert.True(t, ok)
	assert.Equal(t, "everywhere", why)
	for key := range numavm.KnownFailures {
		parts := strings.Split(key, "/")
		require.Len(t, parts, 3, "key %q is machine/binary/Test", key)
		_, ok := numavm.Lookup(parts[0])
		assert.True(t, ok || parts[0] == "m" || parts[0] == "*", "key %q names a machine of Machines, or *", key)
	}
}
