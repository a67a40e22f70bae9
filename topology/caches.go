package topology

import (
	"cmp"
	"path"
	"slices"
	"strconv"
	"strings"
)

// readCaches reads cpuN/cache/indexK for every usable CPU and merges the
// entries that describe one cache (same level, type and sharing CPUs, as
// shared_cpu_map gives them). The
// level comes from each index's own "level" file and the size from its own
// "size" file, so an L1i is never reported as the L1d.
func readCaches(f fsys, usable CPUSet) []*Cache {
	type key struct {
		level int
		typ   CacheType
		cpus  string
	}
	seen := map[key]*Cache{}
	var out []*Cache
	for cpu := range usable.All() {
		base := path.Join(cpuDir, "cpu"+strconv.Itoa(cpu), "cache")
		for _, idx := range f.numbered(base, "index") {
			d := path.Join(base, "index"+strconv.Itoa(idx))
			level := f.readInt(path.Join(d, "level"), 0)
			typ, _ := f.read(path.Join(d, "type"))
			if level <= 0 || typ == "" {
				continue
			}
			// The map first, as hwloc reads it: where a kernel's map and
			// list disagree (a recorded 8-node AMD machine lists each L2
			// as private while its map shares it between two cores),
			// hwloc trusts the map. An empty map (ia64 L3 and L2i) means
			// the core's CPUs.
			shared, ok := f.readSet(d, "shared_cpu_map", "shared_cpu_list")
			if ok && shared.IsEmpty() {
				shared, ok = f.readSet(path.Join(cpuDir, "cpu"+strconv.Itoa(cpu), "topology"), "core_cpus", "thread_siblings", "core_cpus_list", "thread_siblings_list")
			}
			if !ok {
				shared = NewCPUSet(cpu)
			}
			shared = shared.Add(cpu)
			k := key{level, CacheType(typ), shared.String()}
			if seen[k] != nil {
				continue
			}
			sz, _ := f.read(path.Join(d, "size"))
			c := &Cache{
				Level:    level,
				Type:     CacheType(typ),
				Size:     parseSize(sz),
				LineSize: f.readInt(path.Join(d, "coherency_line_size"), 0),
				Ways:     f.readInt(path.Join(d, "ways_of_associativity"), 0),
				CPUs:     shared.Intersect(usable),
			}
			seen[k] = c
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *Cache) int {
		return cmp.Or(
			cmp.Compare(b.Level, a.Level),
			cmp.Compare(a.Type, b.Type),
			cmp.Compare(a.CPUs.First(), b.CPUs.First()),
		)
	})
	return out
}

// parseSize reads sysfs sizes such as "32K", "1024K", "8M" into bytes.
func parseSize(s string) uint64 {
	s = strings.TrimSpace(s)
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0
	}
	return v * mult
}
