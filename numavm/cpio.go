package numavm

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
)

// An Initramfs is the file tree a guest boots into: paths (relative, with
// slashes) mapped to their content. Parent folders are made as needed.
type Initramfs struct {
	files map[string]entry
}

type entry struct {
	mode uint32 // permission bits
	data []byte // nil for a folder
	src  string // a host file to copy instead of data
}

// NewInitramfs returns an empty tree.
func NewInitramfs() *Initramfs { return &Initramfs{files: map[string]entry{}} }

// Add puts a file with content data and permission bits perm at name.
func (r *Initramfs) Add(name string, perm uint32, data []byte) {
	r.files[path.Clean(name)] = entry{mode: perm, data: data}
}

// AddFile puts the host file src at name, read when the archive is written.
func (r *Initramfs) AddFile(name string, perm uint32, src string) {
	r.files[path.Clean(name)] = entry{mode: perm, src: src}
}

// Dir makes an empty folder at name.
func (r *Initramfs) Dir(name string) { r.files[path.Clean(name)] = entry{mode: 0o755} }

// WriteTo writes the tree as an uncompressed newc cpio archive, the format
// the kernel unpacks into its initial root, folders first.
func (r *Initramfs) WriteTo(w io.Writer) (int64, error) {
	all := map[string]entry{}
	for name, e := range r.files {
		if !filepath.IsLocal(name) {
			return 0, fmt.Errorf("numavm: initramfs path %q must be relative and inside the tree", name)
		}
		all[name] = e
		for d := path.Dir(name); d != "." && d != "/"; d = path.Dir(d) {
			if _, ok := all[d]; !ok {
				all[d] = entry{mode: 0o755}
			}
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names) // a folder sorts before what it holds
	cw := &countWriter{w: bufio.NewWriterSize(w, 1<<20)}
	for i, name := range names {
		e := all[name]
		data := e.data
		mode := e.mode | 0o100000 // regular file
		if e.src != "" {
			b, err := os.ReadFile(e.src)
			if err != nil {
				return cw.n, fmt.Errorf("numavm: initramfs %s: %w", name, err)
			}
			data = b
		} else if e.data == nil {
			mode = e.mode | 0o040000 // folder
		}
		writeRecord(cw, uint32(i+1), mode, name, data)
	}
	writeRecord(cw, 0, 0, "TRAILER!!!", nil)
	if cw.err == nil {
		cw.err = cw.w.(*bufio.Writer).Flush()
	}
	return cw.n, cw.err
}

// writeRecord writes one newc header, name and data, each padded to four
// bytes.
func writeRecord(w *countWriter, ino, mode uint32, name string, data []byte) {
	nlink := 1
	if mode&0o040000 != 0 {
		nlink = 2
	}
	fmt.Fprintf(w, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	w.Write(append([]byte(name), 0))
	w.pad()
	w.Write(data)
	w.pad()
}

// countWriter counts bytes written and keeps the first error.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

func (c *countWriter) pad() {
	if r := c.n % 4; r != 0 {
		c.Write(make([]byte, 4-r))
	}
}
