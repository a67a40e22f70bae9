package numapool

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vbauerster/mpb/v8"
	"go.uber.org/goleak"
)

// showEvery is showOn with the display redrawing every interval.
func showEvery(p *Pool, term bool, every time.Duration) *lockedBuffer {
	out := showOn(p, term)
	p.display.every = every
	return out
}

// drawing reports whether d has made its mpb container.
func drawing(d *display) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.prog != nil
}

// A call that ends before the first redraw starts no mpb container while
// it runs; its bar is drawn once, at the end, in its final state.
func TestProgressShortCallDrawsOnce(t *testing.T) {
	p := newPool(t, Workers(2))
	out := showEvery(p, true, time.Hour)
	var sawContainer atomic.Bool
	f := func(x int) int {
		if x == 0 && drawing(p.display) {
			sawContainer.Store(true)
		}
		return x * x
	}
	got, err := Map(p, slices.Collect(countTo(1000)), f, ProgressBar(ProgressName("short"), ProgressWidth(12)))
	require.NoError(t, err)
	require.Equal(t, squares(1000), got)
	assert.False(t, sawContainer.Load(), "the mpb container was made before the first redraw")
	assert.False(t, drawing(p.display), "the container outlived the call")

	// mpb may draw the final frame twice (once as the bar completes, once
	// more as its container ends), never a frame from before the end.
	final := `^short \[={10}\] ` + statsRe("1000/1000", "100", "done") + `\n$`
	for _, frame := range cursorMoves.Split(out.String(), -1) {
		assert.Regexp(t, final, frame)
	}
}

// A bar that is not kept (ProgressLeave(false), the default of nested
// pools) and completes before the first redraw is never drawn; one that
// stops on an error is drawn once, to say why.
func TestProgressShortCallNotKept(t *testing.T) {
	p := newPool(t, Workers(1))
	out := showEvery(p, true, time.Hour)
	_, err := Map(p, slices.Collect(countTo(100)), square, ProgressBar(ProgressLeave(false)))
	require.NoError(t, err)
	assert.Empty(t, out.String(), "a complete bar that is not kept leaves nothing")

	boom := errors.New("boom")
	_, err = MapFunc(p, slices.Collect(countTo(100)), func(_ *Worker, x int) (int, error) {
		if x == 50 {
			return 0, boom
		}
		return x, nil
	}, ChunkSize(10), ProgressBar(ProgressLeave(false), ProgressName("kept")))
	require.ErrorIs(t, err, boom)
	frame := lastFrame(t, out.String())
	require.Len(t, frame, 1, "%q", frame)
	assert.Regexp(t, `^kept \[=+>?-+\] `+statsRe("50/100", "50", "failed at task 50")+`$`, frame[0])
}

// A call that outlives the first redraw makes the container then: its bar
// starts at the count already reached, is redrawn while the call runs,
// and ends complete.
func TestProgressContainerStartsOnRedraw(t *testing.T) {
	p := newPool(t, Workers(2))
	out := showEvery(p, true, time.Millisecond)
	frames := func() int { return len(cursorMoves.FindAllString(out.String(), -1)) }
	f := func(x int) int {
		if x == 999 { // the last task waits for two frames drawn during the call
			for !drawing(p.display) || frames() < 2 {
				time.Sleep(time.Millisecond)
			}
		}
		return x * x
	}
	got, err := Map(p, slices.Collect(countTo(1000)), f, ChunkSize(10), ProgressBar(ProgressName("long"), ProgressWidth(12)))
	require.NoError(t, err)
	require.Equal(t, squares(1000), got)
	assert.False(t, drawing(p.display), "the container outlived the call")

	// The last task waited for three frames, all drawn while it ran; the
	// rest show the end (mpb may draw it twice).
	running := regexp.MustCompile(`^long \[[=>-]{10}\] +\d+/1000 +\d+% \| \d+\.\ds<(\d+\.\ds|\?) \| \d+\.\d[kMG]?/s\n$`)
	final := regexp.MustCompile(`^long \[={10}\] ` + statsRe("1000/1000", "100", "done") + `\n$`)
	parts := cursorMoves.Split(out.String(), -1)
	mid := 0
	for _, frame := range parts {
		if running.MatchString(frame) {
			mid++
		} else {
			assert.Regexp(t, final, frame)
		}
	}
	assert.GreaterOrEqual(t, mid, 3, "frames drawn during the call")
	assert.Regexp(t, final, parts[len(parts)-1])
}

// Calls that end while the display's timer fires, over and over: each one
// ends its bar right, none waits forever, and no goroutine is left.
func TestProgressEndRacesRedraw(t *testing.T) {
	for _, term := range []bool{false, true} {
		t.Run(fmt.Sprint("term=", term), func(t *testing.T) {
			p := newPool(t, Workers(2))
			out := showEvery(p, term, time.Microsecond)
			before := goleak.IgnoreCurrent()
			for i := range 200 {
				n := 1 + i%37
				got, err := Map(p, slices.Collect(countTo(n)), square, ChunkSize(3), ProgressBar())
				require.NoError(t, err)
				require.Equal(t, squares(n), got)
				want := statsRe(fmt.Sprintf("%d/%d", n, n), "100", "done") + `$`
				if term {
					// A new container draws below the last frame of the
					// previous one, which stays.
					frame := lastFrame(t, out.String())
					assert.Regexp(t, want, frame[len(frame)-1], "call %d", i)
				} else {
					lines := plainLines(t, out.String())
					assert.Regexp(t, `^`+want, lines[len(lines)-1], "call %d", i)
				}
				if i%50 == 49 {
					goleak.VerifyNone(t, before)
				}
			}
			if !term {
				assert.NotContains(t, out.String(), "\x1b")
				assert.Equal(t, 200, strings.Count(out.String(), "| done\n"), "one final line per call")
			}
		})
	}
}

// The final frame that a display writes itself, for a bar that mpb never
// drew, is the frame mpb draws for the same bar, byte for byte.
func TestProgressFinalFrameAsMpb(t *testing.T) {
	cases := []struct {
		name        string
		total, done int64
		label       string
		width       int
		status      string
	}{
		{"complete", 1000, 1000, "squares", 0, statusDone},
		{"complete narrow", 1000, 1000, "squares", 20, statusDone},
		{"no name", 64, 64, "", 0, statusDone},
		{"wide runes", 10, 10, "平方 ✓", 30, statusDone},
		{"unknown total", -1, 300, "gen", 0, statusDone},
		{"empty", 0, 0, "none", 0, statusDone},
		{"failed", 1000, 500, "f", 0, "failed at task 500"},
		{"failed unknown", -1, 40, "", 12, "terminated"},
		{"stopped after the last task", 100, 100, "late", 0, "stopped: context canceled"},
		{"sequence short of IterableLen", 1000, 600, "gen", 0, statusDone},
		{"empty sequence with IterableLen", 5, 0, "", 0, statusDone},
		{"failed short of IterableLen", 1000, 600, "gen", 0, "failed at task 600"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := &tracker{total: c.total, name: c.label, width: c.width, leave: true, start: time.Unix(0, 0)}
			tr.done.Store(c.done)
			tr.took.Store(int64(2 * time.Second))
			tr.status.Store(&c.status)
			done := c.status == statusDone

			own, ok := tr.finalFrame(80, done)
			require.True(t, ok)

			var out lockedBuffer
			prog := mpb.New(mpb.WithOutput(&out), mpb.WithManualRefresh(make(chan any)), mpb.ForceTTY())
			bar, err := prog.Add(tr.total, tr.filler(), tr.barOptions()...)
			require.NoError(t, err)
			tr.bar = bar
			tr.push() // as display.remove ends a bar
			tr.endBar(done)
			within(t, 10*time.Second, "mpb's Wait after the bar ended", prog.Wait)
			first := cursorMoves.Split(out.String(), -1)[0] // later frames may move a spinner on
			assert.Equal(t, first, own)
			assert.Contains(t, own, c.status)
		})
	}
	// Too narrow for the name and the stats: mpb cuts them, the display
	// leaves the frame to mpb.
	tr := &tracker{total: 10, name: "a long name", start: time.Unix(0, 0)}
	status := statusDone
	tr.status.Store(&status)
	_, ok := tr.finalFrame(20, true)
	assert.False(t, ok)
}

// On a terminal, a bar that ends short of its total on success (an
// iter.Seq shorter than its IterableLen) while another bar is on the
// display is drawn by mpb, complete at the count reached, and the display
// still ends when its last bar does. Both bars are on the display at once
// whatever the timing: the test adds and ends them itself.
func TestProgressShortBarBesideAnother(t *testing.T) {
	for _, shortFirst := range []bool{true, false} {
		t.Run(fmt.Sprint("shortFirst=", shortFirst), func(t *testing.T) {
			var out lockedBuffer
			d := &display{out: &out, isTerm: func() bool { return true }, every: time.Hour}
			short := &tracker{d: d, total: 1488, name: "short", leave: true, start: time.Now()}
			full := &tracker{d: d, total: 155, name: "full", leave: true, start: time.Now()}
			before := goleak.IgnoreCurrent()
			within(t, 10*time.Second, "two bars, one ending short of its total", func() {
				d.add(short)
				d.add(full)
				short.add(1487)
				full.add(155)
				if shortFirst {
					short.finish(nil)
					full.finish(nil)
				} else {
					full.finish(nil)
					short.finish(nil)
				}
			})
			if t.Failed() {
				return
			}
			goleak.VerifyNone(t, before)
			frame := lastFrame(t, out.String())
			require.Len(t, frame, 2, "both bars stay, in start order")
			assert.Regexp(t, `^short +\[=+\] +`+statsRe("1487/1488", "99", "done")+`$`, frame[0], "complete at the count reached")
			assert.Regexp(t, `^full +\[=+\] +`+statsRe("155/155", "100", "done")+`$`, frame[1])
		})
	}
}
