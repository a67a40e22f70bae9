package numavm_test

import (
	"testing"

	"github.com/numapool/numapool/numavm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRun(t *testing.T) {
	log := "noise before\r\n" +
		"=== NUMAVM BOOTED m with 4 CPUs online\r\n" +
		"=== NUMAVM SETUP FAILED: echo 1 > /nope\r\n" +
		"=== NUMAVM BEGIN shm t=1.50\r\n" +
		"=== RUN   TestA\r\n--- PASS: TestA (0.00s)\r\n" +
		"=== NUMAVM END shm rc=0 t=12.25\r\n" +
		"between\r\n" +
		"=== NUMAVM BEGIN numapool\r\n" +
		"--- FAIL: TestB (0.01s)\r\n" +
		"=== NUMAVM END numapool rc=1\r\n" +
		"=== NUMAVM BEGIN dump\r\n" +
		"QUJD\r\n"
	r := numavm.ParseRun(log)
	assert.True(t, r.Booted)
	assert.False(t, r.Done)
	assert.Equal(t, []string{"echo 1 > /nope"}, r.Setup)
	require.Len(t, r.Sections, 3)
	assert.Equal(t, &numavm.Section{Name: "shm", Output: "=== RUN   TestA\n--- PASS: TestA (0.00s)\n", Ended: true, RC: 0, Start: 1.5, End: 12.25}, r.Sections[0])
	assert.Equal(t, &numavm.Section{Name: "numapool", Output: "--- FAIL: TestB (0.01s)\n", Ended: true, RC: 1}, r.Sections[1])
	assert.Equal(t, &numavm.Section{Name: "dump", Output: "QUJD\n"}, r.Sections[2])
	assert.Same(t, r.Sections[1], r.Section("numapool"))
	assert.Nil(t, r.Section("topology"))

	r = numavm.ParseRun("=== NUMAVM BOOTED m\n=== NUMAVM BEGIN a\n=== NUMAVM END a rc=x\n=== NUMAVM DONE\n")
	assert.True(t, r.Done)
	assert.Equal(t, -1, r.Section("a").RC)
	assert.False(t, numavm.ParseRun("kernel panic\n").Booted)
}

func TestCountTests(t *testing.T) {
	out := `=== RUN   TestA
--- PASS: TestA (0.00s)
=== RUN   TestB
=== RUN   TestB/one
    b_test.go:9: boom
    --- FAIL: TestB/one (0.00s)
    --- PASS: TestB/two (0.00s)
--- FAIL: TestB (0.00s)
=== RUN   TestC
    c_test.go:2: a log line
    c_test.go:3: needs two nodes
--- SKIP: TestC (0.00s)
=== RUN   TestD
--- SKIP: TestD (0.00s)
=== RUN   TestE
=== RUN   TestE/x
=== PAUSE TestE/x
=== CONT  TestE/x
    e_test.go:5: no PAGEMAP_SCAN
--- PASS: TestE (0.01s)
    --- SKIP: TestE/x (0.00s)
FAIL
`
	got := numavm.CountTests(out)
	assert.Equal(t, []string{"TestA", "TestB/two", "TestE"}, got.Passed)
	assert.Equal(t, []string{"TestB/one", "TestB"}, got.Failed)
	assert.Equal(t, []string{"TestC", "TestD", "TestE/x"}, got.Skipped)
	assert.Equal(t, "needs two nodes", got.SkipReason["TestC"])
	assert.Equal(t, "", got.SkipReason["TestD"])
	assert.Equal(t, "no PAGEMAP_SCAN", got.SkipReason["TestE/x"], "a parallel subtest's message, logged away from its verdict")
}
