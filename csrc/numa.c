//go:build linux && cgo

#define _GNU_SOURCE
#include <errno.h>
#include <linux/mempolicy.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "numa.h"

/* Sets the memory policy of [addr, addr+len). maxnode is passed to the kernel
   as is (the number of bits in mask plus one, as mbind(2) expects).
   Returns 0 or an errno value. */
int np_mbind(void *addr, unsigned long len, int mode, const unsigned long *mask, unsigned long maxnode) {
	if (syscall(SYS_mbind, addr, len, mode, mask, maxnode, 0) != 0) return errno;
	return 0;
}

/* Reads the policy that governs the page holding addr (MPOL_F_ADDR): the mode
   without its flag bits into *mode, the node mask into mask (maxnode bits).
   Returns 0 or an errno value. */
int np_get_mempolicy(void *addr, int *mode, unsigned long *mask, unsigned long maxnode) {
	int m = 0;
	if (syscall(SYS_get_mempolicy, &m, mask, maxnode, addr, MPOL_F_ADDR) != 0) return errno;
	*mode = m & ~MPOL_MODE_FLAGS;
	return 0;
}

/* Asks move_pages(2), without moving anything, on which node each of count
   pages starting at base and stride bytes apart lies. status[i] receives the
   node or a negative errno value (-ENOENT: not present, -EFAULT: not backed by
   a page of its own). Returns 0 or an errno value. */
int np_page_nodes(void *base, long stride, long count, int *status) {
	enum { batch = 512 };
	void *pages[batch];
	for (long i = 0; i < count; i += batch) {
		long k = count - i < batch ? count - i : batch;
		for (long j = 0; j < k; j++) pages[j] = (char *)base + (i + j) * stride;
		if (syscall(SYS_move_pages, 0, k, pages, NULL, status + i, 0) != 0) return errno;
	}
	return 0;
}
