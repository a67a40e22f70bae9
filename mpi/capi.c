#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capi.h"

int npmpi_init(int required, int *provided) {
	int rc = MPI_Init_thread(NULL, NULL, required, provided);
	if (rc != MPI_SUCCESS) {
		return rc;
	}
	// Errors come back as codes, so that Go returns them instead of the
	// library ending the process.
	return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

int npmpi_initialized(int *flag) { return MPI_Initialized(flag); }

int npmpi_finalize(void) { return MPI_Finalize(); }

int npmpi_rank_size(int *rank, int *size) {
	int rc = MPI_Comm_rank(MPI_COMM_WORLD, rank);
	if (rc != MPI_SUCCESS) {
		return rc;
	}
	return MPI_Comm_size(MPI_COMM_WORLD, size);
}

void npmpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void npmpi_error_string(int rc, char *buf, int cap) {
	int len = 0;
	if (cap < MPI_MAX_ERROR_STRING || MPI_Error_string(rc, buf, &len) != MPI_SUCCESS) {
		snprintf(buf, cap, "MPI error %d", rc);
		return;
	}
	buf[len] = 0;
}

static npmpi_req *newreq(int n) {
	npmpi_req *r = calloc(1, sizeof *r);
	if (r == NULL) {
		return NULL;
	}
	if (n > 0) {
		r->buf = malloc(n);
		if (r->buf == NULL) {
			free(r);
			return NULL;
		}
	}
	return r;
}

void npmpi_free(npmpi_req *r) {
	free(r->buf);
	free(r);
}

// Sends hn bytes of head followed by n bytes of data, from a copy.
npmpi_req *npmpi_isend(const void *head, int hn, const void *data, int n, int dest, int tag, int *rc) {
	npmpi_req *r = newreq(hn + n);
	if (r == NULL) {
		*rc = MPI_ERR_NO_MEM;
		return NULL;
	}
	if (hn > 0) {
		memcpy(r->buf, head, hn);
	}
	if (n > 0) {
		memcpy((char *)r->buf + hn, data, n);
	}
	*rc = MPI_Isend(r->buf, hn + n, MPI_BYTE, dest, tag, MPI_COMM_WORLD, &r->req);
	if (*rc != MPI_SUCCESS) {
		npmpi_free(r);
		return NULL;
	}
	return r;
}

npmpi_req *npmpi_ibarrier(int *rc) {
	npmpi_req *r = newreq(0);
	if (r == NULL) {
		*rc = MPI_ERR_NO_MEM;
		return NULL;
	}
	*rc = MPI_Ibarrier(MPI_COMM_WORLD, &r->req);
	if (*rc != MPI_SUCCESS) {
		npmpi_free(r);
		return NULL;
	}
	return r;
}

npmpi_req *npmpi_ibcast(void *data, int n, int root, int *rc) {
	npmpi_req *r = newreq(n);
	if (r == NULL) {
		*rc = MPI_ERR_NO_MEM;
		return NULL;
	}
	if (n > 0) {
		memcpy(r->buf, data, n);
	}
	*rc = MPI_Ibcast(r->buf, n, MPI_BYTE, root, MPI_COMM_WORLD, &r->req);
	if (*rc != MPI_SUCCESS) {
		npmpi_free(r);
		return NULL;
	}
	return r;
}

// The result lands in the second half of the buffer.
npmpi_req *npmpi_iallreduce_max(const int64_t *in, int n, int *rc) {
	npmpi_req *r = newreq(2 * n * (int)sizeof(int64_t));
	if (r == NULL) {
		*rc = MPI_ERR_NO_MEM;
		return NULL;
	}
	int64_t *b = r->buf;
	memcpy(b, in, n * sizeof(int64_t));
	*rc = MPI_Iallreduce(b, b + n, n, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD, &r->req);
	if (*rc != MPI_SUCCESS) {
		npmpi_free(r);
		return NULL;
	}
	return r;
}

int npmpi_test(npmpi_req *r, int *done) { return MPI_Test(&r->req, done, MPI_STATUS_IGNORE); }

// Copies n bytes at offset off of a finished request's buffer to dst.
int npmpi_take(npmpi_req *r, int off, void *dst, int n) {
	if (n > 0) {
		memcpy(dst, (char *)r->buf + off, n);
	}
	return MPI_SUCCESS;
}

// Open MPI's MPI_Iprobe looks for a match first and only then makes
// progress, which can bring in the message it looked for: a miss is asked
// again once, so that a message that has arrived is found now and not at the
// next probe, which for rank 0 comes after a whole chunk of its own.
int npmpi_iprobe(int source, int tag, int *found, int *from, int *count) {
	MPI_Status st;
	int rc = MPI_Iprobe(source, tag, MPI_COMM_WORLD, found, &st);
	if (rc == MPI_SUCCESS && !*found) {
		rc = MPI_Iprobe(source, tag, MPI_COMM_WORLD, found, &st);
	}
	if (rc != MPI_SUCCESS || !*found) {
		return rc;
	}
	*from = st.MPI_SOURCE;
	return MPI_Get_count(&st, MPI_BYTE, count);
}

int npmpi_recv(void *buf, int n, int from, int tag) {
	return MPI_Recv(buf, n, MPI_BYTE, from, tag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
}
