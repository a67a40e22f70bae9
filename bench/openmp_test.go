package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// buildOpenMP compiles openmp/omp.c as the Makefile does, or skips where
// gcc or its OpenMP runtime (libgomp, part of Debian's gcc) is missing.
func buildOpenMP(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not found: install it (apt-get install gcc) to check the OpenMP program")
	}
	bin := filepath.Join(t.TempDir(), "omp")
	out, err := exec.Command("gcc", "-O2", "-fopenmp", "-ffp-contract=off", "openmp/omp.c", "-o", bin).CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("omp.h")) || bytes.Contains(out, []byte("gomp")) {
			t.Skipf("gcc has no OpenMP here (install libgomp, part of Debian's gcc): %s", out)
		}
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

func lines(t *testing.T, bin string, args ...string) [][]string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(cmd.Environ(), "OMP_NUM_THREADS=2")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %v: %v", bin, args, err)
	}
	var ls [][]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		ls = append(ls, strings.Fields(sc.Text()))
	}
	return ls
}

func workloadNamed(t *testing.T, name string) *Workload {
	t.Helper()
	for _, w := range Workloads {
		if w.Name == name {
			return w
		}
	}
	t.Fatalf("the OpenMP program runs %q, which is no workload", name)
	return nil
}

// TestOpenMPMatchesGo checks that the OpenMP program runs every workload
// at the sizes the Go benchmarks use and computes the same checksums as the
// Go plain loops, so that its figures compare like for like.
func TestOpenMPMatchesGo(t *testing.T) {
	bin := buildOpenMP(t)
	sizes := lines(t, bin, "-sizes")
	if len(sizes) < 6 {
		t.Fatalf("-sizes printed %d workloads, want Tiny, Medium, Unbalanced, Reduce, Timestep and Apply", len(sizes))
	}
	for _, f := range sizes {
		w := workloadNamed(t, f[0])
		if got, want := strings.Join(f[1:], " "), fmt.Sprint(w.Full, w.Quick, w.Test); got != want {
			t.Errorf("%s: OpenMP sizes (full quick test) %s, Go's %s", w.Name, got, want)
		}
	}
	kernels := lines(t, bin, "-scale", "test", "-check")
	if len(kernels) < 9 {
		t.Fatalf("-check printed %d kernels, want 9", len(kernels))
	}
	for _, f := range kernels {
		name, _, _ := strings.Cut(f[0], "/")
		w := workloadNamed(t, name)
		n, err := strconv.Atoi(f[1])
		if err != nil || n != w.Test {
			t.Errorf("%s: ran at n=%s, want %d", f[0], f[1], w.Test)
			continue
		}
		if want := fmt.Sprintf("%#x", w.Want(n)); f[2] != want {
			t.Errorf("%s: checksum %s, Go's plain loop %s", f[0], f[2], want)
		}
	}
}

// TestOpenMPBenchLines checks the program's timing output parses as
// `go test -bench` lines, with the passive wait policy named.
func TestOpenMPBenchLines(t *testing.T) {
	bin := buildOpenMP(t)
	cmd := exec.Command(bin, "-scale", "test", "-count", "2", "-benchtime", "0.001")
	cmd.Env = append(cmd.Environ(), "OMP_NUM_THREADS=2", "OMP_WAIT_POLICY=passive")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseBench(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 18 {
		t.Fatalf("%d result lines, want 9 kernels x 2 runs:\n%s", len(rs), out)
	}
	for _, r := range rs {
		if !strings.HasSuffix(r.Name, "-passive") || r.NsPerOp <= 0 || r.Tasks < 1 {
			t.Errorf("bad line: %+v", r)
		}
	}
}
