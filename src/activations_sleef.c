/* sigmoid and softmax, sleef: the simd variants' loops (activations_avx2.h) with SLEEF's
 * Sleef_expd4_u10avx2 (documented to within 1.0 ulp) in place of our exp: what a user who
 * reaches for a vector math library gets, so the benchmark compares our exp with SLEEF's and
 * nothing else. Compiled only when CMake finds Debian's libsleef-dev (MLP_HAVE_SLEEF). Without
 * AVX2+FMA at run time it runs naive's loops. sigmoid_grad has no exp: it is the simd one;
 * cross-entropy is one log per row: naive's.
 */
#include "mlp_kernels_impl.h"

#ifdef MLP_HAVE_SLEEF
#include <sleef.h>

#include "activations_avx2.h"

#ifndef __AVX__
/* sleef.h declares its AVX functions only when the whole file targets AVX; only our AVX2
 * functions below call this one. */
__m256d Sleef_expd4_u10avx2(__m256d x);
#endif

__attribute__((target("avx2,fma"))) static void sigmoid_sleef_avx2(double *out, const double *in,
                                                                    size_t n) {
    mlp_sigmoid_avx2(out, in, n, Sleef_expd4_u10avx2);
}

__attribute__((target("avx2,fma"))) static void softmax_sleef_avx2(double *out, const double *x,
                                                                    int rows, int cols) {
    for (int r = 0; r < rows; r++)
        mlp_softmax_row_avx2(out + (size_t)r * cols, x + (size_t)r * cols, (size_t)cols,
                             Sleef_expd4_u10avx2, Sleef_expd4_u10avx2);
}

void mlp_sigmoid_sleef(double *out, const double *in, size_t n) {
    if (mlp_cpu_has_avx2_fma())
        sigmoid_sleef_avx2(out, in, n);
    else
        mlp_sigmoid_naive(out, in, n);
}

void mlp_sigmoid_grad_sleef(double *dz, const double *z, const double *da, size_t n) {
    mlp_sigmoid_grad_simd(dz, z, da, n);
}

void mlp_softmax_sleef(double *out, const double *x, int rows, int cols) {
    if (rows <= 0 || cols <= 0) return;
    if (mlp_cpu_has_avx2_fma())
        softmax_sleef_avx2(out, x, rows, cols);
    else
        mlp_softmax_naive(out, x, rows, cols);
}

double mlp_cross_entropy_sleef(const double *y, const int *labels, int rows, int cols) {
    return mlp_cross_entropy_naive(y, labels, rows, cols);
}
#endif
