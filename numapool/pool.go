package numapool

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/numapool/numapool/csrc"
	"github.com/numapool/numapool/topology"
)

// Pool runs tasks on a fixed set of workers, each a goroutine locked to its
// own OS thread for its whole life and, by default, pinned to one CPU.
// A Pool is safe for concurrent use: calls from many goroutines share the
// workers and each gets its own results.
//
// Create one with New and release it with Close (or Terminate).
type Pool struct {
	n           int
	daemon      bool
	fresh       bool              // a call never runs on a thread that served an earlier one
	callerHelps bool              // callers run chunks of plain calls (not WorkersOnly)
	cpus        []topology.CPUSet // per worker; empty when unpinned
	nodes       []int             // per worker; -1 when unknown
	shared      atomic.Pointer[sharedObjects]

	slots []atomic.Pointer[Worker] // the live worker of each ID

	parent  *Worker  // the worker whose task started this pool, if any
	display *display // where progress bars go: the outermost pool's

	hooks                    *stateHooks // per-worker state (WithState); nil without
	initTimeout, exitTimeout time.Duration
	insights                 *insights // nil unless Insights was given

	exitMu       sync.Mutex
	exits        []ExitResult // exit results not yet read
	threadsEnded []int        // per worker ID: threads that ran exit
	exitErrs     []error      // exit errors that no call returned

	mu        sync.Mutex
	state     poolState
	jobs      atomic.Pointer[[]job] // copy-on-write list of running calls
	callEnded sync.Cond             // on mu: a call left the list
	stopLast  bool                  // the last call to end stops the workers

	applyMu sync.Mutex
	applies *applyJob // the apply queue, while it holds applies

	epoch   atomic.Uint64 // bumped per call when workers do not persist
	workGen atomic.Uint64 // bumped whenever new work is published
	idle    atomic.Int32  // workers parked or about to park
	futex   bool          // workers park on wakeSeq rather than channels
	wakeSeq atomic.Uint32 // futex word: bumped by every wake-up
	quit    atomic.Bool   // workers end once no call is left
	spin    bool          // idle workers spin before parking

	threads          sync.WaitGroup // worker goroutines alive, less the abandoned
	abandonedThreads atomic.Int64   // abandoned worker goroutines still running

	startErr atomic.Pointer[error] // a replacement worker failed to pin

	standIn atomic.Pointer[Worker] // a spare caller's stand-in (sliceJob.help)
	lastBig atomic.Int64           // ns the last call of more than helpAlone tasks took
}

type poolState int

const (
	poolOpen poolState = iota
	poolClosing
	poolTerminated
)

type sharedObjects struct {
	perWorker []any
}

// New starts a pool. Its workers are running, pinned and idle when it
// returns; an idle pool uses no CPU.
//
// Called from inside a task of a daemon pool (the default), New returns
// ErrDaemon. Called from a task of a pool made with Daemon(false), the new
// pool places its workers on the CPUs of the worker that started it, unless
// CPUIDs, CPUSets or Placement say otherwise.
func New(opts ...Option) (*Pool, error) {
	cfg := poolConfig{daemon: true}
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	parent := currentWorker()
	if parent != nil && parent.pool.daemon {
		return nil, ErrDaemon
	}
	m, err := topology.Current()
	if err != nil {
		return nil, fmt.Errorf("numapool: reading this machine's topology: %w", err)
	}
	within := m.Usable()
	if parent != nil && !parent.cpus.IsEmpty() {
		within = parent.cpus
	}

	p := &Pool{
		daemon:      cfg.daemon,
		fresh:       cfg.fresh,
		callerHelps: !cfg.workersOnly && !cfg.fresh,
		parent:      parent,
		display:     displayFor(parent),
		hooks:       cfg.state,
		initTimeout: cfg.initTimeout,
		exitTimeout: cfg.exitTimeout,
	}
	p.callEnded.L = &p.mu
	if err := p.placeWorkers(m, &cfg, within); err != nil {
		return nil, err
	}
	if err := checkThreads(p.n); err != nil {
		return nil, err
	}
	// Spinning holds a P: only spin while one is left for the goroutines
	// that feed and drain calls.
	p.spin = p.n < runtime.GOMAXPROCS(0)
	p.futex = useFutex(p.n)
	p.setShared(cfg.shared)
	p.slots = make([]atomic.Pointer[Worker], p.n)
	p.threadsEnded = make([]int, p.n)
	if cfg.insights {
		p.insights = newInsights(p.n)
	}

	starts := make(chan error, p.n)
	for id := range p.n {
		p.startWorker(id, starts)
	}
	var errs []error
	for range p.n {
		if err := <-starts; err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		p.stopWorkers()
		return nil, errors.Join(errs...)
	}
	return p, nil
}

// placeWorkers decides the number of workers and the CPUs of each.
func (p *Pool) placeWorkers(m *topology.Machine, cfg *poolConfig, within topology.CPUSet) error {
	n := cfg.workers
	if n > 0 {
		// Before anything is sized by n: Workers(1<<40) is an error, not
		// an allocation of 2^40 CPU sets.
		if err := checkThreads(n); err != nil {
			return err
		}
	}
	for _, id := range cfg.rawIDs {
		if err := m.CheckCPU(id); err != nil {
			return fmt.Errorf("numapool: CPUIDs: %w", err)
		}
		cfg.cpuIDs = append(cfg.cpuIDs, topology.NewCPUSet(id))
	}
	switch {
	case len(cfg.cpuIDs) > 0:
		if cfg.unpinned || cfg.placement != nil {
			return errors.New("numapool: CPUIDs/CPUSets cannot be combined with Unpinned or Placement; choose one way to place workers")
		}
		if n == 0 {
			n = len(cfg.cpuIDs)
		}
		if len(cfg.cpuIDs) != 1 && len(cfg.cpuIDs) != n {
			return fmt.Errorf("numapool: %d CPU entries for %d workers; give one entry for all workers or exactly one per worker", len(cfg.cpuIDs), n)
		}
		for _, s := range cfg.cpuIDs {
			if err := m.CheckCPUs(s); err != nil {
				return fmt.Errorf("numapool: %w", err)
			}
		}
		p.cpus = make([]topology.CPUSet, n)
		for i := range p.cpus {
			p.cpus[i] = cfg.cpuIDs[min(i, len(cfg.cpuIDs)-1)]
		}
	case cfg.unpinned:
		if cfg.placement != nil {
			return errors.New("numapool: Unpinned cannot be combined with Placement")
		}
		if n == 0 {
			n = defaultWorkers(within)
		}
		p.cpus = make([]topology.CPUSet, n)
	default:
		if n == 0 {
			n = defaultWorkers(within)
		}
		policy := topology.Spread
		if cfg.placement != nil {
			policy = *cfg.placement
		}
		sets, err := m.Place(n, policy, within)
		if err != nil {
			return fmt.Errorf("numapool: placing %d workers: %w", n, err)
		}
		p.cpus = sets
	}
	if n == 0 {
		return errors.New("numapool: no usable CPU to run a worker on")
	}
	p.n = n
	p.nodes = make([]int, n)
	for i, s := range p.cpus {
		p.nodes[i] = nodeOfSet(m, s)
	}
	return nil
}

// defaultWorkers is the number of workers a pool gets without Workers: one
// per CPU it may use, but no more than GOMAXPROCS. A worker runs Go code
// only while it holds a P, so workers beyond GOMAXPROCS take turns on the
// Ps; and GOMAXPROCS already follows a cgroup CPU limit (cpu.max), under
// which more threads than the limit are throttled in bursts.
func defaultWorkers(within topology.CPUSet) int {
	return min(within.Len(), runtime.GOMAXPROCS(0))
}

// nodeOfSet is the NUMA node holding every CPU of s, or -1. An empty set
// (an unpinned worker) is on node 0 when the machine has a single node.
func nodeOfSet(m *topology.Machine, s topology.CPUSet) int {
	if s.IsEmpty() {
		s = m.Usable()
	}
	node := -2
	for cpu := range s.All() {
		n := m.NodeOf(cpu)
		if node == -2 {
			node = n
		} else if n != node {
			return -1
		}
	}
	if node == -2 {
		return -1
	}
	return node
}

// setShared records v as the shared objects, resolved once per worker.
func (p *Pool) setShared(v any) {
	so := &sharedObjects{perWorker: make([]any, p.n)}
	local, perNode := v.(interface{ ForNode(node int) any })
	for i := range so.perWorker {
		if perNode {
			so.perWorker[i] = local.ForNode(p.nodes[i])
		} else {
			so.perWorker[i] = v
		}
	}
	p.shared.Store(so)
}

// SetSharedObjects replaces the value that Worker.Shared returns, for calls
// that start after it returns (MPIRE's set_shared_objects). Calls already
// running keep the value they started with.
func (p *Pool) SetSharedObjects(v any) { p.setShared(v) }

// Workers returns the number of workers.
func (p *Pool) Workers() int { return p.n }

// CPUs returns the CPUs worker id (0 <= id < Workers()) is pinned to; the
// set is empty for an unpinned pool. Another id panics.
func (p *Pool) CPUs(id int) topology.CPUSet { return p.cpus[id] }

// reentrant reports whether the calling goroutine is a task of p, or of a
// pool started (at any depth) by a task of p: such a task waiting on p
// would wait on a worker that waits for it.
func (p *Pool) reentrant() bool {
	for w := currentWorker(); w != nil; w = w.pool.parent {
		if w.pool == p {
			return true
		}
	}
	return false
}

// beginCall registers a call; the caller must call endCall after it.
func (p *Pool) beginCall(j job) error {
	if p.reentrant() {
		return ErrReentrant
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.state {
	case poolClosing, poolTerminated:
		return ErrClosed
	}
	if err := p.startErr.Load(); err != nil {
		return fmt.Errorf("numapool: a worker could not be restarted: %w", *err)
	}
	b := j.base()
	if p.fresh {
		b.epoch = p.epoch.Add(1)
	}
	b.shared = p.shared.Load()
	old := p.jobs.Load()
	var list []job
	if old != nil {
		list = make([]job, 0, len(*old)+1)
		list = append(list, *old...)
	}
	list = append(list, j)
	p.jobs.Store(&list)
	return nil
}

// endCall removes a finished call's job. The last call to end after Close
// was called from inside a call's loop body or generator stops the workers.
func (p *Pool) endCall(j job) {
	p.mu.Lock()
	old := *p.jobs.Load() // holds j, so it is not nil
	list := make([]job, 0, len(old))
	for _, o := range old {
		if o != j {
			list = append(list, o)
		}
	}
	p.jobs.Store(&list)
	stop := p.stopLast && len(list) == 0
	j.base().end()
	p.callEnded.Broadcast()
	p.mu.Unlock()
	if stop {
		p.stopWorkers()
	}
}

// waitCalls waits, with p.mu held, until every call in flight has ended,
// except the calls whose generator or loop body is the calling goroutine
// (Close or Terminate called from inside an IMap loop, say), which cannot
// end while it waits. It returns how many of those are left.
func (p *Pool) waitCalls() (own int) {
	var me uint64
	for {
		own = 0
		var list []job
		if l := p.jobs.Load(); l != nil {
			list = *l
		}
		for _, j := range list {
			if c := j.base().caller; c != 0 {
				if me == 0 {
					me = goid()
				}
				if c == me {
					own++
				}
			}
		}
		if own == len(list) {
			return own
		}
		p.callEnded.Wait()
	}
}

// Close waits for the calls in flight to finish, then ends every worker
// thread and waits for them (MPIRE's stop_and_join). Later calls return
// ErrClosed. Close is safe to call more than once and from any goroutine.
//
// Called from the loop body (or the generator) of a lazy call or a call over
// an iter.Seq of this pool, Close cannot wait for that call: it waits for the
// others, marks the pool closed and returns, and the workers end when that
// call does. Called from inside a task of this pool, or of a pool that one
// of its tasks started, Close returns ErrReentrant.
func (p *Pool) Close() error {
	if p.reentrant() {
		return ErrReentrant
	}
	p.mu.Lock()
	if p.state == poolOpen {
		p.state = poolClosing
	}
	if p.waitCalls() > 0 {
		p.stopLast = true
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	p.stopWorkers()
	return p.takeExitErrors()
}

// Terminate stops the pool now: every call in flight returns ErrTerminated
// without starting more tasks, and the workers end. Go cannot stop a running
// function from outside, so Terminate waits for tasks already running to
// return. It is safe to call more than once, after Close, and from the loop
// body of a lazy call of this pool (MPIRE's terminate inside an imap loop:
// the loop then ends with ErrTerminated). Called from inside a task of this
// pool, or of a pool that one of its tasks started, it returns ErrReentrant.
func (p *Pool) Terminate() error {
	if p.reentrant() {
		return ErrReentrant
	}
	p.mu.Lock()
	p.state = poolTerminated
	list := p.jobs.Load()
	p.mu.Unlock()
	if list != nil {
		for _, j := range *list {
			j.base().abandon.Store(true)
			j.base().fail(ErrTerminated)
		}
	}
	// Before any worker is abandoned below: the applies running on them
	// are found through the live workers.
	p.failApplies(ErrTerminated)
	if list != nil {
		for _, j := range *list {
			j.base().waitDrained() // abandons the workers whose tasks stay
		}
	}
	p.stopWorkers() // the workers leave the stopped calls and end
	p.mu.Lock()
	p.waitCalls()
	p.mu.Unlock()
	return p.takeExitErrors()
}

// stopWorkers tells idle workers to end and waits for all of them.
func (p *Pool) stopWorkers() {
	p.quit.Store(true)
	p.notify()
	p.threads.Wait()
}

// How idle workers sleep.
//
// On a channel each (parkChannel), a wake-up goes through the Go
// scheduler: the notifier readies the worker's goroutine, an idle P's
// thread takes it and hands itself to the worker's locked thread. When every
// P belongs to a worker, these hand-offs run one after another, and pinned
// threads can only resume on their own CPU: on 16 vCPUs with 16 pinned
// workers, a 2 ms call took 3.45 ms instead of 2.10 ms for a hand-split loop.
//
// On one futex word (parkFutex), a single system call wakes every sleeping
// worker at once, each straight on its own CPU: the same call took 1.96 ms.
// But a sleeping worker's P stays in its system call until sysmon takes it
// back, so the goroutine that waits for a call resumes later when no other
// P is free: on 2 vCPUs a 64-task Map took 36 us instead of 8.6 us.
//
// parkAuto picks the futex for pools of at least futexWorkers workers that
// hold every P, and channels otherwise. BenchmarkFullMachine measures the
// modes; 4 to 12 workers are not measured yet.
type parkMode int

const (
	parkAuto parkMode = iota
	parkChannel
	parkFutex
)

const futexWorkers = 8

// parking is the mode new pools use; tests and benchmarks change it.
var parking = parkAuto

func useFutex(workers int) bool {
	switch parking {
	case parkChannel:
		return false
	case parkFutex:
		return true
	}
	return workers >= futexWorkers && workers >= runtime.GOMAXPROCS(0)
}

// notify tells workers that new work was published: one atomic add, plus a
// wake-up for each parked worker when there are any.
func (p *Pool) notify() {
	p.workGen.Add(1)
	if p.idle.Load() == 0 {
		return
	}
	if p.futex {
		p.wakeSeq.Add(1)
		csrc.FutexWake(&p.wakeSeq, math.MaxInt32)
		return
	}
	for i := range p.slots {
		if w := p.slots[i].Load(); w != nil && w.parked.CompareAndSwap(true, false) {
			p.idle.Add(-1)
			w.wake <- struct{}{}
		}
	}
}

// notifyOne is notify for one new chunk: it wakes at most one parked
// worker, since one is all the chunk needs. A wake-up costs the notifier a
// system call (futex) or a scheduler hand-off (channel), so a feeder that
// wakes every parked worker per chunk spends more on wake-ups than on the
// chunk when tasks are small.
func (p *Pool) notifyOne() {
	p.workGen.Add(1)
	if p.idle.Load() == 0 {
		return
	}
	if p.futex {
		p.wakeSeq.Add(1)
		csrc.FutexWake(&p.wakeSeq, 1)
		return
	}
	for i := range p.slots {
		if w := p.slots[i].Load(); w != nil && w.parked.CompareAndSwap(true, false) {
			p.idle.Add(-1)
			w.wake <- struct{}{}
			return
		}
	}
}

// currentWorker returns the worker (or the helping caller, see
// sliceJob.help) that the calling goroutine is, or nil. Cost: an atomic load
// when no worker lives, else a map lookup by goroutine (goroutineKey), no
// system call.
func currentWorker() *Worker {
	if liveWorkers.n.Load() == 0 && callers.n.Load() == 0 {
		return nil
	}
	if !keyIsStable {
		// Stay on this thread between reading its id and the lookup:
		// otherwise a new worker could lock the thread this goroutine just
		// left, and its id would name that worker. A worker is locked
		// already; this nests.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	key := goroutineKey()
	if callers.n.Load() > 0 {
		// A caller helping a nested pool's call may be a worker of an outer
		// pool: its stand-in is the innermost.
		if h := currentCaller(key); h != nil {
			return h
		}
	}
	if v, _ := liveWorkers.m.Load(key); v != nil {
		return v.(*Worker)
	}
	return nil
}

// liveWorkers maps goroutine keys (goroutineKey) to the workers of every
// pool in the process.
var liveWorkers struct {
	m sync.Map
	n atomic.Int64
}
