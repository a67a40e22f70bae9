package mpi

import (
	"slices"
	"testing"

	"github.com/numapool/numapool/numapool"
)

// TestLargeMessages: chunks whose arguments and results are far over
// Open MPI's eager limit (96 KB messages, where shared memory sends 4 KB
// in one piece and the first 32 KB of a larger one) arrive whole and in
// order, with fixed and with guided chunks, shipped and on every rank.
func TestLargeMessages(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	const n = 60_000
	for _, tc := range []struct {
		name  string
		every bool // InputOnEveryRank: only the results travel
		opts  []Option
	}{
		{"fixed", false, []Option{ChunkSize(12_000)}},
		{"guided", false, nil},
		{"every-rank", true, []Option{ChunkSize(12_000), InputOnEveryRank()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in []int
			if c.Rank() == 0 || tc.every {
				in = count(n)
			}
			var st Stats
			out, err := Map(c, p, in, func(x int) int { return 3*x + 1 }, append(tc.opts, WithStats(&st))...)
			if err != nil {
				t.Fatal(err)
			}
			if c.Rank() != 0 {
				return
			}
			if len(out) != n {
				t.Fatalf("%d results, want %d", len(out), n)
			}
			for i, r := range out {
				if r != 3*i+1 {
					t.Fatalf("out[%d] = %d, want %d", i, r, 3*i+1)
				}
			}
			if c.Size() > 1 && st.TasksPerRank[1] == 0 {
				t.Fatalf("rank 1 ran no task (stats %+v): the large messages were not exercised", st)
			}
		})
	}
}

// TestPieces: send cuts a message into pieces of pieceBytes at most and
// poll puts them back together, for every length around a piece's edges.
func TestPieces(t *testing.T) {
	c := needWorld(t)
	if c.Size() == 1 {
		t.Skip("needs a second rank to send to (make test-mpi runs np 2 and 4)")
	}
	const tag = 7399
	lengths := []int{0, 1, pieceBytes - 9, pieceBytes - 8, pieceBytes - 7, 2*pieceBytes - 8, 2*pieceBytes - 7, 100_000}
	msg := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + n)
		}
		return b
	}
	err := c.do(func(th *thread) error {
		switch c.Rank() {
		case 1:
			for _, n := range lengths {
				if err := th.send(0, tag, msg(n)); err != nil {
					return err
				}
			}
			return th.flush()
		case 0:
			for _, n := range lengths {
				from, got, err := th.recv(1, tag)
				if err != nil {
					return err
				}
				if from != 1 || !slices.Equal(got, msg(n)) {
					t.Errorf("a message of %d bytes came back as %d bytes from rank %d (equal: %v)", n, len(got), from, slices.Equal(got, msg(n)))
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Barrier(); err != nil {
		t.Fatal(err)
	}
}
