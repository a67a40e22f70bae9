package topology_test

import (
	"archive/tar"
	"compress/bzip2"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/numapool/numapool/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpusDir finds the topology corpus: $NUMAPOOL_TOPOLOGY_CORPUS, or a
// shared/topology-corpus folder beside the working directory or one of its
// parents (in CI the repository is a clone with ../shared beside it).
func corpusDir() string {
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

// untar unpacks a .tar.bz2 into dir and returns the folder it holds.
func untar(archive, dir string) (string, error) {
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
			return "", err
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
			err = writeFile(p, tr)
		case tar.TypeSymlink:
			// sysfs links (nodeN/cpuX, cpuN/node0) point inside the dump.
			err = os.Symlink(h.Linkname, p)
		case tar.TypeLink:
			err = os.Link(filepath.Join(dir, filepath.Clean(h.Linkname)), p)
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
	panic("unreachable")
}

func writeFile(p string, r io.Reader) error {
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

// TestCorpus loads every recorded machine of the corpus and compares it
// with hwloc's answer.
func TestCorpus(t *testing.T) {
	dir := corpusDir()
	if dir == "" {
		t.Skip("topology corpus not found: set NUMAPOOL_TOPOLOGY_CORPUS or put shared/topology-corpus beside the repository")
	}
	archives, err := filepath.Glob(filepath.Join(dir, "*.tar.bz2"))
	require.NoError(t, err)
	require.Len(t, archives, 20, "the corpus holds 20 dumps")
	for _, a := range archives {
		name := strings.TrimSuffix(filepath.Base(a), ".tar.bz2")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(filepath.Join(dir, name+".expected.json"))
			require.NoError(t, err)
			var want topology.Summary
			require.NoError(t, json.Unmarshal(b, &want))

			root, err := untar(a, t.TempDir())
			require.NoError(t, err)
			m, err := topology.Load(root)
			require.NoError(t, err)
			got := m.Summary()

			assert.Equal(t, want.Packages, got.Packages, "packages")
			assert.Equal(t, want.NUMANodes, got.NUMANodes, "numa_nodes")
			assert.Equal(t, want.Cores, got.Cores, "cores")
			assert.Equal(t, want.PUs, got.PUs, "pus")
			assert.Equal(t, want.PUOSIndexes, got.PUOSIndexes, "pu_os_indexes")
			assert.Equal(t, want.PUsByNode, got.PUsByNode, "pus_by_node")
			assert.Equal(t, want.PUsByPackage, got.PUsByPackage, "pus_by_package")
			assert.Equal(t, sortedCores(want.CorePUs), sortedCores(got.CorePUs), "core_pus")
		})
	}
}

func sortedCores(c [][]int) [][]int {
	out := slices.Clone(c)
	slices.SortFunc(out, slices.Compare)
	return out
}
