package mpi

import (
	"testing"

	"github.com/numapool/numapool/numapool"
)

func TestMapStream(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(500)
	}
	seen := make([]bool, 500)
	n := 0
	for it, err := range MapStream(c, p, in, func(_ *numapool.Worker, x int) (int, error) { return x + 1000, nil }, ChunkSize(9)) {
		if err != nil {
			t.Fatal(err)
		}
		if it.Index < 0 || it.Index >= 500 || seen[it.Index] || it.Value != it.Index+1000 {
			t.Fatalf("item %+v: out of range, seen twice, or wrong", it)
		}
		seen[it.Index] = true
		n++
	}
	if want := map[bool]int{true: 500, false: 0}[c.Rank() == 0]; n != want {
		t.Fatalf("rank %d: %d items, want %d", c.Rank(), n, want)
	}
}

func TestMapStreamStopEarly(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(3000)
	}
	got := 0
	for _, err := range MapStream(c, p, in, func(_ *numapool.Worker, x int) (int, error) { return x, nil }, ChunkSize(3)) {
		if err != nil {
			t.Fatal(err)
		}
		got++
		if got == 5 {
			break
		}
	}
	if c.Rank() == 0 && got != 5 {
		t.Fatalf("rank 0 read %d items before stopping, want 5", got)
	}
	// The call ended on every rank; the next one runs clean.
	out, err := Map(c, p, in, func(x int) int { return -x })
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() == 0 && (len(out) != 3000 || out[2999] != -2999) {
		t.Fatalf("Map after a stopped stream: %d results", len(out))
	}
}

func TestMapStreamFailure(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(400)
	}
	var last error
	for _, err := range MapStream(c, p, in, func(_ *numapool.Worker, x int) (int, error) {
		if x == 250 {
			return 0, errBoom
		}
		return x, nil
	}, ChunkSize(10)) {
		if err != nil {
			if last != nil {
				t.Fatalf("a second error %v after %v", err, last)
			}
			last = err
		}
	}
	checkTaskError(t, c, last, 250, "250", "boom", errBoom)
}

func TestCallsDuringStreamAreBusy(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(20)
	}
	busy := 0
	for _, err := range MapStream(c, p, in, func(_ *numapool.Worker, x int) (int, error) { return x, nil }) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Barrier() == ErrBusy && c.Finalize() == ErrBusy {
			busy++
		}
	}
	if c.Rank() == 0 && busy != 20 {
		t.Fatalf("%d of 20 calls inside the loop returned ErrBusy", busy)
	}
}
