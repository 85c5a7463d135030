/* train: SEED.md's training run, plain SGD on batches drawn with replacement, and the projection
 * of a numerical-gradient run that would take hours.
 *
 * This is the step above the network: it runs the blog's experiment end to end, with the
 * gradient method (backprop or a rung of the numerical ladder) and the kernel variant chosen at
 * run time, so one loop measures every rung. Nothing here depends on the thread count (the batch
 * stream is serial, the update is a serial loop, the kernels are deterministic), so a seed names
 * one loss curve, bit for bit, at any thread count.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlp_train.h"

#include <math.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlp_net_impl.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* The batch indices come from splitmix64 (a complete generator on its own) started from the seed
 * xor a constant, so the stream differs from the one net.c seeds the weights with. */
static uint64_t next_u64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0,n), without modulo bias: draws below 2^64 mod n are rejected. */
static int uniform_below(uint64_t *state, int n) {
    uint64_t threshold = (0 - (uint64_t)n) % (uint64_t)n, r;
    do r = next_u64(state);
    while (r < threshold);
    return (int)(r % (uint64_t)n);
}

void mlp_gather(mlp_batch *batch, const mlp_dataset *d, const int *idx, int B) {
    if (batch->in != MLP_IMAGE_SIZE || B < 0 || B > batch->max_B)
        mlp_die("a batch of %d %d-wide samples cannot hold %d images", batch->max_B, batch->in, B);
    batch->B = B;
    /* On the threads of a threaded run: each sample is copied by one thread, whatever their
     * number. The images are scattered over the 188 MB training set, so each is a few dozen
     * cache misses: the lines of the image PREFETCH samples ahead are requested first, so that
     * they arrive while this one is copied, instead of one miss after another. */
    enum { PREFETCH = 4, LINE = 64 / sizeof(float) };
#pragma omp parallel for schedule(static) if (omp_get_max_threads() > 1 && B >= 16)
    for (int b = 0; b < B; b++) {
        if (b + PREFETCH < B) {
            const float *ahead = d->pixels + (size_t)(idx ? idx[b + PREFETCH] : b + PREFETCH) *
                                                 MLP_IMAGE_SIZE;
            for (int i = 0; i < MLP_IMAGE_SIZE; i += LINE) __builtin_prefetch(ahead + i);
        }
        int s = idx ? idx[b] : b;
        const float *px = d->pixels + (size_t)s * MLP_IMAGE_SIZE;
        double *x = batch->x + (size_t)b * MLP_IMAGE_SIZE;
        for (int i = 0; i < MLP_IMAGE_SIZE; i++) x[i] = px[i];
        batch->labels[b] = d->labels[s];
    }
    mlp_batch_index(batch);
}

/* The kernels of the recorded losses and final accuracies: the variant's own, or for a
 * numerical variant without a kernel namesake (incremental*), the fastest own kernels. */
static int find_ops(mlp_ops *ops, const char *variant) {
    return mlp_ops_find(ops, variant) == 0 ? 0 : mlp_ops_find(ops, "simd_omp");
}

static int check_config(const mlp_train_config *cfg, const mlp_dataset *train, char *err,
                        size_t errlen) {
    bool numerical = strcmp(cfg->grad, "numerical") == 0;
    if (!numerical && strcmp(cfg->grad, "backprop") != 0)
        return fail(err, errlen, "unknown gradient method '%s' (backprop or numerical)",
                    cfg->grad);
    mlp_ops ops;
    if (numerical ? !mlp_find_numgrad(cfg->variant) : mlp_ops_find(&ops, cfg->variant) != 0)
        return fail(err, errlen, "no %s variant named '%s'", cfg->grad, cfg->variant);
    if (cfg->iters <= 0 || cfg->batch <= 0 || cfg->hidden <= 0)
        return fail(err, errlen, "iters, batch and hidden must be positive, got %d, %d, %d",
                    cfg->iters, cfg->batch, cfg->hidden);
    if (!(cfg->lr > 0 && isfinite(cfg->lr)))
        return fail(err, errlen, "the learning rate must be a positive number, got %g", cfg->lr);
    if (train->count <= 0) return fail(err, errlen, "the training set is empty");
    return 0;
}

/* The OpenMP thread count of the run: cfg->threads (or OpenMP's default) for a threaded
 * variant, 1 otherwise, so that a serial variant's glue (gathering, the update) is serial too.
 * Set as the OpenMP default; the previous one is returned through *previous. */
static int run_threads(const mlp_train_config *cfg, int *previous) {
    *previous = omp_get_max_threads();
    if (cfg->threads > 0) omp_set_num_threads(cfg->threads);
    const int n = mlp_variant_uses_threads(cfg->variant) ? omp_get_max_threads() : 1;
    omp_set_num_threads(n);
    return n;
}

/* Share of d's samples the net classifies right, in chunks so the scratch stays small. */
static double accuracy_of(const mlp_net *net, const mlp_ops *ops, const mlp_dataset *d) {
    enum { CHUNK = 1000 };
    mlp_batch *batch = mlp_batch_new(MLP_IMAGE_SIZE, CHUNK);
    mlp_work *w = mlp_work_new(net, CHUNK);
    long correct = 0;
    for (int lo = 0; lo < d->count; lo += CHUNK) {
        int B = d->count - lo < CHUNK ? d->count - lo : CHUNK;
        mlp_dataset chunk = {B, d->pixels + (size_t)lo * MLP_IMAGE_SIZE, d->labels + lo};
        mlp_gather(batch, &chunk, NULL, B);
        correct += lround(mlp_accuracy(net, ops, w, batch) * B);
    }
    mlp_work_free(w);
    mlp_batch_free(batch);
    return d->count ? (double)correct / d->count : 0.0;
}

/* On a terminal, one line rewritten in place: where the run is and how long it has left. */
static void progress_line(int it, int iters, double loss, double elapsed) {
    double left = elapsed / it * (iters - it);
    fprintf(stderr, "\riter %d/%d loss %.4f  %.1f s elapsed, %.0f s left   ", it, iters, loss,
            elapsed, left);
}

int mlp_train(mlp_train_result *res, const mlp_train_config *cfg, const mlp_dataset *train,
              const mlp_dataset *test, char *err, size_t errlen) {
    memset(res, 0, sizeof *res);
    if (check_config(cfg, train, err, errlen) != 0) return -1;
    const mlp_numgrad_variant *nv =
        strcmp(cfg->grad, "numerical") == 0 ? mlp_find_numgrad(cfg->variant) : NULL;
    mlp_ops ops;
    find_ops(&ops, cfg->variant);
    int previous_threads;
    res->threads = run_threads(cfg, &previous_threads);

    int B = cfg->batch, iters = cfg->iters;
    mlp_net net;
    mlp_net_init(&net, MLP_IMAGE_SIZE, cfg->hidden, MLP_CLASSES, cfg->seed);
    mlp_work *w = mlp_work_new(&net, B);
    double *grad = mlp_xalloc64(net.count * sizeof *grad);
    mlp_batch *batch = mlp_batch_new(MLP_IMAGE_SIZE, B);
    int *idx = mlp_xmalloc((size_t)B * sizeof *idx);
    res->losses = mlp_xmalloc((size_t)iters * sizeof *res->losses);
    uint64_t stream = cfg->seed ^ 0x62617463686573u; /* "batches" */
    bool tty = cfg->progress && isatty(2);
    double start = mlp_now(), shown = start;

    int it = 0;
    for (; it < iters && !(cfg->stop && *cfg->stop); it++) {
        for (int b = 0; b < B; b++) idx[b] = uniform_below(&stream, train->count);
        mlp_gather(batch, train, idx, B);
        if (nv)
            nv->numgrad(grad, &net, batch, NULL, 0);
        else
            mlp_gradient(grad, &net, &ops, w, batch);
        /* The update on the threads too: each parameter is one product and one subtraction,
         * the same bits on any thread; serial, it is a tenth of a threaded iteration. */
#pragma omp parallel for schedule(static) if (res->threads > 1)
        for (size_t p = 0; p < net.count; p++) net.params[p] -= cfg->lr * grad[p];
        double loss = mlp_loss(&net, &ops, w, batch); /* after the update, as SEED.md */
        res->losses[it] = loss;

        double now = mlp_now();
        if (cfg->progress && (it + 1) % 1000 == 0) {
            if (tty) fputs("\r\033[K", stderr); /* the line below replaces the progress line */
            printf("iter %d/%d loss %.4f\n", it + 1, iters, loss);
            fflush(stdout);
        }
        if (tty && (now - shown >= 0.25 || it + 1 == iters)) {
            progress_line(it + 1, iters, loss, now - start);
            shown = now;
        }
    }
    res->seconds = mlp_now() - start;
    if (tty) fputs("\r\033[K", stderr);
    res->iters_done = it;
    res->ms_per_iter = it ? 1e3 * res->seconds / it : NAN;
    res->loss_first = it ? res->losses[0] : NAN;
    res->loss_last = it ? res->losses[it - 1] : NAN;

    double eval_start = mlp_now();
    res->train_accuracy = accuracy_of(&net, &ops, train);
    res->test_accuracy = accuracy_of(&net, &ops, test);
    res->eval_seconds = mlp_now() - eval_start;

    free(idx);
    mlp_batch_free(batch);
    free(grad);
    mlp_work_free(w);
    mlp_net_free(&net);
    omp_set_num_threads(previous_threads);
    return 0;
}

int mlp_numgrad_projection(double *s_per_iter, long *measured, const mlp_train_config *cfg,
                           const mlp_dataset *train, double budget, char *err, size_t errlen) {
    *s_per_iter = 0.0;
    *measured = 0;
    if (check_config(cfg, train, err, errlen) != 0) return -1;
    const mlp_numgrad_variant *nv = mlp_find_numgrad(cfg->variant);
    if (!nv) return fail(err, errlen, "no numerical variant named '%s'", cfg->variant);
    if (cfg->batch > train->count)
        return fail(err, errlen, "batch %d is larger than the %d training images", cfg->batch,
                    train->count);
    int previous_threads;
    run_threads(cfg, &previous_threads);
    int B = cfg->batch;
    mlp_net net;
    mlp_net_init(&net, MLP_IMAGE_SIZE, cfg->hidden, MLP_CLASSES, cfg->seed);
    double *grad = mlp_xalloc64(net.count * sizeof *grad);
    mlp_batch *batch = mlp_batch_new(MLP_IMAGE_SIZE, B);
    size_t *which = mlp_xmalloc(net.count * sizeof *which);
    mlp_gather(batch, train, NULL, B);

    /* The arrays cost differently per parameter (incremental skips zero pixels for W1 only), so
     * each is timed on its own: strided samples of 4, 8, 16 ... parameters until a sample takes a
     * quarter of the budget or covers the array. */
    const double *arrays[5] = {net.W1, net.b1, net.W2, net.b2, net.params + net.count};
    for (int a = 0; a < 4; a++) {
        size_t lo = (size_t)(arrays[a] - net.params), n = (size_t)(arrays[a + 1] - arrays[a]);
        for (size_t m = n < 4 ? n : 4;; m = 2 * m < n ? 2 * m : n) {
            for (size_t k = 0; k < m; k++) which[k] = lo + k * n / m;
            double t = mlp_now();
            nv->numgrad(grad, &net, batch, which, m);
            t = mlp_now() - t;
            if (t >= budget / 4 || m == n) {
                *measured += 2 * (long)m; /* two perturbations per parameter */
                *s_per_iter += t / m * n;
                break;
            }
        }
    }
    free(which);
    mlp_batch_free(batch);
    free(grad);
    mlp_net_free(&net);
    omp_set_num_threads(previous_threads);
    return 0;
}
