/* numgrad: the numerical-gradient ladder, SEED.md's central difference
 * (f(p + h) - f(p - h)) / 2h of mlp_loss, one parameter at a time, in six variants.
 *
 * naive and simd are the seed's loop (two full forward passes per parameter) on the naive and
 * simd kernels. omp and simd_omp add threads: the parameters are split statically across them,
 * each thread runs the serial kernels on its own copy of the parameters and its own scratch,
 * allocated and first touched by that thread, so nothing is shared but the read-only batch.
 * incremental changes the algorithm, not the arithmetic: a perturbation of one parameter
 * recomputes only the quantities that parameter reaches (see moved_loss), which turns two
 * 15.9-MFLOP forward passes into a few hundred flops and a few exps per reached sample.
 * incremental_omp splits it across threads as omp does. Each parameter's quotient is computed
 * by one thread in one fixed order, so every parallel variant gives the same bits as its serial
 * one at any thread count. The net itself is only read: each variant perturbs a copy.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_net_impl.h"

/* What every variant reads, unchanged while the threads run. */
typedef struct {
    const mlp_net *net;
    mlp_ops ops; /* the serial kernels the variant runs on */
    const double *x; /* (B,in) */
    const int *labels; /* (B) */
    int B;
    const size_t *which; /* (n), or NULL for every parameter */
    size_t n;
    const mlp_work *base; /* incremental: the unperturbed forward (a1, z1, a2, y) */
    const double *terms;  /* incremental: (B) the unperturbed per-sample loss terms */
} job;

/* A way to compute grad[p] for the listed parameters lo..hi, with a thread's own scratch. */
typedef struct {
    void *(*scratch_new)(const job *jb);
    void (*scratch_free)(void *scratch);
    void (*run)(double *grad, const job *jb, void *scratch, size_t lo, size_t hi);
} method;

static size_t param_at(const job *jb, size_t k) { return jb->which ? jb->which[k] : k; }

static double quotient(double f_plus, double f_minus) {
    return (f_plus - f_minus) / (2 * MLP_NUMGRAD_H);
}

/* --- The seed's loop: full forward passes on a private copy of the parameters. --- */

typedef struct {
    mlp_net net;
    mlp_work *work;
} full_scratch;

static void *full_new(const job *jb) {
    full_scratch *s = mlp_xmalloc(sizeof *s);
    mlp_net_alloc(&s->net, jb->net->in, jb->net->hidden, jb->net->out);
    memcpy(s->net.params, jb->net->params, jb->net->count * sizeof(double));
    s->work = mlp_work_new(&s->net, jb->B);
    return s;
}

static void full_free(void *scratch) {
    full_scratch *s = scratch;
    mlp_work_free(s->work);
    mlp_net_free(&s->net);
    free(s);
}

static void full_run(double *grad, const job *jb, void *scratch, size_t lo, size_t hi) {
    full_scratch *s = scratch;
    for (size_t k = lo; k < hi; k++) {
        size_t p = param_at(jb, k);
        double saved = s->net.params[p];
        s->net.params[p] = saved + MLP_NUMGRAD_H;
        double f_plus = mlp_loss(&s->net, &jb->ops, s->work, jb->x, jb->labels, jb->B);
        s->net.params[p] = saved - MLP_NUMGRAD_H;
        double f_minus = mlp_loss(&s->net, &jb->ops, s->work, jb->x, jb->labels, jb->B);
        s->net.params[p] = saved;
        grad[p] = quotient(f_plus, f_minus);
    }
}

static const method full = {full_new, full_free, full_run};

/* --- incremental: recompute only what one parameter reaches. --- */

typedef struct {
    int *reached;     /* (B) the samples the perturbation reaches, m of them */
    double *a1, *z1;  /* (B) the moved hidden unit of each reached sample */
    double *a2, *y;   /* (B,out) the reached samples' rows of a2, and their exps */
    double *terms;    /* (B) the per-sample loss terms under the perturbation */
    double *block;
} inc_scratch;

static void *inc_new(const job *jb) {
    inc_scratch *s = mlp_xmalloc(sizeof *s);
    size_t B = (size_t)jb->B, rows = B * jb->net->out;
    s->block = mlp_xalloc64((4 * B + 2 * rows) * sizeof(double));
    s->a1 = s->block;
    s->z1 = s->a1 + B;
    s->terms = s->z1 + B;
    s->a2 = s->terms + B;
    s->y = s->a2 + rows;
    s->reached = (int *)(s->y + rows); /* B ints fit in the B doubles left */
    memset(s->block, 0, (4 * B + 2 * rows) * sizeof(double)); /* first touch by this thread */
    return s;
}

static void inc_free(void *scratch) {
    inc_scratch *s = scratch;
    free(s->block);
    free(s);
}

/* One sample's loss term, as the cross-entropy kernels compute it. */
static double sample_term(const double *y_row, int label) {
    return -log(y_row[label] + MLP_LOG_EPS);
}

/* Each reached sample's loss term from its row of a2 (m rows of O), as softmax then
 * cross-entropy compute it (exp(a - max) / sum, -log(y + 1e-7)), but with the exps of all the
 * rows in one vectorized call, and only the label's probability divided out: the loss needs no
 * other. Rows of 10 are too short to vectorize one at a time. */
static void reached_terms(inc_scratch *s, const int *labels, int m, int O) {
    for (int r = 0; r < m; r++) {
        const double *a2 = s->a2 + (size_t)r * O;
        double *e = s->y + (size_t)r * O, max = a2[0];
        for (int k = 1; k < O; k++) max = a2[k] > max ? a2[k] : max;
        for (int k = 0; k < O; k++) e[k] = a2[k] - max;
    }
    mlp_exp_simd(s->y, s->y, (size_t)m * O);
    for (int r = 0; r < m; r++) {
        const double *e = s->y + (size_t)r * O;
        double sum = 0.0;
        for (int k = 0; k < O; k++) sum += e[k];
        int b = s->reached[r];
        s->terms[b] = -log(e[labels[b]] / sum + MLP_LOG_EPS);
    }
}

/* The loss with parameter p moved from v to v + delta, where delta = fl(v +- h) - v is the step
 * naive takes: exactly when |v| >= h (Dekker's Fast2Sum), otherwise up to one rounding of delta
 * itself, a relative u = 1.1e-16 that moves the quotient by u |dL/dp|, negligible.
 *
 * Why this is exact: the loss is the mean of per-sample terms, and a sample's term is a function
 * of its own row of a2 only. A parameter reaches these quantities and no others:
 *   W1[i][j]  a1[b][j] for each sample b (by delta x[b][i]), hence z1[b][j], hence a2[b][:] (by
 *             (z1' - z1) W2[j][:], a rank-1 update), hence that sample's softmax and term;
 *   b1[j]     the same with x[b][i] replaced by 1;
 *   W2[j][k]  a2[b][k] (by delta z1[b][j]), hence the sample's softmax and term;
 *   b2[k]     a2[b][k] (by delta).
 * Every reached quantity is recomputed here. A sample with x[b][i] == 0 is provably unreached by
 * W1[i][j]: naive's dot product gains the term 0 * (v + delta) = +-0, which leaves every partial
 * sum's value unchanged, so its a1 and its term have the same bits as unperturbed; it is
 * skipped. The terms are summed in sample order and divided by B, as the cross-entropy kernel
 * does. So the result differs from naive's only by rounding: a1 + delta x (one rounding) instead
 * of a fresh dot product, a2 + (z1' - z1) W2 instead of a fresh one (each about eps |a|), and the
 * unperturbed forward on the simd kernels; tests/test_net.c bounds the effect on the quotient. */
static double moved_loss(const job *jb, inc_scratch *s, size_t p, double delta) {
    const mlp_net *net = jb->net;
    const mlp_work *base = jb->base;
    int in = net->in, H = net->hidden, O = net->out, B = jb->B, m = 0;
    size_t nW1 = (size_t)in * H, nW2 = (size_t)H * O, W2_at = nW1 + (size_t)H;
    if (p < W2_at) { /* W1[i][j] or b1[j]: hidden unit j moves */
        int j = (int)(p < nW1 ? p % H : p - nW1);
        for (int b = 0; b < B; b++) {
            double xi = p < nW1 ? jb->x[(size_t)b * in + p / H] : 1.0;
            if (xi == 0.0) continue;
            s->reached[m] = b;
            s->a1[m++] = base->a1[(size_t)b * H + j] + delta * xi;
        }
        jb->ops.sigmoid->sigmoid(s->z1, s->a1, (size_t)m);
        const double *w2_row = net->W2 + (size_t)j * O;
        for (int r = 0; r < m; r++) {
            int b = s->reached[r];
            double dz = s->z1[r] - base->z1[(size_t)b * H + j];
            for (int k = 0; k < O; k++)
                s->a2[(size_t)r * O + k] = base->a2[(size_t)b * O + k] + dz * w2_row[k];
        }
    } else { /* W2[j][k] or b2[k]: output k of every sample moves */
        size_t q = p - W2_at;
        int j = (int)(q / O), k = (int)(q < nW2 ? q % O : q - nW2);
        for (int b = 0; b < B; b++) {
            memcpy(s->a2 + (size_t)m * O, base->a2 + (size_t)b * O, (size_t)O * sizeof(double));
            s->a2[(size_t)m * O + k] += q < nW2 ? delta * base->z1[(size_t)b * H + j] : delta;
            s->reached[m++] = b;
        }
    }
    memcpy(s->terms, jb->terms, (size_t)B * sizeof(double));
    reached_terms(s, jb->labels, m, O);
    double sum = 0.0;
    for (int b = 0; b < B; b++) sum += s->terms[b];
    return B ? sum / B : 0.0;
}

static void inc_run(double *grad, const job *jb, void *scratch, size_t lo, size_t hi) {
    for (size_t k = lo; k < hi; k++) {
        size_t p = param_at(jb, k);
        double v = jb->net->params[p];
        double f_plus = moved_loss(jb, scratch, p, (v + MLP_NUMGRAD_H) - v);
        double f_minus = moved_loss(jb, scratch, p, (v - MLP_NUMGRAD_H) - v);
        grad[p] = quotient(f_plus, f_minus);
    }
}

static const method incremental = {inc_new, inc_free, inc_run};

/* --- Drivers. --- */

static void run_parallel(double *grad, const job *jb, const method *m) {
#pragma omp parallel
    {
        /* Static split by hand: thread t owns listed parameters [n t / T, n (t+1) / T). */
        size_t t = (size_t)omp_get_thread_num(), T = (size_t)omp_get_num_threads();
        void *scratch = m->scratch_new(jb);
        m->run(grad, jb, scratch, jb->n * t / T, jb->n * (t + 1) / T);
        m->scratch_free(scratch);
    }
}

static void numgrad(double *grad, const mlp_net *net, const double *x, const int *labels, int B,
                    const size_t *which, size_t n_which, const char *kernels, const method *m,
                    int parallel) {
    job jb = {.net = net, .x = x, .labels = labels, .B = B, .which = which,
              .n = which ? n_which : net->count};
    if (mlp_ops_find(&jb.ops, kernels) != 0) mlp_die("no kernel variant named %s", kernels);
    for (size_t k = 0; k < jb.n; k++)
        if (param_at(&jb, k) >= net->count)
            mlp_die("parameter %zu requested, the net has %zu", param_at(&jb, k), net->count);
    mlp_check_labels(net, labels, B); /* here, not in a thread */

    mlp_work *base = NULL;
    double *terms = NULL;
    if (m == &incremental) {
        base = mlp_work_new(net, B);
        mlp_forward(net, &jb.ops, base, x, B);
        terms = mlp_xmalloc((size_t)B * sizeof *terms);
        for (int b = 0; b < B; b++)
            terms[b] = sample_term(base->y + (size_t)b * net->out, labels[b]);
        jb.base = base;
        jb.terms = terms;
    }
    if (parallel) {
        run_parallel(grad, &jb, m);
    } else {
        void *scratch = m->scratch_new(&jb);
        m->run(grad, &jb, scratch, 0, jb.n);
        m->scratch_free(scratch);
    }
    free(terms);
    mlp_work_free(base);
}

#define VARIANT(fn, kernels, m, parallel)                                                         \
    static void fn(double *grad, mlp_net *net, const double *x, const int *labels, int B,        \
                   const size_t *which, size_t n_which) {                                        \
        numgrad(grad, net, x, labels, B, which, n_which, kernels, m, parallel);                  \
    }
VARIANT(numgrad_naive, "naive", &full, 0)
VARIANT(numgrad_simd, "simd", &full, 0)
VARIANT(numgrad_omp, "naive", &full, 1)
VARIANT(numgrad_simd_omp, "simd", &full, 1)
VARIANT(numgrad_incremental, "simd", &incremental, 0)
VARIANT(numgrad_incremental_omp, "simd", &incremental, 1)

const mlp_numgrad_variant mlp_numgrad_variants[] = {
    {"naive", numgrad_naive},
    {"simd", numgrad_simd},
    {"omp", numgrad_omp},
    {"simd_omp", numgrad_simd_omp},
    {"incremental", numgrad_incremental},
    {"incremental_omp", numgrad_incremental_omp},
    {NULL, NULL},
};

const mlp_numgrad_variant *mlp_find_numgrad(const char *name) {
    for (int i = 0; name && mlp_numgrad_variants[i].name; i++)
        if (strcmp(mlp_numgrad_variants[i].name, name) == 0) return &mlp_numgrad_variants[i];
    return NULL;
}
