package numapool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vbauerster/mpb/v8"
	"go.uber.org/goleak"
)

// lockedBuffer is an output that several goroutines may write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// showOn sends the bars of p (and of pools nested in it) to a buffer, drawn
// as on a terminal when term is set, as plain lines otherwise.
func showOn(p *Pool, term bool) *lockedBuffer {
	out := &lockedBuffer{}
	p.display = &display{out: out, isTerm: func() bool { return term }}
	return out
}

// plainLines splits plain output into lines, checking that it holds no
// control codes.
func plainLines(t *testing.T, out string) []string {
	t.Helper()
	assert.NotContains(t, out, "\x1b", "plain output must hold no escape sequence")
	assert.NotContains(t, out, "\r", "plain output must hold no carriage return")
	require.True(t, strings.HasSuffix(out, "\n"), "plain output ends with a whole line: %q", out)
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// cursorMoves matches what mpb writes between frames on a terminal: cursor
// up n lines, erase to the end of the screen.
var cursorMoves = regexp.MustCompile(`\x1b\[\d+A\x1b\[J`)

// lastFrame is the last frame drawn on a terminal, as lines: what stays on
// the screen.
func lastFrame(t *testing.T, out string) []string {
	t.Helper()
	frames := cursorMoves.Split(out, -1)
	last := frames[len(frames)-1]
	require.NotEmpty(t, last, "no frame drawn")
	return strings.Split(strings.TrimSuffix(last, "\n"), "\n")
}

// statsRe matches a finished bar's stats: count, percentage, time taken,
// rate and status.
func statsRe(count, pct, status string) string {
	return count + ` +` + pct + `% \| \d+\.\ds \| \d+\.\d[kMG]?/s \| ` + regexp.QuoteMeta(status)
}

// A Map with the default bar, off a terminal: plain lines only, the last
// one "N/N 100% ... done".
func TestProgressPlainSuccess(t *testing.T) {
	p := newPool(t, Workers(2))
	out := showOn(p, false)
	got, err := Map(p, slices.Collect(countTo(1000)), square, ProgressBar(ProgressName("squares")))
	require.NoError(t, err)
	require.Equal(t, squares(1000), got)

	lines := plainLines(t, out.String())
	assert.Regexp(t, `^squares: `+statsRe("1000/1000", "100", "done")+`$`, lines[len(lines)-1])
	running := regexp.MustCompile(`^squares: \d+/1000 +\d+% \| \d+\.\ds<(\d+\.\ds|\?) \| \d+\.\d[kMG]?/s$`)
	for _, l := range lines[:len(lines)-1] { // printed if the call took over a second
		assert.Regexp(t, running, l)
	}
}

// The same Map drawn as on a terminal: mpb frames, the last one showing
// the full bar at "N/N 100%".
func TestProgressTerminalSuccess(t *testing.T) {
	p := newPool(t, Workers(2))
	out := showOn(p, true)
	_, err := Map(p, slices.Collect(countTo(1000)), square, ProgressBar(ProgressName("squares"), ProgressWidth(20)))
	require.NoError(t, err)

	frame := lastFrame(t, out.String())
	require.Len(t, frame, 1, "one bar: %q", frame)
	assert.Regexp(t, `^squares \[={18}\] `+statsRe("1000/1000", "100", "done")+`$`, frame[0])
}

// An iter.Seq without a length: the bar counts and shows the rate, and
// ends with the count reached.
func TestProgressUnknownTotal(t *testing.T) {
	for _, term := range []bool{false, true} {
		t.Run(fmt.Sprint("term=", term), func(t *testing.T) {
			p := newPool(t, Workers(2))
			out := showOn(p, term)
			got, err := Map(p, countTo(300), square, ChunkSize(7), ProgressBar())
			require.NoError(t, err)
			require.Equal(t, squares(300), got)
			want := `^(.* )?300 \| \d+\.\ds \| \d+\.\d[kMG]?/s \| done$`
			if term {
				assert.Regexp(t, want, lastFrame(t, out.String())[0])
			} else {
				lines := plainLines(t, out.String())
				assert.Regexp(t, want, lines[len(lines)-1])
			}
		})
	}
}

// A task error stops the bar where it is and says which task failed. One
// worker and chunks of 10: the 50 chunks before task 500 finished.
func TestProgressTaskError(t *testing.T) {
	boom := errors.New("boom")
	fail := func(_ *Worker, x int) (int, error) {
		if x == 500 {
			return 0, boom
		}
		return x, nil
	}
	for _, term := range []bool{false, true} {
		t.Run(fmt.Sprint("term=", term), func(t *testing.T) {
			p := newPool(t, Workers(1))
			out := showOn(p, term)
			_, err := MapFunc(p, slices.Collect(countTo(1000)), fail, ChunkSize(10), ProgressBar(ProgressName("f")))
			require.ErrorIs(t, err, boom)
			var last string
			if term {
				frame := lastFrame(t, out.String())
				require.Len(t, frame, 1)
				last = frame[0]
				assert.Regexp(t, `^f \[=+>?-+\] `, last, "the bar stops half way")
			} else {
				lines := plainLines(t, out.String())
				last = lines[len(lines)-1]
				assert.Regexp(t, `^f: `, last)
			}
			assert.Regexp(t, statsRe("500/1000", "50", "failed at task 500")+`$`, last)
		})
	}
}

// Terminate from an IMap loop: the bar stops at the tasks that ran and
// says "terminated".
func TestProgressTerminate(t *testing.T) {
	for _, term := range []bool{false, true} {
		t.Run(fmt.Sprint("term=", term), func(t *testing.T) {
			p, err := New(Workers(2))
			require.NoError(t, err)
			out := showOn(p, term)
			var ran atomic.Int64
			f := func(x int) int { ran.Add(1); return x }
			seen := 0
			var last error
			for _, err := range IMap(p, slices.Collect(countTo(1000)), f, ChunkSize(1), ProgressBar()) {
				if err != nil {
					last = err
					break
				}
				if seen++; seen == 10 {
					require.NoError(t, p.Terminate())
				}
			}
			require.ErrorIs(t, last, ErrTerminated)
			n := ran.Load()
			require.Less(t, n, int64(1000))
			want := statsRe(fmt.Sprintf("%d/1000", n), fmt.Sprint(n*100/1000), "terminated") + `$`
			if term {
				assert.Regexp(t, want, lastFrame(t, out.String())[0])
			} else {
				lines := plainLines(t, out.String())
				assert.Regexp(t, want, lines[len(lines)-1])
			}
		})
	}
}

// A cancelled context and a loop left early both stop the bar where it is.
func TestProgressStoppedEarly(t *testing.T) {
	p := newPool(t, Workers(1))
	out := showOn(p, false)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Map(p, slices.Collect(countTo(1000)), square, Context(ctx), ProgressBar())
	require.ErrorIs(t, err, context.Canceled)
	lines := plainLines(t, out.String())
	assert.Regexp(t, `^`+statsRe("0/1000", "0", "stopped: context canceled")+`$`, lines[len(lines)-1])

	out = showOn(p, false)
	for i, err := range IMap(p, slices.Collect(countTo(1000)), square, ChunkSize(100), MaxTasksActive(100), ProgressBar()) {
		require.NoError(t, err)
		if i == 0 {
			break
		}
	}
	lines = plainLines(t, out.String())
	assert.Regexp(t, `^(100/1000  10|200/1000  20)% \| .* \| ended early$`, lines[len(lines)-1])
}

// Off a terminal, bars print at most once per lineEvery, all bars of the
// display at once.
func TestProgressPlainRate(t *testing.T) {
	out := &lockedBuffer{}
	d := &display{out: out}
	t0 := time.Unix(1000, 0)
	a := &tracker{d: d, total: 10, name: "a", start: t0}
	b := &tracker{d: d, total: -1, name: "b", start: t0}
	d.bars, d.line = []*tracker{a, b}, t0
	a.add(4)
	b.add(7)
	for _, after := range []time.Duration{100, 900, 1000, 1500, 1900, 2100} {
		d.redraw(t0.Add(after * time.Millisecond))
	}
	assert.Equal(t, "a: 4/10  40% | 1.0s<1.5s | 4.0/s\n"+
		"b: 7 | 1.0s | 7.0/s\n"+
		"a: 4/10  40% | 2.1s<3.1s | 1.9/s\n"+
		"b: 7 | 2.1s | 3.3/s\n", out.String())
}

// Nested pools (Daemon(false)): each task's own pool shows its bar in the
// outer pool's display, with no option from the user, and every bar counts
// its own tasks.
func TestProgressNested(t *testing.T) {
	const inputs, size = 4, 30
	inner := func(w *Worker, x int) (int, error) {
		q, err := New(Workers(2))
		if err != nil {
			return 0, err
		}
		defer q.Close()
		if q.progressDisplay() != w.pool.progressDisplay() {
			return 0, errors.New("the nested pool has its own display")
		}
		ys := slices.Collect(countTo(size))
		sq, err := Map(q, ys, square, ChunkSize(4), ProgressBar(ProgressName(fmt.Sprintf("w%d input %d", w.ID(), x)), ProgressLeave(true)))
		sum := 0
		for _, v := range sq {
			sum += v
		}
		return sum + x, err
	}
	want := make([]int, inputs)
	for i := range want {
		want[i] = 2*size*size*size/6 - 3*size*size/6 + size/6 + i // sum of squares below size, plus i
	}
	for _, term := range []bool{false, true} {
		t.Run(fmt.Sprint("term=", term), func(t *testing.T) {
			p := newPool(t, Workers(2), Daemon(false))
			out := showOn(p, term)
			got, err := MapFunc(p, slices.Collect(countTo(inputs)), inner, ChunkSize(1), ProgressBar(ProgressName("outer")))
			require.NoError(t, err)
			require.Equal(t, want, got)

			var lines []string
			if term {
				lines = lastFrame(t, out.String())
				require.Len(t, lines, 1+inputs, "the outer bar and every kept inner bar: %q", lines)
				assert.Regexp(t, `^outer +\[=+\] +`+statsRe("4/4", "100", "done"), lines[0], "the outer bar on top")
				seen, worker := map[string]bool{}, "0"
				for _, l := range lines[1:] {
					m := regexp.MustCompile(`^w(\d) input (\d) +\[=+\] +` + statsRe("30/30", "100", "done") + `$`).FindStringSubmatch(l)
					require.NotNil(t, m, "inner bar line %q", l)
					assert.GreaterOrEqual(t, m[1], worker, "inner bars ordered by worker ID: %q", lines)
					worker = m[1]
					seen[m[2]] = true
				}
				assert.Len(t, seen, inputs, "one bar per input")
			} else {
				lines = plainLines(t, out.String())
				assert.Regexp(t, `^outer: `+statsRe("4/4", "100", "done")+`$`, lines[len(lines)-1])
				for i := range inputs {
					re := regexp.MustCompile(`(?m)^w\d input ` + fmt.Sprint(i) + `: ` + statsRe("30/30", "100", "done") + `$`)
					assert.Len(t, re.FindAllString(out.String(), -1), 1, "one final line for input %d", i)
				}
			}
		})
	}
}

// Nested bars are ordered by the ID of the worker that started their pool,
// below every top-level bar.
func TestProgressNestedPriority(t *testing.T) {
	outer := &Pool{}
	w0, w3 := &Worker{pool: outer, id: 0}, &Worker{pool: outer, id: 3}
	a, b := &Pool{parent: w0}, &Pool{parent: w3}
	c := &Pool{parent: &Worker{pool: a, id: 1}}
	assert.Equal(t, 0, nestedPriority(outer))
	assert.Equal(t, 1<<56|0<<44, nestedPriority(a))
	assert.Equal(t, 1<<56|3<<44, nestedPriority(b))
	assert.Equal(t, 2<<56|0<<44|1<<32, nestedPriority(c))
	assert.Less(t, nestedPriority(a), nestedPriority(b))
	assert.Less(t, nestedPriority(b), nestedPriority(c))
}

// A caller-made bar is driven to completion on success, its total reset to
// the count when it was unknown, and aborted where it is on an error.
func TestProgressCustomBar(t *testing.T) {
	p := newPool(t, Workers(2))
	out := showOn(p, false)
	prog := mpb.New(mpb.WithOutput(io.Discard))
	known := prog.AddBar(500)
	unknown := prog.AddBar(0)
	failed := prog.AddBar(500)

	_, err := Map(p, slices.Collect(countTo(500)), square, ChunkSize(10), CustomProgressBar(known))
	require.NoError(t, err)
	_, err = Map(p, countTo(300), square, ChunkSize(10), CustomProgressBar(unknown))
	require.NoError(t, err)
	boom := errors.New("boom")
	_, err = MapFunc(p, slices.Collect(countTo(500)), func(_ *Worker, x int) (int, error) {
		if x == 250 {
			return 0, boom
		}
		return x, nil
	}, ChunkSize(10), CustomProgressBar(failed))
	require.ErrorIs(t, err, boom)
	prog.Wait()

	assert.True(t, known.Completed())
	assert.Equal(t, int64(500), known.Current())
	assert.True(t, unknown.Completed())
	assert.Equal(t, int64(300), unknown.Current())
	assert.True(t, failed.Aborted())
	assert.Less(t, failed.Current(), int64(500))
	assert.Empty(t, out.String(), "a caller's bar draws on the caller's container only")
}

// Bad progress options are errors that name the fix.
func TestProgressOptionErrors(t *testing.T) {
	p := newPool(t, Workers(1))
	prog := mpb.New(mpb.WithOutput(io.Discard))
	defer prog.Wait()
	bar := prog.AddBar(1)
	defer bar.Abort(true)

	_, err := Map(p, []int{1}, square, CustomProgressBar(nil))
	assert.ErrorContains(t, err, "CustomProgressBar(nil): pass a bar made with")
	_, err = Map(p, []int{1}, square, ProgressBar(ProgressWidth(0)))
	assert.ErrorContains(t, err, "ProgressWidth(0): a bar is at least 1 column wide")
	_, err = Map(p, []int{1}, square, ProgressBar(), CustomProgressBar(bar))
	assert.ErrorContains(t, err, "ProgressBar and CustomProgressBar given together")
	_, err = Map(p, []int{1}, square, CustomProgressBar(bar), ProgressBar())
	assert.ErrorContains(t, err, "ProgressBar and CustomProgressBar given together")
}

// Concurrent calls on one pool share its display and end it once: each bar
// ends with its own count, and no goroutine is left (TestMain checks).
func TestProgressConcurrentCalls(t *testing.T) {
	p := newPool(t, Workers(2))
	out := showOn(p, false)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			n := 100 * (i + 1)
			got, err := Map(p, slices.Collect(countTo(n)), square, ChunkSize(8), ProgressBar(ProgressName(fmt.Sprint("call ", i))))
			assert.NoError(t, err)
			assert.Equal(t, squares(n), got)
		})
	}
	wg.Wait()
	text := out.String()
	plainLines(t, text)
	for i := range 4 {
		n := 100 * (i + 1)
		re := regexp.MustCompile(fmt.Sprintf(`(?m)^call %d: %s$`, i, statsRe(fmt.Sprintf("%d/%d", n, n), "100", "done")))
		assert.Len(t, re.FindAllString(text, -1), 1, "call %d", i)
	}
}

// Loops and reductions count indices.
func TestProgressLoops(t *testing.T) {
	p := newPool(t, Workers(2))
	out := showOn(p, false)
	sum, err := Reduce(p, 1000, func(lo, hi int) int {
		s := 0
		for i := lo; i < hi; i++ {
			s += i
		}
		return s
	}, func(a, b int) int { return a + b }, ProgressBar(ProgressName("reduce")))
	require.NoError(t, err)
	require.Equal(t, 999*1000/2, sum)
	lines := plainLines(t, out.String())
	assert.Regexp(t, `^reduce: `+statsRe("1000/1000", "100", "done")+`$`, lines[len(lines)-1])
}

func TestFormatRateAndDuration(t *testing.T) {
	assert.Equal(t, "0.0/s", formatRate(0))
	assert.Equal(t, "999.9/s", formatRate(999.9))
	assert.Equal(t, "1.0k/s", formatRate(999.95))
	assert.Equal(t, "12.3M/s", formatRate(12.3e6))
	assert.Equal(t, "4000.0G/s", formatRate(4e12))
	assert.Equal(t, "4.2s", formatDuration(4200*time.Millisecond))
	assert.Equal(t, "3m07s", formatDuration(187*time.Second))
	assert.Equal(t, "2h05m", formatDuration(2*time.Hour+5*time.Minute+59*time.Second))
}

// An empty input ends its bar at once, complete.
func TestProgressEmpty(t *testing.T) {
	for _, term := range []bool{false, true} {
		t.Run(fmt.Sprint("term=", term), func(t *testing.T) {
			p := newPool(t, Workers(2))
			out := showOn(p, term)
			got, err := Map(p, []int{}, square, ProgressBar(ProgressName("none")))
			require.NoError(t, err)
			assert.Empty(t, got)
			if term {
				assert.Regexp(t, `^none \[=*-*\] `+statsRe("0/0", "100", "done")+`$`, lastFrame(t, out.String())[0])
			} else {
				assert.Equal(t, []string{"none: 0/0 100% | 0.0s | 0.0/s | done"}, plainLines(t, out.String()))
			}
		})
	}
}

// No goroutine of the display (drawer, mpb container, bars) outlives the
// call that ended its last bar.
func TestProgressNoGoroutineLeft(t *testing.T) {
	for _, term := range []bool{false, true} {
		t.Run(fmt.Sprint("term=", term), func(t *testing.T) {
			p := newPool(t, Workers(2), Daemon(false))
			showOn(p, term)
			before := goleak.IgnoreCurrent() // the pool's workers
			_, err := MapFunc(p, slices.Collect(countTo(4)), func(_ *Worker, x int) (int, error) {
				q, err := New(Workers(1))
				if err != nil {
					return 0, err
				}
				defer q.Close()
				_, err = Map(q, slices.Collect(countTo(10)), square, ProgressBar())
				return x, err
			}, ChunkSize(1), ProgressBar())
			require.NoError(t, err)
			goleak.VerifyNone(t, before)
		})
	}
}
