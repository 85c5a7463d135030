/* The numerical-gradient ladder's own view: what a variant's threads share, and the interface
 * of a way to compute the quotients (the seed's loop in numgrad.c, the incremental one in
 * numgrad_incremental.c). Not installed; users go through mlp_net.h. */
#ifndef MLP_NUMGRAD_IMPL_H
#define MLP_NUMGRAD_IMPL_H

#include "mlp_net_impl.h"

/* What every thread of a variant reads, unchanged while the threads run. */
typedef struct {
    const mlp_net *net;
    mlp_ops ops;         /* the serial kernels the variant runs on */
    const mlp_batch *batch;
    const double *x;     /* (B,in), the batch's */
    const int *labels;   /* (B), the batch's */
    int B;
    const size_t *which; /* (n), or NULL for every parameter */
    size_t n;
    const void *shared;  /* the method's tables, made once per call before the threads run */
    int parallel;        /* the variant runs on the OpenMP threads (shared_new may too) */
} mlp_numgrad_job;

/* A way to compute grad[p] for the listed parameters lo..hi. shared_new (may be NULL) builds
 * what all threads read; scratch_new what one thread writes, allocated and first touched by
 * that thread. */
typedef struct {
    void *(*shared_new)(const mlp_numgrad_job *jb);
    void (*shared_free)(void *shared);
    void *(*scratch_new)(const mlp_numgrad_job *jb);
    void (*scratch_free)(void *scratch);
    void (*run)(double *grad, const mlp_numgrad_job *jb, void *scratch, size_t lo, size_t hi);
} mlp_numgrad_method;

extern const mlp_numgrad_method mlp_numgrad_incremental;

static inline size_t mlp_numgrad_param(const mlp_numgrad_job *jb, size_t k) {
    return jb->which ? jb->which[k] : k;
}

/* SEED.md's central difference. */
static inline double mlp_numgrad_quotient(double f_plus, double f_minus) {
    return (f_plus - f_minus) / (2 * MLP_NUMGRAD_H);
}

#endif
