package numavm

import (
	"strconv"
	"strings"
)

// A Run is what one guest wrote on its results port.
type Run struct {
	Booted   bool       // init started and named its machine
	Done     bool       // init reached its end
	Setup    []string   // setup lines that failed
	Sections []*Section // in order
}

// A Section is the output of one program the guest ran.
type Section struct {
	Name   string
	Output string
	Ended  bool // the program returned (RC is valid)
	RC     int
	// Start and End are the guest's uptime in seconds when the program
	// started and returned (0 when not reported).
	Start, End float64
}

// fields reads the words of a marker line after the verb: the first is
// the name, then key=value pairs.
func fields(rest string) (string, map[string]string) {
	words := strings.Fields(rest)
	kv := map[string]string{}
	if len(words) == 0 {
		return "", kv
	}
	for _, w := range words[1:] {
		if k, v, ok := strings.Cut(w, "="); ok {
			kv[k] = v
		}
	}
	return words[0], kv
}

// Section returns the section called name, or nil.
func (r *Run) Section(name string) *Section {
	for _, s := range r.Sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// ParseRun reads a results log: lines starting with Marker delimit the
// sections; carriage returns from the serial line are dropped.
func ParseRun(log string) *Run {
	r := &Run{}
	var cur *Section
	var out strings.Builder
	for line := range strings.Lines(strings.ReplaceAll(log, "\r", "")) {
		msg, ok := strings.CutPrefix(line, Marker)
		if !ok {
			if cur != nil {
				out.WriteString(line)
			}
			continue
		}
		msg = strings.TrimSpace(msg)
		verb, rest, _ := strings.Cut(msg, " ")
		switch verb {
		case "BOOTED":
			r.Booted = true
		case "DONE":
			r.Done = true
		case "SETUP":
			r.Setup = append(r.Setup, strings.TrimPrefix(rest, "FAILED: "))
		case "BEGIN":
			name, kv := fields(rest)
			cur = &Section{Name: name}
			cur.Start, _ = strconv.ParseFloat(kv["t"], 64)
			out.Reset()
			r.Sections = append(r.Sections, cur)
		case "END":
			name, kv := fields(rest)
			if cur != nil && cur.Name == name {
				cur.Output = out.String()
				cur.Ended = true
				rc, err := strconv.Atoi(kv["rc"])
				if err != nil {
					rc = -1
				}
				cur.RC = rc
				cur.End, _ = strconv.ParseFloat(kv["t"], 64)
				cur = nil
			}
		}
	}
	if cur != nil {
		cur.Output = out.String() // cut short: the guest stopped inside it
	}
	return r
}

// Tests is what a go test -test.v log says about each test, subtests
// included, by full name.
type Tests struct {
	Passed, Failed, Skipped []string
	// SkipReason holds the last line a skipped test logged, without its
	// file:line prefix ("" when none is found).
	SkipReason map[string]string
}

// CountTests reads the --- PASS/FAIL/SKIP lines of a -test.v log.
func CountTests(output string) Tests {
	t := Tests{SkipReason: map[string]string{}}
	lines := strings.Split(output, "\n")
	// The last message each test logged: parallel subtests print their
	// verdicts together, away from what they logged after === RUN, CONT
	// or NAME.
	last := map[string]string{}
	current := ""
	for i, line := range lines {
		s := strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(s, "=== "); ok {
			if f := strings.Fields(rest); len(f) == 2 {
				current = f[1]
			}
			continue
		}
		if msg, ok := logMessage(s); ok && current != "" {
			last[current] = msg
			continue
		}
		verdict, rest, ok := strings.Cut(s, ": ")
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(rest, " ")
		switch verdict {
		case "--- PASS":
			t.Passed = append(t.Passed, name)
		case "--- FAIL":
			t.Failed = append(t.Failed, name)
		case "--- SKIP":
			t.Skipped = append(t.Skipped, name)
			reason := skipReason(lines[:i])
			if reason == "" {
				reason = last[name]
			}
			t.SkipReason[name] = reason
		}
	}
	return t
}

// logMessage returns the message of a t.Log line ("file.go:12: msg").
func logMessage(l string) (string, bool) {
	loc, msg, ok := strings.Cut(l, ": ")
	if !ok || !strings.Contains(loc, ".go:") || strings.Contains(loc, " ") {
		return "", false
	}
	return msg, true
}

// skipReason finds the log line just above a --- SKIP line: -test.v prints
// a test's t.Skip message before its verdict.
func skipReason(before []string) string {
	for i := len(before) - 1; i >= 0; i-- {
		l := strings.TrimSpace(before[i])
		if strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			return ""
		}
		if msg, ok := logMessage(l); ok {
			return msg
		}
	}
	return ""
}
