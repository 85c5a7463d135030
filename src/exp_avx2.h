/* exp_avx2.h: the vectorized exp, four doubles at a time with AVX2+FMA, inlined by the simd
 * sigmoid, softmax and exp files. Private to the library.
 *
 * Method (Tang's, as in glibc's scalar exp): write x = (256 n + j) ln2/256 + r, with n and
 * j in [0, 256) integers and |r| <= ln2/512, so that exp(x) = 2^n * 2^(j/256) * exp(r). 2^(j/256)
 * comes from a table of 256 doubles (one gather), exp(r) from a polynomial of degree 5, and 2^n
 * from integer arithmetic on the exponent bits. The table buys a short polynomial: without it
 * |r| <= ln2/2 needs degree 11, twice the FMAs, which the FMA pipes, not the gather, then
 * bound. Every edge case is handled in vector code, lane by lane (mlp_exp4_any):
 *   - x is clamped to [-746, 710] first, so n always fits the exponent arithmetic; exp(710)
 *     overflows to +inf and exp(-746) underflows to 0 by themselves, which gives +inf above
 *     709.78, 0 below -745.13, exp(+inf) = inf and exp(-inf) = 0.
 *   - 2^n is applied in two factors, 2^(n+c) * 2^-c, both normal numbers for every n in
 *     [-1076, 1024]: the first product is a normal number, and the second rounds only a
 *     subnormal result (x in [-745.13, -708.4]), from 53 bits to its own precision, so those
 *     are not flushed to 0 and stay within 1 ulp; overflow gives inf.
 *   - NaN goes through the clamp and the arithmetic unchanged.
 * Error: the table entry's rounding (0.5 ulp), the polynomial's and its evaluation's (under
 * 0.1 ulp) and the last FMA's rounding (0.5 ulp): tests/test_exp.c measures about 1 ulp.
 * The edge handling costs four operations a vector, so it runs only when some lane needs it
 * (see mlp_exp4); the common path is the range reduction, the gather, the polynomial and one
 * integer scaling. Floating-point flags (overflow, underflow, inexact) may be raised; they
 * never change a value.
 */
#ifndef MLP_EXP_AVX2_H
#define MLP_EXP_AVX2_H

#include <immintrin.h>

/* 2^(j/256), j = 0..255, each correctly rounded (exp_simd.c). */
#define MLP_EXP_TABLE_BITS 8
extern const double mlp_exp2_table[1 << MLP_EXP_TABLE_BITS];

/* ln2/256 split so that k*LN2_HI is exact for |k| < 2^21 (its low 21 bits are zero) and
 * x - k*LN2_HI is then exact too (Sterbenz); LN2_LO carries the next 53 bits (fdlibm's pair,
 * scaled by 2^-8). |k| stays below 2^19 for x in the clamp's [-746, 710]. */
#define MLP_EXP_LN2_HI 0x1.62e42fee00000p-9
#define MLP_EXP_LN2_LO 0x1.a39ef35793c76p-41

/* exp(r) - 1 = r + r^2 (1/2 + r/6 + r^2/24 + r^3/120) on |r| <= ln2/512: Taylor's, whose
 * first term dropped, r^6/720, is below 1e-20 there (the caller adds the 1). */
__attribute__((target("avx2,fma"))) static inline __m256d mlp_expm1_poly4(__m256d r) {
    __m256d q = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 120), r, _mm256_set1_pd(1.0 / 24));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(1.0 / 6));
    q = _mm256_fmadd_pd(q, r, _mm256_set1_pd(0.5));
    return _mm256_fmadd_pd(q, _mm256_mul_pd(r, r), r);
}

/* k = round(256 x / ln2) and r = x - k ln2/256, for both paths below. Adding 1.5*2^52 rounds
 * to the nearest integer k and leaves k in the low bits of t: bits(t) = bits(1.5*2^52) + k, so
 * j = k mod 256 is bits(t) & 255 and bits(t) - j is bits(1.5*2^52) + 256 n. Returns r; *table
 * is 2^(j/256). */
__attribute__((target("avx2,fma"))) static inline __m256d mlp_exp_reduce(__m256d x, __m256i *t,
                                                                         __m256d *table) {
    const __m256d shifter = _mm256_set1_pd(0x1.8p52);
    const __m256d tk = _mm256_fmadd_pd(x, _mm256_set1_pd(0x1.71547652b82fep+8), shifter);
    const __m256d k = _mm256_sub_pd(tk, shifter);
    *t = _mm256_castpd_si256(tk);
    const __m256i j = _mm256_and_si256(*t, _mm256_set1_epi64x((1 << MLP_EXP_TABLE_BITS) - 1));
    *table = _mm256_i64gather_pd(mlp_exp2_table, j, 8);
    *t = _mm256_sub_epi64(*t, j);
    const __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(MLP_EXP_LN2_HI), x);
    return _mm256_fnmadd_pd(k, _mm256_set1_pd(MLP_EXP_LN2_LO), r);
}

/* n << 52 from bits(t) - j = bits(1.5*2^52) + 256 n: shifting left by 44 drops the bits of
 * 1.5*2^52 and leaves n in the exponent field, modulo 2^64 (so negative n works too). */
__attribute__((target("avx2,fma"))) static inline __m256i mlp_exp_n52(__m256i t_minus_j) {
    return _mm256_slli_epi64(t_minus_j, 52 - MLP_EXP_TABLE_BITS);
}

/* The exp of x when every lane's result is a normal double, |x| <= MLP_EXP_NORMAL: 2^n * the
 * table entry is one integer add to its exponent (n + its exponent fits: |n| <= 1020), and
 * (1 + p) * that is one FMA. On these lanes it gives the bits of mlp_exp4_any, whose two
 * power-of-two factors only round when the result is subnormal or overflows. */
#define MLP_EXP_NORMAL 707.0
__attribute__((target("avx2,fma"))) static inline __m256d mlp_exp4_normal(__m256d x) {
    __m256i t;
    __m256d table;
    const __m256d r = mlp_exp_reduce(x, &t, &table);
    const __m256d scale =
        _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(table), mlp_exp_n52(t)));
    return _mm256_fmadd_pd(mlp_expm1_poly4(r), scale, scale);
}

/* The exp of any x, within 2 ulp of libm (tests/test_exp.c measures it). */
__attribute__((target("avx2,fma"))) static inline __m256d mlp_exp4_any(__m256d x) {
    /* max/min return their second operand when one is NaN: the clamp keeps NaN, and NaN then
     * flows through the arithmetic below to the result, with no blend at the end. */
    const __m256d clamped =
        _mm256_min_pd(_mm256_set1_pd(710.0), _mm256_max_pd(_mm256_set1_pd(-746.0), x));
    __m256i t;
    __m256d table;
    const __m256d r = mlp_exp_reduce(clamped, &t, &table);
    /* 2^n in two factors, 2^(n+c) * 2^-c with c = 64 for n < 0 and c = -64 otherwise: for
     * every n in [-1076, 1024] both are normal numbers, the first product is a normal number
     * and the second only rounds when the result is subnormal or overflows (to inf). The
     * blends select on the sign of x, which n shares (n = 0 for the x near 0 of either sign,
     * where either c does). */
    const __m256d bias = _mm256_blendv_pd(_mm256_castsi256_pd(_mm256_set1_epi64x((1023LL - 64) << 52)),
                                          _mm256_castsi256_pd(_mm256_set1_epi64x((1023LL + 64) << 52)),
                                          clamped);
    const __m256d scale_hi = _mm256_castsi256_pd(
        _mm256_add_epi64(mlp_exp_n52(t), _mm256_castpd_si256(bias)));
    const __m256d scale_lo =
        _mm256_blendv_pd(_mm256_set1_pd(0x1p64), _mm256_set1_pd(0x1p-64), clamped);
    /* (1 + p) * table as one FMA, then the exact scaling by 2^(n+c), then 2^-c. */
    const __m256d y = _mm256_fmadd_pd(mlp_expm1_poly4(r), table, table);
    return _mm256_mul_pd(_mm256_mul_pd(y, scale_hi), scale_lo);
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
