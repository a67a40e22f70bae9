package mpi

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/numapool/numapool/mpi/codec"
	"github.com/numapool/numapool/numapool"
	"github.com/numapool/numapool/topology"
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

type vec struct {
	X, Y float64
	N    int32
}

func TestMapRawStructs(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []vec
	if c.Rank() == 0 {
		for i := range 300 {
			in = append(in, vec{X: float64(i), Y: -float64(i) / 4, N: int32(i)})
		}
	}
	out, err := Map(c, p, in, func(v vec) [2]float64 { return [2]float64{v.X + v.Y, float64(v.N) * 2} }, ChunkSize(7))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() != 0 {
		return
	}
	for i, r := range out {
		if want := [2]float64{float64(i) * 0.75, float64(2 * i)}; r != want {
			t.Fatalf("out[%d] = %v, want %v", i, r, want)
		}
	}
}

func TestMapWorkersOfEveryRank(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(200)
	}
	// Every remote rank is sent Prefetch chunks before any answer comes,
	// so with one task per chunk each rank runs at least that many tasks.
	out, err := MapFunc(c, p, in, func(w *numapool.Worker, x int) ([2]int, error) {
		return [2]int{c.Rank(), w.ID()}, nil
	}, ChunkSize(1))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() != 0 {
		return
	}
	ran := make([]int, c.Size())
	for i, r := range out {
		if r[0] < 0 || r[0] >= c.Size() || r[1] != 0 {
			t.Fatalf("task %d ran on rank %d worker %d; ranks are 0..%d with one worker each", i, r[0], r[1], c.Size()-1)
		}
		ran[r[0]]++
	}
	for r := 1; r < c.Size(); r++ {
		if ran[r] < defaultPrefetch {
			t.Errorf("tasks per rank %v: rank %d ran fewer than the %d chunks it was sent first", ran, r, defaultPrefetch)
		}
	}
}

// TestMapSlowRankGetsLess checks the dynamic hand-out: every remote rank's
// tasks sleep 2 ms, rank 0's do not, so while a remote rank runs the
// chunks it was sent first (Prefetch x 10 tasks, 60 ms), rank 0 runs the
// rest in a few ms. The margin asked (rank 0 ran more than twice as many
// tasks as any other rank; it runs over 500 of 600 unless it stalls for
// far longer than a remote chunk) leaves room for a loaded machine.
func TestMapSlowRankGetsLess(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(600)
	}
	var st Stats
	out, err := Map(c, p, in, func(x int) int {
		if c.Rank() > 0 {
			time.Sleep(2 * time.Millisecond)
		}
		return 3 * x
	}, ChunkSize(10), WithStats(&st))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() != 0 {
		return
	}
	for i, r := range out {
		if r != 3*i {
			t.Fatalf("out[%d] = %d, want %d", i, r, 3*i)
		}
	}
	for r := 1; r < c.Size(); r++ {
		if st.TasksPerRank[0] <= 2*st.TasksPerRank[r] {
			t.Errorf("tasks per rank %v: slow rank %d got more than half as many as rank 0; the hand-out should follow the ranks' speed", st.TasksPerRank, r)
		}
	}
}

func TestMapGobCodecs(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []string
	if c.Rank() == 0 {
		in = []string{"a", "bb", "", "dddd", "hybrid", "jobs", "on", "open", "mpi"}
	}
	out, err := Map(c, p, in, func(s string) []int { return []int{len(s), c.Rank() * 0} },
		ArgCodec(codec.Gob[string]()), ResultCodec(codec.Gob[[]int]()), ChunkSize(2))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() != 0 {
		return
	}
	for i, r := range out {
		if len(r) != 2 || r[0] != len(in[i]) || r[1] != 0 {
			t.Fatalf("out[%d] = %v, want [%d 0]", i, r, len(in[i]))
		}
	}
}

func TestMapNeedsCodec(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []string
	if c.Rank() == 0 {
		in = []string{"x"}
	}
	_, err := Map(c, p, in, func(s string) int { return len(s) })
	if err == nil || !strings.Contains(err.Error(), "arguments cannot travel as raw bytes") || !strings.Contains(err.Error(), "pass ArgCodec(codec.Gob[...]())") {
		t.Fatalf("Map over strings without a codec: %v, want an error naming ArgCodec", err)
	}
	_, err = Map(c, p, in, func(s string) int { return len(s) }, ArgCodec(codec.Gob[int]()))
	if err == nil || !strings.Contains(err.Error(), "but the call's arguments are string") {
		t.Fatalf("Map with a codec of the wrong type: %v, want an error naming the types", err)
	}
}

func TestMapInputOnEveryRank(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	in := []string{"every", "rank", "has", "these", "strings"}
	out, err := Map(c, p, in, func(s string) int { return len(s) }, InputOnEveryRank(), ChunkSize(1))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() == 0 && !slices.Equal(out, []int{5, 4, 3, 5, 7}) {
		t.Fatalf("out = %v, want [5 4 3 5 7]", out)
	}
	// Lengths that differ are caught on every rank before any task runs.
	if c.Size() == 1 {
		return // one rank cannot disagree with itself
	}
	mine := in
	if c.Rank() == c.Size()-1 {
		mine = in[:4]
	}
	_, err = Map(c, p, mine, func(s string) int { return len(s) }, InputOnEveryRank())
	if err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("Map over inputs of different lengths: %v, want a disagreement error", err)
	}
	if c.Rank() == c.Size()-1 && !strings.Contains(err.Error(), "input length: rank 0 has 5, rank "+strconv.Itoa(c.Rank())+" has 4") {
		t.Fatalf("the rank with the short input says %v, want the lengths", err)
	}
}

func TestMapEmpty(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	out, err := Map(c, p, []int(nil), func(x int) int { return x })
	if err != nil || len(out) != 0 {
		t.Fatalf("Map over nothing = %v, %v; want no results and no error", out, err)
	}
}

func TestRanksDisagree(t *testing.T) {
	c := needWorld(t)
	if c.Size() == 1 {
		t.Skip("one rank cannot disagree with itself; make test-mpi runs np 2 and 4")
	}
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(10)
	}
	chunk := 4
	if c.Rank() == c.Size()-1 {
		chunk = 3
	}
	_, err := Map(c, p, in, func(x int) int { return x }, ChunkSize(chunk))
	if err == nil || !strings.Contains(err.Error(), "same options") {
		t.Fatalf("ChunkSize differing across ranks: %v, want a disagreement error on every rank", err)
	}
	if c.Rank() == c.Size()-1 && !strings.Contains(err.Error(), "ChunkSize: rank 0 has 4") {
		t.Fatalf("the odd rank says %v, want the chunk sizes", err)
	}
	// A call that is not the same on every rank.
	if c.Rank() == 0 {
		_, err = Map(c, p, in, func(x int) int { return x })
	} else {
		_, err = Reduce(c, p, 10, func(lo, hi int) int { return hi - lo }, func(a, b int) int { return a + b })
	}
	if err == nil || !strings.Contains(err.Error(), "disagree") {
		t.Fatalf("Map on rank 0, Reduce elsewhere: %v, want a disagreement error on every rank", err)
	}
}

func TestRankRejectsCall(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(10)
	}
	bad := c.Size() - 1
	use := p
	if c.Rank() == bad {
		use = nil
	}
	_, err := Map(c, use, in, func(x int) int { return x })
	want := "rank " + strconv.Itoa(bad) + " rejected the call"
	if c.Rank() == bad {
		want = "the pool is nil"
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("rank %d: %v, want an error containing %q", c.Rank(), err, want)
	}
	// The pools are still usable, and the ranks still in step.
	out, err := Map(c, p, in, func(x int) int { return x + 1 })
	if err != nil {
		t.Fatal(err)
	}
	if c.Rank() == 0 && (len(out) != 10 || out[9] != 10) {
		t.Fatalf("Map after a rejected call = %v", out)
	}
}

// TestNilTask: a nil task function is refused on every rank, by Map and
// by MapFunc, before any task runs.
func TestNilTask(t *testing.T) {
	c := needWorld(t)
	p := newPool(t, numapool.Workers(1))
	var in []int
	if c.Rank() == 0 {
		in = count(10)
	}
	_, errMap := Map[int, int](c, p, in, nil)
	_, errFunc := MapFunc[int, int](c, p, in, nil)
	for _, err := range []error{errMap, errFunc} {
		if err == nil || !strings.Contains(err.Error(), "the task function is nil") {
			t.Fatalf("rank %d: %v, want an error that the task function is nil", c.Rank(), err)
		}
	}
}

func TestDefaultPoolTakesRankCPUs(t *testing.T) {
	c := needWorld(t)
	p := newPool(t)
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	var union []int
	for id := range p.Workers() {
		union = append(union, p.CPUs(id).Slice()...)
	}
	slices.Sort(union)
	union = slices.Compact(union)
	var mask []int
	for cpu := range 1024 {
		if set.IsSet(cpu) {
			mask = append(mask, cpu)
		}
	}
	if !slices.Equal(union, mask) || p.Workers() != len(mask) {
		t.Errorf("rank %d: default pool of %d workers on CPUs %v; the rank's affinity is %v", c.Rank(), p.Workers(), union, mask)
	}
	// Under make test-mpi's -np 2 run, mpirun binds each rank to a core of
	// its own; the default pool then has that core's CPUs only.
	if os.Getenv("NUMAPOOL_MPI_BOUND") == "1" {
		m, err := topology.Current()
		if err != nil {
			t.Fatal(err)
		}
		if len(mask) == 0 || len(mask) >= m.Online().Len() {
			t.Errorf("rank %d: bound to %v of online CPUs %v, want a part of them (mpirun --bind-to core)", c.Rank(), mask, m.Online())
		}
		if len(mask) > 0 && sameOnEveryRank(t, c, int64(mask[0])) && c.Size() > 1 {
			t.Errorf("every rank is bound to CPU %d; mpirun --bind-to core gives each its own", mask[0])
		}
	}
}
