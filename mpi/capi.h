// Thin wrappers over the few Open MPI calls the mpi package makes. Every
// function is called from the package's one MPI thread.
#ifndef NUMAPOOL_MPI_CAPI_H
#define NUMAPOOL_MPI_CAPI_H

#include <stdint.h>
#include <mpi.h>

// A request in flight, with the C copy of the bytes it sends or receives.
typedef struct {
	MPI_Request req;
	void *buf;
} npmpi_req;

int npmpi_init(int required, int *provided);
int npmpi_initialized(int *flag);
int npmpi_finalize(void);
int npmpi_rank_size(int *rank, int *size);
void npmpi_abort(int code);
void npmpi_error_string(int rc, char *buf, int cap);

npmpi_req *npmpi_isend(const void *head, int hn, const void *data, int n, int dest, int tag, int *rc);
npmpi_req *npmpi_ibarrier(int *rc);
npmpi_req *npmpi_ibcast(void *data, int n, int root, int *rc);
npmpi_req *npmpi_iallreduce_max(const int64_t *in, int n, int *rc);
int npmpi_test(npmpi_req *r, int *done);
int npmpi_take(npmpi_req *r, int off, void *dst, int n);
void npmpi_free(npmpi_req *r);

int npmpi_iprobe(int source, int tag, int *found, int *from, int *count);
int npmpi_recv(void *buf, int n, int from, int tag);

#endif
