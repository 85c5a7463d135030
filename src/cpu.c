/* Run-time CPU check for the SIMD variants. The build never assumes AVX2: the SIMD code is
 * compiled with target attributes, and runs only when this check passes. Setting MLP_NO_SIMD=1
 * in the environment takes the portable path on any CPU, so that path can be tested here too. */
#include <stdlib.h>

#include "mlp_kernels.h"

bool mlp_cpu_has_avx2_fma(void) {
    static int cached = -1;
    if (cached < 0) {
        const char *off = getenv("MLP_NO_SIMD");
        __builtin_cpu_init();
        cached = !(off && *off && *off != '0') && __builtin_cpu_supports("avx2") &&
                 __builtin_cpu_supports("fma");
    }
    return cached;
}

const char *mlp_simd_status(void) {
    return mlp_cpu_has_avx2_fma() ? "simd variants run AVX2+FMA code"
                                  : "simd variants run portable code: this CPU has no AVX2+FMA "
                                    "(or MLP_NO_SIMD is set)";
}
