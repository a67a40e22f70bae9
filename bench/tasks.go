package bench

// Square is the light task: one multiplication, far cheaper than any
// hand-over between goroutines, so it measures a pool's per-task and
// per-chunk overhead.
func Square(x int) int { return x * x }

// SpinRounds is how many xorshift rounds Spin does: about 2 µs on a
// 2020s x86 core.
const SpinRounds = 1000

// Spin is the heavy task: SpinRounds dependent xorshift rounds seeded by x,
// pure arithmetic with no memory traffic, so a pool that balances the work
// well gets close to the hand-split ideal.
func Spin(x int) int {
	h := uint64(x) | 1
	for range SpinRounds {
		h ^= h << 13
		h ^= h >> 7
		h ^= h << 17
	}
	return int(h)
}

// The tasks behind variables, so that calls through them are not inlined
// or devirtualized: a pool gets its task as a value and has to call it
// through that value, and the baselines must do the same to be fair.
var (
	OpaqueSquare = Square
	OpaqueSpin   = Spin
)
