package mpi

import (
	"fmt"

	"github.com/numapool/numapool/mpi/codec"
	"github.com/numapool/numapool/numapool"
)

// An Option configures one distributed call. Every rank must pass the same
// options (codecs and local options aside); the call checks the ones rank 0
// decides by and fails on every rank when they differ.
type Option func(*config) error

type config struct {
	chunk      int // tasks per chunk handed to a rank; 0: guided
	prefetch   int // chunks queued at each remote rank
	localChunk int // Reduce: tasks per local block; 0: chunk/64
	local      []numapool.CallOption
	argCodec   any
	resCodec   any
	everyRank  bool
	stats      *Stats
}

// defaultPrefetch keeps two chunks queued behind the one a rank is running:
// rank 0's MPI thread, parked while its own pool runs a long chunk, may
// take up to a chunk's time (and the scheduler's 1 ms) to answer, and on a
// loaded node chunk times vary.
const defaultPrefetch = 3

func newConfig(opts []Option) (*config, error) {
	c := &config{prefetch: defaultPrefetch}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// ChunkSize fixes how many tasks rank 0 hands a rank at a time. The
// default is guided: chunks of a quarter of the remaining work per rank,
// shrinking to 1/128 of a rank's share, so that the first chunks cost little
// hand-out and the last ones end close together. Each chunk costs one
// message each way and one call of the rank's pool.
func ChunkSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("mpi: ChunkSize(%d): a chunk holds at least 1 task (leave the option out for guided chunks)", n)
		}
		c.chunk = n
		return nil
	}
}

// Prefetch sets how many chunks each remote rank holds at a time (the one
// it runs and those queued behind it); the default is 3. More hides longer
// gaps between rank 0's answers; fewer lets the hand-out follow the ranks'
// speed more closely at the end.
func Prefetch(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("mpi: Prefetch(%d): a rank must hold at least 1 chunk", n)
		}
		c.prefetch = n
		return nil
	}
}

// LocalChunkSize sets, for Reduce, the size of the blocks a rank's pool
// reduces inside one chunk. The default is 1/64 of the chunk. It is a
// number of tasks, not a share of the workers, so a chunk's partial result
// is the same whichever rank runs it, however many workers that rank has.
func LocalChunkSize(n int) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("mpi: LocalChunkSize(%d): a block holds at least 1 task", n)
		}
		c.localChunk = n
		return nil
	}
}

// Local passes call options (numapool.ChunkSize, numapool.Context, ...) to
// every call of this rank's pool; each such call runs one chunk.
func Local(opts ...numapool.CallOption) Option {
	return func(c *config) error {
		c.local = append(c.local, opts...)
		return nil
	}
}

// ArgCodec sets the codec for the arguments, needed when they hold
// pointers (strings, slices, maps, pointers); pointer-free arguments
// travel as raw bytes without it. A is checked against the call's argument
// type when the call starts.
func ArgCodec[A any](cd codec.Codec[A]) Option {
	return func(c *config) error {
		if cd == nil {
			return fmt.Errorf("mpi: ArgCodec: the codec is nil")
		}
		c.argCodec = cd
		return nil
	}
}

// ResultCodec sets the codec for the results, as ArgCodec does for
// arguments.
func ResultCodec[R any](cd codec.Codec[R]) Option {
	return func(c *config) error {
		if cd == nil {
			return fmt.Errorf("mpi: ResultCodec: the codec is nil")
		}
		c.resCodec = cd
		return nil
	}
}

// InputOnEveryRank says that every rank passes the same input: then only
// index ranges travel, never arguments, and no codec is needed for them.
// The lengths are checked to agree.
func InputOnEveryRank() Option {
	return func(c *config) error {
		c.everyRank = true
		return nil
	}
}

// Stats asks rank 0 to fill s when the call ends; other ranks leave it
// alone.
func WithStats(s *Stats) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("mpi: WithStats: the Stats pointer is nil")
		}
		c.stats = s
		return nil
	}
}

// Stats describes how a call's work was shared.
type Stats struct {
	Chunks        int   // chunks handed out in all
	ChunksPerRank []int // chunks each rank ran, by rank
	TasksPerRank  []int // tasks each rank ran, by rank
}

// pickCodec returns the codec for T: the one given, else raw bytes when T
// is pointer-free, else an error that names the option to use.
func pickCodec[T any](given any, what, option string) (codec.Codec[T], error) {
	if given != nil {
		cd, ok := given.(codec.Codec[T])
		if !ok {
			var zero T
			return nil, fmt.Errorf("mpi: %s is a %T, but the call's %s are %T; pass %s[%T]", option, given, what, zero, option, zero)
		}
		return guarded[T]{cd}, nil
	}
	cd, err := codec.Raw[T]()
	if err != nil {
		return nil, fmt.Errorf("mpi: the call's %s cannot travel as raw bytes (%w); pass %s(codec.Gob[...]())", what, err, option)
	}
	return cd, nil
}
