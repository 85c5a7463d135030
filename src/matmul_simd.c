/* matmul, simd and simd_omp: a BLIS/GotoBLAS-style GEMM with an AVX2+FMA micro-kernel.
 *
 * Over naive's one-dot-product-per-element, this step reorganises the loops around the caches
 * and the registers: a 6x8 micro-kernel keeps a whole tile of C in 12 ymm registers while it
 * streams a panel of MR rows of op(A) and one of NR columns of op(B) through FMAs, and the loop
 * nest around it (after BLIS: jc over NC columns, pc over KC of the K-sum, ic over MC rows, jr
 * over NR, ir over MR) keeps the B micro-panel in L1 and the A block in L2. The three forms (AB,
 * AtB, ABt) differ only in strides, which the micro-kernel takes as they are.
 *
 * Packing, the copy of each block into contiguous, 64-byte-aligned panels that GotoBLAS does
 * always, is done only where it pays here: the network's products are small, so a copy costs as
 * much as a few percent of the FMAs, and most of their panels can be read in place (rows of A
 * contiguous along k; rows of op(B) contiguous along j). Packed: op(B) of ABt; any op(B) whose
 * row stride would pile a panel into a few L1 sets (N = 64, 1024 ...); op(A) of AtB when many B
 * panels reuse it; and the last, partial panels, zero-padded.
 *
 * Every C element is summed in the same order on every path: one FMA chain per block of the
 * K-sum (blocks of at most KC, sized from K alone), the blocks added to C in order. simd_omp
 * splits the rows of C among threads (on multiples of MR) and packs B together, so the bits do
 * not depend on the thread count and threads write disjoint whole rows of C. Without AVX2+FMA
 * both run a portable C micro-kernel through the same blocking.
 */
#include <immintrin.h>
#include <omp.h>
#include <string.h>

#include "mlp_kernels_impl.h"

/* Register tile and cache blocks, the one place to tune them: BLIS's haswell/zen values for
 * doubles. MR x NR = 6x8 uses 12 of the 16 ymm registers for C, 2 for a row of B, 1 for a
 * broadcast element of A. KC x NR doubles of B (16 KiB) fit L1, MC x KC of A (144 KiB) fits L2,
 * KC x NC of B (8 MiB) is the L3 share. MC is a multiple of MR and NC of NR. */
enum { MR = 6, NR = 8, MC = 72, KC = 256, NC = 4080 };

/* The micro-kernel contract: element (i,k) of the MR x kc panel of A is a[i*a_rs + k*a_cs],
 * row k of the kc x NR panel of B is at b + k*b_ks (NR contiguous doubles); the m x n top-left
 * corner of their product is written to c (row stride ldc), or added to it unless first. A and
 * B are read where they are when their layout allows it, and from packed copies otherwise (see
 * gemm_thread). */
typedef struct {
    const double *a;
    size_t a_rs, a_cs;
    const double *b;
    size_t b_ks;
} panels;

typedef void (*micro_kernel_fn)(double *c, size_t ldc, const panels *p, int m, int n, int kc,
                                bool first);

/* Write an MR x NR tile of sums t into the m x n corner of c; shared by both kernels so that
 * edge tiles add in the same way everywhere. */
static void store_tile(double *c, double t[MR][NR], size_t ldc, int m, int n, bool first) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[i * ldc + j] = first ? t[i][j] : c[i * ldc + j] + t[i][j];
}

/* Only the n columns of B that C needs: a panel read in place may be 4 wide, the last of B. */
static void micro_kernel_portable(double *c, size_t ldc, const panels *p, int m, int n, int kc,
                                  bool first) {
    double t[MR][NR] = {{0}};
    for (int k = 0; k < kc; k++) {
        const double *b = p->b + k * p->b_ks;
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < n; j++) t[i][j] += p->a[i * p->a_rs + k * p->a_cs] * b[j];
    }
    store_tile(c, t, ldc, m, n, first);
}

/* The tile of C lives in named registers for the whole K loop: written as an array, gcc 12
 * keeps a copy of it on the stack and stores every accumulator every iteration. W is the
 * width in vectors: 2 for the 6x8 tile (12 accumulators), 1 for the 6x4 one that finishes a C
 * whose width leaves 4 or fewer columns (N = 100: half the FMAs of the last panel). */
#define MLP_FMA_ROW(i)                                                                            \
    ai = _mm256_broadcast_sd(packed ? a + i : a##i + off);                                       \
    c##i##0 = _mm256_fmadd_pd(ai, b0, c##i##0);                                                  \
    if (W == 2) c##i##1 = _mm256_fmadd_pd(ai, b1, c##i##1);

/* packed: A is a packed panel (a_rs 1, a_cs MR), read through one pointer; else six rows, read
 * in place. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
micro_kernel_w(double *c, size_t ldc, const panels *p, int m, int n, int kc, bool first,
               const int W, const bool packed) {
    __m256d c00 = _mm256_setzero_pd(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256d c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    const double *a = p->a, *a0 = a, *a1 = a0 + p->a_rs, *a2 = a1 + p->a_rs, *a3 = a2 + p->a_rs;
    const double *a4 = a3 + p->a_rs, *a5 = a4 + p->a_rs, *b = p->b;
    const size_t a_cs = packed ? MR : p->a_cs, b_ks = p->b_ks;
    size_t off = 0;
#pragma GCC unroll 4
    for (int k = 0; k < kc; k++, off += a_cs, a += MR, b += b_ks) {
        const __m256d b0 = _mm256_loadu_pd(b), b1 = W == 2 ? _mm256_loadu_pd(b + 4) : b0;
        __m256d ai;
        MLP_FMA_ROW(0) MLP_FMA_ROW(1) MLP_FMA_ROW(2) MLP_FMA_ROW(3) MLP_FMA_ROW(4) MLP_FMA_ROW(5)
    }
    const __m256d t[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                              {c30, c31}, {c40, c41}, {c50, c51}};
    if (m == MR && n == 4 * W) {
        for (int i = 0; i < MR; i++, c += ldc)
            for (int v = 0; v < W; v++) {
                const __m256d sum = first ? t[i][v] : _mm256_add_pd(_mm256_loadu_pd(c + 4 * v), t[i][v]);
                _mm256_storeu_pd(c + 4 * v, sum);
            }
        return;
    }
    double tile[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int v = 0; v < W; v++) _mm256_storeu_pd(tile[i] + 4 * v, t[i][v]);
    store_tile(c, tile, ldc, m, n, first);
}
#undef MLP_FMA_ROW

__attribute__((target("avx2,fma"))) static void micro_kernel_avx2(double *c, size_t ldc,
                                                                   const panels *p, int m, int n,
                                                                   int kc, bool first) {
    const bool packed = p->a_rs == 1 && p->a_cs == MR;
    if (n <= 4) {
        if (packed) micro_kernel_w(c, ldc, p, m, n, kc, first, 1, true);
        else micro_kernel_w(c, ldc, p, m, n, kc, first, 1, false);
    } else {
        if (packed) micro_kernel_w(c, ldc, p, m, n, kc, first, 2, true);
        else micro_kernel_w(c, ldc, p, m, n, kc, first, 2, false);
    }
}

/* Pack the w x kc block whose element (r,k) is src[r*rs + k*cs] into panels of R rows, each
 * stored k-major (R consecutive doubles per k), rows past w zero. A panel of op(A) is R = MR rows
 * of A; a panel of op(B) is R = NR columns of B. Where the R elements of one k are contiguous in
 * src (rs == 1: AB's B, AtB's A and B) a full panel's k is copied as one short vector; otherwise
 * each panel is read row by row, along the contiguous k. always_inline, so that R is a constant
 * in each copy and the copies unroll (memcpy of 48 or 64 bytes is a call per k). */
__attribute__((always_inline)) static inline void pack(double *dst, const double *src, size_t rs,
                                                       size_t cs, int w, int kc, int R) {
    for (int p = 0; p < w; p += R, src += (size_t)R * rs, dst += (size_t)R * kc) {
        const int r_end = w - p < R ? w - p : R;
        if (rs == 1 && r_end == R) {
            for (int k = 0; k < kc; k++)
                for (int r = 0; r < R; r++) dst[(size_t)k * R + r] = src[(size_t)k * cs + r];
            continue;
        }
        for (int r = 0; r < r_end; r++)
            for (int k = 0; k < kc; k++) dst[(size_t)k * R + r] = src[r * rs + (size_t)k * cs];
        for (int r = r_end; r < R; r++)
            for (int k = 0; k < kc; k++) dst[(size_t)k * R + r] = 0.0;
    }
}

static void pack_a(double *dst, const double *src, size_t rs, size_t cs, int w, int kc) {
    pack(dst, src, rs, cs, w, kc, MR);
}

static void pack_b(double *dst, const double *src, size_t rs, size_t cs, int w, int kc) {
    pack(dst, src, rs, cs, w, kc, NR);
}

/* One call's shared state. op(A)(i,k) = A[i*a_rs + k*a_cs], op(B)(k,j) = B[k*b_rs + j*b_cs]. */
typedef struct {
    double *C;
    const double *A, *B;
    size_t a_rs, a_cs, b_rs, b_cs;
    int M, N, K;
    double *bpack; /* the kc x nc block of op(B), packed by the threads together, or NULL when
                      op(B)'s rows are contiguous (AB, AtB) and its panels are read in place */
    micro_kernel_fn kernel;
} gemm_job;

/* The block size for a dimension of n at most max: as few blocks as max allows, of equal sizes
 * (784 = 4 x 196, not 3 x 256 + 16, whose last block would run a K loop too short to pay for
 * its loads and stores of C), rounded up to a multiple of step. */
static int balanced(int n, int max, int step) {
    const int blocks = (n + max - 1) / max, size = (n + blocks - 1) / blocks;
    return (size + step - 1) / step * step;
}

/* Thread t of nt: computes rows [MR*P*t/nt, MR*P*(t+1)/nt) of C (P = panels of MR rows). With
 * nt > 1 it must run inside a parallel region of nt threads, and packs its share of each block
 * of B when B is packed; with nt == 1 it uses no OpenMP construct, so a caller's own region is
 * no concern. Panels are read in place where they are whole (MR rows of A; NR or 4 columns of
 * a contiguous op(B)): a copy costs as much as a few percent of the FMAs. Only the last, partial
 * panels are packed, zero-padded, by each thread for itself, and the blocks whose layout
 * would cost more than a copy. */
static void gemm_thread(const gemm_job *g, int t, int nt) {
    const int panels_m = (g->M + MR - 1) / MR;
    const int m_lo = (int)((long long)panels_m * t / nt) * MR;
    const int m_hi_p = (int)((long long)panels_m * (t + 1) / nt) * MR;
    const int m_hi = m_hi_p < g->M ? m_hi_p : g->M;
    const int kc_max = balanced(g->K, KC, 1), nc_max = balanced(g->N, NC, NR);
    const int mc_max = m_hi > m_lo ? balanced(m_hi - m_lo, MC, MR) : MR;
    /* op(A) whose k runs across rows (AtB) is read a cache line per k: worth a contiguous copy
     * when many B panels reuse it, not for a C only a few panels wide (N = 10). */
    const bool a_packed = g->a_cs != 1 && nc_max > 4 * NR;
    double *a_block = a_packed ? mlp_xalloc64((size_t)mc_max * kc_max * sizeof(double)) : NULL;
    /* On the stack: the products of the network are small enough for an allocation to show. */
    _Alignas(64) double a_edge[MR * KC], b_edge[NR * KC];
    for (int jc = 0; jc < g->N; jc += nc_max) {
        const int nc = g->N - jc < nc_max ? g->N - jc : nc_max;
        const int npanels = (nc + NR - 1) / NR;
        for (int pc = 0; pc < g->K; pc += kc_max) {
            const int kc = g->K - pc < kc_max ? g->K - pc : kc_max;
            const double *b = g->B + (size_t)pc * g->b_rs + (size_t)jc * g->b_cs;
            const double *a = g->A + (size_t)pc * g->a_cs;
            const int b_last = (npanels - 1) * NR, b_last_w = nc - b_last;
            if (g->bpack) {
                for (int p = t; p < npanels; p += nt) {
                    const int w = nc - p * NR < NR ? nc - p * NR : NR;
                    pack_b(g->bpack + (size_t)p * NR * kc, b + (size_t)p * NR * g->b_cs,
                           g->b_cs, g->b_rs, w, kc);
                }
                if (nt > 1) {
#pragma omp barrier
                }
            } else if (b_last_w != NR && b_last_w != 4) {
                pack_b(b_edge, b + (size_t)b_last * g->b_cs, g->b_cs, g->b_rs, b_last_w, kc);
            }
            for (int ic = m_lo; ic < m_hi; ic += mc_max) {
                const int mc = m_hi - ic < mc_max ? m_hi - ic : mc_max;
                const int a_last = (mc - 1) / MR * MR;
                if (a_packed)
                    pack_a(a_block, a + (size_t)ic * g->a_rs, g->a_rs, g->a_cs, mc, kc);
                else if (mc - a_last != MR)
                    pack_a(a_edge, a + (size_t)(ic + a_last) * g->a_rs, g->a_rs, g->a_cs,
                           mc - a_last, kc);
                for (int jr = 0; jr < nc; jr += NR) {
                    const int n = nc - jr < NR ? nc - jr : NR;
                    panels p;
                    if (g->bpack) {
                        p.b = g->bpack + (size_t)jr * kc;
                        p.b_ks = NR;
                    } else if (n == NR || n == 4) {
                        p.b = b + (size_t)jr * g->b_cs;
                        p.b_ks = g->b_rs;
                    } else {
                        p.b = b_edge;
                        p.b_ks = NR;
                    }
                    for (int ir = 0; ir < mc; ir += MR) {
                        const int m = mc - ir < MR ? mc - ir : MR;
                        if (a_packed) {
                            p.a = a_block + (size_t)ir * kc;
                            p.a_rs = 1;
                            p.a_cs = MR;
                        } else if (m == MR) {
                            p.a = a + (size_t)(ic + ir) * g->a_rs;
                            p.a_rs = g->a_rs;
                            p.a_cs = g->a_cs;
                        } else {
                            p.a = a_edge;
                            p.a_rs = 1;
                            p.a_cs = MR;
                        }
                        g->kernel(g->C + (size_t)(ic + ir) * g->N + jc + jr, (size_t)g->N, &p,
                                  m, n, kc, pc == 0);
                    }
                }
            }
            if (g->bpack && nt > 1) { /* B's block is repacked next round only when all are done */
#pragma omp barrier
            }
        }
    }
    free(a_block);
}

/* Can the kc rows of a B panel (NR doubles each, row stride ld doubles) stay in L1 while the
 * micro-kernel sweeps the A panels past it? A packed panel is contiguous. Read in place, row k
 * starts in L1 set (k*ld*8/64) mod 64 (64-byte lines and 64 sets, as in Zen's and Intel's L1d),
 * so the rows come back to the same set every 4096/gcd(ld*8, 4096) rows, each holding one line
 * of a row, or two when rows straddle lines: strides of a multiple of 512 bytes (N = 64, 96,
 * 1024 ...) pile the panel into a few sets, which evict each other on every pass. In place when
 * no set holds more than 6 of its lines: 8-way Zen L1s keep 2 ways for A and C. */
static bool b_fits_l1_in_place(size_t ld, int kc) {
    const size_t stride = ld * sizeof(double);
    size_t g = 4096, r = stride;
    while (r) { /* g = gcd(stride, 4096) */
        const size_t t = g % r;
        g = r;
        r = t;
    }
    const size_t period = 4096 / g, per_set = ((size_t)kc + period - 1) / period;
    return per_set * (stride % 64 ? 2 : 1) <= 6;
}

static void gemm(double *C, const double *A, const double *B, mlp_form form, int M, int N, int K,
                 int nt) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        memset(C, 0, (size_t)M * N * sizeof *C);
        return;
    }
    const int kc_max = balanced(K, KC, 1), nc_max = balanced(N, NC, NR);
    gemm_job g = {
        .C = C, .A = A, .B = B, .M = M, .N = N, .K = K,
        .a_rs = form == MLP_AtB ? 1 : (size_t)K, .a_cs = form == MLP_AtB ? (size_t)M : 1,
        .b_rs = form == MLP_ABt ? 1 : (size_t)N, .b_cs = form == MLP_ABt ? (size_t)K : 1,
        .bpack = form == MLP_ABt || !b_fits_l1_in_place((size_t)N, kc_max)
                     ? mlp_xalloc64((size_t)kc_max * nc_max * sizeof(double))
                     : NULL,
        .kernel = mlp_cpu_has_avx2_fma() ? micro_kernel_avx2 : micro_kernel_portable,
    };
    if (nt > 1) {
#pragma omp parallel num_threads(nt)
        gemm_thread(&g, omp_get_thread_num(), omp_get_num_threads());
    } else {
        gemm_thread(&g, 0, 1);
    }
    free(g.bpack);
}

void mlp_matmul_simd(double *C, const double *A, const double *B, mlp_form form, int M, int N,
                     int K) {
    gemm(C, A, B, form, M, N, K, 1);
}

/* A thread for every 2 MFLOP (40 us of one core's work) at most: the network's small products
 * (N or K = 10, 0.2 MFLOP) take longer to fork and join than to compute. The bits do not depend
 * on the thread count, so neither do they on this choice. */
enum { FLOP_PER_THREAD = 2000000 };

void mlp_matmul_simd_omp(double *C, const double *A, const double *B, mlp_form form, int M, int N,
                         int K) {
    const double flop = 2.0 * M * N * K;
    const int most = (int)(flop / FLOP_PER_THREAD) + 1, nt = omp_get_max_threads();
    gemm(C, A, B, form, M, N, K, nt < most ? nt : most);
}
