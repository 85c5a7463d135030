/* activations_avx2.h: the AVX2 loops of exp, sigmoid and softmax, written once and inlined with
 * the exp that each variant brings: `simd` passes our own mlp_exp4 (exp_avx2.h), `sleef` passes
 * SLEEF's Sleef_expd4_u10avx2. Only the exp differs between the two, so the benchmark compares
 * exactly that. Private to the library.
 *
 * Loops run four doubles per step; the last 1 to 3 elements are loaded and stored under a mask,
 * the other lanes padded with a neutral value, so that every element, tail or not, is computed
 * by the same vector code (and the same bits come out whatever the split between threads).
 */
#ifndef MLP_ACTIVATIONS_AVX2_H
#define MLP_ACTIVATIONS_AVX2_H

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "exp_avx2.h" /* MLP_EXP_NORMAL, the range of softmax's exp4_near */

typedef __m256d (*mlp_exp4_fn)(__m256d x);

/* always_inline so that the exp passed in becomes a direct, inlined call in each variant. */
#define MLP_AVX2_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline

/* The mask of the first n < 4 lanes, for the tails of rows: vmaskmov loads and stores only
 * those, where a copy through a buffer would cost a memcpy call (the network's softmax rows
 * are 10 long, so every row has a tail). */
MLP_AVX2_INLINE __m256i mlp_tail_mask(size_t n) {
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)n), lane);
}

/* The n < 4 doubles at p, the other lanes set to fill. */
MLP_AVX2_INLINE __m256d mlp_load_tail(const double *p, size_t n, double fill) {
    const __m256i mask = mlp_tail_mask(n);
    return _mm256_blendv_pd(_mm256_set1_pd(fill), _mm256_maskload_pd(p, mask),
                            _mm256_castsi256_pd(mask));
}

/* The first n < 4 lanes of v to p. */
MLP_AVX2_INLINE void mlp_store_tail(double *p, __m256d v, size_t n) {
    _mm256_maskstore_pd(p, mlp_tail_mask(n), v);
}

/* out (n) = exp(in (n)). */
MLP_AVX2_INLINE void mlp_exp_avx2(double *out, const double *in, size_t n, mlp_exp4_fn exp4) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(out + i, exp4(_mm256_loadu_pd(in + i)));
    if (i < n)
        mlp_store_tail(out + i, exp4(mlp_load_tail(in + i, n - i, 0.0)), n - i);
}

/* 1 / (1 + exp(-x)): exp(-x) = inf gives exactly 0, exp(-x) = 0 exactly 1, NaN stays NaN. */
MLP_AVX2_INLINE __m256d mlp_sigmoid4(__m256d x, mlp_exp4_fn exp4) {
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d e = exp4(_mm256_xor_pd(x, _mm256_set1_pd(-0.0)));
    return _mm256_div_pd(one, _mm256_add_pd(one, e));
}

/* out (n) = sigmoid(in (n)). */
MLP_AVX2_INLINE void mlp_sigmoid_avx2(double *out, const double *in, size_t n, mlp_exp4_fn exp4) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(out + i, mlp_sigmoid4(_mm256_loadu_pd(in + i), exp4));
    if (i < n)
        mlp_store_tail(out + i, mlp_sigmoid4(mlp_load_tail(in + i, n - i, 0.0), exp4), n - i);
}

/* dz (n) = (1 - z) * z * da, multiplied in naive's order, so it has naive's bits. */
MLP_AVX2_INLINE __m256d mlp_sigmoid_grad4(__m256d z, __m256d da) {
    return _mm256_mul_pd(_mm256_mul_pd(_mm256_sub_pd(_mm256_set1_pd(1.0), z), z), da);
}

MLP_AVX2_INLINE void mlp_sigmoid_grad_avx2(double *dz, const double *z, const double *da,
                                           size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(dz + i,
                         mlp_sigmoid_grad4(_mm256_loadu_pd(z + i), _mm256_loadu_pd(da + i)));
    if (i < n)
        mlp_store_tail(
            dz + i,
            mlp_sigmoid_grad4(mlp_load_tail(z + i, n - i, 0.0), mlp_load_tail(da + i, n - i, 0.0)),
            n - i);
}

MLP_AVX2_INLINE double mlp_hmax(__m256d v) {
    __m128d m = _mm_max_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_max_sd(m, _mm_unpackhi_pd(m, m)));
}

MLP_AVX2_INLINE double mlp_hmin(__m256d v) {
    __m128d m = _mm_min_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_min_sd(m, _mm_unpackhi_pd(m, m)));
}

MLP_AVX2_INLINE double mlp_hsum(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

/* exp(x - max) of a row's tail of n < 4: the lanes past the row give 0, so that they add
 * nothing to the sum. They are computed as exp(0) and then cleared: exp(-inf) would get there
 * through an underflow, which costs an Intel core a microcode assist of a hundred cycles, on
 * every row. */
MLP_AVX2_INLINE __m256d mlp_exp_tail(const double *x, size_t n, __m256d vmax,
                                     mlp_exp4_fn exp4) {
    const __m256d mask = _mm256_castsi256_pd(mlp_tail_mask(n));
    const __m256d e = exp4(_mm256_sub_pd(mlp_load_tail(x, n, 0.0), _mm256_and_pd(vmax, mask)));
    return _mm256_and_pd(e, mask);
}

/* Softmax takes two exps: exp4 for any x, and exp4_near, which need only be right for x in
 * [-MLP_EXP_NORMAL, 0] (ours skips its edge check there; SLEEF's is the same function). Every
 * x - max of a row lies in [min - max, 0], so a row whose values span less than
 * MLP_EXP_NORMAL, as any row of logits does, takes exp4_near. A NaN makes the span NaN, which
 * takes exp4; either gives NaN for it. */
MLP_AVX2_INLINE bool mlp_row_is_near(double max, double min) {
    return min - max >= -MLP_EXP_NORMAL;
}

/* A row of at most 16 (the network's 10 classes) in at most 4 registers, read once and written
 * once: going through memory as the long rows do, the masked store of the tail cannot forward
 * to the loads that scale it, and each row waits for the store to retire. */
enum { MLP_SHORT_ROW = 16 };

/* v[0..nv) := exp(v - vmax), the tail's lanes past the row 0; returns their sum. */
MLP_AVX2_INLINE __m256d mlp_short_row_exps(__m256d *v, const double *x, size_t cols,
                                           __m256d vmax, mlp_exp4_fn exp4) {
    __m256d vsum = _mm256_setzero_pd();
    for (size_t j = 0; j < (cols + 3) / 4; j++) {
        v[j] = 4 * j + 4 <= cols ? exp4(_mm256_sub_pd(v[j], vmax))
                                 : mlp_exp_tail(x + 4 * j, cols - 4 * j, vmax, exp4);
        vsum = _mm256_add_pd(vsum, v[j]);
    }
    return vsum;
}

MLP_AVX2_INLINE void mlp_softmax_short_row_avx2(double *out, const double *x, size_t cols,
                                                mlp_exp4_fn exp4, mlp_exp4_fn exp4_near) {
    const size_t nv = (cols + 3) / 4;
    __m256d v[4], vmax = _mm256_set1_pd(-INFINITY), vmin = _mm256_set1_pd(INFINITY);
    for (size_t j = 0; j < nv; j++) {
        const bool whole = 4 * j + 4 <= cols;
        v[j] = whole ? _mm256_loadu_pd(x + 4 * j) : mlp_load_tail(x + 4 * j, cols - 4 * j, -INFINITY);
        vmax = _mm256_max_pd(vmax, v[j]);
        vmin = _mm256_min_pd(vmin, whole ? v[j] : mlp_load_tail(x + 4 * j, cols - 4 * j, INFINITY));
    }
    const double max = mlp_hmax(vmax);
    vmax = _mm256_set1_pd(max);
    const __m256d vsum = mlp_row_is_near(max, mlp_hmin(vmin))
                             ? mlp_short_row_exps(v, x, cols, vmax, exp4_near)
                             : mlp_short_row_exps(v, x, cols, vmax, exp4);
    const __m256d inv = _mm256_set1_pd(1.0 / mlp_hsum(vsum));
    for (size_t j = 0; j < nv; j++) {
        if (4 * j + 4 <= cols)
            _mm256_storeu_pd(out + 4 * j, _mm256_mul_pd(v[j], inv));
        else
            mlp_store_tail(out + 4 * j, _mm256_mul_pd(v[j], inv), cols - 4 * j);
    }
}

/* out (cols) := exp(x - vmax), the tail's too; returns their sum, in 4 lanes. */
MLP_AVX2_INLINE __m256d mlp_row_exps(double *out, const double *x, size_t cols, __m256d vmax,
                                     mlp_exp4_fn exp4) {
    __m256d vsum = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 4 <= cols; i += 4) {
        const __m256d e = exp4(_mm256_sub_pd(_mm256_loadu_pd(x + i), vmax));
        _mm256_storeu_pd(out + i, e);
        vsum = _mm256_add_pd(vsum, e);
    }
    const __m256d e = mlp_exp_tail(x + i, cols - i, vmax, exp4);
    mlp_store_tail(out + i, e, cols - i);
    return _mm256_add_pd(vsum, e);
}

/* One row: out (cols) = exp(x - max) / sum. The tail is padded with -inf for the max (+inf for
 * the min) and its exps are 0 (mlp_exp_tail), which changes neither the max nor the sum. The
 * sum is kept in 4 lanes, added up at the end in a fixed order. Scaling multiplies by 1/sum
 * instead of dividing: one more rounding than naive's division, so each element is within
 * 1 ulp of the divided value plus the exp's error. */
MLP_AVX2_INLINE void mlp_softmax_row_avx2(double *out, const double *x, size_t cols,
                                          mlp_exp4_fn exp4, mlp_exp4_fn exp4_near) {
    if (cols <= MLP_SHORT_ROW) {
        mlp_softmax_short_row_avx2(out, x, cols, exp4, exp4_near);
        return;
    }
    size_t i = 0;
    __m256d vmax = _mm256_set1_pd(-INFINITY), vmin = _mm256_set1_pd(INFINITY);
    for (; i + 4 <= cols; i += 4) {
        const __m256d v = _mm256_loadu_pd(x + i);
        vmax = _mm256_max_pd(vmax, v);
        vmin = _mm256_min_pd(vmin, v);
    }
    vmax = _mm256_max_pd(vmax, mlp_load_tail(x + i, cols - i, -INFINITY));
    vmin = _mm256_min_pd(vmin, mlp_load_tail(x + i, cols - i, INFINITY));
    const double max = mlp_hmax(vmax);
    vmax = _mm256_set1_pd(max);
    const __m256d vsum = mlp_row_is_near(max, mlp_hmin(vmin))
                             ? mlp_row_exps(out, x, cols, vmax, exp4_near)
                             : mlp_row_exps(out, x, cols, vmax, exp4);

    const __m256d inv = _mm256_set1_pd(1.0 / mlp_hsum(vsum));
    for (i = 0; i + 4 <= cols; i += 4)
        _mm256_storeu_pd(out + i, _mm256_mul_pd(_mm256_loadu_pd(out + i), inv));
    for (; i < cols; i++)
        out[i] *= _mm256_cvtsd_f64(inv);
}

#endif
