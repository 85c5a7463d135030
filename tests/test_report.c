/* test_report: bench_all's reports from synthetic records, whose every figure is computed here by
 * hand. Checks that every file is written, that kernels.csv and threads.csv carry the right
 * speedups, shares of peak and bandwidth, that a projected figure always says so, that a target
 * without records says "not measured" (and one with records is judged), that REPORT.md names the
 * CPU, and that the charts exist (or the report says why not). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "report.h"

static const char *CPU = "Synthetic Ryzen 9 5950X 16-Core Processor";

static mlpb_record rec(const char *kernel, const char *variant, const char *shape, int threads,
                       double median_ns, double flops, double bytes) {
    mlpb_record r = {.threads = threads, .reps = 3, .median_ns = median_ns, .mean_ns = median_ns,
                     .min_ns = median_ns * 0.99, .stddev_ns = median_ns * 0.01, .cv = 0.01,
                     .flops = flops, .bytes = bytes};
    snprintf(r.name, sizeof r.name, "%s/%s/%s/threads:%d", kernel, variant, shape, threads);
    snprintf(r.kernel, sizeof r.kernel, "%s", kernel);
    snprintf(r.variant, sizeof r.variant, "%s", variant);
    snprintf(r.shape, sizeof r.shape, "%s", shape);
    for (int i = 0; i < r.reps; i++) r.rep_ns[i] = median_ns;
    return r;
}

static mlpb_training train(const char *method, const char *variant, int threads, double s,
                           long measured, const char *unit, int run_through) {
    mlpb_training t = {.threads = threads, .s_per_iter = s, .measured = measured,
                       .run_through = run_through, .loss_first = NAN, .loss_last = NAN,
                       .test_accuracy = NAN};
    snprintf(t.method, sizeof t.method, "%s", method);
    snprintf(t.variant, sizeof t.variant, "%s", variant);
    snprintf(t.unit, sizeof t.unit, "%s", unit);
    if (run_through) {
        t.loss_first = 2.29;
        t.loss_last = 0.41;
        t.test_accuracy = 0.85;
    }
    return t;
}

/* The whole of dir/name as a string (caller frees), or NULL when it does not exist. */
static char *slurp(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *s = malloc((size_t)n + 1);
    size_t got = s ? fread(s, 1, (size_t)n, f) : 0;
    fclose(f);
    if (s) s[got] = '\0';
    return s;
}

static long file_size(const char *dir, const char *name) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* The line of text that contains key (copied into line), or 0 when none does. */
static int line_with(char *line, size_t n, const char *text, const char *key) {
    const char *p = text ? strstr(text, key) : NULL;
    if (!p) return 0;
    while (p > text && p[-1] != '\n') p--;
    size_t len = strcspn(p, "\n");
    if (len >= n) len = n - 1;
    memcpy(line, p, len);
    line[len] = '\0';
    return 1;
}

/* Field i (0-based) of a CSV line whose quoted fields hold no commas. */
static double csv_field(const char *line, int i) {
    while (i-- > 0 && line) line = (line = strchr(line, ',')) ? line + 1 : NULL;
    return line && *line != ',' && *line ? strtod(line, NULL) : NAN;
}

static void remove_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    char path[512];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

int main(void) {
    char dir[] = "/tmp/test_report.XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    /* Peak 10 GFLOP/s per core (20 on both), triad 10 GB/s on one core (15 on both). */
    mlpb_machine m = {.cores = 2, .peak_gflops_1core = 10, .peak_gflops_all = 20,
                      .triad_gbs_1core = 10, .triad_gbs_all = 15};
    snprintf(m.cpu_model, sizeof m.cpu_model, "%s", CPU);
    snprintf(m.topology, sizeof m.topology, "package:1 l3:1 core:2 pu:2");
    snprintf(m.binding, sizeof m.binding, "thread 0 -> core 0 (L3 0)\nthread 1 -> core 1 (L3 0)");
    snprintf(m.pin_policy, sizeof m.pin_policy, "compact");
    snprintf(m.git_commit, sizeof m.git_commit, "0123abc");
    snprintf(m.date, sizeof m.date, "2026-12-03 22:00");

    const char *mm = "100x784x100";
    mlpb_record recs[] = {
        rec("matmul", "naive", mm, 1, 100, 200, 0),
        rec("matmul", "simd", mm, 1, 25, 200, 0),
        rec("matmul", "simd", mm, 2, 15, 200, 0),
        rec("matmul", "openblas", mm, 1, 30, 200, 0),
        rec("matmul_x", "simd", mm, 1, 20, 200, 0),
        rec("matmul_x", "openblas", mm, 1, 30, 200, 0),
        rec("sigmoid", "naive", "1000000", 1, 8e6, 0, 16e6),
        rec("sigmoid", "simd", "1000000", 1, 2e6, 0, 16e6),
        rec("sigmoid", "libmvec", "1000000", 1, 3e6, 0, 16e6),
        rec("softmax", "naive", "100x10", 1, 500, 0, 16000),
    };
    int n_recs = (int)(sizeof recs / sizeof recs[0]);
    mlpb_training tr[] = {
        train("backprop", "simd_omp", 2, 1e-3, 10000, "iterations", 1),
        train("numerical", "simd_omp", 2, 40.0, 40, "perturbations", 0),
        train("numerical", "naive", 1, 900.0, 20, "perturbations", 0),
    };
    int n_train = (int)(sizeof tr / sizeof tr[0]);
    tr[0].runs = 3; /* the median of three runs of 0.9, 1 and 1.7 ms per iteration */
    tr[0].s_min = 0.9e-3;
    tr[0].s_max = 1.7e-3;

    char loss[600];
    snprintf(loss, sizeof loss, "%s/loss.csv", dir);
    FILE *f = fopen(loss, "w");
    CHECK(f != NULL);
    if (!f) return check_done();
    fputs("iteration,loss\n", f);
    for (int i = 1; i <= 100; i++) fprintf(f, "%d,%.4f\n", i, 2.3 / (1 + 0.05 * i));
    fclose(f);

    /* What scripts/numpy_seed.py --iters 1000 writes: 1.2 ms per backprop iteration, 0.3 ms per
     * perturbation over 200 sampled parameters (400 perturbations). */
    char np[600];
    snprintf(np, sizeof np, "%s/numpy.json", dir);
    f = fopen(np, "w");
    CHECK(f != NULL);
    if (!f) return check_done();
    fputs("{\n  \"iters\": 1000,\n  \"seconds\": 1.2,\n  \"ms_per_iter\": 1.2,\n"
          "  \"loss_first\": 2.27,\n  \"loss_last\": 0.45,\n  \"test_accuracy\": 0.75,\n"
          "  \"numgrad_s_per_perturbation\": 0.0003,\n  \"numgrad_sample\": 200,\n"
          "  \"numpy\": \"1.24.2\"\n}\n",
          f);
    fclose(f);

    char err[256] = "";
    int rc = mlpb_write_reports(dir, recs, n_recs, tr, n_train, &m, true, err, sizeof err);
    CHECK(rc == 0);
    if (rc) fprintf(stderr, "    error: %s\n", err);

    const char *files[] = {"kernels.md", "kernels.csv", "threads.csv", "hours_vs_seconds.md",
                           "hours.csv", "machine.md", "REPORT.md"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        int ok = file_size(dir, files[i]) > 0;
        CHECK(ok);
        if (!ok) fprintf(stderr, "    missing or empty: %s\n", files[i]);
    }

    /* kernels.csv: a header and one row per record. Numbers are printed with 6 significant
     * digits, so a value v comes back within 5e-6 |v|: the tolerances below. */
    char *csv = slurp(dir, "kernels.csv");
    int lines = 0;
    for (const char *p = csv; p && *p; p++) lines += *p == '\n';
    CHECK(lines == n_recs + 1);
    char line[1024];
    /* fields: 11 flops, 13 gflops, 14 gbs, 15 speedup, 16 % of peak, 17 % of bandwidth */
    CHECK(line_with(line, sizeof line, csv, "\"matmul/simd/100x784x100/threads:1\""));
    CHECK_NEAR(csv_field(line, 15), 100.0 / 25.0, 5e-6 * 4);       /* naive 100 ns, simd 25 */
    CHECK_NEAR(csv_field(line, 13), 200.0 / 25.0, 5e-6 * 8);       /* 200 FLOP in 25 ns */
    CHECK_NEAR(csv_field(line, 16), 100 * 8.0 / 10.0, 5e-6 * 80);  /* of 1 core's 10 */
    CHECK(isnan(csv_field(line, 17)));
    CHECK(line_with(line, sizeof line, csv, "\"matmul/simd/100x784x100/threads:2\""));
    CHECK_NEAR(csv_field(line, 16), 100 * (200.0 / 15.0) / 20.0, 5e-6 * 67); /* of 2 cores' 20 */
    CHECK(line_with(line, sizeof line, csv, "\"sigmoid/simd/1000000/threads:1\""));
    CHECK_NEAR(csv_field(line, 14), 16e6 / 2e6, 5e-6 * 8);         /* 16 MB in 2 ms: 8 GB/s */
    CHECK_NEAR(csv_field(line, 17), 100 * 8.0 / 10.0, 5e-6 * 80);  /* of 1 core's triad */
    CHECK(isnan(csv_field(line, 16)));
    free(csv);
    char *kmd = slurp(dir, "kernels.md");
    CHECK(kmd && strstr(kmd, "| 4.00x |"));
    free(kmd);

    /* threads.csv: simd at 2 threads, 25 ns / 15 ns against itself at 1 thread. */
    char *thr = slurp(dir, "threads.csv");
    CHECK(line_with(line, sizeof line, thr, "\"100x784x100\",\"simd\",2,"));
    CHECK_NEAR(csv_field(line, 5), 25.0 / 15.0, 5e-6 * 2);
    CHECK_NEAR(csv_field(line, 6), 25.0 / 15.0 / 2, 5e-6);
    free(thr);

    /* Every projected training row says so, in both tables and in the chart's data. */
    char *hours = slurp(dir, "hours_vs_seconds.md");
    char *report = slurp(dir, "REPORT.md");
    char *hcsv = slurp(dir, "hours.csv");
    for (int i = 0; i < n_train; i++) {
        char what[512];
        snprintf(what, sizeof what, "%s, %s, %d thread", tr[i].method, tr[i].variant,
                 tr[i].threads);
        const char *texts[] = {hours, report, hcsv};
        for (int t = 0; t < 3; t++) {
            int found = line_with(line, sizeof line, texts[t], what);
            CHECK(found);
            if (found && !tr[i].run_through) CHECK(strstr(line, "projected from") != NULL);
            if (found && tr[i].run_through) CHECK(strstr(line, "run through here") || t == 2);
        }
    }
    CHECK(hours && strstr(hours, "15.75 s") && strstr(hours, "8 to 30 h"));
    CHECK(line_with(line, sizeof line, hours, "| backprop, simd_omp, 2 threads") &&
          strstr(line, "1 ms (median of 3 runs, 900 µs to 1.7 ms)"));
    CHECK(line_with(line, sizeof line, hours, "| backprop, seed's NumPy 1.24.2") &&
          strstr(line, "projected from 1000 measured iterations"));
    CHECK(line_with(line, sizeof line, hours, "| numerical, seed's NumPy 1.24.2") &&
          strstr(line, "projected from 400 measured perturbations"));
    /* Every row of the table was run through, or says what it was projected (estimated) from. */
    for (const char *p = hours ? strstr(hours, "|---") : NULL; p && (p = strstr(p, "\n| "));) {
        p++;
        line_with(line, sizeof line, p, "| ");
        CHECK(strstr(line, "run through here") || strstr(line, "projected from") ||
              strstr(line, "the blog's"));
    }
    /* headline.md, the README's table: the machine named, a projected row still says so. */
    char *headline = slurp(dir, "headline.md");
    CHECK(headline && strstr(headline, CPU));
    CHECK(line_with(line, sizeof line, headline, "| numerical, naive,") &&
          strstr(line, "projected from"));
    free(headline);

    /* REPORT.md: the CPU named; softmax 100x1000 has no records; x.W1's 1-thread target, on
     * the network's batch, is 30 ns / 20 ns = 1.50x against a 1.1x goal, and on a dense A
     * 30 ns / 25 ns = 1.20x, reported; sigmoid's 3 ms / 2 ms = 1.50x against 1.8x. */
    CHECK(report && strstr(report, CPU));
    CHECK(line_with(line, sizeof line, report, "| softmax 100x1000") &&
          strstr(line, "not measured"));
    CHECK(line_with(line, sizeof line, report, "| matmul_x 100x784x100") &&
          strstr(line, "1.50x") && strstr(line, "| met |"));
    CHECK(line_with(line, sizeof line, report, "| matmul 100x784x100") &&
          strstr(line, "1.20x") && strstr(line, "| reported | reported |"));
    CHECK(line_with(line, sizeof line, report, "| sigmoid 1000000") && strstr(line, "1.50x") &&
          strstr(line, "not met"));
    CHECK(line_with(line, sizeof line, report, "incremental_omp`, run through") &&
          strstr(line, "not measured"));
    CHECK(report && strstr(report, "**Run:** complete"));
    /* NumPy's 1.2 ms per iteration against simd_omp's 1 ms. */
    CHECK(line_with(line, sizeof line, report, "against NumPy") && strstr(line, "1.2x faster"));

    if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
        const char *charts[] = {"threads_matmul.png", "threads_matmul.svg",
                                "hours_vs_seconds.png", "hours_vs_seconds.svg", "loss.png",
                                "loss.svg"};
        for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
            int ok = file_size(dir, charts[i]) > 0;
            CHECK(ok);
            if (!ok) fprintf(stderr, "    chart missing or empty: %s\n", charts[i]);
        }
        CHECK(report && strstr(report, "charts drawn"));
    } else {
        CHECK(report && strstr(report, "charts skipped: gnuplot not found"));
    }
    free(hours);
    free(report);
    free(hcsv);

    /* An interrupted run (bench_all leaves INCOMPLETE in the folder) says so. */
    char marker[600];
    snprintf(marker, sizeof marker, "%s/INCOMPLETE", dir);
    f = fopen(marker, "w");
    CHECK(f != NULL);
    if (f) fclose(f);
    CHECK(mlpb_write_reports(dir, recs, n_recs, tr, n_train, &m, true, err, sizeof err) == 0);
    report = slurp(dir, "REPORT.md");
    CHECK(report && strstr(report, "**Run:** **INCOMPLETE**"));
    free(report);

    /* Bad input: a folder that does not exist is an error with a message, not a crash. */
    err[0] = '\0';
    CHECK(mlpb_write_reports("/nonexistent/folder", recs, n_recs, tr, n_train, &m, true, err,
                             sizeof err) == -1);
    CHECK(strstr(err, "does not exist") != NULL);

    if (check_failed) fprintf(stderr, "report files kept in %s\n", dir);
    else remove_dir(dir);
    return check_done();
}
