package bench

import (
	"fmt"
	"slices"
	"testing"

	"go.uber.org/goleak"
)

// ants starts a default pool, with its purge and ticker goroutines, when
// the package is initialised, before TestMain runs; IgnoreCurrent leaves
// those (and only the goroutines alive now) out, so every goroutine a
// contender starts must still end by its Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

func ints(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i - n/2 // negatives too
	}
	return s
}

func seqMap(in []int, f func(int) int) []int {
	out := make([]int, len(in))
	for i, x := range in {
		out[i] = f(x)
	}
	return out
}

func workers(t testing.TB) int {
	t.Helper()
	n, err := UsableCPUs()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestContendersAgree runs every contender on the same inputs, twice on one
// Runner so that reused pools are exercised, and checks the results against
// a plain loop, in input order.
func TestContendersAgree(t *testing.T) {
	w := workers(t)
	type input struct {
		name string
		in   []int
		f    func(int) int
		want []int
	}
	var inputs []input
	for _, n := range []int{0, 1, 7, 1000} {
		in := ints(n)
		inputs = append(inputs, input{fmt.Sprintf("square/%d", n), in, OpaqueSquare, seqMap(in, Square)})
	}
	in := ints(64)
	inputs = append(inputs, input{"spin/64", in, OpaqueSpin, seqMap(in, Spin)})

	for _, c := range All {
		t.Run(c.Name, func(t *testing.T) {
			r, err := c.New(w)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := r.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}()
			for round := range 2 {
				for _, tc := range inputs {
					got, err := r.Map(tc.in, tc.f)
					if err != nil {
						t.Fatalf("round %d, %s: %v", round, tc.name, err)
					}
					if !slices.Equal(got, tc.want) {
						t.Fatalf("round %d, %s: results differ from a plain loop (len %d, want %d)",
							round, tc.name, len(got), len(tc.want))
					}
				}
			}
		})
	}
}

// TestWorkerCounts checks the contenders also agree with more workers than
// CPUs and with one worker, where pools behave differently (queueing,
// blocking submits).
func TestWorkerCounts(t *testing.T) {
	in := ints(500)
	want := seqMap(in, Square)
	for _, w := range []int{1, 2 * workers(t)} {
		for _, c := range All {
			t.Run(fmt.Sprintf("%s/workers=%d", c.Name, w), func(t *testing.T) {
				r, err := c.New(w)
				if err != nil {
					t.Fatal(err)
				}
				got, err := r.Map(in, OpaqueSquare)
				if cerr := r.Close(); cerr != nil {
					t.Errorf("Close: %v", cerr)
				}
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatal("results differ from a plain loop")
				}
			})
		}
	}
}
