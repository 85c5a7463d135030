/* The one place that lists the variants of each kernel. Tests, benchmarks and reports iterate
 * over these tables: adding a variant is one line here. Entry 0 is the naive baseline; the
 * reference variants (what a user would pick instead of writing their own) come last. */
#include <string.h>

#include "mlp_kernels_impl.h"

const mlp_matmul_variant mlp_matmul_variants[] = {
    {"naive", mlp_matmul_naive, NULL},
    {"simd", mlp_matmul_simd, mlp_matmul_sparse_simd},
    {"omp", mlp_matmul_omp, NULL},
    {"simd_omp", mlp_matmul_simd_omp, mlp_matmul_sparse_simd_omp},
#ifdef MLP_HAVE_OPENBLAS
    {"openblas", mlp_matmul_openblas, NULL},
#endif
    {NULL, NULL, NULL},
};

const mlp_sigmoid_variant mlp_sigmoid_variants[] = {
    {"naive", mlp_sigmoid_naive, mlp_sigmoid_grad_naive},
    {"simd", mlp_sigmoid_simd, mlp_sigmoid_grad_simd},
    {"omp", mlp_sigmoid_omp, mlp_sigmoid_grad_omp},
    {"simd_omp", mlp_sigmoid_simd_omp, mlp_sigmoid_grad_simd_omp},
    {"libmvec", mlp_sigmoid_libmvec, mlp_sigmoid_grad_libmvec},
#ifdef MLP_HAVE_SLEEF
    {"sleef", mlp_sigmoid_sleef, mlp_sigmoid_grad_sleef},
#endif
    {NULL, NULL, NULL},
};

const mlp_softmax_variant mlp_softmax_variants[] = {
    {"naive", mlp_softmax_naive, mlp_cross_entropy_naive},
    {"simd", mlp_softmax_simd, mlp_cross_entropy_simd},
    {"omp", mlp_softmax_omp, mlp_cross_entropy_omp},
    {"simd_omp", mlp_softmax_simd_omp, mlp_cross_entropy_simd_omp},
    {"libmvec", mlp_softmax_libmvec, mlp_cross_entropy_libmvec},
#ifdef MLP_HAVE_SLEEF
    {"sleef", mlp_softmax_sleef, mlp_cross_entropy_sleef},
#endif
    {NULL, NULL, NULL},
};

bool mlp_variant_uses_threads(const char *name) {
    const size_t n = strlen(name);
    return (n >= 3 && strcmp(name + n - 3, "omp") == 0) || strcmp(name, "openblas") == 0;
}

#define FIND(table, name)                                                                         \
    for (int i = 0; name && table[i].name; i++)                                                   \
        if (strcmp(table[i].name, name) == 0) return &table[i];                                   \
    return NULL

const mlp_matmul_variant *mlp_find_matmul(const char *name) { FIND(mlp_matmul_variants, name); }
const mlp_sigmoid_variant *mlp_find_sigmoid(const char *name) { FIND(mlp_sigmoid_variants, name); }
const mlp_softmax_variant *mlp_find_softmax(const char *name) { FIND(mlp_softmax_variants, name); }
