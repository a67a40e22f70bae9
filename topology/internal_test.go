package topology

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUnescapeMount(t *testing.T) {
	assert.Equal(t, "/sys/fs/cgroup", unescapeMount("/sys/fs/cgroup"))
	assert.Equal(t, "/mnt/my cgroup", unescapeMount(`/mnt/my\040cgroup`))
	assert.Equal(t, `/a\b`, unescapeMount(`/a\134b`))
	assert.Equal(t, `/bad\04`, unescapeMount(`/bad\04`))
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]uint64{
		"32K": 32 << 10, "1024K\n": 1 << 20, "8M": 8 << 20, "1G": 1 << 30, "512": 512, "": 0, "xK": 0,
	} {
		assert.Equal(t, want, parseSize(in), in)
	}
}

func TestReadMemTotal(t *testing.T) {
	dir := t.TempDir()
	w := func(name, content string) {
		t.Helper()
		assert.NoError(t, writeTestFile(dir, name, content))
	}
	w("a", "MemTotal:       1000 kB\nMemFree: 5 kB\n")
	w("b", "Node 3 MemTotal:       2000 kB\n")
	w("c", "MemFree: 5 kB\n")
	f := fsys{fs: os.DirFS(dir)}
	assert.Equal(t, uint64(1000<<10), readMemTotal(f, "a", "MemTotal"))
	assert.Equal(t, uint64(2000<<10), readMemTotal(f, "b", "MemTotal"))
	assert.Equal(t, uint64(0), readMemTotal(f, "c", "MemTotal"))
	assert.Equal(t, uint64(0), readMemTotal(f, "missing", "MemTotal"))
}

// TestReadStopsAtNUL reads files as hwloc's recorded machines hold them:
// some end with a NUL byte after the newline.
func TestReadStopsAtNUL(t *testing.T) {
	dir := t.TempDir()
	assert.NoError(t, writeTestFile(dir, "list", "0-3\n\x00"))
	assert.NoError(t, writeTestFile(dir, "mask", "00000000,0000000f\n\x00garbage"))
	f := fsys{fs: os.DirFS(dir)}
	set, ok := f.readSet(".", "list")
	assert.True(t, ok)
	assert.Equal(t, "0-3", set.String())
	set, ok = f.readSet(".", "mask")
	assert.True(t, ok)
	assert.Equal(t, "0-3", set.String())
}
