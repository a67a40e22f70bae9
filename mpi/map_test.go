package mpi

import (
	"testing"

	"github.com/numapool/numapool/numapool"
)

func newPool(t *testing.T, opts ...numapool.Option) *numapool.Pool {
	t.Helper()
	p, err := numapool.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func count(n int) []int {
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	return xs
}

func TestMapOrdered(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(1000)
	}
	var st Stats
	out, err := Map(c, p, in, func(x int) int { return x*x - 1 }, WithStats(&st))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() != 0 {
		if out != nil {
			t.Fatalf("rank %d got %d results; only rank 0 gets them", c.Rank(), len(out))
		}
		return
	}
	if len(out) != 1000 {
		t.Fatalf("%d results, want 1000", len(out))
	}
	for i, r := range out {
		if r != i*i-1 {
			t.Fatalf("out[%d] = %d, want %d", i, r, i*i-1)
		}
	}
	sum := 0
	for r, n := range st.ChunksPerRank {
		sum += n
		if r > 0 && n < defaultPrefetch {
			t.Errorf("rank %d ran %d chunks; every remote rank gets %d at the start", r, n, defaultPrefetch)
		}
	}
	if len(st.ChunksPerRank) != c.Size() || sum != st.Chunks {
		t.Errorf("stats %+v do not add up over %d ranks", st, c.Size())
	}
}
