package numavm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/numapool/numapool/numavm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cpioEntry is one record of a newc archive, read back.
type cpioEntry struct {
	name string
	mode uint64
	data string
}

// readNewc parses a newc archive up to its trailer.
func readNewc(t *testing.T, b []byte) []cpioEntry {
	t.Helper()
	var out []cpioEntry
	pad := func(n int) int { return (n + 3) &^ 3 }
	for off := 0; ; {
		require.GreaterOrEqual(t, len(b)-off, 110, "header at %d", off)
		h := b[off : off+110]
		require.Equal(t, "070701", string(h[:6]))
		field := func(i int) uint64 {
			v, err := strconv.ParseUint(string(h[6+8*i:14+8*i]), 16, 32)
			require.NoError(t, err)
			return v
		}
		mode, size, nameSize := field(1), int(field(6)), int(field(11))
		name := string(b[off+110 : off+110+nameSize-1])
		assert.Equal(t, byte(0), b[off+110+nameSize-1], "name %q ends with NUL", name)
		data := pad(off + 110 + nameSize)
		if name == "TRAILER!!!" {
			assert.Equal(t, len(b), pad(data), "nothing after the trailer")
			return out
		}
		out = append(out, cpioEntry{name, mode, string(b[data : data+size])})
		off = pad(data + size)
	}
}

func TestInitramfsLayout(t *testing.T) {
	src := filepath.Join(t.TempDir(), "busybox")
	require.NoError(t, os.WriteFile(src, []byte("ELF!!"), 0o755))
	r := numavm.NewInitramfs()
	r.Add("init", 0o755, []byte("#!/bin/sh\n"))
	r.AddFile("bin/busybox", 0o755, src)
	r.Add("numavm/machines/a.sh", 0o644, []byte("x"))
	r.Dir("proc")
	var buf bytes.Buffer
	n, err := r.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	assert.Zero(t, buf.Len()%4)
	assert.Equal(t, []cpioEntry{
		{"bin", 0o40755, ""},
		{"bin/busybox", 0o100755, "ELF!!"},
		{"init", 0o100755, "#!/bin/sh\n"},
		{"numavm", 0o40755, ""},
		{"numavm/machines", 0o40755, ""},
		{"numavm/machines/a.sh", 0o100644, "x"},
		{"proc", 0o40755, ""},
	}, readNewc(t, buf.Bytes()))
}

func TestInitramfsErrors(t *testing.T) {
	r := numavm.NewInitramfs()
	r.AddFile("bin/missing", 0o755, filepath.Join(t.TempDir(), "missing"))
	_, err := r.WriteTo(&bytes.Buffer{})
	assert.ErrorContains(t, err, "numavm: initramfs bin/missing: open ")

	r = numavm.NewInitramfs()
	r.Add("../escape", 0o644, []byte("x"))
	_, err = r.WriteTo(&bytes.Buffer{})
	assert.EqualError(t, err, `numavm: initramfs path "../escape" must be relative and inside the tree`)
}
