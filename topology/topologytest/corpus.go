package topologytest

import (
	"archive/tar"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"
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
// recreated as they are; entries leaving the archive's folder are refused.
func Unpack(archive, dir string) (string, error) {
	top, files, err := readArchive(archive)
	if err != nil {
		return "", err
	}
	root := filepath.Join(dir, top)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	return root, writeTree(files, root)
}

// UnpackFS reads a recorded machine (as for Unpack) into memory and returns
// the archive's folder as a file system for topology.LoadFS. Symbolic links
// stay links; fs.FS resolves them inside the tree.
func UnpackFS(archive string) (fs.FS, error) {
	_, files, err := readArchive(archive)
	if err != nil {
		return nil, err
	}
	return indexFS(files), nil
}

// readArchive returns the name of the archive's one top folder and the
// entries below it.
func readArchive(archive string) (string, fstest.MapFS, error) {
	f, err := os.Open(archive)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	tr := tar.NewReader(bzip2.NewReader(f))
	files := fstest.MapFS{}
	top := ""
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", archive, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if !fs.ValidPath(name) || name == "." {
			return "", nil, fmt.Errorf("%s: entry %q leaves the folder", archive, h.Name)
		}
		first, rest, _ := strings.Cut(name, "/")
		if top == "" {
			top = first
		} else if first != top {
			return "", nil, fmt.Errorf("%s holds more than one top folder (%s, %s), want 1", archive, top, first)
		}
		if rest == "" {
			continue
		}
		switch h.Typeflag {
		case tar.TypeDir:
			files[rest] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				return "", nil, fmt.Errorf("%s: %s: %w", archive, h.Name, err)
			}
			files[rest] = &fstest.MapFile{Data: b, Mode: 0o644}
		case tar.TypeSymlink:
			files[rest] = &fstest.MapFile{Data: []byte(h.Linkname), Mode: fs.ModeSymlink | 0o777}
		case tar.TypeLink:
			target := path.Clean(strings.TrimPrefix(h.Linkname, "./"))
			_, trest, _ := strings.Cut(target, "/")
			src, ok := files[trest]
			if !fs.ValidPath(target) || !ok {
				return "", nil, fmt.Errorf("%s: link %q to %q: no such earlier entry", archive, h.Name, h.Linkname)
			}
			files[rest] = &fstest.MapFile{Data: src.Data, Mode: src.Mode}
		}
	}
	if top == "" {
		return "", nil, fmt.Errorf("%s holds no folder, want 1", archive)
	}
	return top, files, nil
}
