// Command numavm runs the project's tests inside emulated NUMA machines
// (make test-numa). See docs/numa-harness.md.
//
//	numavm run [-machines a,b] [-timeout 6m] [-race]   # on the host, from the repository root
//	numavm dump                                         # in a guest: its /sys and /proc for hwloc
//
// run builds static test binaries of numavm.TestBinaries and the inspection
// tool, packs them with busybox into an initramfs, boots each machine of
// numavm.Machines under QEMU (TCG) with a hard timeout, and prints one
// summary per machine. It exits 1 when a machine did not boot or finish, a
// test failed, or the inspection tool disagrees with hwloc; it exits 0 with
// a SKIP line when QEMU cannot run here at all.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: numavm run [flags] | numavm dump")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "run":
		os.Exit(run(os.Args[2:]))
	case "dump":
		if err := dump(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		fmt.Fprintf(os.Stderr, "numavm: unknown command %q; use run or dump\n", os.Args[1])
		os.Exit(2)
	}
}
