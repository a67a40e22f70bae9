package bench

import (
	"fmt"
	"testing"
)

// TestCasesAgree runs every case of every workload twice on one Instance
// (so that reused pools and buffers are exercised) and checks each run's
// checksum against the workload's plain loop, with the usable CPUs, one
// worker and more workers than CPUs.
func TestCasesAgree(t *testing.T) {
	cpus := usableCPUs(t)
	for _, w := range Workloads {
		want := w.Want(w.Test)
		for _, workers := range []int{cpus, 1, 2*cpus + 1} {
			for _, c := range w.Cases(w.Test, workers) {
				t.Run(fmt.Sprintf("%s/%s/workers=%d", w.Name, c.Name, workers), func(t *testing.T) {
					in, err := c.New()
					if err != nil {
						t.Fatal(err)
					}
					defer func() {
						if err := in.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					}()
					for round := range 2 {
						if err := in.Run(); err != nil {
							t.Fatalf("run %d: %v", round, err)
						}
						if got := in.Sum(); got != want {
							t.Fatalf("run %d: checksum %#x, a plain loop gives %#x", round, got, want)
						}
					}
				})
			}
		}
	}
}

// TestWorkloadsWellFormed checks that names are unique, that every
// workload has the baselines the tables divide by (the plain loop, the hand
// split, errgroup, the channel pool, ants, pond and conc), and that sizes
// shrink from Full to Test.
func TestWorkloadsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range Workloads {
		if seen[w.Name] {
			t.Errorf("workload %s twice", w.Name)
		}
		seen[w.Name] = true
		if !(w.Full >= w.Quick && w.Quick > w.Test && w.Test > 0) {
			t.Errorf("%s: sizes Full %d, Quick %d, Test %d do not shrink", w.Name, w.Full, w.Quick, w.Test)
		}
		if got := w.Tasks(w.Test); got < 1 {
			t.Errorf("%s: Tasks(%d) = %d", w.Name, w.Test, got)
		}
		names := map[string]bool{}
		for _, c := range w.Cases(w.Test, 2) {
			if names[c.Name] {
				t.Errorf("%s: case %s twice", w.Name, c.Name)
			}
			names[c.Name] = true
		}
		for _, base := range []string{"seq", "handsplit", "numapool", "errgroup", "chanpool", "ants", "pond", "conc-pool"} {
			if !names[base] {
				t.Errorf("%s: no %s case", w.Name, base)
			}
		}
		// conc's iter needs a slice; a stream gets conc's stream package.
		if !names["conc-iter"] && !names["conc-stream"] {
			t.Errorf("%s: neither a conc-iter nor a conc-stream case", w.Name)
		}
	}
}

// TestWantDependsOnSize guards against a checksum that cannot fail: the
// plain loops of two sizes must differ.
func TestWantDependsOnSize(t *testing.T) {
	for _, w := range Workloads {
		if a, b := w.Want(w.Test), w.Want(w.Test+1); a == b {
			t.Errorf("%s: Want(%d) == Want(%d) == %#x", w.Name, w.Test, w.Test+1, a)
		}
	}
}
