// Command benchratio reads `go test -bench` output (the bench module's
// benchmarks and the OpenMP program's lines) and prints, for each
// workload, numapool's median time and its ratio to every other case of
// the same run: below 1, numapool is faster.
//
//	benchratio [-case numapool] [-md] [file ...]
//
// With no file it reads standard input. -md prints one markdown table per
// workload instead (median, ratio to seq, numapool's ratio, allocations
// per task), as docs/performance.md shows them. Medians need several runs
// (-count 6 or more); benchstat gives the confidence intervals.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/numapool/numapool/bench"
)

func main() {
	subject := flag.String("case", "numapool", "the case whose ratios to print")
	md := flag.Bool("md", false, "print markdown tables instead of one line per workload")
	flag.Parse()
	if err := run(os.Stdout, *subject, *md, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "benchratio:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, subject string, md bool, files []string) error {
	var rs []bench.Result
	read := func(r io.Reader) error {
		more, err := bench.ParseBench(r)
		rs = append(rs, more...)
		return err
	}
	if len(files) == 0 {
		if err := read(os.Stdin); err != nil {
			return err
		}
	}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		err = read(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(rs) == 0 {
		return fmt.Errorf("no benchmark lines in the input: give it the output of go test -bench")
	}
	rows := bench.Summarize(rs)
	if md {
		return bench.WriteMarkdown(w, rows, subject)
	}
	return bench.WriteRatios(w, rows, subject)
}
