/* matmul, naive and omp: the textbook triple loop, one dot product per output element.
 *
 * This file is compiled with auto-vectorization off (see CMakeLists.txt) so that `naive` stays
 * the scalar baseline every other variant is measured against. `omp` is the same loop with the
 * output elements split across threads: each element is still one serial dot product, so the
 * bits do not depend on the thread count, and each thread writes one contiguous run of C, so
 * threads share at most the cache line at the edge of their runs.
 */
#include "mlp_kernels_impl.h"

/* Element (i,k) of op(A) and (k,j) of op(B), for the three forms. */
static inline double a_at(const double *A, mlp_form form, int M, int K, int i, int k) {
    return form == MLP_AtB ? A[(size_t)k * M + i] : A[(size_t)i * K + k];
}
static inline double b_at(const double *B, mlp_form form, int N, int K, int k, int j) {
    return form == MLP_ABt ? B[(size_t)j * K + k] : B[(size_t)k * N + j];
}

static inline double dot(const double *A, const double *B, mlp_form form, int M, int N, int K,
                         int i, int j) {
    double sum = 0.0;
    for (int k = 0; k < K; k++) sum += a_at(A, form, M, K, i, k) * b_at(B, form, N, K, k, j);
    return sum;
}

void mlp_matmul_naive(double *C, const double *A, const double *B, mlp_form form, int M, int N,
                      int K) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) C[(size_t)i * N + j] = dot(A, B, form, M, N, K, i, j);
}

void mlp_matmul_omp(double *C, const double *A, const double *B, mlp_form form, int M, int N,
                    int K) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) C[(size_t)i * N + j] = dot(A, B, form, M, N, K, i, j);
}
