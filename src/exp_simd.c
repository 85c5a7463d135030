/* mlp_exp_simd: the vectorized exp of exp_avx2.h over an array, exposed so that its accuracy
 * can be measured on its own (tests/test_exp.c). This is the piece that makes the simd sigmoid
 * and softmax fast: naive calls libm's scalar exp once per element, this evaluates four at a
 * time with a branch-free range reduction and polynomial. Without AVX2+FMA it calls libm's exp.
 */
#include <math.h>

#include "activations_avx2.h"
#include "exp_avx2.h"
#include "mlp_kernels_impl.h"

__attribute__((target("avx2,fma"))) static void exp_avx2(double *out, const double *in, size_t n) {
    mlp_exp_avx2(out, in, n, mlp_exp4);
}

void mlp_exp_simd(double *out, const double *in, size_t n) {
    if (mlp_cpu_has_avx2_fma()) {
        exp_avx2(out, in, n);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = exp(in[i]);
}
