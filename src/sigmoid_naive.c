/* sigmoid, naive and omp: libm's exp, one element at a time.
 *
 * Compiled with auto-vectorization off (see CMakeLists.txt): `naive` is the scalar baseline.
 * `omp` splits the elements across threads in contiguous runs; each element is computed the
 * same way whatever the thread count.
 */
#include <math.h>

#include "mlp_kernels_impl.h"

void mlp_sigmoid_naive(double *out, const double *in, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = 1.0 / (1.0 + exp(-in[i]));
}

void mlp_sigmoid_grad_naive(double *dz, const double *z, const double *da, size_t n) {
    for (size_t i = 0; i < n; i++) dz[i] = (1.0 - z[i]) * z[i] * da[i];
}

void mlp_sigmoid_omp(double *out, const double *in, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = 1.0 / (1.0 + exp(-in[i]));
}

void mlp_sigmoid_grad_omp(double *dz, const double *z, const double *da, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dz[i] = (1.0 - z[i]) * z[i] * da[i];
}
