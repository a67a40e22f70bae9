# numapool: `make test` is the one test command (README, .ci/run).
GO ?= go
PKGS := ./...

.PHONY: test vet fmt-check bench bench-peers

test: fmt-check vet
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $(PKGS)
	@if [ -f bench/go.mod ]; then cd bench && CGO_ENABLED=1 $(GO) vet ./... && CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 10m ./...; fi

vet:
	CGO_ENABLED=1 $(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# Speed: compare with benchstat (go run golang.org/x/perf/cmd/benchstat@latest).
bench:
	CGO_ENABLED=1 $(GO) test -run xxx -bench . -benchmem -count 6 ./numapool/ ./shm/

bench-peers:
	cd bench && CGO_ENABLED=1 $(GO) test -run xxx -bench . -benchmem -count 6 ./...
