package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/numapool/numapool/numavm"
)

// verdict is the outcome of one machine.
type verdict struct {
	m        numavm.Machine
	took     time.Duration
	lines    []string // what ran, one line each
	problems []string // each one fails the machine
}

func (v *verdict) ok() bool { return len(v.problems) == 0 }

func (v *verdict) fail(format string, a ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, a...))
}

func (v *verdict) print(w io.Writer) {
	state := "PASS"
	if !v.ok() {
		state = "FAIL"
	}
	fmt.Fprintf(w, "== %s: %s in %s (%s)\n", v.m.Name, state, v.took.Round(time.Second), v.m.Doc)
	for _, l := range v.lines {
		fmt.Fprintf(w, "   %s\n", l)
	}
	for _, p := range v.problems {
		fmt.Fprintf(w, "   FAIL: %s\n", strings.ReplaceAll(p, "\n", "\n         "))
	}
}

// evaluate reads one machine's results: every test binary ran to its end
// and passed, the inspection tool ran, and hwloc agrees with the tool on
// the guest's dump. tool is the inspection tool, run here on the dump.
func evaluate(m numavm.Machine, res bootResult, dir, tool string) *verdict {
	v := &verdict{m: m, took: res.took}
	r := res.run
	switch {
	case res.err != nil:
		v.fail("QEMU failed: %v\n%s", res.err, strings.TrimSpace(res.qemuOut))
	case res.timedOut:
		where := "before any test"
		if n := len(r.Sections); n > 0 {
			where = "in " + r.Sections[n-1].Name
		}
		v.fail("timed out after %s, %s; QEMU was killed", res.took.Round(time.Second), where)
	}
	if !r.Booted {
		v.fail("the machine did not boot; the end of %s:\n%s", res.console, tail(readFile(res.console), 15))
		return v
	}
	for _, s := range r.Setup {
		v.fail("setup line failed: %s", s)
	}
	for _, name := range numavm.TestBinaries {
		v.testBinary(r.Section(name), name)
	}
	live, ok := v.toolJSON(r.Section("tool-json"))
	if s := r.Section("dump"); s == nil || !s.Ended || s.RC != 0 {
		v.fail("the guest's dump of /sys and /proc did not finish")
	} else if ok {
		v.hwloc(s.Output, filepath.Join(dir, "dump"), tool, live)
	}
	if !r.Done && !res.timedOut {
		v.fail("the guest stopped before the end of its init (see %s)", res.console)
	}
	return v
}

// testBinary checks the section of one test binary.
func (v *verdict) testBinary(s *numavm.Section, name string) {
	if s == nil {
		v.fail("%s: the tests did not start", name)
		return
	}
	t := numavm.CountTests(s.Output)
	line := fmt.Sprintf("%-9s %3d passed, %d failed, %d skipped", name, len(t.Passed), len(t.Failed), len(t.Skipped))
	if s.End > s.Start {
		line += fmt.Sprintf(" in %.0fs", s.End-s.Start)
	}
	if pattern, ok := numavm.SlowTests[name]; ok && !v.m.Slow {
		line += fmt.Sprintf(" (left out here, slow under TCG: %s)", pattern)
	}
	v.lines = append(v.lines, line)
	for _, sk := range t.Skipped {
		v.lines = append(v.lines, fmt.Sprintf("          skip %s: %s", sk, t.SkipReason[sk]))
	}
	var unknown []string
	for _, f := range t.Failed {
		if why, ok := numavm.Known(v.m.Name, name, f); ok {
			v.lines = append(v.lines, fmt.Sprintf("          KNOWN FAILURE %s: %s", f, why))
		} else {
			unknown = append(unknown, f)
		}
	}
	for _, p := range t.Passed {
		if _, ok := numavm.Known(v.m.Name, name, p); ok && !strings.Contains(p, "/") {
			v.lines = append(v.lines, fmt.Sprintf("          known failure %s passed: remove it from numavm.KnownFailures", p))
		}
	}
	switch {
	case !s.Ended:
		v.fail("%s: cut short; its last lines:\n%s", name, tail(s.Output, 20))
	case len(unknown) > 0 || s.RC != 0 && (s.RC != 1 || len(t.Failed) == 0):
		v.fail("%s: exit status %d, failed: %s; its last lines:\n%s", name, s.RC, strings.Join(unknown, " "), tail(failureLines(s.Output), 40))
	case len(t.Passed) == 0:
		v.fail("%s: no test passed; its output:\n%s", name, tail(s.Output, 20))
	}
}

// toolJSON reads the inspection tool's -json output, as the guest printed it.
func (v *verdict) toolJSON(s *numavm.Section) (numavm.Summary, bool) {
	var sum numavm.Summary
	if s == nil || !s.Ended || s.RC != 0 {
		v.fail("the inspection tool (-json) failed in the guest")
		return sum, false
	}
	if err := json.Unmarshal([]byte(s.Output), &sum); err != nil {
		v.fail("the inspection tool's -json output does not parse: %v", err)
		return sum, false
	}
	v.lines = append(v.lines, fmt.Sprintf("tool      %d packages, %d nodes, %d cores, %d PUs; usable %v", sum.Packages, sum.NUMANodes, sum.Cores, sum.PUs, sum.PUOSIndexes))
	return sum, true
}

// hwloc unpacks the guest's dump into dir, runs the inspection tool and
// lstopo --input on it, and compares them with each other and with what the
// tool said inside the guest.
func (v *verdict) hwloc(encoded, dir, tool string, live numavm.Summary) {
	if err := os.RemoveAll(dir); err != nil {
		v.fail("%v", err)
		return
	}
	if err := numavm.UnpackDump(encoded, dir); err != nil {
		v.fail("%v", err)
		return
	}
	out, err := exec.Command(tool, "-root", dir, "-json").Output()
	if err != nil {
		v.fail("the inspection tool on the dump: %v", err)
		return
	}
	var ours numavm.Summary
	if err := json.Unmarshal(out, &ours); err != nil {
		v.fail("the inspection tool's -json on the dump does not parse: %v", err)
		return
	}
	x, err := exec.Command("lstopo", "--input", dir, "--no-io", "--of", "xml", "-").Output()
	if err != nil {
		v.fail("lstopo --input %s: %v", dir, err)
		return
	}
	theirs, err := numavm.HwlocSummary(x)
	if err != nil {
		v.fail("%v", err)
		return
	}
	if !reflect.DeepEqual(live, ours) {
		v.fail("the tool in the guest and on its dump disagree: live %+v, dump %+v", live, ours)
	}
	if diffs := numavm.CompareSummaries(theirs, ours); len(diffs) > 0 {
		v.fail("hwloc and the inspection tool disagree on the guest's dump:\n%s", strings.Join(diffs, "\n"))
		return
	}
	v.lines = append(v.lines, "hwloc     lstopo --input on the guest's dump agrees with the tool")
}

// failureLines keeps the lines of a -test.v log that explain failures: from
// each --- FAIL or panic back to the test's === RUN, else the whole log.
func failureLines(out string) string {
	lines := strings.Split(out, "\n")
	var keep []string
	run := 0
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "=== RUN") {
			run = i
		}
		if strings.HasPrefix(t, "--- FAIL") || strings.HasPrefix(t, "panic:") {
			keep = append(keep, lines[run:i+1]...)
			run = i + 1
		}
	}
	if len(keep) == 0 {
		return out
	}
	return strings.Join(keep, "\n")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return strings.ReplaceAll(string(b), "\r", "")
}
