/* Checked allocation, fatal errors and the clock, in one place. */
#define _POSIX_C_SOURCE 200809L
#include "mlp_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void mlp_die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("mlpbench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

void *mlp_xmalloc_at(size_t size, const char *file, int line) {
    void *p = malloc(size ? size : 1);
    if (!p) mlp_die("out of memory: %zu bytes at %s:%d", size, file, line);
    return p;
}

void *mlp_xalloc64_at(size_t size, const char *file, int line) {
    size_t rounded = (size + 63) / 64 * 64;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (!p) mlp_die("out of memory: %zu bytes at %s:%d", size, file, line);
    return p;
}

double mlp_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
