package numavm

import (
	"archive/tar"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// DumpTrees are the folders below the root that hwloc and the topology
// package read, copied whole (links stay links); DumpFiles are single files,
// copied as files (proc/self is the dumping process itself).
var (
	DumpTrees = []string{
		"sys/devices/system/cpu", "sys/devices/system/node",
		"sys/bus/cpu/devices", "sys/bus/node/devices",
		"sys/kernel/mm/hugepages", "sys/kernel/mm/transparent_hugepage",
		"sys/fs/cgroup",
	}
	DumpFiles = []string{
		"proc/cpuinfo", "proc/meminfo", "proc/stat", "proc/filesystems",
		"proc/self/status", "proc/self/cgroup", "proc/self/mounts", "proc/self/mountinfo",
		"proc/mounts",
	}
)

// maxDumpFile bounds one copied file; sysfs files are far smaller.
const maxDumpFile = 1 << 20

// Dump writes the files of DumpTrees and DumpFiles below root to w as a tar
// stream whose names are relative to root. Files that cannot be read (write
// only, or gone) are left out; a folder or file that is missing is not an
// error, since kernels differ.
func Dump(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	for _, tree := range DumpTrees {
		err := filepath.WalkDir(filepath.Join(root, tree), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			return dumpOne(tw, p, filepath.ToSlash(rel), d.Type())
		})
		if err != nil {
			return err
		}
	}
	for _, f := range DumpFiles {
		if err := dumpOne(tw, filepath.Join(root, f), f, 0); err != nil {
			return err
		}
	}
	return tw.Close()
}

// dumpOne writes one entry; mode is the entry's type (0 for a file, whose
// links are followed).
func dumpOne(tw *tar.Writer, p, name string, mode fs.FileMode) error {
	switch {
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return nil
		}
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777})
	case mode.IsDir():
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755})
	case mode&fs.ModeType != 0:
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxDumpFile))
	if err != nil {
		return nil // sysfs files may refuse reads (EIO, EINVAL, EPERM)
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(len(b)), Mode: 0o444}); err != nil {
		return err
	}
	_, err = tw.Write(b)
	return err
}

// EncodeDump writes the Dump of root to w gzipped and in base64, 76
// characters a line, so that it survives a serial line. Gzip matters: a
// serial port under TCG moves tens of kilobytes a second, and sysfs trees
// shrink about tenfold.
func EncodeDump(w io.Writer, root string) error {
	lw := &lineWriter{w: w}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	zw := gzip.NewWriter(enc)
	if err := Dump(zw, root); err != nil {
		return err
	}
	if err := errors.Join(zw.Close(), enc.Close()); err != nil {
		return err
	}
	return lw.end()
}

// lineWriter breaks what it is given into 76-character lines.
type lineWriter struct {
	w   io.Writer
	col int
}

func (l *lineWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), 76-l.col)
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		n += k
		l.col += k
		p = p[k:]
		if l.col == 76 {
			if _, err := l.w.Write([]byte("\n")); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

func (l *lineWriter) end() error {
	if l.col == 0 {
		return nil
	}
	_, err := l.w.Write([]byte("\n"))
	return err
}

// UnpackDump decodes what EncodeDump wrote (line ends, carriage returns
// included, are ignored) and writes the tree below dir. Entries that would
// leave dir, and links pointing out of it, are refused.
func UnpackDump(encoded string, dir string) error {
	zr, err := gzip.NewReader(base64.NewDecoder(base64.StdEncoding, strings.NewReader(encoded)))
	if err != nil {
		return fmt.Errorf("numavm: reading the guest's dump: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("numavm: reading the guest's dump: %w", err)
		}
		name := path.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("numavm: the guest's dump holds %q, outside its root", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeSymlink:
			target := h.Linkname
			if path.IsAbs(target) || !filepath.IsLocal(path.Join(path.Dir(name), target)) {
				return fmt.Errorf("numavm: the guest's dump links %s to %s, outside its root", h.Name, target)
			}
			err = os.Symlink(target, p)
		case tar.TypeReg:
			var f *os.File
			if f, err = os.Create(p); err == nil {
				_, err = io.Copy(f, tr)
				err = errors.Join(err, f.Close())
			}
		}
		if err != nil {
			return fmt.Errorf("numavm: unpacking the guest's dump: %w", err)
		}
	}
}
