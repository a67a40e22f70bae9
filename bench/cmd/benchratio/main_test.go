package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// IgnoreCurrent: ants (imported through bench) starts a default pool when
// initialised.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

func TestRunFiles(t *testing.T) {
	dir := t.TempDir()
	goOut := filepath.Join(dir, "go.txt")
	ompOut := filepath.Join(dir, "omp.txt")
	if err := os.WriteFile(goOut, []byte("BenchmarkMedium/seq-2 1 4000 ns/op\nBenchmarkMedium/numapool-2 1 2000 ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ompOut, []byte("BenchmarkMedium/openmp-static-2 1 1600 ns/op 16 tasks/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := run(&b, "numapool", false, []string{goOut, ompOut}); err != nil {
		t.Fatal(err)
	}
	if want := "Medium      numapool 2 µs: /seq 0.50 /openmp-static 1.25\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	if err := run(&b, "numapool", false, []string{filepath.Join(dir, "missing.txt")}); err == nil {
		t.Error("a missing file gave no error")
	}
	empty := filepath.Join(dir, "empty.txt")
	if err := os.WriteFile(empty, []byte("PASS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(&b, "numapool", false, []string{empty}); err == nil || !strings.Contains(err.Error(), "no benchmark lines") {
		t.Errorf("input without results: err = %v, want one saying there are no benchmark lines", err)
	}
}
