/* activations_loops.h: the textbook sigmoid and softmax loops, written once and compiled twice
 * with different flags: in sigmoid_naive.c / softmax_naive.c with auto-vectorization off (the
 * scalar baseline), and in sigmoid_libmvec.c / softmax_libmvec.c with -ffast-math, where gcc
 * vectorizes the same source with calls to glibc's vector exp. Private to the library.
 */
#ifndef MLP_ACTIVATIONS_LOOPS_H
#define MLP_ACTIVATIONS_LOOPS_H

#include <math.h>
#include <stddef.h>

static inline double mlp_sigmoid_of(double x) { return 1.0 / (1.0 + exp(-x)); }

/* z = sigmoid(a) from the forward pass; SEED.md's (1 - s) * s, times the incoming gradient. */
static inline double mlp_sigmoid_grad_of(double z, double da) { return (1.0 - z) * z * da; }

/* out (n) = sigmoid(in (n)). */
static inline void mlp_sigmoid_loop(double *out, const double *in, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = mlp_sigmoid_of(in[i]);
}

static inline void mlp_sigmoid_grad_loop(double *dz, const double *z, const double *da,
                                         size_t n) {
    for (size_t i = 0; i < n; i++) dz[i] = mlp_sigmoid_grad_of(z[i], da[i]);
}

/* One row, out (cols) from x (cols): subtract the max, exponentiate, divide by the sum. */
static inline void mlp_softmax_row(double *out, const double *x, int cols) {
    double max = x[0];
    for (int j = 1; j < cols; j++)
        if (x[j] > max) max = x[j];
    double sum = 0.0;
    for (int j = 0; j < cols; j++) {
        out[j] = exp(x[j] - max);
        sum += out[j];
    }
    for (int j = 0; j < cols; j++) out[j] /= sum;
}

#endif
