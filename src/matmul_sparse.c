/* matmul_sparse, the simd and simd_omp variants' products with a mostly-zero matrix: the
 * network's input x, in x . W1 (forward) and x^T . dz1 (backward).
 *
 * Over the dense GEMM, this step does less work instead of the same work faster: half of
 * Fashion-MNIST's pixels (four fifths of MNIST's) are exactly 0, and a zero adds nothing to a
 * sum of finite terms (fma(0, b, c) == c), so skipping it changes no value beyond the order of
 * the sum (an inf or NaN in B, which 0 * b would spread, is no network's weight). A
 * batch is indexed once (mlp_sparse_index): a bitmask of the nonzero columns of each row of A,
 * one of the nonzero rows of each column, and A transposed, so that both products read the
 * values they multiply contiguously. Both products are then the same loop (spmm): an output row
 * is a sum of B's rows scaled by the nonzeros of one row of A (AB) or of one column (AtB).
 *
 * The kernel keeps a slab of up to SLAB vectors of an output row in registers and streams the
 * B rows that the set bits of one 64-bit mask word select: a block of 64 rows of B by the slab,
 * at most 26 KiB, stays in L1 while every output row passes over it. Each element is one FMA
 * chain over its nonzeros in order, carried through C from one block to the next, so the bits
 * do not depend on how rows are split between threads. Threads take runs of output rows with
 * equal numbers of nonzeros (an image's border rows are nearly empty). Without AVX2+FMA both
 * variants run the same loops in portable C.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_kernels_impl.h"

/* Vectors of an output row per pass: 13 accumulators, a broadcast and two spare of 16 ymm.
 * 64 rows of B by 13 vectors are 26 KiB, the most a 32 KiB L1 holds beside the rest. */
enum { SLAB = 13, WORD = 64 };

struct mlp_sparse {
    int max_rows, max_cols;
    int rows, cols;      /* the matrix indexed last, A (rows,cols) */
    const double *a;     /* A itself, the caller's */
    double *at;          /* A^T (cols,rows) */
    uint64_t *row_bits;  /* (rows, words(cols)): bit k of row r is A[r][k] != 0 */
    uint64_t *col_bits;  /* (cols, words(rows)): bit r of column k is A[r][k] != 0 */
    int *row_start;      /* (rows + 1): nonzeros of the rows before each, for balanced splits */
    int *col_start;      /* (cols + 1): the same by column */
};

static int words(int bits) { return (bits + WORD - 1) / WORD; }

mlp_sparse *mlp_sparse_new(int max_rows, int max_cols) {
    if (max_rows < 0 || max_cols < 0)
        mlp_die("sparse matrix sizes must not be negative, got %dx%d", max_rows, max_cols);
    mlp_sparse *s = mlp_xmalloc(sizeof *s);
    const size_t rows = (size_t)max_rows, cols = (size_t)max_cols;
    *s = (mlp_sparse){.max_rows = max_rows, .max_cols = max_cols};
    s->at = mlp_xalloc64(rows * cols * sizeof *s->at);
    s->row_bits = mlp_xalloc64(rows * (size_t)words(max_cols) * sizeof *s->row_bits);
    s->col_bits = mlp_xalloc64(cols * (size_t)words(max_rows) * sizeof *s->col_bits);
    s->row_start = mlp_xmalloc((rows + 1) * sizeof *s->row_start);
    s->col_start = mlp_xmalloc((cols + 1) * sizeof *s->col_start);
    return s;
}

void mlp_sparse_free(mlp_sparse *s) {
    if (!s) return;
    free(s->at), free(s->row_bits), free(s->col_bits), free(s->row_start), free(s->col_start);
    free(s);
}

/* ---- the index ---- */

/* bits (words(n)) of the nonzeros of v (n). */
static void nonzero_bits_portable(uint64_t *bits, const double *v, int n) {
    for (int w = 0; w * WORD < n; w++) {
        uint64_t word = 0;
        for (int k = w * WORD; k < n && k < (w + 1) * WORD; k++)
            word |= (uint64_t)(v[k] != 0.0) << (k % WORD);
        bits[w] = word;
    }
}

/* The bits of 4 doubles, 4 at a time: a compare and a movemask. */
__attribute__((target("avx2,fma"), always_inline)) static inline uint64_t
nonzero_bits4(const double *v, int k) {
    /* NEQ_UQ: a NaN counts as nonzero, so it reaches the sums as in naive. */
    const __m256d ne = _mm256_cmp_pd(_mm256_loadu_pd(v + k), _mm256_setzero_pd(), _CMP_NEQ_UQ);
    return (uint64_t)_mm256_movemask_pd(ne) << k;
}

/* Each word built in a register (or-ing into memory would chain every step through a store and
 * a load); whole words in a loop of constant length, which unrolls without a test per step. */
__attribute__((target("avx2,fma"))) static void nonzero_bits_avx2(uint64_t *bits, const double *v,
                                                                   int n) {
    int w = 0;
    for (; WORD * (w + 1) <= n; w++, v += WORD) {
        uint64_t word = 0;
        for (int k = 0; k < WORD; k += 4) word |= nonzero_bits4(v, k);
        bits[w] = word;
    }
    if (WORD * w < n) {
        const int end = n - WORD * w;
        uint64_t word = 0;
        int k = 0;
        for (; k + 4 <= end; k += 4) word |= nonzero_bits4(v, k);
        for (; k < end; k++) word |= (uint64_t)(v[k] != 0.0) << k;
        bits[w] = word;
    }
}

/* Columns [c0, c1) of a (rows,cols) into rows [c0, c1) of at (cols,rows). */
static void transpose_portable(double *at, const double *a, int rows, int cols, int c0, int c1) {
    for (int r = 0; r < rows; r++)
        for (int c = c0; c < c1; c++) at[(size_t)c * rows + r] = a[(size_t)r * cols + c];
}

/* The same in 4x4 blocks held in registers: four rows read and four written per block. */
__attribute__((target("avx2,fma"))) static void transpose_avx2(double *at, const double *a,
                                                                int rows, int cols, int c0,
                                                                int c1) {
    const int r4 = rows / 4 * 4, c4 = c0 + (c1 - c0) / 4 * 4;
    for (int c = c0; c < c4; c += 4) {
        for (int r = 0; r < r4; r += 4) {
            const double *p = a + (size_t)r * cols + c;
            const __m256d r0 = _mm256_loadu_pd(p), r1 = _mm256_loadu_pd(p + cols);
            const __m256d r2 = _mm256_loadu_pd(p + 2 * (size_t)cols);
            const __m256d r3 = _mm256_loadu_pd(p + 3 * (size_t)cols);
            const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
            const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
            double *q = at + (size_t)c * rows + r;
            _mm256_storeu_pd(q, _mm256_permute2f128_pd(t0, t2, 0x20));
            _mm256_storeu_pd(q + rows, _mm256_permute2f128_pd(t1, t3, 0x20));
            _mm256_storeu_pd(q + 2 * (size_t)rows, _mm256_permute2f128_pd(t0, t2, 0x31));
            _mm256_storeu_pd(q + 3 * (size_t)rows, _mm256_permute2f128_pd(t1, t3, 0x31));
        }
        for (int r = r4; r < rows; r++)
            for (int k = c; k < c + 4; k++) at[(size_t)k * rows + r] = a[(size_t)r * cols + k];
    }
    transpose_portable(at, a, rows, cols, c4, c1);
}

static void count_starts(int *start, const uint64_t *bits, int n, int nwords) {
    start[0] = 0;
    for (int i = 0; i < n; i++) {
        int count = 0;
        for (int w = 0; w < nwords; w++) count += __builtin_popcountll(bits[(size_t)i * nwords + w]);
        start[i + 1] = start[i] + count;
    }
}

/* a[i] bit j <-> a[j] bit i: the 64x64 bit matrix transposed in place, by swapping the
 * off-diagonal halves, then quarters, ... (Hacker's Delight, 7-3), six passes of 32 swaps. */
static void transpose_bits(uint64_t a[WORD]) {
    uint64_t m = 0x00000000FFFFFFFFull;
    for (int j = 32; j != 0; j >>= 1, m ^= m << j)
        for (int k = 0; k < WORD; k = ((k | j) + 1) & ~j) {
            const uint64_t t = ((a[k] >> j) ^ a[k | j]) & m;
            a[k | j] ^= t;
            a[k] ^= t << j;
        }
}

static void index_rows(mlp_sparse *s, int r0, int r1) {
    const int cols = s->cols, row_words = words(cols);
    for (int r = r0; r < r1; r++) {
        uint64_t *bits = s->row_bits + (size_t)r * row_words;
        if (mlp_cpu_has_avx2_fma()) nonzero_bits_avx2(bits, s->a + (size_t)r * cols, cols);
        else nonzero_bits_portable(bits, s->a + (size_t)r * cols, cols);
    }
}

/* Columns [64 w0, 64 w1): their rows of A^T, and their bits, the row bits transposed 64x64 at a
 * time (a few thousand operations where comparing A^T again would be one per element). */
static void index_cols(mlp_sparse *s, int w0, int w1) {
    const int rows = s->rows, cols = s->cols, row_words = words(cols), col_words = words(rows);
    for (int w = w0; w < w1; w++) {
        const int c0 = WORD * w, c1 = c0 + WORD < cols ? c0 + WORD : cols;
        if (mlp_cpu_has_avx2_fma()) transpose_avx2(s->at, s->a, rows, cols, c0, c1);
        else transpose_portable(s->at, s->a, rows, cols, c0, c1);
        for (int q = 0; q < col_words; q++) {
            uint64_t block[WORD] = {0};
            for (int i = 0; i < WORD && WORD * q + i < rows; i++)
                block[i] = s->row_bits[(size_t)(WORD * q + i) * row_words + w];
            transpose_bits(block);
            for (int c = c0; c < c1; c++) s->col_bits[(size_t)c * col_words + q] = block[c - c0];
        }
    }
}

static void sparse_index(mlp_sparse *s, const double *A, int rows, int cols, int nt) {
    if (rows < 0 || cols < 0 || rows > s->max_rows || cols > s->max_cols)
        mlp_die("sparse index made for %dx%d, given a %dx%d matrix", s->max_rows, s->max_cols,
                rows, cols);
    s->rows = rows, s->cols = cols, s->a = A;
    const int col_words = words(cols);
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        {
            const int t = omp_get_thread_num(), T = omp_get_num_threads();
            index_rows(s, rows * t / T, rows * (t + 1) / T);
#pragma omp barrier
            index_cols(s, col_words * t / T, col_words * (t + 1) / T);
        }
    } else {
        index_rows(s, 0, rows);
        index_cols(s, 0, col_words);
    }
    count_starts(s->row_start, s->row_bits, rows, words(cols));
    count_starts(s->col_start, s->col_bits, cols, words(rows));
}

/* ---- the product ---- */

/* One product's operands as spmm reads them: output row i (of n) is the sum over the set bits k
 * of bits[i*nwords ..] of vals[i*ld + k] * B[k*N ..]. */
typedef struct {
    double *C;
    const uint64_t *bits;
    const double *vals;
    const double *B;
    const int *start; /* (n + 1) nonzeros before each output row */
    int n, nwords, ld, N;
} spmm_job;

/* The accumulators are named, not an array: gcc 12 keeps an array of them on the stack and
 * stores it on every step. V vectors of c; when masked (V = 1), only the lanes of `last`. */
#define EACH(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12)
#define LOAD(j, p) (masked ? _mm256_maskload_pd(p + 4 * j, last) : _mm256_loadu_pd(p + 4 * j))
#define INIT(j) __m256d acc##j = _mm256_setzero_pd(); if (j < V && !first) acc##j = LOAD(j, c);
#define STEP(j) if (j < V) acc##j = _mm256_fmadd_pd(x, LOAD(j, b), acc##j);
#define STORE(j)                                                                                  \
    if (j < V) {                                                                                  \
        if (masked) _mm256_maskstore_pd(c + 4 * j, last, acc##j);                                 \
        else _mm256_storeu_pd(c + 4 * j, acc##j);                                                 \
    }

/* c (V vectors) = (first ? 0 : c) + sum over the set bits k of m of v[k] * B[k*ldb ..]. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
slab_kernel(double *c, bool first, uint64_t m, const double *v, const double *B, size_t ldb,
            int width, const int V, const bool masked) {
    const __m256i last = _mm256_cmpgt_epi64(_mm256_set1_epi64x(width), _mm256_setr_epi64x(0, 1, 2, 3));
    EACH(INIT)
    while (m) {
        const int k = __builtin_ctzll(m);
        m &= m - 1;
        const __m256d x = _mm256_broadcast_sd(v + k);
        const double *b = B + (size_t)k * ldb;
        EACH(STEP)
    }
    EACH(STORE)
}
#undef EACH
#undef LOAD
#undef INIT
#undef STEP
#undef STORE

/* A kernel per slab width in vectors, and one for the last 1 to 3 columns of a row whose width
 * is no multiple of 4. */
typedef void (*slab_fn)(double *c, bool first, uint64_t m, const double *v, const double *B,
                        size_t ldb, int width);
#define SLAB_FN(name, V, masked)                                                                  \
    __attribute__((target("avx2,fma"))) static void name(double *c, bool first, uint64_t m,      \
                                                         const double *v, const double *B,       \
                                                         size_t ldb, int width) {                \
        slab_kernel(c, first, m, v, B, ldb, width, V, masked);                                    \
    }
SLAB_FN(slab_1, 1, false) SLAB_FN(slab_2, 2, false) SLAB_FN(slab_3, 3, false)
SLAB_FN(slab_4, 4, false) SLAB_FN(slab_5, 5, false) SLAB_FN(slab_6, 6, false)
SLAB_FN(slab_7, 7, false) SLAB_FN(slab_8, 8, false) SLAB_FN(slab_9, 9, false)
SLAB_FN(slab_10, 10, false) SLAB_FN(slab_11, 11, false) SLAB_FN(slab_12, 12, false)
SLAB_FN(slab_13, 13, false) SLAB_FN(slab_tail, 1, true)
#undef SLAB_FN
static const slab_fn slab_kernels[] = {NULL,    slab_1,  slab_2,  slab_3,  slab_4,
                                               slab_5,  slab_6,  slab_7,  slab_8,  slab_9,
                                               slab_10, slab_11, slab_12, slab_13};

static void slab_portable(double *c, bool first, uint64_t m, const double *v, const double *B,
                          size_t ldb, int width) {
    if (first) memset(c, 0, (size_t)width * sizeof *c);
    while (m) {
        const int k = __builtin_ctzll(m);
        m &= m - 1;
        for (int j = 0; j < width; j++) c[j] += v[k] * B[(size_t)k * ldb + j];
    }
}

/* Columns [j0, j1) of output rows [lo, hi), a block of 64 rows of B at a time. */
static void spmm_slab(const spmm_job *g, int lo, int hi, int j0, int j1, slab_fn kernel) {
    for (int w = 0; w < g->nwords; w++) {
        const double *B = g->B + (size_t)w * WORD * g->N + j0;
        for (int i = lo; i < hi; i++)
            kernel(g->C + (size_t)i * g->N + j0, w == 0, g->bits[(size_t)i * g->nwords + w],
                   g->vals + (size_t)i * g->ld + (size_t)w * WORD, B, (size_t)g->N, j1 - j0);
    }
}

/* Output rows [lo, hi): the whole vectors of a row in slabs of equal widths, then its last
 * 1 to 3 columns. */
static void spmm_rows(const spmm_job *g, int lo, int hi) {
    if (!mlp_cpu_has_avx2_fma()) {
        spmm_slab(g, lo, hi, 0, g->N, slab_portable);
        return;
    }
    const int vectors = g->N / 4, slabs = (vectors + SLAB - 1) / SLAB;
    for (int s = 0; s < slabs; s++) {
        const int v0 = vectors * s / slabs, v1 = vectors * (s + 1) / slabs;
        spmm_slab(g, lo, hi, 4 * v0, 4 * v1, slab_kernels[v1 - v0]);
    }
    if (g->N % 4) spmm_slab(g, lo, hi, 4 * vectors, g->N, slab_tail);
}

/* The first output row of thread t of nt: the rows split where the nonzeros before them cross
 * t/nt of all, so that every thread has as many FMAs. */
static int split(const spmm_job *g, int t, int nt) {
    const long target = (long)g->start[g->n] * t / nt;
    int lo = 0, hi = g->n;
    while (lo < hi) { /* the first row whose nonzeros before it reach the target */
        const int mid = (lo + hi) / 2;
        if (g->start[mid] < target) lo = mid + 1;
        else hi = mid;
    }
    return t == nt ? g->n : lo;
}

static void sparse_matmul(double *C, const mlp_sparse *A, const double *B, mlp_form form, int N,
                          int nt) {
    if (form == MLP_ABt) mlp_die("the sparse products are A.B and A^T.B, not A.B^T");
    const bool ab = form == MLP_AB;
    spmm_job g = {
        .C = C, .B = B, .N = N,
        .n = ab ? A->rows : A->cols,
        .bits = ab ? A->row_bits : A->col_bits,
        .nwords = words(ab ? A->cols : A->rows),
        .vals = ab ? A->a : A->at,
        .ld = ab ? A->cols : A->rows,
        .start = ab ? A->row_start : A->col_start,
    };
    if (g.n <= 0 || N <= 0) return;
    if (g.nwords == 0) { /* an empty sum */
        memset(C, 0, (size_t)g.n * N * sizeof *C);
        return;
    }
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        {
            const int t = omp_get_thread_num(), T = omp_get_num_threads();
            spmm_rows(&g, split(&g, t, T), split(&g, t + 1, T));
        }
    } else {
        spmm_rows(&g, 0, g.n);
    }
}

/* The index on the threads when it is built outside a parallel region (a batch is indexed
 * once, by the thread that gathers it), serially inside one: a thread for every 20,000
 * elements at most, some 8 us of one thread's work. The same bits either way. */
void mlp_sparse_index(mlp_sparse *s, const double *A, int rows, int cols) {
    const int most = (int)((double)rows * cols / 20000) + 1, nt = omp_get_max_threads();
    sparse_index(s, A, rows, cols, omp_in_parallel() ? 1 : nt < most ? nt : most);
}

void mlp_matmul_sparse_simd(double *C, const mlp_sparse *A, const double *B, mlp_form form,
                            int N) {
    sparse_matmul(C, A, B, form, N, 1);
}

/* As the dense simd_omp: a thread for every 2 MFLOP at most, here of the FMAs actually done. */
enum { FLOP_PER_THREAD = 2000000 };

void mlp_matmul_sparse_simd_omp(double *C, const mlp_sparse *A, const double *B, mlp_form form,
                                int N) {
    const double flop = 2.0 * A->row_start[A->rows] * N;
    const int most = (int)(flop / FLOP_PER_THREAD) + 1, nt = omp_get_max_threads();
    sparse_matmul(C, A, B, form, N, nt < most ? nt : most);
}
