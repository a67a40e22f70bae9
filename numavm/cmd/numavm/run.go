package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/numapool/numapool/numavm"
)

// run is numavm run: build, boot every machine, report.
func run(args []string) int {
	fs := flag.NewFlagSet("numavm run", flag.ContinueOnError)
	cache := fs.String("cache", "numavm/.cache", "folder for the binaries, the initramfs and the guests' logs")
	kernel := fs.String("kernel", "", "the guest kernel (default: the vmlinuz-* under CACHE/kernel/boot, which numavm/deps.sh unpacks)")
	busybox := fs.String("busybox", "/bin/busybox", "a statically linked busybox (Debian's busybox-static)")
	names := fs.String("machines", "", "comma-separated machines to boot (default: all)")
	timeout := fs.Duration("timeout", 12*time.Minute, "hard limit for one machine, boot to power-off")
	testTimeout := fs.Duration("test-timeout", 3*time.Minute, "-test.timeout of each test binary in a guest (numavm.SlowTestTimeout on the machine that runs the slow tests)")
	parallel := fs.Int("parallel", 2, "machines booted at once (guests rarely keep all their CPUs busy)")
	race := fs.Bool("race", false, "build the test binaries with the race detector (several times slower under TCG)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	start := time.Now()

	if why := qemuUnusable(); why != "" {
		fmt.Printf("numavm: SKIP: QEMU cannot run here (%s); install Debian's qemu-system-x86 (make test-numa does)\n", why)
		return 0
	}
	machines, err := pick(*names)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if *kernel == "" {
		found, _ := filepath.Glob(filepath.Join(*cache, "kernel", "boot", "vmlinuz-*"))
		if len(found) == 0 {
			fmt.Fprintf(os.Stderr, "numavm: no kernel under %s/kernel/boot; run numavm/deps.sh (make test-numa does) or pass -kernel\n", *cache)
			return 1
		}
		*kernel = found[len(found)-1]
	}
	if _, err := exec.LookPath("lstopo"); err != nil {
		fmt.Fprintln(os.Stderr, "numavm: lstopo not found; install Debian's hwloc-nox (make test-numa does)")
		return 1
	}

	unlock, err := lock(*cache)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer unlock()

	binDir := filepath.Join(*cache, "bin")
	if err := buildBinaries(binDir, *race); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	initrd := filepath.Join(*cache, "initramfs.cpio")
	if err := buildInitramfs(initrd, *busybox, binDir, *testTimeout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("numavm: kernel %s, %d machines, %d at a time, up to %s each, race detector %v\n", filepath.Base(*kernel), len(machines), max(1, *parallel), *timeout, *race)

	// Guests run -parallel at a time; summaries print in machine order.
	done := make([]chan *verdict, len(machines))
	slots := make(chan struct{}, max(1, *parallel))
	for i, m := range machines {
		done[i] = make(chan *verdict, 1)
		go func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			dir := filepath.Join(*cache, "runs", m.Name)
			res := boot(m, *kernel, initrd, dir, *timeout)
			done[i] <- evaluate(m, res, dir, filepath.Join(binDir, "topology"))
		}()
	}
	failed := 0
	for i := range machines {
		v := <-done[i]
		v.print(os.Stdout)
		if !v.ok() {
			failed++
		}
	}
	fmt.Printf("numavm: %d of %d machines passed in %s\n", len(machines)-failed, len(machines), time.Since(start).Round(time.Second))
	if failed > 0 {
		fmt.Printf("numavm: FAIL (guest logs under %s/runs)\n", *cache)
		return 1
	}
	return 0
}

// qemuUnusable says why qemu-system-x86_64 cannot run here, or "".
func qemuUnusable() string {
	path, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return "qemu-system-x86_64 is not installed"
	}
	if out, err := exec.Command(path, "--version").CombinedOutput(); err != nil {
		return fmt.Sprintf("%s --version: %v: %s", path, err, strings.TrimSpace(string(out)))
	}
	return ""
}

// pick returns the machines named in list (all when empty).
func pick(list string) ([]numavm.Machine, error) {
	for _, m := range numavm.Machines {
		if err := m.Check(); err != nil {
			return nil, err
		}
	}
	if list == "" {
		return numavm.Machines, nil
	}
	var out []numavm.Machine
	for name := range strings.SplitSeq(list, ",") {
		m, ok := numavm.Lookup(name)
		if !ok {
			var all []string
			for _, m := range numavm.Machines {
				all = append(all, m.Name)
			}
			return nil, fmt.Errorf("numavm: no machine %q; choose from %s", name, strings.Join(all, ", "))
		}
		if !slices.ContainsFunc(out, func(o numavm.Machine) bool { return o.Name == name }) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("numavm: -machines names no machine")
	}
	return out, nil
}

// lock takes CACHE/lock, so that two runs in one tree never share the
// binaries, the initramfs and the logs.
func lock(cache string) (func(), error) {
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(cache, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("numavm: another numavm run holds %s; wait for it to end", f.Name())
	}
	return func() { f.Close() }, nil
}
