/* check.h: the tests' few assertions. Each failure prints what was expected and what came,
 * with file and line; check_done() prints "N passed, N failed" and gives the exit status. */
#ifndef CHECK_H
#define CHECK_H

#include <math.h>
#include <stdio.h>

static int check_passed, check_failed;

static inline void check_at(int ok, const char *file, int line, const char *what) {
    if (ok) {
        check_passed++;
    } else {
        check_failed++;
        fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
    }
}

#define CHECK(cond) check_at(!!(cond), __FILE__, __LINE__, #cond)

/* |got - want| <= tol, printing both values when not. */
#define CHECK_NEAR(got, want, tol)                                                                \
    do {                                                                                          \
        double g_ = (got), w_ = (want), t_ = (tol);                                               \
        int ok_ = fabs(g_ - w_) <= t_;                                                            \
        check_at(ok_, __FILE__, __LINE__, #got " ~ " #want);                                      \
        if (!ok_) fprintf(stderr, "    got %.17g, want %.17g, tolerance %.3g\n", g_, w_, t_);     \
    } while (0)

static inline int check_done(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif
