/* bench_all: what users run. It measures every variant of every kernel and of the network's
 * steps (suite.c, through the Google Benchmark shim), with threads pinned to cores and swept
 * over thread counts; then trains the network for the hours-vs-seconds table (run through where
 * that fits the time budget, projected from measured iterations or perturbations where not);
 * times the seed's NumPy code when python3-numpy is there; and writes every table and chart
 * into a new folder (report.c).
 *
 * The folder holds a file INCOMPLETE until the run ends, and the tables are rewritten after each
 * benchmark, so a run that is stopped (Ctrl-C stops it cleanly; a second Ctrl-C kills it) or
 * crashes still leaves everything it measured, marked as incomplete.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gbench.h"
#include "mlp_idx.h"
#include "mlp_kernels.h"
#include "mlp_net.h"
#include "mlp_train.h"
#include "mlp_util.h"
#include "report.h"
#include "suite.h"
#include "topology.h"

extern char **environ;

enum { EXIT_USAGE = 2, EXIT_INTERRUPTED = 130, MAX_SWEEP = 64, MAX_RUNS = 3 };

static const char usage[] =
    "usage: bench_all [options] [Google Benchmark flags]\n"
    "  Measures every kernel and network step in every variant, trains the network both ways,\n"
    "  and writes tables and charts (REPORT.md first) into a new folder.\n"
    "  --out DIR        the folder (default results/<date>-<time>); must not hold files\n"
    "  --quick          a smoke run: fewer shapes, thread counts and repetitions (minutes)\n"
    "  --threads LIST   thread counts for the threaded variants, e.g. 1,2,8 (default 1, 2, 4,\n"
    "                   ... below the physical core count, then the core count)\n"
    "  --pin POLICY     compact (fill one L3 domain first; default), spread (round-robin over\n"
    "                   L3 domains) or none (no binding)\n"
    "  --filter REGEX   only benchmarks and training runs whose name matches (extended regex,\n"
    "                   e.g. 'matmul|softmax'); names are kernel/variant/shape/threads:N and\n"
    "                   train/backprop/VARIANT, train/numerical/VARIANT, numpy. The machine's\n"
    "                   peak and bandwidth are always measured\n"
    "  --data DIR       the four IDX files, .gz or not (" MLP_DEFAULT_DATA_DIR ")\n"
    "  --plan           print the thread sweep and every thread's core and L3 domain under\n"
    "                   each policy, and measure nothing\n"
    "  --topology X     with --plan: an hwloc XML file or synthetic description (e.g.\n"
    "                   \"package:1 l3:2 core:8 pu:2\", a Ryzen 9 5950X) instead of this machine\n"
    "  --help           this text\n"
    "  Google Benchmark's own flags work (--benchmark_filter, --benchmark_repetitions,\n"
    "  --benchmark_min_time, ...); bench.json is always written into the folder. Repetitions\n"
    "  run interleaved in a random order, so that a slow spell of a shared machine falls on\n"
    "  every variant alike (--benchmark_enable_random_interleaving=false: back to back)\n"
    "exit status: 0 done, 1 error, 2 bad option, 130 interrupted (the folder keeps what was\n"
    "measured and says the run is incomplete)\n";

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
    stop_requested = 1;
    mlpb_gb_request_stop();
    signal(sig, SIG_DFL); /* a second one ends the process at once */
}

static _Noreturn void bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void bad_usage(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_all: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

static _Noreturn void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("bench_all: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

typedef struct {
    const char *out, *threads, *pin, *filter, *data, *topology;
    bool quick, plan;
    int n_gb_args;
    char **gb_args; /* the --benchmark_* flags, passed on to Google Benchmark */
} options;

static void parse_options(options *o, int argc, char **argv) {
    static const char *const valued[] = {"--out", "--threads", "--pin", "--filter", "--data",
                                         "--topology"};
    const char **slots[] = {&o->out, &o->threads, &o->pin, &o->filter, &o->data, &o->topology};
    *o = (options){.pin = "compact", .data = MLP_DEFAULT_DATA_DIR};
    o->gb_args = mlp_xmalloc((size_t)argc * sizeof *o->gb_args);
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0) {
            fputs(usage, stdout);
            exit(0);
        }
        if (strcmp(opt, "--quick") == 0) { o->quick = true; continue; }
        if (strcmp(opt, "--plan") == 0) { o->plan = true; continue; }
        if (strncmp(opt, "--benchmark_", 12) == 0) {
            if (strncmp(opt, "--benchmark_out", 15) == 0)
                bad_usage("%s: bench_all writes bench.json into its folder; choose it with --out",
                          opt);
            o->gb_args[o->n_gb_args++] = argv[i];
            continue;
        }
        size_t k = 0;
        while (k < sizeof valued / sizeof *valued && strcmp(opt, valued[k]) != 0) k++;
        if (k == sizeof valued / sizeof *valued) bad_usage("unknown option '%s'", opt);
        if (i + 1 == argc) bad_usage("%s needs a value", opt);
        *slots[k] = argv[++i];
    }
    if (mlpb_pin_parse(o->pin) < 0)
        bad_usage("--pin wants compact, spread or none, got '%s'", o->pin);
    if (o->topology && !o->plan)
        bad_usage("--topology describes another machine: only --plan can use it");
}

/* ---- --plan ---- */

static void print_plan(const mlpb_topo_summary *s, const int *sweep, int n_sweep) {
    char desc[512];
    mlpb_topo_describe(desc, sizeof desc, s);
    printf("topology: %s\nthread sweep:", desc);
    for (int i = 0; i < n_sweep; i++) printf(" %d", sweep[i]);
    printf("\n");
    for (int p = MLPB_PIN_COMPACT; p <= MLPB_PIN_SPREAD; p++) {
        printf("\n%s:\n", mlpb_pin_name((mlpb_pin)p));
        for (int i = 0; i < n_sweep; i++) {
            int core_of[MLPB_MAX_CORES * MLPB_MAX_SMT], pu_of[MLPB_MAX_CORES * MLPB_MAX_SMT];
            if (mlpb_place(core_of, pu_of, s, (mlpb_pin)p, sweep[i]) != 0) {
                printf("  %3d threads: cannot be placed on %d PUs\n", sweep[i], s->n_pus);
                continue;
            }
            printf("  %3d thread%s:", sweep[i], sweep[i] == 1 ? " " : "s");
            for (int t = 0; t < sweep[i]; t++)
                printf("%s core %d (L3 %d, PU %d)", t ? "," : "", core_of[t],
                       s->core[core_of[t]].l3, pu_of[t]);
            printf("\n");
        }
    }
}

/* ---- the output folder ---- */

static void make_dirs(const char *path) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) fail("%s: path too long", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) fail("cannot create %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST) fail("cannot create %s: %s", buf, strerror(errno));
}

static bool is_empty_dir(const char *path) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "[ -z \"$(ls -A '%s' 2>/dev/null)\" ]", path);
    return system(cmd) == 0;
}

/* A folder no earlier run wrote into: --out when it is new or empty, else a fresh
 * results/<date>-<time>[-k]. Created by make_dirs once the options are all known good. */
static void choose_folder(char *dir, size_t len, const char *out) {
    struct stat st;
    if (out) {
        if (strpbrk(out, "'")) bad_usage("--out %s: quotes are not allowed in the folder name", out);
        if (stat(out, &st) == 0 && (!S_ISDIR(st.st_mode) || !is_empty_dir(out)))
            bad_usage("--out %s exists and is not an empty folder: earlier results are never "
                      "overwritten", out);
        snprintf(dir, len, "%s", out);
    } else {
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y-%m-%d-%H%M%S", localtime(&now));
        snprintf(dir, len, "results/%s", stamp);
        for (int k = 2; stat(dir, &st) == 0; k++) snprintf(dir, len, "results/%s-%d", stamp, k);
    }
}

static void write_text(const char *dir, const char *name, const char *text) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) fail("cannot write %s", path);
}

/* ---- the machine ---- */

/* The first line a shell command prints, or "unknown". */
static void command_line(char *out, size_t len, const char *cmd) {
    snprintf(out, len, "unknown");
    FILE *p = popen(cmd, "r");
    if (!p) return;
    if (fgets(out, (int)len, p)) out[strcspn(out, "\n")] = '\0';
    else snprintf(out, len, "unknown");
    pclose(p);
}

static void describe_machine(mlpb_machine *m, const mlpb_topo_summary *s, const char *pin,
                             const char *dir) {
    mlp_cpu_model(m->cpu_model, sizeof m->cpu_model);
    mlpb_topo_describe(m->topology, sizeof m->topology, s);
    snprintf(m->pin_policy, sizeof m->pin_policy, "%s", pin);
    m->cores = s->n_cores;
    snprintf(m->compiler, sizeof m->compiler, "%s", MLP_COMPILER);
    snprintf(m->flags, sizeof m->flags, "%s", MLP_BUILD_FLAGS);
    const char *wait = getenv("OMP_WAIT_POLICY");
#ifdef __clang__
    snprintf(m->openmp, sizeof m->openmp, "OpenMP %d (LLVM libomp), OMP_WAIT_POLICY=%s", _OPENMP,
             wait ? wait : "unset");
#else
    snprintf(m->openmp, sizeof m->openmp, "OpenMP %d (GNU libgomp), OMP_WAIT_POLICY=%s", _OPENMP,
             wait ? wait : "unset");
#endif
    snprintf(m->libraries, sizeof m->libraries, "%s, %s, Google Benchmark %s",
             mlp_library_versions(), mlpb_hwloc_version(), MLP_GBENCH_VERSION);
    char head[16], dirty[8];
    command_line(head, sizeof head, "git -C '" MLP_SOURCE_DIR "' rev-parse --short HEAD 2>/dev/null");
    command_line(dirty, sizeof dirty,
                 "git -C '" MLP_SOURCE_DIR "' status --porcelain -uno 2>/dev/null | head -c 1 | wc -c");
    snprintf(m->git_commit, sizeof m->git_commit, "%s%s", head,
             strcmp(dirty, "1") == 0 ? " (with uncommitted changes)" : "");
    time_t now = time(NULL);
    strftime(m->date, sizeof m->date, "%Y-%m-%d %H:%M %Z", localtime(&now));
    snprintf(m->simd_status, sizeof m->simd_status, "%s", mlp_simd_status());
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    snprintf(m->openblas_core, sizeof m->openblas_core, "%s (OPENBLAS_CORETYPE=%s)",
             mlp_openblas_core(), coretype ? coretype : "unset");
    /* hwloc's own drawing of the machine, for machine.md's readers */
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "lstopo-no-graphics --of console >'%s/topology.txt' 2>/dev/null",
             dir);
    if (system(cmd) != 0) {
        snprintf(cmd, sizeof cmd, "%s/topology.txt", dir);
        remove(cmd);
    }
}

/* The peak and bandwidth of one core and of the widest sweep point, from the records. */
static void machine_limits(mlpb_machine *m, const mlpb_record *recs, int n, int widest) {
    for (int i = 0; i < n; i++) {
        const mlpb_record *r = &recs[i];
        if (!(r->median_ns > 0)) continue;
        if (strcmp(r->kernel, "peak") == 0) {
            if (r->threads == 1) m->peak_gflops_1core = r->flops / r->median_ns;
            if (r->threads == widest) m->peak_gflops_all = r->flops / r->median_ns;
        } else if (strcmp(r->kernel, "triad") == 0) {
            if (r->threads == 1) m->triad_gbs_1core = r->bytes / r->median_ns;
            if (r->threads == widest) m->triad_gbs_all = r->bytes / r->median_ns;
        }
    }
}

/* ---- the run ---- */

typedef struct {
    char dir[4096];
    mlpb_machine machine;
    int widest;
    const mlpb_record *recs;
    int n_recs;
    mlpb_training train[64];
    int n_train;
} run;

static void write_reports(run *r, bool charts) {
    char err[512];
    machine_limits(&r->machine, r->recs, r->n_recs, r->widest);
    if (mlpb_write_reports(r->dir, r->recs, r->n_recs, r->train, r->n_train, &r->machine,
                           charts, err, sizeof err) != 0)
        fail("%s", err);
}

/* After each benchmark: the tables so far, so that a crash loses nothing measured. */
static void on_record(const mlpb_record *rec, void *ctx) {
    run *r = ctx;
    (void)rec;
    const mlpb_record *all;
    r->n_recs = mlpb_gb_records(&all);
    r->recs = all;
    write_reports(r, false);
}

static const mlpb_record *find_record(const run *r, const char *kernel, const char *variant,
                                      int threads) {
    for (int i = 0; i < r->n_recs; i++)
        if (strcmp(r->recs[i].kernel, kernel) == 0 && strcmp(r->recs[i].variant, variant) == 0 &&
            strcmp(r->recs[i].shape, NET_SHAPE) == 0 && r->recs[i].threads == threads)
            return &r->recs[i];
    return NULL;
}

static void write_losses(const run *r, const char *name, const mlp_train_result *res) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *f = fopen(path, "w");
    if (!f) fail("cannot write %s", path);
    fputs("iteration,loss\n", f);
    for (int it = 0; it < res->iters_done; it++) fprintf(f, "%d,%.17g\n", it + 1, res->losses[it]);
    if (fclose(f) != 0) fail("error writing %s", path);
}

/* runs training runs of cfg->iters iterations each, pinned, as one row of the hours-vs-seconds
 * table: their median time, with the fastest and the slowest beside it. The runs give the same
 * losses, bit for bit; the last one's are written. */
static void train_row(run *r, const mlpb_suite *suite, mlp_train_config *cfg, int runs,
                      const mlp_dataset *train, const mlp_dataset *test, const char *loss_name) {
    char err[512];
    if (mlpb_suite_bind(suite, cfg->threads, err, sizeof err) != 0) fail("%s", err);
    double s[MAX_RUNS];
    mlp_train_result res = {0};
    int done = 0;
    for (; done < runs && !stop_requested; done++) {
        if (done) free(res.losses);
        if (runs > 1) fprintf(stderr, "  run %d of %d\n", done + 1, runs);
        if (mlp_train(&res, cfg, train, test, err, sizeof err) != 0) fail("%s", err);
        if (res.iters_done < cfg->iters) break; /* interrupted: its partial time stands alone */
        s[done] = res.seconds / res.iters_done;
    }
    mlpb_training *t = &r->train[r->n_train++];
    *t = (mlpb_training){.threads = res.threads, .measured = res.iters_done,
                         .run_through = res.iters_done == BLOG_ITERS, .loss_first = NAN,
                         .loss_last = NAN, .test_accuracy = NAN};
    snprintf(t->method, sizeof t->method, "%s", cfg->grad);
    snprintf(t->variant, sizeof t->variant, "%s", cfg->variant);
    snprintf(t->unit, sizeof t->unit, "iterations");
    if (done == 0) { /* the first run was cut short */
        t->runs = 1;
        t->s_per_iter = t->s_min = t->s_max = res.iters_done ? res.seconds / res.iters_done : NAN;
    } else {
        for (int i = 1; i < done; i++) /* insertion sort: a few runs */
            for (int j = i; j > 0 && s[j] < s[j - 1]; j--) {
                const double tmp = s[j];
                s[j] = s[j - 1];
                s[j - 1] = tmp;
            }
        t->runs = done;
        t->s_per_iter = done % 2 ? s[done / 2] : 0.5 * (s[done / 2 - 1] + s[done / 2]);
        t->s_min = s[0];
        t->s_max = s[done - 1];
    }
    if (t->run_through) {
        t->loss_first = res.loss_first;
        t->loss_last = res.loss_last;
        t->test_accuracy = res.test_accuracy;
    }
    if (loss_name && res.iters_done) write_losses(r, loss_name, &res);
    free(res.losses);
    write_reports(r, false);
}

/* The budgets, in seconds, for running the blog's 10,000 iterations through: a run expected to
 * take longer is measured over fewer iterations (backprop) or projected from the numgrad
 * benchmark's perturbations (numerical). A run expected to take at most `repeat` is run
 * MAX_RUNS times, so that a slow spell of the machine shows as spread, not as the figure. */
typedef struct {
    double backprop_run, backprop_sample, numerical_run, repeat;
} budget;

/* The number of runs a training run of about `seconds` gets. */
static int runs_for(const budget *b, double seconds) { return seconds <= b->repeat ? MAX_RUNS : 1; }

static void training_phase(run *r, const mlpb_suite *suite, const mlp_dataset *train,
                           const mlp_dataset *test, const budget *b) {
    const char *names[64];
    const int n_names = mlpb_network_variants(names, 64);
    int todo = 0, done = 0;
    char name[128];
    for (int k = 0; k < n_names; k++) {
        snprintf(name, sizeof name, "train/backprop/%s", names[k]);
        todo += mlpb_suite_selects(suite, name);
    }
    for (const mlp_numgrad_variant *v = mlp_numgrad_variants; v->name; v++) {
        snprintf(name, sizeof name, "train/numerical/%s", v->name);
        todo += mlpb_suite_selects(suite, name);
    }
    for (int k = 0; k < n_names && !stop_requested; k++) {
        snprintf(name, sizeof name, "train/backprop/%s", names[k]);
        if (!mlpb_suite_selects(suite, name)) continue;
        mlp_train_config cfg = MLP_TRAIN_DEFAULTS;
        cfg.variant = names[k];
        cfg.threads = mlp_variant_uses_threads(names[k]) ? r->widest : 1;
        cfg.stop = &stop_requested;
        /* An iteration is a gradient and a forward (the loss after the update). */
        const mlpb_record *g = find_record(r, "backprop", names[k], cfg.threads);
        const mlpb_record *f = find_record(r, "forward", names[k], cfg.threads);
        double est = g && f ? 1e-9 * (g->median_ns + f->median_ns) : NAN;
        if (!isfinite(est)) { /* not benchmarked (filtered out): a short pilot run */
            cfg.iters = 20;
            cfg.progress = false;
            double t0 = mlp_now();
            mlp_train_result pilot;
            char err[512];
            if (mlp_train(&pilot, &cfg, train, test, err, sizeof err) != 0) fail("%s", err);
            est = (mlp_now() - t0 - pilot.eval_seconds) / 20;
            free(pilot.losses);
            cfg.progress = true;
        }
        cfg.iters = est * BLOG_ITERS <= b->backprop_run
                        ? BLOG_ITERS
                        : (int)fmax(20, fmin(BLOG_ITERS, b->backprop_sample / est));
        fprintf(stderr, "[train %d/%d] backprop, %s, %d thread%s: %d iterations, about %.0f s\n",
                ++done, todo, names[k], cfg.threads, cfg.threads == 1 ? "" : "s", cfg.iters,
                est * cfg.iters);
        train_row(r, suite, &cfg, runs_for(b, est * cfg.iters), train, test,
                  strcmp(names[k], "simd_omp") == 0 ? "loss.csv" : NULL);
    }
    for (const mlp_numgrad_variant *v = mlp_numgrad_variants; v->name && !stop_requested; v++) {
        snprintf(name, sizeof name, "train/numerical/%s", v->name);
        if (!mlpb_suite_selects(suite, name)) continue;
        const int threads = mlp_variant_uses_threads(v->name) ? r->widest : 1;
        const mlpb_record *p = find_record(r, "numgrad", v->name, threads);
        if (!p) {
            fprintf(stderr, "[train %d/%d] numerical, %s: no numgrad benchmark to project from; "
                    "skipped\n", ++done, todo, v->name);
            continue;
        }
        const double est = 1e-9 * p->median_ns * 2 * NET_PARAMS;
        if (est * BLOG_ITERS <= b->numerical_run) {
            mlp_train_config cfg = MLP_TRAIN_DEFAULTS;
            cfg.grad = "numerical";
            cfg.variant = v->name;
            cfg.threads = threads;
            cfg.stop = &stop_requested;
            fprintf(stderr, "[train %d/%d] numerical, %s, %d thread%s: %d iterations, about "
                    "%.0f s\n", ++done, todo, v->name, threads, threads == 1 ? "" : "s",
                    BLOG_ITERS, est * BLOG_ITERS);
            train_row(r, suite, &cfg, runs_for(b, est * BLOG_ITERS), train, test,
                      strcmp(v->name, "incremental_omp") == 0 ? "loss_numerical.csv" : NULL);
            continue;
        }
        fprintf(stderr, "[train %d/%d] numerical, %s: %.0f s for 10,000 iterations is over the "
                "budget: projected from the numgrad benchmark\n", ++done, todo, v->name,
                est * BLOG_ITERS);
        mlpb_training *t = &r->train[r->n_train++];
        *t = (mlpb_training){.threads = threads, .s_per_iter = est, .runs = 1, .s_min = est,
                             .s_max = est, .measured = (long)p->measured_units,
                             .loss_first = NAN, .loss_last = NAN, .test_accuracy = NAN};
        snprintf(t->method, sizeof t->method, "numerical");
        snprintf(t->variant, sizeof t->variant, "%s", v->name);
        snprintf(t->unit, sizeof t->unit, "perturbations");
    }
}

/* The seed's NumPy code on this machine (scripts/numpy_seed.py), when /usr/bin/python3 has
 * NumPy: its figures go to numpy.json, its summary to numpy.txt, its progress to stderr. */
static void numpy_phase(const run *r, const char *data, bool quick) {
    char json[4200], txt[4200];
    snprintf(json, sizeof json, "%s/numpy.json", r->dir);
    snprintf(txt, sizeof txt, "%s/numpy.txt", r->dir);
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") != 0) {
        fprintf(stderr, "[numpy] skipped: /usr/bin/python3 has no NumPy (apt-get install "
                "python3-numpy)\n");
        return;
    }
    char *argv[] = {"/usr/bin/python3", MLP_SOURCE_DIR "/scripts/numpy_seed.py", "--data",
                    (char *)data, "--json", json, "--iters", quick ? "300" : "10000",
                    "--numgrad-sample", quick ? "10" : "200", NULL};
    fprintf(stderr, "[numpy] the seed's NumPy code: %s backprop iterations and %s numerical-"
            "gradient parameters\n", argv[7], argv[9]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, txt, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid;
    int status = -1;
    if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) == 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    posix_spawn_file_actions_destroy(&fa);
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        fprintf(stderr, "[numpy] failed (see %s); the report has no NumPy rows\n", txt);
        remove(json);
    }
}

int main(int argc, char **argv) {
    mlp_runtime_setup(argv);
    options o;
    parse_options(&o, argc, argv);

    char err[512];
    mlpb_topo *topo = mlpb_topo_load(o.topology, err, sizeof err);
    if (!topo) bad_usage("%s", err);
    const mlpb_topo_summary *s = mlpb_topo_summary_of(topo);
    int sweep[MAX_SWEEP], n_sweep;
    if (o.threads) {
        n_sweep = mlpb_parse_threads(sweep, MAX_SWEEP, o.threads, s->n_pus, err, sizeof err);
        if (n_sweep < 0) bad_usage("%s", err);
    } else {
        n_sweep = mlpb_default_sweep(sweep, MAX_SWEEP, s->n_cores);
        if (o.quick && n_sweep > 2) sweep[1] = sweep[n_sweep - 1], n_sweep = 2;
    }
    if (o.plan) {
        print_plan(s, sweep, n_sweep);
        mlpb_topo_free(topo);
        free(o.gb_args);
        return 0;
    }
    regex_t filter;
    if (o.filter && regcomp(&filter, o.filter, REG_EXTENDED | REG_NOSUB) != 0)
        bad_usage("--filter '%s' is not an extended regular expression", o.filter);

    mlp_dataset train, test;
    if (mlp_load_mnist(o.data, &train, &test, err, sizeof err) != 0) fail("%s", err);

    static run r;
    choose_folder(r.dir, sizeof r.dir, o.out);

    /* Google Benchmark's argv: our defaults first, so that the user's flags override them. */
    char out_flag[4200];
    snprintf(out_flag, sizeof out_flag, "--benchmark_out=%s/bench.json", r.dir);
    char *gb_argv[9 + argc];
    int gb_argc = 0;
    gb_argv[gb_argc++] = argv[0];
    gb_argv[gb_argc++] = o.quick ? "--benchmark_repetitions=3" : "--benchmark_repetitions=5";
    gb_argv[gb_argc++] = o.quick ? "--benchmark_min_time=0.05" : "--benchmark_min_time=0.3";
    /* Repetitions in a random order across benchmarks: a slow spell of a shared machine then
     * falls on every variant alike instead of on the few it meets, and ratios hold. */
    gb_argv[gb_argc++] = "--benchmark_enable_random_interleaving=true";
    gb_argv[gb_argc++] = out_flag;
    gb_argv[gb_argc++] = "--benchmark_out_format=json";
    for (int i = 0; i < o.n_gb_args; i++) gb_argv[gb_argc++] = o.gb_args[i];
    gb_argv[gb_argc] = NULL;
    mlpb_gb_init(&gb_argc, gb_argv);
    if (gb_argc > 1) bad_usage("unknown Google Benchmark flag '%s'", gb_argv[1]);

    make_dirs(r.dir);
    write_text(r.dir, "INCOMPLETE",
               "This run has not finished (or was interrupted or crashed): the tables hold what "
               "was measured until then.\n");
    fprintf(stderr, "bench_all: writing into %s\n", r.dir);
    for (int i = 0; i < n_sweep; i++) r.widest = sweep[i] > r.widest ? sweep[i] : r.widest;
    describe_machine(&r.machine, s, o.pin, r.dir);

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    mlpb_suite suite = {.sweep = sweep, .n_sweep = n_sweep, .quick = o.quick, .topo = topo,
                        .pin = (mlpb_pin)mlpb_pin_parse(o.pin), .train = &train,
                        .filter = o.filter ? &filter : NULL, .machine = &r.machine};
    mlpb_suite_register(&suite);
    r.n_recs = mlpb_gb_run(&r.recs, on_record, &r);
    machine_limits(&r.machine, r.recs, r.n_recs, r.widest);

    const budget b = o.quick ? (budget){3, 1, 0, 0} : (budget){90, 10, 1200, 30};
    if (!stop_requested) training_phase(&r, &suite, &train, &test, &b);
    if (!stop_requested && mlpb_suite_selects(&suite, "numpy")) numpy_phase(&r, o.data, o.quick);

    if (!stop_requested) {
        char marker[4200];
        snprintf(marker, sizeof marker, "%s/INCOMPLETE", r.dir);
        remove(marker);
    }
    write_reports(&r, true);
    fprintf(stderr, "bench_all: %s%s/REPORT.md\n", stop_requested ? "INTERRUPTED; what was "
            "measured is in " : "done: ", r.dir);

    mlpb_gb_shutdown();
    mlpb_suite_free();
    if (o.filter) regfree(&filter);
    mlp_dataset_free(&train);
    mlp_dataset_free(&test);
    mlpb_topo_free(topo);
    free(o.gb_args);
    return stop_requested ? EXIT_INTERRUPTED : 0;
}
