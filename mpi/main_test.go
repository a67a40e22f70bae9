package mpi

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// world is this test process's Comm when it runs under mpirun.
var world *Comm

// TestMain starts MPI when the binary runs under mpirun, runs the tests,
// and makes every rank exit with the worst exit code of all ranks, so that
// a failure on any rank fails every rank and mpirun's own status.
// Outside mpirun the tests that need MPI skip and the others run as usual.
func TestMain(m *testing.M) {
	if os.Getenv("OMPI_COMM_WORLD_SIZE") == "" {
		fmt.Println("mpi: not under mpirun: tests that need MPI skip (make test-mpi runs them under mpirun -np 2 and -np 4)")
		goleak.VerifyTestMain(m)
		return
	}
	c, err := Init()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	world = c
	code := m.Run()
	worst := int64(code)
	if err := c.do(func(t *thread) error {
		all, err := t.allMax([]int64{worst})
		if err == nil {
			worst = all[0]
		}
		return err
	}); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: gathering exit codes: %v\n", c.Rank(), err)
		worst = max(worst, 4)
	}
	if worst != 0 {
		fmt.Fprintf(os.Stderr, "rank %d: own exit code %d, worst of all ranks %d\n", c.Rank(), code, worst)
	}
	if err := c.Finalize(); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: %v\n", c.Rank(), err)
		worst = max(worst, 5)
	}
	if err := goleak.Find(); err != nil {
		fmt.Fprintf(os.Stderr, "rank %d: goleak: %v\n", c.Rank(), err)
		worst = max(worst, 6)
	}
	os.Exit(int(worst))
}

// needWorld skips a test that needs MPI when the binary is not under mpirun.
func needWorld(t *testing.T) *Comm {
	t.Helper()
	if world == nil {
		t.Skip("needs mpirun: run make test-mpi")
	}
	return world
}
