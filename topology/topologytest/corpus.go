package topologytest

import (
	"archive/tar"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// CorpusDir returns the folder of recorded machines: $NUMAPOOL_TOPOLOGY_CORPUS
// if set, else the first shared/topology-corpus folder found beside the
// working directory or one of its parents, else "".
func CorpusDir() string {
	if d := os.Getenv("NUMAPOOL_TOPOLOGY_CORPUS"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		c := filepath.Join(dir, "shared", "topology-corpus")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Unpack extracts a recorded machine (a .tar.bz2 holding one folder with
// sys/ and proc/) into dir and returns that folder. Symbolic links are
// recreated as they are; entries leaving dir are refused.
func Unpack(archive, dir string) (string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", err
	}
	defer f.Close()
	tr := tar.NewReader(bzip2.NewReader(f))
	tops := map[string]bool{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("%s: %w", archive, err)
		}
		name := filepath.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return "", fmt.Errorf("%s: entry %q leaves the folder", archive, h.Name)
		}
		tops[strings.Split(filepath.ToSlash(name), "/")[0]] = true
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			err = writeFrom(p, tr)
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		case tar.TypeLink:
			target := filepath.Clean(h.Linkname)
			if !filepath.IsLocal(target) {
				return "", fmt.Errorf("%s: link %q leaves the folder", archive, h.Linkname)
			}
			err = os.Link(filepath.Join(dir, target), p)
		}
		if err != nil {
			return "", err
		}
	}
	if len(tops) != 1 {
		return "", fmt.Errorf("%s holds %d top folders, want 1", archive, len(tops))
	}
	for t := range tops {
		return filepath.Join(dir, t), nil
	}
	return "", nil
}

func writeFrom(p string, r io.Reader) error {
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
