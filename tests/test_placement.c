/* test_placement: bench_all's thread placement on synthetic hwloc topologies of the machines the
 * suite is for: a Ryzen 9 5950X (16 cores, two 8-core L3 domains, SMT 2) and a 64-core
 * Threadripper (eight L3 domains), plus the default thread sweep and the --threads parser. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "topology.h"

static const char *R5950X = "package:1 l3:2 core:8 pu:2";
static const char *TR64 = "package:1 l3:8 core:8 pu:2";

static const mlpb_topo_summary *load(mlpb_topo **t, const char *desc) {
    char err[256];
    *t = mlpb_topo_load(desc, err, sizeof err);
    if (!*t) {
        fprintf(stderr, "%s\n", err);
        return NULL;
    }
    return mlpb_topo_summary_of(*t);
}

/* How many distinct L3 domains the placement of n threads touches. */
static int domains_used(const mlpb_topo_summary *s, mlpb_pin pin, int n) {
    int core_of[MLPB_MAX_CORES * 2], pu_of[MLPB_MAX_CORES * 2], seen[MLPB_MAX_CORES] = {0}, k = 0;
    if (mlpb_place(core_of, pu_of, s, pin, n) != 0) return -1;
    for (int t = 0; t < n; t++)
        if (!seen[s->core[core_of[t]].l3]++) k++;
    return k;
}

/* For every n, both policies: each PU used once; while n <= cores no core twice; past the core
 * count, every core busy and the extra threads on second PUs (SMT siblings). */
static void check_no_sharing(const mlpb_topo_summary *s) {
    for (int p = MLPB_PIN_COMPACT; p <= MLPB_PIN_SPREAD; p++)
        for (int n = 1; n <= s->n_pus; n++) {
            int core_of[MLPB_MAX_CORES * 2], pu_of[MLPB_MAX_CORES * 2];
            int per_core[MLPB_MAX_CORES] = {0}, sharing = 0, dup_pu = 0, smt_early = 0;
            CHECK(mlpb_place(core_of, pu_of, s, (mlpb_pin)p, n) == 0);
            for (int t = 0; t < n; t++) {
                int c = core_of[t];
                per_core[c]++;
                if (pu_of[t] != s->core[c].pu[per_core[c] - 1]) smt_early++;
                for (int u = 0; u < t; u++) dup_pu |= pu_of[u] == pu_of[t];
            }
            for (int c = 0; c < s->n_cores; c++) {
                int want_max = n <= s->n_cores ? 1 : 2;
                int want_min = n >= s->n_cores ? 1 : 0;
                sharing |= per_core[c] > want_max || per_core[c] < want_min;
            }
            CHECK(!dup_pu);
            CHECK(!sharing);
            CHECK(!smt_early);
            /* the first n_cores threads are on first PUs: siblings only past the core count */
            for (int t = 0; t < n; t++)
                if (t < s->n_cores) CHECK(pu_of[t] == s->core[core_of[t]].pu[0]);
                else CHECK(pu_of[t] == s->core[core_of[t]].pu[1]);
        }
}

static void check_sweep(int cores, const int *want, int n_want) {
    int got[32];
    int n = mlpb_default_sweep(got, 32, cores);
    CHECK(n == n_want);
    for (int i = 0; i < n && i < n_want; i++) CHECK(got[i] == want[i]);
}

int main(void) {
    mlpb_topo *t5950, *ttr;
    const mlpb_topo_summary *s = load(&t5950, R5950X), *tr = load(&ttr, TR64);
    CHECK(s && tr);
    if (!s || !tr) return check_done();
    CHECK(s->n_cores == 16 && s->n_pus == 32 && s->n_l3 == 2);
    CHECK(tr->n_cores == 64 && tr->n_pus == 128 && tr->n_l3 == 8);

    /* compact with 8 threads stays in one L3 domain (8 cores each); spread with 2 uses both */
    CHECK(domains_used(s, MLPB_PIN_COMPACT, 8) == 1);
    CHECK(domains_used(s, MLPB_PIN_SPREAD, 2) == 2);
    CHECK(domains_used(tr, MLPB_PIN_COMPACT, 8) == 1);
    CHECK(domains_used(tr, MLPB_PIN_SPREAD, 8) == 8);
    CHECK(domains_used(tr, MLPB_PIN_COMPACT, 9) == 2);
    check_no_sharing(s);
    check_no_sharing(tr);
    /* none places nothing; counts outside 1..PUs are refused */
    int core_of[64], pu_of[64];
    CHECK(mlpb_place(core_of, pu_of, s, MLPB_PIN_NONE, 4) == -1);
    CHECK(mlpb_place(core_of, pu_of, s, MLPB_PIN_COMPACT, 0) == -1);
    CHECK(mlpb_place(core_of, pu_of, s, MLPB_PIN_COMPACT, 33) == -1);

    check_sweep(16, (const int[]){1, 2, 4, 8, 16}, 5);
    check_sweep(6, (const int[]){1, 2, 4, 6}, 4);
    check_sweep(64, (const int[]){1, 2, 4, 8, 16, 32, 64}, 7);
    check_sweep(1, (const int[]){1}, 1);

    int th[16];
    char err[256];
    CHECK(mlpb_parse_threads(th, 16, "1,2,32", 32, err, sizeof err) == 3 && th[2] == 32);
    const char *bad[] = {"0", "-1", "2,x", "abc", "", "1,,2", "33", "1,2,"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        CHECK(mlpb_parse_threads(th, 16, bad[i], 32, err, sizeof err) == -1);
        CHECK(err[0] && !strchr(err, '\n'));
    }
    char e2[256];
    CHECK(mlpb_topo_load("package:1 bogus:3", e2, sizeof e2) == NULL);
    mlpb_topo_free(t5950);
    mlpb_topo_free(ttr);
    return check_done();
}
