package bench

import (
	"math"

	"github.com/numapool/numapool/shm"
)

// ImageSide is the side of Numerical's square float32 image (4 MiB).
const ImageSide = 1024

// filterTile is the side of the tile one Numerical filter covers.
const filterTile = 48

// Numerical is MPIRE's "numerical" benchmark in Go: n small 3x3 filters
// (8192 in the benchmark, about 10-20 µs each), each over a tile of one big
// image that every task reads in place. The image lives in an shm array
// (off-heap, huge pages where the kernel gives them), made once per
// contender and shared by reference, never copied.
var Numerical = &Workload{
	Name: "Numerical", Full: 8192, Quick: 512, Test: 8,
	Tasks: func(n int) int { return n },
	Want: func(n int) uint64 {
		img := make([]float32, ImageSide*ImageSide)
		fillImage(img)
		var h uint64
		for k := range n {
			h = checksum(h, math.Float64bits(filter(img, k)))
		}
		return h
	},
	Cases: func(n, workers int) []Case {
		return loopCases(n, workers, func() (loop, func() error, error) {
			a, err := shm.New[float32](ImageSide * ImageSide)
			if err != nil {
				return loop{}, nil, err
			}
			img := a.Slice()
			fillImage(img)
			out := make([]uint64, n)
			return loop{
				block: func(lo, hi int) {
					for k := lo; k < hi; k++ {
						out[k] = math.Float64bits(filter(img, k))
					}
				},
				task: func(k int) { out[k] = math.Float64bits(opaqueFilter(img, k)) },
				sum:  func() uint64 { return sumUint64(out) },
			}, a.Free, nil
		}, nil)
	},
}

// fillImage gives every pixel a value in [0, 1).
func fillImage(img []float32) {
	for i := range img {
		img[i] = float32(Mix(uint64(i))>>40) / (1 << 24)
	}
}

// filter applies the k-th 3x3 kernel to a tile of the image at a place
// chosen by k and returns the sum of the responses. Its float32 products
// are summed in float64 in a fixed order, so every contender gets the same
// bits.
func filter(img []float32, k int) float64 {
	var w [9]float32
	for j := range w {
		w[j] = float32(Mix(uint64(k*9+j))>>40)/(1<<24) - 0.5
	}
	r0 := int(Mix(uint64(k)) % (ImageSide - filterTile - 2))
	c0 := int(Mix(uint64(k)+1<<32) % (ImageSide - filterTile - 2))
	sum := 0.0
	for r := r0 + 1; r <= r0+filterTile; r++ {
		up, mid, down := img[(r-1)*ImageSide:], img[r*ImageSide:], img[(r+1)*ImageSide:]
		for c := c0 + 1; c <= c0+filterTile; c++ {
			v := float32(w[0]*up[c-1]) + float32(w[1]*up[c]) + float32(w[2]*up[c+1]) +
				float32(w[3]*mid[c-1]) + float32(w[4]*mid[c]) + float32(w[5]*mid[c+1]) +
				float32(w[6]*down[c-1]) + float32(w[7]*down[c]) + float32(w[8]*down[c+1])
			sum += float64(v)
		}
	}
	return sum
}

var opaqueFilter = filter
