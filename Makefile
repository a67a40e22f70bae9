# numapool: `make test` is the one test command (README, .ci/run).
GO ?= go
PKGS := ./...

.PHONY: test vet lint cross-check fmt-check test-tools

test: test-tools fmt-check vet lint cross-check
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $(PKGS)
	@if [ -f bench/go.mod ]; then cd bench && CGO_ENABLED=1 $(GO) vet ./... && CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 10m ./...; fi

# test-tools installs from Debian what tests drive, where it is missing: tmux,
# for the terminal test of examples/nested-progress (which skips without it).
test-tools:
	@command -v tmux >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y tmux; } || \
		echo "tmux could not be installed: the terminal test of examples/nested-progress will skip"

vet:
	CGO_ENABLED=1 $(GO) vet $(PKGS)

# lint runs staticcheck, at a fixed version, on the library and on bench/.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
lint:
	CGO_ENABLED=1 $(GO) run $(STATICCHECK) $(PKGS)
	@if [ -f bench/go.mod ]; then cd bench && CGO_ENABLED=1 $(GO) run $(STATICCHECK) ./...; fi

# cross-check: numapool builds only on Linux with cgo. Elsewhere a build or a
# vet must stop with csrc's one guard error (csrc/requires_linux_cgo.go) and
# nothing else, and topology (pure Go) must still build.
GUARD := numapool_requires_Linux_and_cgo__set_CGO_ENABLED_1_and_install_gcc
cross-check:
	@for env in CGO_ENABLED=0 GOOS=darwin; do \
		for cmd in build vet; do \
			out=$$(env $$env $(GO) $$cmd ./numapool 2>&1) && { echo "cross-check: $$env go $$cmd ./numapool succeeded; it must fail with $(GUARD)"; exit 1; }; \
			errs=$$(printf '%s\n' "$$out" | grep -c '\.go:[0-9]'); \
			if [ "$$errs" != 1 ] || ! printf '%s\n' "$$out" | grep -q '$(GUARD)'; then \
				echo "cross-check: $$env go $$cmd ./numapool must fail with $(GUARD) alone; it said:"; echo "$$out"; exit 1; \
			fi; \
		done; \
		env $$env $(GO) build ./topology/... || { echo "cross-check: topology must build with $$env"; exit 1; }; \
	done
	@echo "cross-check: CGO_ENABLED=0 and GOOS=darwin stop at the guard; topology builds"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# The benchmark suite (bench/, docs/performance.md): every workload run by
# numapool, its Go peers and OpenMP (bench/openmp/omp.c, built here with gcc
# -fopenmp, spinning and OMP_WAIT_POLICY=passive), in BENCH_COUNT rounds that
# each run every case once in turn (so that a shared machine's changing load
# weighs on all cases alike); then a benchstat table and one line per
# workload with numapool's ratio to every other case of the same run.
# bench: the full sizes (12 minutes on 2 quiet CPUs, 20 busy); bench-quick: the
# quick sizes, one timed op a case a round (22 s on 2 quiet CPUs, under
# two minutes busy). The raw output stays in BENCH_OUT (a new temporary folder
# unless set), for benchstat comparisons and `go run ./cmd/benchratio -md`.
# bench-scaling: Medium and Unbalanced on 1, 2, 4, ... workers up to the
# usable CPUs, pinned and unpinned (SCALING_FLAGS=-short for quick sizes).
# bench-lib: the library's own benchmarks (numapool/, shm/).
BENCHSTAT ?= $(GO) run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da
BENCH_COUNT ?= 6
SCALING_FLAGS ?=

.PHONY: bench bench-quick bench-run bench-deps bench-scaling bench-lib

bench:
	@$(MAKE) --no-print-directory bench-run BENCH_FLAGS="-test.benchtime 0.5s" OMP_FLAGS="-scale full -benchtime 0.5"

bench-quick:
	@$(MAKE) --no-print-directory bench-run BENCH_FLAGS="-test.short -test.benchtime 1x" OMP_FLAGS="-scale quick -benchtime 0.02"

# bench-deps installs gcc (with libgomp, OpenMP's runtime) from Debian where
# gcc -fopenmp cannot build a program.
bench-deps:
	@if ! echo 'int main(void){return 0;}' | gcc -fopenmp -x c - -o /dev/null >/dev/null 2>&1; then \
		echo "installing gcc and libgomp1 from Debian for the OpenMP program"; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
		$$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y gcc libgomp1; \
	fi

# bench-run builds the Go benchmarks once (go test -c) and the OpenMP
# program, then runs each round: the Go binary with -test.count 1, the
# OpenMP program spinning and passive with -count 1.
bench-run: bench-deps
	@set -e; out="$${BENCH_OUT:-$$(mktemp -d)}"; mkdir -p "$$out"; out=$$(cd "$$out" && pwd); \
	gcc -O2 -fopenmp -ffp-contract=off bench/openmp/omp.c -o "$$out/omp"; \
	(cd bench && CGO_ENABLED=1 $(GO) test -c -o "$$out/bench.test" .); \
	echo "raw output: $$out/bench.txt"; : >"$$out/bench.txt"; \
	for round in $$(seq $(BENCH_COUNT)); do \
		echo "round $$round of $(BENCH_COUNT): Go, OpenMP spinning, OpenMP passive"; \
		(cd bench && "$$out/bench.test" -test.run '^$$' -test.bench . -test.benchmem -test.count 1 $(BENCH_FLAGS)) >>"$$out/bench.txt" || \
			{ tail -n 20 "$$out/bench.txt"; echo "go test -bench failed in round $$round"; exit 1; }; \
		"$$out/omp" -count 1 $(OMP_FLAGS) >>"$$out/bench.txt"; \
		OMP_WAIT_POLICY=passive "$$out/omp" -count 1 $(OMP_FLAGS) >>"$$out/bench.txt"; \
	done; \
	echo; $(BENCHSTAT) -filter '.unit:(sec/op OR allocs/op)' "$$out/bench.txt"; \
	echo; echo "numapool's median time over each case's, same run (below 1: numapool is faster):"; \
	cd bench && $(GO) run ./cmd/benchratio "$$out/bench.txt"

bench-scaling:
	cd bench && CGO_ENABLED=1 $(GO) run ./cmd/scaling $(SCALING_FLAGS)

bench-lib:
	CGO_ENABLED=1 $(GO) test -run xxx -bench . -benchmem -count 6 ./numapool/ ./shm/

# MPI (issue 13): the mpi/ module and examples/mpi-map, each a module of its
# own so the library never needs libmpi. Installs Open MPI from Debian when
# missing, runs the unit tests, then the MPI tests under mpirun on this
# machine only (mpi/mpirun-local.sh: shared memory and loopback): -np 2 with
# each rank bound to a core, -np 4 unbound. Every rank exits with the worst
# exit code of all ranks; a hung run fails after MPI_TIMEOUT seconds.
MPI_TIMEOUT ?= 300

.PHONY: mpi-deps test-mpi bench-mpi

mpi-deps:
	@if ! command -v mpirun >/dev/null 2>&1 || ! pkg-config --exists ompi-c 2>/dev/null; then \
		echo "installing Open MPI from Debian: libopenmpi-dev openmpi-bin pkg-config"; \
		sudo=; [ "$$(id -u)" = 0 ] || sudo="sudo -n"; \
		$$sudo apt-get update && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y libopenmpi-dev openmpi-bin pkg-config; \
	fi

# -mod=mod: these modules replace numapool with ../, so a dependency the
# library gains enters their go.mod here instead of failing the run.
test-mpi: export GOFLAGS += -mod=mod
test-mpi: mpi-deps
	cd mpi && CGO_ENABLED=1 $(GO) vet ./... && CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 10m ./...
	cd examples/mpi-map && CGO_ENABLED=1 $(GO) vet ./... && CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 10m ./...
	@set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	(cd mpi && CGO_ENABLED=1 $(GO) test -race -c -o "$$dir/mpi.test" .); \
	(cd examples/mpi-map && CGO_ENABLED=1 $(GO) build -race -o "$$dir/mpi-map" .); \
	bind="--bind-to none"; \
	if [ "$$(nproc)" -ge 2 ]; then bind="--bind-to core -x NUMAPOOL_MPI_BOUND=1"; fi; \
	echo "mpirun -np 2 $$bind: mpi tests"; \
	timeout -k 10 $(MPI_TIMEOUT) mpi/mpirun-local.sh -np 2 $$bind --tag-output "$$dir/mpi.test" -test.count=1 -test.timeout 240s; \
	echo "mpirun -np 4 --bind-to none: mpi tests"; \
	timeout -k 10 $(MPI_TIMEOUT) mpi/mpirun-local.sh -np 4 --bind-to none --tag-output "$$dir/mpi.test" -test.count=1 -test.timeout 240s; \
	echo "mpirun -np 2: examples/mpi-map"; \
	timeout -k 10 $(MPI_TIMEOUT) mpi/mpirun-local.sh -np 2 "$$dir/mpi-map" -n 20000 -check

# Distributed against local on this machine: medium tasks (~20 us) over
# 2 ranks x 1 worker and 1 rank x 2 workers, in the same run (mpi/bench_test.go).
bench-mpi: export GOFLAGS += -mod=mod
bench-mpi: mpi-deps
	@set -e; dir=$$(mktemp -d); trap 'rm -rf "$$dir"' EXIT; \
	(cd mpi && CGO_ENABLED=1 $(GO) test -c -o "$$dir/mpi.test" .); \
	timeout -k 10 900 mpi/mpirun-local.sh -np 2 --bind-to none --output-filename "$$dir/out" "$$dir/mpi.test" \
		-test.run xxx -test.bench . -test.benchtime 20x -test.count 6 -test.benchmem >/dev/null; \
	cat "$$dir"/out/1/rank.0/stdout

# Real NUMA kernels: boots the machines of numavm/machines.go under QEMU (TCG)
# and runs every test of topology, shm, numapool and numavm in each
# (docs/numa-harness.md). Installs qemu-system-x86, busybox-static and
# hwloc-nox from Debian when missing; the guest kernel is unpacked into
# numavm/.cache. Skips only where QEMU cannot run at all.
.PHONY: test-numa
test-numa:
	@sh numavm/deps.sh numavm/.cache
	CGO_ENABLED=1 $(GO) run ./numavm/cmd/numavm run -cache numavm/.cache
