/* exp_avx2.h: the vectorized exp, four doubles at a time with AVX2+FMA, inlined by the simd
 * sigmoid, softmax and exp files. Private to the library.
 *
 * Method (after Cody & Waite, as in fdlibm and SLEEF's expd4): write x = k*ln2 + r with k an
 * integer and |r| <= ln2/2, evaluate exp(r) with a polynomial, and multiply by 2^k built in the
 * exponent bits. Every edge case is handled in vector code, lane by lane (mlp_exp4_any):
 *   - x is clamped to [-746, 710] first, so k always fits the exponent arithmetic; exp(710)
 *     overflows to +inf and exp(-746) underflows to 0 by themselves, which gives +inf above
 *     709.78, 0 below -745.13, exp(+inf) = inf and exp(-inf) = 0.
 *   - 2^k is applied in two factors, 2^(k+c) * 2^-c, both normal numbers for every k in
 *     [-1076, 1024]: the first product is a normal number, and the second rounds only a
 *     subnormal result (x in [-745.13, -708.4]), from 53 bits to its own precision, so those
 *     are not flushed to 0 and stay within 1 ulp; overflow gives inf.
 *   - NaN goes through the clamp and the arithmetic unchanged.
 * No table and no gather (glibc's libmvec exp gathers from a 1024-entry table, slow on Zen):
 * the loop is FMAs and a few integer operations, which also run on Zen's other pipes. The edge
 * handling costs four operations a vector, so it runs only when some lane needs it (see
 * mlp_exp4); the common path is the range reduction, the polynomial and one integer scaling.
 * Floating-point flags (overflow, underflow, inexact) may be raised; they never change a value.
 */
#ifndef MLP_EXP_AVX2_H
#define MLP_EXP_AVX2_H

#include <immintrin.h>

/* ln2 split so that k*LN2_HI is exact for |k| < 2^21 (its low 21 bits are zero) and
 * x - k*LN2_HI is then exact too (Sterbenz); LN2_LO carries the next 53 bits (fdlibm's pair). */
#define MLP_EXP_LN2_HI 0x1.62e42fee00000p-1
#define MLP_EXP_LN2_LO 0x1.a39ef35793c76p-33

/* exp(r) - 1 = r + r^2 * q(r) on |r| <= ln2/2 (the caller adds the 1), q of degree 9: a
 * Chebyshev fit of (exp(r) - 1 - r) / r^2 computed with mpmath at 200 bits (mpmath.chebyfit,
 * 10 terms). Its relative error after rounding the coefficients to double is 1.6e-17
 * (0.07 ulp), which leaves almost the whole error budget to the few roundings of the
 * evaluation. The Taylor series would need degree 13, two more FMAs, for the same accuracy. */
__attribute__((target("avx2,fma"))) static inline __m256d mlp_expm1_poly4(__m256d r) {
    const __m256d r2 = _mm256_mul_pd(r, r);
    /* Estrin's scheme in pairs: shorter dependency chains than Horner, same FMA count. */
    __m256d p98 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.af389ecfc4b9cp-26), r,
                                  _mm256_set1_pd(0x1.28917c89a43a7p-22));
    __m256d p76 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.71de0db2f6b19p-19), r,
                                  _mm256_set1_pd(0x1.a019b9149a41cp-16));
    __m256d p54 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.a01a01a7c2efep-13), r,
                                  _mm256_set1_pd(0x1.6c16c17889ef1p-10));
    __m256d p32 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.11111111109b5p-7), r,
                                  _mm256_set1_pd(0x1.5555555553d68p-5));
    __m256d p10 = _mm256_fmadd_pd(_mm256_set1_pd(0x1.5555555555556p-3), r,
                                  _mm256_set1_pd(0x1.0000000000001p-1));
    __m256d q = _mm256_fmadd_pd(p98, r2, p76);
    q = _mm256_fmadd_pd(q, r2, p54);
    q = _mm256_fmadd_pd(q, r2, p32);
    q = _mm256_fmadd_pd(q, r2, p10);
    return _mm256_fmadd_pd(q, r2, r);
}

/* k = round(x/ln2) and r = x - k*ln2, for both paths below. Adding 1.5*2^52 rounds x/ln2 to
 * the nearest integer k and leaves k in the low bits of t: bits(t) = bits(1.5*2^52) + k, for
 * the exponent arithmetic. */
__attribute__((target("avx2,fma"))) static inline __m256d mlp_exp_reduce(__m256d x, __m256d *t,
                                                                         __m256d *k) {
    const __m256d shifter = _mm256_set1_pd(0x1.8p52);
    *t = _mm256_fmadd_pd(x, _mm256_set1_pd(0x1.71547652b82fep+0), shifter);
    *k = _mm256_sub_pd(*t, shifter);
    const __m256d r = _mm256_fnmadd_pd(*k, _mm256_set1_pd(MLP_EXP_LN2_HI), x);
    return _mm256_fnmadd_pd(*k, _mm256_set1_pd(MLP_EXP_LN2_LO), r);
}

/* The exp of x when every lane's result is a normal double, |x| <= MLP_EXP_NORMAL: 2^k is one
 * integer add and shift into the exponent field (k + 1023 fits it: |k| <= 1020), and
 * (1 + p) * 2^k is one FMA. On these lanes it gives the bits of mlp_exp4_any, whose two
 * power-of-two factors only round when the result is subnormal or overflows. */
#define MLP_EXP_NORMAL 707.0
__attribute__((target("avx2,fma"))) static inline __m256d mlp_exp4_normal(__m256d x) {
    __m256d t, k;
    const __m256d r = mlp_exp_reduce(x, &t, &k);
    /* Shifting bits(t) + 1023 left by 52 drops the bits of 1.5*2^52 and leaves k + 1023. */
    const __m256d scale = _mm256_castsi256_pd(_mm256_slli_epi64(
        _mm256_add_epi64(_mm256_castpd_si256(t), _mm256_set1_epi64x(1023)), 52));
    return _mm256_fmadd_pd(mlp_expm1_poly4(r), scale, scale);
}

/* The exp of any x, within 2 ulp of libm (tests/test_exp.c measures it). */
__attribute__((target("avx2,fma"))) static inline __m256d mlp_exp4_any(__m256d x) {
    /* max/min return their second operand when one is NaN: the clamp keeps NaN, and NaN then
     * flows through the arithmetic below to the result, with no blend at the end. */
    const __m256d clamped =
        _mm256_min_pd(_mm256_set1_pd(710.0), _mm256_max_pd(_mm256_set1_pd(-746.0), x));
    __m256d t, k;
    const __m256d r = mlp_exp_reduce(clamped, &t, &k);
    /* 2^k in two factors, 2^(k+c) * 2^-c with c = 64 for k < 0 and c = -64 otherwise: for
     * every k in [-1076, 1024] both are normal numbers, the first product is a normal number
     * and the second only rounds when the result is subnormal or overflows (to inf). The
     * blends select on k's sign bit. */
    const __m256d bias = _mm256_blendv_pd(_mm256_castsi256_pd(_mm256_set1_epi64x(1023 - 64)),
                                          _mm256_castsi256_pd(_mm256_set1_epi64x(1023 + 64)), k);
    const __m256d scale_hi = _mm256_castsi256_pd(_mm256_slli_epi64(
        _mm256_add_epi64(_mm256_castpd_si256(t), _mm256_castpd_si256(bias)), 52));
    const __m256d scale_lo = _mm256_blendv_pd(_mm256_set1_pd(0x1p64), _mm256_set1_pd(0x1p-64), k);
    /* (1 + p) * scale_hi as one FMA: one operation and one rounding fewer than adding the 1. */
    const __m256d y = _mm256_fmadd_pd(mlp_expm1_poly4(r), scale_hi, scale_hi);
    return _mm256_mul_pd(y, scale_lo);
}

/* Does any lane of x lie outside [-limit, limit], or is it NaN? |x| - limit is negative, sign
 * bit set, exactly for the lanes inside (NaN keeps |x|'s clear sign bit), and movemask reads the
 * sign bits: a subtraction on an adder port instead of a compare on an FMA port, which the
 * polynomial keeps busy. The branch it feeds is taken only by edge values, so it costs less than
 * the blends it saves. */
__attribute__((target("avx2,fma"))) static inline int mlp_any_beyond(__m256d x, double limit) {
    const __m256d abs = _mm256_andnot_pd(_mm256_set1_pd(-0.0), x);
    return _mm256_movemask_pd(_mm256_sub_pd(abs, _mm256_set1_pd(limit))) != 0xF;
}

/* exp of four doubles, within 2 ulp of libm: the normal path for ordinary inputs, the one that
 * handles every edge when a lane needs it. The same bits either way. */
__attribute__((target("avx2,fma"))) static inline __m256d mlp_exp4(__m256d x) {
    return mlp_any_beyond(x, MLP_EXP_NORMAL) ? mlp_exp4_any(x) : mlp_exp4_normal(x);
}

#endif
