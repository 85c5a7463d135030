/* numgrad_incremental: the rung of the numerical-gradient ladder that turns hours into minutes.
 * It computes the same central differences (f(p + h) - f(p - h)) / 2h of the seed's loss as
 * the seed's loop, but instead of two full forward passes per parameter it computes what moving
 * one parameter changes, and only that.
 *
 * What a parameter reaches: the loss is the mean of per-sample terms t_b = -log(y_l + 1e-7), and
 * a sample's term depends on its own row of a2 only. So
 *   W1[i][j]  moves a1[b][j] by da = delta x[b][i] for every sample b, hence z1[b][j] by dz,
 *             hence a2[b][c] by dz W2[j][c] (a rank-1 update), hence that sample's term;
 *   b1[j]     the same with x[b][i] replaced by 1;
 *   W2[j][k]  moves a2[b][k] by e = delta z1[b][j], hence the sample's term;
 *   b2[k]     the same with z1 replaced by 1.
 * A sample with x[b][i] == 0 is not reached by W1[i][j] at all: the seed's dot product gains
 * 0 * (v + delta) = +-0, which leaves every partial sum unchanged, so its term keeps its bits.
 * This is why half of Fashion-MNIST's work disappears, and four fifths of MNIST's.
 *
 * How a moved term is computed: the steps are tiny (|da| <= 1e-4 for h = 1e-4 and pixels in
 * [0,1]), so it is a short Taylor series in its step, whose coefficients come from the
 * unperturbed forward, once per gradient, shared by every parameter. For W1[i][j] and b1[j],
 * three series compose into one:
 *   dz = sum_n sigma^(n)(a1) / n! da^n                       the hidden unit;
 *   L = log(y'_l / y_l) = dz W2[j][l] - log sum_c y_c exp(dz W2[j][c])
 *     = dz W2[j][l] - sum_n kappa_n dz^n / n!                kappa: the cumulants of W2[j][.]
 *                                                            under the softmax y;
 *   t' - t = -log((y'_l + 1e-7) / (y_l + 1e-7)) = -log(1 - r + r exp(L)), r = y_l / (y_l + 1e-7),
 *     = -sum_n beta_n L^n                                    beta: those of a Bernoulli(r);
 * so t' - t = sum_n c_n da^n, with c_n per sample and hidden unit. For W2[j][k] and b2[k] the
 * logit k alone moves: L = e [k == l] - log(1 - y_k + y_k exp(e)), a Bernoulli(y_k) again, and
 * t' - t = sum_n d_n e^n with d_n per sample and class. A sample and a parameter then cost five
 * FMAs (the step and a degree-4 Horner) and no exp, log or division.
 *
 * Why that is exact: each series' terms shrink by a factor of at most 1e-3 for steps up to
 * STEP_LIMIT (sigma's coefficients by 0.5 an order, the cumulants of a weight of magnitude M by
 * 2M), so the first term dropped, of degree 5, is below 1e-15 of the first one kept, itself
 * below 1e-5: an error under 1e-20 per sample, far below the rounding of the seed's own loss
 * (~1e-16). So the quotient differs from the seed's by that rounding noise, which
 * tests/test_net.c bounds and checks. A parameter whose step could exceed STEP_LIMIT (a huge
 * weight, or pixels far outside [0,1]) takes moved_loss_exact instead, which recomputes the
 * reached sigmoid, softmax and log.
 *
 * Each parameter's sum over its reached samples runs in sample order, and its loss is
 * (T + the sum of its moved terms' changes) / B with T the unperturbed sum, so every
 * parameter's quotient has the same bits whichever thread computes it and whichever parameters
 * it is computed beside.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "numgrad_impl.h"

/* The largest |da| and |dz W2[j][c]| the series are exact for (see above). */
#define STEP_LIMIT 1e-3

enum { TAYLOR = 4 };

typedef struct {
    int B, in, H, O;
    mlp_work *base;   /* the unperturbed forward: a1, z1 (B,H), a2, y (B,O) */
    double *terms;    /* (B) the unperturbed t_b */
    double T;         /* their sum in sample order, as the cross-entropy kernel adds them */
    /* The samples each row of parameters reaches: row r < in is W1's pixel r, row in is b1
     * (every sample, with 1 for x). sample[at[r] .. at[r+1]) with their values. */
    int *at, *sample;
    double *value, *row_max; /* (nnz + B), (in + 1): the x, and the largest |x| of a row */
    double *c[TAYLOR];       /* (B,H) t' - t = sum_n c_n da^n, for W1 and b1 */
    double *d[TAYLOR];       /* (B,O) t' - t = sum_n d_n e^n, for W2 and b2 */
    double *w2_max;          /* (H) max_c |W2[j][c]| */
    double *block;
} tables;

/* s (c1 + s (c2 + s (c3 + s c4))) */
static inline double series4(double s, double c1, double c2, double c3, double c4) {
    return s * fma(s, fma(s, fma(s, c4, c3), c2), c1);
}

/* The first four cumulants of a Bernoulli(p), over n!: log(1 - p + p exp(e)) = sum_n k_n e^n. */
static void bernoulli(double *k, double p) {
    const double q = p * (1 - p);
    k[0] = p;
    k[1] = q / 2;
    k[2] = q * (1 - 2 * p) / 6;
    k[3] = q * (1 - 6 * p + 6 * p * p) / 24;
}

/* out = the series of f(g(s)) to s^4, for f = sum_n f_n u^n and g = sum_n g_n s^n. */
static void compose(double *out, const double *f, const double *g) {
    out[0] = f[0] * g[0];
    out[1] = f[0] * g[1] + f[1] * g[0] * g[0];
    out[2] = f[0] * g[2] + 2 * f[1] * g[0] * g[1] + f[2] * g[0] * g[0] * g[0];
    out[3] = f[0] * g[3] + f[1] * (g[1] * g[1] + 2 * g[0] * g[2]) +
             3 * f[2] * g[0] * g[0] * g[1] + f[3] * g[0] * g[0] * g[0] * g[0];
}

/* out = the series of t' - t = -log(1 - r + r exp(L)) in s, for L = sum_n l_n s^n and beta the
 * Bernoulli(r) series: -beta(L(s)). */
static void term_series(double *out, const double *l, const double *beta) {
    compose(out, beta, l);
    for (int n = 0; n < TAYLOR; n++) out[n] = -out[n];
}

/* --- the tables --- */

static void *tables_new(const mlp_numgrad_job *jb) {
    const mlp_net *net = jb->net;
    tables *t = mlp_xmalloc(sizeof *t);
    const int B = jb->B, in = net->in, H = net->hidden, O = net->out;
    *t = (tables){.B = B, .in = in, .H = H, .O = O};
    t->base = mlp_work_new(net, B);
    /* The threaded variant's forward on the threads: simd_omp has simd's bits. */
    mlp_ops forward_ops = jb->ops;
    if (jb->parallel) mlp_ops_find(&forward_ops, "simd_omp");
    mlp_forward(net, &forward_ops, t->base, jb->batch);
    const double *z1 = t->base->z1, *y = t->base->y;

    size_t nnz = 0;
    for (size_t i = 0; i < (size_t)B * in; i++) nnz += jb->x[i] != 0.0;
    const size_t BH = (size_t)B * H, BO = (size_t)B * O;
    const size_t doubles =
        (size_t)B + nnz + (size_t)B + (size_t)in + 1 + TAYLOR * (BH + BO) + (size_t)H;
    t->block = mlp_xalloc64(doubles * sizeof(double));
    double *p = t->block;
    t->terms = p, p += B;
    t->value = p, p += nnz + B;
    t->row_max = p, p += in + 1;
    for (int n = 0; n < TAYLOR; n++) t->c[n] = p, p += BH;
    for (int n = 0; n < TAYLOR; n++) t->d[n] = p, p += BO;
    t->w2_max = p;
    t->at = mlp_xmalloc((size_t)(in + 2) * sizeof *t->at);
    t->sample = mlp_xmalloc((nnz + (size_t)B) * sizeof *t->sample);

    /* Rows of reached samples, in sample order: pixels, then b1's row of every sample. */
    int *next = calloc((size_t)in + 1, sizeof *next);
    if (!next) mlp_die("out of memory");
    for (int b = 0; b < B; b++)
        for (int i = 0; i < in; i++) next[i] += jb->x[(size_t)b * in + i] != 0.0;
    next[in] = B;
    t->at[0] = 0;
    for (int r = 0; r <= in; r++) t->at[r + 1] = t->at[r] + next[r];
    memcpy(next, t->at, (size_t)(in + 1) * sizeof *next);
    for (int r = 0; r <= in; r++) t->row_max[r] = r == in ? 1.0 : 0.0;
    for (int b = 0; b < B; b++) {
        for (int i = 0; i < in; i++) {
            const double v = jb->x[(size_t)b * in + i];
            if (v == 0.0) continue;
            t->sample[next[i]] = b;
            t->value[next[i]++] = v;
            t->row_max[i] = fmax(t->row_max[i], fabs(v));
        }
        t->sample[next[in]] = b;
        t->value[next[in]++] = 1.0;
    }
    free(next);

    for (int j = 0; j < H; j++) {
        t->w2_max[j] = 0.0;
        for (int k = 0; k < O; k++)
            t->w2_max[j] = fmax(t->w2_max[j], fabs(net->W2[(size_t)j * O + k]));
    }
    /* Per sample, independent: on the threads for the threaded variant. */
#pragma omp parallel for schedule(static) if (jb->parallel)
    for (int b = 0; b < B; b++) {
        const int l = jb->labels[b];
        const double *yb = y + (size_t)b * O, y_l = yb[l];
        t->terms[b] = -log(y_l + MLP_LOG_EPS);
        double beta[TAYLOR], L[TAYLOR], dt[TAYLOR];
        bernoulli(beta, y_l / (y_l + MLP_LOG_EPS));
        /* W2 and b2: logit k moves by e, L = e [k == l] - log(1 - y_k + y_k exp(e)). */
        for (int k = 0; k < O; k++) {
            bernoulli(L, yb[k]);
            for (int n = 0; n < TAYLOR; n++) L[n] = -L[n];
            L[0] += k == l;
            term_series(dt, L, beta);
            for (int n = 0; n < TAYLOR; n++) t->d[n][(size_t)b * O + k] = dt[n];
        }
        /* W1 and b1: hidden unit j moves by dz, L = dz W2[j][l] - sum_n kappa_n dz^n / n!, the
         * cumulants of W2[j][.] under y; then dz by sigma's series in da. */
        for (int j = 0; j < H; j++) {
            const double *w = net->W2 + (size_t)j * O;
            double mean = 0.0, m2 = 0.0, m3 = 0.0, m4 = 0.0;
            for (int k = 0; k < O; k++) mean += yb[k] * w[k];
            for (int k = 0; k < O; k++) {
                const double v = w[k] - mean, v2 = v * v;
                m2 += yb[k] * v2;
                m3 += yb[k] * v2 * v;
                m4 += yb[k] * v2 * v2;
            }
            L[0] = w[l] - mean;
            L[1] = -m2 / 2;
            L[2] = -m3 / 6;
            L[3] = -(m4 - 3 * m2 * m2) / 24;
            term_series(dt, L, beta);
            /* sigma^(n) / n!: s(1-s), then times (1-2s)/2, (1-6s+6s^2)/6, (1-2s)(1-12s+12s^2)/24 */
            const double s = z1[(size_t)b * H + j], s1 = s * (1 - s), c = 1 - 2 * s;
            const double dz[TAYLOR] = {s1, s1 * c / 2, s1 * (1 - 6 * s + 6 * s * s) / 6,
                                       s1 * c * (1 - 12 * s + 12 * s * s) / 24};
            double cn[TAYLOR];
            compose(cn, dt, dz);
            for (int n = 0; n < TAYLOR; n++) t->c[n][(size_t)b * H + j] = cn[n];
        }
    }
    t->T = 0.0;
    for (int b = 0; b < B; b++) t->T += t->terms[b];
    return t;
}

static void tables_free(void *shared) {
    tables *t = shared;
    mlp_work_free(t->base);
    free(t->block);
    free(t->at);
    free(t->sample);
    free(t);
}

/* --- the exact fallback --- */

typedef struct {
    int *reached;     /* (B) the samples the perturbation reaches, m of them */
    double *a1, *z1;  /* (B) the moved hidden unit of each reached sample */
    double *a2, *e;   /* (B,out) the reached samples' rows of a2, and their exps */
    double *terms;    /* (B) the per-sample loss terms under the perturbation */
    double *acc;      /* (2 * max(H, out)): the moved terms' change, for +h and for -h */
    double *steps;    /* (2 * max(H, out)): the steps, +h and -h, of a row's parameters */
    double *block;
} scratch;

static void *scratch_new(const mlp_numgrad_job *jb) {
    scratch *s = mlp_xmalloc(sizeof *s);
    const size_t B = (size_t)jb->B, rows = B * jb->net->out;
    const size_t width = (size_t)(jb->net->hidden > jb->net->out ? jb->net->hidden : jb->net->out);
    const size_t doubles = 4 * B + 2 * rows + 4 * width;
    s->block = mlp_xalloc64(doubles * sizeof(double));
    s->a1 = s->block;
    s->z1 = s->a1 + B;
    s->terms = s->z1 + B;
    s->a2 = s->terms + B;
    s->e = s->a2 + rows;
    s->acc = s->e + rows;
    s->steps = s->acc + 2 * width;
    s->reached = (int *)(s->steps + 2 * width); /* B ints fit in the B doubles left */
    memset(s->block, 0, doubles * sizeof(double)); /* first touch by this thread */
    return s;
}

static void scratch_free(void *p) {
    scratch *s = p;
    free(s->block);
    free(s);
}

/* The loss with parameter p moved by delta, recomputed without series: the reached samples'
 * a1 + delta x (one rounding instead of a fresh dot product), sigmoid, a2 + (z1' - z1) W2, then
 * softmax and the term, exactly as the kernels compute them. Used where a step is too large for
 * the series. */
static double moved_loss_exact(const mlp_numgrad_job *jb, const tables *t, scratch *s, size_t p,
                               double delta) {
    const mlp_net *net = jb->net;
    const int in = t->in, H = t->H, O = t->O, B = t->B;
    const size_t nW1 = (size_t)in * H, nW2 = (size_t)H * O, W2_at = nW1 + (size_t)H;
    int m = 0;
    if (p < W2_at) { /* W1[i][j] or b1[j]: hidden unit j moves */
        const int j = (int)(p < nW1 ? p % H : p - nW1), r = p < nW1 ? (int)(p / H) : in;
        for (int q = t->at[r]; q < t->at[r + 1]; q++) {
            const int b = t->sample[q];
            s->reached[m] = b;
            s->a1[m++] = t->base->a1[(size_t)b * H + j] + delta * t->value[q];
        }
        jb->ops.sigmoid->sigmoid(s->z1, s->a1, (size_t)m);
        const double *w2_row = net->W2 + (size_t)j * O;
        for (int q = 0; q < m; q++) {
            const int b = s->reached[q];
            const double dz = s->z1[q] - t->base->z1[(size_t)b * H + j];
            for (int c = 0; c < O; c++)
                s->a2[(size_t)q * O + c] = t->base->a2[(size_t)b * O + c] + dz * w2_row[c];
        }
    } else { /* W2[j][k] or b2[k]: output k of every sample moves */
        const size_t q = p - W2_at;
        const int j = (int)(q / O), k = (int)(q < nW2 ? q % O : q - nW2);
        for (int b = 0; b < B; b++) {
            memcpy(s->a2 + (size_t)m * O, t->base->a2 + (size_t)b * O, (size_t)O * sizeof(double));
            s->a2[(size_t)m * O + k] += q < nW2 ? delta * t->base->z1[(size_t)b * H + j] : delta;
            s->reached[m++] = b;
        }
    }
    for (int q = 0; q < m; q++) {
        const double *a2 = s->a2 + (size_t)q * O;
        double *e = s->e + (size_t)q * O, max = a2[0];
        for (int c = 1; c < O; c++) max = a2[c] > max ? a2[c] : max;
        for (int c = 0; c < O; c++) e[c] = a2[c] - max;
    }
    mlp_exp_simd(s->e, s->e, (size_t)m * O);
    memcpy(s->terms, t->terms, (size_t)B * sizeof(double));
    for (int q = 0; q < m; q++) {
        const double *e = s->e + (size_t)q * O;
        double sum = 0.0;
        for (int c = 0; c < O; c++) sum += e[c];
        const int b = s->reached[q];
        s->terms[b] = -log(e[jb->labels[b]] / sum + MLP_LOG_EPS);
    }
    double sum = 0.0;
    for (int b = 0; b < B; b++) sum += s->terms[b];
    return B ? sum / B : 0.0;
}

/* --- the series, along rows of parameters --- */

/* The steps naive takes, delta = fl(v +- h) - v: exactly +-h when |v| >= h (Fast2Sum), otherwise
 * within one rounding of it. */
static double step(double v, double sign) { return (v + sign * MLP_NUMGRAD_H) - v; }

/* The changes of the loss sum, acc_p for the steps dp (+h) and acc_m for dm (-h), of the
 * parameters j0..j0+n of W1's row r (a pixel, or b1 when r == in), over the samples the row
 * reaches, in order. The loop over j is what the compiler vectorizes: four parameters a vector,
 * one sample a step. */
static void w1_row(double *restrict acc_p, double *restrict acc_m, const tables *t,
                   const double *restrict dp, const double *restrict dm, int r, int j0, int n) {
    for (int j = 0; j < n; j++) acc_p[j] = acc_m[j] = 0.0;
    for (int q = t->at[r]; q < t->at[r + 1]; q++) {
        const size_t at = (size_t)t->sample[q] * t->H + j0;
        const double *restrict c1 = t->c[0] + at, *restrict c2 = t->c[1] + at,
                               *restrict c3 = t->c[2] + at, *restrict c4 = t->c[3] + at;
        const double x = t->value[q];
        for (int j = 0; j < n; j++) {
            acc_p[j] += series4(dp[j] * x, c1[j], c2[j], c3[j], c4[j]);
            acc_m[j] += series4(dm[j] * x, c1[j], c2[j], c3[j], c4[j]);
        }
    }
}

/* The same for the parameters k0..k0+n of W2's row j (or b2 when j == H): every sample, whose
 * logit k moves by e = delta z1[b][j] (or delta). */
static void w2_row(double *restrict acc_p, double *restrict acc_m, const tables *t,
                   const double *restrict dp, const double *restrict dm, int j, int k0, int n) {
    for (int k = 0; k < n; k++) acc_p[k] = acc_m[k] = 0.0;
    for (int b = 0; b < t->B; b++) {
        const double z = j < t->H ? t->base->z1[(size_t)b * t->H + j] : 1.0;
        const size_t at = (size_t)b * t->O + k0;
        const double *restrict d1 = t->d[0] + at, *restrict d2 = t->d[1] + at,
                               *restrict d3 = t->d[2] + at, *restrict d4 = t->d[3] + at;
        for (int k = 0; k < n; k++) {
            acc_p[k] += series4(dp[k] * z, d1[k], d2[k], d3[k], d4[k]);
            acc_m[k] += series4(dm[k] * z, d1[k], d2[k], d3[k], d4[k]);
        }
    }
}

/* Are the series exact for the parameter at value v in this row: its steps, and the ratios of
 * their series' terms, at most STEP_LIMIT? j < 0 for W2 and b2, whose step e is at most the
 * parameter's; for W1 and b1, the step da, and dz W2[j][c] <= 0.25 da M with M = w2_max[j],
 * whose cumulants' terms shrink by 2 M dz <= 0.5 M da. */
static bool series_exact(const tables *t, double v, double row_max, int j) {
    const double da = (fabs(v) + MLP_NUMGRAD_H - fabs(v)) * row_max * 1.001;
    return da <= STEP_LIMIT && (j < 0 || 0.5 * da * t->w2_max[j] <= STEP_LIMIT);
}

/* grad for the listed parameters lo..hi: consecutive ones of the same row go through the row
 * kernels together, the rest one by one. */
static void run(double *grad, const mlp_numgrad_job *jb, void *scratch_p, size_t lo, size_t hi) {
    const tables *t = jb->shared;
    scratch *s = scratch_p;
    const mlp_net *net = jb->net;
    const int in = t->in, H = t->H, O = t->O;
    const size_t nW1 = (size_t)in * H, W2_at = nW1 + (size_t)H;
    for (size_t k = lo; k < hi;) {
        const size_t p = mlp_numgrad_param(jb, k);
        /* Row and column of p: W1 rows 0..in-1, b1 row in; W2 rows 0..H-1, b2 row H. */
        const bool first = p < W2_at;
        const size_t q = first ? p : p - W2_at, width = first ? (size_t)H : (size_t)O;
        const int row = (int)(q / width), col = (int)(q % width);
        int n = 1;
        while (k + n < hi && col + n < (int)width && mlp_numgrad_param(jb, k + n) == p + n) n++;
        const double *w = net->params + p;
        double *dp = s->steps, *dm = s->steps + n, *acc_p = s->acc, *acc_m = s->acc + n;
        for (int c = 0; c < n; c++) {
            dp[c] = step(w[c], 1.0);
            dm[c] = step(w[c], -1.0);
        }
        if (first)
            w1_row(acc_p, acc_m, t, dp, dm, row, col, n);
        else
            w2_row(acc_p, acc_m, t, dp, dm, row, col, n);
        for (int c = 0; c < n; c++) {
            const bool exact = first ? series_exact(t, w[c], t->row_max[row], col + c)
                                     : series_exact(t, w[c], 1.0, -1);
            double f_plus, f_minus;
            if (exact) {
                f_plus = (t->T + acc_p[c]) / t->B;
                f_minus = (t->T + acc_m[c]) / t->B;
            } else {
                f_plus = moved_loss_exact(jb, t, s, p + c, dp[c]);
                f_minus = moved_loss_exact(jb, t, s, p + c, dm[c]);
            }
            grad[p + c] = mlp_numgrad_quotient(f_plus, f_minus);
        }
        k += n;
    }
}

const mlp_numgrad_method mlp_numgrad_incremental = {tables_new, tables_free, scratch_new,
                                                    scratch_free, run};
