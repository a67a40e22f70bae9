package shm

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(arraysFreed{m}) }

// arraysFreed fails a passing run that leaves an array unfreed.
type arraysFreed struct{ m *testing.M }

func (a arraysFreed) Run() int {
	code := a.m.Run()
	if u := InUse(); code == 0 && (u.Arrays != 0 || u.Bytes != 0) {
		fmt.Fprintf(os.Stderr, "shm: the tests left %d arrays (%d bytes) unfreed\n", u.Arrays, u.Bytes)
		return 1
	}
	return code
}
