package codec_test

import (
	"strings"
	"testing"

	"github.com/numapool/numapool/mpi/codec"
)

type particle struct {
	Pos  [3]float64
	ID   int32
	Live bool
}

type named struct {
	Name string
	Tags map[string]int
	Next *named
}

func TestRawRoundTrip(t *testing.T) {
	c, err := codec.Raw[particle]()
	if err != nil {
		t.Fatal(err)
	}
	in := []particle{{Pos: [3]float64{1, 2, 3}, ID: 7, Live: true}, {Pos: [3]float64{-1, 0.5, 1e300}, ID: -3}}
	b, err := c.Append([]byte("hdr"), in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:3]) != "hdr" {
		t.Fatalf("Append overwrote the buffer's start: %q", b[:3])
	}
	// 3 float64, int32, bool, padded to 8: 32 bytes a particle.
	if got, want := len(b), 3+2*32; got != want {
		t.Fatalf("encoded %d bytes, want %d", got, want)
	}
	out := make([]particle, 2)
	if err := c.Decode(b[3:], out); err != nil {
		t.Fatal(err)
	}
	if out[0] != in[0] || out[1] != in[1] {
		t.Fatalf("decoded %+v, want %+v", out, in)
	}
}

func TestRawEmptyBlock(t *testing.T) {
	c, err := codec.Raw[float64]()
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Append(nil, nil)
	if err != nil || len(b) != 0 {
		t.Fatalf("Append(nil) = %v, %v; want no bytes", b, err)
	}
	if err := c.Decode(nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestRawDecodeWrongLength(t *testing.T) {
	c, err := codec.Raw[int64]()
	if err != nil {
		t.Fatal(err)
	}
	err = c.Decode(make([]byte, 12), make([]int64, 2))
	if err == nil || !strings.Contains(err.Error(), "12 bytes do not hold 2 values of 8 bytes") {
		t.Fatalf("Decode of 12 bytes into 2 int64 = %v, want a length error", err)
	}
}

func TestRawRejectsPointers(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  func() error
		want string
	}{
		{"string", func() error { _, err := codec.Raw[string](); return err }, "string holds a pointer, whose target would not exist on another rank; use codec.Gob[string]()"},
		{"field", func() error { _, err := codec.Raw[named](); return err }, "codec_test.named holds a pointer at codec_test.named.Name (string)"},
		{"array of slices", func() error { _, err := codec.Raw[[2][]int](); return err }, "at [2][]int[i] ([]int)"},
		{"interface", func() error { _, err := codec.Raw[any](); return err }, "interface {} is an interface, which holds a pointer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.raw()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Raw = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if codec.IsRaw[named]() || !codec.IsRaw[particle]() || !codec.IsRaw[[0]string]() {
		t.Fatal("IsRaw disagrees with Raw")
	}
}

func TestGobRoundTrip(t *testing.T) {
	c := codec.Gob[named]()
	in := []named{{Name: "a", Tags: map[string]int{"x": 1}}, {Name: "b", Next: &named{Name: "c"}}}
	b, err := c.Append([]byte{9}, in)
	if err != nil {
		t.Fatal(err)
	}
	if b[0] != 9 {
		t.Fatal("Append overwrote the buffer's start")
	}
	out := make([]named, 2)
	if err := c.Decode(b[1:], out); err != nil {
		t.Fatal(err)
	}
	if out[0].Name != "a" || out[0].Tags["x"] != 1 || out[1].Name != "b" || out[1].Next == nil || out[1].Next.Name != "c" {
		t.Fatalf("decoded %+v, want %+v", out, in)
	}
	if err := c.Decode(b[1:], make([]named, 3)); err == nil || !strings.Contains(err.Error(), "holds 2 values, want 3") {
		t.Fatalf("Decode into 3 = %v, want a count error", err)
	}
	if err := c.Decode([]byte("junk"), out); err == nil || !strings.Contains(err.Error(), "codec: Gob: decoding 2 values") {
		t.Fatalf("Decode of junk = %v, want a decoding error", err)
	}
}

func TestGobEncodeError(t *testing.T) {
	c := codec.Gob[func()]()
	if _, err := c.Append(nil, []func(){func() {}}); err == nil || !strings.Contains(err.Error(), "codec: Gob: encoding 1 values") {
		t.Fatalf("Append of a func = %v, want an encoding error", err)
	}
}
