/* numgrad: the numerical-gradient ladder, SEED.md's central difference
 * (f(p + h) - f(p - h)) / 2h of mlp_loss, one parameter at a time, in six variants.
 *
 * naive and simd are the seed's loop (two full forward passes per parameter) on the naive and
 * simd kernels. omp and simd_omp add threads: the parameters are split statically across them,
 * each thread runs the serial kernels on its own copy of the parameters and its own scratch,
 * allocated and first touched by that thread, so nothing is shared but the read-only batch.
 * incremental changes the algorithm, not the quotient: a perturbation of one parameter
 * recomputes only what that parameter reaches (numgrad_incremental.c), which turns two
 * 15.9-MFLOP forward passes into some twenty FMAs per reached sample. incremental_omp splits it
 * across threads as omp does. Each parameter's quotient is computed
 * by one thread in one fixed order, so every parallel variant gives the same bits as its serial
 * one at any thread count. The net itself is only read: each variant perturbs a copy.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "numgrad_impl.h"

typedef mlp_numgrad_job job;
typedef mlp_numgrad_method method;

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
        size_t p = mlp_numgrad_param(jb, k);
        double saved = s->net.params[p];
        s->net.params[p] = saved + MLP_NUMGRAD_H;
        double f_plus = mlp_loss(&s->net, &jb->ops, s->work, jb->batch);
        s->net.params[p] = saved - MLP_NUMGRAD_H;
        double f_minus = mlp_loss(&s->net, &jb->ops, s->work, jb->batch);
        s->net.params[p] = saved;
        grad[p] = mlp_numgrad_quotient(f_plus, f_minus);
    }
}

static const method full = {NULL, NULL, full_new, full_free, full_run};

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

static void numgrad(double *grad, const mlp_net *net, const mlp_batch *batch,
                    const size_t *which, size_t n_which, const char *kernels, const method *m,
                    int parallel) {
    const int B = mlp_batch_size(batch), *labels = mlp_batch_labels(batch);
    job jb = {.net = net, .batch = batch, .x = mlp_batch_x(batch), .labels = labels, .B = B,
              .which = which, .n = which ? n_which : net->count, .parallel = parallel};
    if (mlp_ops_find(&jb.ops, kernels) != 0) mlp_die("no kernel variant named %s", kernels);
    for (size_t k = 0; k < jb.n; k++)
        if (mlp_numgrad_param(&jb, k) >= net->count)
            mlp_die("parameter %zu requested, the net has %zu", mlp_numgrad_param(&jb, k), net->count);
    mlp_check_labels(net, labels, B); /* here, not in a thread */

    void *shared = m->shared_new ? m->shared_new(&jb) : NULL;
    jb.shared = shared;
    if (parallel) {
        run_parallel(grad, &jb, m);
    } else {
        void *scratch = m->scratch_new(&jb);
        m->run(grad, &jb, scratch, 0, jb.n);
        m->scratch_free(scratch);
    }
    if (shared) m->shared_free(shared);
}

#define VARIANT(fn, kernels, m, parallel)                                                         \
    static void fn(double *grad, mlp_net *net, const mlp_batch *batch, const size_t *which,     \
                   size_t n_which) {                                                             \
        numgrad(grad, net, batch, which, n_which, kernels, m, parallel);                         \
    }
VARIANT(numgrad_naive, "naive", &full, 0)
VARIANT(numgrad_simd, "simd", &full, 0)
VARIANT(numgrad_omp, "naive", &full, 1)
VARIANT(numgrad_simd_omp, "simd", &full, 1)
VARIANT(numgrad_incremental, "simd", &mlp_numgrad_incremental, 0)
VARIANT(numgrad_incremental_omp, "simd", &mlp_numgrad_incremental, 1)

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
