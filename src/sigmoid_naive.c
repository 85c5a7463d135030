/* sigmoid, naive and omp: libm's exp, one element at a time.
 *
 * Compiled with auto-vectorization off (see CMakeLists.txt): `naive` is the scalar baseline.
 * Its loop lives in activations_loops.h, shared with `libmvec`, which compiles it with
 * -ffast-math instead.
 * `omp` splits the elements across threads in contiguous runs; each element is computed the
 * same way whatever the thread count.
 */
#include "activations_loops.h"
#include "mlp_kernels_impl.h"

void mlp_sigmoid_naive(double *out, const double *in, size_t n) { mlp_sigmoid_loop(out, in, n); }

void mlp_sigmoid_grad_naive(double *dz, const double *z, const double *da, size_t n) {
    mlp_sigmoid_grad_loop(dz, z, da, n);
}

void mlp_sigmoid_omp(double *out, const double *in, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) out[i] = mlp_sigmoid_of(in[i]);
}

void mlp_sigmoid_grad_omp(double *dz, const double *z, const double *da, size_t n) {
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) dz[i] = mlp_sigmoid_grad_of(z[i], da[i]);
}
