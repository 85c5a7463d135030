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

/* Register fn(st, arg) under name, "<kernel>/<variant>/<shape>/threads:<n>". One iteration of
 * fn's timed loop holds `units` units of work named `unit` ("" for one call; "element",
 * "perturbation" ...), each doing flops floating-point operations and moving bytes bytes (0 when
 * that is not the bound that matters). They become Google Benchmark counters (FLOP/s, bytes/s,
 * s/<unit>), and the records' figures are per unit. arg must outlive the run. */
void mlpb_gb_register(const char *name, mlpb_gb_fn fn, void *arg, double units, const char *unit,
                      double flops, double bytes);

/* The timed loop: while (mlpb_gb_keep_running(st)) { work }. Setup before it is not timed. */
int mlpb_gb_keep_running(mlpb_gb_state *st);

/* The label of this benchmark, shown by Google Benchmark and kept in the record. */
void mlpb_gb_label(mlpb_gb_state *st, const char *label);
/* Mark the benchmark failed (one line); the caller must not enter the timed loop afterwards. */
void mlpb_gb_skip(mlpb_gb_state *st, const char *message);

/* Called with every finished record as soon as it is measured (e.g. to save it at once). */
typedef void (*mlpb_gb_sink)(const mlpb_record *rec, void *ctx);

/* Run the registered benchmarks that Google Benchmark's filter selects, printing progress (name,
 * done of total, time left) on stderr, and calling sink with each record as it completes. The
 * records (an array owned by the shim, valid until mlpb_gb_shutdown) and how many are returned;
 * failed or skipped benchmarks have no record. */
int mlpb_gb_run(const mlpb_record **recs, mlpb_gb_sink sink, void *ctx);

/* The records so far (e.g. from a sink, while the run goes on): valid until the next one
 * completes. Returns how many. */
int mlpb_gb_records(const mlpb_record **recs);

/* Async-signal-safe: the running benchmark stops, the remaining ones are skipped. */
void mlpb_gb_request_stop(void);
int mlpb_gb_stop_requested(void);

void mlpb_gb_shutdown(void);

#ifdef __cplusplus
}
#endif

#endif
