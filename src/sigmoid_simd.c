/* sigmoid, simd and simd_omp: naive's 1 / (1 + exp(-x)) four elements at a time, with the
 * vectorized exp of exp_avx2.h instead of libm's scalar one (the step that matters: exp is
 * nearly all of sigmoid's time), and the exact edges that exp gives: sigmoid(-1000) = 0,
 * sigmoid(1000) = 1, NaN -> NaN. sigmoid_grad has no exp; its vector loop multiplies in naive's
 * order and has naive's bits.
 *
 * simd_omp gives each thread one contiguous run whose boundaries fall on cache-line starts of
 * the output, so no two threads write the same line; every element is computed by the same
 * vector code wherever the boundaries are, so the bits do not depend on the thread count.
 * Without AVX2+FMA both run naive's portable loop.
 */
#include <omp.h>
#include <stdint.h>

#include "activations_avx2.h"
#include "exp_avx2.h"
#include "mlp_kernels_impl.h"

__attribute__((target("avx2,fma"))) static void sigmoid_avx2(double *out, const double *in,
                                                             size_t n) {
    mlp_sigmoid_avx2(out, in, n, mlp_exp4);
}

__attribute__((target("avx2,fma"))) static void sigmoid_grad_avx2(double *dz, const double *z,
                                                                  const double *da, size_t n) {
    mlp_sigmoid_grad_avx2(dz, z, da, n);
}

void mlp_sigmoid_simd(double *out, const double *in, size_t n) {
    if (mlp_cpu_has_avx2_fma())
        sigmoid_avx2(out, in, n);
    else
        mlp_sigmoid_naive(out, in, n);
}

void mlp_sigmoid_grad_simd(double *dz, const double *z, const double *da, size_t n) {
    if (mlp_cpu_has_avx2_fma())
        sigmoid_grad_avx2(dz, z, da, n);
    else
        mlp_sigmoid_grad_naive(dz, z, da, n);
}

/* Where thread t of nt starts in an output of n doubles at out: an even share, moved up to the
 * next element that begins a 64-byte cache line (threads 0 and nt get 0 and n). */
static size_t line_split(const double *out, size_t n, int t, int nt) {
    if (t == 0) return 0;
    if (t == nt) return n;
    const size_t share = n / (size_t)nt, extra = n % (size_t)nt;
    size_t i = share * (size_t)t + ((size_t)t < extra ? (size_t)t : extra);
    const size_t off = (uintptr_t)(out + i) % 64 / sizeof *out;
    if (off) i += 64 / sizeof *out - off;
    return i < n ? i : n;
}

void mlp_sigmoid_simd_omp(double *out, const double *in, size_t n) {
#pragma omp parallel
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const size_t lo = line_split(out, n, t, nt), hi = line_split(out, n, t + 1, nt);
        mlp_sigmoid_simd(out + lo, in + lo, hi - lo);
    }
}

void mlp_sigmoid_grad_simd_omp(double *dz, const double *z, const double *da, size_t n) {
#pragma omp parallel
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        const size_t lo = line_split(dz, n, t, nt), hi = line_split(dz, n, t + 1, nt);
        mlp_sigmoid_grad_simd(dz + lo, z + lo, da + lo, hi - lo);
    }
}
