/* sigmoid, libmvec: the easy route a C programmer takes first. naive's very loop
 * (activations_loops.h) compiled with -O3 -ffast-math -march=native (the CMake rule for
 * *_libmvec.c), so that gcc vectorizes it and calls glibc's vector exp, libmvec; on an AVX2
 * target that is _ZGVdN4v_exp (objdump -d shows the call). The reference the simd variant is
 * measured against.
 *
 * What it does not promise: -ffast-math lets gcc assume there are no NaNs and infinities, and
 * libmvec is documented to within 4 ulp (glibc wiki, "libmvec"), not libm's accuracy. So NaN in
 * gives an unspecified value, and the exact saturation sigmoid(-1000) = 0, sigmoid(1000) = 1
 * is not promised either; finite inputs get 1 / (1 + exp(-x)) within libmvec's 4-ulp exp.
 * sigmoid_grad has no exp and is naive's loop, vectorized.
 */
#include "activations_loops.h"
#include "mlp_kernels_impl.h"

void mlp_sigmoid_libmvec(double *out, const double *in, size_t n) { mlp_sigmoid_loop(out, in, n); }

void mlp_sigmoid_grad_libmvec(double *dz, const double *z, const double *da, size_t n) {
    mlp_sigmoid_grad_loop(dz, z, da, n);
}
