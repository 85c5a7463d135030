/* mlp_util.h: checked allocation and fatal errors, handled once, here (after llm.c's mallocCheck). */
#ifndef MLP_UTIL_H
#define MLP_UTIL_H

#include <stddef.h>

/* Print "mlpbench: <message>" as one line on stderr and exit with status 1. */
_Noreturn void mlp_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* malloc / 64-byte-aligned alloc that never return NULL: on failure they name the caller's file
 * and line and exit. 64 bytes is a cache line, so buffers of different threads never share one.
 * Free both with free(). A size of 0 still returns a unique pointer. */
#define mlp_xmalloc(size) mlp_xmalloc_at((size), __FILE__, __LINE__)
#define mlp_xalloc64(size) mlp_xalloc64_at((size), __FILE__, __LINE__)
void *mlp_xmalloc_at(size_t size, const char *file, int line);
void *mlp_xalloc64_at(size_t size, const char *file, int line);

/* Seconds on a monotonic clock. */
double mlp_now(void);

#endif
