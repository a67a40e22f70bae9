package topology

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// fsys reads files below a root folder, the way the kernel's /sys and /proc
// would appear there.
type fsys struct{ root string }

func (f fsys) path(p string) string { return filepath.Join(f.root, p) }

// read returns the trimmed content of p and whether it could be read.
func (f fsys) read(p string) (string, bool) {
	b, err := os.ReadFile(f.path(p))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
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
		s, ok := f.read(filepath.Join(dir, n))
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
	ents, err := os.ReadDir(f.path(dir))
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || rest == "" {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 0 || strconv.Itoa(n) != rest {
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

// numberedSuffix is numbered for names of the form prefixNsuffix.
func (f fsys) numberedSuffix(dir, prefix, suffix string) []int {
	ents, err := os.ReadDir(f.path(dir))
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		mid, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		if mid, ok = strings.CutSuffix(mid, suffix); !ok {
			continue
		}
		if n, err := strconv.Atoi(mid); err == nil && n >= 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

func (f fsys) exists(p string) bool {
	_, err := os.Stat(f.path(p))
	return err == nil
}

func itoa(n int) string { return strconv.Itoa(n) }
