package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/numapool/numapool/numavm"
)

// bootResult is what one QEMU run left.
type bootResult struct {
	run      *numavm.Run
	took     time.Duration
	timedOut bool
	err      error  // QEMU could not start or failed
	qemuOut  string // QEMU's own messages
	console  string // path of the guest's console log
}

// boot runs machine m under QEMU until it powers off or timeout passes
// (then QEMU is killed), with its serial ports written to dir.
func boot(m numavm.Machine, kernel, initrd, dir string, timeout time.Duration) bootResult {
	res := bootResult{console: filepath.Join(dir, "console.log")}
	if err := os.RemoveAll(dir); err != nil {
		res.err = err
		return res
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		res.err = err
		return res
	}
	results := filepath.Join(dir, "results.log")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", m.QEMUArgs(kernel, initrd, res.console, results)...)
	cmd.WaitDelay = 10 * time.Second
	// QEMU dies with this process, so an interrupted run leaves no guest.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	out, err := cmd.CombinedOutput()
	res.took = time.Since(start)
	res.qemuOut = string(out)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		res.timedOut = true
	} else if err != nil {
		res.err = err
	}
	b, _ := os.ReadFile(results)
	res.run = numavm.ParseRun(string(b))
	return res
}
