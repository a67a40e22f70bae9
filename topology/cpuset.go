package topology

import (
	"fmt"
	"iter"
	"math/bits"
	"strconv"
	"strings"
)

// MaxCPUs is the number of CPU ids this module handles: 0 to MaxCPUs-1.
// It is Linux's largest build limit (NR_CPUS, 8192 on x86-64 and arm64);
// csrc's maxCPUs is the same count, for the affinity calls.
const MaxCPUs = 8192

const (
	// wordBits is the number of CPUs one word of a CPUSet holds.
	wordBits = 64
	// maskWordBits is the number of CPUs one comma-separated word of a
	// Linux hex mask holds: the kernel prints bitmaps in 32-bit words
	// (bitmap_print_to_pagebuf, "%*pb").
	maskWordBits = 32
	// maskWordHex is the number of hex digits of one mask word.
	maskWordHex = maskWordBits / 4
)

// CPUSet is a set of logical CPU numbers (Linux OS indexes). The zero value
// is the empty set. A CPUSet is a value: no method changes its receiver or
// shares storage with a result, so copies are independent.
type CPUSet struct {
	words []uint64 // bit i of words[i/wordBits]; no trailing zero words
}

// NewCPUSet returns the set holding cpus. It panics on a negative CPU.
func NewCPUSet(cpus ...int) CPUSet {
	var w []uint64
	for _, c := range cpus {
		if c < 0 {
			panic(fmt.Sprintf("topology: negative CPU %d", c))
		}
		w = setBit(w, c)
	}
	return CPUSet{words: trim(w)}
}

func setBit(w []uint64, c int) []uint64 {
	i := c / wordBits
	for len(w) <= i {
		w = append(w, 0)
	}
	w[i] |= 1 << uint(c%wordBits)
	return w
}

func trim(w []uint64) []uint64 {
	for len(w) > 0 && w[len(w)-1] == 0 {
		w = w[:len(w)-1]
	}
	if len(w) == 0 {
		return nil
	}
	return w
}

// ParseCPUList parses Linux list syntax such as "0-3,8,10-11". Blanks around
// parts are ignored and "" is the empty set. Errors name the bad part.
func ParseCPUList(s string) (CPUSet, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return CPUSet{}, nil
	}
	var w []uint64
	for part := range strings.SplitSeq(s, ",") {
		p := strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(p, "-")
		a, err := parseCPU(lo)
		if err != nil {
			return CPUSet{}, fmt.Errorf("topology: bad CPU list %q: part %q: %w", s, p, err)
		}
		b := a
		if isRange {
			if b, err = parseCPU(hi); err != nil {
				return CPUSet{}, fmt.Errorf("topology: bad CPU list %q: part %q: %w", s, p, err)
			}
			if b < a {
				return CPUSet{}, fmt.Errorf("topology: bad CPU list %q: part %q: range ends before it starts", s, p)
			}
		}
		for c := a; c <= b; c++ {
			w = setBit(w, c)
		}
	}
	return CPUSet{words: trim(w)}, nil
}

func parseCPU(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("missing CPU number")
	}
	if s[0] < '0' || s[0] > '9' {
		// Atoi would take "+1", and "0--2" would read as 0 to -2.
		return 0, fmt.Errorf("%q is not a CPU number (digits only)", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a CPU number", s)
	}
	if n < 0 || n >= MaxCPUs {
		return 0, fmt.Errorf("CPU %d is outside 0-%d", n, MaxCPUs-1)
	}
	return n, nil
}

// ParseCPUMask parses a Linux hex mask such as "00000000,0000000f": 32-bit
// hex words separated by commas, most significant first. A "0x" prefix is
// allowed. Errors name the bad word.
func ParseCPUMask(s string) (CPUSet, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if s == "" {
		return CPUSet{}, fmt.Errorf("topology: empty CPU mask")
	}
	parts := strings.Split(s, ",")
	var w []uint64
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" || len(p) > maskWordHex {
			return CPUSet{}, fmt.Errorf("topology: bad CPU mask %q: word %q is not 1 to %d hex digits", s, p, maskWordHex)
		}
		v, err := strconv.ParseUint(p, 16, maskWordBits)
		if err != nil {
			return CPUSet{}, fmt.Errorf("topology: bad CPU mask %q: word %q is not hex", s, p)
		}
		base := maskWordBits * (len(parts) - 1 - i)
		for v != 0 {
			b := bits.TrailingZeros64(v)
			if base+b >= MaxCPUs {
				return CPUSet{}, fmt.Errorf("topology: bad CPU mask %q: CPU %d is beyond %d", s, base+b, MaxCPUs-1)
			}
			w = setBit(w, base+b)
			v &= v - 1
		}
	}
	return CPUSet{words: trim(w)}, nil
}

// String returns the set in list syntax ("0-3,8"), or "" when it is empty.
func (s CPUSet) String() string {
	var b strings.Builder
	start, prev := -1, -1
	flush := func() {
		if start < 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(start))
		if prev > start {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(prev))
		}
	}
	for c := range s.All() {
		if c != prev+1 || start < 0 {
			flush()
			start = c
		}
		prev = c
	}
	flush()
	return b.String()
}

// Mask returns the set as a Linux hex mask: comma-separated 32-bit words,
// most significant first ("00000000,0000000f"). The empty set is "0".
func (s CPUSet) Mask() string {
	if len(s.words) == 0 {
		return "0"
	}
	const perWord = wordBits / maskWordBits
	n := len(s.words) * perWord
	if s.words[len(s.words)-1]>>maskWordBits == 0 {
		n--
	}
	parts := make([]string, 0, n)
	for i := n - 1; i >= 0; i-- {
		v := uint32(s.words[i/perWord] >> (maskWordBits * uint(i%perWord)))
		parts = append(parts, fmt.Sprintf("%08x", v))
	}
	return strings.Join(parts, ",")
}

// Has reports whether cpu is in the set.
func (s CPUSet) Has(cpu int) bool {
	if cpu < 0 || cpu/wordBits >= len(s.words) {
		return false
	}
	return s.words[cpu/wordBits]&(1<<uint(cpu%wordBits)) != 0
}

// Len returns the number of CPUs in the set.
func (s CPUSet) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

// IsEmpty reports whether the set holds no CPU.
func (s CPUSet) IsEmpty() bool { return len(s.words) == 0 }

// First returns the lowest CPU in the set, or -1 when it is empty.
func (s CPUSet) First() int {
	for i, w := range s.words {
		if w != 0 {
			return i*wordBits + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// Last returns the highest CPU in the set, or -1 when it is empty.
func (s CPUSet) Last() int {
	if len(s.words) == 0 {
		return -1
	}
	i := len(s.words) - 1
	return i*wordBits + wordBits - 1 - bits.LeadingZeros64(s.words[i])
}

// Slice returns the CPUs in ascending order.
func (s CPUSet) Slice() []int {
	out := make([]int, 0, s.Len())
	for c := range s.All() {
		out = append(out, c)
	}
	return out
}

// All yields the CPUs in ascending order.
func (s CPUSet) All() iter.Seq[int] {
	return func(yield func(int) bool) {
		for i, w := range s.words {
			for w != 0 {
				b := bits.TrailingZeros64(w)
				if !yield(i*wordBits + b) {
					return
				}
				w &= w - 1
			}
		}
	}
}

// Union returns the CPUs in s or o.
func (s CPUSet) Union(o CPUSet) CPUSet {
	a, b := s.words, o.words
	if len(a) < len(b) {
		a, b = b, a
	}
	w := make([]uint64, len(a))
	copy(w, a)
	for i, v := range b {
		w[i] |= v
	}
	return CPUSet{words: trim(w)}
}

// Intersect returns the CPUs in both s and o.
func (s CPUSet) Intersect(o CPUSet) CPUSet {
	w := make([]uint64, min(len(s.words), len(o.words)))
	for i := range w {
		w[i] = s.words[i] & o.words[i]
	}
	return CPUSet{words: trim(w)}
}

// Difference returns the CPUs in s and not in o.
func (s CPUSet) Difference(o CPUSet) CPUSet {
	w := make([]uint64, len(s.words))
	copy(w, s.words)
	for i := range min(len(w), len(o.words)) {
		w[i] &^= o.words[i]
	}
	return CPUSet{words: trim(w)}
}

// Equal reports whether s and o hold the same CPUs.
func (s CPUSet) Equal(o CPUSet) bool {
	if len(s.words) != len(o.words) {
		return false
	}
	for i := range s.words {
		if s.words[i] != o.words[i] {
			return false
		}
	}
	return true
}

// IsSubsetOf reports whether every CPU of s is in o.
func (s CPUSet) IsSubsetOf(o CPUSet) bool {
	// Sets keep no trailing zero words, so a longer s has a CPU beyond o.
	if len(s.words) > len(o.words) {
		return false
	}
	for i, w := range s.words {
		if w&^o.words[i] != 0 {
			return false
		}
	}
	return true
}

// Add returns s with cpus added. It panics on a negative CPU.
func (s CPUSet) Add(cpus ...int) CPUSet { return s.Union(NewCPUSet(cpus...)) }

// MarshalText encodes the set in list syntax, so JSON shows "0-3,8".
func (s CPUSet) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes list syntax.
func (s *CPUSet) UnmarshalText(b []byte) error {
	v, err := ParseCPUList(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
