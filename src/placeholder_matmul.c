/* PLACEHOLDER while matmul_simd.c and matmul_openblas.c are written: delete this file then. */
#include "mlp_kernels_impl.h"
void mlp_matmul_simd(double *C, const double *A, const double *B, mlp_form f, int M, int N, int K) { mlp_matmul_naive(C, A, B, f, M, N, K); }
void mlp_matmul_simd_omp(double *C, const double *A, const double *B, mlp_form f, int M, int N, int K) { mlp_matmul_omp(C, A, B, f, M, N, K); }
#ifdef MLP_HAVE_OPENBLAS
void mlp_matmul_openblas(double *C, const double *A, const double *B, mlp_form f, int M, int N, int K) { mlp_matmul_naive(C, A, B, f, M, N, K); }
#endif
