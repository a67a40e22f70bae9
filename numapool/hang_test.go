package numapool

import (
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// within fails the test, with every goroutine's stack, when f does not
// return within d: a hang becomes a failure that says where it hangs.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Fatalf("%s did not return within %v; goroutines:\n%s", what, d, buf)
	}
}

// Terminate from the body of a lazy loop stops the pool: the loop ends with
// ErrTerminated as its last pair, and later calls get ErrClosed (MPIRE
// terminates inside an imap loop).
func TestTerminateInsideLazyLoop(t *testing.T) {
	lazy := map[string]func(p *Pool) iter.Seq2[int, error]{
		"IMap/slice": func(p *Pool) iter.Seq2[int, error] {
			return IMap(p, slices.Collect(countTo(1000)), square, ChunkSize(3))
		},
		"IMap/seq": func(p *Pool) iter.Seq2[int, error] { return IMap(p, countTo(1000), square, ChunkSize(3)) },
		"IMapUnordered/slice": func(p *Pool) iter.Seq2[int, error] {
			return IMapUnordered(p, slices.Collect(countTo(1000)), square, ChunkSize(3))
		},
		"IMapUnordered/seq": func(p *Pool) iter.Seq2[int, error] { return IMapUnordered(p, countTo(1000), square, ChunkSize(3)) },
	}
	for name, call := range lazy {
		t.Run(name, func(t *testing.T) {
			p, err := New(Workers(2))
			require.NoError(t, err)
			within(t, 10*time.Second, "Terminate in a loop body", func() {
				var last error
				n := 0
				for _, err := range call(p) {
					if err != nil {
						last = err
						continue
					}
					if n++; n == 10 {
						assert.NoError(t, p.Terminate())
					}
				}
				assert.ErrorIs(t, last, ErrTerminated)
			})
			_, err = Map(p, []int{1}, square)
			assert.ErrorIs(t, err, ErrClosed)
			assert.NoError(t, p.Close())
		})
	}
}

// Close from the body of a lazy loop cannot wait for that loop: it marks
// the pool closed and returns; the loop runs to its end with every result,
// and the workers end with it.
func TestCloseInsideLazyLoop(t *testing.T) {
	for _, seqInput := range []bool{false, true} {
		p, err := New(Workers(2))
		require.NoError(t, err)
		var got []int
		within(t, 10*time.Second, "Close in a loop body", func() {
			var calls iter.Seq2[int, error]
			if seqInput {
				calls = IMap(p, countTo(500), square, ChunkSize(7))
			} else {
				calls = IMap(p, slices.Collect(countTo(500)), square, ChunkSize(7))
			}
			for r, err := range calls {
				require.NoError(t, err)
				if got = append(got, r); len(got) == 5 {
					assert.NoError(t, p.Close())
					_, err := Map(p, []int{1}, square)
					assert.ErrorIs(t, err, ErrClosed, "closed for new calls at once")
				}
			}
		})
		assert.Equal(t, squares(500), got)
		within(t, 10*time.Second, "Close after the loop", func() { assert.NoError(t, p.Close()) })
	}
}

// Close called from a generator of a call over an iter.Seq does not hang
// either.
func TestCloseInsideGenerator(t *testing.T) {
	p, err := New(Workers(2))
	require.NoError(t, err)
	gen := func(yield func(int) bool) {
		for i := range 100 {
			if i == 50 {
				assert.NoError(t, p.Close())
			}
			if !yield(i) {
				return
			}
		}
	}
	within(t, 10*time.Second, "Close in a generator", func() {
		r, err := Map(p, iterSeq(gen), square, ChunkSize(4))
		require.NoError(t, err)
		assert.Equal(t, squares(100), r)
	})
}

// A task of a nested pool that calls into the outer pool gets ErrReentrant
// rather than waiting on the outer worker that waits for it.
func TestNestedTaskCallingOuterPool(t *testing.T) {
	outer := newPool(t, Workers(1), Daemon(false))
	var inner []error
	within(t, 20*time.Second, "nested task calling the outer pool", func() {
		_, err := MapFunc(outer, []int{0}, func(w *Worker, _ int) (int, error) {
			q, err := New(Workers(1))
			if err != nil {
				return 0, err
			}
			defer q.Close()
			errs, err := MapFunc(q, []int{0, 1, 2}, func(_ *Worker, k int) (error, error) {
				switch k {
				case 0:
					_, err := Map(outer, []int{1}, square)
					return err, nil
				case 1:
					return outer.Close(), nil
				default:
					return outer.Terminate(), nil
				}
			}, ChunkSize(1))
			inner = errs
			return 0, err
		})
		require.NoError(t, err)
	})
	require.Len(t, inner, 3)
	for i, err := range inner {
		assert.ErrorIs(t, err, ErrReentrant, "call %d from a nested task into the outer pool", i)
	}
}

// Options that once crashed the process (out of memory, makeslice panics,
// overflowed products) work or return an error.
func TestAbsurdOptionsDoNotCrash(t *testing.T) {
	p := newPool(t, Workers(2))
	in := []int{1, 2, 3, 4, 5}
	want := []int{1, 4, 9, 16, 25}
	assert.Equal(t, want, collect(t, IMap(p, in, square, ChunkSize(1<<32))))
	assert.Equal(t, want, collect(t, IMapUnordered(p, slices.Values(in), square, ChunkSize(1<<32))))
	assert.Equal(t, want, collect(t, IMap(p, in, square, ChunkSize(1<<62))), "2 x workers x chunk size saturates")
	r, err := Map(p, countTo(10), square, IterableLen(1<<35))
	require.NoError(t, err)
	assert.Equal(t, squares(10), r)
	r, err = Map(p, countTo(10), square, IterableLen(1<<62))
	require.NoError(t, err)
	assert.Equal(t, squares(10), r)
	r, err = Map(p, countTo(10), square, ChunkSize(1<<62), MaxTasksActive(1<<62))
	require.NoError(t, err)
	assert.Equal(t, squares(10), r)
	pl, err := p.Plan(10, ChunkSize(1<<62))
	require.NoError(t, err)
	assert.Equal(t, Plan{Tasks: 10, ChunkSize: 10, Chunks: 1, MaxActive: 40}, pl)
}

func TestTooManyWorkersIsAnError(t *testing.T) {
	_, err := New(Workers(100000))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "100000 workers need 100000 threads")
	assert.Contains(t, err.Error(), "use fewer workers")
}

// A failing task whose argument is huge prints a short argument at once:
// the formatting cost is bounded, not proportional to the argument.
func TestHugeArgumentIsShortenedCheaply(t *testing.T) {
	p := newPool(t, Workers(1))
	big := make([]int, 20_000_000)
	boom := errors.New("boom")
	var allocs float64
	_, err := MapFunc(p, [][]int{big}, func(_ *Worker, x []int) (int, error) { return 0, boom })
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.True(t, strings.HasPrefix(te.Arg, "[0 0 0"), te.Arg)
	assert.True(t, strings.HasSuffix(te.Arg, "…"), te.Arg)
	assert.LessOrEqual(t, len(te.Arg), maxArgLen+len("…"))
	allocs = testing.AllocsPerRun(3, func() { _ = shortArg(big) })
	assert.Less(t, allocs, 20.0, "formatting allocates for the printed part only")
}

func TestShortArg(t *testing.T) {
	type inner struct {
		A int
		b string
	}
	long := strings.Repeat("é", 200)
	for _, c := range []struct {
		arg  any
		want string
	}{
		{42, "42"},
		{"hi\nthere", `hi\nthere`},
		{[]int{1, 2, 3}, "[1 2 3]"},
		{[2]bool{true, false}, "[true false]"},
		{map[string]int{"a": 1}, "map[a:1]"},
		{inner{1, "x"}, "{1 x}"},
		{&inner{2, "y"}, "&{2 y}"},
		{nil, "<nil>"},
		{errors.New("bad"), "bad"},
		{blockArg{3, 9}, "[3, 9)"},
		{[]string(nil), "[]"},
	} {
		assert.Equal(t, c.want, shortArg(c.arg), "%#v", c.arg)
	}
	// Pointers below the top print as addresses, as %v prints them, also
	// from unexported fields and interfaces (which reflect cannot hand to
	// fmt as values).
	type hidden struct {
		p   *inner
		any any
		n   int
	}
	for _, h := range []hidden{{p: &inner{}, any: &inner{}, n: 5}, {}} {
		assert.Equal(t, fmt.Sprint(h), shortArg(h))
		assert.Equal(t, fmt.Sprint([]hidden{h}), shortArg([]hidden{h}))
	}
	s := shortArg(long)
	assert.True(t, strings.HasSuffix(s, "…"))
	assert.LessOrEqual(t, len(s), maxArgLen+len("…"))
	assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(s, "…")), "cut on a rune boundary")
}

func TestPanicErrorIsOneLine(t *testing.T) {
	p := newPool(t, Workers(1))
	_, err := Map(p, []int{0}, func(x int) int { return []int{}[x+1] })
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.NotContains(t, pe.Error(), "\n")
	assert.Contains(t, pe.Error(), "index out of range")
	assert.Contains(t, pe.Error(), "hang_test.go:", "names the frame that panicked")
	assert.Contains(t, string(pe.Stack), "TestPanicErrorIsOneLine", "the stack is still kept")
}
