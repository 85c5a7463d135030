/* build/train: the blog's experiment from the command line. It loads the data, trains as
 * SEED.md says (mlp_train) with backprop or a rung of the numerical-gradient ladder, prints the
 * blog's summary, and writes the loss curve (CSV) and a summary (JSON) on request.
 *
 * Over the library it adds what a user running hours of work needs: a numerical run that would
 * take over an hour is projected from a measured sample and stopped unless --force, and
 * --gradcheck checks every numerical variant against backprop before the run is believed.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_net.h"
#include "mlp_train.h"
#include "mlp_util.h"

enum { EXIT_USAGE = 2, EXIT_TOO_LONG = 3, EXIT_GRADCHECK = 4 };
#define MAX_PROJECTED_SECONDS 3600.0
#define GRADCHECK_MAX_BATCH 100
#define GRADCHECK_SAMPLE 50 /* parameters per array for the variants that run full forwards */

static const char usage[] =
    "usage: train [options]\n"
    "  SEED.md's training run: SGD, batches drawn with replacement, the loss after each update.\n"
    "  --grad backprop|numerical  how the gradient is computed (backprop)\n"
    "  --variant NAME   kernel variant (backprop; default simd_omp) or numerical-gradient\n"
    "                   variant (numerical; default incremental_omp)\n"
    "  --threads N      OpenMP threads (default: OpenMP's, all cores)\n"
    "  --iters N        iterations (10000)      --batch N   samples per batch (100)\n"
    "  --lr X           learning rate (0.1)     --seed N    weights and batches (42)\n"
    "  --hidden N       hidden units (100 as the blog; the book uses 50)\n"
    "  --data DIR       the four IDX files, .gz or not (" MLP_DEFAULT_DATA_DIR ")\n"
    "  --loss-csv FILE  write \"iteration,loss\" for every iteration into FILE, a new file\n"
    "  --json FILE      write a summary as JSON into FILE, a new file\n"
    "  --gradcheck      first compare every numerical variant with backprop on the first\n"
    "                   min(batch,100) training images and the initial net: all parameters for\n"
    "                   incremental*, a strided sample of 50 per array for the others; ok when\n"
    "                   ||g_num - g_bp|| / ||g_bp|| <= 1e-5 and max |g_num - g_bp| <= 1e-7\n"
    "  --force          run a numerical training even when projected to take over an hour\n"
    "  --help           this text\n"
    "exit status: 0 done, 1 bad data or I/O error, 2 bad option, 3 numerical run projected\n"
    "over an hour (not run), 4 gradient check failed (the run itself completed)\n";

static _Noreturn void bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void bad_usage(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("train: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs(" (see --help)\n", stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

static long parse_int(const char *opt, const char *s, long lo, long hi) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        bad_usage("%s wants a whole number from %ld to %ld, got '%s'", opt, lo, hi, s);
    return v;
}

static uint64_t parse_seed(const char *s) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || strchr(s, '-'))
        bad_usage("--seed wants a whole number from 0 to %llu, got '%s'", ULLONG_MAX, s);
    return v;
}

static double parse_rate(const char *s) {
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || !isfinite(v))
        bad_usage("--lr wants a positive number, got '%s'", s);
    return v;
}

/* Append name to the list "a, b, c" in buf unless it is there already (families share names). */
static void add_name(char *buf, size_t len, const char *name) {
    for (const char *at = buf; (at = strstr(at, name)); at++) {
        char after = at[strlen(name)];
        if ((at == buf || at[-1] == ' ') && (after == ',' || after == '\0')) return;
    }
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
}

static void check_variant(const char *grad, const char *variant) {
    char names[512] = "";
    mlp_ops ops;
    if (strcmp(grad, "numerical") == 0) {
        if (mlp_find_numgrad(variant)) return;
        for (int i = 0; mlp_numgrad_variants[i].name; i++)
            add_name(names, sizeof names, mlp_numgrad_variants[i].name);
    } else {
        if (mlp_ops_find(&ops, variant) == 0) return;
        for (int i = 0; mlp_matmul_variants[i].name; i++)
            add_name(names, sizeof names, mlp_matmul_variants[i].name);
        for (int i = 0; mlp_sigmoid_variants[i].name; i++)
            add_name(names, sizeof names, mlp_sigmoid_variants[i].name);
        for (int i = 0; mlp_softmax_variants[i].name; i++)
            add_name(names, sizeof names, mlp_softmax_variants[i].name);
    }
    bad_usage("no %s variant named '%s'; valid: %s", grad, variant, names);
}

static bool is_valued(const char *opt) {
    static const char *const valued[] = {"--grad", "--variant", "--threads", "--iters", "--batch",
                                         "--hidden", "--lr", "--seed", "--data", "--loss-csv",
                                         "--json"};
    for (size_t i = 0; i < sizeof valued / sizeof *valued; i++)
        if (strcmp(opt, valued[i]) == 0) return true;
    return false;
}

/* "230 h", "12 min", "40 s": a projection's order of magnitude, not its digits. */
static void format_duration(char *out, size_t len, double seconds) {
    if (seconds >= 3600) snprintf(out, len, "%.0f h", seconds / 3600);
    else if (seconds >= 60) snprintf(out, len, "%.0f min", seconds / 60);
    else snprintf(out, len, "%.1f s", seconds);
}

/* The output files this run created, empty until the run ends: removed when it stops early. */
static const char *created[2];
static int n_created;

static void remove_created(void) {
    while (n_created) remove(created[--n_created]);
}

/* A new file: earlier results are never overwritten. */
static FILE *open_output(const char *path) {
    FILE *f = fopen(path, "wx");
    if (!f) {
        if (errno == EEXIST)
            fprintf(stderr, "train: %s exists: earlier results are never overwritten; remove it "
                    "or choose another name\n", path);
        else
            fprintf(stderr, "train: cannot write %s: %s\n", path, strerror(errno));
        remove_created();
        exit(EXIT_USAGE);
    }
    created[n_created++] = path;
    return f;
}

/* An early exit with status rc: no empty output files left behind, the data sets freed. */
static int finish(int rc, mlp_dataset *train, mlp_dataset *test) {
    remove_created();
    mlp_dataset_free(train);
    mlp_dataset_free(test);
    return rc;
}

/* --- JSON: one writer, so every key is written the same way. --- */

typedef struct {
    FILE *f;
    int depth;
    int count[8]; /* members written so far at each depth */
} json;

static void json_string(FILE *f, const char *s) {
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void json_key(json *j, const char *key) {
    fprintf(j->f, "%s\n%*s", j->count[j->depth]++ ? "," : "", 2 * j->depth + 2, "");
    json_string(j->f, key);
    fputs(": ", j->f);
}

static void json_str(json *j, const char *key, const char *value) {
    json_key(j, key);
    json_string(j->f, value);
}

static void json_num(json *j, const char *key, double value) {
    json_key(j, key);
    if (!isfinite(value)) {
        fputs("null", j->f); /* JSON has no inf or NaN */
        return;
    }
    char text[32]; /* the shortest of 15, 16, 17 digits that reads back as the same double */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(text, sizeof text, "%.*g", digits, value);
        if (strtod(text, NULL) == value) break;
    }
    fputs(text, j->f);
}

static void json_bool(json *j, const char *key, bool value) {
    json_key(j, key);
    fputs(value ? "true" : "false", j->f);
}

static void json_open(json *j, const char *key) {
    json_key(j, key);
    fputc('{', j->f);
    j->count[++j->depth] = 0;
}

static void json_close(json *j) {
    fprintf(j->f, "\n%*s}", 2 * j->depth--, "");
}

/* --- The data set and the machine, named for the summary. --- */

/* MNIST's and Fashion-MNIST's training sets are told apart by their first ten labels, which
 * holds whatever the folder is called; anything else is some other IDX set. */
static const char *dataset_kind(const mlp_dataset *train) {
    static const uint8_t mnist[10] = {5, 0, 4, 1, 9, 2, 1, 3, 1, 4};
    static const uint8_t fashion[10] = {9, 0, 0, 3, 0, 2, 7, 2, 5, 5};
    if (train->count >= 10 && memcmp(train->labels, mnist, 10) == 0) return "MNIST";
    if (train->count >= 10 && memcmp(train->labels, fashion, 10) == 0) return "Fashion-MNIST";
    return "IDX";
}

/* --- --gradcheck --- */

enum { N_ARRAYS = 4 };
static const char *const array_names[N_ARRAYS] = {"W1", "b1", "W2", "b2"};

typedef struct {
    double rel_norm_error, max_abs_error;
    bool ok;
} check_row;

/* rows[v][a] for numerical variant v and array a; returns whether all are ok. */
static bool gradcheck(check_row (*rows)[N_ARRAYS], const mlp_train_config *cfg,
                      const mlp_dataset *train) {
    int B = cfg->batch < GRADCHECK_MAX_BATCH ? cfg->batch : GRADCHECK_MAX_BATCH;
    if (B > train->count) B = train->count;
    mlp_net net;
    mlp_net_init(&net, MLP_IMAGE_SIZE, cfg->hidden, MLP_CLASSES, cfg->seed);
    mlp_ops ops;
    mlp_ops_find(&ops, "naive");
    mlp_work *w = mlp_work_new(&net, B);
    mlp_batch *batch = mlp_batch_new(MLP_IMAGE_SIZE, B);
    double *g_bp = mlp_xalloc64(net.count * sizeof *g_bp), *g_num = mlp_xalloc64(net.count * sizeof *g_num);
    size_t *which = mlp_xmalloc(net.count * sizeof *which);
    mlp_gather(batch, train, NULL, B);
    mlp_gradient(g_bp, &net, &ops, w, batch);

    const double *arrays[N_ARRAYS + 1] = {net.W1, net.b1, net.W2, net.b2, net.params + net.count};
    bool all_ok = true;
    printf("gradient check on %d images, hidden %d: numerical vs backprop (naive kernels)\n", B,
           cfg->hidden);
    printf("%-16s %-3s %8s %14s %14s  %s\n", "variant", "", "checked", "rel_norm_error",
           "max_abs_error", "ok");
    for (int v = 0; mlp_numgrad_variants[v].name; v++) {
        const char *name = mlp_numgrad_variants[v].name;
        bool every = strncmp(name, "incremental", 11) == 0; /* fast enough for all of them */
        size_t sizes[N_ARRAYS], n = 0;
        for (int a = 0; a < N_ARRAYS; a++) {
            size_t lo = (size_t)(arrays[a] - net.params), len = (size_t)(arrays[a + 1] - arrays[a]);
            sizes[a] = every || len < GRADCHECK_SAMPLE ? len : GRADCHECK_SAMPLE;
            for (size_t k = 0; k < sizes[a]; k++) which[n++] = lo + k * len / sizes[a];
        }
        mlp_numgrad_variants[v].numgrad(g_num, &net, batch, which, n);
        for (int a = 0, k = 0; a < N_ARRAYS; a++) {
            double diff2 = 0.0, ref2 = 0.0, worst = 0.0;
            for (size_t end = (size_t)k + sizes[a]; (size_t)k < end; k++) {
                double d = g_num[which[k]] - g_bp[which[k]];
                diff2 += d * d;
                ref2 += g_bp[which[k]] * g_bp[which[k]];
                worst = fabs(d) > worst ? fabs(d) : worst;
            }
            check_row *r = &rows[v][a];
            r->rel_norm_error = sqrt(diff2) / sqrt(ref2);
            r->max_abs_error = worst;
            r->ok = r->rel_norm_error <= 1e-5 && r->max_abs_error <= 1e-7;
            all_ok &= r->ok;
            printf("%-16s %-3s %8zu %14.3e %14.3e  %s\n", name, array_names[a], sizes[a],
                   r->rel_norm_error, r->max_abs_error, r->ok ? "ok" : "NOT OK");
        }
    }
    free(which);
    free(g_num);
    free(g_bp);
    mlp_batch_free(batch);
    mlp_work_free(w);
    mlp_net_free(&net);
    return all_ok;
}

static int count_numgrad_variants(void) {
    int n = 0;
    while (mlp_numgrad_variants[n].name) n++;
    return n;
}

static void write_json(FILE *f, const mlp_train_config *cfg, const mlp_train_result *res,
                       const char *data_dir, const char *kind, double load_seconds,
                       check_row (*rows)[N_ARRAYS]) {
    char cpu[128];
    mlp_cpu_model(cpu, sizeof cpu);
    json j = {.f = f};
    fputc('{', f);
    json_str(&j, "grad", cfg->grad);
    json_str(&j, "variant", cfg->variant);
    json_num(&j, "threads", res->threads);
    json_num(&j, "iters", cfg->iters);
    json_num(&j, "batch", cfg->batch);
    json_num(&j, "lr", cfg->lr);
    json_num(&j, "seed", (double)cfg->seed);
    json_num(&j, "hidden", cfg->hidden);
    json_num(&j, "seconds", res->seconds);
    json_num(&j, "ms_per_iter", res->ms_per_iter);
    json_num(&j, "loss_first", res->loss_first);
    json_num(&j, "loss_last", res->loss_last);
    json_num(&j, "train_accuracy", res->train_accuracy);
    json_num(&j, "test_accuracy", res->test_accuracy);
    json_open(&j, "dataset");
    json_str(&j, "dir", data_dir);
    json_str(&j, "name", kind);
    json_close(&j);
    json_num(&j, "load_seconds", load_seconds);
    json_num(&j, "eval_seconds", res->eval_seconds);
    json_str(&j, "cpu_model", cpu);
    json_str(&j, "simd_status", mlp_simd_status());
    if (rows) {
        json_open(&j, "gradcheck");
        for (int v = 0; mlp_numgrad_variants[v].name; v++) {
            json_open(&j, mlp_numgrad_variants[v].name);
            for (int a = 0; a < N_ARRAYS; a++) {
                json_open(&j, array_names[a]);
                json_num(&j, "rel_norm_error", rows[v][a].rel_norm_error);
                json_num(&j, "max_abs_error", rows[v][a].max_abs_error);
                json_bool(&j, "ok", rows[v][a].ok);
                json_close(&j);
            }
            json_close(&j);
        }
        json_close(&j);
    }
    fputs("\n}\n", f);
}

static void close_output(FILE *f, const char *path) {
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "train: error writing %s\n", path);
        exit(1);
    }
}

int main(int argc, char **argv) {
    mlp_runtime_setup(argv);
    mlp_train_config cfg = MLP_TRAIN_DEFAULTS;
    const char *variant = NULL, *data_dir = MLP_DEFAULT_DATA_DIR, *csv_path = NULL,
               *json_path = NULL;
    bool check = false, force = false;
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(opt, "--gradcheck") == 0) { check = true; continue; }
        if (strcmp(opt, "--force") == 0) { force = true; continue; }
        if (!is_valued(opt)) bad_usage("unknown option '%s'", opt);
        if (i + 1 == argc) bad_usage("%s needs a value", opt);
        const char *val = argv[++i];
        if (strcmp(opt, "--grad") == 0) {
            if (strcmp(val, "backprop") && strcmp(val, "numerical"))
                bad_usage("--grad wants backprop or numerical, got '%s'", val);
            cfg.grad = val;
        } else if (strcmp(opt, "--variant") == 0) variant = val;
        else if (strcmp(opt, "--threads") == 0) cfg.threads = (int)parse_int(opt, val, 1, 1024);
        else if (strcmp(opt, "--iters") == 0) cfg.iters = (int)parse_int(opt, val, 1, INT_MAX);
        else if (strcmp(opt, "--batch") == 0) cfg.batch = (int)parse_int(opt, val, 1, 100000);
        else if (strcmp(opt, "--hidden") == 0) cfg.hidden = (int)parse_int(opt, val, 1, 100000);
        else if (strcmp(opt, "--lr") == 0) cfg.lr = parse_rate(val);
        else if (strcmp(opt, "--seed") == 0) cfg.seed = parse_seed(val);
        else if (strcmp(opt, "--data") == 0) data_dir = val;
        else if (strcmp(opt, "--loss-csv") == 0) csv_path = val;
        else json_path = val;
    }
    bool numerical = strcmp(cfg.grad, "numerical") == 0;
    cfg.variant = variant ? variant : numerical ? "incremental_omp" : "simd_omp";
    check_variant(cfg.grad, cfg.variant);
    /* Opened now, so that a bad path fails before an hour of training rather than after. */
    FILE *csv = csv_path ? open_output(csv_path) : NULL;
    FILE *json_file = json_path ? open_output(json_path) : NULL;

    char err[512];
    mlp_dataset train, test;
    double load_seconds = mlp_now();
    if (mlp_load_mnist(data_dir, &train, &test, err, sizeof err) != 0) {
        fprintf(stderr, "train: %s\n", err);
        return finish(1, &train, &test);
    }
    load_seconds = mlp_now() - load_seconds;
    const char *kind = dataset_kind(&train);
    printf("data: %s (%s), %d training and %d test images, loaded in %.2f s\n", data_dir, kind,
           train.count, test.count, load_seconds);

    if (numerical && !force) {
        double s_per_iter;
        long measured;
        if (mlp_numgrad_projection(&s_per_iter, &measured, &cfg, &train, 2.0, err, sizeof err)) {
            fprintf(stderr, "train: %s\n", err);
            return finish(EXIT_USAGE, &train, &test);
        }
        double total = s_per_iter * cfg.iters;
        char span[32];
        format_duration(span, sizeof span, total);
        printf("numerical %s, %d iterations (%.3g s each): projected from %ld measured "
               "perturbations: %s\n",
               cfg.variant, cfg.iters, s_per_iter, measured, span);
        if (total > MAX_PROJECTED_SECONDS) {
            fprintf(stderr,
                    "train: not started: over an hour; use fewer --iters, a faster variant "
                    "(incremental_omp), or --force\n");
            return finish(EXIT_TOO_LONG, &train, &test);
        }
    }

    check_row (*rows)[N_ARRAYS] = NULL;
    bool check_ok = true;
    if (check) {
        rows = mlp_xmalloc((size_t)count_numgrad_variants() * sizeof *rows);
        check_ok = gradcheck(rows, &cfg, &train);
    }

    mlp_train_result res;
    if (mlp_train(&res, &cfg, &train, &test, err, sizeof err) != 0) {
        fprintf(stderr, "train: %s\n", err);
        free(rows);
        return finish(EXIT_USAGE, &train, &test);
    }
    printf("%s gradient, %s, %d thread%s, %d iterations of batch %d, lr %g, hidden %d, seed "
           "%llu\n",
           cfg.grad, cfg.variant, res.threads, res.threads == 1 ? "" : "s", cfg.iters, cfg.batch,
           cfg.lr, cfg.hidden, (unsigned long long)cfg.seed);
    printf("loss: first %.4f, last %.4f (a %.1f%% drop)\n", res.loss_first, res.loss_last,
           100 * (res.loss_first - res.loss_last) / res.loss_first);
    printf("accuracy: train %.2f%%, test %.2f%%\n", 100 * res.train_accuracy,
           100 * res.test_accuracy);
    printf("time: %.2f s training, %.3f ms per iteration (evaluation %.2f s, loading %.2f s)\n",
           res.seconds, res.ms_per_iter, res.eval_seconds, load_seconds);

    if (csv) {
        fputs("iteration,loss\n", csv);
        for (int it = 0; it < cfg.iters; it++) fprintf(csv, "%d,%.17g\n", it + 1, res.losses[it]);
        close_output(csv, csv_path);
    }
    if (json_file) {
        write_json(json_file, &cfg, &res, data_dir, kind, load_seconds, rows);
        close_output(json_file, json_path);
    }
    free(rows);
    free(res.losses);
    mlp_dataset_free(&train);
    mlp_dataset_free(&test);
    return check_ok ? 0 : EXIT_GRADCHECK;
}
