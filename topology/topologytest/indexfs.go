package topologytest

import (
	"io/fs"
	"maps"
	"path"
	"slices"
	"testing/fstest"
	"time"
)

// indexedFS is an fstest.MapFS that lists directories from an index made
// once, where MapFS scans every entry for each directory it opens: reading
// a recorded 256-CPU machine opens hundreds of directories among tens of
// thousands of entries.
type indexedFS struct {
	fstest.MapFS
	dirs map[string][]fs.DirEntry // every directory, given or implied, by path
}

// indexFS indexes the directories of m; m must not change afterwards.
func indexFS(m fstest.MapFS) indexedFS {
	kids := map[string]map[string]*fstest.MapFile{".": {}}
	for name, f := range m {
		if f.Mode.IsDir() && kids[name] == nil {
			kids[name] = map[string]*fstest.MapFile{}
		}
		for p, file := name, f; p != "."; p, file = path.Dir(p), nil {
			dir := path.Dir(p)
			if kids[dir] == nil {
				kids[dir] = map[string]*fstest.MapFile{}
			}
			base := path.Base(p)
			if file == nil {
				file = m[p]
			}
			if file == nil {
				file = &fstest.MapFile{Mode: fs.ModeDir | 0o555} // as MapFS shows an implied directory
			}
			if _, seen := kids[dir][base]; seen && file.Mode.IsDir() {
				break // the rest of the way up is indexed already
			}
			kids[dir][base] = file
		}
	}
	x := indexedFS{MapFS: m, dirs: make(map[string][]fs.DirEntry, len(kids))}
	for dir, files := range kids {
		ents := make([]fs.DirEntry, 0, len(files))
		for _, base := range slices.Sorted(maps.Keys(files)) {
			ents = append(ents, entry{name: base, file: files[base]})
		}
		x.dirs[dir] = ents
	}
	return x
}

// Open answers "not exist" at once for a path that is neither an entry,
// nor an indexed directory, nor below a symbolic link; MapFS would scan
// every entry to find out.
func (x indexedFS) Open(name string) (fs.File, error) {
	if x.absent(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return x.MapFS.Open(name)
}

// ReadFile is Open's fast answer, then MapFS's.
func (x indexedFS) ReadFile(name string) ([]byte, error) {
	if x.absent(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return x.MapFS.ReadFile(name)
}

func (x indexedFS) absent(name string) bool {
	if !fs.ValidPath(name) || x.MapFS[name] != nil {
		return false
	}
	if _, ok := x.dirs[name]; ok {
		return false
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if f := x.MapFS[p]; f != nil && f.Mode.Type() == fs.ModeSymlink {
			return false
		}
	}
	return true
}

// ReadDir lists name from the index; a path through a symbolic link goes
// to MapFS, which resolves it.
func (x indexedFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if ents, ok := x.dirs[name]; ok {
		return slices.Clone(ents), nil
	}
	if x.absent(name) {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	return x.MapFS.ReadDir(name)
}

// Stat answers for directories from the index.
func (x indexedFS) Stat(name string) (fs.FileInfo, error) {
	if _, ok := x.dirs[name]; ok && x.MapFS[name] == nil {
		return entry{name: path.Base(name), file: &fstest.MapFile{Mode: fs.ModeDir | 0o555}}, nil
	}
	if x.absent(name) {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
	}
	return x.MapFS.Stat(name)
}

// entry is a directory entry and its file information.
type entry struct {
	name string
	file *fstest.MapFile
}

func (e entry) Name() string               { return e.name }
func (e entry) IsDir() bool                { return e.file.Mode.IsDir() }
func (e entry) Type() fs.FileMode          { return e.file.Mode.Type() }
func (e entry) Info() (fs.FileInfo, error) { return e, nil }
func (e entry) Size() int64                { return int64(len(e.file.Data)) }
func (e entry) Mode() fs.FileMode          { return e.file.Mode }
func (e entry) ModTime() time.Time         { return e.file.ModTime }
func (e entry) Sys() any                   { return e.file.Sys }
func (e entry) String() string             { return fs.FormatDirEntry(e) }
