package topology

import (
	"os"
	"path"
	"slices"
	"strings"
)

// processLimits says which CPUs and NUMA nodes the process may use, as read
// from procfs and the cgroup file system below a root. A zero-valued field
// with its ok flag false means "no limit found".
type processLimits struct {
	cpus, mems     CPUSet
	cpusOK, memsOK bool
}

// startStatus is this process's proc/self/status as read while the package
// was initialised: package initialisation runs on the main thread before
// main, so before any worker could pin a thread. Later reads may describe a
// pinned thread: Linux answers proc/self/status for the leader thread, which
// a locked goroutine can pin, and threads the runtime starts from a pinned
// thread inherit its mask.
var startStatus, startStatusOK = readStartStatus()

func readStartStatus() (string, bool) {
	b, err := os.ReadFile("/proc/self/status")
	return string(b), err == nil
}

// readLimits combines the process's affinity (Cpus_allowed_list and
// Mems_allowed_list) with its cgroup cpuset (v1 or v2). live says root is
// this machine, whose affinity is the one read at start-up.
func readLimits(f fsys, live bool) processLimits {
	var l processLimits
	st, ok := f.read("proc/self/status")
	if live && startStatusOK {
		st, ok = startStatus, true
	}
	if ok {
		for line := range strings.Lines(st) {
			k, v, _ := strings.Cut(line, ":")
			switch strings.TrimSpace(k) {
			case "Cpus_allowed_list":
				if s, err := ParseCPUList(v); err == nil {
					l.cpus, l.cpusOK = s, true
				}
			case "Mems_allowed_list":
				if s, err := ParseCPUList(v); err == nil {
					l.mems, l.memsOK = s, true
				}
			}
		}
	}
	cg := readCgroupCpuset(f)
	if cg.cpusOK {
		l.cpus = intersectLimit(l.cpus, l.cpusOK, cg.cpus)
		l.cpusOK = true
	}
	if cg.memsOK {
		l.mems = intersectLimit(l.mems, l.memsOK, cg.mems)
		l.memsOK = true
	}
	return l
}

func intersectLimit(have CPUSet, ok bool, add CPUSet) CPUSet {
	if !ok {
		return add
	}
	return have.Intersect(add)
}

// cpusetStyle is how a cpuset hierarchy names its files.
type cpusetStyle int

const (
	cgroup2Cpuset cpusetStyle = iota // cgroup2: cpuset.cpus.effective
	cgroup1Cpuset                    // cgroup v1: cpuset.cpus
	plainCpuset                      // the cpuset file system, or v1 with noprefix: cpus
)

// findCpusetMount finds the cpuset hierarchy as hwloc does
// (hwloc_find_linux_cgroup_mntpnt in topology-linux.c): first the standard
// mount points (/sys/fs/cgroup as cgroup2 with the cpuset controller,
// /sys/fs/cgroup/cpuset as v1, /dev/cpuset), then the first entry of
// proc/mounts that is a cgroup2 whose cgroup.controllers names cpuset, a
// cpuset file system, or a v1 cgroup with the cpuset option (noprefix
// drops the "cpuset." prefix of its files).
func findCpusetMount(f fsys) (string, cpusetStyle, bool) {
	switch {
	case f.exists("sys/fs/cgroup/cpuset.cpus.effective"):
		return "/sys/fs/cgroup", cgroup2Cpuset, true
	case f.exists("sys/fs/cgroup/cpuset/cpuset.cpus"):
		return "/sys/fs/cgroup/cpuset", cgroup1Cpuset, true
	case f.exists("dev/cpuset/cpus"):
		return "/dev/cpuset", plainCpuset, true
	}
	for _, mnt := range readMounts(f) {
		switch mnt.fsType {
		case "cgroup2":
			ctrls, _ := f.read(path.Join(mnt.dir, "cgroup.controllers"))
			if slices.Contains(strings.Fields(ctrls), "cpuset") {
				return mnt.dir, cgroup2Cpuset, true
			}
		case "cpuset":
			return mnt.dir, plainCpuset, true
		case "cgroup":
			if slices.Contains(mnt.options, "cpuset") {
				if slices.Contains(mnt.options, "noprefix") {
					return mnt.dir, plainCpuset, true
				}
				return mnt.dir, cgroup1Cpuset, true
			}
		}
	}
	return "", 0, false
}

// cpusetName returns the process's cpuset path inside its hierarchy, as
// hwloc does: proc/self/cpuset, else the first line of proc/self/cgroup
// for a v1 cpuset hierarchy or the cgroup2 one.
func cpusetName(f fsys) (string, bool) {
	if p, ok := f.read("proc/self/cpuset"); ok && p != "" {
		return p, true
	}
	cg, _ := f.read("proc/self/cgroup")
	for line := range strings.Lines(cg) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) == 3 && (parts[1] == "" || slices.Contains(strings.Split(parts[1], ","), "cpuset")) {
			return parts[2], true
		}
	}
	return "", false
}

// readCgroupCpuset reads the CPUs and memory nodes of the process's cpuset
// cgroup (see findCpusetMount and cpusetName). Beyond hwloc, it walks up a
// cgroup2 hierarchy to the nearest cgroup with cpuset files (the
// controller may be enabled only above the process's own cgroup), and
// reads the hierarchy's top when the process's folder is missing (a
// namespaced mount shows the process's own cgroup at its top while
// proc/self/cgroup may name the host's path).
func readCgroupCpuset(f fsys) processLimits {
	var l processLimits
	mnt, style, ok := findCpusetMount(f)
	if !ok {
		return l
	}
	name, ok := cpusetName(f)
	if !ok {
		return l
	}
	dir := path.Join(mnt, name)
	if !f.exists(dir) {
		dir = mnt
	}
	switch style {
	case cgroup2Cpuset:
		for ; ; dir = path.Dir(dir) {
			if !l.cpusOK {
				l.cpus, l.cpusOK = f.readList(path.Join(dir, "cpuset.cpus.effective"))
			}
			if !l.memsOK {
				l.mems, l.memsOK = f.readList(path.Join(dir, "cpuset.mems.effective"))
			}
			if l.cpusOK && l.memsOK || !strings.HasPrefix(dir, mnt) || dir == path.Clean(mnt) {
				break
			}
		}
	case cgroup1Cpuset:
		// The configured sets, as hwloc reads them; the effective ones
		// only differ after CPU hotplug.
		l.cpus, l.cpusOK = firstList(f, dir, "cpuset.cpus", "cpuset.effective_cpus")
		l.mems, l.memsOK = firstList(f, dir, "cpuset.mems", "cpuset.effective_mems")
	case plainCpuset:
		l.cpus, l.cpusOK = firstList(f, dir, "cpus", "effective_cpus")
		l.mems, l.memsOK = firstList(f, dir, "mems", "effective_mems")
	}
	// An empty set means the files exist but say nothing useful (a cgroup
	// with no tasks); do not let it hide every CPU.
	if l.cpusOK && l.cpus.IsEmpty() {
		l.cpusOK = false
	}
	if l.memsOK && l.mems.IsEmpty() {
		l.memsOK = false
	}
	return l
}

// mount is one line of proc/mounts.
type mount struct {
	dir, fsType string
	options     []string
}

// readMounts reads proc/mounts, in its order.
func readMounts(f fsys) []mount {
	s, _ := f.read("proc/mounts")
	var out []mount
	for line := range strings.Lines(s) {
		fs := strings.Fields(line)
		if len(fs) < 4 {
			continue
		}
		out = append(out, mount{dir: unescapeMount(fs[1]), fsType: fs[2], options: strings.Split(fs[3], ",")})
	}
	return out
}

func firstList(f fsys, dir string, names ...string) (CPUSet, bool) {
	for _, n := range names {
		if s, ok := f.readList(path.Join(dir, n)); ok && !s.IsEmpty() {
			return s, true
		}
	}
	return CPUSet{}, false
}

// unescapeMount undoes the octal escapes (\040 for a space) of /proc/mounts.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
