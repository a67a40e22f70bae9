#ifndef NUMAPOOL_NUMA_H
#define NUMAPOOL_NUMA_H
int np_mbind(void *addr, unsigned long len, int mode, const unsigned long *mask, unsigned long maxnode);
int np_get_mempolicy(void *addr, int *mode, unsigned long *mask, unsigned long maxnode);
int np_page_nodes(void *base, long stride, long count, int *status);
#endif
