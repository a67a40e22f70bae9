package codec_test

import (
	"fmt"

	"github.com/numapool/numapool/mpi/codec"
)

// Pointer-free types travel as raw bytes; anything else goes through Gob.
func Example() {
	type point struct{ X, Y float64 }
	raw, err := codec.Raw[point]()
	if err != nil {
		panic(err)
	}
	b, _ := raw.Append(nil, []point{{1, 2}, {3, 4}})
	back := make([]point, 2)
	_ = raw.Decode(b, back)
	fmt.Println(len(b), back)

	_, err = codec.Raw[string]()
	fmt.Println(err != nil)
	words := codec.Gob[string]()
	b, _ = words.Append(nil, []string{"hybrid", "jobs"})
	got := make([]string, 2)
	_ = words.Decode(b, got)
	fmt.Println(got)
	// Output:
	// 32 [{1 2} {3 4}]
	// true
	// [hybrid jobs]
}
