package bench

import (
	"strings"
	"testing"
)

const sampleBench = `goos: linux
pkg: github.com/numapool/numapool/bench
BenchmarkTiny/seq-2         	     100	   3000000 ns/op	   1000000 tasks/op	       0 B/op	       0 allocs/op
BenchmarkTiny/seq-2         	     100	   5000000 ns/op	   1000000 tasks/op	       0 B/op	       0 allocs/op
BenchmarkTiny/seq-2         	     100	   4000000 ns/op	   1000000 tasks/op	       0 B/op	       0 allocs/op
BenchmarkTiny/numapool-2    	     100	   1000000 ns/op	   1000000 tasks/op	    1024 B/op	      11 allocs/op
BenchmarkTiny/numapool-2    	     100	   2000000 ns/op	   1000000 tasks/op	    1024 B/op	      13 allocs/op
BenchmarkTiny/ants-2        	       1	 800000000 ns/op	   1000000 tasks/op	32000208 B/op	 1000005 allocs/op
BenchmarkTiny/openmp-static-passive-2	 10	  500000 ns/op	   1000000 tasks/op
BenchmarkReduce/seq         	      10	   4000000 ns/op
PASS
`

func TestSummarizeAndRatios(t *testing.T) {
	rs, err := ParseBench(strings.NewReader(sampleBench))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 8 {
		t.Fatalf("%d results, want 8", len(rs))
	}
	rows := Summarize(rs)
	want := []Row{
		{"Tiny", "seq", 3, 4e6, 0},
		{"Tiny", "numapool", 2, 1.5e6, 12e-6},
		{"Tiny", "ants", 1, 8e8, 1.000005},
		{"Tiny", "openmp-static-passive", 1, 5e5, -1},
		{"Reduce", "seq", 1, 4e6, -1},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %+v, want %+v", rows, want)
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: %+v, want %+v", i, rows[i], want[i])
		}
	}
	var b strings.Builder
	if err := WriteRatios(&b, rows, "numapool"); err != nil {
		t.Fatal(err)
	}
	wantLines := "Tiny        numapool 1.5 ms: /seq 0.38 /ants 1.9e-03 /openmp-static-passive 3.00\n" +
		"Reduce      no numapool case\n"
	if b.String() != wantLines {
		t.Errorf("WriteRatios:\n%s\nwant:\n%s", b.String(), wantLines)
	}
	b.Reset()
	if err := WriteMarkdown(&b, rows, "numapool"); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"| numapool | 2 | 1.5 ms | 0.38 | 1.00 | 1.2e-05 |",
		"| ants | 1 | 800 ms | 200.00 | 1.9e-03 | 1.00 |",
		"| openmp-static-passive | 1 | 500 µs | 0.12 | 3.00 | – |",
		"| seq | 1 | 4 ms | 1.00 | – | – |",
	} {
		if !strings.Contains(b.String(), line) {
			t.Errorf("WriteMarkdown lacks %q:\n%s", line, b.String())
		}
	}
}

func TestParseBenchBadValue(t *testing.T) {
	_, err := ParseBench(strings.NewReader("BenchmarkTiny/seq-2  10  abc ns/op\n"))
	if err == nil || !strings.Contains(err.Error(), `value "abc" of ns/op is not a number`) {
		t.Fatalf("err = %v, want one naming the bad value", err)
	}
	_, err = ParseBench(strings.NewReader("BenchmarkTiny/seq-2  10  5 B/op\n"))
	if err == nil || !strings.Contains(err.Error(), "Tiny/seq has no ns/op") {
		t.Fatalf("err = %v, want one naming the line without ns/op", err)
	}
}

func TestDuration(t *testing.T) {
	for ns, want := range map[float64]string{
		12: "12 ns", 999.4: "999 ns", 999.7: "1 µs", 1500: "1.5 µs", 999_700: "1 ms",
		2_340_000: "2.34 ms", 1.65e9: "1.65 s", 3600e9: "3.6e+03 s",
	} {
		if got := duration(ns); got != want {
			t.Errorf("duration(%v) = %q, want %q", ns, got, want)
		}
	}
}
