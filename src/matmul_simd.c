/* matmul, simd and simd_omp: a BLIS/GotoBLAS-style GEMM with an AVX2+FMA micro-kernel.
 *
 * Over naive's one-dot-product-per-element, this step reorganises the loops around the caches:
 * op(A) and op(B) are copied ("packed") block by block into contiguous, 64-byte-aligned panels
 * of MR rows and NR columns, zero-padded at the edges, and a 6x8 micro-kernel keeps a whole tile
 * of C in 12 ymm registers while it streams a panel of each through FMAs. The packing routines
 * absorb the three forms (AB, AtB, ABt), so one loop nest and one micro-kernel serve them all.
 * Loop nest (after BLIS): jc over NC columns, pc over KC of the K-sum, pack B; ic over MC rows,
 * pack A; jr over NR, ir over MR, micro-kernel. The packed B micro-panel stays in L1, the packed
 * A block in L2, the packed B block in L3.
 *
 * Every C element is summed in the same order on every path: one FMA chain per KC block of the
 * K-sum, the blocks added to C in order. simd_omp splits the rows of C among threads (on
 * multiples of MR) and packs B together, so the bits do not depend on the thread count and
 * threads write disjoint whole rows of C. Without AVX2+FMA both run a portable C micro-kernel
 * through the same blocking.
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

/* The micro-kernel contract: a is an MR x kc panel (column k at a + k*MR), b a kc x NR panel
 * (row k at b + k*NR); the m x n top-left corner of their product is written to c (row stride
 * ldc), or added to it unless first. */
typedef void (*micro_kernel_fn)(double *c, const double *a, const double *b, size_t ldc, int m,
                                int n, int kc, bool first);

/* Write an MR x NR tile of sums t into the m x n corner of c; shared by both kernels so that
 * edge tiles add in the same way everywhere. */
static void store_tile(double *c, double t[MR][NR], size_t ldc, int m, int n, bool first) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) c[i * ldc + j] = first ? t[i][j] : c[i * ldc + j] + t[i][j];
}

static void micro_kernel_portable(double *c, const double *a, const double *b, size_t ldc, int m,
                                  int n, int kc, bool first) {
    double t[MR][NR] = {{0}};
    for (int k = 0; k < kc; k++, a += MR, b += NR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) t[i][j] += a[i] * b[j];
    store_tile(c, t, ldc, m, n, first);
}

__attribute__((target("avx2,fma"))) static void micro_kernel_avx2(double *c, const double *a,
                                                                   const double *b, size_t ldc,
                                                                   int m, int n, int kc,
                                                                   bool first) {
    __m256d t[MR][2];
    for (int i = 0; i < MR; i++) t[i][0] = t[i][1] = _mm256_setzero_pd();
    for (int k = 0; k < kc; k++, a += MR, b += NR) {
        const __m256d b0 = _mm256_load_pd(b), b1 = _mm256_load_pd(b + 4);
        for (int i = 0; i < MR; i++) {
            const __m256d ai = _mm256_broadcast_sd(a + i);
            t[i][0] = _mm256_fmadd_pd(ai, b0, t[i][0]);
            t[i][1] = _mm256_fmadd_pd(ai, b1, t[i][1]);
        }
    }
    if (m == MR && n == NR) {
        for (int i = 0; i < MR; i++, c += ldc) {
            if (!first) {
                t[i][0] = _mm256_add_pd(_mm256_loadu_pd(c), t[i][0]);
                t[i][1] = _mm256_add_pd(_mm256_loadu_pd(c + 4), t[i][1]);
            }
            _mm256_storeu_pd(c, t[i][0]);
            _mm256_storeu_pd(c + 4, t[i][1]);
        }
        return;
    }
    double tile[MR][NR];
    for (int i = 0; i < MR; i++) {
        _mm256_storeu_pd(tile[i], t[i][0]);
        _mm256_storeu_pd(tile[i] + 4, t[i][1]);
    }
    store_tile(c, tile, ldc, m, n, first);
}

/* Pack the w x kc block whose element (r,k) is src[r*rs + k*cs] into panels of R rows, each
 * stored k-major (R consecutive doubles per k), rows past w zero. A panel of op(A) is R = MR rows
 * of A; a panel of op(B) is R = NR columns of B. Where the R elements of one k are contiguous in
 * src (rs == 1: AB's B, AtB's A and B) a row is one memcpy. */
static void pack(double *dst, const double *src, size_t rs, size_t cs, int w, int kc, int R) {
    for (int p = 0; p < w; p += R, src += (size_t)R * rs) {
        const int r_end = w - p < R ? w - p : R;
        for (int k = 0; k < kc; k++, dst += R) {
            const double *s = src + (size_t)k * cs;
            if (rs == 1) {
                memcpy(dst, s, (size_t)r_end * sizeof *dst);
            } else {
                for (int r = 0; r < r_end; r++) dst[r] = s[r * rs];
            }
            for (int r = r_end; r < R; r++) dst[r] = 0.0;
        }
    }
}

/* One call's shared state. op(A)(i,k) = A[i*a_rs + k*a_cs], op(B)(k,j) = B[k*b_rs + j*b_cs]. */
typedef struct {
    double *C;
    const double *A, *B;
    size_t a_rs, a_cs, b_rs, b_cs;
    int M, N, K;
    double *bpack; /* the KC x NC block of op(B), shared by the threads */
    micro_kernel_fn kernel;
} gemm_job;

/* Thread t of nt: computes rows [MR*P*t/nt, MR*P*(t+1)/nt) of C (P = panels of MR rows), and
 * packs its share of each block of B. With nt > 1 it must run inside a parallel region of nt
 * threads; with nt == 1 it uses no OpenMP construct, so a caller's own region is no concern. */
static void gemm_thread(const gemm_job *g, int t, int nt) {
    const int panels = (g->M + MR - 1) / MR;
    const int m_lo = (int)((long long)panels * t / nt) * MR;
    const int m_hi_p = (int)((long long)panels * (t + 1) / nt) * MR;
    const int m_hi = m_hi_p < g->M ? m_hi_p : g->M;
    const int kc_max = g->K < KC ? g->K : KC;
    double *apack = mlp_xalloc64((size_t)MC * kc_max * sizeof(double));
    for (int jc = 0; jc < g->N; jc += NC) {
        const int nc = g->N - jc < NC ? g->N - jc : NC;
        const int npanels = (nc + NR - 1) / NR;
        for (int pc = 0; pc < g->K; pc += KC) {
            const int kc = g->K - pc < KC ? g->K - pc : KC;
            const double *b = g->B + (size_t)pc * g->b_rs + (size_t)jc * g->b_cs;
            for (int p = t; p < npanels; p += nt) {
                const int w = nc - p * NR < NR ? nc - p * NR : NR;
                pack(g->bpack + (size_t)p * NR * kc, b + (size_t)p * NR * g->b_cs, g->b_cs,
                     g->b_rs, w, kc, NR);
            }
            if (nt > 1) {
#pragma omp barrier
            }
            for (int ic = m_lo; ic < m_hi; ic += MC) {
                const int mc = m_hi - ic < MC ? m_hi - ic : MC;
                pack(apack, g->A + (size_t)ic * g->a_rs + (size_t)pc * g->a_cs, g->a_rs, g->a_cs,
                     mc, kc, MR);
                for (int jr = 0; jr < nc; jr += NR)
                    for (int ir = 0; ir < mc; ir += MR)
                        g->kernel(g->C + (size_t)(ic + ir) * g->N + jc + jr,
                                  apack + (size_t)ir * kc, g->bpack + (size_t)jr * kc,
                                  (size_t)g->N, mc - ir < MR ? mc - ir : MR,
                                  nc - jr < NR ? nc - jr : NR, kc, pc == 0);
            }
            if (nt > 1) { /* B's block is repacked next round only when every thread is done */
#pragma omp barrier
            }
        }
    }
    free(apack);
}

static void gemm(double *C, const double *A, const double *B, mlp_form form, int M, int N, int K,
                 int nt) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        memset(C, 0, (size_t)M * N * sizeof *C);
        return;
    }
    const int kc_max = K < KC ? K : KC, nc_max = N < NC ? (N + NR - 1) / NR * NR : NC;
    gemm_job g = {
        .C = C, .A = A, .B = B, .M = M, .N = N, .K = K,
        .a_rs = form == MLP_AtB ? 1 : (size_t)K, .a_cs = form == MLP_AtB ? (size_t)M : 1,
        .b_rs = form == MLP_ABt ? 1 : (size_t)N, .b_cs = form == MLP_ABt ? (size_t)K : 1,
        .bpack = mlp_xalloc64((size_t)kc_max * nc_max * sizeof(double)),
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

void mlp_matmul_simd_omp(double *C, const double *A, const double *B, mlp_form form, int M, int N,
                         int K) {
    gemm(C, A, B, form, M, N, K, omp_get_max_threads());
}
