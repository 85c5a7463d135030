/* PLACEHOLDER while the simd, libmvec and sleef sigmoid/softmax files are written: delete it then. */
#include "mlp_kernels_impl.h"
#define P(v) \
void mlp_sigmoid_##v(double *o, const double *i, size_t n) { mlp_sigmoid_naive(o, i, n); } \
void mlp_sigmoid_grad_##v(double *dz, const double *z, const double *da, size_t n) { mlp_sigmoid_grad_naive(dz, z, da, n); } \
void mlp_softmax_##v(double *o, const double *x, int r, int c) { mlp_softmax_naive(o, x, r, c); } \
double mlp_cross_entropy_##v(const double *y, const int *l, int r, int c) { return mlp_cross_entropy_naive(y, l, r, c); }
P(simd) P(simd_omp) P(libmvec)
#ifdef MLP_HAVE_SLEEF
P(sleef)
#endif
void mlp_exp_simd(double *out, const double *in, size_t n) { for (size_t i = 0; i < n; i++) out[i] = __builtin_exp(in[i]); }
