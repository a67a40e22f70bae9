//go:build !linux || !cgo

package csrc

// numapool runs its workers on Linux threads it pins with
// pthread_setaffinity_np and places memory with mbind, both called through
// cgo, so it builds only for GOOS=linux with cgo on. Anywhere else this file
// is the one compile error, and its name says what to do: build on Linux
// with CGO_ENABLED=1 and a C compiler (gcc) installed.
var _ = numapool_requires_Linux_and_cgo__set_CGO_ENABLED_1_and_install_gcc
