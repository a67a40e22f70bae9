package topology

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		out  string
	}{
		{"", []int{}, ""},
		{"  \n", []int{}, ""},
		{"0", []int{0}, "0"},
		{"0-3,8,10-11", []int{0, 1, 2, 3, 8, 10, 11}, "0-3,8,10-11"},
		{"3,2,1,0\n", []int{0, 1, 2, 3}, "0-3"},
		{"1, 3 ,5-5", []int{1, 3, 5}, "1,3,5"},
		{"63-65,127,128", []int{63, 64, 65, 127, 128}, "63-65,127-128"},
	} {
		s, err := ParseCPUList(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, s.Slice(), tc.in)
		assert.Equal(t, tc.out, s.String(), tc.in)
		assert.Equal(t, len(tc.want), s.Len(), tc.in)
	}
}

func TestParseCPUListErrors(t *testing.T) {
	for in, part := range map[string]string{
		"0-3,x":   `"x"`,
		"1,,2":    `part ""`,
		"5-2":     `"5-2"`,
		"-1":      `"-1"`,
		"0-":      `"0-"`,
		"99999":   `"99999"`,
		"1-2-3":   `"1-2-3"`,
		"0,1.5,2": `"1.5"`,
		"+1":      `"+1" is not a CPU number (digits only)`,
		"0--2":    `"-2" is not a CPU number (digits only)`,
	} {
		_, err := ParseCPUList(in)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), part, in)
	}
}

func TestParseCPUMask(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{
		{"00000000,0000000f", "0-3"},
		{"f", "0-3"},
		{"0x00000101", "0,8"},
		{"80000000,00000001", "0,63"},
		{"00000001,00000000,00000000", "64"},
		{"0", ""},
		{"00000000\n", ""},
	} {
		s, err := ParseCPUMask(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, s.String(), tc.in)
	}
	for _, bad := range []string{"", "zz", "1,,2", "123456789"} {
		_, err := ParseCPUMask(bad)
		assert.Error(t, err, bad)
	}
}

func TestMaskRoundTrip(t *testing.T) {
	for _, s := range []CPUSet{{}, NewCPUSet(0), NewCPUSet(0, 1, 2, 3), NewCPUSet(31, 32), NewCPUSet(63, 64, 200)} {
		m := s.Mask()
		back, err := ParseCPUMask(m)
		require.NoError(t, err, m)
		assert.True(t, s.Equal(back), "%s -> %s -> %s", s, m, back)
	}
	assert.Equal(t, "0000000f", NewCPUSet(0, 1, 2, 3).Mask())
	assert.Equal(t, "00000001,00000000", NewCPUSet(32).Mask())
	assert.Equal(t, "0", CPUSet{}.Mask())
}

func TestCPUSetOps(t *testing.T) {
	a := NewCPUSet(0, 1, 2, 3, 70)
	b := NewCPUSet(2, 3, 4)
	assert.Equal(t, "0-4,70", a.Union(b).String())
	assert.Equal(t, "2-3", a.Intersect(b).String())
	assert.Equal(t, "0-1,70", a.Difference(b).String())
	assert.Equal(t, "4", b.Difference(a).String())
	assert.True(t, a.Intersect(NewCPUSet(5)).IsEmpty())
	assert.True(t, NewCPUSet(2, 3).IsSubsetOf(a))
	assert.False(t, b.IsSubsetOf(a))
	assert.True(t, CPUSet{}.IsSubsetOf(CPUSet{}))
	// A set reaching past o's last word, with zero words between.
	assert.False(t, NewCPUSet(0, 128).IsSubsetOf(NewCPUSet(0)))
	assert.True(t, NewCPUSet(0).IsSubsetOf(NewCPUSet(0, 128)))
	assert.False(t, NewCPUSet(100).IsSubsetOf(a))
	assert.True(t, a.Has(70))
	assert.False(t, a.Has(-1))
	assert.False(t, a.Has(1000))
	assert.Equal(t, 0, a.First())
	assert.Equal(t, 70, a.Last())
	assert.Equal(t, -1, CPUSet{}.First())
	assert.Equal(t, -1, CPUSet{}.Last())
	// Equal ignores how the set was built: a difference that empties the
	// high words equals a set that never had them.
	assert.True(t, a.Difference(NewCPUSet(70)).Equal(NewCPUSet(0, 1, 2, 3)))
	assert.True(t, NewCPUSet(200).Difference(NewCPUSet(200)).Equal(CPUSet{}))
	assert.True(t, CPUSet{}.IsEmpty())
	assert.Equal(t, "", CPUSet{}.String())
	assert.Equal(t, []int{}, CPUSet{}.Slice())
	assert.Equal(t, "1,5", CPUSet{}.Add(5, 1).String())
}

func TestCPUSetValueSemantics(t *testing.T) {
	a := NewCPUSet(1, 2)
	b := a
	c := b.Union(NewCPUSet(3))
	d := b.Difference(NewCPUSet(1))
	e := b.Add(9)
	assert.Equal(t, "1-2", a.String())
	assert.Equal(t, "1-2", b.String())
	assert.Equal(t, "1-3", c.String())
	assert.Equal(t, "2", d.String())
	assert.Equal(t, "1-2,9", e.String())
}

func TestCPUSetAllStopsEarly(t *testing.T) {
	var got []int
	for c := range NewCPUSet(1, 5, 64, 65).All() {
		got = append(got, c)
		if c == 64 {
			break
		}
	}
	assert.Equal(t, []int{1, 5, 64}, got)
	assert.Equal(t, []int{1, 5, 64, 65}, slices.Collect(NewCPUSet(65, 64, 5, 1).All()))
}

func TestNewCPUSetPanicsOnNegative(t *testing.T) {
	assert.Panics(t, func() { NewCPUSet(-1) })
}

func TestCPUSetJSON(t *testing.T) {
	b, err := json.Marshal(map[string]CPUSet{"x": NewCPUSet(0, 1, 2, 7)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"x":"0-2,7"}`, string(b))
	var back map[string]CPUSet
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, "0-2,7", back["x"].String())
	assert.Error(t, json.Unmarshal([]byte(`{"x":"a"}`), &back))
}

// FuzzParseCPUList checks that whatever parses prints back to a list that
// parses to the same set, and that its mask does too.
func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"", "0", "0-3,8,10-11", "5,3,1", "63-65", "0-8191", "1,,2", "3-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseCPUList(in)
		if err != nil {
			return
		}
		back, err := ParseCPUList(s.String())
		require.NoError(t, err, s.String())
		require.True(t, s.Equal(back), "%q -> %q", in, s.String())
		fromMask, err := ParseCPUMask(s.Mask())
		require.NoError(t, err, s.Mask())
		require.True(t, s.Equal(fromMask), "%q -> %q", in, s.Mask())
		require.Equal(t, s.Len(), len(s.Slice()))
	})
}
