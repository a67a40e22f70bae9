package main

import (
	"math"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The MPI run itself is make test-mpi's (mpirun -np 2 ./mpi-map -check);
// these check the pieces without MPI.

func TestCollatz(t *testing.T) {
	for x, want := range map[int64]int32{1: 0, 2: 1, 3: 7, 6: 8, 27: 111, 97: 118} {
		if got := collatz(x); got != want {
			t.Errorf("collatz(%d) = %d, want %d", x, got, want)
		}
	}
}

func TestInverseSquares(t *testing.T) {
	if got := inverseSquares(0, 2); got != 1.25 {
		t.Errorf("1 + 1/4 = %v, want 1.25", got)
	}
	whole := inverseSquares(0, 1000000)
	if d := math.Pi*math.Pi/6 - whole; d < 0 || d > 1.01e-6 {
		t.Errorf("sum to 10^6 = %v, %v below π²/6; the tail is about 1e-6", whole, d)
	}
	if split := inverseSquares(0, 500) + inverseSquares(500, 1000); math.Abs(split-inverseSquares(0, 1000)) > 1e-15 {
		t.Errorf("split sums %v differ from the whole %v", split, inverseSquares(0, 1000))
	}
}

func TestVerify(t *testing.T) {
	steps := []int32{0, 1, 7}
	if err := verify(3, steps, inverseSquares(0, 3)); err != nil {
		t.Fatal(err)
	}
	steps[2] = 6
	if err := verify(3, steps, inverseSquares(0, 3)); err == nil || !strings.Contains(err.Error(), "Collatz steps of 3: 6 from the map, 7 here") {
		t.Fatalf("verify of a wrong step count: %v", err)
	}
	if err := verify(3, []int32{0, 1, 7}, 1); err == nil || !strings.Contains(err.Error(), "sum of 1/i²") {
		t.Fatalf("verify of a wrong sum: %v", err)
	}
	if longest([]int32{3, 9, 9, 1}) != 1 {
		t.Fatal("longest must return the first largest")
	}
}

func TestBadN(t *testing.T) {
	if err := run(0, 0, false); err == nil || !strings.Contains(err.Error(), "-n 0: give at least 1 task") {
		t.Fatalf("run(0) = %v, want an error naming -n", err)
	}
}
