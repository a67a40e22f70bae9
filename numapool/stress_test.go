package numapool

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"maps"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vbauerster/mpb/v8"
	"go.uber.org/goleak"
)

// The stress test runs every kind of call with random faults on random
// pools. In `make test` it runs a fixed number of rounds (the short mode);
// -stress.long runs rounds for -stress.duration and the overload test over
// a billion items:
//
//	go test ./numapool -run Stress -stress.long -stress.duration=10m -v
//
// Every failure prints the seed; -stress.seed replays the same plan of
// calls (the interleaving of threads is the machine's own).
var (
	stressLong     = flag.Bool("stress.long", false, "run the stress test for -stress.duration and the overload test over a billion items")
	stressDuration = flag.Duration("stress.duration", 2*time.Minute, "how long -stress.long runs the stress test")
	stressSeed     = flag.Int64("stress.seed", 0, "seed of the stress test's plan of calls (0: from the clock)")
	stressOnly     = flag.Uint64("stress.round", 0, "run only this round of -stress.seed's plan (0: all), -stress.repeat times")
	stressRepeat   = flag.Int("stress.repeat", 1, "how many times -stress.round runs")
)

// stressShortRounds is how many rounds the short mode runs: about 6 s under
// -race on 2 CPUs.
const stressShortRounds = 250

// stressRoundLimit is how long one round may take before the watchdog
// fails the test with every goroutine's stack.
const stressRoundLimit = 3 * time.Minute

// seedFor returns the seed of a randomised test, -stress.seed or the clock,
// and arranges for a failure to print how to replay it.
func seedFor(t *testing.T) uint64 {
	seed := uint64(*stressSeed)
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d", seed)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replay with: go test ./numapool -run '^%s$' -stress.seed=%d", t.Name(), seed)
		}
	})
	return seed
}

// callKind is one public call of the pool.
type callKind int

const (
	kMap callKind = iota
	kMapFunc
	kMapUnordered
	kMapUnorderedFunc
	kMapInto
	kForEach
	kForEachFunc
	kIMap
	kIMapFunc
	kIMapUnordered
	kIMapUnorderedFunc
	kFor
	kForFunc
	kForIndex
	kReduce
	kReduceFunc
	kApply      // one Apply
	kApplyAsync // n ApplyAsync futures, with callbacks
	kNested     // MapFunc whose tasks run nested pools
	numCallKinds
)

var callKindNames = [...]string{"Map", "MapFunc", "MapUnordered", "MapUnorderedFunc", "MapInto", "ForEach", "ForEachFunc",
	"IMap", "IMapFunc", "IMapUnordered", "IMapUnorderedFunc", "For", "ForFunc", "ForIndex", "Reduce", "ReduceFunc", "Apply", "ApplyAsync", "nested"}

func (k callKind) String() string { return callKindNames[k] }

func (k callKind) lazy() bool   { return k >= kIMap && k <= kIMapUnorderedFunc }
func (k callKind) ranged() bool { return k >= kFor && k <= kReduceFunc }
func (k callKind) apply() bool  { return k == kApply || k == kApplyAsync }
func (k callKind) ordered() bool {
	return k != kMapUnordered && k != kMapUnorderedFunc && k != kIMapUnordered && k != kIMapUnorderedFunc
}

// mayRunOnCaller reports whether the calling goroutine may run tasks of
// the kind itself (plain calls; see WorkersOnly).
func (k callKind) mayRunOnCaller() bool {
	switch k {
	case kMap, kMapUnordered, kMapInto, kForEach, kFor, kForIndex, kReduce, kIMap, kIMapUnordered:
		return true
	}
	return false
}

// withErr reports whether the kind's function returns an error itself; the
// others fail by panic(errStress) instead.
func (k callKind) withErr() bool {
	switch k {
	case kMapFunc, kMapUnorderedFunc, kForEachFunc, kIMapFunc, kIMapUnorderedFunc, kForFunc, kReduceFunc, kApply, kApplyAsync:
		return true
	}
	return false
}

// faultKind is what one call does wrong.
type faultKind int

const (
	fNone faultKind = iota
	fError
	fPanic
	fGoexit
	fCancelInTask    // a task cancels the call's context
	fCancelBefore    // the context is cancelled before the call
	fBreak           // the loop breaks after `at` results (lazy calls)
	fCloseInLoop     // the loop body closes the pool after `at` results
	fTerminateInLoop // the loop body terminates the pool after `at` results
	fTimeout         // task `at` waits for its Worker.Context under TaskTimeout
	numFaultKinds
)

var faultNames = [...]string{"none", "error", "panic", "Goexit", "cancel-in-task", "cancel-before", "break", "Close-in-loop", "Terminate-in-loop", "timeout"}

func (f faultKind) String() string { return faultNames[f] }

// stopKind is how a round stops its pool while calls run.
type stopKind int

const (
	stopNone stopKind = iota
	stopClose
	stopTerminate
	stopCloseInLoop
	stopTerminateInLoop
)

func (s stopKind) terminates() bool { return s == stopTerminate || s == stopTerminateInLoop }

var errStress = errors.New("stress: injected task error")

// stressTimeout is the TaskTimeout of calls with a task that never ends
// by itself. Another task of such a call may pass it too on a loaded
// machine, which the checks allow.
const stressTimeout = 50 * time.Millisecond

// stressPanic is the value an injected panic panics with.
type stressPanic int

// stressVal is the result of task i.
func stressVal(i int) int { return 3*i + 1 }

// callPlan is one call of a round, decided before the round starts.
type callPlan struct {
	kind     callKind
	n        int  // items in the input
	seq      bool // an iter.Seq input rather than a slice
	chunk    int  // ChunkSize; 0: not given
	maxAct   int  // MaxTasksActive; 0: not given
	iterLen  int  // IterableLen; -1: not given
	lifespan int  // WorkerLifespan; 0: not given
	fault    faultKind
	at       int  // the faulty task, or the results before a break or a stop
	bar      bool // CustomProgressBar on the round's progress container
	defBar   bool // ProgressBar, drawn on the pool's display
	order    bool // OrderTasks
}

// eff is the number of tasks the call has: its input cut to IterableLen.
func (c *callPlan) eff() int {
	if c.iterLen >= 0 {
		return min(c.n, c.iterLen)
	}
	return c.n
}

func (c callPlan) String() string {
	return fmt.Sprintf("%v(n=%d seq=%v chunk=%d maxActive=%d iterLen=%d lifespan=%d order=%v fault=%v at=%d bar=%v defaultBar=%v)",
		c.kind, c.n, c.seq, c.chunk, c.maxAct, c.iterLen, c.lifespan, c.order, c.fault, c.at, c.bar, c.defBar)
}

// planCall draws a random call; nested tells whether the pool allows
// nested pools.
func planCall(rng *rand.Rand, nested bool) callPlan {
	c := callPlan{iterLen: -1}
	for {
		c.kind = callKind(rng.IntN(int(numCallKinds)))
		if c.kind != kNested || nested {
			break
		}
	}
	if c.kind == kNested {
		c.n = 1 + rng.IntN(3)
		return c
	}
	c.bar = rng.IntN(8) == 0
	c.defBar = !c.bar && rng.IntN(8) == 0
	if c.kind.apply() {
		// One task per Apply or future; the options of many tasks do not
		// apply (TestApplyRefusesOptionsOfManyTasks).
		c.n = 1
		if c.kind == kApplyAsync {
			c.n = 1 + rng.IntN(40)
		}
		if rng.IntN(3) == 0 {
			faults := []faultKind{fError, fPanic, fCancelInTask, fCancelBefore, fGoexit, fTimeout}
			c.fault = faults[rng.IntN(len(faults))]
			c.at = rng.IntN(c.n)
		}
		return c
	}
	switch r := rng.IntN(20); {
	case r == 0:
		c.n = 0
	case r < 3:
		c.n = 1 + rng.IntN(3)
	case r < 18:
		c.n = rng.IntN(200)
	case r == 18:
		c.n = 200 + rng.IntN(2000)
	default:
		// Above 4096 tasks the caller's help follows other rules: it
		// wakes the workers at once and helps for at most 10 us, and
		// only after a short call of that size.
		c.n = 4097 + rng.IntN(4000)
	}
	switch r := rng.IntN(10); {
	case r < 3: // the default chunking
	case r < 9:
		c.chunk = 1 + rng.IntN(20)
	default:
		c.chunk = 1 << (20 + rng.IntN(40)) // absurd sizes are cut to the input
	}
	if rng.IntN(4) == 0 {
		c.maxAct = 1 + rng.IntN(50)
	}
	if rng.IntN(4) == 0 {
		c.lifespan = 1 + rng.IntN(4)
	}
	c.order = rng.IntN(6) == 0
	if !c.kind.ranged() {
		if c.kind != kMapInto && rng.IntN(2) == 0 {
			c.seq = true
		}
		if rng.IntN(4) == 0 || (c.seq && c.chunk == 0) {
			c.iterLen = max(0, c.n+rng.IntN(10)-7)
		}
	}
	if rng.IntN(3) == 0 {
		faults := []faultKind{fError, fPanic, fGoexit, fCancelInTask, fCancelBefore}
		if c.kind.lazy() {
			faults = append(faults, fBreak)
		}
		if c.kind.withErr() {
			faults = append(faults, fTimeout) // the task needs its worker
		}
		c.fault = faults[rng.IntN(len(faults))]
		if c.fault == fGoexit && c.kind.mayRunOnCaller() {
			// runtime.Goexit in a task that the calling goroutine runs ends
			// that goroutine, as in a plain loop (see WorkersOnly).
			c.fault = fPanic
		}
		c.at = rng.IntN(max(1, c.eff()+c.eff()/8)) // sometimes past the end: no fault
		if c.fault == fBreak {
			if c.eff() < 2 {
				c.fault = fNone
			} else {
				c.at = 1 + rng.IntN(c.eff()-1) // break after 1 to eff-1 results
			}
		}
	}
	return c
}

// callOpts returns the call's options; ctx is its context, when it has one.
func (c *callPlan) callOpts(ctx context.Context) []CallOption {
	var opts []CallOption
	if c.chunk > 0 {
		opts = append(opts, ChunkSize(c.chunk))
	}
	if c.maxAct > 0 {
		opts = append(opts, MaxTasksActive(c.maxAct))
	}
	if c.iterLen >= 0 {
		opts = append(opts, IterableLen(c.iterLen))
	}
	if c.lifespan > 0 {
		opts = append(opts, WorkerLifespan(c.lifespan))
	}
	if ctx != nil {
		opts = append(opts, Context(ctx))
	}
	if c.fault == fTimeout {
		opts = append(opts, TaskTimeout(stressTimeout))
	}
	if c.order {
		opts = append(opts, OrderTasks())
	}
	if c.defBar {
		opts = append(opts, ProgressBar(ProgressName(c.kind.String())))
	}
	return opts
}

// stressStats counts what the stress test did.
type stressStats struct {
	mu       sync.Mutex
	rounds   int
	calls    [numCallKinds]int
	faults   [numFaultKinds]int
	outcomes map[string]int
	features map[string]int // rounds and calls with a feature, futures
}

func (s *stressStats) add(c *callPlan, outcome string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[c.kind]++
	s.faults[c.fault]++
	if s.outcomes == nil {
		s.outcomes = map[string]int{}
	}
	s.outcomes[outcome]++
	switch {
	case c.kind == kApplyAsync:
		s.addFeature("futures", c.n)
	case c.order:
		s.addFeature("OrderTasks calls", 1)
	}
	switch {
	case c.bar:
		s.addFeature("custom bars", 1)
	case c.defBar:
		s.addFeature("default bars", 1)
	}
}

// addFeature counts n rounds, calls or futures of a feature; s.mu is held.
func (s *stressStats) addFeature(name string, n int) {
	if s.features == nil {
		s.features = map[string]int{}
	}
	s.features[name] += n
}

func (s *stressStats) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

func (s *stressStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	n := 0
	for _, c := range s.calls {
		n += c
	}
	fmt.Fprintf(&b, "%d rounds, %d calls;", s.rounds, n)
	for k, c := range s.calls {
		fmt.Fprintf(&b, " %v %d", callKind(k), c)
	}
	b.WriteString("; faults:")
	for f, c := range s.faults {
		fmt.Fprintf(&b, " %v %d", faultKind(f), c)
	}
	b.WriteString("; outcomes:")
	keys := make([]string, 0, len(s.outcomes))
	for k := range s.outcomes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %d", k, s.outcomes[k])
	}
	b.WriteString("; features:")
	keys = slices.Sorted(maps.Keys(s.features))
	for _, k := range keys {
		fmt.Fprintf(&b, " %s %d", k, s.features[k])
	}
	return b.String()
}

// stressRound is one pool and the calls that goroutines make on it.
type stressRound struct {
	t       *testing.T
	p       *Pool
	workers int
	stop    stopKind
	plans   [][]callPlan // per goroutine
	stats   *stressStats

	progress *mpb.Progress // holds the calls' custom bars; drawn to io.Discard
	tasks    atomic.Int64  // tasks started in the round
	trigger  int64         // the task count that fires an async stop
	fired    chan struct{}
	fireOnce sync.Once
	checksMu sync.Mutex
	recounts []func() // re-checks run once the round is over

	term     bool          // the pool's display takes io.Discard for a terminal
	insights bool          // WithInsights
	okTasks  atomic.Int64  // tasks of calls that succeeded (not applies)
	slack    atomic.Int64  // tasks a failed loop block may count as done
	release  chan struct{} // closed once the pool is closed: stuck init and exit functions return

	// WithState, with its own faults.
	state      *WorkerState[stressState]
	stateFault stateFault
	stateAt    int         // the init or exit (in the order they start) that fails
	stateFired atomic.Bool // it did
	inits      atomic.Int64
	exitsMu    sync.Mutex
	exited     map[int]int // serial of a state whose exit ran -> its worker
	born       map[int]int // serial of a state made -> its worker
	dropped    map[int]int // serial of a state dropped past InitTimeout -> its worker
}

// stressState is a worker's state in rounds with WithState: which worker
// and which init made it.
type stressState struct{ worker, serial int }

// stateFault is what a round's WorkerState does wrong, once.
type stateFault int

const (
	sfNone      stateFault = iota
	sfInitError            // init number stateAt returns errStressState
	sfInitStuck            // init number stateAt waits for the round's end, past InitTimeout
	sfExitError            // exit number stateAt returns errStressState
	sfExitStuck            // exit number stateAt waits for the round's end, past ExitTimeout
)

var stateFaultNames = [...]string{"none", "init-error", "init-stuck", "exit-error", "exit-stuck"}

func (f stateFault) String() string { return stateFaultNames[f] }

// phase is the WorkerError.Phase the fault gives.
func (f stateFault) phase() string {
	if f == sfInitError || f == sfInitStuck {
		return "init"
	}
	return "exit"
}

var errStressState = errors.New("stress: injected worker state error")

// planRound draws a round: a pool, a way to stop it, and the calls of 1 to
// 3 goroutines.
func planRound(rng *rand.Rand) (opts []Option, r *stressRound) {
	r = &stressRound{workers: 1 + rng.IntN(3), fired: make(chan struct{})}
	opts = append(opts, Workers(r.workers))
	nested := rng.IntN(4) == 0
	if nested {
		opts = append(opts, Daemon(false))
	}
	fresh := rng.IntN(6) == 0
	if rng.IntN(6) == 0 {
		opts = append(opts, Unpinned())
	}
	switch x := rng.IntN(16); {
	case x < 12:
		r.stop = stopNone
	case x < 13:
		r.stop = stopClose
	case x < 14:
		r.stop = stopTerminate
	case x < 15:
		r.stop = stopCloseInLoop
	default:
		r.stop = stopTerminateInLoop
	}
	r.trigger = int64(rng.IntN(400))
	r.term = rng.IntN(2) == 0
	if rng.IntN(4) == 0 {
		opts = append(opts, WithInsights())
		r.insights = true
	}
	r.release = make(chan struct{})
	if rng.IntN(3) == 0 {
		opts = append(opts, r.planState(rng)...)
	}
	if fresh {
		opts = append(opts, FreshWorkersPerCall())
	}
	goroutines := 1 + rng.IntN(3)
	r.plans = make([][]callPlan, goroutines)
	for g := range r.plans {
		for range 1 + rng.IntN(5) {
			r.plans[g] = append(r.plans[g], planCall(rng, nested))
		}
	}
	if r.stop == stopCloseInLoop || r.stop == stopTerminateInLoop {
		// The first call of goroutine 0 stops the pool from its loop body.
		c := callPlan{kind: kIMap + callKind(rng.IntN(4)), n: 20 + rng.IntN(300), iterLen: -1, chunk: 1 + rng.IntN(8)}
		c.seq = rng.IntN(2) == 0
		c.at = 1 + rng.IntN(c.n-1) // stop after 1 to n-1 results
		c.fault = fCloseInLoop
		if r.stop == stopTerminateInLoop {
			c.fault = fTerminateInLoop
		}
		r.plans[0] = append([]callPlan{c}, r.plans[0]...)
	}
	return opts, r
}

// planState gives the round's pool a WorkerState whose init and exit count
// and record the states they make and end, and may fail one of them.
func (r *stressRound) planState(rng *rand.Rand) []Option {
	r.stateFault = stateFault(max(0, rng.IntN(9)-4)) // none in 5 of 9
	r.stateAt = rng.IntN(6)
	r.exited, r.born, r.dropped = map[int]int{}, map[int]int{}, map[int]int{}
	var opts []Option
	switch {
	case r.stateFault == sfInitStuck:
		opts = append(opts, InitTimeout(stressTimeout))
	case r.stateFault == sfExitStuck:
		opts = append(opts, ExitTimeout(stressTimeout))
	case rng.IntN(3) == 0:
		// Limits that are never reached: the timers start and stop.
		opts = append(opts, InitTimeout(time.Minute), ExitTimeout(time.Minute))
	}
	var exits atomic.Int64
	r.state = NewWorkerState(func(w *Worker) (stressState, error) {
		serial := int(r.inits.Add(1) - 1)
		r.exitsMu.Lock()
		r.born[serial] = w.ID()
		r.exitsMu.Unlock()
		if serial == r.stateAt {
			switch r.stateFault {
			case sfInitError:
				r.stateFired.Store(true)
				return stressState{}, errStressState
			case sfInitStuck:
				r.stateFired.Store(true)
				<-r.release
			}
		}
		return stressState{worker: w.ID(), serial: serial}, nil
	}, func(w *Worker, s *stressState) (any, error) {
		n := int(exits.Add(1) - 1)
		r.exitsMu.Lock()
		if prev, ok := r.exited[s.serial]; ok {
			r.t.Errorf("the exit of state %d (worker %d) ran twice", s.serial, prev)
		}
		r.exited[s.serial] = s.worker
		r.exitsMu.Unlock()
		if s.worker != w.ID() {
			r.t.Errorf("worker %d ran the exit of worker %d's state %d", w.ID(), s.worker, s.serial)
		}
		if n == r.stateAt {
			switch r.stateFault {
			case sfExitError:
				r.stateFired.Store(true)
				return s.serial, errStressState
			case sfExitStuck:
				r.stateFired.Store(true)
				<-r.release
			}
		}
		return s.serial, nil
	})
	// Which inits the pool dropped past InitTimeout: the stuck one, unless
	// a Terminate or a cancelled call abandoned its worker and the round
	// ended before the limit (then its state is kept and its exit runs),
	// and any other that passed the limit on a loaded machine.
	r.state.dropped = func(w *Worker, p unsafe.Pointer) {
		s := (*stressState)(p)
		r.exitsMu.Lock()
		r.dropped[s.serial] = w.ID()
		r.exitsMu.Unlock()
	}
	return append(opts, WithState(r.state))
}

// workerErrOK reports whether err is a *WorkerError that the round's state
// fault explains: the injected error once it fired, or a timeout of its
// phase (on a loaded machine another init or exit may pass the limit too).
func (r *stressRound) workerErrOK(err error) bool {
	var we *WorkerError
	if r.stateFault == sfNone || !errors.As(err, &we) || we.Phase != r.stateFault.phase() ||
		we.WorkerID < 0 || we.WorkerID >= r.workers {
		return false
	}
	switch r.stateFault {
	case sfInitError, sfExitError:
		return r.stateFired.Load() && errors.Is(we.Err, errStressState)
	}
	var toe *TimeoutError
	return errors.As(we.Err, &toe) && *toe == TimeoutError{Phase: we.Phase, Limit: stressTimeout}
}

// stopErrOK checks the error of Close or Terminate: none, or the failure of
// an exit function that ran at that moment.
func (r *stressRound) stopErrOK(err error, what string) {
	if err != nil && !r.workerErrOK(err) {
		r.t.Errorf("%s: %v", what, err)
	}
}

// taskStarted counts a task of the round and fires an async stop at the
// trigger.
func (r *stressRound) taskStarted() {
	if r.tasks.Add(1) == r.trigger {
		r.fireOnce.Do(func() { close(r.fired) })
	}
}

// run runs the round: its goroutines' calls, and the stopper if any.
func (r *stressRound) run() {
	t := r.t
	done := make(chan struct{})
	var stopper sync.WaitGroup
	if r.stop == stopClose || r.stop == stopTerminate {
		stopper.Go(func() {
			select {
			case <-r.fired:
			case <-done:
			}
			var err error
			if r.stop == stopClose {
				err = r.p.Close()
			} else {
				err = r.p.Terminate()
			}
			r.stopErrOK(err, fmt.Sprintf("%v from another goroutine", r.stop))
		})
	}
	if r.insights {
		// Insights may be read at any time, also during calls.
		stopper.Go(func() {
			var last int64
			tick := time.NewTicker(2 * time.Millisecond)
			defer tick.Stop()
			for {
				last = r.checkInsights(last, false)
				select {
				case <-done:
					return
				case <-tick.C:
				}
			}
		})
	}
	var callers sync.WaitGroup
	for g := range r.plans {
		callers.Go(func() {
			for i := range r.plans[g] {
				r.call(&r.plans[g][i])
			}
		})
	}
	callers.Wait()
	close(done)
	stopper.Wait()
	r.progress.Wait() // every bar was completed or aborted by its call

	if r.stop == stopNone {
		// Faults, breaks and recycling left the pool usable.
		got, err := Map(r.p, slices.Collect(countTo(100)), stressVal)
		if err == nil {
			assert.Equal(t, stressVals(100), got)
			r.okTasks.Add(100)
		} else if !r.workerErrOK(err) {
			t.Errorf("a call after the round's faults: %v", err)
		}
	}
	r.slack.Add(100) // the Map above, which the round's tasks do not count
	r.stopErrOK(r.p.Close(), "Close at the end of the round")
	_, err := Map(r.p, []int{1}, stressVal)
	assert.ErrorIs(t, err, ErrClosed, "a call after Close")
	close(r.release) // abandoned init and exit functions return
	r.checkState()
	if r.insights {
		r.checkInsights(0, true)
	}
	r.checksMu.Lock()
	for _, f := range r.recounts {
		f()
	}
	r.checksMu.Unlock()
}

// checkInsights checks what Pool.Insights says now: one row per worker,
// totals that are the sums, at most 5 slowest tasks, slowest first, and a
// task count that never goes down (it must be at least last). Once the
// round is over (over), the count lies between the tasks of the calls that
// succeeded and the tasks that started. It returns the count.
func (r *stressRound) checkInsights(last int64, over bool) int64 {
	t := r.t
	in, ok := r.p.Insights()
	if !assert.True(t, ok, "Insights of a pool made WithInsights") || !assert.Len(t, in.Workers, r.workers) {
		return last
	}
	var sum WorkerInsights
	for id, w := range in.Workers {
		if w.ID != id || w.Tasks < 0 || w.StartUp < 0 || w.Init < 0 || w.Waiting < 0 || w.Working < 0 || w.Exit < 0 {
			t.Errorf("insights of worker %d: %+v", id, w)
		}
		sum.StartUp += w.StartUp
		sum.Init += w.Init
		sum.Waiting += w.Waiting
		sum.Working += w.Working
		sum.Exit += w.Exit
		sum.Tasks += w.Tasks
	}
	sum.ID = -1
	assert.Equal(t, sum, in.Total, "Insights.Total is the sum over workers")
	assert.LessOrEqual(t, len(in.Slowest), slowestKept, "slowest tasks kept")
	for k, s := range in.Slowest {
		if s.WorkerID < 0 || s.WorkerID >= r.workers || s.Tasks < 1 || s.Index < 0 || s.Arg == "" ||
			k > 0 && s.Duration > in.Slowest[k-1].Duration {
			t.Errorf("slowest task %d of %v: %+v", k, in.Slowest, s)
		}
	}
	if in.Total.Tasks < last {
		t.Errorf("Insights: %d tasks done, after %d before", in.Total.Tasks, last)
	}
	if over {
		lo, hi := r.okTasks.Load(), r.tasks.Load()+r.slack.Load()
		if in.Total.Tasks < lo || in.Total.Tasks > hi {
			t.Errorf("Insights: %d tasks done; the round's successful calls had %d, and %d (plus %d of failed blocks) started",
				in.Total.Tasks, lo, r.tasks.Load(), r.slack.Load())
		}
	}
	return in.Total.Tasks
}

// checkState checks, once the pool is closed, that every state made got
// its exit once, on its own worker, and that ExitResults returned each
// exit's value once, with consecutive thread numbers per worker. Threads
// abandoned by a timeout run their exits when their task returns, so this
// waits for them (a settle loop, not a timed assertion).
func (r *stressRound) checkState() {
	if r.state == nil {
		return
	}
	t := r.t
	// The states that must end: all that were made, except one whose init
	// failed or passed InitTimeout.
	want := func() map[int]int {
		r.exitsMu.Lock()
		defer r.exitsMu.Unlock()
		m := maps.Clone(r.born)
		if r.stateFault == sfInitError && r.stateFired.Load() {
			delete(m, r.stateAt)
		}
		for s := range r.dropped {
			delete(m, s)
		}
		return m
	}
	exited := func() map[int]int {
		r.exitsMu.Lock()
		defer r.exitsMu.Unlock()
		return maps.Clone(r.exited)
	}
	var results []ExitResult
	for try := 0; ; try++ {
		results = append(results, r.p.ExitResults()...)
		w, e := want(), exited()
		var settled bool
		switch r.stateFault {
		case sfExitStuck:
			settled = maps.Equal(w, e) // the stuck exit's result was dropped
		default:
			settled = maps.Equal(w, e) && len(results) == len(e)
		}
		if settled || try == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	w, e := want(), exited()
	r.exitsMu.Lock()
	for s := range r.dropped {
		if _, ok := e[s]; ok {
			t.Errorf("state %d: its init returned past InitTimeout and was dropped, but its exit ran", s)
		}
	}
	r.exitsMu.Unlock()
	assert.Equal(t, w, e, "states made and not dropped (serial: worker), and states ended")
	seen := map[int]bool{}
	threads := map[int]int{}
	for _, x := range results {
		serial, ok := x.Value.(int)
		if !ok || seen[serial] || e[serial] != x.WorkerID || x.Thread != threads[x.WorkerID] {
			t.Errorf("exit result %+v: a value of a state that ended, once, on its worker, in thread order (results %+v)", x, results)
			break
		}
		seen[serial] = true
		threads[x.WorkerID]++
	}
	if r.stateFault == sfExitStuck {
		assert.LessOrEqual(t, len(results), len(e), "exit results")
	} else {
		assert.Len(t, results, len(e), "one exit result per exit")
	}
}

func stressVals(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = stressVal(i)
	}
	return out
}

// outcome is what one call did, for the checks.
type outcome struct {
	got []int // results (eager), values yielded (lazy), out[] (loops, ForEach)
	err error
}

// call runs c and checks what it returned.
func (r *stressRound) call(c *callPlan) {
	t := r.t
	p := r.p
	eff := c.eff()
	visits := make([]atomic.Int32, c.n)
	late := make([]atomic.Int32, c.n) // visits by a worker already abandoned
	var ctx context.Context
	cancel := func() {}
	if c.fault == fCancelInTask || c.fault == fCancelBefore || c.kind.lazy() && c.fault == fNone && c.n%3 == 0 {
		ctx, cancel = context.WithCancel(context.Background())
		defer cancel()
		if c.fault == fCancelBefore {
			cancel()
		}
	}
	opts := c.callOpts(ctx)
	noBar := slices.Clip(opts) // the other futures of an ApplyAsync
	var bar *mpb.Bar
	if c.bar {
		total := int64(eff)
		if c.kind == kApplyAsync {
			total = 1 // the bar of the first future
		}
		if c.seq && c.iterLen < 0 {
			total = 0 // unknown
		}
		bar = r.progress.AddBar(total)
		opts = append(opts, CustomProgressBar(bar))
	}

	// act is task i of the call: it counts the visit and does the fault.
	act := func(i int) error {
		r.taskStarted()
		if w := currentWorker(); w != nil && w.abandoned.Load() {
			// A worker that took this task and was held up past the
			// call's grace, so that the call abandoned it and may have
			// returned, starts it now (docs/reliability.md: what is not
			// guaranteed). Such a start may come after the call returned.
			late[i].Add(1)
		}
		visits[i].Add(1)
		if i != c.at {
			return nil
		}
		switch c.fault {
		case fError:
			return errStress
		case fPanic:
			panic(stressPanic(i))
		case fGoexit:
			runtime.Goexit()
		case fCancelInTask:
			cancel()
		}
		return nil
	}
	plain := func(i int) int {
		if err := act(i); err != nil {
			panic(err)
		}
		return stressVal(i)
	}
	workerOf := make([]atomic.Int32, c.n) // 1 + the worker that ran task i
	withErr := func(w *Worker, i int) (int, error) {
		if w == nil || w.ID() < 0 || w.ID() >= r.workers {
			return 0, fmt.Errorf("task %d got worker %v", i, w)
		}
		workerOf[i].Store(int32(w.ID() + 1))
		if r.state != nil {
			if s := r.state.Of(w); s.worker != w.ID() {
				return 0, fmt.Errorf("task %d on worker %d got the state of worker %d", i, w.ID(), s.worker)
			}
		}
		if err := act(i); err != nil {
			return 0, err
		}
		if c.fault == fTimeout && i == c.at {
			// Stuck until the call gives up on it: only TaskTimeout can
			// end the call.
			<-w.Context().Done()
			return 0, w.Context().Err()
		}
		return stressVal(i), nil
	}
	in := slices.Collect(countTo(c.n))
	src := countTo(c.n)

	var o outcome
	switch c.kind {
	case kMap, kMapFunc, kMapUnordered, kMapUnorderedFunc:
		o.got, o.err = eagerCall(p, c, in, src, plain, withErr, opts)
		if !c.kind.ordered() {
			slices.Sort(o.got)
		}
	case kMapInto:
		dst := make([]int, c.n+3)
		for i := range dst {
			dst[i] = -1
		}
		o.err = MapInto(p, dst, in, plain, opts...)
		o.got = dst[:eff]
		assert.Equal(t, []int{-1, -1, -1}, dst[c.n:], "%v wrote past len(src)", c)
		if eff < c.n {
			assert.Equal(t, slices.Repeat([]int{-1}, c.n-eff), dst[eff:c.n], "%v wrote past IterableLen", c)
		}
	case kForEach, kForEachFunc:
		out := make([]int, c.n)
		if c.kind == kForEach {
			f := func(i int) { out[i] = plain(i) }
			if c.seq {
				o.err = ForEach(p, src, f, opts...)
			} else {
				o.err = ForEach(p, in, f, opts...)
			}
		} else {
			f := func(w *Worker, i int) (err error) { out[i], err = withErr(w, i); return err }
			if c.seq {
				o.err = ForEachFunc(p, src, f, opts...)
			} else {
				o.err = ForEachFunc(p, in, f, opts...)
			}
		}
		o.got = out[:eff]
	case kIMap, kIMapFunc, kIMapUnordered, kIMapUnorderedFunc:
		o = r.lazyCall(c, lazySeq(p, c, in, src, plain, withErr, opts))
	case kFor, kForFunc, kForIndex, kReduce, kReduceFunc:
		o = r.rangeCall(c, plain, withErr, opts)
	case kApply:
		var v int
		v, o.err = Apply(p, func(w *Worker) (int, error) { return withErr(w, 0) }, opts...)
		if o.err == nil {
			o.got = []int{v}
		}
	case kNested:
		o = r.nestedCall(c)
		eff = c.n
	}
	var outcome string
	if c.kind == kApplyAsync {
		outcome = r.applyAsyncCall(c, withErr, noBar, opts, visits)
	} else {
		outcome = r.check(c, o, visits, eff)
	}
	r.stats.add(c, outcome)
	switch {
	case outcome == "ok" && !c.kind.apply():
		r.okTasks.Add(int64(eff))
	case outcome != "ok" && c.kind.ranged():
		r.slack.Add(int64(c.n)) // a failed block counts all its tasks
	}
	if c.order && c.kind.withErr() && !c.kind.apply() {
		r.checkOrder(c, workerOf)
	}
	if bar != nil {
		if outcome == "ok" {
			assert.True(t, bar.Completed(), "%v: its bar is complete", c)
		}
		assert.True(t, bar.AbortedOrCompleted(), "%v: its bar was neither completed nor aborted", c)
	}

	// Nothing may touch the call once it returned: the visits stay as
	// they are until the end of the round.
	counts := make([]int32, len(visits))
	for i := range visits {
		counts[i] = visits[i].Load() - late[i].Load()
	}
	r.checksMu.Lock()
	r.recounts = append(r.recounts, func() {
		for i := range visits {
			if v := visits[i].Load() - late[i].Load(); v != counts[i] {
				t.Errorf("%v: task %d ran %d times by the end of the round, %d when the call returned", c, i, v, counts[i])
				return
			}
		}
	})
	r.checksMu.Unlock()
}

// errGaveUp is the cause of the context of Future.Wait calls that must not
// wait.
var errGaveUp = errors.New("stress: Wait gave up")

// applyAsyncCall submits c.n futures, task i computing stressVal(i) (the
// first with the call's bar, if any), with callbacks registered before and
// after they resolve, and checks each: it resolves once, Get and Wait agree
// with the callbacks, its value or error is one the round allows, and the
// fault of one task fails that future alone. It returns "ok" when every
// future succeeded, else the first other outcome.
func (r *stressRound) applyAsyncCall(c *callPlan, task func(*Worker, int) (int, error), opts, first []CallOption, visits []atomic.Int32) string {
	t := r.t
	type resolved struct {
		ok, failed atomic.Int32
		mu         sync.Mutex
		v          int
		err        error
	}
	res := make([]resolved, c.n)
	onSuccess := func(i int) func(int) {
		return func(v int) {
			res[i].ok.Add(1)
			res[i].mu.Lock()
			res[i].v = v
			res[i].mu.Unlock()
		}
	}
	onError := func(i int) func(error) {
		return func(err error) {
			res[i].failed.Add(1)
			res[i].mu.Lock()
			res[i].err = err
			res[i].mu.Unlock()
		}
	}
	futs := make([]*Future[int], c.n)
	for i := range futs {
		o := opts
		if i == 0 {
			o = first
		}
		futs[i] = ApplyAsync(r.p, func(w *Worker) (int, error) { return task(w, i) }, o...)
		if i%2 == 0 {
			futs[i].Then(onSuccess(i), onError(i))
		}
	}
	giveUp, stop := context.WithCancelCause(context.Background())
	stop(errGaveUp)
	outcome := "ok"
	for i, f := range futs {
		var waited error
		var wv int
		if i%3 == 0 {
			wv, waited = f.Wait(giveUp)
		}
		v, err := f.Get()
		v2, err2 := f.Get()
		if !f.Ready() || v2 != v || err2 != err {
			t.Errorf("%v: future %d: Get gave (%d, %v), then (%d, %v), Ready %v", c, i, v, err, v2, err2, f.Ready())
		}
		if waited != errGaveUp && (i%3 == 0) && (wv != v || waited != err) {
			t.Errorf("%v: future %d: Wait gave (%d, %v), Get (%d, %v)", c, i, wv, waited, v, err)
		}
		if i%2 == 1 {
			f.Then(onSuccess(i), onError(i)) // resolved: runs now
		}
		x := &res[i]
		x.mu.Lock()
		cbV, cbErr := x.v, x.err
		x.mu.Unlock()
		if err == nil && (x.ok.Load() != 1 || x.failed.Load() != 0 || cbV != v) ||
			err != nil && (x.ok.Load() != 0 || x.failed.Load() != 1 || cbErr != err) {
			t.Errorf("%v: future %d resolved to (%d, %v), but its callbacks ran %d times on success (with %d) and %d on error (with %v)",
				c, i, v, err, x.ok.Load(), cbV, x.failed.Load(), cbErr)
		}
		if got := r.judgeFuture(c, i, v, err, visits); outcome == "ok" {
			outcome = got
		}
	}
	r.checksMu.Lock()
	r.recounts = append(r.recounts, func() {
		for i := range res {
			if ok, failed := res[i].ok.Load(), res[i].failed.Load(); ok+failed != 1 {
				t.Errorf("%v: future %d: callbacks ran %d times on success and %d on error by the end of the round", c, i, ok, failed)
			}
		}
	})
	r.checksMu.Unlock()
	return outcome
}

// judgeFuture judges the result of future i of an ApplyAsync call as check
// judges a call.
func (r *stressRound) judgeFuture(c *callPlan, i, v int, err error, visits []atomic.Int32) string {
	t := r.t
	ran := visits[i].Load()
	faulty := i == c.at && (c.fault == fError || c.fault == fPanic || c.fault == fGoexit || c.fault == fTimeout)
	if err == nil {
		switch {
		case ran != 1:
			t.Errorf("%v: future %d succeeded, but its task ran %d times", c, i, ran)
		case v != stressVal(i):
			t.Errorf("%v: future %d gave %d, want %d", c, i, v, stressVal(i))
		case faulty:
			t.Errorf("%v: the faulty task %d ran, but its future succeeded", c, i)
		case c.fault == fCancelBefore:
			t.Errorf("%v: future %d succeeded with a context cancelled before it began", c, i)
		default:
			return "ok"
		}
		return "bad"
	}
	if ran > 1 {
		t.Errorf("%v: the task of future %d ran %d times", c, i, ran)
		return "bad"
	}
	var toe *TimeoutError
	switch {
	case errors.Is(err, ErrClosed) && r.stop != stopNone:
		return "closed"
	case errors.Is(err, ErrTerminated) && r.stop.terminates():
		return "terminated"
	case (c.fault == fCancelInTask || c.fault == fCancelBefore) && errors.Is(err, context.Canceled):
		if c.fault == fCancelInTask && visits[c.at].Load() == 0 {
			t.Errorf("%v: future %d cancelled, but the task that cancels never ran", c, i)
			return "bad"
		}
		return "canceled"
	case r.workerErrOK(err):
		return "state " + r.stateFault.String()
	case faulty || c.fault == fTimeout && errors.As(err, &toe):
		// The faulty task, or another one past the TaskTimeout that all
		// futures of the call share, on a loaded machine.
		one := callPlan{kind: kApply, n: 1, iterLen: -1, fault: c.fault, at: i}
		if r.checkTaskError(&one, err) {
			return c.fault.String()
		}
		return "bad"
	}
	t.Errorf("%v: future %d: unexpected error %v (round stop %v, state fault %v)", c, i, err, r.stop, r.stateFault)
	return "bad"
}

// checkOrder checks OrderTasks: the tasks of chunk k ran on worker k mod
// workers (those that ran; a replaced worker keeps its ID).
func (r *stressRound) checkOrder(c *callPlan, workerOf []atomic.Int32) {
	n := c.n
	if c.seq {
		n = -1
	}
	//lint:ignore SA1012 callOpts takes nil for no Context option
	pl, err := r.p.Plan(n, c.callOpts(nil)...)
	if !assert.NoError(r.t, err) {
		return
	}
	for i := range workerOf {
		w := int(workerOf[i].Load()) - 1
		if want := (i / pl.ChunkSize) % r.workers; w >= 0 && w != want {
			r.t.Errorf("%v: under OrderTasks task %d (chunk %d of %d tasks) ran on worker %d, want %d", c, i, i/pl.ChunkSize, pl.ChunkSize, w, want)
			return
		}
	}
}

// eagerCall runs one of the Map family over a slice or a sequence.
func eagerCall(p *Pool, c *callPlan, in []int, src iter.Seq[int], plain func(int) int, withErr func(*Worker, int) (int, error), opts []CallOption) ([]int, error) {
	switch {
	case c.kind == kMap && c.seq:
		return Map(p, src, plain, opts...)
	case c.kind == kMap:
		return Map(p, in, plain, opts...)
	case c.kind == kMapFunc && c.seq:
		return MapFunc(p, src, withErr, opts...)
	case c.kind == kMapFunc:
		return MapFunc(p, in, withErr, opts...)
	case c.kind == kMapUnordered && c.seq:
		return MapUnordered(p, src, plain, opts...)
	case c.kind == kMapUnordered:
		return MapUnordered(p, in, plain, opts...)
	case c.kind == kMapUnorderedFunc && c.seq:
		return MapUnorderedFunc(p, src, withErr, opts...)
	default:
		return MapUnorderedFunc(p, in, withErr, opts...)
	}
}

// lazySeq returns the iterator of one of the IMap family.
func lazySeq(p *Pool, c *callPlan, in []int, src iter.Seq[int], plain func(int) int, withErr func(*Worker, int) (int, error), opts []CallOption) iter.Seq2[int, error] {
	switch {
	case c.kind == kIMap && c.seq:
		return IMap(p, src, plain, opts...)
	case c.kind == kIMap:
		return IMap(p, in, plain, opts...)
	case c.kind == kIMapFunc && c.seq:
		return IMapFunc(p, src, withErr, opts...)
	case c.kind == kIMapFunc:
		return IMapFunc(p, in, withErr, opts...)
	case c.kind == kIMapUnordered && c.seq:
		return IMapUnordered(p, src, plain, opts...)
	case c.kind == kIMapUnordered:
		return IMapUnordered(p, in, plain, opts...)
	case c.kind == kIMapUnorderedFunc && c.seq:
		return IMapUnorderedFunc(p, src, withErr, opts...)
	default:
		return IMapUnorderedFunc(p, in, withErr, opts...)
	}
}

// lazyCall drains a lazy call's loop, breaking or stopping the pool from
// the loop body as c says. A failure must come once, as the last pair.
func (r *stressRound) lazyCall(c *callPlan, seq iter.Seq2[int, error]) (o outcome) {
	after := 0
	for v, err := range seq {
		if o.err != nil {
			after++
			continue
		}
		if err != nil {
			o.err = err
			continue
		}
		o.got = append(o.got, v)
		if len(o.got) == c.at {
			switch c.fault {
			case fBreak:
				return o
			case fCloseInLoop:
				r.stopErrOK(r.p.Close(), "Close from a loop body")
			case fTerminateInLoop:
				r.stopErrOK(r.p.Terminate(), "Terminate from a loop body")
			}
		}
	}
	if after > 0 {
		r.t.Errorf("%v: %d pairs came after the error %v", c, after, o.err)
	}
	if !c.kind.ordered() {
		slices.Sort(o.got)
	}
	return o
}

// rangeCall runs one of For, ForFunc, ForIndex, Reduce and ReduceFunc over
// c.n indices, and checks what only they promise: blocks on chunk
// boundaries, partials combined in block order.
func (r *stressRound) rangeCall(c *callPlan, plain func(int) int, withErr func(*Worker, int) (int, error), opts []CallOption) (o outcome) {
	t, p := r.t, r.p
	pl, err := p.Plan(c.n, opts...)
	if !assert.NoError(t, err, "Plan for %v", c) {
		return outcome{err: err}
	}
	out := make([]int, c.n)
	blockOK := func(lo, hi int) {
		if l, h := blockOf(p, c.n, pl, lo); l != lo || h != hi {
			t.Errorf("%v: block [%d, %d) is not a chunk of plan %+v", c, lo, hi, pl)
		}
	}
	switch c.kind {
	case kFor:
		o.err = For(p, c.n, func(lo, hi int) {
			blockOK(lo, hi)
			for i := lo; i < hi; i++ {
				out[i] = plain(i)
			}
		}, opts...)
	case kForFunc:
		o.err = ForFunc(p, c.n, func(w *Worker, lo, hi int) (err error) {
			blockOK(lo, hi)
			for i := lo; i < hi && err == nil; i++ {
				out[i], err = withErr(w, i)
			}
			return err
		}, opts...)
	case kForIndex:
		o.err = ForIndex(p, c.n, func(i int) { out[i] = plain(i) }, opts...)
	case kReduce, kReduceFunc:
		// A partial is its block's sum and start; combine keeps the starts
		// in order, so the result shows the order partials were combined in.
		type part struct {
			sum int
			los []int
		}
		combine := func(a, b part) part { return part{a.sum + b.sum, append(slices.Clip(a.los), b.los...)} }
		var got part
		if c.kind == kReduce {
			got, o.err = Reduce(p, c.n, func(lo, hi int) part {
				blockOK(lo, hi)
				s := 0
				for i := lo; i < hi; i++ {
					s += plain(i)
				}
				return part{s, []int{lo}}
			}, combine, opts...)
		} else {
			got, o.err = ReduceFunc(p, c.n, func(w *Worker, lo, hi int) (part, error) {
				blockOK(lo, hi)
				s := 0
				for i := lo; i < hi; i++ {
					v, err := withErr(w, i)
					if err != nil {
						return part{}, err
					}
					s += v
				}
				return part{s, []int{lo}}, nil
			}, combine, opts...)
		}
		if o.err == nil {
			var want part
			for lo := 0; lo < c.n; {
				want.los = append(want.los, lo)
				_, lo = blockOf(p, c.n, pl, lo)
			}
			for i := range c.n {
				want.sum += stressVal(i)
			}
			assert.Equal(t, want, got, "%v", c)
		} else {
			assert.Zero(t, got, "%v failed with %v but returned a value", c, o.err)
		}
		for i := range c.n {
			out[i] = stressVal(i) // the sum was checked above
		}
	}
	o.got = out
	return o
}

// nestedCall runs a MapFunc whose tasks each start a pool of their own,
// map on it, and try to call into the outer pool, which must be refused.
func (r *stressRound) nestedCall(c *callPlan) (o outcome) {
	outer := r.p
	got, err := MapFunc(outer, slices.Collect(countTo(c.n)), func(w *Worker, i int) (int, error) {
		r.taskStarted()
		q, err := New(Workers(1 + i%2))
		if err != nil {
			return 0, err
		}
		defer q.Close()
		inner, err := MapFunc(q, slices.Collect(countTo(5+i)), func(_ *Worker, x int) (int, error) {
			if x == 0 {
				if _, err := Map(outer, []int{1}, stressVal); !errors.Is(err, ErrReentrant) {
					return 0, fmt.Errorf("a nested task calling the outer pool got %v, want ErrReentrant", err)
				}
				one := func(*Worker) (int, error) { return 1, nil }
				if _, err := Apply(outer, one); !errors.Is(err, ErrReentrant) {
					return 0, fmt.Errorf("a nested task's Apply on the outer pool got %v, want ErrReentrant", err)
				}
			}
			return stressVal(x), nil
		}, ChunkSize(2))
		if err != nil {
			return 0, err
		}
		s := 0
		for _, v := range inner {
			s += v
		}
		return s, nil
	}, ChunkSize(1))
	if err == nil {
		for i := range got {
			sum := 0
			for x := range 5 + i {
				sum += stressVal(x)
			}
			assert.Equal(r.t, sum, got[i], "nested call %d", i)
		}
	}
	return outcome{err: err}
}

// check judges one call's outcome and names it for the statistics: every
// task ran at most once; a call that succeeded returned every result
// exactly once (in order when ordered); one that failed failed for a reason
// the round allows, with the exact TaskError of the injected fault.
func (r *stressRound) check(c *callPlan, o outcome, visits []atomic.Int32, eff int) string {
	t := r.t
	for i := range visits {
		v := visits[i].Load()
		switch {
		case v > 1:
			t.Errorf("%v: task %d ran %d times", c, i, v)
			return "bad"
		case v > 0 && i >= eff:
			t.Errorf("%v: task %d ran, past IterableLen", c, i)
			return "bad"
		case v == 0 && i < eff && o.err == nil && c.fault != fBreak && c.kind != kNested:
			t.Errorf("%v: the call succeeded but task %d never ran", c, i)
			return "bad"
		}
	}
	want := stressVals(eff)
	if c.kind == kNested {
		want = nil
	}
	if c.kind.lazy() {
		// What a lazy loop saw before it ended is a prefix of the results
		// (ordered), or distinct results (unordered).
		if c.kind.ordered() {
			if len(o.got) > len(want) || !slices.Equal(want[:len(o.got)], o.got) {
				t.Errorf("%v: yielded %v, not a prefix of the results", c, o.got)
				return "bad"
			}
		} else if len(slices.Compact(slices.Clone(o.got))) != len(o.got) || len(o.got) > len(want) {
			t.Errorf("%v: duplicated or extra values: %v", c, o.got)
			return "bad"
		}
	}
	faulty := c.at < eff && (c.fault == fError || c.fault == fPanic || c.fault == fGoexit || c.fault == fTimeout)
	if o.err == nil {
		switch {
		case c.fault == fBreak:
			assert.Len(t, o.got, c.at, "%v: values before the break", c)
			return "break"
		case faulty:
			t.Errorf("%v: the faulty task %d ran, but the call succeeded", c, c.at)
			return "bad"
		case c.fault == fCancelBefore && eff > 0:
			t.Errorf("%v: succeeded with a context cancelled before it began", c)
			return "bad"
		}
		if c.kind != kNested && !slices.Equal(want, o.got) {
			t.Errorf("%v: results %v, want %v", c, o.got, want)
			return "bad"
		}
		return "ok"
	}
	switch {
	case errors.Is(o.err, ErrClosed) && r.stop != stopNone:
		return "closed"
	case errors.Is(o.err, ErrTerminated) && r.stop.terminates():
		return "terminated"
	case (c.fault == fCancelInTask || c.fault == fCancelBefore) && errors.Is(o.err, context.Canceled):
		if c.fault == fCancelInTask && (c.at >= len(visits) || visits[c.at].Load() == 0) {
			t.Errorf("%v: cancelled, but the task that cancels never ran", c)
		}
		return "canceled"
	case r.workerErrOK(o.err):
		return "state " + r.stateFault.String()
	case faulty:
		if r.checkTaskError(c, o.err) {
			return c.fault.String()
		}
		return "bad"
	}
	t.Errorf("%v: unexpected error %v (round stop %v, state fault %v)", c, o.err, r.stop, r.stateFault)
	return "bad"
}

// checkTaskError checks the TaskError of an injected fault: the task (or
// the block) that failed, its argument, a worker of the pool, the cause.
func (r *stressRound) checkTaskError(c *callPlan, err error) bool {
	t := r.t
	var te *TaskError
	if !assert.ErrorAs(t, err, &te, "%v", c) {
		return false
	}
	if c.fault == fTimeout {
		// The stuck task, or another one that passed the limit on a
		// loaded machine.
		var toe *TimeoutError
		return assert.ErrorAs(t, te.Err, &toe, "%v", c) &&
			assert.Equal(t, TimeoutError{Phase: "task", Limit: stressTimeout}, *toe, "%v", c) &&
			assert.ErrorIs(t, err, context.DeadlineExceeded, "%v", c) &&
			assert.True(t, te.Index >= 0 && te.Index < c.eff(), "%v: TaskError.Index %d", c, te.Index) &&
			assert.True(t, te.WorkerID >= 0 && te.WorkerID < r.workers || te.WorkerID == -1 && c.kind.mayRunOnCaller(), "%v: worker %d", c, te.WorkerID)
	}
	index, arg := c.at, fmt.Sprint(c.at)
	if c.kind.apply() {
		index, arg = 0, applyArg
	}
	if c.kind.ranged() {
		//lint:ignore SA1012 callOpts takes nil for no Context option
		pl, perr := r.p.Plan(c.n, c.callOpts(nil)...)
		if !assert.NoError(t, perr) {
			return false
		}
		lo, hi := blockOf(r.p, c.n, pl, c.at)
		index, arg = lo, fmt.Sprintf("[%d, %d)", lo, hi)
	}
	ok := assert.Equal(t, index, te.Index, "%v: TaskError.Index", c) &&
		assert.Equal(t, arg, te.Arg, "%v: TaskError.Arg", c) &&
		assert.True(t, te.WorkerID >= 0 && te.WorkerID < r.workers || te.WorkerID == -1 && c.kind.mayRunOnCaller(), "%v: worker %d", c, te.WorkerID)
	var pe *PanicError
	switch {
	case c.fault == fGoexit:
		ok = assert.Equal(t, ErrGoexit, te.Err, "%v", c) && ok
	case c.fault == fPanic:
		ok = assert.ErrorAs(t, te.Err, &pe, "%v", c) && assert.Equal(t, stressPanic(c.at), pe.Value, "%v", c) && ok
	case c.kind.withErr():
		ok = assert.Equal(t, errStress, te.Err, "%v", c) && ok
	default: // a plain task fails by panic(errStress)
		ok = assert.ErrorAs(t, te.Err, &pe, "%v", c) && assert.Equal(t, errStress, pe.Value, "%v", c) &&
			assert.ErrorIs(t, err, errStress, "%v: errors.Is through the panic", c) && ok
	}
	return ok
}

// procCounts counts this process's threads, open files and mappings.
type procCounts struct{ threads, fds, maps int }

func readProcCounts(t *testing.T) procCounts {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	require.NoError(t, err)
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	maps, err := os.ReadFile("/proc/self/maps")
	require.NoError(t, err)
	// The directory of fds was open while it was read.
	return procCounts{threads: len(tasks), fds: len(fds) - 1, maps: strings.Count(string(maps), "\n")}
}

// Slack for what the Go runtime keeps: idle threads (Ms) it parks rather
// than ends, and the mappings of its heap, which grows with the peak of
// live memory, not with the number of calls.
const (
	threadSlack = 16
	mapsSlack   = 256
)

// checkNoLeaks compares the process's counts with before, letting threads
// of ended workers exit first: equal open files, and threads and mappings
// within the runtime's slack.
func checkNoLeaks(t *testing.T, before procCounts) procCounts {
	t.Helper()
	var now procCounts
	for try := 0; ; try++ {
		runtime.GC()
		now = readProcCounts(t)
		if now.fds == before.fds && now.threads <= before.threads+threadSlack && now.maps <= before.maps+mapsSlack {
			break
		}
		if try == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond) // a settle loop, not a timed assertion
	}
	t.Logf("threads %d -> %d, open files %d -> %d, mappings %d -> %d", before.threads, now.threads, before.fds, now.fds, before.maps, now.maps)
	assert.Equal(t, before.fds, now.fds, "open files")
	assert.LessOrEqual(t, now.threads, before.threads+threadSlack, "threads (worker threads must end)")
	assert.LessOrEqual(t, now.maps, before.maps+mapsSlack, "mappings")
	return now
}

// TestStress runs every kind of call, Apply and batches of ApplyAsync
// futures included, with errors, panics, Goexit, breaks, cancellations,
// timeouts, Close and Terminate mid-call, lifespans, nested pools,
// OrderTasks, progress bars and concurrent calls, on random pools, some
// with worker state (and failing inits and exits) or insights; see the
// comment on stressLong.
func TestStress(t *testing.T) {
	seed := seedFor(t)
	stats := &stressStats{}
	// A first round starts the runtime threads that any process using
	// pools keeps, so that the baseline below includes them.
	runRound(t, seed, 0, stats)
	ignore := goleak.IgnoreCurrent()
	before := readProcCounts(t)

	deadline := time.Now().Add(*stressDuration)
	if *stressOnly > 0 {
		// One round of the plan, again and again: the interleaving of
		// threads varies, the calls do not.
		for range *stressRepeat {
			runRound(t, seed, *stressOnly, stats)
			if t.Failed() {
				break
			}
		}
		t.Logf("%v", stats)
		goleak.VerifyNone(t, ignore)
		checkNoLeaks(t, before)
		return
	}
	for round := uint64(1); ; round++ {
		if *stressLong {
			if time.Now().After(deadline) {
				break
			}
		} else if round > stressShortRounds {
			break
		}
		runRound(t, seed, round, stats)
		if t.Failed() {
			t.Logf("failed in round %d; replay it alone with -stress.seed=%d -stress.round=%d -stress.repeat=20", round, seed, round)
			break
		}
		if *stressLong && round%1000 == 0 {
			c := readProcCounts(t)
			t.Logf("round %d: %d calls so far; %d threads, %d open files, %d mappings", round, stats.total(), c.threads, c.fds, c.maps)
		}
	}
	t.Logf("%v", stats)
	goleak.VerifyNone(t, ignore)
	checkNoLeaks(t, before)
}

// runRound plans round number round of seed's plan and runs it under the
// watchdog.
func runRound(t *testing.T, seed, round uint64, stats *stressStats) {
	opts, r := planRound(rand.New(rand.NewPCG(seed, round)))
	r.t, r.stats = t, stats
	stats.mu.Lock()
	stats.rounds++
	if r.state != nil {
		stats.addFeature("rounds with state", 1)
	}
	if r.stateFault != sfNone {
		stats.addFeature("rounds with state fault "+r.stateFault.String(), 1)
	}
	if r.insights {
		stats.addFeature("rounds with insights", 1)
	}
	if r.term {
		stats.addFeature("rounds drawing bars as in a terminal", 1)
	}
	stats.mu.Unlock()
	p, err := New(opts...)
	require.NoError(t, err)
	r.p = p
	r.progress = mpb.New(mpb.WithOutput(io.Discard))
	// ProgressBar draws on the pool's display: in terminal mode (through
	// mpb) or as plain lines, to nowhere.
	term := r.term
	p.display = &display{out: io.Discard, isTerm: func() bool { return term }}
	what := fmt.Sprintf("round %d (-stress.seed=%d -stress.round=%d; workers %d, stop %v, state fault %v at %d, insights %v, plans %v)",
		round, seed, round, r.workers, r.stop, r.stateFault, r.stateAt, r.insights, r.plans)
	within(t, stressRoundLimit, what, r.run)
	if t.Failed() {
		t.Logf("the failed round: %s", what)
	}
}

// Items of the overload test: a short run in `make test`, a billion with
// -stress.long.
const (
	overloadShortItems = 2_000_000
	overloadLongItems  = 1_000_000_000
)

// TestStressOverload runs IMap and IMapUnordered over an endless generator
// with MaxTasksActive: the generator never runs more than MaxTasksActive
// items ahead of the loop, and the heap stays flat (HeapInuse grows by less
// than 16 MiB, where holding the results would take 64 bytes per item).
// With -stress.long it runs a billion items through IMap and logs the
// process's resident memory (VmRSS) over time and at its peak.
func TestStressOverload(t *testing.T) {
	items := overloadShortItems
	if *stressLong {
		items = overloadLongItems
	}
	const maxActive, chunk = 4096, 256
	p := newPool(t, Workers(2))
	for _, ordered := range []bool{true, false} {
		name := "IMapUnordered"
		if ordered {
			name = "IMap"
		}
		t.Run(name, func(t *testing.T) {
			n := items
			if !ordered {
				n = items / 4 // the ordered call is the one with a reorder buffer
			}
			var pulled atomic.Int64
			// Unordered, the first n results of an endless stream need not
			// be items 0..n-1 (a later chunk may finish first), so that
			// generator stops after n items and the loop runs to its end.
			endless := func(yield func(int) bool) {
				for i := 0; ordered || i < n; i++ {
					pulled.Add(1)
					if !yield(i) {
						return
					}
				}
			}
			task := func(x int) [8]int { return [8]int{x, x + 1, x + 2, x + 3} }
			var seq iter.Seq2[[8]int, error]
			if ordered {
				seq = IMap(p, iterSeq(endless), task, ChunkSize(chunk), MaxTasksActive(maxActive))
			} else {
				seq = IMapUnordered(p, iterSeq(endless), task, ChunkSize(chunk), MaxTasksActive(maxActive))
			}

			rss := startRSSSampler(t)
			var ms runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms)
			base, peak := ms.HeapInuse, ms.HeapInuse
			got, sum, ahead := 0, 0, int64(0)
			for r, err := range seq {
				require.NoError(t, err)
				if ordered && r[0] != got {
					require.Equal(t, got, r[0], "result %d", got)
				}
				sum += r[0]
				got++
				ahead = max(ahead, pulled.Load()-int64(got))
				if got%(1<<18) == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
					rss.note(got)
				}
				if got == n {
					break
				}
			}
			rss.stop()
			assert.Equal(t, n, got)
			assert.Equal(t, n*(n-1)/2, sum, "every item once")
			assert.LessOrEqual(t, ahead, int64(maxActive), "items pulled from the generator and not yet handed to the loop")
			t.Logf("%s over %d items: heap in use %.1f MiB at the start, %.1f MiB at the peak; %v",
				name, n, float64(base)/(1<<20), float64(peak)/(1<<20), rss)
			assert.Less(t, peak-min(peak, base), uint64(16<<20), "heap growth over %d items", n)
		})
	}
}

// rssSampler reads the process's resident memory (VmRSS) every 100 ms and
// keeps the peak and a sample each time the loop notes its progress.
type rssSampler struct {
	mu      sync.Mutex
	start   time.Time
	peak    int64 // KiB
	last    int64
	samples []string
	lastLog time.Time
	done    chan struct{}
	wg      sync.WaitGroup
}

func startRSSSampler(t *testing.T) *rssSampler {
	s := &rssSampler{start: time.Now(), done: make(chan struct{})}
	s.sample()
	s.wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-tick.C:
				s.sample()
			}
		}
	})
	t.Cleanup(s.stop)
	return s
}

func (s *rssSampler) sample() {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kib int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kib)
			s.mu.Lock()
			s.last, s.peak = kib, max(s.peak, kib)
			s.mu.Unlock()
		}
	}
}

// note records a sample of the loop's progress every 10 seconds.
func (s *rssSampler) note(items int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := time.Now(); now.Sub(s.lastLog) >= 10*time.Second {
		s.lastLog = now
		s.samples = append(s.samples, fmt.Sprintf("%.0fs %d items %.1f MiB", now.Sub(s.start).Seconds(), items, float64(s.last)/1024))
	}
}

func (s *rssSampler) stop() {
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	s.wg.Wait()
}

func (s *rssSampler) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("RSS peak %.1f MiB in %.1fs (samples: %s)", float64(s.peak)/1024, time.Since(s.start).Seconds(), strings.Join(s.samples, "; "))
}

// A call given a custom bar completes it (or aborts it on failure), even
// when it has nothing to do, so that the caller's Progress.Wait returns.
func TestCustomBarOfEmptyCallEnds(t *testing.T) {
	p := newPool(t, Workers(2))
	prog := mpb.New(mpb.WithOutput(io.Discard))
	var open []string
	for _, e := range entries() {
		bar := prog.AddBar(0)
		var ran atomic.Int64
		_, err, _ := e.run(p, 0, false, &ran, CustomProgressBar(bar))
		require.NoError(t, err, e.name)
		if !bar.AbortedOrCompleted() {
			open = append(open, e.name)
			bar.Abort(true) // so that prog.Wait returns
		}
	}
	prog.Wait()
	assert.Empty(t, open, "calls over an empty input that left their custom bar open (the caller's Progress.Wait would hang)")
}

// A call that succeeds completes its custom bar at the count reached, as
// CustomProgressBar says, also over an empty sequence whose IterableLen
// promised more.
func TestCustomBarOfEmptySeqCompletes(t *testing.T) {
	p := newPool(t, Workers(2))
	prog := mpb.New(mpb.WithOutput(io.Discard))
	var aborted []string
	for _, e := range entries() {
		if !e.source {
			continue
		}
		bar := prog.AddBar(3)
		var ran atomic.Int64
		got, err, _ := e.run(p, 0, true, &ran, IterableLen(3), CustomProgressBar(bar))
		require.NoError(t, err, e.name)
		assert.Empty(t, got, e.name)
		if !bar.Completed() {
			aborted = append(aborted, e.name)
		}
		if !bar.AbortedOrCompleted() {
			bar.Abort(true)
		}
	}
	prog.Wait()
	assert.Empty(t, aborted, "successful calls that did not complete their custom bar")
}
