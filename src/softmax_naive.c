/* softmax and cross-entropy, naive and omp: SEED.md's formulas, one row at a time.
 *
 * Compiled with auto-vectorization off (see CMakeLists.txt): `naive` is the scalar baseline.
 * Its row loop lives in activations_loops.h, shared with `libmvec`, which compiles it with
 * -ffast-math instead.
 * `omp` gives each thread whole rows. Its cross-entropy computes the per-row terms in parallel
 * but adds them up in row order on one thread, so the sum has the same bits at any thread count.
 */
#include <math.h>
#include <stdlib.h>

#include "activations_loops.h"
#include "mlp_kernels_impl.h"

void mlp_softmax_naive(double *out, const double *x, int rows, int cols) {
    if (cols <= 0) return;
    for (int r = 0; r < rows; r++)
        mlp_softmax_row(out + (size_t)r * cols, x + (size_t)r * cols, cols);
}

void mlp_softmax_omp(double *out, const double *x, int rows, int cols) {
    if (cols <= 0) return;
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++)
        mlp_softmax_row(out + (size_t)r * cols, x + (size_t)r * cols, cols);
}

static double row_loss(const double *y, const int *labels, int cols, int r) {
    return -log(y[(size_t)r * cols + labels[r]] + MLP_LOG_EPS);
}

double mlp_cross_entropy_naive(const double *y, const int *labels, int rows, int cols) {
    if (rows <= 0) return 0.0;
    double sum = 0.0;
    for (int r = 0; r < rows; r++) sum += row_loss(y, labels, cols, r);
    return sum / rows;
}

double mlp_cross_entropy_omp(const double *y, const int *labels, int rows, int cols) {
    if (rows <= 0) return 0.0;
    double *terms = mlp_xmalloc((size_t)rows * sizeof *terms);
#pragma omp parallel for schedule(static)
    for (int r = 0; r < rows; r++) terms[r] = row_loss(y, labels, cols, r);
    double sum = 0.0;
    for (int r = 0; r < rows; r++) sum += terms[r];
    free(terms);
    return sum / rows;
}

double mlp_cross_entropy_onehot(const double *y, const double *t, int rows, int cols) {
    if (rows <= 0) return 0.0;
    double sum = 0.0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++)
            sum -= t[(size_t)r * cols + j] * log(y[(size_t)r * cols + j] + MLP_LOG_EPS);
    return sum / rows;
}
