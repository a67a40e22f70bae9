package main

import (
	"strings"
	"testing"
	"time"

	"github.com/numapool/numapool/numavm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func section(name, out string, rc int) *numavm.Section {
	return &numavm.Section{Name: name, Output: out, Ended: true, RC: rc, Start: 10, End: 22}
}

func TestTestBinaryVerdicts(t *testing.T) {
	numavm.KnownFailures["m/numapool/TestKnown"] = "reported"
	defer delete(numavm.KnownFailures, "m/numapool/TestKnown")
	m := numavm.Machine{Name: "m", Slow: true}
	for _, c := range []struct {
		name    string
		s       *numavm.Section
		problem string // "" when the binary passes
		line    string // a line the summary must hold
	}{
		{"pass", section("numapool", "--- PASS: TestA (0.00s)\n", 0), "", "numapool    1 passed, 0 failed, 0 skipped in 12s"},
		{"known", section("numapool", "--- PASS: TestA (0.00s)\n--- FAIL: TestKnown (0.00s)\nFAIL\n", 1), "", "KNOWN FAILURE TestKnown: reported"},
		{"known passes", section("numapool", "--- PASS: TestKnown (0.00s)\n", 0), "", "known failure TestKnown passed: remove it from numavm.KnownFailures"},
		{"unknown", section("numapool", "=== RUN   TestB\n    b_test.go:1: boom\n--- FAIL: TestB (0.00s)\n--- FAIL: TestKnown (0.00s)\n", 1), "numapool: exit status 1, failed: TestB;", ""},
		{"panic", section("numapool", "--- PASS: TestA (0.00s)\npanic: boom\n", 2), "numapool: exit status 2, failed: ;", ""},
		{"known then panic", section("numapool", "--- FAIL: TestKnown (0.00s)\npanic: test timed out\n", 2), "numapool: exit status 2", ""},
		{"goleak", section("numapool", "--- PASS: TestA (0.00s)\ngoleak: Errors on successful test run\n", 1), "numapool: exit status 1", ""},
		{"nothing passed", section("numapool", "PASS\n", 0), "numapool: no test passed", ""},
		{"cut short", &numavm.Section{Name: "numapool", Output: "--- PASS: TestA (0.00s)\n"}, "numapool: cut short", ""},
		{"missing", nil, "numapool: the tests did not start", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := &verdict{m: m}
			v.testBinary(c.s, "numapool")
			if c.problem == "" {
				assert.Empty(t, v.problems)
			} else {
				require.Len(t, v.problems, 1)
				assert.True(t, strings.HasPrefix(v.problems[0], c.problem), "problem %q", v.problems[0])
			}
			if c.line != "" {
				assert.Contains(t, strings.Join(v.lines, "\n"), c.line)
			}
		})
	}
}

func TestEvaluateMachineLevelFailures(t *testing.T) {
	m := numavm.Machine{Name: "m"}
	console := t.TempDir() + "/console.log"
	v := evaluate(m, bootResult{run: numavm.ParseRun("kernel said nothing\n"), console: console, took: time.Second}, t.TempDir(), "")
	require.Len(t, v.problems, 1)
	assert.True(t, strings.HasPrefix(v.problems[0], "the machine did not boot"), v.problems[0])

	r := numavm.ParseRun("=== NUMAVM BOOTED m\n=== NUMAVM SETUP FAILED: echo 1 > /x\n=== NUMAVM BEGIN topology\n")
	v = evaluate(m, bootResult{run: r, timedOut: true, took: 8 * time.Minute, console: console}, t.TempDir(), "")
	assert.Equal(t, "timed out after 8m0s, in topology; QEMU was killed", v.problems[0])
	assert.Equal(t, "setup line failed: echo 1 > /x", v.problems[1])
	assert.Contains(t, v.problems, "topology: cut short; its last lines:\n")
	assert.Contains(t, v.problems, "shm: the tests did not start")
	assert.Contains(t, v.problems, "the inspection tool (-json) failed in the guest")
	assert.Contains(t, v.problems, "the guest's dump of /sys and /proc did not finish")
	assert.False(t, v.ok())
}

func TestFailureLines(t *testing.T) {
	out := "=== RUN   TestA\n--- PASS: TestA (0.00s)\n=== RUN   TestB\n    b.go:1: boom\n--- FAIL: TestB (0.00s)\n=== RUN   TestC\n--- PASS: TestC (0.00s)\n"
	assert.Equal(t, "=== RUN   TestB\n    b.go:1: boom\n--- FAIL: TestB (0.00s)", failureLines(out))
	assert.Equal(t, "x\ny", failureLines("x\ny"))
	assert.Equal(t, "b\nc", tail("a\nb\nc\n", 2))
}

func TestLinkerNoise(t *testing.T) {
	out := "/usr/bin/ld: /tmp/x.o: in function `mygetpwuid_r':\n" +
		"warning: Using 'getpwuid_r' in statically linked applications requires at runtime the shared libraries\n" +
		"real error\n"
	assert.Equal(t, "real error\n", linkerNoise([]byte(out)))
}
