// Package numavm boots emulated multi-node machines under QEMU and runs the
// project's tests inside them, so that every test run meets a real Linux
// kernel's mbind, move_pages, sched_setaffinity, cgroups and per-node huge
// pages, on any host.
//
// A Machine is a set of QEMU options plus the shell lines the guest runs
// before the tests (reserving huge pages on one node, entering a cgroup,
// taking a CPU offline) and what the guest must then look like. The driver,
// numavm/cmd/numavm (make test-numa), builds static test binaries, packs
// them with busybox into an initramfs, boots each machine with a hard
// timeout, reads the test logs and a dump of the guest's /sys and /proc back
// over a second serial port, and compares the inspection tool's view of that
// dump with hwloc's (lstopo --input).
//
// The tests of this package (guest_test.go) are the checks only a real
// kernel can answer; they skip unless $NUMAVM_MACHINE names the machine they
// run on, which only the guest's init sets. See docs/numa-harness.md.
package numavm
