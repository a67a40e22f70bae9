package bench

import (
	"iter"
	"sync"
	"sync/atomic"

	"github.com/numapool/numapool/numapool"
	concstream "github.com/sourcegraph/conc/stream"
)

// StreamRounds makes a Stream task about 2 µs of Spin.
const StreamRounds = 1000

// StreamChunk is the chunk size numapool's stream cases pass: a generator
// has no length, so numapool (like MPIRE) asks for one.
const StreamChunk = 64

// streamSeq is a generator of n pseudo-random ints, produced one at a time
// as a reader of records would.
func streamSeq(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for i := range n {
			if !yield(int(Mix(uint64(i)) >> 33)) {
				return
			}
		}
	}
}

// Stream is a lazy stream from a generator with bounded in-flight tasks: n
// items (50,000 in the benchmark) of about 2 µs each, whose results are
// summed as they come. numapool runs IMapUnordered (IMap for
// numapool-ordered) with chunks of StreamChunk and its default bound on
// tasks in flight. The hand split is the loop a Go programmer writes for
// a stream: the caller cuts it into chunks of StreamChunk and deals them to
// one goroutine per CPU through a channel, reusing a fixed set of chunk
// buffers (which bounds what is in flight). The peers submit one task per
// item and are bounded by their blocking submit (see each Peer); conc's
// iter needs a slice, so conc takes part through its stream package
// (conc-stream: ordered callbacks, as IMap's ordered results).
var Stream = &Workload{
	Name: "Stream", Full: 50_000, Quick: 5000, Test: 100,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		var s uint64
		for x := range streamSeq(n) {
			s += Spin(x, StreamRounds)
		}
		return s
	},
	Cases: func(n, workers int) []Case {
		spin := func(x int) uint64 { return opaqueSpin(x, StreamRounds) }
		cases := []Case{
			{"seq", func() (Instance, error) {
				var s uint64
				return instance{
					run: func() error {
						s = 0
						for x := range streamSeq(n) {
							s += spin(x)
						}
						return nil
					},
					sum: func() uint64 { return s },
				}, nil
			}},
			streamHandSplit(n, workers),
			streamNumapool("numapool", n, workers, numapool.IMapUnordered[int, uint64, iter.Seq[int]]),
			streamNumapool("numapool-ordered", n, workers, numapool.IMap[int, uint64, iter.Seq[int]]),
		}
		for _, peer := range Peers {
			if peer.Name == ConcIterPeer.Name {
				continue
			}
			cases = append(cases, Case{peer.Name, func() (Instance, error) {
				r, err := peer.New(workers)
				if err != nil {
					return nil, err
				}
				var s atomic.Uint64
				return instance{
					run: func() error {
						s.Store(0)
						return r.Stream(streamSeq(n), func(x int) { s.Add(spin(x)) })
					},
					sum:   s.Load,
					close: r.Close,
				}, nil
			}})
		}
		return append(cases, streamConc(n, workers))
	},
}

// streamHandSplit deals chunks of StreamChunk items from the generator to
// one goroutine per worker over a channel; 2 x workers chunk buffers go
// round, so at most that many chunks are taken and not finished.
func streamHandSplit(n, workers int) Case {
	return Case{"handsplit", func() (Instance, error) {
		free := make(chan []int, 2*workers)
		for range cap(free) {
			free <- make([]int, 0, StreamChunk)
		}
		var s atomic.Uint64
		return instance{
			run: func() error {
				s.Store(0)
				work := make(chan []int, cap(free))
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						var local uint64
						for c := range work {
							for _, x := range c {
								local += opaqueSpin(x, StreamRounds)
							}
							free <- c[:0]
						}
						s.Add(local)
					})
				}
				c := <-free
				for x := range streamSeq(n) {
					if c = append(c, x); len(c) == StreamChunk {
						work <- c
						c = <-free
					}
				}
				if len(c) > 0 {
					work <- c
				} else {
					free <- c
				}
				close(work)
				wg.Wait()
				return nil
			},
			sum: s.Load,
		}, nil
	}}
}

// streamConc runs the stream through conc's stream package, as its
// documentation shows: one Go per item, limited to workers goroutines (Go
// blocks while they are all busy), each task returning a callback that
// adds its result, the callbacks run one at a time in submission order.
func streamConc(n, workers int) Case {
	return Case{"conc-stream", func() (Instance, error) {
		var s uint64
		return instance{
			run: func() error {
				s = 0
				st := concstream.New().WithMaxGoroutines(workers)
				for x := range streamSeq(n) {
					st.Go(func() concstream.Callback {
						r := opaqueSpin(x, StreamRounds)
						return func() { s += r }
					})
				}
				st.Wait()
				return nil
			},
			sum: func() uint64 { return s },
		}, nil
	}}
}

// imapFunc is the shape of numapool.IMap and IMapUnordered over a stream.
type imapFunc func(p *numapool.Pool, src iter.Seq[int], f func(int) uint64, opts ...numapool.CallOption) iter.Seq2[uint64, error]

func streamNumapool(name string, n, workers int, imap imapFunc) Case {
	return Case{name, func() (Instance, error) {
		p, err := newPool(workers)
		if err != nil {
			return nil, err
		}
		var s uint64
		return instance{
			run: func() error {
				s = 0
				for r, err := range imap(p, streamSeq(n), func(x int) uint64 { return opaqueSpin(x, StreamRounds) }, numapool.ChunkSize(StreamChunk)) {
					if err != nil {
						return err
					}
					s += r
				}
				return nil
			},
			sum:   func() uint64 { return s },
			close: p.Close,
		}, nil
	}}
}
