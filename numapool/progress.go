package numapool

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
)

// A ProgressOption configures the default bar of ProgressBar.
type ProgressOption func(*progressConfig) error

type progressConfig struct {
	custom *mpb.Bar // the caller's bar (CustomProgressBar); nil: the default bar
	name   string
	width  int  // columns of the bar itself; 0: mpb's default
	leave  int8 // 0: keep top-level bars, remove nested ones; 1: keep; -1: remove
}

// ProgressBar shows the call's progress as MPIRE's progress_bar does: tasks
// done of the total, percentage, elapsed and remaining time and the rate,
// drawn with mpb on stderr. With an unknown total (an iter.Seq without
// IterableLen) it shows the count and the rate. On success the bar ends at
// 100%; on an error, Terminate or a cancelled context it stops where it is
// and says why; a lazy loop left early stops it with "ended early".
//
// Bars of calls on pools started inside tasks (Daemon(false)) are stacked
// under the bar of the outer pool in one display, ordered by the ID of the
// worker that started them; bars of concurrent calls on one pool stack too.
//
// When stderr is not a terminal, the bar is a plain line printed at most
// once a second, plus a final line, without control codes.
//
// Cost: one atomic add per finished chunk, nothing per task. While a
// display has bars, a timer redraws them every 0.1 s; the mpb container
// (a few goroutines, and one per bar) is made at the first redraw, so a
// call shorter than that starts no goroutine while it runs. On a terminal
// the end of such a call draws its bar once through mpb, some tens of
// microseconds; off a terminal it prints one line. No goroutine outlives
// the call.
func ProgressBar(opts ...ProgressOption) CallOption {
	return func(c *callConfig) error {
		if c.progress != nil && c.progress.custom != nil {
			return errors.New("numapool: ProgressBar and CustomProgressBar given together; pass one of them")
		}
		pc := &progressConfig{}
		for _, o := range opts {
			if err := o(pc); err != nil {
				return err
			}
		}
		c.progress = pc
		return nil
	}
}

// CustomProgressBar makes the call drive bar, a bar the caller made on
// their own mpb.Progress, as MPIRE accepts a custom tqdm bar. The caller
// sets its total to the number of tasks of the call (or to 0 when it is
// unknown), its decorators and its container's output, and calls Wait on
// that container after the call.
//
// The pool calls bar.IncrInt64 with the tasks finished since the last
// refresh (every 0.1 s, never from a worker) and once as the call ends;
// on success it ends the bar with
// SetTotal(-1, true), so that it completes at the count reached whatever
// total it had; on an error, Terminate, a cancelled context or a lazy loop
// left early it calls Abort(false), which stops the bar where it is. Use a
// fresh bar for each call.
func CustomProgressBar(bar *mpb.Bar) CallOption {
	return func(c *callConfig) error {
		if bar == nil {
			return errors.New("numapool: CustomProgressBar(nil): pass a bar made with (*mpb.Progress).AddBar, or use ProgressBar() for the default bar")
		}
		if c.progress != nil && c.progress.custom == nil {
			return errors.New("numapool: ProgressBar and CustomProgressBar given together; pass one of them")
		}
		c.progress = &progressConfig{custom: bar}
		return nil
	}
}

// ProgressName puts name before the bar, as tqdm's desc.
func ProgressName(name string) ProgressOption {
	return func(c *progressConfig) error {
		c.name = name
		return nil
	}
}

// ProgressWidth sets the width of the bar itself in columns, brackets
// included; the name, counts and times beside it take their own room. By
// default the bar fills the rest of the terminal's width (of 80 columns
// when the width cannot be read).
func ProgressWidth(cols int) ProgressOption {
	return func(c *progressConfig) error {
		if cols < 1 {
			return fmt.Errorf("numapool: ProgressWidth(%d): a bar is at least 1 column wide (leave the option out for the default)", cols)
		}
		c.width = cols
		return nil
	}
}

// ProgressLeave sets whether a finished bar stays on the terminal, as
// tqdm's leave. By default the bars of top-level pools stay and the bars of
// nested pools are removed once complete, so that the next call of the same
// worker takes their place; a stopped bar always stays, to say why.
func ProgressLeave(leave bool) ProgressOption {
	return func(c *progressConfig) error {
		c.leave = -1
		if leave {
			c.leave = 1
		}
		return nil
	}
}

// tracker counts the finished tasks of one call for its progress bar.
// Workers add a chunk's count when the chunk finishes: one atomic add per
// chunk, nothing per task; a call without a bar has a nil tracker and pays
// one nil check per chunk.
type tracker struct {
	done atomic.Int64

	d     *display
	total int64 // -1: unknown
	name  string
	width int
	leave bool
	prio  int // place in the display: lower is higher up
	start time.Time

	bar    *mpb.Bar // drawn bar: ours in a terminal, or the caller's; nil in plain mode
	custom bool     // bar is the caller's

	// Set once when the call ends; read by mpb's goroutines when drawing.
	status atomic.Pointer[string]
	took   atomic.Int64 // the call's duration in ns, once it ended

	shown int64 // count given to bar so far; under d.mu
}

// startTracker returns the tracker of a call over total tasks (-1:
// unknown), or nil when the call shows no progress.
func startTracker(p *Pool, cc *callConfig, total int) *tracker {
	pc := cc.progress
	if pc == nil {
		return nil
	}
	t := &tracker{
		d:      p.progressDisplay(),
		total:  max(int64(total), -1),
		name:   pc.name,
		width:  pc.width,
		leave:  pc.leave > 0 || (pc.leave == 0 && p.parent == nil),
		prio:   nestedPriority(p),
		start:  time.Now(),
		bar:    pc.custom,
		custom: pc.custom != nil,
	}
	t.d.add(t)
	return t
}

// add counts n finished tasks.
func (t *tracker) add(n int) { t.done.Add(int64(n)) }

// finish ends the call's bar: complete on success, stopped where it is on
// an error. It returns once the display no longer needs this call; when
// this was the display's last bar, once every goroutine of the display
// has ended.
func (t *tracker) finish(err error) {
	took := time.Since(t.start)
	status := endStatus(err, t.done.Load(), t.total)
	t.took.Store(int64(max(took, 1)))
	t.status.Store(&status)
	t.d.remove(t)
}

// progressDisplay is the display this pool's bars go to: the one of the
// outermost pool (stderrDisplay unless a test set another), so that nested
// bars stack under their parent's.
func (p *Pool) progressDisplay() *display {
	if p.display != nil {
		return p.display
	}
	return &stderrDisplay
}

// displayFor is the display of a pool started by parent (nil: by no task).
func displayFor(parent *Worker) *display {
	if parent != nil {
		return parent.pool.progressDisplay()
	}
	return &stderrDisplay
}

// nestedPriority is where the bars of p go in a display (lower is higher
// up), before the display adds its start order in the low 20 bits: bars of
// top-level pools first, then those of pools nested one level deep, by the
// ID of the worker that started them, and so on; 12 bits per level of
// worker IDs, for the 3 outermost levels.
func nestedPriority(p *Pool) int {
	var ids []int
	for w := p.parent; w != nil; w = w.pool.parent {
		ids = append(ids, min(w.id, 1<<12-1))
	}
	key := 0
	for i := len(ids) - 1; i >= max(0, len(ids)-3); i-- { // outermost first
		key = key<<12 | ids[i]
	}
	key <<= 12 * (3 - min(len(ids), 3)) // align the levels
	return min(len(ids), 1<<7-1)<<56 | key<<20
}

// endStatus says how a call ended, for its bar's last words.
func endStatus(err error, done, total int64) string {
	var te *TaskError
	switch {
	case err == nil:
		return statusDone // every task ran (an iter.Seq may be shorter than IterableLen)
	case errors.Is(err, errStopped):
		return "ended early" // a lazy loop left early
	case errors.As(err, &te):
		return fmt.Sprintf("failed at task %d", te.Index)
	case errors.Is(err, ErrTerminated):
		return "terminated"
	}
	return "stopped: " + cutRunes(err.Error(), 60)
}

// statusDone is the status of a call that ran every task.
const statusDone = "done"
