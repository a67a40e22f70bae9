package numapool

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/sys/unix"
)

const (
	// redrawEvery is how often a display redraws its bars (MPIRE: 0.1 s).
	redrawEvery = 100 * time.Millisecond
	// lineEvery is how often a display that is not on a terminal prints
	// its bars as plain lines.
	lineEvery = time.Second
)

// A display draws the bars of the calls running on its pools on one
// output: through one mpb.Progress on a terminal, as plain lines elsewhere.
// Pools draw on stderrDisplay; a nested pool always uses the display of the
// pool whose task started it, so that tests can give a tree of pools a
// display of its own.
//
// A display runs no goroutine of its own: a timer fires every redrawEvery
// while it has bars, and its function (run by the runtime in a goroutine
// of its own, only while it runs) brings the bars up to date. The mpb
// container is made at the first redraw, so a call shorter than
// redrawEvery starts no goroutine while it runs; when such a call ends,
// its bar is drawn once, in its final state, if it has to stay on the
// screen. The last bar to finish stops the timer and ends the container,
// waiting for both.
type display struct {
	out    io.Writer
	isTerm func() bool   // checked when the display starts
	every  time.Duration // time between redraws; 0: redrawEvery (tests set less)

	mu       sync.Mutex
	ended    sync.Cond // on mu: a display finished ending, or a tick gave up
	ending   bool      // the last bar is ending it; add waits
	bars     []*tracker
	seq      int // bars started since the display started
	term     bool
	prog     *mpb.Progress // nil until a bar must be drawn, and in plain mode
	refresh  chan any      // asks prog to redraw
	timer    *time.Timer   // the next redraw: made by the first begin, stopped while there are no bars
	inflight bool          // the timer fired while the display was ending
	line     time.Time     // when plain lines were last printed
}

// stderrDisplay is the display of every pool: bars of unrelated pools that
// run at the same time share it too, so they never overwrite each other on
// the terminal.
var stderrDisplay = display{out: os.Stderr, isTerm: stderrIsTerminal}

// stderrIsTerminal reports whether stderr is a terminal that can move its
// cursor.
func stderrIsTerminal() bool {
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	_, err := unix.IoctlGetTermios(int(os.Stderr.Fd()), unix.TCGETS)
	return err == nil
}

// add shows t, starting the display if t is its first bar.
func (d *display) add(t *tracker) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ended.L == nil {
		d.ended.L = &d.mu
	}
	for d.ending {
		d.ended.Wait()
	}
	if len(d.bars) == 0 {
		d.begin()
	}
	t.prio |= d.seq & (1<<20 - 1) // in start order among equals
	d.seq++
	d.bars = append(d.bars, t)
	if d.prog != nil {
		d.addBar(t)
	}
}

// begin starts the display: it arms the timer of the first redraw. It
// starts no goroutine; under d.mu.
func (d *display) begin() {
	d.term = d.isTerm()
	d.seq = 0
	d.line = time.Now()
	if d.timer == nil {
		d.timer = time.AfterFunc(d.interval(), d.tick)
	} else {
		d.timer.Reset(d.interval())
	}
}

// startProg makes the mpb container, on a terminal and for bars of ours,
// and gives each of them its mpb bar; under d.mu. It starts mpb's goroutines (the
// container's three and one per bar).
func (d *display) startProg() {
	ours := func(t *tracker) bool { return !t.custom }
	if d.prog != nil || !d.term || !slices.ContainsFunc(d.bars, ours) {
		return // drawn already, plain lines, or only callers' bars
	}
	d.refresh = make(chan any, 1)
	// ForceTTY: the terminal check is ours, so that an injected writer is
	// drawn on as a terminal would be.
	d.prog = mpb.New(mpb.WithOutput(d.out), mpb.WithManualRefresh(d.refresh), mpb.ForceTTY())
	for _, t := range d.bars {
		d.addBar(t)
	}
}

// addBar gives t its mpb bar on d.prog, brought up to date; under d.mu.
func (d *display) addBar(t *tracker) {
	if t.custom || t.bar != nil {
		return
	}
	// Add fails only once the container has ended, which only the last
	// remove does, while add waits; if it failed, the call would still
	// count, without a bar.
	t.bar, _ = d.prog.Add(t.total, t.filler(), t.barOptions()...)
	t.shown = 0
	t.push()
}

// tick is the timer's function: it redraws and arms the timer again, or,
// when the last bar is ending the display, tells it that it has returned.
func (d *display) tick() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ending {
		d.inflight = false
		d.ended.Broadcast()
		return
	}
	d.redraw(time.Now())
	d.timer.Reset(d.interval())
}

// interval is the time between redraws.
func (d *display) interval() time.Duration {
	if d.every > 0 {
		return d.every
	}
	return redrawEvery
}

// redraw brings every bar up to date and draws them (on a terminal) or
// prints them (elsewhere, at most once per lineEvery); under d.mu.
func (d *display) redraw(now time.Time) {
	d.startProg()
	for _, t := range d.bars {
		t.push()
	}
	if d.term {
		select {
		case d.refresh <- now:
		default: // a redraw is already pending
		}
		return
	}
	if now.Sub(d.line) < lineEvery {
		return
	}
	d.line = now
	for _, t := range d.bars {
		if !t.custom {
			fmt.Fprintln(d.out, t.plainLine(t.done.Load(), now))
		}
	}
}

// remove ends t's bar and, if it was the last one, the display: then it
// stops the timer and waits for a tick under way and for the mpb container
// to draw its last frame and end.
func (d *display) remove(t *tracker) {
	d.mu.Lock()
	done := *t.status.Load() == statusDone
	if t.bar == nil && !t.custom && d.term && (!done || t.leave) {
		// The bar stays on the screen and mpb has not drawn it. If it is
		// the display's only bar, nothing of the display is on the screen
		// and no other bar must be placed above it: its final frame is
		// written as it is, without starting mpb's container for it.
		// Otherwise mpb draws the bars in their order.
		line, ok := "", false
		if len(d.bars) == 1 {
			line, ok = t.finalFrame(d.width(), done) // not ok when too narrow: mpb cuts text
		}
		if ok {
			io.WriteString(d.out, line)
		} else {
			d.startProg()
		}
	}
	t.push()
	t.endBar(done)
	if !d.term && !t.custom {
		fmt.Fprintln(d.out, t.plainLine(t.done.Load(), time.Now()))
	}
	d.bars = slices.DeleteFunc(d.bars, func(b *tracker) bool { return b == t })
	if len(d.bars) > 0 {
		d.mu.Unlock()
		return
	}
	d.ending = true
	// Stop fails only when the timer has fired and its tick has not yet
	// taken d.mu; that tick will see ending and say when it returns.
	d.inflight = !d.timer.Stop()
	for d.inflight {
		d.ended.Wait()
	}
	prog, refresh := d.prog, d.refresh
	d.prog, d.refresh = nil, nil
	d.mu.Unlock()

	if prog != nil {
		select {
		case refresh <- time.Now(): // the last frame, with every bar ended
		default:
		}
		prog.Wait() // every bar is complete or aborted, so this returns after that frame
	}
	d.mu.Lock()
	d.ending = false
	d.ended.Broadcast()
	d.mu.Unlock()
}

// endBar ends t's mpb bar, if it has one, once push gave it the call's
// last count: a success completes it at the count reached, anything else
// aborts it where it is; under d.mu. Every bar of a container must be
// complete or aborted before the container's Wait returns, so no path may
// leave one open.
func (t *tracker) endBar(done bool) {
	if t.bar == nil {
		return
	}
	if !done {
		t.bar.Abort(false) // mpb ignores it when push reached a known total
		return
	}
	if t.custom || t.total <= 0 || t.shown < t.total {
		// The caller's bar, whatever its total; an unknown total; or an
		// iter.Seq that ended short of its IterableLen, which push cannot
		// complete: the bar's total becomes the count reached.
		t.bar.SetTotal(-1, true)
	}
	// Otherwise push reached the known total, which completed the bar.
}

// width is the width of the display's terminal, as mpb reads it: the
// window's columns when out is a terminal, else 80.
func (d *display) width() int {
	if f, ok := d.out.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 {
			return int(ws.Col)
		}
	}
	return 80
}

// finalFrame is the last frame of t's bar, as mpb draws it on a terminal
// of the given width: the name, a space, the bar drawn by t's mpb filler,
// a space and the stats, on a line of their own. ok is false when they do
// not fit the width, where mpb would cut them. It costs one filler call
// and a few small allocations, against the mpb container's goroutines,
// which would be started and ended for this one frame.
func (t *tracker) finalFrame(width int, done bool) (line string, ok bool) {
	var text decor.WC
	text.Init()
	cur := t.done.Load()
	// As endBar leaves the mpb bar: a known total reached completes it even
	// when the call failed afterwards (mpb ignores Abort then); a success
	// completes it at the count reached, its total becoming that count
	// when it was unknown or the input ended short of it.
	complete := done || (t.total > 0 && cur >= t.total)
	stat := decor.Statistics{
		AvailableWidth: width,
		RequestedWidth: t.width,
		Total:          max(t.total, 0),
		Current:        cur,
		Completed:      complete,
		Aborted:        !complete,
	}
	if done && (t.total < 0 || cur < t.total) {
		stat.Total = cur
	}
	name, nameCols := "", 0
	if t.name != "" {
		name, nameCols = text.Format(t.name)
	}
	stats, statsCols := text.Format(t.stats(cur, time.Now()))
	stat.AvailableWidth -= nameCols + statsCols + 2
	if stat.AvailableWidth < 0 {
		return "", false
	}
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte(' ')
	if err := t.filler().Fill(&b, stat); err != nil {
		return "", false
	}
	b.WriteByte(' ')
	b.WriteString(stats)
	b.WriteByte('\n')
	return b.String(), true
}

// push gives the bar the tasks finished since the last push; under d.mu.
// A bar of ours stops one short of its total until the call has ended:
// reaching it completes the bar, and mpb draws a completed bar's last frame
// at once, which must show how the call ended.
func (t *tracker) push() {
	n := t.done.Load()
	if !t.custom && t.total > 0 && t.status.Load() == nil {
		n = min(n, t.total-1)
	}
	if t.bar != nil && n > t.shown {
		t.bar.IncrInt64(n - t.shown)
	}
	t.shown = n
}

// filler is the drawing of the bar itself: a bar for a known total, a
// spinner for an unknown one.
func (t *tracker) filler() mpb.BarFiller {
	if t.total < 0 {
		return mpb.SpinnerStyle().PositionLeft().Build()
	}
	return mpb.BarStyle().Build()
}

func (t *tracker) barOptions() []mpb.BarOption {
	opts := []mpb.BarOption{
		mpb.BarPriority(t.prio),
		mpb.AppendDecorators(decor.Any(func(s decor.Statistics) string {
			// How the call ended shows once mpb has the bar's last count:
			// a frame drawn between the two would say "done" short of it.
			status := t.status.Load()
			if !s.Completed && !s.Aborted {
				status = nil
			}
			return t.statsAs(s.Current, time.Now(), status)
		}, decor.WCSyncWidth)),
	}
	if t.name != "" {
		opts = append(opts, mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			return t.name
		}, decor.WCSyncWidthR)))
	}
	if t.width > 0 {
		opts = append(opts, mpb.BarWidth(t.width))
	}
	if !t.leave {
		opts = append(opts, mpb.BarRemoveOnComplete())
	}
	return opts
}

// plainLine is the bar as one line of text, for outputs that are not
// terminals.
func (t *tracker) plainLine(done int64, now time.Time) string {
	if t.name == "" {
		return t.stats(done, now)
	}
	return t.name + ": " + t.stats(done, now)
}

// stats is what a bar shows beside its drawing: "37/100 37% | 1.2s<2.0s |
// 30.5/s" while running ("37 | 1.2s | 30.5/s" for an unknown total), the
// time taken and how the call ended once it did.
func (t *tracker) stats(done int64, now time.Time) string {
	return t.statsAs(done, now, t.status.Load())
}

// statsAs is stats for a call that ended with status (nil: still running).
func (t *tracker) statsAs(done int64, now time.Time, status *string) string {
	var b strings.Builder
	if t.total >= 0 {
		pct := int64(100)
		if t.total > 0 {
			pct = done * 100 / t.total
		}
		fmt.Fprintf(&b, "%d/%d %3d%%", done, t.total, pct)
	} else {
		fmt.Fprintf(&b, "%d", done)
	}
	elapsed := now.Sub(t.start)
	if status != nil {
		elapsed = time.Duration(t.took.Load())
	}
	b.WriteString(" | ")
	b.WriteString(formatDuration(elapsed))
	if status == nil && t.total >= 0 {
		b.WriteString("<")
		if done > 0 {
			b.WriteString(formatDuration(time.Duration(float64(elapsed) * float64(t.total-done) / float64(done))))
		} else {
			b.WriteString("?")
		}
	}
	b.WriteString(" | ")
	b.WriteString(formatRate(float64(done) / max(elapsed.Seconds(), 1e-9)))
	if status != nil {
		b.WriteString(" | ")
		b.WriteString(*status)
	}
	return b.String()
}

// formatDuration writes d as tqdm-like short text: 4.2s, 3m07s, 2h05m.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// formatRate writes r tasks per second with an SI prefix: 30.5/s, 1.2k/s.
func formatRate(r float64) string {
	const prefixes = "kMG"
	unit := ""
	for i := 0; r >= 999.95 && i < len(prefixes); i++ {
		r /= 1000
		unit = prefixes[i : i+1]
	}
	return fmt.Sprintf("%.1f%s/s", r, unit)
}
