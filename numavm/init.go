package numavm

import (
	"fmt"
	"strings"
)

// Marker starts every line the guest's init writes about its own progress
// on the results port; test output lies between the BEGIN and END markers.
const Marker = "=== NUMAVM "

// TestBinaries are the packages whose whole test binaries every machine
// runs, in order; the initramfs holds each as bin/NAME.test.
var TestBinaries = []string{"topology", "shm", "numapool", "numavm"}

// InitScript returns the guest's /init: mount the kernel's file systems,
// run the machine's script (bin/machines/NAME.sh, chosen by numavm.machine=
// on the kernel command line), then, inside the machine's cgroup, each test
// binary with -test.v, the inspection tool, and the dump of /sys and /proc
// for hwloc, then power off. testTimeout bounds each test binary (Go's
// -test.timeout prints every goroutine's stack when it fires), unless the
// machine's script sets TEST_TIMEOUT.
func InitScript(testTimeout string) string {
	return fmt.Sprintf(`#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
exec 3>/dev/ttyS1
say() { echo "%[1]s$*" >&3; }
up() { cut -d' ' -f1 /proc/uptime; }
setup() { eval "$1" >&3 2>&1 || say "SETUP FAILED: $1"; }
name=
for a in $(cat /proc/cmdline); do
	case $a in numavm.machine=*) name=${a#numavm.machine=} ;; esac
done
say "BOOTED $name with $(nproc) CPUs online"
CGROUP=
if [ -f /numavm/machines/$name.sh ]; then
	. /numavm/machines/$name.sh
else
	say "SETUP FAILED: no script for machine '$name'"
fi
(
	if [ -n "$CGROUP" ]; then
		echo 0 > $CGROUP/cgroup.procs || say "SETUP FAILED: entering $CGROUP"
	fi
	cd /tmp
	export NUMAVM_MACHINE=$name
	for t in %[2]s; do
		eval skip=\$SKIP_$t
		say "BEGIN $t t=$(up)"
		if [ -n "$skip" ]; then
			/numavm/bin/$t.test -test.v -test.count=1 -test.timeout=${TEST_TIMEOUT:-%[3]s} -test.skip "$skip" >&3 2>&1
		else
			/numavm/bin/$t.test -test.v -test.count=1 -test.timeout=${TEST_TIMEOUT:-%[3]s} >&3 2>&1
		fi
		rc=$?; say "END $t rc=$rc t=$(up)"
	done
	say "BEGIN tool-json t=$(up)"
	/numavm/bin/topology -json >&3 2>&1
	rc=$?; say "END tool-json rc=$rc t=$(up)"
	say "BEGIN tool t=$(up)"
	/numavm/bin/topology >&3 2>&1
	rc=$?; say "END tool rc=$rc t=$(up)"
	say "BEGIN dump t=$(up)"
	/numavm/bin/numavm dump >&3 2>&1
	rc=$?; say "END dump rc=$rc t=$(up)"
)
say DONE
sync
poweroff -f
`, Marker, strings.Join(TestBinaries, " "), testTimeout)
}

// SlowTestTimeout is the -test.timeout of each test binary on the machine
// that runs SlowTests (numapool takes about 3 minutes there under TCG on a
// loaded 2-core host).
const SlowTestTimeout = "8m"

// MachineScript returns bin/machines/NAME.sh for m: its setup lines, each
// reported on failure, its cgroup, and the slow tests it leaves out (or,
// on the Slow machine, the longer test timeout).
func MachineScript(m Machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %s\n", m.Name, m.Doc)
	for _, l := range m.setupLines() {
		fmt.Fprintf(&b, "setup %s\n", shellQuote(l))
	}
	if m.Cgroup != nil {
		b.WriteString("CGROUP=/sys/fs/cgroup/numavm\n")
	}
	if m.Slow {
		fmt.Fprintf(&b, "TEST_TIMEOUT=%s\n", SlowTestTimeout)
	} else {
		for bin, pattern := range SlowTests {
			fmt.Fprintf(&b, "SKIP_%s=%s\n", bin, shellQuote(pattern))
		}
	}
	return b.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
