package mpi

import (
	"errors"
	"os"
	"strconv"
	"testing"
)

func TestWorld(t *testing.T) {
	c := needWorld(t)
	size, _ := strconv.Atoi(os.Getenv("OMPI_COMM_WORLD_SIZE"))
	rank, _ := strconv.Atoi(os.Getenv("OMPI_COMM_WORLD_RANK"))
	if c.Size() != size || c.Rank() != rank {
		t.Errorf("rank %d of %d, but mpirun says rank %d of %d", c.Rank(), c.Size(), rank, size)
	}
	if c.ThreadLevel() < ThreadFunneled {
		t.Errorf("thread level %v, want at least %v", c.ThreadLevel(), ThreadFunneled)
	}
	if err := c.Barrier(); err != nil {
		t.Error(err)
	}
	if _, err := Init(); err == nil {
		t.Error("a second Init succeeded")
	}
}

func TestThreadLevelNames(t *testing.T) {
	for l, want := range map[ThreadLevel]string{ThreadSingle: "MPI_THREAD_SINGLE", ThreadFunneled: "MPI_THREAD_FUNNELED",
		ThreadSerialized: "MPI_THREAD_SERIALIZED", ThreadMultiple: "MPI_THREAD_MULTIPLE", 99: "ThreadLevel(99)"} {
		if got := l.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(l), got, want)
		}
	}
	if !(ThreadSingle < ThreadFunneled && ThreadFunneled < ThreadSerialized && ThreadSerialized < ThreadMultiple) {
		t.Error("thread levels are not in the standard's order")
	}
}

// sameOnEveryRank reports whether v is equal on every rank.
func sameOnEveryRank(t *testing.T, c *Comm, v int64) bool {
	t.Helper()
	var all []int64
	if err := c.do(func(th *thread) error {
		var err error
		all, err = th.allMax([]int64{v, -v})
		return err
	}); err != nil {
		t.Error(err)
		return false
	}
	return all[0] == -all[1]
}

var errBoom = errors.New("boom")
