/* mlp_train.h: SEED.md's training run (SGD on random batches drawn with replacement), shared by
 * build/train and bench_all, and the projection of a numerical-gradient run too long to run. */
#ifndef MLP_TRAIN_H
#define MLP_TRAIN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "mlp_idx.h"
#include "mlp_net.h"

typedef struct {
    const char *grad;    /* "backprop" or "numerical" */
    const char *variant; /* kernel variant (backprop) or numerical-gradient variant */
    int threads;         /* OpenMP threads; <= 0 keeps OpenMP's default */
    int iters, batch, hidden;
    double lr;
    uint64_t seed;
    bool progress;       /* every 1000 iterations the loss on stdout; on a terminal (stderr), a
                            line with time left */
    const volatile sig_atomic_t *stop; /* when set and nonzero (a signal handler's flag), the
                                          run ends after the current iteration */
} mlp_train_config;

#define MLP_TRAIN_DEFAULTS                                                                        \
    {.grad = "backprop", .variant = "simd_omp", .threads = 0, .iters = 10000, .batch = 100,      \
     .hidden = 100, .lr = 0.1, .seed = 42, .progress = true}

typedef struct {
    double seconds;        /* the training loop alone, as the NumPy figures are */
    double ms_per_iter;    /* over the iterations done */
    double eval_seconds;   /* the final accuracy passes */
    double loss_first, loss_last; /* recorded after the first and the last update (SEED.md) */
    double train_accuracy, test_accuracy;
    int iters_done;        /* cfg->iters, unless cfg->stop ended the run early */
    double *losses;        /* (iters_done): the loss of every iteration; free() it */
    int threads;           /* threads the run used: 1 unless mlp_variant_uses_threads(variant) */
} mlp_train_result;

/* Run the training: the net starts from mlp_net_init(seed); the batches come from a second
 * stream seeded by the same seed, so one seed names one loss curve, bit for bit, at every thread
 * count. A numerical run records its losses and accuracies on the kernel variant of the same
 * name, or on simd_omp when there is none (incremental*). Returns 0, or -1 with one line in err
 * (unknown grad or variant, a size or rate out of range, an empty data set); then res->losses
 * is NULL. */
int mlp_train(mlp_train_result *res, const mlp_train_config *cfg, const mlp_dataset *train,
              const mlp_dataset *test, char *err, size_t errlen);

/* batch := the samples idx (B) of d, or its first B when idx is NULL, and its index of nonzero
 * pixels: the float pixels promoted to double, as NumPy promotes them. batch is 784 wide. */
void mlp_gather(mlp_batch *batch, const mlp_dataset *d, const int *idx, int B);

/* Seconds per training iteration of the numerical-gradient variant cfg->variant at cfg's batch
 * and hidden size (on cfg->threads), projected from timing a strided sample of each parameter
 * array (W1, b1, W2, b2) on the first cfg->batch training images for about budget seconds in
 * all: each array's time per parameter times its size. *measured: how many perturbations (one
 * parameter moved by +h or by -h, a forward pass in the seed's loop; two per parameter) were
 * timed. Returns 0, or -1 with one line in err. */
int mlp_numgrad_projection(double *s_per_iter, long *measured, const mlp_train_config *cfg,
                           const mlp_dataset *train, double budget, char *err, size_t errlen);

#endif
