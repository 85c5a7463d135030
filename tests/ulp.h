/* ulp.h: errors in units in the last place, for the tests of exp and sigmoid. */
#ifndef ULP_H
#define ULP_H

#include <float.h>
#include <math.h>

/* The spacing of doubles at |y|: 2^(e-52) for y in [2^e, 2^(e+1)), 2^-1074 for subnormals. */
static inline double ulp_of(double y) {
    y = fabs(y);
    if (y < DBL_MIN) return 0x1p-1074;
    int e;
    frexp(y, &e);
    return ldexp(1.0, e - 53);
}

/* |got - ref| in ulps of ref rounded to double. 0 when got is ref's rounding (also for 0 and
 * inf), infinite when exactly one of them is infinite or NaN. */
static inline double ulp_error(double got, long double ref) {
    const double ref_d = (double)ref;
    if (got == ref_d || (isnan(got) && isnan(ref_d))) return 0.0;
    if (!isfinite(got) || !isfinite(ref_d)) return INFINITY;
    return (double)(fabsl((long double)got - ref) / ulp_of(ref_d));
}

#endif
