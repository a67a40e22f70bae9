package topologytest

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing/fstest"
)

// writeTree writes the files and links of t below dir.
func writeTree(t fstest.MapFS, dir string) error {
	for _, name := range slices.Sorted(maps.Keys(t)) {
		f := t[name]
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var err error
		switch {
		case f.Mode.IsDir():
			err = os.MkdirAll(p, 0o755)
		case f.Mode.Type() == fs.ModeSymlink:
			err = os.Symlink(string(f.Data), p)
		default:
			err = os.WriteFile(p, f.Data, 0o644)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
