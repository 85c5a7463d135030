/* topology.c: hwloc's view of the machine, the placement of threads on it, and the binding.
 *
 * The placement is a pure function of a summary (cores, each with its L3 domain and PUs), so the
 * same code that pins threads on this 2-core machine prints and tests the placements of a Ryzen 9
 * 5950X (two 8-core L3 domains) or a 64-core Threadripper (eight). Binding is done by each OpenMP
 * thread on itself, because only a thread's own binding survives the runtime reusing its pool, and
 * is read back at once so that a binding the OS refused never goes unnoticed into a report.
 */
#define _POSIX_C_SOURCE 200809L
#include "topology.h"

#include <errno.h>
#include <hwloc.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mlpb_topo {
    hwloc_topology_t h;
    mlpb_topo_summary s;
};

int mlpb_pin_parse(const char *s) {
    if (strcmp(s, "compact") == 0) return MLPB_PIN_COMPACT;
    if (strcmp(s, "spread") == 0) return MLPB_PIN_SPREAD;
    if (strcmp(s, "none") == 0) return MLPB_PIN_NONE;
    return -1;
}

const char *mlpb_pin_name(mlpb_pin pin) {
    return pin == MLPB_PIN_COMPACT ? "compact" : pin == MLPB_PIN_SPREAD ? "spread" : "none";
}

/* The order in which cores receive their first thread. compact: domain by domain; spread: one
 * core of each domain in turn. Within a domain, hwloc's logical order. */
static void core_order(int *order, const mlpb_topo_summary *s, mlpb_pin pin) {
    int n = 0;
    if (pin == MLPB_PIN_COMPACT) {
        int max_l3 = 0;
        for (int c = 0; c < s->n_cores; c++)
            if (s->core[c].l3 > max_l3) max_l3 = s->core[c].l3;
        for (int d = 0; d <= max_l3; d++)
            for (int c = 0; c < s->n_cores; c++)
                if (s->core[c].l3 == d) order[n++] = c;
        return;
    }
    /* spread: the k-th core of every domain before the (k+1)-th of any */
    int taken[MLPB_MAX_CORES] = {0};
    while (n < s->n_cores) {
        int seen_l3[MLPB_MAX_CORES], n_seen = 0;
        for (int c = 0; c < s->n_cores; c++) {
            if (taken[c]) continue;
            int seen = 0;
            for (int i = 0; i < n_seen; i++) seen |= seen_l3[i] == s->core[c].l3;
            if (seen) continue;
            seen_l3[n_seen++] = s->core[c].l3;
            taken[c] = 1;
            order[n++] = c;
        }
    }
}

int mlpb_place(int *core_of, int *pu_of, const mlpb_topo_summary *s, mlpb_pin pin, int n) {
    if (pin == MLPB_PIN_NONE || n < 1 || n > s->n_pus) return -1;
    int order[MLPB_MAX_CORES];
    core_order(order, s, pin);
    /* Round r gives each core in order its r-th PU: SMT siblings only once every core has one. */
    int t = 0;
    for (int r = 0; r < MLPB_MAX_SMT && t < n; r++)
        for (int i = 0; i < s->n_cores && t < n; i++) {
            const mlpb_core *c = &s->core[order[i]];
            if (r >= c->n_pus) continue;
            core_of[t] = order[i];
            pu_of[t] = c->pu[r];
            t++;
        }
    return t == n ? 0 : -1;
}

int mlpb_default_sweep(int *out, int max, int n_cores) {
    int n = 0;
    for (int t = 1; t < n_cores && n < max - 1; t *= 2) out[n++] = t;
    if (n < max) out[n++] = n_cores;
    return n;
}

int mlpb_parse_threads(int *out, int max, const char *list, int max_threads, char *err,
                       size_t errlen) {
    int n = 0;
    const char *p = list;
    for (;;) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || (*end && *end != ',') || errno) {
            snprintf(err, errlen, "--threads %s: expected a comma-separated list of whole numbers",
                     list);
            return -1;
        }
        if (v < 1 || v > max_threads) {
            snprintf(err, errlen, "--threads %s: %ld is not in 1..%d (this machine's hardware "
                     "threads)", list, v, max_threads);
            return -1;
        }
        if (n == max) {
            snprintf(err, errlen, "--threads %s: more than %d thread counts", list, max);
            return -1;
        }
        out[n++] = (int)v;
        if (!*end) return n;
        p = end + 1;
    }
}

static long cache_size(hwloc_topology_t h, hwloc_obj_type_t type) {
    hwloc_obj_t o = hwloc_get_obj_by_type(h, type, 0);
    return o && o->attr ? (long)o->attr->cache.size : 0;
}

static void summarize(mlpb_topo_summary *s, hwloc_topology_t h) {
    memset(s, 0, sizeof *s);
    s->n_pus = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PU);
    s->n_l3 = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_L3CACHE);
    s->n_numa = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
    s->n_packages = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PACKAGE);
    s->l1d_bytes = cache_size(h, HWLOC_OBJ_L1CACHE);
    s->l2_bytes = cache_size(h, HWLOC_OBJ_L2CACHE);
    s->l3_bytes = cache_size(h, HWLOC_OBJ_L3CACHE);
    /* A machine that reports no cores gets one per PU. */
    hwloc_obj_type_t unit =
        hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    int n = hwloc_get_nbobjs_by_type(h, unit);
    if (n > MLPB_MAX_CORES) n = MLPB_MAX_CORES;
    for (int i = 0; i < n; i++) {
        hwloc_obj_t core = hwloc_get_obj_by_type(h, unit, (unsigned)i);
        hwloc_obj_t dom = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_L3CACHE, core);
        if (!dom) dom = hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, core);
        mlpb_core *c = &s->core[s->n_cores++];
        c->l3 = dom ? (int)dom->logical_index : 0;
        hwloc_obj_t pu = NULL;
        while (c->n_pus < MLPB_MAX_SMT &&
               (pu = hwloc_get_next_obj_inside_cpuset_by_type(h, core->cpuset, HWLOC_OBJ_PU, pu)))
            c->pu[c->n_pus++] = (int)pu->os_index;
    }
}

mlpb_topo *mlpb_topo_load(const char *source, char *err, size_t errlen) {
    mlpb_topo *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory loading the topology");
        return NULL;
    }
    int rc = hwloc_topology_init(&t->h);
    if (rc == 0 && source) {
        size_t len = strlen(source);
        int xml = len > 4 && strcmp(source + len - 4, ".xml") == 0;
        rc = xml ? hwloc_topology_set_xml(t->h, source) : hwloc_topology_set_synthetic(t->h, source);
        if (rc) {
            snprintf(err, errlen, "--topology %s: not a readable hwloc %s", source,
                     xml ? "XML file" : "synthetic description (e.g. \"package:1 l3:2 core:8 pu:2\")");
            hwloc_topology_destroy(t->h);
            free(t);
            return NULL;
        }
    }
    if (rc == 0) rc = hwloc_topology_load(t->h);
    if (rc) {
        snprintf(err, errlen, "hwloc could not load the topology%s%s", source ? " of " : "",
                 source ? source : "");
        hwloc_topology_destroy(t->h);
        free(t);
        return NULL;
    }
    summarize(&t->s, t->h);
    return t;
}

void mlpb_topo_free(mlpb_topo *t) {
    if (!t) return;
    hwloc_topology_destroy(t->h);
    free(t);
}

const mlpb_topo_summary *mlpb_topo_summary_of(const mlpb_topo *t) { return &t->s; }

void mlpb_topo_describe(char *out, size_t n, const mlpb_topo_summary *s) {
    snprintf(out, n,
             "%d package%s, %d L3 domain%s, %d cores, %d PUs, %d NUMA node%s; "
             "L1d %ld KiB, L2 %ld KiB, L3 %ld KiB per cache",
             s->n_packages, s->n_packages == 1 ? "" : "s", s->n_l3, s->n_l3 == 1 ? "" : "s",
             s->n_cores, s->n_pus, s->n_numa, s->n_numa == 1 ? "" : "s", s->l1d_bytes / 1024,
             s->l2_bytes / 1024, s->l3_bytes / 1024);
}

int mlpb_bind_team(mlpb_topo *t, mlpb_pin pin, int n, char *out, size_t outlen, char *err,
                   size_t errlen) {
    omp_set_num_threads(n);
    if (pin == MLPB_PIN_NONE) {
        snprintf(out, outlen, "%d thread%s, not bound (--pin none)", n, n == 1 ? "" : "s");
        return 0;
    }
    int *core_of = malloc(sizeof(int) * (size_t)n), *pu_of = malloc(sizeof(int) * (size_t)n);
    int *ok = calloc((size_t)n, sizeof(int));
    int rc = -1, team = 0;
    if (!core_of || !pu_of || !ok) {
        snprintf(err, errlen, "out of memory binding %d threads", n);
    } else if (!hwloc_topology_is_thissystem(t->h)) {
        snprintf(err, errlen, "cannot bind threads on a topology that is not this machine's");
    } else if (mlpb_place(core_of, pu_of, &t->s, pin, n) != 0) {
        snprintf(err, errlen, "cannot place %d threads on %d hardware threads", n, t->s.n_pus);
    } else {
#pragma omp parallel num_threads(n)
        {
            int i = omp_get_thread_num();
            if (i == 0) team = omp_get_num_threads();
            hwloc_bitmap_t want = hwloc_bitmap_alloc(), got = hwloc_bitmap_alloc();
            if (want && got) {
                hwloc_bitmap_only(want, (unsigned)pu_of[i]);
                ok[i] = hwloc_set_cpubind(t->h, want, HWLOC_CPUBIND_THREAD) == 0 &&
                        hwloc_get_cpubind(t->h, got, HWLOC_CPUBIND_THREAD) == 0 &&
                        hwloc_bitmap_isequal(want, got);
            }
            hwloc_bitmap_free(want);
            hwloc_bitmap_free(got);
        }
        rc = 0;
        if (team != n) {
            snprintf(err, errlen, "the OpenMP runtime gave %d threads instead of %d", team, n);
            rc = -1;
        }
        size_t used = 0;
        out[0] = '\0';
        for (int i = 0; i < n && rc == 0; i++) {
            if (!ok[i]) {
                snprintf(err, errlen, "thread %d could not be bound to PU %d (or did not read "
                         "back as bound)", i, pu_of[i]);
                rc = -1;
            }
            const mlpb_core *c = &t->s.core[core_of[i]];
            if (used < outlen)
                used += (size_t)snprintf(out + used, outlen - used, "%sthread %d -> core %d (L3 %d, PU %d)",
                                         i ? "; " : "", i, core_of[i], c->l3, pu_of[i]);
        }
    }
    free(core_of);
    free(pu_of);
    free(ok);
    return rc;
}

const char *mlpb_hwloc_version(void) {
    static char v[32];
    unsigned api = hwloc_get_api_version();
    snprintf(v, sizeof v, "hwloc %u.%u.%u", api >> 16, (api >> 8) & 0xff, api & 0xff);
    return v;
}
