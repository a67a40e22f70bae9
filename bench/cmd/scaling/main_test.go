package main

import (
	"fmt"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// IgnoreCurrent: ants (imported through bench) starts a default pool when
// initialised.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

func TestCounts(t *testing.T) {
	for max, want := range map[int]string{1: "[1]", 2: "[1 2]", 3: "[1 2 3]", 8: "[1 2 4 8]", 12: "[1 2 4 8 12]"} {
		if got := fmt.Sprint(counts(max)); got != want {
			t.Errorf("counts(%d) = %s, want %s", max, got, want)
		}
	}
}

// TestRun runs the whole table at the test sizes (every run checked
// against the plain loop inside run) and checks its rows.
func TestRun(t *testing.T) {
	var b strings.Builder
	if err := run(&b, config{test: true, reps: 1, cpus: 2, max: 3}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var got []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		got = append(got, f[0]+" "+f[1]+" "+f[2])
	}
	want := []string{
		"Medium - seq", "Medium pinned 1", "Medium pinned 2", "Medium pinned 3",
		"Medium unpinned 1", "Medium unpinned 2", "Medium unpinned 3",
		"Unbalanced - seq", "Unbalanced pinned 1", "Unbalanced pinned 2", "Unbalanced pinned 3",
		"Unbalanced unpinned 1", "Unbalanced unpinned 2", "Unbalanced unpinned 3",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows\n%s\nwant (workload pinning workers)\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestRunBadInput(t *testing.T) {
	for _, tc := range []struct {
		c    config
		want string
	}{
		{config{test: true, reps: 0, cpus: 2}, "-reps 0: want at least 1"},
		{config{test: true, reps: 1, cpus: 2, max: -1}, "-max -1: want at least 1 worker"},
	} {
		err := run(new(strings.Builder), tc.c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%+v) = %v, want an error with %q", tc.c, err, tc.want)
		}
	}
}
