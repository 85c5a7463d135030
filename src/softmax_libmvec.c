/* softmax, libmvec: naive's row loop (activations_loops.h) compiled with -O3 -ffast-math
 * -march=native (the CMake rule for *_libmvec.c), so that gcc vectorizes the max, the exp and
 * the sum, calling glibc's vector exp _ZGVdN4v_exp on an AVX2 target: the easy route a C
 * programmer takes first, and the reference the simd variant is measured against.
 *
 * What it does not promise: -ffast-math reorders the row sum (so the bits differ from naive)
 * and assumes there are no NaNs or infinities (so rows containing them give unspecified values);
 * libmvec's exp is documented to within 4 ulp (glibc wiki, "libmvec"). Cross-entropy is one log
 * per row and stays naive's.
 */
#include "activations_loops.h"
#include "mlp_kernels_impl.h"

void mlp_softmax_libmvec(double *out, const double *x, int rows, int cols) {
    if (cols <= 0) return;
    for (int r = 0; r < rows; r++)
        mlp_softmax_row(out + (size_t)r * cols, x + (size_t)r * cols, cols);
}

double mlp_cross_entropy_libmvec(const double *y, const int *labels, int rows, int cols) {
    return mlp_cross_entropy_naive(y, labels, rows, cols);
}
