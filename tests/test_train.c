/* test_train: mlp_train, SEED.md's training loop. A short run on a few thousand images must
 * learn (the loss at least halves), and the same seed must give the same loss curve, bit for
 * bit, at 1, 2 and 3 threads. The images are the first ones of Debian's Fashion-MNIST when it
 * is installed, else a separable synthetic set built here, so the test runs everywhere. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "mlp_train.h"
#include "mlp_util.h"

enum { IMAGES = 3000, WINDOW = 20 };

/* Class k lights band k of the image (rows 2.8k .. 2.8(k+1)) on a noisy background, so the
 * classes are separable by a linear layer. The noise is a fixed LCG: the set is the same on
 * every run. */
static void synthetic(mlp_dataset *d, int count) {
    d->count = count;
    d->pixels = mlp_xmalloc((size_t)count * MLP_IMAGE_SIZE * sizeof *d->pixels);
    d->labels = mlp_xmalloc((size_t)count);
    uint32_t lcg = 12345;
    for (int s = 0; s < count; s++) {
        d->labels[s] = (uint8_t)(s % MLP_CLASSES);
        for (int i = 0; i < MLP_IMAGE_SIZE; i++) {
            lcg = lcg * 1664525u + 1013904223u;
            float noise = (float)(lcg >> 8) / 16777216.0f * 0.3f;
            d->pixels[(size_t)s * MLP_IMAGE_SIZE + i] =
                i * MLP_CLASSES / MLP_IMAGE_SIZE == d->labels[s] ? 0.7f + noise : noise;
        }
    }
}

static double mean(const double *v, int n) {
    double sum = 0.0;
    for (int i = 0; i < n; i++) sum += v[i];
    return sum / n;
}

static mlp_train_result train_on(const char *variant, int threads, int iters, int hidden,
                                  const mlp_dataset *train, const mlp_dataset *test) {
    mlp_train_config cfg = MLP_TRAIN_DEFAULTS;
    cfg.variant = variant;
    cfg.threads = threads;
    cfg.iters = iters;
    cfg.hidden = hidden;
    cfg.progress = false;
    mlp_train_result res;
    char err[256];
    if (mlp_train(&res, &cfg, train, test, err, sizeof err) != 0) mlp_die("%s", err);
    return res;
}

/* SEED.md's run, shortened: 500 iterations of batch 100 touch each of the 3000 images about 17
 * times, enough for the loss to fall from ln 10 = 2.30 to under half (the full Fashion-MNIST run
 * reaches about 0.74 after 1000). */
static void loss_halves(const mlp_dataset *train, const mlp_dataset *test) {
    mlp_train_result res = train_on("simd_omp", 0, 500, 100, train, test);
    double first = mean(res.losses, WINDOW), last = mean(res.losses + 500 - WINDOW, WINDOW);
    printf("loss: first %d mean %.4f, last %d mean %.4f; test accuracy %.2f%%\n", WINDOW, first,
           WINDOW, last, 100 * res.test_accuracy);
    CHECK(last <= first / 2);
    CHECK(res.loss_first == res.losses[0] && res.loss_last == res.losses[499]);
    CHECK(res.test_accuracy > 1.0 / MLP_CLASSES); /* better than guessing */
    CHECK(res.seconds > 0 && res.ms_per_iter > 0 && res.eval_seconds > 0);
    free(res.losses);
}

/* The kernels split work by output element and the loop around them is serial, so the thread
 * count must not change a single bit: compared with memcmp, no tolerance. */
static void same_bits_at_any_thread_count(const mlp_dataset *train, const mlp_dataset *test) {
    const char *variants[] = {"omp", "simd_omp"};
    enum { ITERS = 30, HIDDEN = 16 };
    for (int v = 0; v < 2; v++) {
        mlp_train_result one = train_on(variants[v], 1, ITERS, HIDDEN, train, test);
        for (int threads = 2; threads <= 3; threads++) {
            mlp_train_result many = train_on(variants[v], threads, ITERS, HIDDEN, train, test);
            int same = memcmp(one.losses, many.losses, ITERS * sizeof *one.losses) == 0 &&
                       one.test_accuracy == many.test_accuracy;
            printf("%s at 1 and %d threads: %s\n", variants[v], threads,
                   same ? "same bits" : "DIFFERENT");
            CHECK(same);
            CHECK(many.threads == threads);
            free(many.losses);
        }
        free(one.losses);
    }
}

static void bad_config(const mlp_dataset *train, const mlp_dataset *test) {
    mlp_train_config cfg = MLP_TRAIN_DEFAULTS;
    mlp_train_result res;
    char err[256];
    cfg.variant = "nonesuch";
    CHECK(mlp_train(&res, &cfg, train, test, err, sizeof err) == -1 && res.losses == NULL);
    printf("unknown variant: %s\n", err);
    cfg = (mlp_train_config)MLP_TRAIN_DEFAULTS;
    cfg.iters = 0;
    CHECK(mlp_train(&res, &cfg, train, test, err, sizeof err) == -1);
    printf("no iterations: %s\n", err);
    cfg = (mlp_train_config)MLP_TRAIN_DEFAULTS;
    cfg.grad = "guess";
    CHECK(mlp_train(&res, &cfg, train, test, err, sizeof err) == -1);
    printf("unknown method: %s\n", err);
}

int main(void) {
    mlp_dataset all, test, train;
    char err[512];
    bool real = mlp_load_mnist(MLP_DEFAULT_DATA_DIR, &all, &test, err, sizeof err) == 0;
    if (real) {
        printf("data: the first %d images of %s\n", IMAGES, MLP_DEFAULT_DATA_DIR);
        train = (mlp_dataset){IMAGES, all.pixels, all.labels};
        test.count = test.count < IMAGES ? test.count : IMAGES; /* keeps the accuracy pass short */
    } else {
        printf("data: synthetic (%s)\n", err);
        synthetic(&all, 2 * IMAGES);
        train = (mlp_dataset){IMAGES, all.pixels, all.labels};
        test = (mlp_dataset){IMAGES, all.pixels + (size_t)IMAGES * MLP_IMAGE_SIZE,
                             all.labels + IMAGES};
    }
    loss_halves(&train, &test);
    same_bits_at_any_thread_count(&train, &test);
    bad_config(&train, &test);
    if (real) mlp_dataset_free(&test); /* synthetic: test lies inside all */
    mlp_dataset_free(&all);
    return check_done();
}
