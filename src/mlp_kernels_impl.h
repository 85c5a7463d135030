/* The library's own view of the kernels: every variant function, listed once, for the tables
 * in variants.c. Not installed; users go through the tables in mlp_kernels.h. */
#ifndef MLP_KERNELS_IMPL_H
#define MLP_KERNELS_IMPL_H

#include "mlp_kernels.h"
#include "mlp_util.h"

#define MLP_DECLARE_MATMUL(v)                                                                     \
    void mlp_matmul_##v(double *C, const double *A, const double *B, mlp_form form, int M,       \
                        int N, int K);
#define MLP_DECLARE_ACTIVATIONS(v)                                                                \
    void mlp_sigmoid_##v(double *out, const double *in, size_t n);                               \
    void mlp_sigmoid_grad_##v(double *dz, const double *z, const double *da, size_t n);          \
    void mlp_softmax_##v(double *out, const double *x, int rows, int cols);                      \
    double mlp_cross_entropy_##v(const double *y, const int *labels, int rows, int cols);

MLP_DECLARE_MATMUL(naive)
MLP_DECLARE_MATMUL(omp)
MLP_DECLARE_MATMUL(simd)
MLP_DECLARE_MATMUL(simd_omp)
MLP_DECLARE_MATMUL(openblas) /* compiled only when CMake finds OpenBLAS (MLP_HAVE_OPENBLAS) */

#define MLP_DECLARE_SPARSE(v)                                                                     \
    void mlp_matmul_sparse_##v(double *C, const mlp_sparse *A, const double *B, mlp_form form,  \
                               int N);
MLP_DECLARE_SPARSE(simd)
MLP_DECLARE_SPARSE(simd_omp)

MLP_DECLARE_ACTIVATIONS(naive)
MLP_DECLARE_ACTIVATIONS(omp)
MLP_DECLARE_ACTIVATIONS(simd)
MLP_DECLARE_ACTIVATIONS(simd_omp)
MLP_DECLARE_ACTIVATIONS(libmvec)
MLP_DECLARE_ACTIVATIONS(sleef) /* compiled only when CMake finds SLEEF (MLP_HAVE_SLEEF) */

#endif
