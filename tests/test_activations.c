/* test_activations: every sigmoid and softmax variant (iterating the tables) against naive on
 * many sizes, with tolerances derived from each variant's exp error bound; softmax rows summing
 * to 1 for inputs of any magnitude; cross-entropy against values by hand, with index and one-hot
 * labels; the same bits at 1, 2, 3 and 7 threads for the omp variants; zero sizes; unknown names.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mlp_kernels.h"
#include "mlp_util.h"

#define U 0x1p-53 /* unit roundoff: one rounding errs by at most U relative */

/* Documented error of each variant's exp, in ulps: our simd exp 2 (measured by test_exp), glibc's
 * exp 1 (glibc manual, "Known Maximum Errors in Math Functions"), SLEEF's u10 1, libmvec 4
 * (glibc wiki, "libmvec": "tested ... to pass 4-ulp maximum relative error criterion"). An
 * error of E ulp is a relative error of at most 2EU. */
static double exp_ulps(const char *name) {
    if (!strcmp(name, "simd") || !strcmp(name, "simd_omp")) return 2.0;
    if (!strcmp(name, "libmvec")) return 4.0;
    return 1.0;
}

/* 1.0 - 20.0 * uniform, deterministic. */
static void fill(double *x, size_t n, double scale, unsigned seed) {
    srand(seed);
    for (size_t i = 0; i < n; i++) x[i] = scale * (2.0 * rand() / RAND_MAX - 1.0);
}

/* max over i of |got - want| / (tol_rel * |want|), printed; the check is that it is <= 1. */
static double worst_rel(const double *got, const double *want, size_t n, double tol_rel) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double r = fabs(got[i] - want[i]) / (tol_rel * fabs(want[i]));
        if (r > worst || isnan(r)) worst = r;
    }
    return worst;
}

/* sigmoid: each variant is within (2E + 2)U relative of the exact value (see test_exp.c), so two
 * variants differ by at most the sum of their bounds. sigmoid_grad: (1 - z) is exact for z in
 * [1/2, 1] (Sterbenz) and errs by at most U otherwise, then two products: 3U each, in any
 * order a variant (-ffast-math) may choose, so 6U apart, plus O(U^2): 7U. */
static void test_sigmoid_vs_naive(void) {
    const size_t sizes[] = {1, 3, 7, 8, 9, 100 * 100, 100 * 10, 1000 * 1000, 10007};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const size_t n = sizes[s];
        double *x = mlp_xmalloc(n * sizeof *x), *want = mlp_xmalloc(n * sizeof *want);
        double *got = mlp_xmalloc(n * sizeof *got), *da = mlp_xmalloc(n * sizeof *da);
        double *dz_want = mlp_xmalloc(n * sizeof *dz_want);
        fill(x, n, 20.0, (unsigned)n);
        fill(da, n, 1.0, (unsigned)n + 1);
        mlp_sigmoid_variants[0].sigmoid(want, x, n);
        mlp_sigmoid_variants[0].sigmoid_grad(dz_want, want, da, n);
        for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants + 1; v->name; v++) {
            const double tol = (2.0 * exp_ulps(v->name) + 2.0 + 2.0 * exp_ulps("naive") + 2.0) *
                               2.0 * U;
            v->sigmoid(got, x, n);
            const double e = worst_rel(got, want, n, tol);
            if (e > 1.0) printf("sigmoid %s n=%zu: %.3g of the tolerance\n", v->name, n, e);
            CHECK(e <= 1.0);
            v->sigmoid_grad(got, want, da, n);
            const double g = worst_rel(got, dz_want, n, 7.0 * U);
            if (g > 1.0) printf("sigmoid_grad %s n=%zu: %.3g of the tolerance\n", v->name, n, g);
            CHECK(g <= 1.0);
            // out may alias in.
            memcpy(got, x, n * sizeof *x);
            v->sigmoid(got, got, n);
            CHECK(worst_rel(got, want, n, tol) <= 1.0);
        }
        free(x), free(want), free(got), free(da), free(dz_want);
    }
}

/* softmax, element j of a row: e_j = exp(x_j - max) errs by 2EU relative (x_j - max is the
 * same operation in every variant), the sum of cols positive terms by (cols - 1)U plus the
 * terms' own 2EU, and the scale by U (a division) or 2U (1/sum, then a product). So each
 * variant is within (4E + cols + 1)U of the exact value, and two variants within the sum. */
static double softmax_tol(const char *name, int cols) {
    return (4.0 * exp_ulps(name) + cols + 1.0 + 4.0 * exp_ulps("naive") + cols + 1.0) * U;
}

static void test_softmax_vs_naive(void) {
    const int shapes[][2] = {{1, 1}, {1, 3}, {3, 7}, {2, 4}, {5, 9}, {100, 10},
                             {100, 100}, {10, 1000}, {1000, 1000}, {7, 1}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int rows = shapes[s][0], cols = shapes[s][1];
        const size_t n = (size_t)rows * cols;
        double *x = mlp_xmalloc(n * sizeof *x), *want = mlp_xmalloc(n * sizeof *want);
        double *got = mlp_xmalloc(n * sizeof *got);
        fill(x, n, 30.0, (unsigned)n);
        mlp_softmax_variants[0].softmax(want, x, rows, cols);
        for (const mlp_softmax_variant *v = mlp_softmax_variants + 1; v->name; v++) {
            const double tol = softmax_tol(v->name, cols);
            v->softmax(got, x, rows, cols);
            const double e = worst_rel(got, want, n, tol);
            if (e > 1.0) printf("softmax %s %dx%d: %.3g of the tolerance\n", v->name, rows, cols, e);
            CHECK(e <= 1.0);
            memcpy(got, x, n * sizeof *x);
            v->softmax(got, got, rows, cols);
            CHECK(worst_rel(got, want, n, tol) <= 1.0);
        }
        free(x), free(want), free(got);
    }
}

/* Rows of any magnitude sum to 1: the outputs are e_j/sum with the errors above, so their sum
 * is 1 within (4E + 2 cols + 2)U, 2.3e-13 for 1000 columns and E = 4: well inside 1e-12. */
static void test_softmax_sums(void) {
    enum { rows = 4, cols = 1000 };
    const double scales[] = {1.0, 1e6, 1e300};
    double *x = mlp_xmalloc(rows * cols * sizeof *x), *y = mlp_xmalloc(rows * cols * sizeof *y);
    for (size_t s = 0; s < sizeof scales / sizeof scales[0]; s++) {
        fill(x, rows * cols, scales[s], 7);
        x[3 * cols + 17] = 1e300;  // the last row: one huge value among ordinary ones
        for (const mlp_softmax_variant *v = mlp_softmax_variants; v->name; v++) {
            v->softmax(y, x, rows, cols);
            for (int r = 0; r < rows; r++) {
                double sum = 0.0;
                for (int j = 0; j < cols; j++) sum += y[r * cols + j];
                CHECK_NEAR(sum, 1.0, 1e-12);
            }
            CHECK(y[3 * cols + 17] == 1.0);
        }
    }
    free(x), free(y);
}

/* Two rows, labels 0 and 1, probabilities 1/2 and 4/5 by hand:
 * -(log(1/2 + 1e-7) + log(4/5 + 1e-7)) / 2 = (log 2 + log 1.25)/2 - (1e-7/0.5 + 1e-7/0.8)/2,
 * the log's first-order term; the next, (1e-7/p)^2/2 <= 2e-14, bounds the tolerance. */
static void test_cross_entropy_by_hand(void) {
    const double y[6] = {0.5, 0.25, 0.25, 0.1, 0.8, 0.1};
    const double onehot[6] = {1, 0, 0, 0, 1, 0};
    const int labels[2] = {0, 1};
    const double want = (log(2.0) + log(1.25)) / 2.0 - (1e-7 / 0.5 + 1e-7 / 0.8) / 2.0;
    for (const mlp_softmax_variant *v = mlp_softmax_variants; v->name; v++) {
        CHECK_NEAR(v->cross_entropy(y, labels, 2, 3), want, 2e-14);
        CHECK(v->cross_entropy(y, labels, 0, 3) == 0.0);
    }
    // One-hot: the zero entries add -0 * log(...) = -0, so the same terms in the same order.
    CHECK(mlp_cross_entropy_onehot(y, onehot, 2, 3) ==
          mlp_softmax_variants[0].cross_entropy(y, labels, 2, 3));
    CHECK(mlp_cross_entropy_onehot(y, onehot, 0, 3) == 0.0);
}

/* omp and simd_omp: the same bits at 1, 2, 3 and 7 threads, on a size that is no multiple of
 * the vector width and outputs that do not start on a cache line. */
static void test_thread_counts(void) {
    enum { n = 10007, rows = 999, cols = 10 }; // rows * cols <= n
    double *x = mlp_xmalloc((n + 1) * sizeof *x), *da = mlp_xmalloc(n * sizeof *da);
    double *one = mlp_xmalloc((n + 1) * sizeof *one), *many = mlp_xmalloc((n + 1) * sizeof *many);
    int *labels = mlp_xmalloc(rows * sizeof *labels);
    fill(x, n + 1, 20.0, 3);
    fill(da, n, 1.0, 4);
    for (int r = 0; r < rows; r++) labels[r] = r % cols;
    const int threads[] = {2, 3, 7};
    for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants; v->name; v++) {
        if (!strstr(v->name, "omp")) continue;
        omp_set_num_threads(1);
        v->sigmoid(one + 1, x, n);
        for (size_t t = 0; t < 3; t++) {
            omp_set_num_threads(threads[t]);
            v->sigmoid(many + 1, x, n);
            CHECK(memcmp(one + 1, many + 1, n * sizeof *one) == 0);
        }
        omp_set_num_threads(1);
        v->sigmoid_grad(one + 1, x, da, n);
        for (size_t t = 0; t < 3; t++) {
            omp_set_num_threads(threads[t]);
            v->sigmoid_grad(many + 1, x, da, n);
            CHECK(memcmp(one + 1, many + 1, n * sizeof *one) == 0);
        }
    }
    for (const mlp_softmax_variant *v = mlp_softmax_variants; v->name; v++) {
        if (!strstr(v->name, "omp")) continue;
        omp_set_num_threads(1);
        v->softmax(one + 1, x, rows, cols);
        const double loss = v->cross_entropy(one + 1, labels, rows, cols);
        for (size_t t = 0; t < 3; t++) {
            omp_set_num_threads(threads[t]);
            v->softmax(many + 1, x, rows, cols);
            CHECK(memcmp(one + 1, many + 1, (size_t)rows * cols * sizeof *one) == 0);
            const double loss_t = v->cross_entropy(one + 1, labels, rows, cols);
            CHECK(memcmp(&loss, &loss_t, sizeof loss) == 0);
        }
    }
    omp_set_num_threads(1);
    // simd_omp computes each element as simd does: the same bits.
    mlp_find_sigmoid("simd")->sigmoid(one, x, n);
    mlp_find_sigmoid("simd_omp")->sigmoid(many, x, n);
    CHECK(memcmp(one, many, n * sizeof *one) == 0);
    free(x), free(da), free(one), free(many), free(labels);
}

/* Zero sizes are no-ops: nothing written, not even through a NULL pointer. */
static void test_zero_sizes(void) {
    double buf[4] = {7, 7, 7, 7};
    const int labels[1] = {0};
    for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants; v->name; v++) {
        v->sigmoid(buf, buf, 0);
        v->sigmoid_grad(buf, buf, buf, 0);
        v->sigmoid(NULL, NULL, 0);
    }
    for (const mlp_softmax_variant *v = mlp_softmax_variants; v->name; v++) {
        v->softmax(buf, buf, 0, 4);
        v->softmax(buf, buf, 1, 0);
        v->softmax(NULL, NULL, 0, 0);
        CHECK(v->cross_entropy(buf, labels, 0, 4) == 0.0);
    }
    mlp_exp_simd(buf, buf, 0);
    for (int i = 0; i < 4; i++) CHECK(buf[i] == 7.0);
}

static void test_names(void) {
    CHECK(mlp_find_sigmoid("nope") == NULL);
    CHECK(mlp_find_softmax("nope") == NULL);
    CHECK(mlp_find_sigmoid(NULL) == NULL);
    CHECK(strcmp(mlp_sigmoid_variants[0].name, "naive") == 0);
    CHECK(strcmp(mlp_softmax_variants[0].name, "naive") == 0);
    const char *names[] = {"naive", "simd", "omp", "simd_omp", "libmvec"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        CHECK(mlp_find_sigmoid(names[i]) != NULL);
        CHECK(mlp_find_softmax(names[i]) != NULL);
    }
}

int main(void) {
    printf("%s\n", mlp_simd_status());
    test_sigmoid_vs_naive();
    test_softmax_vs_naive();
    test_softmax_sums();
    test_cross_entropy_by_hand();
    test_thread_counts();
    test_zero_sizes();
    test_names();
    return check_done();
}
