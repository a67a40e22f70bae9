// omp: the bench module's workloads that OpenMP can express, in C, printing
// `go test -bench` lines so that benchstat and cmd/benchratio read them
// beside the Go figures of the same run.
//
// Build: gcc -O2 -fopenmp -ffp-contract=off omp.c -o omp
// (-ffp-contract=off: no fused multiply-add, so Timestep's bits match Go's.)
//
// With OMP_WAIT_POLICY=passive in the environment (threads sleep between
// parallel regions instead of spinning), every name gets "-passive".
//
// Usage: omp [-scale full|quick|test] [-count N] [-benchtime SECONDS] [-workload NAME] [-check] [-sizes]
//   -workload runs only that workload's kernels (as go test -bench NAME);
//   -check prints each workload's checksum instead of timing it;
//   -sizes prints the size table, which the Go tests compare with theirs.
//
// Each kernel computes the same thing as its Go workload (bench/w_*.go):
// the same Mix, Spin and checksum, the same inputs and sizes.
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MEDIUM_ROUNDS = 10000, UNBALANCED_MEAN_ROUNDS = 5000, TIMESTEP_CELLS = 8192 };

static uint64_t mix(uint64_t x) {
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t spin(int64_t x, int64_t rounds) {
	uint64_t h = (uint64_t)x | 1;
	for (int64_t r = 0; r < rounds; r++) {
		h ^= h << 13;
		h ^= h >> 7;
		h ^= h << 17;
	}
	return h;
}

static uint64_t fold(const uint64_t *v, int64_t n) {
	uint64_t h = 0;
	for (int64_t i = 0; i < n; i++) h = mix(h ^ v[i]);
	return h;
}

static int64_t unbalanced_rounds(int64_t i, int64_t n) { return 1 + 2 * UNBALANCED_MEAN_ROUNDS * i / n; }

// The sizes of bench/w_*.go: Full, Quick, Test.
struct sizes { const char *name; int64_t full, quick, test; };
static const struct sizes table[] = {
	{"Tiny", 1000000, 100000, 1000},
	{"Medium", 20000, 1000, 16},
	{"Unbalanced", 20000, 1000, 16},
	{"Reduce", 4000000, 1000000, 1000},
	{"Timestep", 400, 50, 3},
	{"Apply", 20000, 1000, 16},
};

static int64_t n_of(const char *name, int scale) {
	for (size_t k = 0; k < sizeof table / sizeof table[0]; k++)
		if (strcmp(table[k].name, name) == 0)
			return scale == 0 ? table[k].full : scale == 1 ? table[k].quick : table[k].test;
	fprintf(stderr, "omp: no size for %s\n", name);
	exit(2);
}

// One run of a workload at size n, and its checksum.
struct ctx { int64_t n; int64_t *in; uint64_t *out; int64_t *xs; double *a, *b; uint64_t sum; };

static void tiny_static(struct ctx *c) {
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < c->n; i++) c->out[i] = (uint64_t)(c->in[i] * c->in[i]);
}

static void medium_static(struct ctx *c) {
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < c->n; i++) c->out[i] = spin(i, MEDIUM_ROUNDS);
}

static void medium_dynamic(struct ctx *c) {
#pragma omp parallel for schedule(dynamic, 1)
	for (int64_t i = 0; i < c->n; i++) c->out[i] = spin(i, MEDIUM_ROUNDS);
}

static void unbalanced_static(struct ctx *c) {
#pragma omp parallel for schedule(static)
	for (int64_t i = 0; i < c->n; i++) c->out[i] = spin(i, unbalanced_rounds(i, c->n));
}

static void unbalanced_dynamic(struct ctx *c) {
#pragma omp parallel for schedule(dynamic, 1)
	for (int64_t i = 0; i < c->n; i++) c->out[i] = spin(i, unbalanced_rounds(i, c->n));
}

static void unbalanced_guided(struct ctx *c) {
#pragma omp parallel for schedule(guided)
	for (int64_t i = 0; i < c->n; i++) c->out[i] = spin(i, unbalanced_rounds(i, c->n));
}

static void reduce_sum(struct ctx *c) {
	uint64_t s = 0;
	const int64_t *xs = c->xs;
#pragma omp parallel for schedule(static) reduction(+ : s)
	for (int64_t i = 0; i < c->n; i++) s += (uint64_t)(xs[i] * xs[i]);
	c->sum = s;
}

static void heat_reset(struct ctx *c) {
	for (int64_t i = 0; i < TIMESTEP_CELLS; i++) c->a[i] = (double)(mix((uint64_t)i) % 1000) / 1000;
	memcpy(c->b, c->a, TIMESTEP_CELLS * sizeof *c->a);
}

// One parallel for per step, as bench's Timestep runs one parallel loop per step.
static void timestep(struct ctx *c) {
	heat_reset(c);
	for (int64_t s = 0; s < c->n; s++) {
		double *a = c->a, *b = c->b;
#pragma omp parallel for schedule(static)
		for (int64_t i = 1; i < TIMESTEP_CELLS - 1; i++) {
			double t = 2 * a[i];
			double u = a[i - 1] - t + a[i + 1];
			b[i] = a[i] + 0.25 * u;
		}
		c->a = b;
		c->b = a;
	}
}

// One task per item, created by one thread and run by the team (OpenMP's
// counterpart of many independent ApplyAsync calls); the barrier that ends
// the parallel region waits for every task.
static void apply_task(struct ctx *c) {
#pragma omp parallel
#pragma omp single
	for (int64_t i = 0; i < c->n; i++) {
#pragma omp task firstprivate(i)
		c->out[i] = spin(i, MEDIUM_ROUNDS);
	}
}

struct kernel {
	const char *workload, *name;
	void (*run)(struct ctx *);
	int kind; // what the checksum covers: 0 out[], 1 sum, 2 the rod
};

static const struct kernel kernels[] = {
	{"Tiny", "openmp-static", tiny_static, 0},
	{"Medium", "openmp-static", medium_static, 0},
	{"Medium", "openmp-dynamic", medium_dynamic, 0},
	{"Unbalanced", "openmp-static", unbalanced_static, 0},
	{"Unbalanced", "openmp-dynamic", unbalanced_dynamic, 0},
	{"Unbalanced", "openmp-guided", unbalanced_guided, 0},
	{"Reduce", "openmp-reduction", reduce_sum, 1},
	{"Timestep", "openmp-for", timestep, 2},
	{"Apply", "openmp-task", apply_task, 0},
};

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint64_t checksum(const struct kernel *k, struct ctx *c) {
	switch (k->kind) {
	case 0: return fold(c->out, c->n);
	case 1: return c->sum;
	default: {
		uint64_t h = 0;
		for (int64_t i = 0; i < TIMESTEP_CELLS; i++) {
			uint64_t bits;
			memcpy(&bits, &c->a[i], sizeof bits);
			h = mix(h ^ bits);
		}
		return h;
	}
	}
}

static void usage(void) {
	fprintf(stderr, "usage: omp [-scale full|quick|test] [-count N] [-benchtime SECONDS] [-workload NAME] [-check] [-sizes]\n");
	exit(2);
}

int main(int argc, char **argv) {
	int scale = 0, count = 6, check = 0;
	double benchtime = 0.5;
	const char *only = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-check") == 0) check = 1;
		else if (strcmp(argv[i], "-sizes") == 0) {
			for (size_t k = 0; k < sizeof table / sizeof table[0]; k++)
				printf("%s %lld %lld %lld\n", table[k].name, (long long)table[k].full,
				       (long long)table[k].quick, (long long)table[k].test);
			return 0;
		} else if (i + 1 < argc && strcmp(argv[i], "-scale") == 0) {
			const char *s = argv[++i];
			if (strcmp(s, "full") == 0) scale = 0;
			else if (strcmp(s, "quick") == 0) scale = 1;
			else if (strcmp(s, "test") == 0) scale = 2;
			else { fprintf(stderr, "omp: -scale %s: want full, quick or test\n", s); return 2; }
		} else if (i + 1 < argc && strcmp(argv[i], "-count") == 0) {
			count = atoi(argv[++i]);
			if (count < 1) { fprintf(stderr, "omp: -count %s: want a whole number >= 1\n", argv[i]); return 2; }
		} else if (i + 1 < argc && strcmp(argv[i], "-benchtime") == 0) {
			benchtime = atof(argv[++i]);
			if (!(benchtime > 0)) { fprintf(stderr, "omp: -benchtime %s: want seconds > 0\n", argv[i]); return 2; }
		} else if (i + 1 < argc && strcmp(argv[i], "-workload") == 0) {
			only = argv[++i];
			int known = 0;
			for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++)
				known |= strcmp(kernels[k].workload, only) == 0;
			if (!known) {
				fprintf(stderr, "omp: -workload %s: no OpenMP kernel; want one of", only);
				for (size_t k = 0; k < sizeof table / sizeof table[0]; k++) fprintf(stderr, " %s", table[k].name);
				fprintf(stderr, "\n");
				return 2;
			}
		} else usage();
	}
	int threads = omp_get_max_threads();
	const char *policy = getenv("OMP_WAIT_POLICY");
	const char *suffix = policy && (strcmp(policy, "passive") == 0 || strcmp(policy, "PASSIVE") == 0) ? "-passive" : "";
	for (size_t k = 0; k < sizeof kernels / sizeof kernels[0]; k++) {
		const struct kernel *kn = &kernels[k];
		if (only && strcmp(kn->workload, only) != 0) continue;
		struct ctx c = {.n = n_of(kn->workload, scale)};
		c.in = malloc(c.n * sizeof *c.in);
		c.out = malloc(c.n * sizeof *c.out);
		c.xs = malloc(c.n * sizeof *c.xs);
		c.a = malloc(TIMESTEP_CELLS * sizeof *c.a);
		c.b = malloc(TIMESTEP_CELLS * sizeof *c.b);
		if (!c.in || !c.out || !c.xs || !c.a || !c.b) { fprintf(stderr, "omp: out of memory\n"); return 1; }
		for (int64_t i = 0; i < c.n; i++) {
			c.in[i] = i - c.n / 2;
			c.xs[i] = (int64_t)(mix((uint64_t)i) >> 44);
		}
		double t0 = now();
		kn->run(&c); // warm up, and the run the checksum covers
		double once = now() - t0;
		if (check) {
			printf("%s/%s %lld %#llx\n", kn->workload, kn->name, (long long)c.n,
			       (unsigned long long)checksum(kn, &c));
		} else {
			int64_t iters = once > 0 ? (int64_t)(benchtime / once) + 1 : 1000;
			for (int r = 0; r < count; r++) {
				t0 = now();
				for (int64_t it = 0; it < iters; it++) kn->run(&c);
				double per = (now() - t0) / iters;
				printf("Benchmark%s/%s%s-%d\t%8lld\t%14.0f ns/op\t%12lld tasks/op\n", kn->workload, kn->name,
				       suffix, threads, (long long)iters, per * 1e9, (long long)c.n);
				fflush(stdout);
			}
		}
		free(c.in); free(c.out); free(c.xs); free(c.a); free(c.b);
	}
	return 0;
}
