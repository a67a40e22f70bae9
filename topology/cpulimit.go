package topology

import (
	"math"
	"path"
	"slices"
	"strconv"
	"strings"
)

// CPULimit returns the CPU time this process's cgroup allows per period,
// in CPUs (cgroup2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us:
// 1.5 means one and a half CPUs' worth of time), the tightest limit of its
// cgroup and the cgroups above it; ok is false when none is set. A
// Kubernetes pod's CPU limit is such a limit. It is read once, by Load.
//
// Usable CPUs say where the process may run; the limit says how much: 8
// usable CPUs under a limit of 2 run 8 threads for a quarter of each
// period, then stall. Go's runtime lowers its default GOMAXPROCS to the
// limit rounded up (at least 2), and numapool's default worker count
// follows GOMAXPROCS.
func (m *Machine) CPULimit() (cpus float64, ok bool) {
	return m.cpuLimit, m.cpuLimit > 0
}

// readCPULimit finds the process's cgroup for the cpu controller (a v1
// hierarchy mounted with the cpu option, else cgroup2) and returns the
// smallest quota/period on the way from it up to the hierarchy's top, or
// 0 for none.
func readCPULimit(f fsys) float64 {
	var v1Path, v2Path string
	cg, _ := f.read("proc/self/cgroup")
	for line := range strings.Lines(cg) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		switch {
		case len(parts) != 3:
		case parts[0] == "0" && parts[1] == "":
			v2Path = parts[2]
		case slices.Contains(strings.Split(parts[1], ","), "cpu"):
			v1Path = parts[2]
		}
	}
	var v1Mount, v2Mount string
	for _, mnt := range readMounts(f) {
		switch {
		case mnt.fsType == "cgroup" && slices.Contains(mnt.options, "cpu") && v1Mount == "":
			v1Mount = mnt.dir
		case mnt.fsType == "cgroup2" && v2Mount == "":
			v2Mount = mnt.dir
		}
	}
	switch {
	case v1Mount != "" && v1Path != "":
		return walkLimit(f, v1Mount, v1Path, func(dir string) float64 {
			quota := f.readInt(path.Join(dir, "cpu.cfs_quota_us"), -1)
			period := f.readInt(path.Join(dir, "cpu.cfs_period_us"), 0)
			return ratio(quota, period)
		})
	case v2Mount != "" && v2Path != "":
		return walkLimit(f, v2Mount, v2Path, func(dir string) float64 {
			s, _ := f.read(path.Join(dir, "cpu.max"))
			q, p, _ := strings.Cut(s, " ")
			quota, err := strconv.Atoi(q)
			if err != nil {
				return 0 // "max", or no file
			}
			period, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				return 0
			}
			return ratio(quota, period)
		})
	}
	return 0
}

// walkLimit returns the smallest positive limit read in the cgroup at
// mnt/name and each cgroup above it, up to mnt, or 0. When mnt/name is
// missing (a namespaced mount shows the process's own cgroup at its top),
// it reads mnt alone.
func walkLimit(f fsys, mnt, name string, limit func(dir string) float64) float64 {
	mnt = path.Clean(mnt)
	dir := path.Join(mnt, name)
	if !f.exists(dir) {
		dir = mnt
	}
	best := math.Inf(1)
	for {
		if l := limit(dir); l > 0 {
			best = min(best, l)
		}
		if dir == mnt || !strings.HasPrefix(dir, mnt+"/") {
			break
		}
		dir = path.Dir(dir)
	}
	if math.IsInf(best, 1) {
		return 0
	}
	return best
}

func ratio(quota, period int) float64 {
	if quota <= 0 || period <= 0 {
		return 0
	}
	return float64(quota) / float64(period)
}
