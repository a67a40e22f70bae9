package main

import (
	"bufio"
	"os"

	"github.com/numapool/numapool/numavm"
)

// dump writes the guest's /sys and /proc files that hwloc reads to stdout,
// base64-encoded (numavm.EncodeDump).
func dump() error {
	w := bufio.NewWriter(os.Stdout)
	if err := numavm.EncodeDump(w, "/"); err != nil {
		return err
	}
	return w.Flush()
}
