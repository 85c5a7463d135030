/* test_bench_all: build/bench_all --quick as a user runs it, into a fresh folder. Checks that
 * every file the issue lists is written and not empty, that kernels.csv has every kernel with
 * every variant of its table (iterating the library's tables, so a new variant is checked
 * without touching this test), that the machine's limits were measured, that REPORT.md names
 * the CPU and says the run is complete, and that bench.json is Google Benchmark's JSON with
 * every repetition. Then that a second run into the same folder is refused, and that Ctrl-C
 * in the middle of a run leaves an incomplete but readable folder. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check.h"
#include "mlp_kernels.h"
#include "mlp_net.h"

#ifndef BENCH_ALL
#error "BENCH_ALL, the path of build/bench_all, is set by tests/CMakeLists.txt"
#endif

static char dir[64];

static char *slurp(const char *name) {
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

static void check_file(const char *name) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    const int ok = stat(path, &st) == 0 && st.st_size > 0;
    check_at(ok, __FILE__, __LINE__, "file written and not empty");
    if (!ok) fprintf(stderr, "    missing or empty: %s\n", path);
}

/* kernels.csv has a row "...,"kernel","variant",..." */
static void check_row(const char *csv, const char *kernel, const char *variant) {
    char needle[128];
    snprintf(needle, sizeof needle, ",\"%s\",\"%s\",", kernel, variant);
    const int ok = csv && strstr(csv, needle);
    check_at(ok, __FILE__, __LINE__, "kernels.csv has the kernel with the variant");
    if (!ok) fprintf(stderr, "    no row for %s / %s\n", kernel, variant);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/mlpbench-test-bench-all-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' --quick --out '%s' >'%s.stdout' 2>'%s.stderr'", BENCH_ALL,
             dir, dir, dir);
    printf("%s\n", cmd);
    const int rc = system(cmd);
    CHECK(rc == 0);
    if (rc != 0) {
        snprintf(cmd, sizeof cmd, "tail -n 20 '%s.stderr' >&2", dir);
        if (system(cmd) != 0) fprintf(stderr, "    (no stderr)\n");
    }

    const char *files[] = {"bench.json", "kernels.md", "kernels.csv", "threads.csv",
                           "hours_vs_seconds.md", "hours.csv", "machine.md", "REPORT.md",
                           "loss.csv"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) check_file(files[i]);
    if (system("command -v gnuplot >/dev/null 2>&1") == 0) {
        const char *charts[] = {"threads_matmul.png", "threads_matmul.svg",
                                "hours_vs_seconds.png", "hours_vs_seconds.svg", "loss.png",
                                "loss.svg"};
        for (size_t i = 0; i < sizeof charts / sizeof *charts; i++) check_file(charts[i]);
    }

    char *csv = slurp("kernels.csv");
    for (const mlp_matmul_variant *v = mlp_matmul_variants; v->name; v++) {
        check_row(csv, "matmul", v->name);
        check_row(csv, "matmul_x", v->name);
    }
    for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants; v->name; v++) {
        check_row(csv, "sigmoid", v->name);
        check_row(csv, "sigmoid_grad", v->name);
    }
    for (const mlp_softmax_variant *v = mlp_softmax_variants; v->name; v++) {
        check_row(csv, "softmax", v->name);
        check_row(csv, "cross_entropy", v->name);
    }
    for (const mlp_numgrad_variant *v = mlp_numgrad_variants; v->name; v++)
        check_row(csv, "numgrad", v->name);
    /* forward and backprop run over every name of the kernel tables */
    for (const mlp_matmul_variant *v = mlp_matmul_variants; v->name; v++) {
        check_row(csv, "forward", v->name);
        check_row(csv, "backprop", v->name);
    }
    for (const mlp_sigmoid_variant *v = mlp_sigmoid_variants; v->name; v++) {
        check_row(csv, "forward", v->name);
        check_row(csv, "backprop", v->name);
    }
    check_row(csv, "peak", mlp_cpu_has_avx2_fma() ? "avx2_fma" : "portable_fma");
    check_row(csv, "triad", "omp");
    free(csv);

    char *report = slurp("REPORT.md");
    char *machine = slurp("machine.md");
    char *json = slurp("bench.json");
    char *hours = slurp("hours_vs_seconds.md");
    char cpu[128];
    mlp_cpu_model(cpu, sizeof cpu);
    CHECK(report && strstr(report, cpu));
    CHECK(report && strstr(report, "**Run:** complete."));
    CHECK(report && !strstr(report, "measured FMA peak 0.0 GFLOP/s"));
    CHECK(machine && strstr(machine, "## Binding of the threads (checked)") &&
          strstr(machine, "thread 0 -> core"));
    CHECK(json && strstr(json, "\"benchmarks\"") && strstr(json, "\"repetition_index\"") &&
          strstr(json, "matmul/simd/100x784x100/threads:1"));
    /* quick mode projects the slow rows and says from what */
    CHECK(hours && strstr(hours, "projected from") && strstr(hours, "measured perturbations"));
    free(report), free(machine), free(json), free(hours);

    /* Earlier results are never overwritten: the same folder again is refused, with one line. */
    snprintf(cmd, sizeof cmd, "'%s' --quick --out '%s' 2>'%s.again'", BENCH_ALL, dir, dir);
    const int again = system(cmd);
    CHECK(WIFEXITED(again) && WEXITSTATUS(again) == 2);

    /* Ctrl-C in the middle: exit status 130, and the folder keeps what was measured and says
     * the run is incomplete. Google Benchmark checks that a benchmark's repetitions ran as many
     * iterations each; repetitions skipped after others were measured once made it abort. */
    char stopped[128];
    snprintf(stopped, sizeof stopped, "%s-stopped", dir);
    snprintf(cmd, sizeof cmd,
             "'%s' --quick --filter 'sigmoid|softmax' --out '%s' >/dev/null 2>'%s.stderr' & "
             "sleep 4; kill -INT $!; wait $!",
             BENCH_ALL, stopped, stopped);
    const int interrupted = system(cmd);
    CHECK(WIFEXITED(interrupted) && WEXITSTATUS(interrupted) == 130);
    snprintf(cmd, sizeof cmd, "test -f '%s/INCOMPLETE' && grep -q '^|' '%s/kernels.md' && "
             "grep -q 'INCOMPLETE' '%s/REPORT.md'", stopped, stopped, stopped);
    CHECK(system(cmd) == 0);

    if (check_failed) {
        fprintf(stderr, "bench_all's folders kept in %s and %s\n", dir, stopped);
    } else {
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s.stdout' '%s.stderr' '%s.again' '%s' '%s.stderr'",
                 dir, dir, dir, dir, stopped, stopped);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_done();
}
