package numapool

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"
)

// WithInsights makes the pool record where its workers' time goes (MPIRE's
// enable_insights): per worker the thread start-up time, init and exit
// time, time waiting for work and time working, and tasks done; and the
// slowest tasks with their arguments. Read them with Pool.Insights.
//
// Cost when on: two clock reads per chunk and per idle period, and one
// atomic load per chunk to see whether it is among the slowest; a chunk's
// argument is formatted only when it enters the slowest few. No lock and no
// allocation per task. Off, the default, the hot path pays one nil check
// per chunk.
func WithInsights() Option {
	return func(c *poolConfig) error {
		c.insights = true
		return nil
	}
}

// slowestKept is how many of the slowest tasks each worker keeps.
const slowestKept = 5

// Insights is where a pool's worker time went, as Pool.Insights reports it.
type Insights struct {
	Workers []WorkerInsights // one per worker ID, all threads of that ID together
	Slowest []SlowTask       // the slowest tasks of all workers, slowest first
	Total   WorkerInsights   // the sums over workers (ID -1)
}

// WorkerInsights is the time of one worker ID, summed over its threads.
type WorkerInsights struct {
	ID      int
	StartUp time.Duration // starting threads: lock, pin, register
	Init    time.Duration // WorkerState init functions
	Waiting time.Duration // idle, waiting for work
	Working time.Duration // running chunks of tasks
	Exit    time.Duration // WorkerState exit functions
	Tasks   int64         // tasks finished
}

// SlowTask is one of the slowest chunks of tasks: a single task when the
// call's chunk size is 1. Insights time chunks, not tasks, because a clock
// read costs 20 to 200 ns (the latter on virtual machines with kvm-clock),
// as much as a tiny task.
type SlowTask struct {
	WorkerID int
	Index    int    // the position of the chunk's first task in its call's input (for loops, the block's first index)
	Tasks    int    // tasks in the chunk
	Arg      string // the first task's argument, shortened as in TaskError (for loops, the block "[lo, hi)")
	Duration time.Duration
}

// insights is the pool's recorder: one padded slot per worker ID, each
// written only by that worker's (current) thread.
type insights struct {
	workers []workerRecord
}

type workerRecord struct {
	startUp, init, waiting, working, exit atomic.Int64 // nanoseconds
	tasks                                 atomic.Int64
	mu                                    sync.Mutex // taken to insert a slow task and to read them
	slowest                               []SlowTask // at most slowestKept, unordered
	threshold                             atomic.Int64
	_                                     cacheLinePad
}

func newInsights(n int) *insights { return &insights{workers: make([]workerRecord, n)} }

// Each recording method is a no-op on a nil recorder (insights off).

func (in *insights) startedUp(id int, d time.Duration) {
	if in != nil {
		in.workers[id].startUp.Add(int64(d))
	}
}

func (in *insights) initDone(id int, d time.Duration) {
	if in != nil {
		in.workers[id].init.Add(int64(d))
	}
}

func (in *insights) exitDone(id int, d time.Duration) {
	if in != nil {
		in.workers[id].exit.Add(int64(d))
	}
}

func (in *insights) waited(id int, d time.Duration) { in.workers[id].waiting.Add(int64(d)) }

// chunkDone records a finished chunk of tasks starting at call-wide index
// first, which took d; arg formats the chunk's first argument and is called
// only when the chunk enters the worker's slowest ones (one atomic load to
// decide).
func (in *insights) chunkDone(id int, d time.Duration, tasks, first int, arg func() string) {
	r := &in.workers[id]
	r.working.Add(int64(d))
	r.tasks.Add(int64(tasks))
	if int64(d) > r.threshold.Load() {
		in.addSlow(SlowTask{WorkerID: id, Index: first, Tasks: tasks, Arg: arg(), Duration: d})
	}
}

// addSlow inserts a task into worker id's slowest tasks, replacing the
// fastest of them when there are slowestKept already.
func (in *insights) addSlow(t SlowTask) {
	r := &in.workers[t.WorkerID]
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.slowest) < slowestKept {
		r.slowest = append(r.slowest, t)
	} else {
		low := 0
		for k := range r.slowest {
			if r.slowest[k].Duration < r.slowest[low].Duration {
				low = k
			}
		}
		if t.Duration <= r.slowest[low].Duration {
			return
		}
		r.slowest[low] = t
	}
	if len(r.slowest) == slowestKept {
		least := r.slowest[0].Duration
		for _, s := range r.slowest[1:] {
			least = min(least, s.Duration)
		}
		r.threshold.Store(int64(least))
	}
}

// Insights returns what the pool recorded so far, and false when it was made
// without WithInsights. It may be called at any time, also during calls.
func (p *Pool) Insights() (Insights, bool) {
	in := p.insights
	if in == nil {
		return Insights{}, false
	}
	out := Insights{Workers: make([]WorkerInsights, len(in.workers)), Total: WorkerInsights{ID: -1}}
	for id := range in.workers {
		r := &in.workers[id]
		wi := WorkerInsights{
			ID:      id,
			StartUp: time.Duration(r.startUp.Load()),
			Init:    time.Duration(r.init.Load()),
			Waiting: time.Duration(r.waiting.Load()),
			Working: time.Duration(r.working.Load()),
			Exit:    time.Duration(r.exit.Load()),
			Tasks:   r.tasks.Load(),
		}
		out.Workers[id] = wi
		t := &out.Total
		t.StartUp += wi.StartUp
		t.Init += wi.Init
		t.Waiting += wi.Waiting
		t.Working += wi.Working
		t.Exit += wi.Exit
		t.Tasks += wi.Tasks
		r.mu.Lock()
		out.Slowest = append(out.Slowest, r.slowest...)
		r.mu.Unlock()
	}
	slices.SortStableFunc(out.Slowest, func(a, b SlowTask) int { return int(b.Duration - a.Duration) })
	if len(out.Slowest) > slowestKept {
		out.Slowest = out.Slowest[:slowestKept]
	}
	return out, true
}

// Ratio is the share of a worker's recorded time spent working, 0..1.
func (w WorkerInsights) Ratio() float64 {
	all := w.StartUp + w.Init + w.Waiting + w.Working + w.Exit
	if all == 0 {
		return 0
	}
	return float64(w.Working) / float64(all)
}

// String prints the insights as a table (MPIRE's print_insights): one row
// per worker and the total, then the slowest tasks.
func (in Insights) String() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "worker\tstart-up\tinit\twaiting\tworking\texit\ttasks\tworking %\t")
	row := func(name string, w WorkerInsights) {
		fmt.Fprintf(tw, "%s\t%v\t%v\t%v\t%v\t%v\t%d\t%.1f\t\n", name,
			w.StartUp.Round(time.Microsecond), w.Init.Round(time.Microsecond), w.Waiting.Round(time.Microsecond),
			w.Working.Round(time.Microsecond), w.Exit.Round(time.Microsecond), w.Tasks, 100*w.Ratio())
	}
	for _, w := range in.Workers {
		row(fmt.Sprint(w.ID), w)
	}
	row("total", in.Total)
	tw.Flush()
	if len(in.Slowest) > 0 {
		b.WriteString("\nslowest tasks:\n")
		for _, t := range in.Slowest {
			what := fmt.Sprintf("task %d", t.Index)
			if t.Tasks > 1 {
				what = fmt.Sprintf("tasks %d-%d", t.Index, t.Index+t.Tasks-1)
			}
			fmt.Fprintf(&b, "  %v  %s on worker %d, arg %s\n", t.Duration.Round(time.Microsecond), what, t.WorkerID, t.Arg)
		}
	}
	return b.String()
}
