package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A Result is one line of `go test -bench` output (or of the OpenMP
// program), for a benchmark named Workload/Case.
type Result struct {
	Name        string  // "Tiny/numapool": no "Benchmark", no -GOMAXPROCS
	NsPerOp     float64 // ns/op
	AllocsPerOp float64 // allocs/op, or -1 where the line has none
	Tasks       float64 // tasks/op, or 0 where the line has none
}

var benchLine = regexp.MustCompile(`^Benchmark(\S+?)(?:-\d+)?\s+\d+\s+(.*)$`)

// ParseBench reads the result lines of `go test -bench` output; other
// lines are skipped. A result line without ns/op is an error.
func ParseBench(r io.Reader) ([]Result, error) {
	var rs []Result
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		res := Result{Name: m[1], NsPerOp: -1, AllocsPerOp: -1}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bench: line %d: value %q of %s is not a number", line, f[i], f[i+1])
			}
			switch f[i+1] {
			case "ns/op":
				res.NsPerOp = v
			case "allocs/op":
				res.AllocsPerOp = v
			case "tasks/op":
				res.Tasks = v
			}
		}
		if res.NsPerOp < 0 {
			return nil, fmt.Errorf("bench: line %d: %s has no ns/op", line, res.Name)
		}
		rs = append(rs, res)
	}
	return rs, sc.Err()
}

// A Row is the median of one case's runs.
type Row struct {
	Workload, Case string
	Runs           int
	NsPerOp        float64 // median
	AllocsPerTask  float64 // median allocs/op over tasks/op; -1 where unknown
}

// Summarize gives each Workload/Case its median over runs, in the order
// the names first appear.
func Summarize(rs []Result) []Row {
	var order []string
	runs := map[string][]Result{}
	for _, r := range rs {
		if _, ok := runs[r.Name]; !ok {
			order = append(order, r.Name)
		}
		runs[r.Name] = append(runs[r.Name], r)
	}
	rows := make([]Row, 0, len(order))
	for _, name := range order {
		w, c, _ := strings.Cut(name, "/")
		ns := make([]float64, 0, len(runs[name]))
		allocs := make([]float64, 0, len(runs[name]))
		for _, r := range runs[name] {
			ns = append(ns, r.NsPerOp)
			if r.AllocsPerOp >= 0 && r.Tasks > 0 {
				allocs = append(allocs, r.AllocsPerOp/r.Tasks)
			}
		}
		row := Row{Workload: w, Case: c, Runs: len(ns), NsPerOp: median(ns), AllocsPerTask: -1}
		if len(allocs) > 0 {
			row.AllocsPerTask = median(allocs)
		}
		rows = append(rows, row)
	}
	return rows
}

func median(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// WriteRatios writes one line per workload: subject's median and its ratio
// to every other case of the same workload, as "/case ratio" (below 1:
// subject is faster).
// A workload without subject gets a line that says so.
func WriteRatios(w io.Writer, rows []Row, subject string) error {
	for _, wl := range workloads(rows) {
		var own *Row
		for i := range rows {
			if rows[i].Workload == wl && rows[i].Case == subject {
				own = &rows[i]
			}
		}
		if own == nil {
			if _, err := fmt.Fprintf(w, "%-11s no %s case\n", wl, subject); err != nil {
				return err
			}
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%-11s %s %s:", wl, subject, duration(own.NsPerOp))
		for _, r := range rows {
			if r.Workload == wl && r.Case != subject {
				fmt.Fprintf(&b, " /%s %s", r.Case, ratio(own.NsPerOp, r.NsPerOp))
			}
		}
		if _, err := fmt.Fprintln(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// WriteMarkdown writes one table per workload: every case's median, its
// time over seq's, subject's time over its and its allocations per task.
func WriteMarkdown(w io.Writer, rows []Row, subject string) error {
	for _, wl := range workloads(rows) {
		seq, own := -1.0, -1.0
		for _, r := range rows {
			if r.Workload == wl && r.Case == "seq" {
				seq = r.NsPerOp
			}
			if r.Workload == wl && r.Case == subject {
				own = r.NsPerOp
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "\n**%s**\n\n| case | runs | median | ÷ seq | %s ÷ case | allocs/task |\n| --- | ---: | ---: | ---: | ---: | ---: |\n", wl, subject)
		for _, r := range rows {
			if r.Workload != wl {
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", r.Case, r.Runs, duration(r.NsPerOp),
				ratio(r.NsPerOp, seq), ratio(own, r.NsPerOp), allocs(r.AllocsPerTask))
		}
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

func workloads(rows []Row) []string {
	var ws []string
	for _, r := range rows {
		if !slices.Contains(ws, r.Workload) {
			ws = append(ws, r.Workload)
		}
	}
	return ws
}

func ratio(a, b float64) string {
	if a < 0 || b <= 0 {
		return "–"
	}
	if r := a / b; r < 0.01 {
		return fmt.Sprintf("%.1e", r) // two digits where %.2f would print 0.00
	}
	return fmt.Sprintf("%.2f", a/b)
}

func allocs(v float64) string {
	switch {
	case v < 0:
		return "–"
	case v == 0:
		return "0"
	case v >= 0.1:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.1e", v)
	}
}

// duration prints ns with three significant digits and a unit, moving to
// the next unit where rounding reaches 1000 (999.7 µs prints as 1 ms).
func duration(ns float64) string {
	v, units := ns, []string{"ns", "µs", "ms", "s"}
	i := 0
	for ; i < len(units)-1 && math.Abs(v) >= 999.5; i++ {
		v /= 1000
	}
	return strconv.FormatFloat(v, 'g', 3, 64) + " " + units[i]
}
