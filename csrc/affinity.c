//go:build linux && cgo

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "affinity.h"

/* Pins the calling thread to the ncpus CPUs listed in cpus.
   Returns 0 or an errno value. */
int np_pin_self(const int *cpus, int ncpus, int maxcpu) {
	size_t size = CPU_ALLOC_SIZE(maxcpu + 1);
	cpu_set_t *set = CPU_ALLOC(maxcpu + 1);
	if (set == NULL) return ENOMEM;
	CPU_ZERO_S(size, set);
	for (int i = 0; i < ncpus; i++) CPU_SET_S(cpus[i], size, set);
	int rc = pthread_setaffinity_np(pthread_self(), size, set);
	CPU_FREE(set);
	return rc;
}

/* Writes the calling thread's allowed CPUs into out (capacity cap) and their
   count into *n. Returns 0 or an errno value; ERANGE when cap is too small. */
int np_self_mask(int *out, int cap, int *n, int maxcpu) {
	size_t size = CPU_ALLOC_SIZE(maxcpu + 1);
	cpu_set_t *set = CPU_ALLOC(maxcpu + 1);
	if (set == NULL) return ENOMEM;
	CPU_ZERO_S(size, set);
	int rc = pthread_getaffinity_np(pthread_self(), size, set);
	if (rc != 0) { CPU_FREE(set); return rc; }
	int k = 0;
	for (int c = 0; c <= maxcpu; c++) {
		if (!CPU_ISSET_S(c, size, set)) continue;
		if (k == cap) { CPU_FREE(set); return ERANGE; }
		out[k++] = c;
	}
	*n = k;
	CPU_FREE(set);
	return 0;
}

int np_current_cpu(void) { return sched_getcpu(); }

long np_gettid(void) { return (long)syscall(SYS_gettid); }
