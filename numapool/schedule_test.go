package numapool

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// blockOf returns the block [lo, hi) of a loop of n indices with plan pl on
// p that holds index at.
func blockOf(p *Pool, n int, pl Plan, at int) (lo, hi int) {
	s := fixedSchedule(int64(n), int64(max(1, pl.ChunkSize)))
	if pl.MinChunkSize != 0 {
		s = shrinkingSchedule(int64(n), p.n)
	}
	for k := range s.chunks {
		l, h := s.bounds(k)
		if int64(at) >= l && int64(at) < h {
			return int(l), int(h)
		}
	}
	return -1, -1
}

// Shrinking schedules cover every task exactly once, in order, with chunks
// that never grow, down to a floor of 1/64 of a worker's share.
func TestShrinkingScheduleCoversTheInput(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 16, 100} {
		for _, n := range []int64{1, 2, 3, 7, 64, 100, 1000, 4999, 5000, 1 << 20, 1_000_003} {
			s := shrinkingSchedule(n, workers)
			require.Positive(t, s.chunks)
			at, prev := int64(0), int64(1<<62)
			for k := range s.chunks {
				lo, hi := s.bounds(k)
				require.Equal(t, at, lo, "n=%d workers=%d chunk %d starts where the last ended", n, workers, k)
				require.Greater(t, hi, lo, "n=%d workers=%d chunk %d is not empty", n, workers, k)
				if k < s.chunks-1 {
					assert.LessOrEqual(t, hi-lo, prev, "n=%d workers=%d chunk %d does not grow", n, workers, k)
					assert.GreaterOrEqual(t, hi-lo, s.smallest(), "n=%d workers=%d chunk %d", n, workers, k)
				}
				prev, at = hi-lo, hi
			}
			require.Equal(t, n, at, "n=%d workers=%d: the chunks end at the input's end", n, workers)
			floor := max(1, (n+64*int64(workers)-1)/(64*int64(workers)))
			assert.Equal(t, floor, s.smallest(), "n=%d workers=%d", n, workers)
		}
	}
}

// The plan of a default call over a slice reports the shrinking chunks:
// the first of n/(4 x workers), the smallest of n/(64 x workers).
func TestPlanReportsShrinkingChunks(t *testing.T) {
	p := newPool(t, Workers(2))
	pl, err := p.Plan(1_000_000)
	require.NoError(t, err)
	assert.Equal(t, Plan{Tasks: 1_000_000, ChunkSize: 125_000, MinChunkSize: 7_813, Chunks: pl.Chunks, MaxActive: 500_000}, pl)
	s := shrinkingSchedule(1_000_000, 2)
	assert.Equal(t, int(s.chunks), pl.Chunks)
	// Rounds of 125,000, 93,750, 70,313, 52,735, 39,551, 29,663, 22,247,
	// 16,686, 12,514 and 9,386 in pairs cover 943,690; 8 chunks of 7,813
	// the rest.
	var sizes []int64
	for r := range s.rounds {
		sizes = append(sizes, s.roundSize(r))
	}
	assert.Equal(t, []int64{125_000, 93_750, 70_313, 52_735, 39_551, 29_663, 22_247, 16_686, 12_514, 9_386}, sizes)
	assert.Equal(t, 28, pl.Chunks)

	fixed, err := p.Plan(1_000_000, ChunkSize(1000))
	require.NoError(t, err)
	assert.Equal(t, Plan{Tasks: 1_000_000, ChunkSize: 1000, Chunks: 1000, MaxActive: 4000}, fixed)
}

// Chunk numbers map one to one onto positions; each lane's run starts with
// its chunk of the first round and its chunks never grow, and the lanes
// together hold about the same number of tasks.
func TestShrinkingLanes(t *testing.T) {
	for _, workers := range []int64{1, 2, 3, 16} {
		for _, n := range []int64{1, 5, 64, 100, 1000, 5000, 1_000_000} {
			s := shrinkingSchedule(n, int(workers))
			seen := make([]bool, s.chunks)
			tasks := make([]int64, workers)
			for q := range workers {
				prev := int64(1 << 62)
				for k := s.laneStart(q, workers); k < s.laneStart(q+1, workers); k++ {
					pos := s.position(k)
					require.True(t, pos >= 0 && pos < s.chunks && !seen[pos], "n=%d workers=%d: chunk %d at position %d", n, workers, k, pos)
					seen[pos] = true
					lo, hi := s.bounds(pos)
					if pos < s.chunks-1 {
						require.LessOrEqual(t, hi-lo, prev, "n=%d workers=%d lane %d: chunk %d grows", n, workers, q, k)
						prev = hi - lo
					}
					tasks[q] += hi - lo
				}
			}
			assert.Equal(t, s.chunks, s.laneStart(workers, workers))
			for pos, ok := range seen {
				require.True(t, ok, "n=%d workers=%d: position %d has no chunk number", n, workers, pos)
			}
			if s.floor != 0 && n >= 64*workers {
				for q := range workers {
					assert.InDelta(t, float64(n)/float64(workers), float64(tasks[q]), float64(2*s.floor), "n=%d workers=%d: lane %d's tasks", n, workers, q)
				}
			}
		}
	}
}
