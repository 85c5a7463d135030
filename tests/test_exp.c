/* test_exp: the accuracy of the vectorized exp (mlp_exp_simd) and of every sigmoid variant, in
 * ulps against a long double reference (expl, 11 more bits than double, so its own error is
 * invisible at this scale), over a sweep of the whole double range, plus the edge values.
 * Prints the maximum errors measured; the issue requires the exp's to be at most 2 ulp.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mlp_kernels.h"
#include "mlp_util.h"
#include "ulp.h"

/* Maximum ulp error of mlp_exp_simd over n points x = lo + i*(hi-lo)/(n-1), or over the
 * log-spaced points sign*10^t, t from lo to hi, when log is set. */
static double exp_sweep(double lo, double hi, size_t n, int log_spaced, double sign) {
    double *x = mlp_xmalloc(n * sizeof *x), *y = mlp_xmalloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        const double t = lo + (hi - lo) * (double)i / (double)(n - 1);
        x[i] = log_spaced ? sign * pow(10.0, t) : t;
    }
    mlp_exp_simd(y, x, n);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double e = ulp_error(y[i], expl((long double)x[i]));
        if (e > worst) worst = e;
    }
    free(x);
    free(y);
    return worst;
}

static double exp_simd1(double x) {
    double y;
    mlp_exp_simd(&y, &x, 1);
    return y;
}

static void test_exp_sweep(void) {
    struct { const char *what; double lo, hi; size_t n; int log_spaced; double sign; } sweeps[] = {
        {"dense [-1, 1]", -1.0, 1.0, 1000001, 0, 1.0},
        {"uniform [-750, 750]", -750.0, 750.0, 1000001, 0, 1.0},
        {"log-spaced +1e-300 .. +750", -300.0, log10(750.0), 200001, 1, 1.0},
        {"log-spaced -1e-300 .. -750", -300.0, log10(750.0), 200001, 1, -1.0},
        {"subnormal results [-745.2, -708.3]", -745.2, -708.3, 200001, 0, 1.0},
        {"overflow edge [709, 709.8]", 709.0, 709.8, 100001, 0, 1.0},
    };
    double worst = 0.0;
    for (size_t s = 0; s < sizeof sweeps / sizeof sweeps[0]; s++) {
        const double e = exp_sweep(sweeps[s].lo, sweeps[s].hi, sweeps[s].n,
                                   sweeps[s].log_spaced, sweeps[s].sign);
        printf("exp simd, %-36s max error %.3f ulp\n", sweeps[s].what, e);
        if (e > worst) worst = e;
    }
    printf("exp simd: max error over all sweeps %.3f ulp (%s)\n", worst, mlp_simd_status());
    CHECK(worst <= 2.0);
}

static void test_exp_edges(void) {
    CHECK(exp_simd1(-1000.0) == 0.0);
    CHECK(exp_simd1(1000.0) == INFINITY);
    CHECK(exp_simd1(-INFINITY) == 0.0);
    CHECK(exp_simd1(INFINITY) == INFINITY);
    CHECK(isnan(exp_simd1(NAN)));
    CHECK(isnan(exp_simd1(-NAN)));
    CHECK(exp_simd1(0.0) == 1.0);
    CHECK(exp_simd1(-745.2) == 0.0);            // below half the smallest subnormal
    CHECK(exp_simd1(709.79) == INFINITY);       // above log(DBL_MAX) = 709.7827
    CHECK(isfinite(exp_simd1(709.78)));
    CHECK(ulp_error(exp_simd1(709.78), expl((long double)709.78)) <= 2.0);
    CHECK(ulp_error(exp_simd1(-708.4), expl((long double)-708.4)) <= 2.0);
    CHECK(exp_simd1(-708.4) < DBL_MIN && exp_simd1(-708.4) > 0.0);  // subnormal, not flushed
    CHECK(exp_simd1(-745.1) == 0x1p-1074);      // the smallest subnormal
    // Every lane on its own: an edge value among ordinary ones changes none of them.
    const double x[7] = {NAN, 1.0, -1000.0, 2.0, INFINITY, 3.0, -0.5};
    double y[7];
    mlp_exp_simd(y, x, 7);
    CHECK(isnan(y[0]) && y[2] == 0.0 && y[4] == INFINITY);
    CHECK(y[1] == exp_simd1(1.0) && y[3] == exp_simd1(2.0) && y[5] == exp_simd1(3.0) &&
          y[6] == exp_simd1(-0.5));
}

/* Error bound of sigmoid = 1/(1+e), e = exp(-x) with error E ulp, i.e. relative 2uE with
 * u = 2^-53: 1+e adds u, the division adds u, and 1/(1+e) damps e's error by e/(1+e) <= 1, so
 * the relative error is at most (2E + 2)u. ulp(s) >= u*s, so that is at most 2E + 2 ulp.
 * E: 2 for our exp, 1 for glibc's exp and SLEEF's u10 (their documented bounds: glibc manual,
 * "Known Maximum Errors in Math Functions"; SLEEF, "u10: max error 1.0 ulp"), 4 for libmvec
 * (glibc wiki, "libmvec": "tested ... to pass 4-ulp maximum relative error criterion"). */
static double sigmoid_bound_ulps(const char *name) {
    const double exp_ulps = !strcmp(name, "libmvec") ? 4.0
                            : (!strcmp(name, "simd") || !strcmp(name, "simd_omp")) ? 2.0
                                                                                    : 1.0;
    return 2.0 * exp_ulps + 2.0;
}

static void test_sigmoid_accuracy(void) {
    // libmvec is compiled with -ffast-math: its documented bound holds for finite exp(-x).
    enum { n = 400001 };
    double *x = mlp_xmalloc(n * sizeof *x), *y = mlp_xmalloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) x[i] = -700.0 + 1400.0 * (double)i / (n - 1);
    for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants; v->name; v++) {
        v->sigmoid(y, x, n);
        double worst = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double e = ulp_error(y[i], 1.0L / (1.0L + expl(-(long double)x[i])));
            if (e > worst) worst = e;
        }
        const double bound = sigmoid_bound_ulps(v->name);
        printf("sigmoid %-8s max error %.3f ulp over [-700, 700] (bound %.0f)\n", v->name, worst,
               bound);
        CHECK(worst <= bound);
    }
    free(x);
    free(y);
}

static void test_sigmoid_edges(void) {
    for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants; v->name; v++) {
        if (!strcmp(v->name, "libmvec") || !strcmp(v->name, "sleef")) continue;  // see above
        const double x[5] = {-1000.0, 1000.0, NAN, -INFINITY, INFINITY};
        double y[5];
        v->sigmoid(y, x, 5);
        printf("sigmoid %-8s edges: %g %g %g %g %g\n", v->name, y[0], y[1], y[2], y[3], y[4]);
        CHECK(y[0] == 0.0);
        CHECK(y[1] == 1.0);
        CHECK(isnan(y[2]));
        CHECK(y[3] == 0.0);
        CHECK(y[4] == 1.0);
    }
}

/* naive against values by hand: sigmoid(ln 3) = 1/(1 + 1/3) = 3/4 and so on. ln 3 as a double
 * is off by at most half an ulp (1.1e-16); sigmoid' <= 1/4 turns that into 3e-17, and the
 * evaluation adds at most 4 ulp (bound above with E = 1): 4 * 2^-53 * 0.9 < 4.1e-16. */
static void test_sigmoid_by_hand(void) {
    const double x[5] = {0.0, log(3.0), -log(3.0), log(9.0), 2.0 * log(2.0)};
    const double want[5] = {0.5, 0.75, 0.25, 0.9, 0.8};
    double y[5];
    mlp_sigmoid_variants[0].sigmoid(y, x, 5);
    CHECK(y[0] == 0.5);
    for (int i = 1; i < 5; i++) CHECK_NEAR(y[i], want[i], 4.1e-16);
    const double z[2] = {0.5, 0.75}, da[2] = {2.0, 1.0};
    double dz[2];
    mlp_sigmoid_variants[0].sigmoid_grad(dz, z, da, 2);
    CHECK(dz[0] == 0.5);      // 0.5 * 0.5 * 2, exact
    CHECK(dz[1] == 0.1875);   // 0.25 * 0.75, exact
}

int main(void) {
    test_exp_sweep();
    test_exp_edges();
    test_sigmoid_accuracy();
    test_sigmoid_edges();
    test_sigmoid_by_hand();
    return check_done();
}
