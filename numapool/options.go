package numapool

import (
	"context"
	"fmt"
	"time"

	"github.com/numapool/numapool/topology"
)

// An Option configures a Pool in New.
type Option func(*poolConfig) error

type poolConfig struct {
	workers                  int // 0: one per usable CPU
	cpuIDs                   []topology.CPUSet
	rawIDs                   []int // CPUIDs as given, checked against the machine in New
	placement                *topology.Placement
	unpinned                 bool
	workersOnly              bool // WorkersOnly
	daemon                   bool
	fresh                    bool        // FreshWorkersPerCall
	state                    *stateHooks // WithState
	insights                 bool        // Insights
	initTimeout, exitTimeout time.Duration
	shared                   any
}

// Workers sets the number of workers. The default is one per CPU this
// process may use (affinity mask and cgroup cpuset), or, for a nested pool,
// one per CPU of the worker that starts it, and never more than GOMAXPROCS.
// More workers than CPUs is allowed.
func Workers(n int) Option {
	return func(c *poolConfig) error {
		if n <= 0 {
			return fmt.Errorf("numapool: Workers(%d): the number of workers must be at least 1 (leave the option out for one per usable CPU)", n)
		}
		c.workers = n
		return nil
	}
}

// CPUIDs pins workers to single CPUs, as MPIRE's cpu_ids with integers: one
// id pins every worker to that CPU; n ids (one per worker) pin worker i to
// ids[i]. Every id is checked against the machine: an id that is negative,
// beyond the machine, offline or not usable by this process is an error that
// lists the usable CPUs. Without Workers, the pool gets one worker per id.
func CPUIDs(ids ...int) Option {
	return func(c *poolConfig) error {
		if len(ids) == 0 {
			return fmt.Errorf("numapool: CPUIDs needs at least one CPU id")
		}
		// Kept as numbers until New checks them against the machine: a CPU
		// set sized by an absurd id would be allocated before the check.
		c.cpuIDs, c.rawIDs = nil, append([]int(nil), ids...)
		return nil
	}
}

// CPUSets pins workers to sets of CPUs, as MPIRE's cpu_ids with lists: one
// set for all workers (they share those CPUs), or one set per worker.
// Each set is checked as CPUIDs checks ids.
func CPUSets(sets ...topology.CPUSet) Option {
	return func(c *poolConfig) error {
		if len(sets) == 0 {
			return fmt.Errorf("numapool: CPUSets needs at least one CPU set")
		}
		for i, s := range sets {
			if s.IsEmpty() {
				return fmt.Errorf("numapool: CPUSets: set %d is empty; give each worker at least one CPU", i)
			}
		}
		c.cpuIDs, c.rawIDs = append([]topology.CPUSet(nil), sets...), nil
		return nil
	}
}

// Placement chooses the CPU of each worker by a topology policy
// (topology.Compact, topology.Spread, topology.InNode). The default,
// without CPUIDs or CPUSets, is topology.Spread: one worker per core before
// SMT siblings, round-robin over packages and NUMA nodes.
func Placement(p topology.Placement) Option {
	return func(c *poolConfig) error {
		c.placement = &p
		return nil
	}
}

// Unpinned leaves worker threads free to run on any CPU the process may use
// (MPIRE's default). Workers are still one locked OS thread each.
func Unpinned() Option {
	return func(c *poolConfig) error {
		c.unpinned = true
		return nil
	}
}

// WorkersOnly keeps every task on a worker thread. By default the goroutine
// that calls a plain call (Map, MapUnordered, MapInto, ForEach, For,
// ForIndex, Reduce, IMap, IMapUnordered) runs some of its chunks itself,
// as OpenMP's primary thread works in a parallel region: over a slice of
// at most 4096 tasks (or a loop of as many indices), until the first
// worker arrives; over a longer one cut in at most 4096 chunks, while it
// wakes the workers, until the first arrives or for at most 10 µs, unless
// the pool's last call of that kind took a millisecond or more; in a
// lazy call or over an iter.Seq,
// whenever it would otherwise wait for a result or for room to feed more.
// A small call then finishes in about the time of its loop, where waking a
// parked worker thread costs tens of microseconds, and a lazy call with
// small chunks does not trade CPUs with the workers every few tasks. Those
// chunks run on the caller's thread, unpinned (TaskError.WorkerID -1); a
// task there that calls runtime.Goexit ends the calling goroutine, as in a
// plain loop, and Terminate cannot cut it short. Calls whose tasks see
// their Worker (MapFunc, ForFunc, IMapFunc, ...), calls with a Context,
// TaskTimeout, OrderTasks or WorkerLifespan, eager calls whose
// MaxTasksActive binds, unordered lazy and iter.Seq calls on a one-worker
// pool (their results then come in input order), and pools with worker
// state, Insights or FreshWorkersPerCall never run tasks on the caller
// (whose thread is neither fresh nor ever recycled). With
// WorkersOnly no call does: for benchmarks that must run every task on a
// pinned thread, say.
func WorkersOnly() Option {
	return func(c *poolConfig) error {
		c.workersOnly = true
		return nil
	}
}

// Daemon sets whether tasks may start pools of their own. With the default,
// true, New called from inside a task returns ErrDaemon; with Daemon(false)
// a task may start a nested pool, which by default runs on the CPUs of the
// worker that starts it.
func Daemon(daemon bool) Option {
	return func(c *poolConfig) error {
		c.daemon = daemon
		return nil
	}
}

// FreshWorkersPerCall makes every call run on fresh worker threads, as
// MPIRE's pools do when workers are not kept alive: before a worker takes a
// task of a new call, a thread that served an earlier call ends and a new
// thread with the same worker ID and CPUs takes over, so nothing a task left
// in thread-local state (C libraries, locked state, worker state made by an
// init function) reaches the next call. It costs a thread start per worker
// per call: a 64-task Map on 2 CPUs takes about 58 us instead of 16 us.
//
// Without it, the default, workers and their state persist across calls.
func FreshWorkersPerCall() Option {
	return func(c *poolConfig) error {
		c.fresh = true
		return nil
	}
}

// SharedObjects hands v to every task through Worker.Shared, as MPIRE's
// set_shared_objects. Goroutines share memory, so v is never copied; use
// shm arrays for big data that the GC should not scan or that should sit on
// particular NUMA nodes. If v has a method ForNode(node int) any (as
// shm.Replicated does), each worker sees v.ForNode(its NUMA node) instead.
func SharedObjects(v any) Option {
	return func(c *poolConfig) error {
		c.shared = v
		return nil
	}
}

// A CallOption configures one call of Map, IMap and the others.
type CallOption func(*callConfig) error

type callConfig struct {
	ctx         context.Context
	chunkSize   int
	iterableLen int // -1: not given
	maxActive   int
	lifespan    int
	progress    *progressConfig // ProgressBar or CustomProgressBar; nil: no bar
	orderTasks  bool            // OrderTasks
	taskTimeout time.Duration   // TaskTimeout
}

// TaskTimeout limits how long one task may run (MPIRE's task_timeout; for
// the loops, one block). A task past the limit fails the call with a
// *TaskError naming the worker, the task's index and argument, whose Err is
// a *TimeoutError with the limit; errors.Is(err, context.DeadlineExceeded)
// holds. Go cannot stop a running function, so the call cancels its context
// (Worker.Context), returns at once, and abandons the worker: a fresh thread
// with the same worker ID and CPUs takes its place, so the pool keeps its
// size, and the old goroutine runs on, detached, until its task returns. No
// result of an abandoned task reaches the caller's memory (MapInto's dst
// included); a loop body's own writes are its own (watch Worker.Context).
//
// A watchdog goroutine per call checks the running tasks every quarter of
// the limit (at least every millisecond), so a call fails between the limit
// and 1.25 times it. Cost: one atomic store per task.
func TaskTimeout(d time.Duration) CallOption {
	return func(c *callConfig) error {
		if d <= 0 {
			return fmt.Errorf("numapool: TaskTimeout(%v): a timeout must be positive (leave the option out for none)", d)
		}
		c.taskTimeout = d
		return nil
	}
}

// InitTimeout limits how long a WorkerState init function may run (MPIRE's
// worker_init_timeout). Past it, the call that triggered the init fails
// with a *WorkerError (Phase "init") wrapping a *TimeoutError, and the
// worker is abandoned and replaced as under TaskTimeout.
func InitTimeout(d time.Duration) Option {
	return func(c *poolConfig) error {
		if d <= 0 {
			return fmt.Errorf("numapool: InitTimeout(%v): a timeout must be positive (leave the option out for none)", d)
		}
		c.initTimeout = d
		return nil
	}
}

// ExitTimeout limits how long a WorkerState exit function may run (MPIRE's
// worker_exit_timeout). Past it, the worker's thread is abandoned (the exit
// function runs on, detached), its exit result is dropped, and the call or
// Close during which it ran returns a *WorkerError (Phase "exit") wrapping a
// *TimeoutError.
func ExitTimeout(d time.Duration) Option {
	return func(c *poolConfig) error {
		if d <= 0 {
			return fmt.Errorf("numapool: ExitTimeout(%v): a timeout must be positive (leave the option out for none)", d)
		}
		c.exitTimeout = d
		return nil
	}
}

// OrderTasks hands chunks out strictly round-robin (MPIRE's order_tasks):
// chunk i goes to worker i mod n, whichever worker is free first, so which
// worker runs which task is known in advance (values 1..20 on 4 workers in
// chunks of 3: worker 0 runs 1-3 and 13-15, worker 2 runs 7-9 and 19-20).
// Every call starts again at worker 0. A slow worker then holds up its own
// share instead of others taking it over, so use it only when the order
// matters more than the balance. Over a slice in a lazy call, the calling
// goroutine hands the chunks out, as it does for an iter.Seq.
func OrderTasks() CallOption {
	return func(c *callConfig) error {
		c.orderTasks = true
		return nil
	}
}

// ChunkSize sets how many tasks a worker takes at a time, in equal chunks.
// By default, eager calls and loops over a slice cut shrinking chunks
// (from ceil(n / (4 x workers)) down to ceil(n / (64 x workers)) tasks),
// and lazy calls and generators of known length n cut 4 chunks per worker,
// ceil(n / (4 x workers)) tasks each. A MaxTasksActive below the chunk
// size shrinks the chunk to it; Pool.Plan returns what a call will use.
func ChunkSize(n int) CallOption {
	return func(c *callConfig) error {
		if n <= 0 {
			return fmt.Errorf("numapool: ChunkSize(%d): a chunk holds at least 1 task (leave the option out for the default chunks)", n)
		}
		c.chunkSize = n
		return nil
	}
}

// IterableLen gives the length of an iter.Seq input, so that the chunk
// size can be chosen as for a slice. An input longer than n is cut to its
// first n items, as in MPIRE; a shorter one simply ends.
func IterableLen(n int) CallOption {
	return func(c *callConfig) error {
		if n < 0 {
			return fmt.Errorf("numapool: IterableLen(%d): a length cannot be negative", n)
		}
		c.iterableLen = n
		return nil
	}
}

// MaxTasksActive bounds the tasks taken from the input and not yet
// finished (for ordered lazy calls: not yet handed to the loop). The default
// is 2 x workers x chunk size, so that a generator of a billion items runs in
// flat memory. A bound below the chunk size shrinks the chunk to the bound,
// whether the chunk size is the default or set with ChunkSize (MPIRE accepts
// both). Calls over an iter.Seq and lazy calls also keep at most 4096 chunks
// in flight. Pool.Plan returns the bound and chunk size a call will use.
func MaxTasksActive(n int) CallOption {
	return func(c *callConfig) error {
		if n <= 0 {
			return fmt.Errorf("numapool: MaxTasksActive(%d): at least 1 task must be allowed in flight", n)
		}
		c.maxActive = n
		return nil
	}
}

// WorkerLifespan makes a worker end its thread once it has run n chunks of
// calls that set a lifespan, counted since the thread started (across
// calls, since workers persist); a fresh thread with the same worker ID and CPUs
// takes over. Zero, the default, means no limit.
func WorkerLifespan(n int) CallOption {
	return func(c *callConfig) error {
		if n < 0 {
			return fmt.Errorf("numapool: WorkerLifespan(%d): a lifespan cannot be negative (0 means unlimited)", n)
		}
		c.lifespan = n
		return nil
	}
}

// Context ties the call to ctx: when ctx is done, tasks not yet started are
// dropped and the call returns ctx's error.
func Context(ctx context.Context) CallOption {
	return func(c *callConfig) error {
		if ctx == nil {
			return fmt.Errorf("numapool: Context(nil): pass context.Background() for no deadline")
		}
		c.ctx = ctx
		return nil
	}
}
