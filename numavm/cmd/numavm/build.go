package main

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/numapool/numapool/numavm"
)

// buildBinaries builds, into dir, a static test binary of each of
// numavm.TestBinaries (NAME.test), the inspection tool (topology) and this
// command (numavm), and checks that each one is static.
func buildBinaries(dir string, race bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	static := []string{"-ldflags", "-linkmode external -extldflags -static"}
	var flags []string
	if race {
		flags = append(flags, "-race")
	}
	type target struct {
		out  string
		args []string
		cgo  string
	}
	var targets []target
	for _, name := range numavm.TestBinaries {
		out := filepath.Join(dir, name+".test")
		targets = append(targets, target{out, append(append([]string{"test", "-c", "-o", out}, flags...), append(static, "./"+name)...), "1"})
	}
	tool := filepath.Join(dir, "topology")
	targets = append(targets,
		target{tool, append([]string{"build", "-o", tool}, append(static, "./examples/topology")...), "1"},
		target{filepath.Join(dir, "numavm"), []string{"build", "-o", filepath.Join(dir, "numavm"), "./numavm/cmd/numavm"}, "0"},
	)
	for _, t := range targets {
		start := time.Now()
		cmd := exec.Command(goTool(), t.args...)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+t.cgo)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("numavm: go %s failed: %w\n%s", strings.Join(t.args, " "), err, linkerNoise(out))
		}
		if err := checkStatic(t.out); err != nil {
			return err
		}
		fmt.Printf("numavm: built %s (%.0fs)\n", filepath.Base(t.out), time.Since(start).Seconds())
	}
	return nil
}

// goTool is the go command make passes in $GO, else go.
func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// linkerNoise drops the static linker's warnings about getaddrinfo and
// getpwuid in a static binary (harmless: the tests resolve no names).
func linkerNoise(out []byte) string {
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "statically linked applications requires at runtime") || strings.Contains(l, ": in function `") {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// checkStatic refuses a binary that asks for a dynamic loader: the guest has
// no libc to load.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("numavm: %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("numavm: %s is dynamically linked; the guest has no libc (build it with -ldflags '-extldflags -static')", path)
		}
	}
	return nil
}

// buildInitramfs writes the guest's initramfs to path: busybox, /init, the
// machines' scripts and the binaries of binDir.
func buildInitramfs(path, busybox, binDir string, testTimeout time.Duration) error {
	if err := checkStatic(busybox); err != nil {
		return fmt.Errorf("%w (install busybox-static)", err)
	}
	r := numavm.NewInitramfs()
	r.AddFile("bin/busybox", 0o755, busybox)
	r.Add("init", 0o755, []byte(numavm.InitScript(testTimeout.String())))
	for _, d := range []string{"proc", "sys", "dev", "tmp", "root"} {
		r.Dir(d)
	}
	for _, m := range numavm.Machines {
		r.Add("numavm/machines/"+m.Name+".sh", 0o644, []byte(numavm.MachineScript(m)))
	}
	entries, err := os.ReadDir(binDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		r.AddFile("numavm/bin/"+e.Name(), 0o755, filepath.Join(binDir, e.Name()))
	}
	var buf bytes.Buffer
	if _, err := r.WriteTo(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
