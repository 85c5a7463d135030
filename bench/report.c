/* report.c: bench_all's reports, made from the measured records alone.
 *
 * The measuring half (the Google Benchmark shim) hands over flat records; this file derives
 * everything a reader wants from them: rates, speedups over the naive baseline, the share of the
 * machine's measured peak or bandwidth, parallel efficiency, the hours-vs-seconds comparison with
 * the blog and with the seed's NumPy code, and issue 5's targets as met / not met. Every figure
 * that was projected rather than run through says so next to it. Charts are drawn by gnuplot from
 * CSV/data files written here, with the scripts in scripts/; without gnuplot the tables still are
 * written and the report says why the charts are missing.
 */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "workload.h"

#ifndef MLP_SCRIPTS_DIR
#error "MLP_SCRIPTS_DIR (the folder of the gnuplot scripts) is set by bench/CMakeLists.txt"
#endif

typedef struct {
    const char *dir;
    const mlpb_record *recs;
    int n_recs;
    const mlpb_training *train;
    int n_train;
    const mlpb_machine *m;
    char *err;
    size_t errlen;
    /* scripts/numpy_seed.py's figures, from numpy.json in dir when present */
    int have_numpy;
    double np_iters, np_seconds, np_ms_per_iter, np_pert_s, np_sample, np_loss_first,
        np_loss_last, np_accuracy;
    char np_version[32], np_blas[256];
    char charts[160]; /* what became of the charts, one line */
} report;

/* One row of the hours-vs-seconds table, shared by hours_vs_seconds.md, hours.csv, REPORT.md. */
typedef struct {
    char what[96];
    char per_iter[128];
    char total[128];  /* for the blog's 10,000 iterations */
    char source[96];
    char quality[64]; /* loss first -> last, test accuracy, when run through */
    double total_s;
} hours_row;

/* ---- small helpers ---- */

static FILE *open_out(report *r, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) snprintf(r->err, r->errlen, "cannot write %s", path);
    return f;
}

static int close_out(report *r, FILE *f, const char *name) {
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(r->err, r->errlen, "error writing %s/%s", r->dir, name);
        return -1;
    }
    return 0;
}

/* A duration a person reads at a glance: ns, µs, ms, s, min, h or days, 3 significant digits
 * and never an exponent. */
static void human_s(char *buf, size_t n, double s) {
    static const struct { double limit, unit; const char *name; } units[] = {
        {1e-6, 1e-9, "ns"}, {1e-3, 1e-6, "µs"}, {1, 1e-3, "ms"}, {120, 1, "s"},
        {7200, 60, "min"}, {3 * 86400.0, 3600, "h"}, {INFINITY, 86400, "days"},
    };
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "-");
        return;
    }
    int u = 0;
    while (s >= units[u].limit) u++;
    double v = s / units[u].unit;
    snprintf(buf, n, v >= 100 ? "%.0f %s" : "%.3g %s", v, units[u].name);
}

/* A time per unit: "45.1 µs" per call, "0.83 ns/element" per element. */
static void per_unit(char *buf, size_t n, double ns, const char *unit) {
    char t[32];
    human_s(t, sizeof t, ns * 1e-9);
    snprintf(buf, n, "%s%s%s", t, *unit ? "/" : "", unit);
}

/* v printed with fmt, or "-" (Markdown) when it is not a number. */
static const char *num(char *buf, size_t n, const char *fmt, double v) {
    if (isfinite(v)) snprintf(buf, n, fmt, v);
    else snprintf(buf, n, "-");
    return buf;
}

/* A CSV number: empty when not a number, so that spreadsheets see a gap rather than "nan". */
static void csv_num(FILE *f, double v) {
    if (isfinite(v)) fprintf(f, ",%.6g", v);
    else fputs(",", f);
}

static void csv_str(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A limit that grows with the cores in use, capped by what all cores measured together. */
static double scaled_limit(double one, double all, int threads) {
    double v = one * threads;
    return all > 0 && all < v ? all : v;
}

/* The record of kernel/variant/shape at that many threads, or NULL. */
static const mlpb_record *find_rec(const report *r, const char *kernel, const char *variant,
                                   const char *shape, int threads) {
    for (int i = 0; i < r->n_recs; i++) {
        const mlpb_record *x = &r->recs[i];
        if (x->threads == threads && strcmp(x->kernel, kernel) == 0 &&
            strcmp(x->variant, variant) == 0 && strcmp(x->shape, shape) == 0)
            return x;
    }
    return NULL;
}

/* The training row of that method and variant with the most threads, or NULL. */
static const mlpb_training *find_train(const report *r, const char *method, const char *variant) {
    const mlpb_training *best = NULL;
    for (int i = 0; i < r->n_train; i++) {
        const mlpb_training *t = &r->train[i];
        if (strcmp(t->method, method) == 0 && strcmp(t->variant, variant) == 0 &&
            (!best || t->threads > best->threads))
            best = t;
    }
    return best;
}

/* Does dir/name exist? (which charts gnuplot managed to draw) */
static int exists(const report *r, const char *name) {
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* ---- per-record figures ---- */

typedef struct {
    double rate;     /* GFLOP/s or GB/s (FLOP or bytes per ns) */
    const char *unit;
    double speedup;  /* over naive at one thread, same kernel and shape */
    double pct;      /* % of the measured peak or bandwidth at this thread count */
    const char *pct_of;
} metrics;

static metrics metrics_of(const report *r, const mlpb_record *x) {
    metrics mt = {NAN, "", NAN, NAN, ""};
    const mlpb_record *base = find_rec(r, x->kernel, "naive", x->shape, 1);
    if (base && x->median_ns > 0) mt.speedup = base->median_ns / x->median_ns;
    if (!(x->median_ns > 0)) return mt;
    if (x->flops > 0) {
        mt.rate = x->flops / x->median_ns;
        mt.unit = "GFLOP/s";
        double peak = scaled_limit(r->m->peak_gflops_1core, r->m->peak_gflops_all, x->threads);
        if (peak > 0) mt.pct = 100 * mt.rate / peak;
        mt.pct_of = "peak";
    } else if (x->bytes > 0) {
        mt.rate = x->bytes / x->median_ns;
        mt.unit = "GB/s";
        double bw = scaled_limit(r->m->triad_gbs_1core, r->m->triad_gbs_all, x->threads);
        if (bw > 0) mt.pct = 100 * mt.rate / bw;
        mt.pct_of = "bandwidth";
    }
    return mt;
}

/* Is this the first record of its kernel? Tables are grouped per kernel in order of appearance. */
static int first_of_kernel(const report *r, int i) {
    for (int j = 0; j < i; j++)
        if (strcmp(r->recs[j].kernel, r->recs[i].kernel) == 0) return 0;
    return 1;
}

static int write_kernels(report *r) {
    FILE *md = open_out(r, "kernels.md");
    if (!md) return -1;
    FILE *csv = open_out(r, "kernels.csv");
    if (!csv) {
        fclose(md);
        return -1;
    }
    fputs("# Kernels: every variant, shape and thread count\n\n"
          "Median real time over the repetitions, its CV (stddev / mean) and the fastest\n"
          "repetition; the rate from the median; the speedup over the same kernel and shape's\n"
          "`naive` at one thread; and the share of the measured FMA peak (compute-bound rows) or\n"
          "triad bandwidth (memory-bound rows) of as many cores as the row's threads.\n\n"
          "matmul_x, forward, backprop and numgrad run on the network's real batch and count the\n"
          "dense FLOP of their products. The variants that skip the input's zero pixels (simd,\n"
          "simd_omp: about half of Fashion-MNIST's pixels) do fewer, so their dense-equivalent\n"
          "rate can pass 100% of peak: that share is work not done, not a faster FMA.\n",
          md);
    fputs("name,kernel,variant,shape,threads,reps,median_ns,mean_ns,stddev_ns,min_ns,cv,flops,"
          "bytes,gflops,gbs,speedup_vs_naive_1t,pct_of_peak,pct_of_bandwidth,label\n",
          csv);
    for (int k = 0; k < r->n_recs; k++) {
        if (!first_of_kernel(r, k)) continue;
        fprintf(md, "\n## %s\n\n| shape | variant | threads | median | CV | min | rate "
                    "| vs naive 1T | %% of limit |\n|---|---|--:|--:|--:|--:|--:|--:|--:|\n",
                r->recs[k].kernel);
        for (int i = k; i < r->n_recs; i++) {
            const mlpb_record *x = &r->recs[i];
            if (strcmp(x->kernel, r->recs[k].kernel) != 0) continue;
            metrics mt = metrics_of(r, x);
            char med[48], mn[48], cv[32], rate[48], sp[32], pct[48];
            per_unit(med, sizeof med, x->median_ns, x->unit);
            per_unit(mn, sizeof mn, x->min_ns, x->unit);
            num(cv, sizeof cv, "%.1f%%", 100 * x->cv);
            if (isfinite(mt.rate)) snprintf(rate, sizeof rate, "%.3g %s", mt.rate, mt.unit);
            else snprintf(rate, sizeof rate, "-");
            num(sp, sizeof sp, "%.2fx", mt.speedup);
            if (isfinite(mt.pct)) snprintf(pct, sizeof pct, "%.0f%% of %s", mt.pct, mt.pct_of);
            else snprintf(pct, sizeof pct, "-");
            fprintf(md, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", x->shape, x->variant,
                    x->threads, med, cv, mn, rate, sp, pct);

            csv_str(csv, x->name);
            fputc(',', csv);
            csv_str(csv, x->kernel);
            fputc(',', csv);
            csv_str(csv, x->variant);
            fputc(',', csv);
            csv_str(csv, x->shape);
            fprintf(csv, ",%d,%d", x->threads, x->reps);
            csv_num(csv, x->median_ns);
            csv_num(csv, x->mean_ns);
            csv_num(csv, x->stddev_ns);
            csv_num(csv, x->min_ns);
            csv_num(csv, x->cv);
            csv_num(csv, x->flops);
            csv_num(csv, x->bytes);
            int compute = x->flops > 0;
            csv_num(csv, compute ? mt.rate : NAN);
            csv_num(csv, compute ? NAN : mt.rate);
            csv_num(csv, mt.speedup);
            csv_num(csv, compute ? mt.pct : NAN);
            csv_num(csv, compute ? NAN : mt.pct);
            fputc(',', csv);
            csv_str(csv, x->label);
            fputc('\n', csv);
        }
    }
    int rc = close_out(r, md, "kernels.md");
    return close_out(r, csv, "kernels.csv") || rc ? -1 : 0;
}

/* ---- thread scaling ---- */

/* Does kernel/variant/shape of record i appear first at i? (one chart series per triple) */
static int first_of_series(const report *r, int i) {
    const mlpb_record *x = &r->recs[i];
    for (int j = 0; j < i; j++) {
        const mlpb_record *y = &r->recs[j];
        if (strcmp(x->kernel, y->kernel) == 0 && strcmp(x->variant, y->variant) == 0 &&
            strcmp(x->shape, y->shape) == 0)
            return 0;
    }
    return 1;
}

static int same_series(const mlpb_record *x, const mlpb_record *y) {
    return strcmp(x->kernel, y->kernel) == 0 && strcmp(x->variant, y->variant) == 0 &&
           strcmp(x->shape, y->shape) == 0;
}

/* threads.csv: every record that has a one-thread run of its series to compare with. */
static int write_threads_csv(report *r) {
    FILE *f = open_out(r, "threads.csv");
    if (!f) return -1;
    fputs("kernel,shape,variant,threads,median_ns,speedup_vs_1_thread,parallel_efficiency\n", f);
    for (int i = 0; i < r->n_recs; i++) {
        const mlpb_record *x = &r->recs[i];
        const mlpb_record *one = find_rec(r, x->kernel, x->variant, x->shape, 1);
        if (!one || !(x->median_ns > 0)) continue;
        double speedup = one->median_ns / x->median_ns;
        csv_str(f, x->kernel);
        fputc(',', f);
        csv_str(f, x->shape);
        fputc(',', f);
        csv_str(f, x->variant);
        fprintf(f, ",%d", x->threads);
        csv_num(f, x->median_ns);
        csv_num(f, speedup);
        csv_num(f, speedup / x->threads);
        fputc('\n', f);
    }
    return close_out(r, f, "threads.csv");
}

/* One color per variant, the same in every chart, so that a reader learns them once. */
static const char *variant_color(const char *variant) {
    static const struct { const char *name, *color; } colors[] = {
        {"naive", "#7f7f7f"},    {"simd", "#1f77b4"},        {"omp", "#2ca02c"},
        {"simd_omp", "#d62728"}, {"openblas", "#000000"},    {"libmvec", "#ff7f0e"},
        {"sleef", "#9467bd"},    {"incremental", "#8c564b"}, {"incremental_omp", "#e377c2"},
    };
    for (size_t i = 0; i < sizeof colors / sizeof *colors; i++)
        if (strcmp(colors[i].name, variant) == 0) return colors[i].color;
    return "#17becf";
}

/* For one kernel's chart: a panel per shape that has a series measured at two thread counts or
 * more, each panel's data in threads_<kernel>_<panel>.dat (one block per variant, headed by its
 * name, rows "threads speedup" in thread order), and the gnuplot variables that describe them
 * in vars: panels, shape<i>, colors<i>. Returns how many panels, or -1. */
static int write_threads_dat(report *r, const char *kernel, char *vars, size_t vars_len) {
    int panels = 0, failed = 0;
    size_t used = (size_t)snprintf(vars, vars_len, "kernel='%s'", kernel);
    int *idx = malloc(sizeof(int) * (size_t)(r->n_recs ? r->n_recs : 1));
    if (!idx) {
        snprintf(r->err, r->errlen, "out of memory writing the %s chart's data", kernel);
        return -1;
    }
    for (int s = 0; s < r->n_recs && !failed; s++) {
        const mlpb_record *shape = &r->recs[s];
        bool first_shape = strcmp(shape->kernel, kernel) == 0;
        for (int j = 0; j < s && first_shape; j++)
            first_shape = strcmp(r->recs[j].kernel, kernel) != 0 ||
                          strcmp(r->recs[j].shape, shape->shape) != 0;
        if (!first_shape) continue;
        FILE *f = NULL;
        char name[160], colors[512] = "";
        snprintf(name, sizeof name, "threads_%s_%d.dat", kernel, panels + 1);
        int series = 0;
        for (int i = s; i < r->n_recs; i++) {
            const mlpb_record *x = &r->recs[i];
            if (strcmp(x->kernel, kernel) != 0 || strcmp(x->shape, shape->shape) != 0 ||
                !first_of_series(r, i))
                continue;
            const mlpb_record *one = find_rec(r, x->kernel, x->variant, x->shape, 1);
            int n = 0;
            for (int j = i; j < r->n_recs; j++) /* insertion sort by threads */
                if (same_series(x, &r->recs[j]) && r->recs[j].median_ns > 0) {
                    int p = n++;
                    for (; p > 0 && r->recs[idx[p - 1]].threads > r->recs[j].threads; p--)
                        idx[p] = idx[p - 1];
                    idx[p] = j;
                }
            if (!one || n < 2) continue;
            if (!f && !(f = open_out(r, name))) {
                failed = 1;
                break;
            }
            fprintf(f, "%sthreads \"%s\"\n", series ? "\n\n" : "", x->variant);
            for (int p = 0; p < n; p++) {
                const mlpb_record *y = &r->recs[idx[p]];
                fprintf(f, "%d %.6g\n", y->threads, one->median_ns / y->median_ns);
            }
            size_t c = strlen(colors);
            snprintf(colors + c, sizeof colors - c, "%s%s", series ? " " : "",
                     variant_color(x->variant));
            series++;
        }
        if (!f) continue;
        if (close_out(r, f, name)) {
            failed = 1;
            break;
        }
        panels++;
        if (used < vars_len)
            used += (size_t)snprintf(vars + used, vars_len - used, "; shape%d='%s'; colors%d='%s'",
                                     panels, shape->shape, panels, colors);
    }
    free(idx);
    if (failed) return -1;
    if (used < vars_len) snprintf(vars + used, vars_len - used, "; panels=%d", panels);
    return panels;
}

/* ---- hours vs seconds ---- */

static double json_num(const char *text, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}

static void json_str(char *out, size_t n, const char *text, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(text, pat);
    out[0] = '\0';
    if (!p || !(p = strchr(p + strlen(pat), '"'))) return;
    size_t i = 0;
    for (p++; *p && *p != '"' && i + 1 < n; p++) out[i++] = *p;
    out[i] = '\0';
}

/* numpy.json, written by scripts/numpy_seed.py --json into the run's folder, when present. */
static void read_numpy(report *r) {
    char path[1024], text[4096];
    snprintf(path, sizeof path, "%s/numpy.json", r->dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    r->np_iters = json_num(text, "iters");
    r->np_seconds = json_num(text, "seconds");
    r->np_ms_per_iter = json_num(text, "ms_per_iter");
    r->np_pert_s = json_num(text, "numgrad_s_per_perturbation");
    r->np_sample = json_num(text, "numgrad_sample");
    r->np_loss_first = json_num(text, "loss_first");
    r->np_loss_last = json_num(text, "loss_last");
    r->np_accuracy = json_num(text, "test_accuracy");
    json_str(r->np_version, sizeof r->np_version, text, "numpy");
    json_str(r->np_blas, sizeof r->np_blas, text, "blas");
    r->have_numpy = isfinite(r->np_ms_per_iter) && isfinite(r->np_pert_s) && r->np_iters > 0 &&
                    r->np_sample > 0;
    if (!r->have_numpy) fprintf(stderr, "report: %s lacks figures; NumPy rows left out\n", path);
}

/* Fill a row from a per-iteration time; `per_pert` says it was projected from perturbations,
 * `run_through` that the 10,000 iterations were actually run. */
static void hours_fill(hours_row *h, double s_per_iter, long measured, const char *unit,
                       int run_through) {
    char t[32];
    char proj[80];
    snprintf(proj, sizeof proj, "projected from %ld measured %s", measured, unit);
    human_s(t, sizeof t, s_per_iter);
    if (strcmp(unit, "perturbations") == 0)
        snprintf(h->per_iter, sizeof h->per_iter, "%s (%s)", t, proj);
    else
        snprintf(h->per_iter, sizeof h->per_iter, "%s", t);
    h->total_s = s_per_iter * BLOG_ITERS;
    human_s(t, sizeof t, h->total_s);
    if (run_through) snprintf(h->total, sizeof h->total, "%s", t);
    else snprintf(h->total, sizeof h->total, "%s (%s)", t, proj);
    snprintf(h->source, sizeof h->source, "%s",
             run_through ? "run through here" : "projected here from a measured sample");
}

static void quality(hours_row *h, double first, double last, double acc) {
    if (isfinite(first) && isfinite(last) && isfinite(acc))
        snprintf(h->quality, sizeof h->quality, "%.4f -> %.4f, %.2f%%", first, last, 100 * acc);
    else snprintf(h->quality, sizeof h->quality, "-");
}

/* The rows: this run's methods and variants, then the blog's, then NumPy's on this machine.
 * Returns how many (the caller's array holds n_train + 4). */
static int hours_rows(const report *r, hours_row *rows) {
    int n = 0;
    for (int i = 0; i < r->n_train; i++, n++) {
        const mlpb_training *t = &r->train[i];
        hours_row *h = &rows[n];
        snprintf(h->what, sizeof h->what, "%s, %s, %d thread%s", t->method, t->variant,
                 t->threads, t->threads == 1 ? "" : "s");
        hours_fill(h, t->s_per_iter, t->measured, t->unit, t->run_through);
        if (t->runs > 1) { /* the median of several runs, and their spread */
            char lo[32], hi[32];
            human_s(lo, sizeof lo, t->s_min);
            human_s(hi, sizeof hi, t->s_max);
            const size_t len = strlen(h->per_iter);
            snprintf(h->per_iter + len, sizeof h->per_iter - len, " (median of %d runs, %s to %s)",
                     t->runs, lo, hi);
        }
        quality(h, t->loss_first, t->loss_last, t->test_accuracy);
    }
    hours_row *h = &rows[n++];
    *h = (hours_row){.total_s = 8 * 3600.0};
    snprintf(h->what, sizeof h->what, "numerical, blog's NumPy (Ryzen 9 5950X)");
    snprintf(h->per_iter, sizeof h->per_iter, "2.9 to 10.8 s (estimate)");
    snprintf(h->total, sizeof h->total, "8 to 30 h (estimate, not run)");
    snprintf(h->source, sizeof h->source, "the blog's estimate");
    snprintf(h->quality, sizeof h->quality, "-");
    h = &rows[n++];
    *h = (hours_row){.total_s = 15.75};
    snprintf(h->what, sizeof h->what, "backprop, blog's NumPy (Ryzen 9 5950X)");
    snprintf(h->per_iter, sizeof h->per_iter, "1.57 ms");
    snprintf(h->total, sizeof h->total, "15.75 s");
    snprintf(h->source, sizeof h->source, "the blog's measurement");
    snprintf(h->quality, sizeof h->quality, "2.2864 -> 0.0972, 92.07%% (MNIST)");
    if (!r->have_numpy) return n;
    h = &rows[n++];
    snprintf(h->what, sizeof h->what, "numerical, seed's NumPy %s here", r->np_version);
    hours_fill(h, r->np_pert_s * 2 * NET_PARAMS, (long)(2 * r->np_sample), "perturbations", 0);
    snprintf(h->quality, sizeof h->quality, "-");
    h = &rows[n++];
    snprintf(h->what, sizeof h->what, "backprop, seed's NumPy %s here", r->np_version);
    hours_fill(h, r->np_ms_per_iter * 1e-3, (long)r->np_iters, "iterations",
               (long)r->np_iters == BLOG_ITERS);
    quality(h, r->np_loss_first, r->np_loss_last, r->np_accuracy);
    return n;
}

static void hours_table(FILE *f, const hours_row *rows, int n) {
    fputs("| method, variant | per iteration | 10,000 iterations (the blog's run) | how we know "
          "| loss first -> last, test accuracy |\n|---|--:|--:|---|---|\n",
          f);
    for (int i = 0; i < n; i++)
        fprintf(f, "| %s | %s | %s | %s | %s |\n", rows[i].what, rows[i].per_iter, rows[i].total,
                rows[i].source, rows[i].quality);
}

/* headline.md: the README's table, the hours-vs-seconds rows a reader looks for first (the
 * baseline and the fastest of each method, the seed's NumPy here and the blog's figures), with
 * the machine named; scripts/readme_headline.sh copies it into README.md. */
static int write_headline(report *r, const hours_row *rows, int n) {
    static const char *const picks[] = {
        "backprop, naive,", "backprop, simd_omp,", "backprop, seed's NumPy",
        "backprop, blog's", "numerical, naive,", "numerical, simd_omp,",
        "numerical, incremental_omp,", "numerical, seed's NumPy", "numerical, blog's",
    };
    FILE *f = open_out(r, "headline.md");
    if (!f) return -1;
    fprintf(f, "The blog's run, 10,000 training iterations of batch 100, on %s (%d cores), "
               "%s:\n\n| method, variant | 10,000 iterations | per iteration | loss first -> "
               "last, test accuracy |\n|---|--:|--:|---|\n",
            r->m->cpu_model, r->m->cores, r->m->date);
    for (size_t k = 0; k < sizeof picks / sizeof *picks; k++)
        for (int i = 0; i < n; i++)
            if (strncmp(rows[i].what, picks[k], strlen(picks[k])) == 0)
                fprintf(f, "| %s | %s | %s | %s |\n", rows[i].what, rows[i].total,
                        rows[i].per_iter, rows[i].quality);
    return close_out(r, f, "headline.md");
}

static int write_hours(report *r, const hours_row *rows, int n) {
    FILE *md = open_out(r, "hours_vs_seconds.md");
    if (!md) return -1;
    fputs("# Hours vs seconds: the numerical gradient against backprop\n\n"
          "Training time per gradient method and variant, for the blog's 10,000 iterations of\n"
          "batch 100. A figure that was not run through says what it was projected from.\n\n",
          md);
    hours_table(md, rows, n);
    if (close_out(r, md, "hours_vs_seconds.md")) return -1;
    FILE *csv = open_out(r, "hours.csv");
    if (!csv) return -1;
    fputs("label,seconds_10000,text,source\n", csv);
    for (int i = 0; i < n; i++) {
        csv_str(csv, rows[i].what);
        csv_num(csv, rows[i].total_s);
        fputc(',', csv);
        csv_str(csv, rows[i].total);
        fputc(',', csv);
        csv_str(csv, rows[i].source);
        fputc('\n', csv);
    }
    return close_out(r, csv, "hours.csv");
}

/* ---- targets (issue 5) ---- */

typedef struct {
    char what[112], reference[80], measured[160], target[48], verdict[48];
} target_row;

static void verdict(target_row *t, int measured, int met) {
    if (!measured) {
        snprintf(t->measured, sizeof t->measured, "not measured");
        snprintf(t->verdict, sizeof t->verdict, "not measured");
    } else {
        snprintf(t->verdict, sizeof t->verdict, "%s", met ? "met" : "**not met**");
    }
}

/* `variant` against `ref` on the same kernel, shape and threads: ref's time / variant's; a goal
 * of 0 reports the ratio without a target. */
static void speed_target(const report *r, target_row *t, const char *kernel, const char *shape,
                         const char *variant, const char *ref, int threads, double goal) {
    const mlpb_record *a = find_rec(r, kernel, variant, shape, threads);
    const mlpb_record *b = find_rec(r, kernel, ref, shape, threads);
    snprintf(t->what, sizeof t->what, "%s %s, `%s`, %d thread%s", kernel, shape, variant, threads,
             threads == 1 ? "" : "s");
    snprintf(t->reference, sizeof t->reference, "`%s`", ref);
    snprintf(t->target, sizeof t->target, goal > 0 ? ">= %.1fx" : "reported", goal);
    int ok = a && b && a->median_ns > 0;
    if (ok) {
        char ta[32], tb[32];
        human_s(ta, sizeof ta, a->median_ns * 1e-9);
        human_s(tb, sizeof tb, b->median_ns * 1e-9);
        double ratio = b->median_ns / a->median_ns;
        snprintf(t->measured, sizeof t->measured, "%.2fx (%s against %s)", ratio, ta, tb);
        verdict(t, 1, ratio >= goal);
        if (goal <= 0) snprintf(t->verdict, sizeof t->verdict, "reported");
    } else {
        verdict(t, 0, 0);
    }
}

static int targets(const report *r, target_row *rows) {
    const mlpb_machine *m = r->m;
    int n = 0;
    /* The products with the input on the network's own batch, whose zero pixels simd skips; on
     * a dense random A beside them, where there is nothing to skip, for the record. */
    speed_target(r, &rows[n++], "matmul_x", SHAPE_X_W1, "simd", "openblas", 1, 1.1);
    speed_target(r, &rows[n++], "matmul_x", SHAPE_XT_DZ1, "simd", "openblas", 1, 1.1);
    speed_target(r, &rows[n++], "matmul", SHAPE_X_W1, "simd", "openblas", 1, 0);
    speed_target(r, &rows[n++], "matmul", SHAPE_XT_DZ1, "simd", "openblas", 1, 0);
    speed_target(r, &rows[n++], "matmul", SHAPE_Z1T_DY, "simd", "openblas", 1, 1.5);
    speed_target(r, &rows[n++], "matmul", SHAPE_DY_W2T, "simd", "openblas", 1, 1.5);
    speed_target(r, &rows[n++], "matmul", SHAPE_SQUARE, "simd_omp", "openblas", m->cores, 1.0);

    target_row *t = &rows[n++];
    const mlpb_record *one = find_rec(r, "matmul", "simd_omp", SHAPE_SQUARE, 1);
    const mlpb_record *all = find_rec(r, "matmul", "simd_omp", SHAPE_SQUARE, m->cores);
    snprintf(t->what, sizeof t->what, "matmul %s, `simd_omp`, parallel efficiency at %d cores",
             SHAPE_SQUARE, m->cores);
    snprintf(t->reference, sizeof t->reference, "`simd_omp` at 1 thread");
    snprintf(t->target, sizeof t->target, ">= 90%%");
    if (one && all && all->median_ns > 0) {
        double eff = one->median_ns / (all->median_ns * m->cores);
        snprintf(t->measured, sizeof t->measured, "%.0f%%", 100 * eff);
        verdict(t, 1, eff >= 0.9);
    } else {
        verdict(t, 0, 0);
    }

    speed_target(r, &rows[n++], "sigmoid", SHAPE_SIGMOID_BIG, "simd", "libmvec", 1, 1.8);
    speed_target(r, &rows[n++], "softmax", SHAPE_SOFTMAX_BIG, "simd", "libmvec", 1, 1.6);

    const mlpb_training *bp = find_train(r, "backprop", "simd_omp");
    t = &rows[n++];
    snprintf(t->what, sizeof t->what,
             "backprop training, `simd_omp`, dense-equivalent rate (%.1f MFLOP/iteration)",
             TRAIN_ITER_FLOPS * 1e-6);
    snprintf(t->reference, sizeof t->reference, "all-core FMA peak (%.1f GFLOP/s)",
             m->peak_gflops_all);
    snprintf(t->target, sizeof t->target, ">= 1.6x peak");
    if (bp && bp->s_per_iter > 0 && m->peak_gflops_all > 0) {
        double rate = TRAIN_ITER_FLOPS / bp->s_per_iter * 1e-9;
        snprintf(t->measured, sizeof t->measured, "%.2fx (%.1f GFLOP/s, %d threads%s)",
                 rate / m->peak_gflops_all, rate, bp->threads,
                 bp->run_through ? "" : ", projected");
        verdict(t, 1, rate >= 1.6 * m->peak_gflops_all);
    } else {
        verdict(t, 0, 0);
    }

    t = &rows[n++];
    snprintf(t->what, sizeof t->what, "backprop training, `simd_omp` against NumPy");
    snprintf(t->reference, sizeof t->reference, "seed's NumPy on this machine");
    snprintf(t->target, sizeof t->target, "reported");
    if (bp && bp->s_per_iter > 0 && r->have_numpy) {
        snprintf(t->measured, sizeof t->measured, "%.1fx faster",
                 r->np_ms_per_iter * 1e-3 / bp->s_per_iter);
        snprintf(t->verdict, sizeof t->verdict, "reported");
    } else {
        verdict(t, 0, 0);
    }

    const mlpb_training *ng = find_train(r, "numerical", "simd_omp");
    t = &rows[n++];
    snprintf(t->what, sizeof t->what,
             "numerical gradient, `simd_omp`, dense rate (%.2f TFLOP/iteration)",
             NUMGRAD_FLOPS * 1e-12);
    snprintf(t->reference, sizeof t->reference, "all-core FMA peak (%.1f GFLOP/s)",
             m->peak_gflops_all);
    snprintf(t->target, sizeof t->target, ">= 75%% of peak");
    if (ng && ng->s_per_iter > 0 && m->peak_gflops_all > 0) {
        double rate = NUMGRAD_FLOPS / ng->s_per_iter * 1e-9;
        snprintf(t->measured, sizeof t->measured, "%.0f%% (%.1f GFLOP/s, %d threads)",
                 100 * rate / m->peak_gflops_all, rate, ng->threads);
        verdict(t, 1, rate >= 0.75 * m->peak_gflops_all);
    } else {
        verdict(t, 0, 0);
    }

    const mlpb_training *inc = find_train(r, "numerical", "incremental_omp");
    t = &rows[n++];
    snprintf(t->what, sizeof t->what,
             "numerical-gradient training, `incremental_omp`, run through");
    snprintf(t->reference, sizeof t->reference, "backprop training, `simd_omp`");
    snprintf(t->target, sizeof t->target, "<= 100x backprop's time");
    if (inc && bp && bp->s_per_iter > 0) {
        double ratio = inc->s_per_iter / bp->s_per_iter;
        snprintf(t->measured, sizeof t->measured, "%.1fx%s", ratio,
                 inc->run_through ? "" : " (projected, not run through)");
        verdict(t, 1, inc->run_through && ratio <= 100);
    } else {
        verdict(t, 0, 0);
    }

    t = &rows[n++];
    snprintf(t->what, sizeof t->what, "numerical-gradient training, `incremental_omp`, accuracy");
    snprintf(t->reference, sizeof t->reference, "backprop training, `simd_omp`");
    snprintf(t->target, sizeof t->target, "within 0.5 points");
    if (inc && bp && isfinite(inc->test_accuracy) && isfinite(bp->test_accuracy)) {
        double d = 100 * (inc->test_accuracy - bp->test_accuracy);
        snprintf(t->measured, sizeof t->measured, "%+.2f points (%.2f%% against %.2f%%)", d,
                 100 * inc->test_accuracy, 100 * bp->test_accuracy);
        verdict(t, 1, fabs(d) <= 0.5);
    } else {
        verdict(t, 0, 0);
    }
    return n;
}
enum { MAX_TARGETS = 20 };

/* ---- charts ---- */

/* Run one gnuplot script with dir (and extra variables) set; 0 when it succeeded. Its messages
 * go to gnuplot.log in dir. */
static int gnuplot(const report *r, const char *script, const char *vars) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "gnuplot -e \"dir='%s'; %s\" '%s/%s' 2>>'%s/gnuplot.log'", r->dir,
             vars, MLP_SCRIPTS_DIR, script, r->dir);
    return system(cmd);
}

/* Draw every chart; the outcome, one line, goes to r->charts (and stderr when not all went well).
 * The loss chart shows loss.csv, the backprop run's curve, and over it loss_numerical.csv, the
 * numerical-gradient run's, when they are in the folder. Returns -1 only when a data file could
 * not be written. */
static int charts(report *r) {
    if (strpbrk(r->dir, "'\"$`\\")) {
        snprintf(r->charts, sizeof r->charts, "charts skipped: quotes or $ in the folder name");
    } else if (system("command -v gnuplot >/dev/null 2>&1") != 0) {
        snprintf(r->charts, sizeof r->charts,
                 "charts skipped: gnuplot not found (apt-get install gnuplot-nox)");
    } else {
        int failed = 0, drawn = 0;
        char vars[2400];
        for (int k = 0; k < r->n_recs; k++) {
            if (!first_of_kernel(r, k)) continue;
            const int panels = write_threads_dat(r, r->recs[k].kernel, vars, sizeof vars);
            if (panels < 0) return -1;
            if (panels == 0) continue;
            failed += gnuplot(r, "plot_threads.gp", vars) != 0;
            drawn++;
        }
        failed += gnuplot(r, "plot_hours.gp", "") != 0;
        drawn++;
        if (exists(r, "loss.csv")) {
            snprintf(vars, sizeof vars, "numerical=%d", exists(r, "loss_numerical.csv"));
            failed += gnuplot(r, "plot_loss.gp", vars) != 0;
            drawn++;
        }
        if (failed)
            snprintf(r->charts, sizeof r->charts, "%d of %d charts failed: see gnuplot.log", failed,
                     drawn);
        else
            snprintf(r->charts, sizeof r->charts, "%d charts drawn (PNG and SVG)", drawn);
        if (!failed) return 0;
    }
    fprintf(stderr, "report: %s\n", r->charts);
    return 0;
}

/* ---- machine.md and REPORT.md ---- */

static void machine_line(FILE *f, const mlpb_machine *m) {
    fprintf(f, "%s, %d cores; measured FMA peak %.1f GFLOP/s per core, %.1f GFLOP/s on all; "
               "triad %.1f GB/s on one core, %.1f GB/s on all",
            m->cpu_model, m->cores, m->peak_gflops_1core, m->peak_gflops_all, m->triad_gbs_1core,
            m->triad_gbs_all);
}

static int write_machine(report *r) {
    const mlpb_machine *m = r->m;
    FILE *f = open_out(r, "machine.md");
    if (!f) return -1;
    fputs("# Machine\n\n", f);
    machine_line(f, m);
    fprintf(f, ".\n\n| what | value |\n|---|---|\n"
               "| CPU model | %s |\n| physical cores | %d |\n"
               "| FMA peak, one core | %.2f GFLOP/s |\n| FMA peak, all cores | %.2f GFLOP/s |\n"
               "| triad bandwidth, one core | %.2f GB/s |\n"
               "| triad bandwidth, all cores | %.2f GB/s |\n"
               "| thread pinning | %s |\n| SIMD | %s |\n| compiler | %s |\n| flags | %s |\n"
               "| OpenMP | %s |\n| libraries | %s |\n| OpenBLAS kernels | %s |\n"
               "| git commit | %s |\n| date | %s |\n",
            m->cpu_model, m->cores, m->peak_gflops_1core, m->peak_gflops_all, m->triad_gbs_1core,
            m->triad_gbs_all, m->pin_policy, m->simd_status, m->compiler, m->flags, m->openmp,
            m->libraries, m->openblas_core, m->git_commit, m->date);
    fprintf(f, "\n## Topology (hwloc)\n\n```\n%s\n```\n\n## Binding of the threads (checked)\n\n"
               "```\n%s\n```\n",
            m->topology, m->binding);
    return close_out(r, f, "machine.md");
}

static int write_main(report *r, const hours_row *hours, int n_hours, int complete) {
    target_row rows[MAX_TARGETS];
    int n = targets(r, rows);
    const mlpb_machine *m = r->m;
    FILE *f = open_out(r, "REPORT.md");
    if (!f) return -1;
    fprintf(f, "# mlpbench report, %s\n\n**Machine:** ", m->date);
    machine_line(f, m);
    fprintf(f, " (pinning `%s`; commit %s; details in [machine.md](machine.md)).\n\n",
            m->pin_policy, m->git_commit);
    fprintf(f, "**Run:** %s\n\n",
            complete ? "complete." : "**INCOMPLETE**: interrupted; every table holds what was "
                                     "measured before the stop, and targets without records say "
                                     "\"not measured\".");
    fputs("## Hours vs seconds\n\nThe seed's two ways to get the gradient, timed for the blog's "
          "10,000 training iterations.\n\n",
          f);
    hours_table(f, hours, n_hours);
    if (r->have_numpy)
        fprintf(f, "\nThe NumPy rows: the seed's code run by `scripts/numpy_seed.py` on this "
                   "machine (NumPy %s, BLAS: %s).\n", r->np_version, r->np_blas);
    else
        fputs("\nNo NumPy rows: numpy.json is missing (`/usr/bin/python3 scripts/numpy_seed.py "
              "--json <this folder>/numpy.json` writes it; needs python3-numpy).\n", f);
    if (exists(r, "hours_vs_seconds.png"))
        fputs("\n![hours vs seconds](hours_vs_seconds.png)\n", f);
    fputs("\n## Targets (issue 5)\n\n"
          "Each a ratio within this run, so that it holds on any machine.\n\n"
          "| what | reference | measured | target | verdict |\n|---|---|---|---|---|\n",
          f);
    for (int i = 0; i < n; i++)
        fprintf(f, "| %s | %s | %s | %s | %s |\n", rows[i].what, rows[i].reference,
                rows[i].measured, rows[i].target, rows[i].verdict);
    fputs("\n## Files\n\n"
          "- [kernels.md](kernels.md), [kernels.csv](kernels.csv): every kernel, variant, shape "
          "and thread count.\n"
          "- [threads.csv](threads.csv): speedup and parallel efficiency against threads.\n"
          "- [hours_vs_seconds.md](hours_vs_seconds.md), [hours.csv](hours.csv): the table above "
          "and its data; [headline.md](headline.md): the README's shorter version.\n",
          f);
    for (int k = 0; k < r->n_recs; k++) {
        char png[96];
        snprintf(png, sizeof png, "threads_%s.png", r->recs[k].kernel);
        if (first_of_kernel(r, k) && exists(r, png))
            fprintf(f, "- [%s](%s) (and .svg): %s, speedup against threads beside the ideal "
                       "line.\n", png, png, r->recs[k].kernel);
    }
    if (exists(r, "loss.png"))
        fputs("- [loss.png](loss.png) (and .svg): the backprop run's loss curve.\n", f);
    fputs("- [machine.md](machine.md): CPU, topology, binding, peak and bandwidth, toolchain.\n"
          "- `bench.json`: Google Benchmark's own output, every repetition.\n\n"
          "## How to read this\n\n"
          "Times are medians of real (wall-clock) time over repetitions, threads pinned to cores. "
          "Speedups compare with the same kernel and shape's `naive` variant at one thread; `% of "
          "limit` compares a compute-bound row with the measured FMA peak of as many cores as it "
          "used, and a memory-bound row with the measured triad bandwidth; the network's rows "
          "count dense FLOP, so a variant that skips the input's zero pixels can pass 100% of "
          "peak (work not done). A CV above a few "
          "percent means a noisy machine: read those rows with care. Figures marked \"projected\" "
          "were extrapolated from the stated number of measured units, not run through.\n\n",
          f);
    fprintf(f, "Charts: %s.\n", r->charts);
    return close_out(r, f, "REPORT.md");
}

int mlpb_write_reports(const char *dir, const mlpb_record *recs, int n_recs,
                       const mlpb_training *train, int n_train, const mlpb_machine *m,
                       bool with_charts, char *err, size_t errlen) {
    report r = {.dir = dir, .recs = recs, .n_recs = n_recs, .train = train, .n_train = n_train,
                .m = m, .err = err, .errlen = errlen};
    struct stat st;
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "report folder %s does not exist", dir ? dir : "(null)");
        return -1;
    }
    if (n_recs < 0 || n_train < 0 || (n_recs && !recs) || (n_train && !train) || !m) {
        snprintf(err, errlen, "mlpb_write_reports: bad arguments");
        return -1;
    }
    read_numpy(&r);
    hours_row *hours = malloc(sizeof(hours_row) * (size_t)(n_train + 4));
    if (!hours) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n_hours = hours_rows(&r, hours);
    if (!with_charts)
        snprintf(r.charts, sizeof r.charts, "not drawn yet: charts are drawn when the run ends");
    char marker[1024];
    snprintf(marker, sizeof marker, "%s/INCOMPLETE", dir);
    int complete = stat(marker, &st) != 0;
    int rc = write_kernels(&r) || write_threads_csv(&r) || write_hours(&r, hours, n_hours) ||
             write_headline(&r, hours, n_hours) ||
             write_machine(&r) || (with_charts ? charts(&r) : 0) ||
             write_main(&r, hours, n_hours, complete);
    free(hours);
    return rc ? -1 : 0;
}
