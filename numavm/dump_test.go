package numavm_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/numapool/numapool/numavm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, root, rel, content string) {
	t.Helper()
	p := filepath.Join(root, rel)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
}

func TestDumpRoundTrip(t *testing.T) {
	root := t.TempDir()
	write(t, root, "sys/devices/system/cpu/cpu0/topology/core_cpus_list", "0\n")
	write(t, root, "sys/devices/system/node/node0/cpulist", "0\n")
	write(t, root, "proc/self/status", "Cpus_allowed_list:\t0\n")
	write(t, root, "proc/cpuinfo", "processor\t: 0\n")
	write(t, root, "etc/passwd", "not dumped\n")
	require.NoError(t, os.Symlink("../../node/node0", filepath.Join(root, "sys/devices/system/cpu/cpu0/node0")))

	var enc bytes.Buffer
	require.NoError(t, numavm.EncodeDump(&enc, root))
	for _, l := range strings.Split(strings.TrimSuffix(enc.String(), "\n"), "\n") {
		assert.LessOrEqual(t, len(l), 76)
	}
	// The serial line adds carriage returns.
	out := t.TempDir()
	require.NoError(t, numavm.UnpackDump(strings.ReplaceAll(enc.String(), "\n", "\r\n"), out))
	for rel, want := range map[string]string{
		"sys/devices/system/cpu/cpu0/topology/core_cpus_list": "0\n",
		"sys/devices/system/node/node0/cpulist":               "0\n",
		"sys/devices/system/cpu/cpu0/node0/cpulist":           "0\n",
		"proc/self/status":                                    "Cpus_allowed_list:\t0\n",
		"proc/cpuinfo":                                        "processor\t: 0\n",
	} {
		b, err := os.ReadFile(filepath.Join(out, rel))
		if assert.NoError(t, err, rel) {
			assert.Equal(t, want, string(b), rel)
		}
	}
	_, err := os.Stat(filepath.Join(out, "etc/passwd"))
	assert.True(t, os.IsNotExist(err), "only the listed trees are dumped")
	target, err := os.Readlink(filepath.Join(out, "sys/devices/system/cpu/cpu0/node0"))
	require.NoError(t, err)
	assert.Equal(t, "../../node/node0", target)
}

func TestUnpackDumpRefusesEscapes(t *testing.T) {
	for _, c := range []struct{ link, want string }{
		{"/etc", "numavm: the guest's dump links sys/x to /etc, outside its root"},
		{"../../../../etc", "numavm: the guest's dump links sys/x to ../../../../etc, outside its root"},
	} {
		root := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(root, "sys/fs/cgroup"), 0o755))
		require.NoError(t, os.Symlink(c.link, filepath.Join(root, "sys/fs/cgroup/x")))
		var enc bytes.Buffer
		require.NoError(t, numavm.EncodeDump(&enc, root))
		err := numavm.UnpackDump(enc.String(), t.TempDir())
		assert.EqualError(t, err, strings.Replace(c.want, "sys/x", "sys/fs/cgroup/x", 1))
	}
	assert.ErrorContains(t, numavm.UnpackDump("!!!!", t.TempDir()), "numavm: reading the guest's dump")
}
