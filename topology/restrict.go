package topology

import (
	"os"
	"path"
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

// readCgroupCpuset finds the process's cpuset cgroup through
// proc/self/cgroup (or the older proc/self/cpuset) and proc/mounts, and
// reads its effective CPUs and memory nodes.
func readCgroupCpuset(f fsys) processLimits {
	var l processLimits
	var v1Path, v2Path string
	if cg, ok := f.read("proc/self/cgroup"); ok {
		for line := range strings.Lines(cg) {
			parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
			if len(parts) != 3 {
				continue
			}
			if parts[0] == "0" && parts[1] == "" {
				v2Path = parts[2]
			}
			for c := range strings.SplitSeq(parts[1], ",") {
				if c == "cpuset" {
					v1Path = parts[2]
				}
			}
		}
	}
	if p, ok := f.read("proc/self/cpuset"); ok {
		if v1Path == "" {
			v1Path = p
		}
		if v2Path == "" {
			v2Path = p
		}
	}
	mounts, _ := f.read("proc/mounts")
	var v1Mount, v1Prefix, v2Mount string
	for line := range strings.Lines(mounts) {
		fs := strings.Fields(line)
		if len(fs) < 4 {
			continue
		}
		mnt := unescapeMount(fs[1])
		switch fs[2] {
		case "cpuset":
			v1Mount, v1Prefix = mnt, ""
		case "cgroup":
			for o := range strings.SplitSeq(fs[3], ",") {
				if o == "cpuset" {
					v1Mount, v1Prefix = mnt, "cpuset."
				}
			}
		case "cgroup2":
			v2Mount = mnt
		}
	}
	switch {
	case v1Mount != "" && v1Path != "":
		dir := path.Join(v1Mount, v1Path)
		if !f.exists(dir) {
			// A namespaced mount shows the process's own cgroup at its
			// root while proc/self/cgroup may name the host's path.
			dir = v1Mount
		}
		// v1: the configured sets, as hwloc reads them; the effective ones
		// only differ after CPU hotplug.
		l.cpus, l.cpusOK = firstList(f, dir, v1Prefix+"cpus", v1Prefix+"effective_cpus")
		l.mems, l.memsOK = firstList(f, dir, v1Prefix+"mems", v1Prefix+"effective_mems")
	case v2Mount != "" && v2Path != "":
		// cpuset files exist only where the controller is enabled: walk up
		// to the nearest cgroup that has them.
		for dir := path.Join(v2Mount, v2Path); ; dir = path.Dir(dir) {
			if !l.cpusOK {
				l.cpus, l.cpusOK = f.readList(path.Join(dir, "cpuset.cpus.effective"))
			}
			if !l.memsOK {
				l.mems, l.memsOK = f.readList(path.Join(dir, "cpuset.mems.effective"))
			}
			if l.cpusOK && l.memsOK || !strings.HasPrefix(dir, v2Mount) || dir == path.Clean(v2Mount) {
				break
			}
		}
	}
	// An empty effective set means the files exist but say nothing useful
	// (a cgroup with no tasks); do not let it hide every CPU.
	if l.cpusOK && l.cpus.IsEmpty() {
		l.cpusOK = false
	}
	if l.memsOK && l.mems.IsEmpty() {
		l.memsOK = false
	}
	return l
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
