/* matmul, openblas: the reference a user would pick instead of writing their own GEMM, one call
 * to OpenBLAS's cblas_dgemm (row-major, CblasTrans for the transposed operand).
 *
 * It adds nothing to the ladder; it is the bar the simd variants are measured against. OpenBLAS
 * runs its own pthreads, so it is told to use as many as the caller set for OpenMP: one when it
 * is compared single-threaded, all when it is compared with simd_omp. Zero sizes are handled
 * here because BLAS rejects a leading dimension of 0 (K == 0 in the AB form).
 * Compiled to nothing unless CMake found OpenBLAS (MLP_HAVE_OPENBLAS).
 *
 * OpenBLAS chooses its kernels once, when it is loaded, from the CPU or from OPENBLAS_CORETYPE.
 * mlp_runtime_setup (cpu.c) lets the programs compare like with like: it asks for the Haswell
 * (AVX2+FMA) kernels, the instruction set of the simd variants, which is what OpenBLAS picks on
 * Zen anyway. Without it, OpenBLAS 0.3.21 (Debian 12) falls back to its SSE3 "Prescott" kernels
 * on CPUs newer than it knows, and takes AVX-512 kernels where it recognizes them.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlp_kernels_impl.h"

#ifndef MLP_HAVE_OPENBLAS
const char *mlp_openblas_core(void) { return "none (built without OpenBLAS)"; }
#else
#include <cblas.h>
#include <omp.h>
#include <string.h>

const char *mlp_openblas_core(void) { return openblas_get_corename(); }

void mlp_matmul_openblas(double *C, const double *A, const double *B, mlp_form form, int M, int N,
                         int K) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        memset(C, 0, (size_t)M * N * sizeof *C);
        return;
    }
    openblas_set_num_threads(omp_get_max_threads());
    cblas_dgemm(CblasRowMajor, form == MLP_AtB ? CblasTrans : CblasNoTrans,
                form == MLP_ABt ? CblasTrans : CblasNoTrans, M, N, K, 1.0, A,
                form == MLP_AtB ? M : K, B, form == MLP_ABt ? K : N, 0.0, C, N);
}
#endif
