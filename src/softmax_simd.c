/* softmax and cross-entropy, simd and simd_omp: naive's three passes over a row (max, exp and
 * sum, scale) with four elements per step and the vectorized exp of exp_avx2.h; the scale
 * multiplies by 1/sum (one rounding more than naive's division, see activations_avx2.h).
 * simd_omp gives each thread whole rows, each computed as in simd, so the bits do not depend on
 * the thread count. Without AVX2+FMA they run naive's and omp's portable loops.
 *
 * Cross-entropy is one log of one gathered element per row: nothing to vectorize, so simd and
 * simd_omp use naive's and omp's (the latter sums the per-row terms in row order on one thread,
 * same bits at any thread count).
 */
#include "activations_avx2.h"
#include "exp_avx2.h"
#include "mlp_kernels_impl.h"

__attribute__((target("avx2,fma"))) static void softmax_avx2(double *out, const double *x,
                                                              int rows, int cols) {
    for (int r = 0; r < rows; r++)
        mlp_softmax_row_avx2(out + (size_t)r * cols, x + (size_t)r * cols, (size_t)cols, mlp_exp4,
                             mlp_exp4_normal);
}

__attribute__((target("avx2,fma"))) static void softmax_avx2_omp(double *out, const double *x,
                                                                  int rows, int cols) {
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++)
        mlp_softmax_row_avx2(out + (size_t)r * cols, x + (size_t)r * cols, (size_t)cols, mlp_exp4,
                             mlp_exp4_normal);
}

void mlp_softmax_simd(double *out, const double *x, int rows, int cols) {
    if (rows <= 0 || cols <= 0) return;
    if (mlp_cpu_has_avx2_fma())
        softmax_avx2(out, x, rows, cols);
    else
        mlp_softmax_naive(out, x, rows, cols);
}

void mlp_softmax_simd_omp(double *out, const double *x, int rows, int cols) {
    if (rows <= 0 || cols <= 0) return;
    if (mlp_cpu_has_avx2_fma())
        softmax_avx2_omp(out, x, rows, cols);
    else
        mlp_softmax_omp(out, x, rows, cols);
}

double mlp_cross_entropy_simd(const double *y, const int *labels, int rows, int cols) {
    return mlp_cross_entropy_naive(y, labels, rows, cols);
}

double mlp_cross_entropy_simd_omp(const double *y, const int *labels, int rows, int cols) {
    return mlp_cross_entropy_omp(y, labels, rows, cols);
}
