package plan

import (
	"slices"
	"strings"
	"testing"
)

// drain plays rank 0 with two chunks prefetched per remote rank, remote
// ranks answering in the order given by pick, and rank 0 taking a local
// chunk every localEvery answers. It returns the chunks in hand-out order
// and the ranks that ran them.
func drain(t *testing.T, p *Plan, ranks, localEvery int, pick func(step int, queued [][][2]int) int) (chunks [][2]int, by []int) {
	t.Helper()
	queued := make([][][2]int, ranks)
	stops := make([]int, ranks)
	send := func(r int) {
		lo, hi, reply := p.Send(r)
		switch reply {
		case Work:
			queued[r] = append(queued[r], [2]int{lo, hi})
			chunks, by = append(chunks, [2]int{lo, hi}), append(by, r)
		case Stop:
			stops[r]++
		}
	}
	for r := 1; r < ranks; r++ {
		send(r)
		send(r)
	}
	for step := 0; ; step++ {
		if step%localEvery == 0 {
			if lo, hi, ok := p.Local(); ok {
				chunks, by = append(chunks, [2]int{lo, hi}), append(by, 0)
			}
		}
		if !p.Waiting() {
			break
		}
		r := pick(step, queued)
		if len(queued[r]) == 0 {
			t.Fatalf("step %d: rank %d picked with nothing queued", step, r)
		}
		queued[r] = queued[r][1:]
		if err := p.Answered(r); err != nil {
			t.Fatal(err)
		}
		send(r)
		if step > 10000 {
			t.Fatal("the plan never ends")
		}
	}
	for r := 1; r < ranks; r++ {
		if stops[r] != 1 || len(queued[r]) != 0 {
			t.Fatalf("rank %d: %d stops and %d chunks left, want exactly one stop and none left", r, stops[r], len(queued[r]))
		}
	}
	return chunks, by
}

// firstBusy answers from the lowest rank with work queued.
func firstBusy(_ int, queued [][][2]int) int {
	for r := 1; r < len(queued); r++ {
		if len(queued[r]) > 0 {
			return r
		}
	}
	return -1
}

// covers checks that the chunks, in hand-out order, tile 0..n-1.
func covers(t *testing.T, chunks [][2]int, n int) {
	t.Helper()
	next := 0
	for _, c := range chunks {
		if c[0] != next || c[1] <= c[0] {
			t.Fatalf("chunk %v after %d: chunks must tile 0..%d in order; all: %v", c, next, n-1, chunks)
		}
		next = c[1]
	}
	if next != n {
		t.Fatalf("chunks end at %d, want %d", next, n)
	}
}

func TestFixedChunks(t *testing.T) {
	p, err := New(10, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	chunks, by := drain(t, p, 2, 1, firstBusy)
	want := [][2]int{{0, 3}, {3, 6}, {6, 9}, {9, 10}}
	if !slices.Equal(chunks, want) {
		t.Fatalf("chunks %v, want %v", chunks, want)
	}
	// Rank 1 prefetches two, rank 0 takes the third, rank 1's first answer gets the last.
	if want := []int{1, 1, 0, 1}; !slices.Equal(by, want) {
		t.Fatalf("ranks %v, want %v", by, want)
	}
	if got := p.Given(); !slices.Equal(got, []int{1, 3}) {
		t.Fatalf("Given() = %v, want [1 3]", got)
	}
	if got := p.Tasks(); !slices.Equal(got, []int{3, 7}) {
		t.Fatalf("Tasks() = %v, want [3 7]", got)
	}
}

func TestGuidedSizes(t *testing.T) {
	p, err := New(1000, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	chunks, _ := drain(t, p, 2, 1, firstBusy)
	covers(t, chunks, 1000)
	// remaining/8, at least ceil(1000/256) = 4.
	wantSizes := []int{125, 110, 96, 84, 74, 64, 56, 49, 43, 38, 33, 29, 25, 22, 19, 17, 15, 13, 11, 10, 9, 8, 7, 6, 5, 4, 4, 4, 4, 4, 4, 4, 4}
	var sizes []int
	for _, c := range chunks {
		sizes = append(sizes, c[1]-c[0])
	}
	if !slices.Equal(sizes, wantSizes) {
		t.Fatalf("sizes %v, want %v", sizes, wantSizes)
	}
}

func TestSequenceIgnoresTiming(t *testing.T) {
	// Whoever answers first, the chunk boundaries are the same.
	var first [][2]int
	for seed := range 5 {
		p, err := New(777, 0, 4)
		if err != nil {
			t.Fatal(err)
		}
		chunks, by := drain(t, p, 4, seed+1, func(step int, queued [][][2]int) int {
			for k := range 3 {
				r := 1 + (step*(seed+1)+k)%3
				if len(queued[r]) > 0 {
					return r
				}
			}
			return firstBusy(step, queued)
		})
		covers(t, chunks, 777)
		if seed == 0 {
			first = chunks
		} else if !slices.Equal(chunks, first) {
			t.Fatalf("seed %d: chunks %v differ from %v", seed, chunks, first)
		}
		total := 0
		for _, g := range p.Given() {
			total += g
		}
		if total != len(chunks) || len(by) != len(chunks) {
			t.Fatalf("Given() sums to %d, want %d", total, len(chunks))
		}
	}
}

func TestSlowRankGetsLess(t *testing.T) {
	// Rank 2 answers once for every five answers of rank 1.
	p, err := New(600, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = drain(t, p, 3, 1000, func(step int, queued [][][2]int) int {
		if step%6 == 5 && len(queued[2]) > 0 || len(queued[1]) == 0 {
			return 2
		}
		return 1
	})
	g := p.Given()
	if g[1] <= 3*g[2] {
		t.Fatalf("chunks per rank %v: the slow rank 2 should get far fewer than rank 1", g)
	}
}

func TestHalt(t *testing.T) {
	p, err := New(100, 10, 3)
	if err != nil {
		t.Fatal(err)
	}
	for r := 1; r < 3; r++ {
		if _, _, reply := p.Send(r); reply != Work {
			t.Fatalf("rank %d: first reply %v, want Work", r, reply)
		}
	}
	p.Halt()
	if !p.Halted() {
		t.Fatal("Halted() = false after Halt")
	}
	if _, _, ok := p.Local(); ok {
		t.Fatal("Local handed out a chunk after Halt")
	}
	for r := 1; r < 3; r++ {
		if _, _, reply := p.Send(r); reply != Stop {
			t.Fatalf("rank %d: reply after Halt %v, want Stop", r, reply)
		}
		if _, _, reply := p.Send(r); reply != None {
			t.Fatalf("rank %d: second reply after Halt %v, want None", r, reply)
		}
	}
	if !p.Waiting() {
		t.Fatal("Waiting() = false while two chunks are unanswered")
	}
	for r := 1; r < 3; r++ {
		if err := p.Answered(r); err != nil {
			t.Fatal(err)
		}
	}
	if p.Waiting() {
		t.Fatal("Waiting() = true with every rank answered and stopped")
	}
	if err := p.Answered(1); err == nil || !strings.Contains(err.Error(), "rank 1 answered a chunk it was not sent") {
		t.Fatalf("extra answer: %v, want an error", err)
	}
}

func TestEmptyAndSingleRank(t *testing.T) {
	p, err := New(0, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	if chunks, _ := drain(t, p, 3, 1, firstBusy); len(chunks) != 0 {
		t.Fatalf("0 tasks gave chunks %v", chunks)
	}
	p, err = New(5, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Waiting() {
		t.Fatal("a single rank waits for nobody")
	}
	var got [][2]int
	for lo, hi, ok := p.Local(); ok; lo, hi, ok = p.Local() {
		got = append(got, [2]int{lo, hi})
	}
	if want := [][2]int{{0, 2}, {2, 4}, {4, 5}}; !slices.Equal(got, want) {
		t.Fatalf("local chunks %v, want %v", got, want)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		n, chunk, ranks int
		want            string
	}{
		{-1, 0, 2, "input length cannot be negative"},
		{5, -2, 2, "ChunkSize(-2): a chunk holds at least 1 task"},
		{5, 0, 0, "a call needs at least one rank"},
	} {
		if _, err := New(tc.n, tc.chunk, tc.ranks); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%d, %d, %d) = %v, want an error containing %q", tc.n, tc.chunk, tc.ranks, err, tc.want)
		}
	}
}

// TestEndDepth: once guided chunks reach the minimum, a remote rank that
// holds EndDepth chunks is answered Later instead of sent more, and still
// gets the rest of its share and its Stop; every task is handed out once.
// Without the cap, or with fixed chunks, Later never comes.
func TestEndDepth(t *testing.T) {
	for _, tc := range []struct {
		name        string
		chunk, cap  int
		wantLater   bool
		prefetch, n int
	}{
		{"guided-capped", 0, 2, true, 3, 5000},
		{"guided-uncapped", 0, 0, false, 3, 5000},
		{"fixed", 16, 2, false, 3, 5000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const ranks = 3
			p, err := New(tc.n, tc.chunk, ranks)
			if err != nil {
				t.Fatal(err)
			}
			p.EndDepth(tc.cap)
			held := make([][][2]int, ranks)
			stops := make([]int, ranks)
			seen := make([]int, tc.n)
			mark := func(lo, hi int) {
				for i := lo; i < hi; i++ {
					seen[i]++
				}
			}
			laters := 0
			send := func(r int) {
				ending := p.ending()
				before := len(held[r])
				lo, hi, reply := p.Send(r)
				switch reply {
				case Work:
					if tc.cap > 0 && ending && before >= tc.cap {
						t.Fatalf("rank %d held %d chunks near the end and was sent another (cap %d)", r, before, tc.cap)
					}
					held[r] = append(held[r], [2]int{lo, hi})
					mark(lo, hi)
				case Later:
					if !ending || before < tc.cap {
						t.Fatalf("rank %d answered Later holding %d chunks (cap %d, ending %v)", r, before, tc.cap, ending)
					}
					laters++
				case Stop:
					stops[r]++
				}
			}
			for r := 1; r < ranks; r++ {
				for range tc.prefetch {
					send(r)
				}
			}
			for step := 0; p.Waiting(); step++ {
				if step%2 == 0 {
					if lo, hi, ok := p.Local(); ok {
						mark(lo, hi)
					}
				}
				r := 1 + step%(ranks-1)
				if len(held[r]) == 0 {
					if stops[r] == 0 {
						t.Fatalf("step %d: rank %d holds nothing and was not stopped", step, r)
					}
					continue
				}
				held[r] = held[r][1:]
				if err := p.Answered(r); err != nil {
					t.Fatal(err)
				}
				send(r)
				if step > 100000 {
					t.Fatal("the plan never ends")
				}
			}
			for i, k := range seen {
				if k != 1 {
					t.Fatalf("task %d handed out %d times, want once", i, k)
				}
			}
			for r := 1; r < ranks; r++ {
				if stops[r] != 1 {
					t.Fatalf("rank %d stopped %d times, want once", r, stops[r])
				}
			}
			if (laters > 0) != tc.wantLater {
				t.Fatalf("%d Later answers, want some: %v", laters, tc.wantLater)
			}
		})
	}
}
