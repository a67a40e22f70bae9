package numapool

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// threadTicks returns the CPU time (user + system, in clock ticks) the
// kernel has charged to thread tid of this process.
func threadTicks(t *testing.T, tid int) int {
	t.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	require.NoError(t, err)
	// The command name may hold spaces; fields count from after its ')'.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, err := strconv.Atoi(fields[11])
	require.NoError(t, err)
	stime, err := strconv.Atoi(fields[12])
	require.NoError(t, err)
	return utime + stime
}

// An idle pool parks its workers: over an idle stretch their threads are
// charged no CPU time. This checks a behaviour (parking), not a speed: a
// spinning worker would be charged the whole stretch, whatever the load of
// the machine. A clock tick is 10 ms, so one tick per worker is allowed for
// a park that straddles a tick boundary.
func TestIdlePoolUsesNoCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc/self/task on this system:", err)
	}
	p := newPool(t)
	tids := threadsOfWorkers(t, p)
	before := map[int]int{}
	for id, tid := range tids {
		before[id] = threadTicks(t, tid)
	}
	time.Sleep(500 * time.Millisecond)
	for id, tid := range tids {
		assert.LessOrEqual(t, threadTicks(t, tid)-before[id], 1, "worker %d (thread %d) used CPU while idle", id, tid)
	}
}
