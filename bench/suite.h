/* suite.h: what bench_all measures, as a matrix of kernels x variants x shapes x thread counts,
 * registered with the Google Benchmark shim. Each benchmark binds its OpenMP team to cores
 * before its timed loop and records the binding it checked. */
#ifndef BENCH_SUITE_H
#define BENCH_SUITE_H

#include <regex.h>
#include <stdbool.h>

#include "bench_record.h"
#include "mlp_idx.h"
#include "topology.h"
#include "workload.h"

typedef struct {
    const int *sweep; /* thread counts for the threaded variants */
    int n_sweep;
    bool quick;
    mlpb_topo *topo;
    mlpb_pin pin;
    const mlp_dataset *train; /* the network's benchmarks run on its first batch */
    const regex_t *filter;    /* NULL: everything; the machine's limits are always measured */
    mlpb_machine *machine;    /* its binding text grows as thread counts are first bound */
} mlpb_suite;

/* The variant names of the network's kernels, each once, in table order (naive first): what
 * the forward, backprop and training rows run over. Returns how many (at most max). */
int mlpb_network_variants(const char **names, int max);

/* Register every benchmark; returns how many. */
int mlpb_suite_register(const mlpb_suite *s);

/* Bind an OpenMP team of n threads under s's policy and, the first time n is bound, add the
 * binding to s->machine->binding. 0, or -1 with one line in err. */
int mlpb_suite_bind(const mlpb_suite *s, int n, char *err, size_t errlen);

/* Does the filter select this name? */
bool mlpb_suite_selects(const mlpb_suite *s, const char *name);

void mlpb_suite_free(void);

#endif
