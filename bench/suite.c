/* suite.c: the benchmarks of bench_all, one function per kernel family, each run over every
 * variant of its table, its shapes and, for the threaded variants, the thread sweep.
 *
 * A benchmark binds its OpenMP team (one thread per core, under the run's policy) before it
 * allocates, so that every buffer is first touched by the threads that use it, and it measures
 * only the kernel call in its timed loop. The network's benchmarks (matmul_x, forward, backprop,
 * numgrad) run on the first batch of the real training set: its zero pixels are part of the
 * workload.
 * Alongside the kernels it measures the machine's limits that the reports divide by: an FMA
 * throughput loop (the peak) and a STREAM-style triad (the bandwidth).
 */
#define _POSIX_C_SOURCE 200809L
#include "suite.h"

#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gbench.h"
#include "mlp_kernels.h"
#include "mlp_net.h"
#include "mlp_train.h"
#include "mlp_util.h"

typedef struct {
    const mlpb_suite *suite;
    int threads;
    const char *variant;
    /* matmul: C (M,N) = op(A) (M,K) . op(B) (K,N) */
    const mlp_matmul_variant *mm;
    mlp_form form;
    int M, N, K;
    /* activations: n elements, as rows x cols for softmax */
    const mlp_sigmoid_variant *sg;
    const mlp_softmax_variant *sm;
    size_t n;
    int rows, cols;
    /* the network: kernels, numerical-gradient variant and its sample of parameters */
    mlp_ops ops;
    const mlp_numgrad_variant *ng;
    size_t sample;
} bench_case;

static bench_case **cases;
static int n_cases, cap_cases;
static char bound[MLPB_MAX_CORES * MLPB_MAX_SMT + 1]; /* thread counts already described */

bool mlpb_suite_selects(const mlpb_suite *s, const char *name) {
    return !s->filter || regexec(s->filter, name, 0, NULL, 0) == 0;
}

int mlpb_suite_bind(const mlpb_suite *s, int n, char *err, size_t errlen) {
    char text[2048];
    if (mlpb_bind_team(s->topo, s->pin, n, text, sizeof text, err, errlen) != 0) return -1;
    if (n < (int)sizeof bound && !bound[n]) {
        bound[n] = 1;
        char *b = s->machine->binding;
        size_t used = strlen(b);
        snprintf(b + used, sizeof s->machine->binding - used, "%d thread%s: %s\n", n,
                 n == 1 ? "" : "s", text);
    }
    return 0;
}

/* Bind the case's team, or fail the benchmark with the reason. */
static bool setup(mlpb_gb_state *st, const bench_case *c) {
    char err[256];
    if (mlpb_suite_bind(c->suite, c->threads, err, sizeof err) == 0) return true;
    mlpb_gb_skip(st, err);
    return false;
}

/* n doubles uniform in [lo, hi), from a fixed xorshift stream: the same inputs every run. */
static double *random_doubles(size_t n, double lo, double hi, uint64_t seed) {
    double *x = mlp_xalloc64(n * sizeof *x);
    uint64_t r = seed * 0x9e3779b97f4a7c15u + 1;
    for (size_t i = 0; i < n; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        x[i] = lo + (hi - lo) * (double)(r >> 11) * 0x1p-53;
    }
    return x;
}

/* ---- the machine's limits ---- */

enum { FMA_CHAINS = 12, FMA_STEPS = 1 << 20 };

/* 12 independent FMA chains of 4 doubles: enough in flight to fill two FMA pipes of latency 4
 * or 5 (Zen, Intel), few enough for 16 ymm registers. a*x + y with x just below 1 converges,
 * so no value ever overflows or goes subnormal. Returns their sum, so nothing is dead code. */
__attribute__((target("avx2,fma"))) static double fma_chains_avx2(long steps) {
    const __m256d x = _mm256_set1_pd(1.0 - 0x1p-30), y = _mm256_set1_pd(0x1p-30);
    __m256d a[FMA_CHAINS];
    for (int k = 0; k < FMA_CHAINS; k++) a[k] = _mm256_set1_pd(k);
    for (long i = 0; i < steps; i++)
        for (int k = 0; k < FMA_CHAINS; k++) a[k] = _mm256_fmadd_pd(a[k], x, y);
    double out[4], sum = 0.0;
    for (int k = 0; k < FMA_CHAINS; k++) {
        _mm256_storeu_pd(out, a[k]);
        sum += out[0] + out[1] + out[2] + out[3];
    }
    return sum;
}

static double fma_chains_portable(long steps) {
    double a[FMA_CHAINS * 4];
    for (int k = 0; k < FMA_CHAINS * 4; k++) a[k] = k;
    for (long i = 0; i < steps; i++)
        for (int k = 0; k < FMA_CHAINS * 4; k++) a[k] = fma(a[k], 1.0 - 0x1p-30, 0x1p-30);
    double sum = 0.0;
    for (int k = 0; k < FMA_CHAINS * 4; k++) sum += a[k];
    return sum;
}

static void bench_peak(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    const bool avx2 = mlp_cpu_has_avx2_fma();
    volatile double sink = 0.0;
    mlpb_gb_label(st, avx2 ? "12 chains of 4-wide AVX2 FMA per thread"
                           : "no AVX2+FMA: 48 scalar fma() chains per thread");
    while (mlpb_gb_keep_running(st)) {
#pragma omp parallel
        {
            double s = avx2 ? fma_chains_avx2(FMA_STEPS) : fma_chains_portable(FMA_STEPS);
#pragma omp atomic
            sink += s;
        }
    }
}

/* a = b + 3 c over three arrays past the caches, split statically so that each thread touches
 * its own pages first (and on a NUMA machine, in its own node). */
static void bench_triad(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    const long n = (long)c->n;
    double *a = mlp_xalloc64((size_t)n * sizeof *a), *b = mlp_xalloc64((size_t)n * sizeof *b),
           *d = mlp_xalloc64((size_t)n * sizeof *d);
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) a[i] = b[i] = d[i] = 1.0;
    mlpb_gb_label(st, "STREAM convention: 24 bytes per element (write-allocate not counted)");
    while (mlpb_gb_keep_running(st)) {
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) a[i] = b[i] + 3.0 * d[i];
    }
    free(a), free(b), free(d);
}

/* ---- the kernels ---- */

static void bench_matmul(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    double *A = random_doubles((size_t)c->M * c->K, -1, 1, 1);
    double *B = random_doubles((size_t)c->K * c->N, -1, 1, 2);
    double *C = mlp_xalloc64((size_t)c->M * c->N * sizeof *C);
    if (strcmp(c->variant, "openblas") == 0)
        mlpb_gb_label(st, "OpenBLAS's own threads, as many, not pinned by bench_all");
    while (mlpb_gb_keep_running(st)) c->mm->matmul(C, A, B, c->form, c->M, c->N, c->K);
    free(A), free(B), free(C);
}

/* The network's products with its input x, the first batch of the training set, whose zero
 * pixels a variant with sparse products skips: x . W1 (AB) or x^T . dz1 (AtB). The batch's
 * index is made once, as the gather makes it once per training iteration for three products. */
static void bench_matmul_x(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    mlp_batch *batch = mlp_batch_new(NET_IN, NET_BATCH);
    mlp_gather(batch, c->suite->train, NULL, NET_BATCH);
    const double *x = mlp_batch_x(batch);
    size_t nonzero = 0;
    for (size_t i = 0; i < (size_t)NET_BATCH * NET_IN; i++) nonzero += x[i] != 0.0;
    const int rows_b = c->form == MLP_AB ? NET_IN : NET_BATCH;
    double *B = random_doubles((size_t)rows_b * c->N, -1, 1, 2);
    double *C = mlp_xalloc64((size_t)c->M * c->N * sizeof *C);
    mlp_sparse *index = mlp_sparse_new(NET_BATCH, NET_IN);
    mlp_sparse_index(index, x, NET_BATCH, NET_IN);
    char label[128];
    snprintf(label, sizeof label, "x: %.0f%% of its pixels zero; %s; dense FLOP",
             100.0 - 100.0 * (double)nonzero / (NET_BATCH * NET_IN),
             c->mm->sparse_matmul ? "zeros skipped" : "every pixel multiplied");
    mlpb_gb_label(st, label);
    if (c->mm->sparse_matmul)
        while (mlpb_gb_keep_running(st)) c->mm->sparse_matmul(C, index, B, c->form, c->N);
    else
        while (mlpb_gb_keep_running(st)) c->mm->matmul(C, x, B, c->form, c->M, c->N, c->K);
    mlp_sparse_free(index);
    mlp_batch_free(batch);
    free(B), free(C);
}

static void bench_sigmoid(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    double *in = random_doubles(c->n, -8, 8, 3), *out = mlp_xalloc64(c->n * sizeof *out);
    while (mlpb_gb_keep_running(st)) c->sg->sigmoid(out, in, c->n);
    free(in), free(out);
}

static void bench_sigmoid_grad(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    double *z = random_doubles(c->n, 0, 1, 4), *da = random_doubles(c->n, -1, 1, 5);
    double *dz = mlp_xalloc64(c->n * sizeof *dz);
    while (mlpb_gb_keep_running(st)) c->sg->sigmoid_grad(dz, z, da, c->n);
    free(z), free(da), free(dz);
}

static void bench_softmax(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    const size_t n = (size_t)c->rows * c->cols;
    double *x = random_doubles(n, -8, 8, 6), *y = mlp_xalloc64(n * sizeof *y);
    while (mlpb_gb_keep_running(st)) c->sm->softmax(y, x, c->rows, c->cols);
    free(x), free(y);
}

static void bench_cross_entropy(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    const size_t n = (size_t)c->rows * c->cols;
    double *y = random_doubles(n, -8, 8, 7);
    int *labels = mlp_xmalloc((size_t)c->rows * sizeof *labels);
    mlp_softmax_variants[0].softmax(y, y, c->rows, c->cols);
    for (int r = 0; r < c->rows; r++) labels[r] = (r * 7) % c->cols;
    volatile double sink = 0.0;
    while (mlpb_gb_keep_running(st)) sink = c->sm->cross_entropy(y, labels, c->rows, c->cols);
    (void)sink;
    free(y), free(labels);
}

/* ---- the network ---- */

typedef struct {
    mlp_net net;
    mlp_work *work;
    mlp_batch *batch;
    double *grad;
} net_fixture;

static void net_fixture_new(net_fixture *f, const bench_case *c) {
    mlp_net_init(&f->net, NET_IN, NET_HIDDEN, NET_OUT, 42);
    f->work = mlp_work_new(&f->net, NET_BATCH);
    f->batch = mlp_batch_new(NET_IN, NET_BATCH);
    f->grad = mlp_xalloc64(f->net.count * sizeof *f->grad);
    mlp_gather(f->batch, c->suite->train, NULL, NET_BATCH);
}

static void net_fixture_free(net_fixture *f) {
    free(f->grad);
    mlp_batch_free(f->batch);
    mlp_work_free(f->work);
    mlp_net_free(&f->net);
}

static void bench_forward(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    net_fixture f;
    net_fixture_new(&f, c);
    mlpb_gb_label(st, "predict + cross-entropy, the loss a perturbation costs; dense FLOP");
    volatile double sink = 0.0;
    while (mlpb_gb_keep_running(st))
        sink = mlp_loss(&f.net, &c->ops, f.work, f.batch);
    (void)sink;
    net_fixture_free(&f);
}

static void bench_backprop(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    net_fixture f;
    net_fixture_new(&f, c);
    mlpb_gb_label(st, "the whole gradient by backprop; dense FLOP");
    while (mlpb_gb_keep_running(st))
        mlp_gradient(f.grad, &f.net, &c->ops, f.work, f.batch);
    net_fixture_free(&f);
}

static void bench_numgrad(mlpb_gb_state *st, void *arg) {
    const bench_case *c = arg;
    if (!setup(st, c)) return;
    net_fixture f;
    net_fixture_new(&f, c);
    /* An evenly spaced sample of the parameters (or all of them), so that W1 (98.7% of them)
     * weighs what it weighs in a full gradient. */
    size_t *which = mlp_xmalloc(c->sample * sizeof *which);
    for (size_t k = 0; k < c->sample; k++) which[k] = k * f.net.count / c->sample;
    char label[96];
    if (c->sample < f.net.count)
        snprintf(label, sizeof label, "%zu of %zu parameters, evenly spaced; 2 perturbations each",
                 c->sample, f.net.count);
    else
        snprintf(label, sizeof label, "the whole gradient, %zu parameters", f.net.count);
    mlpb_gb_label(st, label);
    while (mlpb_gb_keep_running(st))
        c->ng->numgrad(f.grad, &f.net, f.batch, which, c->sample);
    free(which);
    net_fixture_free(&f);
}

/* ---- registration ---- */

int mlpb_network_variants(const char **names, int max) {
    int n = 0;
    const char *all[64];
    int k = 0;
    for (int i = 0; mlp_matmul_variants[i].name && k < 64; i++) all[k++] = mlp_matmul_variants[i].name;
    for (int i = 0; mlp_sigmoid_variants[i].name && k < 64; i++) all[k++] = mlp_sigmoid_variants[i].name;
    for (int i = 0; mlp_softmax_variants[i].name && k < 64; i++) all[k++] = mlp_softmax_variants[i].name;
    for (int i = 0; i < k && n < max; i++) {
        bool seen = false;
        for (int j = 0; j < n; j++) seen |= strcmp(names[j], all[i]) == 0;
        if (!seen) names[n++] = all[i];
    }
    return n;
}

enum {
    MACHINE = 1, /* a limit of the machine: measured whatever the filter, at every count */
    PER_THREAD = 2, /* the flops are per thread: one iteration does threads times as many */
};

/* Register c (copied) as kernel/variant/shape at each thread count it runs at: every count of
 * the sweep for a threaded variant, 1 otherwise; only the names the filter selects. */
static int add(const mlpb_suite *s, const char *kernel, const char *shape, bench_case c,
               mlpb_gb_fn fn, double units, const char *unit, double flops, double bytes,
               int flags) {
    int added = 0;
    const bool threaded = (flags & MACHINE) || mlp_variant_uses_threads(c.variant);
    for (int t = 0; t < (threaded ? s->n_sweep : 1); t++) {
        char name[160];
        c.threads = threaded ? s->sweep[t] : 1;
        snprintf(name, sizeof name, "%s/%s/%s/threads:%d", kernel, c.variant, shape, c.threads);
        if (!(flags & MACHINE) && !mlpb_suite_selects(s, name)) continue;
        if (n_cases == cap_cases) {
            cap_cases = cap_cases ? 2 * cap_cases : 64;
            bench_case **grown = realloc(cases, (size_t)cap_cases * sizeof *cases);
            if (!grown) mlp_die("out of memory registering benchmarks");
            cases = grown;
        }
        bench_case *copy = mlp_xmalloc(sizeof *copy);
        *copy = c;
        copy->suite = s;
        cases[n_cases++] = copy;
        mlpb_gb_register(name, fn, copy, units, unit,
                         flags & PER_THREAD ? flops * c.threads : flops, bytes);
        added++;
    }
    return added;
}

static const char *form_suffix[] = {"", "-AtB", "-ABt"};

int mlpb_suite_register(const mlpb_suite *s) {
    const mlpb_topo_summary *topo = mlpb_topo_summary_of(s->topo);
    /* Past the caches: each array twice all the L3 there is (and at least 64 MiB). */
    double l3_total = (double)topo->l3_bytes * (topo->n_l3 > 0 ? topo->n_l3 : 1);
    size_t big = (size_t)(fmax(2 * l3_total, 64.0 * (1 << 20)) / sizeof(double));
    int n = 0;
    char shape[48];

    bench_case c = {.variant = mlp_cpu_has_avx2_fma() ? "avx2_fma" : "portable_fma"};
    n += add(s, "peak", "12x4-chains", c, bench_peak, 1, "", 2.0 * FMA_CHAINS * 4 * FMA_STEPS,
             0, MACHINE | PER_THREAD);
    c = (bench_case){.variant = "omp", .n = big};
    snprintf(shape, sizeof shape, "%zu", big);
    n += add(s, "triad", shape, c, bench_triad, 1, "", 0, 24.0 * (double)big, MACHINE);

    /* matmul on random dense operands; matmul_x on the network's batch, whose zeros count. */
    static const struct { bool x; mlp_form form; int M, K, N; bool in_quick; } mm_shapes[] = {
        {false, MLP_AB, 100, 784, 100, true},   /* a1 = x . W1 */
        {false, MLP_AB, 100, 100, 10, true},    /* a2 = z1 . W2 */
        {false, MLP_AtB, 100, 100, 10, true},   /* gW2 = z1^T . dy */
        {false, MLP_ABt, 100, 10, 100, true},   /* da1 = dy . W2^T */
        {false, MLP_AtB, 784, 100, 100, true},  /* gW1 = x^T . dz1 */
        {false, MLP_AB, 1024, 1024, 1024, false},
        {true, MLP_AB, NET_BATCH, NET_IN, NET_HIDDEN, true},  /* a1 = x . W1 */
        {true, MLP_AtB, NET_IN, NET_BATCH, NET_HIDDEN, true}, /* gW1 = x^T . dz1 */
    };
    for (size_t k = 0; k < sizeof mm_shapes / sizeof *mm_shapes; k++) {
        if (s->quick && !mm_shapes[k].in_quick) continue;
        const int M = mm_shapes[k].M, K = mm_shapes[k].K, N = mm_shapes[k].N;
        snprintf(shape, sizeof shape, "%dx%dx%d%s", M, K, N, form_suffix[mm_shapes[k].form]);
        for (const mlp_matmul_variant *v = mlp_matmul_variants; v->name; v++) {
            c = (bench_case){.variant = v->name, .mm = v, .form = mm_shapes[k].form, .M = M,
                             .N = N, .K = K};
            n += add(s, mm_shapes[k].x ? "matmul_x" : "matmul", shape, c,
                     mm_shapes[k].x ? bench_matmul_x : bench_matmul, 1, "", 2.0 * M * N * K, 0,
                     0);
        }
    }

    const size_t sig_sizes[] = {(size_t)NET_BATCH * NET_HIDDEN, 1000000, big};
    for (size_t k = 0; k < (s->quick ? 2 : 3); k++) {
        snprintf(shape, sizeof shape, "%zu", sig_sizes[k]);
        for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants; v->name; v++) {
            c = (bench_case){.variant = v->name, .sg = v, .n = sig_sizes[k]};
            n += add(s, "sigmoid", shape, c, bench_sigmoid, (double)sig_sizes[k], "element", 0,
                     16, 0);
        }
    }
    snprintf(shape, sizeof shape, "%d", NET_BATCH * NET_HIDDEN);
    for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants; v->name; v++) {
        c = (bench_case){.variant = v->name, .sg = v, .n = (size_t)NET_BATCH * NET_HIDDEN};
        n += add(s, "sigmoid_grad", shape, c, bench_sigmoid_grad, NET_BATCH * NET_HIDDEN,
                 "element", 0, 24, 0);
    }

    const int soft_rows[] = {NET_BATCH, 100, (int)(big / 1000)};
    const int soft_cols[] = {NET_OUT, 1000, 1000};
    for (int k = 0; k < (s->quick ? 2 : 3); k++) {
        snprintf(shape, sizeof shape, "%dx%d", soft_rows[k], soft_cols[k]);
        for (const mlp_softmax_variant *v = mlp_softmax_variants; v->name; v++) {
            c = (bench_case){.variant = v->name, .sm = v, .rows = soft_rows[k],
                             .cols = soft_cols[k]};
            n += add(s, "softmax", shape, c, bench_softmax, (double)soft_rows[k] * soft_cols[k],
                     "element", 0, 16, 0);
        }
    }
    snprintf(shape, sizeof shape, "%dx%d", NET_BATCH, NET_OUT);
    for (const mlp_softmax_variant *v = mlp_softmax_variants; v->name; v++) {
        c = (bench_case){.variant = v->name, .sm = v, .rows = NET_BATCH, .cols = NET_OUT};
        n += add(s, "cross_entropy", shape, c, bench_cross_entropy, NET_BATCH, "row", 0, 0, 0);
    }

    const char *names[64];
    const int n_names = mlpb_network_variants(names, 64);
    for (int k = 0; k < n_names; k++) {
        c = (bench_case){.variant = names[k]};
        mlp_ops_find(&c.ops, names[k]);
        n += add(s, "forward", NET_SHAPE, c, bench_forward, 1, "", FORWARD_FLOPS, 0, 0);
        n += add(s, "backprop", NET_SHAPE, c, bench_backprop, 1, "", GRADIENT_FLOPS, 0, 0);
    }

    int widest = 1;
    for (int t = 0; t < s->n_sweep; t++) widest = s->sweep[t] > widest ? s->sweep[t] : widest;
    for (const mlp_numgrad_variant *v = mlp_numgrad_variants; v->name; v++) {
        const bool incremental = strncmp(v->name, "incremental", 11) == 0;
        /* The seed's loop: enough parameters for a second, and for every thread to have some.
         * incremental is fast enough for the whole gradient: measured, nothing to project. */
        size_t sample = incremental ? NET_PARAMS : (size_t)(s->quick ? 8 : 32);
        if (sample < (size_t)(4 * widest)) sample = (size_t)(4 * widest);
        c = (bench_case){.variant = v->name, .ng = v, .sample = sample};
        /* Dense FLOP for the seed's loop; incremental does not run forwards, so has no rate. */
        n += add(s, "numgrad", NET_SHAPE, c, bench_numgrad, 2.0 * (double)sample, "perturbation",
                 incremental ? 0 : FORWARD_FLOPS, 0, 0);
    }
    return n;
}

void mlpb_suite_free(void) {
    for (int i = 0; i < n_cases; i++) free(cases[i]);
    free(cases);
    cases = NULL;
    n_cases = cap_cases = 0;
}
