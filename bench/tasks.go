package bench

// Square is the tiny task: one multiplication, far cheaper than any
// hand-over between goroutines, so it shows a runner's per-task cost.
func Square(x int) int { return x * x }

// Spin does rounds dependent xorshift rounds seeded by x: pure arithmetic,
// no memory traffic, about 2 ns a round on a 2020s x86 core. The OpenMP
// program computes the same function.
func Spin(x, rounds int) uint64 {
	h := uint64(x) | 1
	for range rounds {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
	}
	return h
}

// Mix is a cheap 64-bit hash (splitmix64's finaliser): deterministic
// pseudo-random inputs, sizes and checksums without a shared generator.
func Mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// checksum folds values into one order-dependent number.
func checksum(h, v uint64) uint64 { return Mix(h ^ v) }

// The tasks behind variables, so that calls through them are neither
// inlined nor devirtualized: a pool gets its task as a value, and the
// per-task baselines must call it the same way to be fair.
var (
	opaqueSquare = Square
	opaqueSpin   = Spin
)
