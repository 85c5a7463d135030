/* gbench.h: a C API over Google Benchmark (after IREE's iree/testing/benchmark.h). Everything C++
 * stays in gbench.cc. Every benchmark is timed in real time, since OpenMP work runs on threads
 * other than the caller's, and every repetition is collected as an mlpb_record for the reports;
 * Google Benchmark's console output, JSON file and flags work as usual. */
#ifndef BENCH_GBENCH_H
#define BENCH_GBENCH_H

#include "bench_record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mlpb_gb_state mlpb_gb_state; /* a benchmark::State */
typedef void (*mlpb_gb_fn)(mlpb_gb_state *st, void *arg);

/* Pass argv through benchmark::Initialize: it consumes the --benchmark_* flags it knows and
 * leaves the rest in argv. Call once, before registering. */
void mlpb_gb_init(int *argc, char **argv);

/* Register fn(st, arg) under name, "<kernel>/<variant>/<shape>/threads:<n>". Per iteration it
 * does flops floating-point operations and moves bytes bytes (0 when not the bound that
 * matters); they become FLOP/s and bytes/s counters. units: how many units one iteration holds
 * (e.g. perturbations): the record's times are per unit. arg must outlive the run. */
void mlpb_gb_register(const char *name, mlpb_gb_fn fn, void *arg, double flops, double bytes,
                      double units);

/* The timed loop: while (mlpb_gb_keep_running(st)) { work }. Setup before it is not timed. */
int mlpb_gb_keep_running(mlpb_gb_state *st);

enum { MLPB_GB_RATE = 1, MLPB_GB_INVERT = 2 };
/* A counter of value per iteration; MLPB_GB_RATE: per second; with MLPB_GB_INVERT: seconds per
 * unit (e.g. seconds per perturbation). */
void mlpb_gb_counter(mlpb_gb_state *st, const char *name, double value, int flags);
void mlpb_gb_label(mlpb_gb_state *st, const char *label);
/* Mark the benchmark failed (one line); the caller must not enter the timed loop afterwards. */
void mlpb_gb_skip(mlpb_gb_state *st, const char *message);

/* Called with every finished record as soon as it is measured (e.g. to save it at once). */
typedef void (*mlpb_gb_sink)(const mlpb_record *rec, void *ctx);

/* Run the registered benchmarks that Google Benchmark's filter selects, printing progress (name,
 * done of total, time left) on stderr. The records (array owned by the shim, valid until
 * mlpb_gb_shutdown) and how many are returned; failed or skipped benchmarks have no record. */
int mlpb_gb_run(const mlpb_record **recs, mlpb_gb_sink sink, void *ctx);

/* Async-signal-safe: the running benchmark stops, the remaining ones are skipped. */
void mlpb_gb_request_stop(void);
int mlpb_gb_stop_requested(void);

void mlpb_gb_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif
