package numapool

import "time"

// abandonWorker detaches w, which is inside job b and does not return from
// its task, from the pool: the job stops counting it, Close and Terminate
// stop waiting for its thread, and a fresh thread with the same worker ID
// and CPUs takes its place (unless the pool is stopping). Go cannot stop a
// goroutine, so w's task runs on; when it returns, w notices it was
// abandoned, touches nothing of the call, runs its exit function (if any),
// and ends its thread. It reports whether it abandoned w (false: w left b
// on its own first, or another caller abandoned it).
//
// b counts w out last: a caller that waits for b to drain (and then may
// Close the pool at once) returns only after w's MapInto copy ended and
// w's replacement counts among the pool's threads. The replacement is
// counted before w is counted out, so the count never passes through zero
// here, and a Close waiting for the threads waits for the replacement too.
func (p *Pool) abandonWorker(w *Worker, b *jobBase) bool {
	if !w.inJob.CompareAndSwap(b, nil) {
		return false
	}
	w.abandoned.Store(true)
	// A worker copying results into caller memory (MapInto) finishes that
	// copy first: the call must not return while it writes.
	for w.storing.Load() {
		time.Sleep(time.Microsecond)
	}
	p.abandonedThreads.Add(1)
	p.replace(w)
	p.threads.Done() // its goroutine no longer counts as a pool thread
	b.inside.Add(-1)
	b.signal()
	return true
}
