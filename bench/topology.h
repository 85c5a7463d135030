/* topology.h: where bench_all's threads run. hwloc describes the machine (or an XML file, or a
 * synthetic description such as "package:1 l3:2 core:8 pu:2"); a small summary of it (cores, the
 * L3 domain of each, their hardware threads) feeds the placement, a pure function, so that the
 * placements of a 16- or 64-core Ryzen can be printed and tested on any machine. Binding is the
 * only part that touches threads: each OpenMP thread binds itself and reads the binding back. */
#ifndef BENCH_TOPOLOGY_H
#define BENCH_TOPOLOGY_H

#include <stddef.h>

#define MLPB_MAX_CORES 1024
#define MLPB_MAX_SMT 8

typedef struct {
    int l3;                   /* L3 domain (logical index; the package when there is no L3) */
    int n_pus;                /* hardware threads of this core */
    int pu[MLPB_MAX_SMT];     /* their OS indices, as hwloc_bitmap_only takes them */
} mlpb_core;

typedef struct {
    int n_cores, n_pus, n_l3, n_numa, n_packages;
    long l1d_bytes, l2_bytes, l3_bytes; /* one cache of each level (0: none) */
    mlpb_core core[MLPB_MAX_CORES];     /* in hwloc's logical order */
} mlpb_topo_summary;

typedef enum { MLPB_PIN_COMPACT, MLPB_PIN_SPREAD, MLPB_PIN_NONE } mlpb_pin;

/* "compact", "spread", "none" -> policy; -1 for anything else. */
int mlpb_pin_parse(const char *s);
const char *mlpb_pin_name(mlpb_pin pin);

/* The placement of n threads: core_of[t] (an index into s->core) and pu_of[t] (an OS PU index)
 * for t < n. compact fills one L3 domain before the next, spread deals cores round-robin over the
 * domains; either way every core gets a thread before any core gets a second one (its SMT
 * sibling). Returns 0, or -1 when n is not in [1, s->n_pus] or pin is MLPB_PIN_NONE. */
int mlpb_place(int *core_of, int *pu_of, const mlpb_topo_summary *s, mlpb_pin pin, int n);

/* The default thread sweep: 1, 2, 4, 8, ... below the core count, then the core count itself.
 * Returns how many counts it wrote into out (at most max). */
int mlpb_default_sweep(int *out, int max, int n_cores);

/* Parse "1,2,8" into out: every entry a whole number in [1, max_threads], at most max entries.
 * Returns the count, or -1 with one line in err. */
int mlpb_parse_threads(int *out, int max, const char *list, int max_threads, char *err,
                       size_t errlen);

/* The loaded topology (opaque: keeps hwloc out of the other files). */
typedef struct mlpb_topo mlpb_topo;

/* Load this machine's topology (source NULL), an hwloc XML file (a path ending in .xml) or a
 * synthetic description. NULL with one line in err on failure. */
mlpb_topo *mlpb_topo_load(const char *source, char *err, size_t errlen);
void mlpb_topo_free(mlpb_topo *t);
const mlpb_topo_summary *mlpb_topo_summary_of(const mlpb_topo *t);
/* One line: "1 package, 2 L3 domains, 16 cores, 32 PUs, 1 NUMA node; L1d 32 KiB, ..." */
void mlpb_topo_describe(char *out, size_t n, const mlpb_topo_summary *s);

/* Bind the threads of an OpenMP team of n to the placement (each thread binds itself, then reads
 * its binding back), and describe it in out: "thread 0 -> core 0 (L3 0, PU 0); ...". With
 * MLPB_PIN_NONE nothing is bound. Returns 0, or -1 with one line in err when a binding failed or
 * did not read back as made. Only meaningful on the machine's own topology. */
int mlpb_bind_team(mlpb_topo *t, mlpb_pin pin, int n, char *out, size_t outlen, char *err,
                   size_t errlen);

/* hwloc's version, for machine.md. */
const char *mlpb_hwloc_version(void);

#endif
