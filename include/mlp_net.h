/* mlp_net.h: SEED.md's TwoLayerNet (784-100-10 by default) on the kernel variants, its
 * backprop gradient, and the numerical-gradient ladder.
 *
 * All parameters live in one flat allocation (after llm.c): W1 (in,hidden), b1 (hidden),
 * W2 (hidden,out), b2 (out), in that order, so the numerical gradient is one loop over one array
 * and a per-thread copy of the parameters is one memcpy. Gradients use the same layout. */
#ifndef MLP_NET_H
#define MLP_NET_H

#include <stddef.h>
#include <stdint.h>

#include "mlp_kernels.h"

typedef struct {
    int in, hidden, out;
    size_t count;   /* number of parameters: in*hidden + hidden + hidden*out + out */
    double *params; /* the flat allocation */
    double *W1, *b1, *W2, *b2;
} mlp_net;

/* Which variant of each kernel family the network runs on. */
typedef struct {
    const char *name;
    const mlp_matmul_variant *matmul;
    const mlp_sigmoid_variant *sigmoid;
    const mlp_softmax_variant *softmax;
} mlp_ops;

/* Scratch for one batch of up to B samples; allocate once, reuse every iteration. Using it for
 * a larger batch or another net's sizes is a one-line fatal error, as is a label outside
 * [0,out) in the functions below. */
typedef struct mlp_work mlp_work;

/* W = 0.01 * normal(0,1) from a generator seeded by seed, b = 0. */
void mlp_net_init(mlp_net *net, int in, int hidden, int out, uint64_t seed);
void mlp_net_free(mlp_net *net);

/* ops for a kernel variant name; -1 when no family has a variant of that name. A name every
 * family has (naive, simd, omp, simd_omp) picks it in each. A reference library only some
 * families have gets what a user would pair it with: "openblas" = OpenBLAS matmul + libmvec
 * sigmoid and softmax; "libmvec" and "sleef" = those activations + the simd_omp matmul. */
int mlp_ops_find(mlp_ops *ops, const char *name);

mlp_work *mlp_work_new(const mlp_net *net, int B);
void mlp_work_free(mlp_work *w);

/* A batch, the network's input: B samples x (B,in) and their labels (class indices), in memory
 * of its own, with an index of x's nonzeros made whenever x is written. The variants with
 * sparse products (matmul_sparse.c) multiply through the index instead of by x's zero pixels;
 * so that it always describes x, x is written only by mlp_batch_set and mlp_gather. */
typedef struct mlp_batch mlp_batch;
mlp_batch *mlp_batch_new(int in, int max_B);
void mlp_batch_free(mlp_batch *b);
/* Copy x (B,in) and labels (B) into b, and index x. */
void mlp_batch_set(mlp_batch *b, const double *x, const int *labels, int B);
int mlp_batch_size(const mlp_batch *b);
const double *mlp_batch_x(const mlp_batch *b);
const int *mlp_batch_labels(const mlp_batch *b);

/* y (B,out): softmax(sigmoid(x.W1 + b1).W2 + b2). */
void mlp_predict(double *y, const mlp_net *net, const mlp_ops *ops, mlp_work *w,
                 const mlp_batch *batch);
/* cross_entropy_error(predict(x), labels), with SEED.md's 1e-7 inside the log. */
double mlp_loss(const mlp_net *net, const mlp_ops *ops, mlp_work *w, const mlp_batch *batch);
/* Share of rows whose argmax of y equals the label. */
double mlp_accuracy(const mlp_net *net, const mlp_ops *ops, mlp_work *w, const mlp_batch *batch);
/* Backprop: grad (net->count, the params' layout) of mlp_loss; returns the loss before the step. */
double mlp_gradient(double *grad, const mlp_net *net, const mlp_ops *ops, mlp_work *w,
                    const mlp_batch *batch);

/* Numerical gradient, SEED.md's central difference with h = 1e-4, for the parameters listed in
 * which[0..n_which) (all of them when which is NULL, n_which then ignored): only those entries
 * of grad are written. The variants perturb private copies, so net is only read. Variants:
 * naive, simd (the seed's loop on those kernels), omp, simd_omp (the same, parameters split over
 * threads), incremental, incremental_omp (recompute only what one parameter reaches). All match
 * naive within 1e-10 per parameter; the threaded ones give their serial rung's bits at any
 * thread count. */
typedef void (*mlp_numgrad_fn)(double *grad, mlp_net *net, const mlp_batch *batch,
                               const size_t *which, size_t n_which);
typedef struct { const char *name; mlp_numgrad_fn numgrad; } mlp_numgrad_variant;
extern const mlp_numgrad_variant mlp_numgrad_variants[]; /* NULL-terminated, entry 0 "naive" */
const mlp_numgrad_variant *mlp_find_numgrad(const char *name);

#define MLP_NUMGRAD_H 1e-4

#endif
