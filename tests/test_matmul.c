/* test_matmul: every matmul variant against naive, in the three forms, on odd, thin and network
 * shapes; naive against hand-computed products; bit-identical results at 1, 2, 3 and 7 threads
 * for the omp variants; zero sizes; an unknown name. The same for the sparse products of the
 * variants that have them, against naive's dense product of the same matrix. Run a second time by CTest with
 * MLP_NO_SIMD=1 (test_matmul_portable) so that the simd variants' portable path is tested too.
 *
 * Tolerance: for a dot product of length K summed in any order, with or without FMA, the computed
 * value c satisfies |c - exact| <= gamma_K * sum_k |a_k b_k|, gamma_K = K u / (1 - K u), u = 2^-53
 * (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., section 3.1: each product
 * and partial sum carries at most one rounding, K in all along any path of the summation tree,
 * and an FMA only removes roundings). Both the variant and naive carry such an error, so they
 * may differ by twice that: |c - c_ref| <= 2 gamma_K (|A||B|)_ij. (|A||B|) is itself computed by
 * naive with at most a gamma_K relative error on a sum of non-negative terms, which we cover by
 * dividing by 1 - gamma_K.
 */
#include <omp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mlp_kernels.h"

static const char *form_name[] = {"AB", "AtB", "ABt"};

/* Per-variant worst error seen, as a fraction of its bound, printed at the end. */
static double worst[16];

static uint64_t rng = 88172645463325252ull;
static double uniform(void) { /* xorshift64, in [-1, 1) */
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1p-52 - 1.0;
}

static double *random_array(size_t n) {
    double *x = malloc((n ? n : 1) * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = uniform();
    return x;
}

static double *abs_copy(const double *x, size_t n) {
    double *y = malloc((n ? n : 1) * sizeof *y);
    for (size_t i = 0; i < n; i++) y[i] = fabs(x[i]);
    return y;
}

/* C (M,N) with 8 guard doubles after it, all NaN: elements a variant fails to write stay NaN,
 * and a write past the end shows in the guards. */
enum { GUARD = 8 };
static double *nan_output(size_t n) {
    double *c = malloc((n + GUARD) * sizeof *c);
    for (size_t i = 0; i < n + GUARD; i++) c[i] = NAN;
    return c;
}

static int guards_intact(const double *c, size_t n) {
    for (size_t i = n; i < n + GUARD; i++)
        if (!isnan(c[i])) return 0;
    return 1;
}

/* Every variant but naive against naive on one shape and form. A is (M,K) or, for AtB, (K,M);
 * B is (K,N) or, for ABt, (N,K): the same element counts in every form. */
static void compare_all(mlp_form form, int M, int N, int K) {
    const size_t na = (size_t)M * K, nb = (size_t)K * N, nc = (size_t)M * N;
    double *A = random_array(na), *B = random_array(nb);
    double *absA = abs_copy(A, na), *absB = abs_copy(B, nb);
    double *ref = nan_output(nc), *mag = nan_output(nc), *C = nan_output(nc);
    mlp_matmul_variants[0].matmul(ref, A, B, form, M, N, K);
    mlp_matmul_variants[0].matmul(mag, absA, absB, form, M, N, K);
    const double u = 0x1p-53, gamma = K * u / (1 - K * u);
    for (int v = 1; mlp_matmul_variants[v].name; v++) {
        for (size_t i = 0; i < nc + GUARD; i++) C[i] = NAN;
        mlp_matmul_variants[v].matmul(C, A, B, form, M, N, K);
        int bad = 0;
        for (size_t i = 0; i < nc; i++) {
            const double bound = 2 * gamma * mag[i] / (1 - gamma), err = fabs(C[i] - ref[i]);
            if (!(err <= bound)) {
                if (!bad++)
                    fprintf(stderr, "    %s %s %dx%dx%d: C[%zu] = %.17g, naive %.17g, bound %.3g\n",
                            mlp_matmul_variants[v].name, form_name[form], M, N, K, i, C[i],
                            ref[i], bound);
            } else if (bound > 0 && err / bound > worst[v]) {
                worst[v] = err / bound;
            }
        }
        check_at(!bad, __FILE__, __LINE__, "variant within 2 gamma_K |A||B| of naive");
        check_at(guards_intact(C, nc), __FILE__, __LINE__, "no write past C");
    }
    free(A), free(B), free(absA), free(absB), free(ref), free(mag), free(C);
}

static void compare_forms(int M, int N, int K) {
    for (int f = MLP_AB; f <= MLP_ABt; f++) compare_all((mlp_form)f, M, N, K);
}

/* A = [1 2 3; 4 5 6], B = [7 8; 9 10; 11 12], A.B = [58 64; 139 154], given to each form in the
 * layout it reads. Every partial sum is an integer below 2^53, so every order is exact. */
static void hand_computed(void) {
    const double A[] = {1, 2, 3, 4, 5, 6}, At[] = {1, 4, 2, 5, 3, 6};
    const double B[] = {7, 8, 9, 10, 11, 12}, Bt[] = {7, 9, 11, 8, 10, 12};
    const double want[] = {58, 64, 139, 154};
    const double *as[] = {A, At, A}, *bs[] = {B, B, Bt};
    for (int v = 0; mlp_matmul_variants[v].name; v++)
        for (int f = MLP_AB; f <= MLP_ABt; f++) {
            double C[4];
            mlp_matmul_variants[v].matmul(C, as[f], bs[f], (mlp_form)f, 2, 2, 3);
            CHECK(memcmp(C, want, sizeof want) == 0);
        }
}

/* The omp variants: the same bits at 1, 2, 3 and 7 threads. */
static void thread_counts(mlp_form form, int M, int N, int K) {
    const size_t nc = (size_t)M * N;
    double *A = random_array((size_t)M * K), *B = random_array((size_t)K * N);
    double *one = nan_output(nc), *C = nan_output(nc);
    const int counts[] = {2, 3, 7};
    for (int v = 0; mlp_matmul_variants[v].name; v++) {
        const char *name = mlp_matmul_variants[v].name;
        const size_t len = strlen(name);
        if (len < 3 || strcmp(name + len - 3, "omp") != 0) continue;
        omp_set_num_threads(1);
        mlp_matmul_variants[v].matmul(one, A, B, form, M, N, K);
        for (int t = 0; t < 3; t++) {
            omp_set_num_threads(counts[t]);
            mlp_matmul_variants[v].matmul(C, A, B, form, M, N, K);
            const int same = memcmp(C, one, nc * sizeof *C) == 0;
            check_at(same, __FILE__, __LINE__, "same bits at every thread count");
            if (!same)
                fprintf(stderr, "    %s %s %dx%dx%d at %d threads\n", name, form_name[form], M, N,
                        K, counts[t]);
        }
    }
    omp_set_num_threads(omp_get_num_procs());
    free(A), free(B), free(one), free(C);
}

/* A (rows,cols) of which about `density` of the entries are nonzero. */
static double *sparse_array(int rows, int cols, double density) {
    double *a = random_array((size_t)rows * cols);
    for (size_t i = 0; i < (size_t)rows * cols; i++)
        if ((uniform() + 1) / 2 >= density) a[i] = 0.0;
    return a;
}

/* The sparse products of every variant that has them, against naive's dense product of the
 * same A, with the same bound as compare_all (a zero skipped leaves every partial sum as it
 * was, so the sparse sum is one of the orders the bound covers): C = A.B (AB, C (rows,N)) or
 * C = A^T.B (AtB, C (cols,N)). */
static void compare_sparse(mlp_form form, int rows, int cols, int N, double density) {
    const bool ab = form == MLP_AB;
    const int M = ab ? rows : cols, K = ab ? cols : rows;
    const size_t na = (size_t)rows * cols, nb = (size_t)K * N, nc = (size_t)M * N;
    double *A = sparse_array(rows, cols, density), *B = random_array(nb);
    double *absA = abs_copy(A, na), *absB = abs_copy(B, nb);
    double *ref = nan_output(nc), *mag = nan_output(nc), *C = nan_output(nc);
    mlp_matmul_variants[0].matmul(ref, A, B, form, M, N, K);
    mlp_matmul_variants[0].matmul(mag, absA, absB, form, M, N, K);
    mlp_sparse *s = mlp_sparse_new(rows, cols);
    mlp_sparse_index(s, A, rows, cols);
    const double u = 0x1p-53, gamma = K * u / (1 - K * u);
    for (int v = 1; mlp_matmul_variants[v].name; v++) {
        if (!mlp_matmul_variants[v].sparse_matmul) continue;
        for (size_t i = 0; i < nc + GUARD; i++) C[i] = NAN;
        mlp_matmul_variants[v].sparse_matmul(C, s, B, form, N);
        int bad = 0;
        for (size_t i = 0; i < nc; i++) {
            const double bound = 2 * gamma * mag[i] / (1 - gamma), err = fabs(C[i] - ref[i]);
            if (!(err <= bound) && !bad++)
                fprintf(stderr, "    sparse %s %s %dx%d N=%d density %.1f: C[%zu] = %.17g, naive "
                        "%.17g, bound %.3g\n", mlp_matmul_variants[v].name, form_name[form], rows,
                        cols, N, density, i, C[i], ref[i], bound);
        }
        check_at(!bad, __FILE__, __LINE__, "sparse product within 2 gamma_K |A||B| of naive");
        check_at(guards_intact(C, nc), __FILE__, __LINE__, "no write past C");
    }
    mlp_sparse_free(s);
    free(A), free(B), free(absA), free(absB), free(ref), free(mag), free(C);
}

/* The threaded sparse products: the same bits at 1, 2, 3 and 7 threads, and the index too. */
static void sparse_thread_counts(int rows, int cols, int N) {
    double *A = sparse_array(rows, cols, 0.5), *B = random_array((size_t)(rows > cols ? rows : cols) * N);
    const size_t nc = (size_t)(rows > cols ? rows : cols) * N;
    double *one = nan_output(nc), *C = nan_output(nc);
    mlp_sparse *s = mlp_sparse_new(rows, cols);
    const int counts[] = {2, 3, 7};
    for (int v = 0; mlp_matmul_variants[v].name; v++) {
        const mlp_sparse_matmul_fn f = mlp_matmul_variants[v].sparse_matmul;
        if (!f) continue;
        for (int form = MLP_AB; form <= MLP_AtB; form++) {
            const size_t n = (size_t)(form == MLP_AB ? rows : cols) * N;
            omp_set_num_threads(1);
            mlp_sparse_index(s, A, rows, cols);
            f(one, s, B, (mlp_form)form, N);
            for (int t = 0; t < 3; t++) {
                omp_set_num_threads(counts[t]);
                mlp_sparse_index(s, A, rows, cols);
                f(C, s, B, (mlp_form)form, N);
                const int same = memcmp(C, one, n * sizeof *C) == 0;
                check_at(same, __FILE__, __LINE__, "sparse: same bits at every thread count");
                if (!same)
                    fprintf(stderr, "    sparse %s %s %dx%d N=%d at %d threads\n",
                            mlp_matmul_variants[v].name, form_name[form], rows, cols, N, counts[t]);
            }
        }
    }
    omp_set_num_threads(omp_get_num_procs());
    mlp_sparse_free(s);
    free(A), free(B), free(one), free(C);
}

/* rows == 0 or N == 0 writes nothing; cols == 0 makes A.B the empty sum (zeros) and A^T.B
 * empty. */
static void sparse_zero_sizes(void) {
    double A[15], B[15], C[15 + GUARD];
    for (int i = 0; i < 15; i++) A[i] = B[i] = 1.0;
    mlp_sparse *s = mlp_sparse_new(5, 3);
    for (int v = 0; mlp_matmul_variants[v].name; v++) {
        const mlp_sparse_matmul_fn f = mlp_matmul_variants[v].sparse_matmul;
        if (!f) continue;
        for (int i = 0; i < 15 + GUARD; i++) C[i] = NAN;
        mlp_sparse_index(s, A, 0, 3);
        f(C, s, B, MLP_AB, 5);
        mlp_sparse_index(s, A, 5, 3);
        f(C, s, B, MLP_AB, 0);
        f(C, s, B, MLP_AtB, 0);
        CHECK(guards_intact(C, 0));
        mlp_sparse_index(s, A, 5, 0);
        f(C, s, B, MLP_AB, 3);
        f(C, s, B, MLP_AtB, 3); /* no columns: no output rows */
        int zeros = 1;
        for (int i = 0; i < 15; i++) zeros &= C[i] == 0.0;
        CHECK(zeros && guards_intact(C, 15));
    }
    mlp_sparse_free(s);
}

/* M == 0 or N == 0 writes nothing; K == 0 sets C to zeros (the empty sum). */
static void zero_sizes(void) {
    double A[15], B[15], C[15 + GUARD];
    for (int i = 0; i < 15; i++) A[i] = B[i] = 1.0;
    for (int v = 0; mlp_matmul_variants[v].name; v++)
        for (int f = MLP_AB; f <= MLP_ABt; f++) {
            for (int i = 0; i < 15 + GUARD; i++) C[i] = NAN;
            mlp_matmul_variants[v].matmul(C, A, B, (mlp_form)f, 0, 5, 3);
            mlp_matmul_variants[v].matmul(C, A, B, (mlp_form)f, 3, 0, 5);
            CHECK(guards_intact(C, 0));
            mlp_matmul_variants[v].matmul(C, A, B, (mlp_form)f, 3, 5, 0);
            int zeros = 1;
            for (int i = 0; i < 15; i++) zeros &= C[i] == 0.0;
            CHECK(zeros && guards_intact(C, 15));
        }
}

int main(void) {
    printf("%s\n", mlp_simd_status());
    hand_computed();
    zero_sizes();
    CHECK(mlp_find_matmul("nope") == NULL);
    CHECK(mlp_find_matmul("naive") == &mlp_matmul_variants[0]);

    /* Tiny, odd (no multiple of the 4-wide vectors or the 6x8 tile), K past one cache block. */
    const int odd[][3] = {{1, 1, 1}, {3, 7, 5}, {17, 13, 29}, {4, 8, 1}, {1, 1, 300}, {13, 4097, 3}};
    for (size_t s = 0; s < sizeof odd / sizeof odd[0]; s++) compare_forms(odd[s][0], odd[s][1], odd[s][2]);
    for (int s = 0; s < 4; s++) {
        const int M = 1 + (int)((uniform() + 1) * 40), N = 1 + (int)((uniform() + 1) * 40),
                  K = 1 + (int)((uniform() + 1) * 300);
        printf("random shape %dx%dx%d\n", M, N, K);
        compare_forms(M, N, K);
    }
    /* The network's products (SEED.md), M x N x K. */
    compare_all(MLP_AB, 100, 100, 784);  /* a1 = x . W1 */
    compare_all(MLP_AtB, 784, 100, 100); /* gW1 = x^T . dz1 */
    compare_all(MLP_AB, 100, 10, 100);   /* a2 = z1 . W2 */
    compare_all(MLP_ABt, 100, 100, 10);  /* da1 = dy . W2^T */
    compare_all(MLP_AtB, 100, 10, 100);  /* gW2 = z1^T . dy */
    compare_all(MLP_AB, 1000, 1000, 1000);

    for (int f = MLP_AB; f <= MLP_ABt; f++) thread_counts((mlp_form)f, 17, 13, 29);
    thread_counts(MLP_AB, 100, 100, 784);
    thread_counts(MLP_AtB, 784, 100, 100);
    thread_counts(MLP_ABt, 100, 100, 10);

    /* The sparse products: one and several 64-bit words of bits per row and per column, widths
     * with and without a last partial vector, and densities from empty to full. */
    sparse_zero_sizes();
    const int sparse_shapes[][3] = {{1, 1, 1}, {3, 7, 5}, {17, 13, 29}, {4, 8, 1}, {70, 130, 21},
                                    {100, 784, 100}, {100, 784, 10}, {200, 65, 57}};
    const double densities[] = {0.0, 0.1, 0.5, 1.0};
    for (size_t k = 0; k < sizeof sparse_shapes / sizeof *sparse_shapes; k++)
        for (int d = 0; d < 4; d++)
            for (int f = MLP_AB; f <= MLP_AtB; f++)
                compare_sparse((mlp_form)f, sparse_shapes[k][0], sparse_shapes[k][1],
                               sparse_shapes[k][2], densities[d]);
    sparse_thread_counts(17, 13, 29);
    sparse_thread_counts(100, 784, 100);

    for (int v = 1; mlp_matmul_variants[v].name; v++)
        printf("%-10s worst error / bound %.3g\n", mlp_matmul_variants[v].name, worst[v]);
    return check_done();
}
