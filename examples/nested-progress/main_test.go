package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// runAsMain makes the test binary act as the program, so that tests can
// run it with its own stderr: a pipe, or a terminal in tmux.
const runAsMain = "NESTED_PROGRESS_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runAsMain) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// sumOfSquares is the sum of x*x for x in 0..n-1.
func sumOfSquares(n int) int { return (n - 1) * n * (2*n - 1) / 6 }

// program is the command that runs this test binary as the program.
func program(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), runAsMain+"=1")
	return cmd
}

// stats matches a finished bar's counts, times, rate and status.
func stats(n int) string {
	return fmt.Sprintf(`%d/%d +100%% \| \d+\.\ds \| \d+\.\d[kMG]?/s \| done`, n, n)
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run([]string{"-inputs", "3", "-size", "10", "-delay", "0"}, &out))
	assert.Equal(t, fmt.Sprintf("sum of squares: %d\n", sumOfSquares(30)), out.String())
}

func TestBadFlags(t *testing.T) {
	var out bytes.Buffer
	assert.ErrorContains(t, run([]string{"-inputs", "0"}, &out), "-inputs and -size must be at least 1")
	assert.ErrorContains(t, run([]string{"-inner", "0"}, &out), "-inner at least 1")
	assert.ErrorContains(t, run([]string{"-delay", "-1s"}, &out), "-delay cannot be negative")
	assert.Empty(t, out.String())
}

// Off a terminal (stderr is a pipe): plain lines, no control codes, one
// final line per inner bar and the outer bar's final line last.
func TestPlainOutput(t *testing.T) {
	const inputs, size = 5, 20
	cmd := program(t, "-inputs", fmt.Sprint(inputs), "-size", fmt.Sprint(size), "-workers", "2", "-delay", "0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	assert.Equal(t, fmt.Sprintf("sum of squares: %d\n", sumOfSquares(inputs*size)), stdout.String())

	text := stderr.String()
	assert.NotContains(t, text, "\x1b")
	assert.NotContains(t, text, "\r")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	assert.Regexp(t, `^outer: `+stats(inputs)+`$`, lines[len(lines)-1])
	for i := range inputs {
		final := regexp.MustCompile(fmt.Sprintf(`(?m)^worker [01]: input %d: %s$`, i, stats(size)))
		assert.Len(t, final.FindAllString(text, -1), 1, "one final line for input %d in:\n%s", i, text)
	}
}

// In a real terminal (tmux): the outer bar on top, every inner bar kept
// under it ordered by worker ID, each at 100%, then the program's own
// output; nothing else on the screen, so no frame tore or overwrote
// another.
func TestTerminal(t *testing.T) {
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		t.Skip("tmux is not installed: `make test` installs it (apt-get install tmux); skipping the terminal test of the nested bars")
	}
	const inputs, size = 6, 30
	exe, err := os.Executable()
	require.NoError(t, err)
	socket := fmt.Sprintf("numapool-nested-progress-%d", os.Getpid())
	tm := func(args ...string) *exec.Cmd {
		cmd := exec.Command(tmux, append([]string{"-L", socket, "-f", "/dev/null"}, args...)...)
		// A server of its own even when the tests run inside tmux.
		cmd.Env = slices.DeleteFunc(os.Environ(), func(v string) bool { return strings.HasPrefix(v, "TMUX=") })
		return cmd
	}
	// The program, then its exit status; cat keeps the pane open until
	// the server is killed. /bin/sh, whatever the user's shell.
	script := fmt.Sprintf("%s=1 \"$0\" -inputs %d -size %d -workers 2 -delay 1ms -keep; echo \"exit status $?\"; exec cat",
		runAsMain, inputs, size)
	out, err := tm("new-session", "-d", "-x", "120", "-y", "40", "-s", "np", "/bin/sh", "-c", script, exe).CombinedOutput()
	require.NoError(t, err, "starting tmux: %s", out)
	t.Cleanup(func() { _ = tm("kill-server").Run() })

	// Wait for the program to end: a deadline for a hung run, not a
	// measure of speed.
	var screen string
	for deadline := time.Now().Add(3 * time.Minute); ; {
		out, err := tm("capture-pane", "-p", "-t", "np").Output()
		require.NoError(t, err)
		screen = string(out)
		if strings.Contains(screen, "exit status") || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var lines []string
	for _, l := range strings.Split(screen, "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			lines = append(lines, l)
		}
	}
	t.Logf("screen:\n%s", strings.Join(lines, "\n"))
	require.Len(t, lines, 1+inputs+2, "outer bar, %d inner bars, the sum and the exit status", inputs)
	assert.Regexp(t, `^outer +\[=+\] +`+stats(inputs)+`$`, lines[0])
	inner := regexp.MustCompile(`^worker ([01]): input (\d) +\[=+\] +` + stats(size) + `$`)
	seen, worker := map[string]bool{}, "0"
	for _, l := range lines[1 : 1+inputs] {
		m := inner.FindStringSubmatch(l)
		require.NotNil(t, m, "inner bar: %q", l)
		assert.GreaterOrEqual(t, m[1], worker, "inner bars are ordered by worker ID")
		worker = m[1]
		seen[m[2]] = true
	}
	assert.Len(t, seen, inputs, "one bar per input")
	assert.Equal(t, "sum of squares: "+strconv.Itoa(sumOfSquares(inputs*size)), lines[1+inputs])
	assert.Equal(t, "exit status 0", lines[2+inputs])
}
