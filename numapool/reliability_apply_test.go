package numapool

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Apply and ApplyAsync refuse the call options of many tasks with one
// error that names the options that apply; the task never runs, and the
// pool stays usable.
func TestApplyRefusesOptionsOfManyTasks(t *testing.T) {
	p := newPool(t, Workers(2))
	const want = "numapool: Apply and ApplyAsync run one task: of the call options only Context, TaskTimeout, ProgressBar and CustomProgressBar apply (ChunkSize, IterableLen, MaxTasksActive, WorkerLifespan and OrderTasks are for calls over many tasks)"
	for name, opt := range map[string]CallOption{
		"ChunkSize(2)":      ChunkSize(2),
		"IterableLen(0)":    IterableLen(0),
		"MaxTasksActive(1)": MaxTasksActive(1),
		"WorkerLifespan(1)": WorkerLifespan(1),
		"OrderTasks()":      OrderTasks(),
	} {
		var ran atomic.Int64
		task := func(*Worker) (int, error) { ran.Add(1); return 1, nil }
		v, err := Apply(p, task, opt)
		assert.EqualError(t, err, want, "Apply with %s", name)
		assert.Zero(t, v, name)
		f := ApplyAsync(p, task, opt)
		assert.True(t, f.Ready(), "ApplyAsync with %s resolves at once", name)
		_, err = f.Get()
		assert.EqualError(t, err, want, "ApplyAsync with %s", name)
		assert.Zero(t, ran.Load(), "the task of an Apply with %s ran", name)
	}
	v, err := Apply(p, func(*Worker) (int, error) { return 2, nil })
	assert.NoError(t, err)
	assert.Equal(t, 2, v)
}
