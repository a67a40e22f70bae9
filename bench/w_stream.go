package bench

import (
	"iter"
	"sync/atomic"

	"github.com/numapool/numapool/numapool"
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
// tasks in flight; the peers submit one task per item and are bounded by
// their blocking submit (see each Peer). The hand split and conc's iter
// need the whole input up front, so they have no case here.
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
		return cases
	},
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
