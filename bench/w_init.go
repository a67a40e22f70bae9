package bench

import (
	"sync"

	"github.com/numapool/numapool/numapool"
)

// tableLen is the number of entries of a Workspace's table.
const tableLen = 1 << 16

// tableRounds is the Spin rounds per table entry: about 8 ms to build a
// Workspace on one 2020s x86 core.
const tableRounds = 64

// A Workspace is Init's per-worker state: a table that is expensive to
// build and read by every task, and a scratch buffer every task
// overwrites, so one Workspace cannot serve two tasks at once.
type Workspace struct {
	table   [tableLen]uint32
	scratch [256]uint64
}

// NewWorkspace builds a Workspace: the expensive initialisation.
func NewWorkspace() *Workspace {
	ws := new(Workspace)
	for i := range ws.table {
		ws.table[i] = uint32(Spin(i, tableRounds))
	}
	return ws
}

// task fills the scratch buffer from the table, takes its prefix sums and
// returns a value of them: about 1 µs.
func (ws *Workspace) task(x int) uint64 {
	s := &ws.scratch
	for j := range s {
		s[j] = uint64(ws.table[(x*len(s)+j)%tableLen]) ^ uint64(x)
	}
	for j := 1; j < len(s); j++ {
		s[j] += s[j-1]
	}
	return s[len(s)-1] ^ s[x%len(s)]
}

// Init is an expensive per-worker initialisation reused across calls
// (MPIRE's worker_init with keep-alive workers): every run is one call of n
// tasks of about 1 µs (2000 in the benchmark) that each need a Workspace
// of their own, which costs about 8 ms to build. numapool builds one per
// worker in a WorkerState on the worker's first call and keeps it;
// numapool-fresh (FreshWorkersPerCall, MPIRE's restart per call) builds
// them again in every call. Pools without per-worker state take one from
// a sync.Pool, Go's own answer, which builds a new one whenever the
// garbage collector has emptied it.
var Init = &Workload{
	Name: "Init", Full: 2000, Quick: 1000, Test: 32,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		ws := NewWorkspace()
		var h uint64
		for i := range n {
			h = checksum(h, ws.task(i))
		}
		return h
	},
	Cases: func(n, workers int) []Case {
		cases := []Case{
			{"seq", func() (Instance, error) {
				out := make([]uint64, n)
				var ws *Workspace
				return instance{
					run: func() error {
						if ws == nil {
							ws = NewWorkspace()
						}
						for i := range n {
							out[i] = ws.task(i)
						}
						return nil
					},
					sum: func() uint64 { return sumUint64(out) },
				}, nil
			}},
			syncPoolCase("handsplit", n, nil, func(_ Runner, spaces *sync.Pool, out []uint64) error {
				handSplit(n, workers, func(lo, hi int) {
					ws := spaces.Get().(*Workspace)
					for i := lo; i < hi; i++ {
						out[i] = ws.task(i)
					}
					spaces.Put(ws)
				})
				return nil
			}),
			initNumapool("numapool", n, workers),
			initNumapool("numapool-fresh", n, workers, numapool.FreshWorkersPerCall()),
		}
		for _, peer := range Peers {
			cases = append(cases, syncPoolCase(peer.Name, n, func() (Runner, error) { return peer.New(workers) },
				func(r Runner, spaces *sync.Pool, out []uint64) error {
					return r.Run(n, func(i int) {
						ws := spaces.Get().(*Workspace)
						out[i] = ws.task(i)
						spaces.Put(ws)
					})
				}))
		}
		return cases
	},
}

// syncPoolCase is an Init case whose Workspaces come from a sync.Pool of
// its own; newRunner may be nil.
func syncPoolCase(name string, n int, newRunner func() (Runner, error), run func(r Runner, spaces *sync.Pool, out []uint64) error) Case {
	return Case{name, func() (Instance, error) {
		var r Runner
		var closeRunner func() error
		if newRunner != nil {
			var err error
			if r, err = newRunner(); err != nil {
				return nil, err
			}
			closeRunner = r.Close
		}
		out := make([]uint64, n)
		spaces := &sync.Pool{New: func() any { return NewWorkspace() }}
		return instance{
			run:   func() error { return run(r, spaces, out) },
			sum:   func() uint64 { return sumUint64(out) },
			close: closeRunner,
		}, nil
	}}
}

// initNumapool is an Init case on a numapool pool whose WorkerState builds
// one Workspace per worker thread, on that thread.
func initNumapool(name string, n, workers int, opts ...numapool.Option) Case {
	return Case{name, func() (Instance, error) {
		state := numapool.NewWorkerState(func(*numapool.Worker) (*Workspace, error) { return NewWorkspace(), nil }, nil)
		p, err := newPool(workers, append(opts, numapool.WithState(state))...)
		if err != nil {
			return nil, err
		}
		out := make([]uint64, n)
		return instance{
			run: func() error {
				return numapool.ForFunc(p, n, func(w *numapool.Worker, lo, hi int) error {
					ws := *state.Of(w)
					for i := lo; i < hi; i++ {
						out[i] = ws.task(i)
					}
					return nil
				})
			},
			sum:   func() uint64 { return sumUint64(out) },
			close: p.Close,
		}, nil
	}}
}
