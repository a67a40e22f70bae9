package topology_test

import (
	"strings"
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/numapool/numapool/topology/topologytest"
)

// fuzzMachine has CPUs 0-31 present, 7 offline, and a cgroup cpuset of
// 0-3,7-31: usable 0-3,8-31.
func fuzzMachine(f *testing.F) *topology.Machine {
	spec := topologytest.TwoSockets()
	spec.Offline = []int{7}
	spec.CgroupCPUs = "0-3,7-31"
	m, err := topology.LoadFS(spec.FS())
	if err != nil {
		f.Fatal(err)
	}
	return m
}

// checkSet checks what holds for every set that parsed: ids within
// 0..MaxCPUs-1, both syntaxes round-trip to the same set, and CheckCPUs
// accepts it exactly when the machine may use all of it.
func checkSet(t *testing.T, m *topology.Machine, s topology.CPUSet) {
	t.Helper()
	if !s.IsEmpty() && (s.First() < 0 || s.Last() >= topology.MaxCPUs) {
		t.Fatalf("set %s holds ids outside 0-%d", s, topology.MaxCPUs-1)
	}
	if s.Len() != len(s.Slice()) {
		t.Fatalf("Len %d, Slice %v", s.Len(), s.Slice())
	}
	list := s.String()
	back, err := topology.ParseCPUList(list)
	if err != nil || !back.Equal(s) {
		t.Fatalf("list %q of %v parses as %v, %v", list, s.Slice(), back.Slice(), err)
	}
	if back.String() != list {
		t.Fatalf("list %q prints as %q", list, back.String())
	}
	mask := s.Mask()
	fromMask, err := topology.ParseCPUMask(mask)
	if err != nil || !fromMask.Equal(s) {
		t.Fatalf("mask %q of %s parses as %s, %v", mask, s, fromMask, err)
	}
	err = m.CheckCPUs(s)
	ok := !s.IsEmpty() && s.IsSubsetOf(m.Usable())
	if (err == nil) != ok {
		t.Fatalf("CheckCPUs(%s) = %v; usable %s", s, err, m.Usable())
	}
	if err != nil && !strings.HasSuffix(err.Error(), "; usable CPUs are "+m.Usable().String()) {
		t.Fatalf("CheckCPUs(%s) = %q: the usable CPUs are not named", s, err)
	}
	for c := range s.All() {
		if (m.CheckCPU(c) == nil) != m.Usable().Has(c) {
			t.Fatalf("CheckCPU(%d) = %v; usable %s", c, m.CheckCPU(c), m.Usable())
		}
	}
}

// FuzzCPUList feeds list syntax ("0-3,8") to ParseCPUList. As a normal test
// it runs the seeds below and testdata/fuzz/FuzzCPUList.
func FuzzCPUList(f *testing.F) {
	for _, s := range []string{"", "0", "0-3,8,10-11", " 1 , 2-2 ", "3-1", "0--2", "+1", "8191", "8192", "0-8191", "x", ","} {
		f.Add(s)
	}
	m := fuzzMachine(f)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := topology.ParseCPUList(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "topology: bad CPU list ") {
				t.Fatalf("error %q does not say what is wrong", err)
			}
			return
		}
		checkSet(t, m, s)
	})
}

// FuzzCPUMask feeds hex masks ("00000001,0000000f") to ParseCPUMask. As a
// normal test it runs the seeds below and testdata/fuzz/FuzzCPUMask.
func FuzzCPUMask(f *testing.F) {
	for _, s := range []string{"0", "f", "0x3", "00000001,0000000f", "ffffffff,ffffffff", ",1", "123456789", "g", ""} {
		f.Add(s)
	}
	m := fuzzMachine(f)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := topology.ParseCPUMask(in)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "topology: ") {
				t.Fatalf("error %q is not the package's", err)
			}
			return
		}
		checkSet(t, m, s)
	})
}
