/* bench_record.h: one measured benchmark as bench_all's reports see it, and the machine it ran
 * on. The measuring side (the Google Benchmark shim) fills these; the reporting side
 * (report.c) turns them into tables and charts. Nothing else passes between the two. */
#ifndef BENCH_RECORD_H
#define BENCH_RECORD_H

#define MLPB_MAX_REPS 64

typedef struct {
    char name[160];    /* "<kernel>/<variant>/<shape>/threads:<n>", as in bench.json */
    char kernel[40];   /* matmul, sigmoid, softmax, forward, backprop, numgrad, peak, triad ... */
    char variant[40];  /* naive, simd, omp, simd_omp, openblas, libmvec, incremental ... */
    char shape[48];    /* "100x784x100", "1000000", "100x1000", "784-100-10/B100" ... */
    int threads;
    int reps;                     /* repetitions measured */
    double measured_units;        /* units timed in all, over every repetition's iterations */
    /* Times, flops and bytes are per unit: per call when unit is "", else per element,
     * perturbation ... so that variants timed over different amounts of work compare. */
    char unit[16];
    double rep_ns[MLPB_MAX_REPS]; /* real time per unit in each repetition, ns */
    double median_ns, mean_ns, stddev_ns, min_ns, cv; /* over the repetitions */
    double flops;      /* floating-point operations per unit (0: not compute-bound) */
    double bytes;      /* bytes moved per unit (0: not memory-bound) */
    char label[96];    /* Google Benchmark's label: what else a reader should know */
} mlpb_record;

typedef struct {
    char cpu_model[128];
    char topology[512];  /* hwloc summary: packages, L3 domains, cores, PUs, caches, NUMA */
    char binding[4096];  /* per thread count: thread -> core (L3 domain), checked after binding */
    char pin_policy[16]; /* compact | spread | none */
    int cores;           /* physical cores */
    double peak_gflops_1core, peak_gflops_all; /* measured FMA throughput */
    double triad_gbs_1core, triad_gbs_all;     /* measured memory bandwidth */
    char compiler[128], flags[256], openmp[64], libraries[256], git_commit[48], date[32];
    char simd_status[128];
    char openblas_core[96]; /* the kernels OpenBLAS runs, and who chose them */
} mlpb_machine;

/* One row of hours_vs_seconds.md: a training method and variant, measured or projected. */
typedef struct {
    char method[16];     /* backprop | numerical */
    char variant[40];
    int threads;
    double s_per_iter;   /* seconds per training iteration: the median of `runs` runs */
    int runs;            /* training runs behind s_per_iter (the NumPy rows: 1) ... */
    double s_min, s_max; /* ... and their fastest and slowest, per iteration */
    long measured;       /* how many units the figure was measured over ... */
    char unit[24];       /* ... "iterations" or "perturbations" */
    int run_through;     /* 1: the 10,000 iterations were run; 0: projected from `measured` */
    double loss_first, loss_last, test_accuracy; /* when run through (else NAN) */
} mlpb_training;

#endif
