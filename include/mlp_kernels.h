/* mlp_kernels.h: the network's kernels, each in several variants that share one signature.
 *
 * Every kernel family has one table of variants ({name, function(s)}); tests, benchmarks and
 * reports iterate over the tables, so adding a variant is one line in src/variants.c.
 *
 * Conventions (after llm.c): outputs first, inputs next, sizes last; all arrays are double,
 * row-major and contiguous. A size of 0 makes any kernel a no-op. Variants whose names end in
 * "omp" use the current OpenMP thread count (omp_set_num_threads) and give the same bits at
 * every thread count: work is split by output element, never by a reduction's order.
 */
#ifndef MLP_KERNELS_H
#define MLP_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

/* The three products the network needs, C (M,N) = op(A) (M,K) . op(B) (K,N):
 *   MLP_AB   A is (M,K), B is (K,N)   forward:  a1 = x . W1
 *   MLP_AtB  A is (K,M), B is (K,N)   backward: gW1 = x^T . dz1
 *   MLP_ABt  A is (M,K), B is (N,K)   backward: da1 = dy . W2^T
 * C is overwritten. */
typedef enum { MLP_AB, MLP_AtB, MLP_ABt } mlp_form;

typedef void (*mlp_matmul_fn)(double *C, const double *A, const double *B, mlp_form form,
                              int M, int N, int K);

/* out[i] = 1 / (1 + exp(-in[i])); out may alias in. */
typedef void (*mlp_sigmoid_fn)(double *out, const double *in, size_t n);
/* dz[i] = z[i] * (1 - z[i]) * da[i], with z = sigmoid(a) from the forward pass: SEED.md's
 * sigmoid_grad(a) * da without recomputing exp. dz may alias da. */
typedef void (*mlp_sigmoid_grad_fn)(double *dz, const double *z, const double *da, size_t n);

/* Each row of x (rows,cols): out = exp(x - max(row)) / sum(exp(x - max(row))). out may alias x. */
typedef void (*mlp_softmax_fn)(double *out, const double *x, int rows, int cols);
/* -sum_r log(y[r, label_r] + 1e-7) / rows, labels as indices in [0, cols). 0 when rows is 0. */
typedef double (*mlp_cross_entropy_fn)(const double *y, const int *labels, int rows, int cols);

/* A mostly-zero matrix A (rows,cols), indexed for the sparse products: the network's input x,
 * half of whose pixels (Fashion-MNIST; four fifths of MNIST's) are exactly 0. A zero adds
 * nothing to a product, so the sparse products skip it: they give the dense product's values,
 * summed in another order. */
typedef struct mlp_sparse mlp_sparse;
mlp_sparse *mlp_sparse_new(int max_rows, int max_cols);
void mlp_sparse_free(mlp_sparse *s);
/* Index A (rows,cols) into s, which then stands for A: it keeps a pointer to A, and is valid
 * until A changes or s is indexed again. Runs on the OpenMP threads outside a parallel region. */
void mlp_sparse_index(mlp_sparse *s, const double *A, int rows, int cols);
/* C = A . B (MLP_AB: B (cols,N), C (rows,N)) or C = A^T . B (MLP_AtB: B (rows,N), C (cols,N)),
 * for the A that s stands for. */
typedef void (*mlp_sparse_matmul_fn)(double *C, const mlp_sparse *A, const double *B,
                                     mlp_form form, int N);

/* A variant may also multiply a sparse A (sparse_matmul, NULL when it does not). */
typedef struct {
    const char *name;
    mlp_matmul_fn matmul;
    mlp_sparse_matmul_fn sparse_matmul;
} mlp_matmul_variant;
typedef struct {
    const char *name;
    mlp_sigmoid_fn sigmoid;
    mlp_sigmoid_grad_fn sigmoid_grad;
} mlp_sigmoid_variant;
typedef struct {
    const char *name;
    mlp_softmax_fn softmax;
    mlp_cross_entropy_fn cross_entropy;
} mlp_softmax_variant;

/* The tables, terminated by an entry whose name is NULL. Entry 0 is always "naive". */
extern const mlp_matmul_variant mlp_matmul_variants[];
extern const mlp_sigmoid_variant mlp_sigmoid_variants[];
extern const mlp_softmax_variant mlp_softmax_variants[];

/* Look a variant up by name; NULL when no variant has that name (the caller reports it). */
const mlp_matmul_variant *mlp_find_matmul(const char *name);
const mlp_sigmoid_variant *mlp_find_sigmoid(const char *name);
const mlp_softmax_variant *mlp_find_softmax(const char *name);

/* Does the variant of this name (of any family, or of the numerical gradient) run on the OpenMP
 * thread count? Ours end in "omp"; "openblas" runs as many of OpenBLAS's own threads. */
bool mlp_variant_uses_threads(const char *name);

/* Cross-entropy against one-hot labels t (rows,cols), as SEED.md allows; same value as the
 * index form for a one-hot t. */
double mlp_cross_entropy_onehot(const double *y, const double *t, int rows, int cols);

/* The constant inside the log of SEED.md's cross_entropy_error. */
#define MLP_LOG_EPS 1e-7

/* The SIMD exp behind the simd sigmoid and softmax: out[i] = exp(in[i]) within 2 ulp of libm
 * over the whole double range (0 below -745.2, inf above 709.8, NaN for NaN). Exposed so that
 * its accuracy can be measured on its own. out may alias in. */
void mlp_exp_simd(double *out, const double *in, size_t n);

/* The SIMD variants need AVX2 and FMA at run time; without them they run portable code. */
bool mlp_cpu_has_avx2_fma(void);
/* One line for reports: which code the simd variants run on this CPU. */
const char *mlp_simd_status(void);
/* The CPU's model name from /proc/cpuinfo ("unknown" when there is none). */
void mlp_cpu_model(char *out, size_t len);
/* Call first in main. The OpenMP and OpenBLAS runtimes read two settings from the environment
 * when they load, before main; each that the user has not set is set here, and the program
 * re-executed once with them:
 *   OMP_WAIT_POLICY=active: threads spin between parallel regions instead of sleeping. A
 *     training iteration forks a dozen regions apart by microseconds; waking a sleeping thread
 *     costs tens of microseconds on a virtual machine, which doubled the iteration.
 *   OPENBLAS_CORETYPE=Haswell, when the CPU has AVX2+FMA: the openblas variant runs AVX2
 *     kernels like the simd ones (see matmul_openblas.c). */
void mlp_runtime_setup(char **argv);
/* The kernels OpenBLAS runs ("Haswell", ...), for reports. */
const char *mlp_openblas_core(void);
/* One line for reports: the versions of the libraries the variants link (zlib, OpenBLAS and
 * SLEEF when built in). */
const char *mlp_library_versions(void);

#endif
