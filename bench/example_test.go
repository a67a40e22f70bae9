package bench_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/numapool/numapool/bench"
)

// Reading `go test -bench` output and printing numapool's ratio to every
// other case of each workload, as make bench does.
func ExampleWriteRatios() {
	out := `BenchmarkMedium/seq-2        1  40000000 ns/op
BenchmarkMedium/seq-2        1  42000000 ns/op
BenchmarkMedium/numapool-2   1  21000000 ns/op
BenchmarkMedium/numapool-2   1  20000000 ns/op
BenchmarkMedium/openmp-dynamic-2  1  20500000 ns/op  20000 tasks/op
`
	rs, err := bench.ParseBench(strings.NewReader(out))
	if err != nil {
		panic(err)
	}
	if err := bench.WriteRatios(os.Stdout, bench.Summarize(rs), "numapool"); err != nil {
		panic(err)
	}
	// Output:
	// Medium      numapool 20.5 ms: /seq 0.50 /openmp-dynamic 1.00
}

// Running one case of a workload by hand, as the benchmarks do: make it,
// run it, compare its checksum with the plain loop's, close it.
func ExampleWorkload() {
	w := bench.Tiny
	for _, c := range w.Cases(w.Test, 2) {
		if c.Name != "numapool" {
			continue
		}
		in, err := c.New()
		if err != nil {
			panic(err)
		}
		if err := in.Run(); err != nil {
			panic(err)
		}
		fmt.Println(c.Name, "matches the plain loop:", in.Sum() == w.Want(w.Test))
		if err := in.Close(); err != nil {
			panic(err)
		}
	}
	// Output: numapool matches the plain loop: true
}
