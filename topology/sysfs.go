package topology

import (
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// fsys reads files of a machine's file system, the way the kernel's /sys
// and /proc would appear at its top. Paths are slash-separated; a leading
// slash is ignored, so paths read from procfs (mount points, cgroup paths)
// can be used as they are.
type fsys struct{ fs fs.FS }

// rel turns p into a path fs.FS accepts: clean, relative, "." for the top.
func rel(p string) string {
	p = strings.TrimPrefix(path.Clean("/"+p), "/")
	if p == "" {
		return "."
	}
	return p
}

// read returns the content of p up to its first NUL byte (some recorded
// machines end their files with one; C readers such as hwloc stop there),
// trimmed, and whether it could be read.
func (f fsys) read(p string) (string, bool) {
	b, err := fs.ReadFile(f.fs, rel(p))
	if err != nil {
		return "", false
	}
	s, _, _ := strings.Cut(string(b), "\x00")
	return strings.TrimSpace(s), true
}

// readInt returns the integer in p, or def when p is missing or not a number.
func (f fsys) readInt(p string, def int) int {
	s, ok := f.read(p)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return def
	}
	return n
}

// readSet reads a CPU or node set from the first of names in dir that can
// be read and parsed: list syntax when the name ends in "list", else a hex
// mask (the only form old kernels offer).
func (f fsys) readSet(dir string, names ...string) (CPUSet, bool) {
	for _, n := range names {
		s, ok := f.read(path.Join(dir, n))
		if !ok {
			continue
		}
		var set CPUSet
		var err error
		if strings.HasSuffix(n, "list") {
			set, err = ParseCPUList(s)
		} else {
			set, err = ParseCPUMask(s)
		}
		if err == nil {
			return set, true
		}
	}
	return CPUSet{}, false
}

// numbered returns the numbers N of the entries named prefixN in dir,
// ascending by number (so node10 comes after node2).
func (f fsys) numbered(dir, prefix string) []int {
	return f.numberedSuffix(dir, prefix, "")
}

// numberedSuffix is numbered for names of the form prefixNsuffix. N must be
// written as strconv.Itoa writes it (no sign, no leading zero).
func (f fsys) numberedSuffix(dir, prefix, suffix string) []int {
	ents, err := fs.ReadDir(f.fs, rel(dir))
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		mid, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		if mid, ok = strings.CutSuffix(mid, suffix); !ok || mid == "" {
			continue
		}
		n, err := strconv.Atoi(mid)
		if err != nil || n < 0 || strconv.Itoa(n) != mid {
			continue
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// readList reads a set in list syntax from p.
func (f fsys) readList(p string) (CPUSet, bool) {
	s, ok := f.read(p)
	if !ok {
		return CPUSet{}, false
	}
	set, err := ParseCPUList(s)
	return set, err == nil
}

func (f fsys) exists(p string) bool {
	_, err := fs.Stat(f.fs, rel(p))
	return err == nil
}

// names returns the names of the entries of dir, or nil.
func (f fsys) names(dir string) []string {
	ents, err := fs.ReadDir(f.fs, rel(dir))
	if err != nil {
		return nil
	}
	out := make([]string, len(ents))
	for i, e := range ents {
		out[i] = e.Name()
	}
	return out
}
