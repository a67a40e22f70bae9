package numapool

import (
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Seeds beyond the f.Add calls below are in testdata/fuzz/<target>/; a
// failure found by fuzzing is written there too and then runs as a test.
// Fuzz one target with, for example:
//
//	go test ./numapool -run '^$' -fuzz '^FuzzChunking$' -fuzztime 1m

// fuzzPools holds one pool per worker count for the fuzz targets' real
// calls, closed when the target ends.
type fuzzPools struct {
	mu    sync.Mutex
	pools map[int]*Pool
}

func (fp *fuzzPools) get(t *testing.T, workers int) *Pool {
	fp.mu.Lock()
	defer fp.mu.Unlock()
	if p := fp.pools[workers]; p != nil {
		return p
	}
	p, err := New(Workers(workers))
	require.NoError(t, err)
	if fp.pools == nil {
		fp.pools = map[int]*Pool{}
	}
	fp.pools[workers] = p
	return p
}

func (fp *fuzzPools) close(f *testing.F) {
	for _, p := range fp.pools {
		assert.NoError(f, p.Close())
	}
}

// FuzzChunking checks the chunk planner for any input length, worker count
// and options: an error only when the input's length is unknown and no
// chunk size is given; otherwise chunks of at most ChunkSize tasks that
// cover the input exactly once, in order, with ChunkSize within the length
// and within MaxActive, and no overflow however large the values. For
// small inputs it runs the plan too: For sees exactly the planned blocks,
// IMap yields every result once and in order, and no more than MaxActive
// tasks are ever taken and unfinished.
func FuzzChunking(f *testing.F) {
	f.Add(100, 2, 0, 0, -1)
	f.Add(7, 3, 2, 5, -1)
	f.Add(-1, 4, 10, 0, 55)
	var fp fuzzPools
	f.Cleanup(func() { fp.close(f) })
	f.Fuzz(func(t *testing.T, n, workers, chunk, maxAct, iterLen int) {
		// Option values as a user could pass them; 0 and -1 mean "not given".
		var opts []CallOption
		if chunk != 0 {
			opts = append(opts, ChunkSize(chunk))
		}
		if maxAct != 0 {
			opts = append(opts, MaxTasksActive(maxAct))
		}
		if iterLen != -1 {
			opts = append(opts, IterableLen(iterLen))
		}
		workers = 1 + int(uint(workers)%4096)
		pl, err := (&Pool{n: workers}).Plan(n, opts...)
		switch {
		case chunk < 0:
			require.EqualError(t, err, optionErr("ChunkSize", chunk))
			return
		case maxAct < 0:
			require.EqualError(t, err, optionErr("MaxTasksActive", maxAct))
			return
		case iterLen < -1:
			require.EqualError(t, err, optionErr("IterableLen", iterLen))
			return
		}
		tasks := n
		if tasks < 0 {
			tasks = iterLen
		} else if iterLen >= 0 {
			tasks = min(tasks, iterLen)
		}
		if tasks < 0 && chunk == 0 {
			require.EqualError(t, err, "numapool: the input is an iter.Seq of unknown length, so it cannot be cut into 4 chunks per worker: pass numapool.IterableLen(n) with its length, or numapool.ChunkSize(k) to choose the chunk size")
			return
		}
		require.NoError(t, err)
		checkPlan(t, pl, tasks, workers, chunk, maxAct, n < 0)
		if tasks >= 0 && tasks <= 3000 {
			// The loops take no IterableLen: their length is n.
			var loopOpts []CallOption
			if chunk > 0 {
				loopOpts = append(loopOpts, ChunkSize(chunk))
			}
			if maxAct > 0 {
				loopOpts = append(loopOpts, MaxTasksActive(maxAct))
			}
			runPlan(t, fp.get(t, 1+workers%3), tasks, loopOpts)
		}
	})
}

// optionErr is the error text of ChunkSize, MaxTasksActive or IterableLen
// given a negative value.
func optionErr(name string, v int) string {
	switch name {
	case "ChunkSize":
		return (ChunkSize(v)(&callConfig{})).Error()
	case "MaxTasksActive":
		return (MaxTasksActive(v)(&callConfig{})).Error()
	}
	return (IterableLen(v)(&callConfig{})).Error()
}

// checkPlan checks pl's promises for tasks tasks (-1: unknown) on workers
// workers with the options chunk and maxAct (0: not given); seq tells an
// iter.Seq input, whose default chunk is at most maxSeqChunk.
func checkPlan(t *testing.T, pl Plan, tasks, workers, chunk, maxAct int, seq bool) {
	assert.Equal(t, tasks, pl.Tasks)
	if !seq && chunk == 0 && maxAct == 0 && tasks > 0 {
		checkShrinkingPlan(t, pl, tasks, workers)
		return
	}
	require.GreaterOrEqual(t, pl.ChunkSize, 1)
	assert.LessOrEqual(t, pl.ChunkSize, pl.MaxActive, "a chunk fits in the tasks allowed in flight")
	if chunk > 0 {
		assert.LessOrEqual(t, pl.ChunkSize, chunk)
	}
	if tasks > 0 {
		assert.LessOrEqual(t, pl.ChunkSize, tasks, "a chunk never holds more than the input")
	}
	size := pl.ChunkSize
	// The chunk size asked for, or by default 4 chunks per worker rounded
	// up; cut to the input's length and to MaxTasksActive.
	want := uint64(chunk)
	if chunk == 0 {
		per := uint64(4) * uint64(workers)
		want = max(1, (uint64(tasks)+per-1)/per)
		if seq {
			want = min(want, maxSeqChunk)
		}
	}
	if tasks >= 0 {
		want = max(1, min(want, uint64(tasks))) // an empty input gets chunks of 1
	}
	if maxAct > 0 {
		want = min(want, uint64(maxAct))
	}
	assert.Equal(t, want, uint64(size), "chunk size")
	if maxAct > 0 {
		assert.Equal(t, maxAct, pl.MaxActive)
	} else {
		// 2 x workers x chunk size, saturated at the largest int.
		hi, lo := bits.Mul64(2*uint64(workers), uint64(size))
		want := lo
		if hi != 0 || lo > math.MaxInt {
			want = math.MaxInt
		}
		assert.Equal(t, want, uint64(pl.MaxActive), "default MaxActive")
	}
	if tasks < 0 {
		assert.Equal(t, -1, pl.Chunks)
		return
	}
	// The chunks [c*size, min((c+1)*size, tasks)) for c < Chunks cover the
	// input exactly once: (Chunks-1)*size < tasks <= Chunks*size, computed
	// without overflow.
	require.GreaterOrEqual(t, pl.Chunks, 0)
	if tasks == 0 {
		assert.Equal(t, 0, pl.Chunks)
		return
	}
	hi, lo := bits.Mul64(uint64(pl.Chunks), uint64(size))
	assert.True(t, hi > 0 || lo >= uint64(tasks), "chunks %d of %d cover %d tasks", pl.Chunks, size, tasks)
	hi, lo = bits.Mul64(uint64(pl.Chunks-1), uint64(size))
	assert.True(t, hi == 0 && lo < uint64(tasks), "chunks %d of %d leave the last one empty for %d tasks", pl.Chunks, size, tasks)
}

// checkShrinkingPlan checks the default plan over a slice: chunks from
// ceil(tasks / (4 x workers)) down to ceil(tasks / (64 x workers)).
func checkShrinkingPlan(t *testing.T, pl Plan, tasks, workers int) {
	w := uint64(workers)
	floor := max(1, (uint64(tasks)+64*w-1)/(64*w))
	first := max(floor, (uint64(tasks)+4*w-1)/(4*w))
	assert.Equal(t, first, uint64(pl.ChunkSize), "first chunk")
	assert.Equal(t, floor, uint64(pl.MinChunkSize), "smallest chunk")
	hi, lo := bits.Mul64(2*w, first)
	want := lo
	if hi != 0 || lo > math.MaxInt {
		want = math.MaxInt
	}
	assert.Equal(t, want, uint64(pl.MaxActive), "default MaxActive")
	fewest := (uint64(tasks) + first - 1) / first
	most := (uint64(tasks) + floor - 1) / floor
	assert.True(t, uint64(pl.Chunks) >= fewest && uint64(pl.Chunks) <= most, "%d chunks for %d tasks in chunks of %d down to %d", pl.Chunks, tasks, first, floor)
}

// runPlan runs For and IMap over tasks tasks with opts (ChunkSize and
// MaxTasksActive) on p and checks them against p's plan.
func runPlan(t *testing.T, p *Pool, tasks int, opts []CallOption) {
	pl, err := p.Plan(tasks, opts...)
	require.NoError(t, err)
	var (
		mu     sync.Mutex
		blocks [][2]int
	)
	require.NoError(t, For(p, tasks, func(lo, hi int) {
		mu.Lock()
		blocks = append(blocks, [2]int{lo, hi})
		mu.Unlock()
	}, opts...))
	slices.SortFunc(blocks, func(a, b [2]int) int { return a[0] - b[0] })
	if pl.MinChunkSize != 0 {
		// Shrinking blocks: Chunks of them, end to end over the input, the
		// first of ChunkSize, none growing, none but the last below
		// MinChunkSize.
		require.Len(t, blocks, pl.Chunks, "For's blocks for plan %+v", pl)
		at, prev := 0, pl.ChunkSize
		for k, b := range blocks {
			size := b[1] - b[0]
			require.Equal(t, at, b[0], "block %d of %v starts where the last ended", k, blocks)
			require.LessOrEqual(t, size, prev, "block %d of %v does not grow", k, blocks)
			if k < len(blocks)-1 {
				require.GreaterOrEqual(t, size, pl.MinChunkSize, "block %d of %v", k, blocks)
			}
			at, prev = b[1], size
		}
		require.Equal(t, tasks, at, "the blocks %v end at the input's end", blocks)
		require.Equal(t, pl.ChunkSize, blocks[0][1]-blocks[0][0], "the first block")
	} else {
		var want [][2]int
		for lo := 0; lo < tasks; lo += pl.ChunkSize {
			want = append(want, [2]int{lo, min(lo+pl.ChunkSize, tasks)})
		}
		require.Equal(t, want, blocks, "For's blocks for plan %+v", pl)
	}

	// IMap over a sequence: every result once, in order, and the tasks
	// taken from the input and not yet handed to the loop stay within
	// MaxActive.
	var pulled, handed, peak atomic.Int64
	gen := func(yield func(int) bool) {
		for i := range tasks {
			if ahead := pulled.Add(1) - handed.Load(); ahead > peak.Load() {
				peak.Store(ahead)
			}
			if !yield(i) {
				return
			}
		}
	}
	seqOpts := append(slices.Clip(opts), IterableLen(tasks))
	seqPlan, err := p.Plan(-1, seqOpts...)
	require.NoError(t, err)
	i := 0
	for r, err := range IMap(p, iterSeq(gen), square, seqOpts...) {
		require.NoError(t, err)
		require.Equal(t, i*i, r, "result %d", i)
		i++
		handed.Add(1)
	}
	assert.Equal(t, tasks, i)
	assert.LessOrEqual(t, peak.Load(), int64(seqPlan.MaxActive), "tasks pulled and not yet handed out, plan %+v", seqPlan)
}

// FuzzRing runs a sequence of operations on a ring and on a model queue
// (a slice) side by side: push succeeds exactly when the model holds fewer
// values than the ring's capacity, pop returns the model's oldest value,
// empty agrees. Each byte of ops is an operation; capacity is cut to 0..300.
func FuzzRing(f *testing.F) {
	f.Add(uint16(3), []byte{0, 0, 0, 0, 0, 1, 1, 3, 2, 2, 1, 1, 1, 1, 3})
	f.Add(uint16(1), []byte{0, 0, 0, 1, 0, 1, 1, 1})
	f.Fuzz(func(t *testing.T, capacity uint16, ops []byte) {
		r := newRing[int](int(capacity % 301))
		size := len(r.slots)
		require.GreaterOrEqual(t, size, max(2, int(capacity%301)))
		require.Zero(t, size&(size-1), "a power of two")
		var model []int
		next := 0
		within(t, time.Minute, "a sequence of ring operations", func() { runRingOps(t, r, ops, &model, &next) })
		if t.Failed() {
			return
		}
		for _, want := range model {
			v, ok := r.pop()
			require.True(t, ok)
			require.Equal(t, want, v)
		}
		assert.True(t, r.empty())
	})
}

// runRingOps applies ops to r and to model (see FuzzRing); it reports
// failures with t.Errorf, since it runs on the watchdog's goroutine.
func runRingOps(t *testing.T, r *ring[int], ops []byte, model *[]int, next *int) {
	size := len(r.slots)
	for k, op := range ops {
		switch op % 4 {
		case 0:
			ok := r.push(*next)
			if !assert.Equal(t, len(*model) < size, ok, "op %d: push with %d of %d held", k, len(*model), size) {
				return
			}
			if ok {
				*model = append(*model, *next)
			}
			*next++
		case 1:
			v, ok := r.pop()
			if !assert.Equal(t, len(*model) > 0, ok, "op %d: pop with %d held", k, len(*model)) {
				return
			}
			if ok {
				if !assert.Equal(t, (*model)[0], v, "op %d: pop", k) {
					return
				}
				*model = (*model)[1:]
			}
		case 2:
			if len(*model) < size { // pushWait would wait forever on a full ring
				r.pushWait(*next)
				*model = append(*model, *next)
				*next++
			}
		case 3:
			if !assert.Equal(t, len(*model) == 0, r.empty(), "op %d: empty with %d held", k, len(*model)) {
				return
			}
		}
	}
}

// FuzzRingConcurrent runs producers and consumers on one ring: every value
// comes out exactly once, and each consumer sees the values of one producer
// in the order that producer pushed them (positions are claimed in push
// order and popped in position order).
func FuzzRingConcurrent(f *testing.F) {
	f.Add(uint8(4), uint8(4), uint16(500), uint8(8), false)
	f.Add(uint8(1), uint8(3), uint16(300), uint8(1), true)
	f.Fuzz(func(t *testing.T, producers, consumers uint8, each uint16, capacity uint8, retry bool) {
		np, nc, per := 1+int(producers%4), 1+int(consumers%4), int(each%2001)
		r := newRing[int](int(capacity % 17))
		total := np * per
		seen := make([][]int, nc) // per consumer, in pop order
		within(t, time.Minute, "producers and consumers on a ring", func() {
			var wg sync.WaitGroup
			var consumed atomic.Int64
			for p := range np {
				wg.Go(func() {
					for i := range per {
						v := p<<32 | i
						if retry {
							for !r.push(v) {
								runtime.Gosched()
							}
						} else {
							r.pushWait(v)
						}
					}
				})
			}
			for c := range nc {
				wg.Go(func() {
					for consumed.Load() < int64(total) {
						v, ok := r.pop()
						if !ok {
							runtime.Gosched()
							continue
						}
						consumed.Add(1)
						seen[c] = append(seen[c], v)
					}
				})
			}
			wg.Wait()
		})
		count := make([]int, total)
		for c, vs := range seen {
			last := make([]int, np)
			for i := range last {
				last[i] = -1
			}
			for _, v := range vs {
				p, i := v>>32, v&(1<<32-1)
				require.True(t, p < np && i < per, "value %x was never pushed", v)
				require.Greater(t, i, last[p], "consumer %d got value %d of producer %d after value %d", c, i, p, last[p])
				last[p] = i
				count[p*per+i]++
			}
		}
		for k, n := range count {
			require.Equal(t, 1, n, "value %d of producer %d came out %d times", k%max(per, 1), k/max(per, 1), n)
		}
		assert.True(t, r.empty())
	})
}
