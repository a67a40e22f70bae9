package bench

import (
	"testing"

	"go.uber.org/goleak"
)

// ants starts a default pool, with its purge and ticker goroutines, when
// the package is initialised, before TestMain runs; IgnoreCurrent leaves
// those (and only the goroutines alive now) out, so every goroutine a case
// starts must still end by its Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m, goleak.IgnoreCurrent()) }

func usableCPUs(t testing.TB) int {
	t.Helper()
	n, err := UsableCPUs()
	if err != nil {
		t.Fatal(err)
	}
	return n
}
