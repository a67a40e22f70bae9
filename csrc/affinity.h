#ifndef NUMAPOOL_AFFINITY_H
#define NUMAPOOL_AFFINITY_H
int np_pin_self(const int *cpus, int ncpus, int maxcpu);
int np_self_mask(int *out, int cap, int *n, int maxcpu);
int np_current_cpu(void);
long np_gettid(void);
#endif
