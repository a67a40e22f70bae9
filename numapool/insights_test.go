package numapool

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The slowest task is made slowest without a race against the clock: the
// last task waits until every other one is recorded, then runs longer than
// all of them together (Insights.Total.Working, read during the call), so
// that it wins on a machine of any speed.
func TestInsights(t *testing.T) {
	off := newPool(t, Workers(1))
	_, ok := off.Insights()
	assert.False(t, ok, "off by default")

	st := NewWorkerState(func(w *Worker) (int, error) { time.Sleep(2 * time.Millisecond); return 0, nil },
		func(w *Worker, s *int) (any, error) { return nil, nil })
	p, err := New(Workers(2), WithInsights(), WithState(st))
	require.NoError(t, err)
	const n, slow = 100, 99
	task := func(w *Worker, x int) (int, error) {
		if x != slow {
			return x, nil
		}
		start := time.Now()
		for {
			// A chunk's time is added before its task count, so once
			// every other task is counted, Working holds all their time.
			in, _ := p.Insights()
			if in.Total.Tasks == n-1 && time.Since(start) > max(in.Total.Working, 20*time.Millisecond) {
				return x, nil
			}
			if time.Since(start) > time.Minute { // a hang guard, not a timing
				return 0, fmt.Errorf("after a minute, %d of the other %d tasks are recorded", in.Total.Tasks, n-1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	_, err = MapFunc(p, countTo(n), task, ChunkSize(1))
	require.NoError(t, err)
	in, ok := p.Insights()
	require.True(t, ok)
	require.NotEmpty(t, in.Slowest)
	assert.Equal(t, SlowTask{WorkerID: in.Slowest[0].WorkerID, Index: slow, Tasks: 1, Arg: "99", Duration: in.Slowest[0].Duration}, in.Slowest[0])
	assert.GreaterOrEqual(t, in.Slowest[0].Duration, 20*time.Millisecond)
	assert.GreaterOrEqual(t, in.Total.Working, 20*time.Millisecond)
	assert.LessOrEqual(t, len(in.Slowest), slowestKept)
	s := in.String()
	assert.Contains(t, s, "task 99 on worker")

	require.NoError(t, For(p, 50, func(lo, hi int) {}, ChunkSize(5)))
	in, _ = p.Insights()
	require.Len(t, in.Workers, 2)
	assert.Equal(t, int64(150), in.Total.Tasks, "100 map tasks and 50 loop indices")
	var tasks int64
	for id, w := range in.Workers {
		assert.Equal(t, id, w.ID)
		assert.Positive(t, w.StartUp)
		tasks += w.Tasks
	}
	assert.Equal(t, in.Total.Tasks, tasks)
	assert.GreaterOrEqual(t, in.Total.Init, 2*time.Millisecond, "init time recorded")
	s = in.String()
	assert.Contains(t, s, "working %")
	assert.Equal(t, 2+1+1, strings.Count(strings.Split(s, "\nslowest")[0], "\n"), "header, two workers, total")
	require.NoError(t, p.Close())
	in, _ = p.Insights()
	assert.Positive(t, in.Total.Exit+in.Total.Init, "exit time recorded at Close")
}

// With chunks of several tasks, insights name the slowest chunk by its
// range and first argument.
func TestInsightsSlowestChunk(t *testing.T) {
	p := newPool(t, Workers(2), WithInsights())
	_, err := Map(p, countTo(100), func(x int) int {
		if x == 57 {
			time.Sleep(20 * time.Millisecond)
		}
		return x
	}, ChunkSize(10))
	require.NoError(t, err)
	in, _ := p.Insights()
	require.NotEmpty(t, in.Slowest)
	assert.Equal(t, 50, in.Slowest[0].Index)
	assert.Equal(t, 10, in.Slowest[0].Tasks)
	assert.Equal(t, "50", in.Slowest[0].Arg)
	assert.Contains(t, in.String(), "tasks 50-59 on worker")
}
