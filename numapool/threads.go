package numapool

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// threadHeadroom is how many threads beyond the workers a process keeps for
// the Go runtime (sysmon, threads blocked in system calls and cgo, the
// goroutines that feed calls): a pool that would leave fewer is refused.
const threadHeadroom = 64

// checkThreads returns an error when n more worker threads would pass a
// limit on this process's threads: Go's own (debug.SetMaxThreads, 10,000
// by default, whose breach is a fatal "thread exhaustion" crash), the
// kernel's threads-max, RLIMIT_NPROC, or the cgroup's pids.max. The error
// names the limit that binds and how to raise it.
func checkThreads(n int) error {
	have := countThreads()
	type limit struct {
		name  string
		max   int // threads allowed in all
		used  int // threads already counted against it
		raise string
	}
	var limits []limit
	goMax := debug.SetMaxThreads(math.MaxInt32)
	debug.SetMaxThreads(goMax)
	limits = append(limits, limit{"Go's thread limit", goMax, have, "raise it with runtime/debug.SetMaxThreads"})
	if v, ok := readInt("/proc/sys/kernel/threads-max"); ok {
		limits = append(limits, limit{"the kernel's threads-max", v, have, "raise /proc/sys/kernel/threads-max"})
	}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NPROC, &rl) == nil && rl.Cur < math.MaxInt32 && os.Geteuid() != 0 {
		limits = append(limits, limit{"RLIMIT_NPROC", int(rl.Cur), have, "raise it with ulimit -u"})
	}
	if dir, ok := pidsCgroup(); ok {
		if most, ok := readInt(dir + "/pids.max"); ok {
			used, _ := readInt(dir + "/pids.current")
			limits = append(limits, limit{"the cgroup's pids.max (" + dir + ")", most, used, "raise pids.max for this cgroup"})
		}
	}
	for _, l := range limits {
		if left := l.max - l.used - threadHeadroom; n > left {
			return fmt.Errorf("numapool: %d workers need %d threads, but %s allows %d and %d are in use (with %d kept for the Go runtime, %d more can start): use fewer workers, or %s",
				n, n, l.name, l.max, l.used, threadHeadroom, max(0, left), l.raise)
		}
	}
	return nil
}

// countThreads is the number of threads of this process.
func countThreads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte("Threads:")); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(string(v)))
			return n
		}
	}
	return 0
}

// readInt reads a file holding one integer; "max" (no limit) is not one.
func readInt(path string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return v, err == nil
}

// pidsCgroup returns the folder of this process's cgroup that holds
// pids.max: the v2 cgroup, or the v1 pids controller's.
func pidsCgroup() (string, bool) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controller-list:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dir string
		switch {
		case parts[0] == "0" && parts[1] == "":
			dir = "/sys/fs/cgroup" + parts[2]
		case strings.Contains(","+parts[1]+",", ",pids,"):
			dir = "/sys/fs/cgroup/pids" + parts[2]
		default:
			continue
		}
		// A process may sit in a leaf without the file; the limit then
		// lives higher up.
		for d := strings.TrimSuffix(dir, "/"); strings.HasPrefix(d, "/sys/fs/cgroup"); d = d[:strings.LastIndexByte(d, '/')] {
			if _, err := os.Stat(d + "/pids.max"); err == nil {
				return d, true
			}
		}
	}
	return "", false
}
