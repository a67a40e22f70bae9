package mpi

import (
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
