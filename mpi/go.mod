module github.com/numapool/numapool/mpi

go 1.26.0

require (
	github.com/numapool/numapool v0.0.0
	go.uber.org/goleak v1.3.0
	golang.org/x/sys v0.50.0
)

require github.com/klauspost/cpuid/v2 v2.4.2 // indirect

replace github.com/numapool/numapool => ../
