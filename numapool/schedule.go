package numapool

// A schedule cuts n tasks into chunks and maps chunk k to its tasks
// [lo, hi). Fixed schedules cut equal chunks (the last may be shorter).
// Shrinking schedules, the default over a slice, cut rounds of one chunk
// per worker, each chunk a 1/(roundShare x workers) share of the tasks
// left when its round starts, down to a floor, then chunks of the floor to
// the end: the early chunks are big enough to cost few hand-outs, none is
// a large part of a worker's share (a heavy first chunk would be the tail
// when costs fall with the index), and the small last ones leave no worker
// a long tail while the others wait. This is OpenMP's guided schedule,
// with sizes fixed in advance so that chunk k always covers the same
// tasks, which keeps Reduce deterministic.
//
// bounds costs a multiply (fixed) or two divisions and a multiply
// (shrinking); it allocates nothing.
type schedule struct {
	n      int64 // tasks
	size   int64 // tasks per chunk (fixed), or in the first round (shrinking)
	floor  int64 // tasks per chunk after the rounds; 0: fixed
	w      int64 // chunks per round
	rounds int64 // rounds before the floor
	chunks int64
	starts [maxRounds + 1]int64 // task where each round starts, and starts[rounds]
}

// roundShare: a round's chunks together take 1/roundShare of the tasks
// left, so sizes fall by a quarter from round to round.
const roundShare = 4

// maxRounds bounds the rounds: from n/(4w) down to the floor n/(64w) at
// a factor 3/4 a round takes 10 rounds.
const maxRounds = 16

// Shrinking schedules: the floor is a 1/minChunksPerWorker share of a
// worker's tasks, so the last chunks are small next to a worker's share.
const minChunksPerWorker = 64

// fixedSchedule cuts n tasks into chunks of size.
func fixedSchedule(n, size int64) schedule {
	return schedule{n: n, size: size, chunks: ceilDiv64(n, size)}
}

// shrinkingSchedule cuts n > 0 tasks for workers workers.
func shrinkingSchedule(n int64, workers int) schedule {
	w := int64(workers)
	s := schedule{n: n, w: w}
	s.floor = max(1, ceilDiv64(n, satMul64(minChunksPerWorker, w)))
	at := int64(0)
	for r := range int64(maxRounds) {
		sz := ceilDiv64(n-at, satMul64(roundShare, w))
		if sz <= s.floor || at+satMul64(w, sz) > n {
			break
		}
		at += w * sz
		s.rounds = r + 1
		s.starts[r+1] = at
	}
	if s.rounds == 0 {
		return fixedSchedule(n, s.floor)
	}
	s.size = s.starts[1] / w
	s.chunks = s.rounds*w + ceilDiv64(n-at, s.floor)
	return s
}

// roundSize is the chunk size of round r of a shrinking schedule.
func (s *schedule) roundSize(r int64) int64 {
	return (s.starts[r+1] - s.starts[r]) / s.w
}

// bounds returns the tasks [lo, hi) of the chunk at position k.
func (s *schedule) bounds(k int64) (lo, hi int64) {
	sz := s.size
	switch {
	case s.floor == 0:
		lo = k * sz
	case k < s.rounds*s.w:
		r := k / s.w
		sz = s.roundSize(r)
		lo = s.starts[r] + (k-r*s.w)*sz
	default:
		sz = s.floor
		lo = s.starts[s.rounds] + (k-s.rounds*s.w)*sz
	}
	return lo, min(lo+sz, s.n)
}

// Chunks are handed out by number (lanes, see sliceJob) and placed in the
// input by position, which bounds takes. In a fixed schedule they are the
// same. In a shrinking one, numbers run lane by lane: lane q's run holds
// its chunk of every round, largest first, then its share of the chunks
// of the floor size; so each worker starts on a big chunk and ends on
// small ones, and a thief, which takes the back half of a run, takes the
// smallest.

// laneStart returns the first chunk number of lane q of workers lanes.
func (s *schedule) laneStart(q, workers int64) int64 {
	if s.floor == 0 {
		return s.chunks * q / workers
	}
	start, _ := s.tailShare(q)
	return q*s.rounds + start
}

// tailShare returns where lane q's share of the floor-size chunks starts
// among them, and how many it holds.
func (s *schedule) tailShare(q int64) (start, count int64) {
	t := s.chunks - s.rounds*s.w
	base, extra := t/s.w, t%s.w
	start, count = q*base+min(q, extra), base
	if q < extra {
		count++
	}
	return start, count
}

// position returns the position in the input of chunk number k.
func (s *schedule) position(k int64) int64 {
	if s.floor == 0 {
		return k
	}
	t := s.chunks - s.rounds*s.w
	base, extra := t/s.w, t%s.w
	long := s.rounds + base + 1 // runs of the first extra lanes
	var q, p int64
	if k < extra*long {
		q, p = k/long, k%long
	} else {
		k -= extra * long
		q, p = extra+k/(long-1), k%(long-1)
	}
	if p < s.rounds {
		return p*s.w + q
	}
	start, _ := s.tailShare(q)
	return s.rounds*s.w + start + p - s.rounds
}

// smallest returns the size of the smallest chunk before the last one.
func (s *schedule) smallest() int64 {
	if s.floor == 0 {
		return s.size
	}
	return s.floor
}

func ceilDiv64(a, b int64) int64 { return int64(ceilDiv(int(a), int(b))) }

func satMul64(a, b int64) int64 { return int64(satMul(int(a), int(b))) }
