/* What the library knows of the machine: the run-time CPU check for the SIMD variants, the CPU's
 * name and the versions of the libraries it links, for reports; and the runtimes' settings.
 *
 * Run-time CPU check for the SIMD variants. The build never assumes AVX2: the SIMD code is
 * compiled with target attributes, and runs only when this check passes. Setting MLP_NO_SIMD=1
 * in the environment takes the portable path on any CPU, so that path can be tested here too. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "mlp_kernels.h"

#ifdef MLP_HAVE_OPENBLAS
#include <cblas.h>
#endif
#ifdef MLP_HAVE_SLEEF
#include <sleef.h>
#endif

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

void mlp_cpu_model(char *out, size_t len) {
    snprintf(out, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        const char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon) {
            snprintf(out, len, "%s", colon + 2);
            out[strcspn(out, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
}

void mlp_runtime_setup(char **argv) {
    bool changed = false;
    if (!getenv("OMP_WAIT_POLICY")) {
        setenv("OMP_WAIT_POLICY", "active", 1);
        changed = true;
    }
#ifdef MLP_HAVE_OPENBLAS
    if (!getenv("OPENBLAS_CORETYPE") && mlp_cpu_has_avx2_fma()) {
        setenv("OPENBLAS_CORETYPE", "Haswell", 1);
        changed = true;
    }
#endif
    /* returns only when it failed: the program then runs on the runtimes' own defaults */
    if (changed) execv("/proc/self/exe", argv);
}

const char *mlp_library_versions(void) {
    static char v[256];
    int n = snprintf(v, sizeof v, "zlib %s", zlibVersion());
#ifdef MLP_HAVE_OPENBLAS
    n += snprintf(v + n, sizeof v - (size_t)n, ", OpenBLAS %s", openblas_get_config());
#endif
#ifdef MLP_HAVE_SLEEF
    snprintf(v + n, sizeof v - (size_t)n, ", SLEEF %d.%d.%d", SLEEF_VERSION_MAJOR,
             SLEEF_VERSION_MINOR, SLEEF_VERSION_PATCHLEVEL);
#endif
    return v;
}
