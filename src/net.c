/* net: SEED.md's TwoLayerNet on the kernel variants: init, predict, loss, accuracy and the
 * backprop gradient.
 *
 * This is the step above the kernels: it chains them into the network exactly as the seed's
 * formulas say, and the kernel variant is a run-time choice (mlp_ops), so the same network code
 * measures every rung of the kernel ladder. The glue between kernels (bias adds, dy, column sums)
 * is serial and cheap (O(B*hidden)), so its bits never depend on the thread count: the network's
 * results are as deterministic as the kernels it runs on.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_net_impl.h"

/* xoshiro256** seeded through splitmix64, as its authors recommend: small, fast, and the same
 * stream on every platform, so a seed names one initial network everywhere. */
typedef struct { uint64_t s[4]; } rng;

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rng_next(rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in (0,1]: never 0, so that Box-Muller's log is finite. */
static double rng_uniform(rng *r) { return ((rng_next(r) >> 11) + 1) * 0x1.0p-53; }

/* Box-Muller gives normals in pairs; both are used. */
static void fill_normal(double *out, size_t n, double scale, rng *r) {
    const double two_pi = 6.283185307179586;
    for (size_t i = 0; i < n; i += 2) {
        double radius = sqrt(-2.0 * log(rng_uniform(r))), angle = two_pi * rng_uniform(r);
        out[i] = scale * radius * cos(angle);
        if (i + 1 < n) out[i + 1] = scale * radius * sin(angle);
    }
}

void mlp_net_alloc(mlp_net *net, int in, int hidden, int out) {
    if (in <= 0 || hidden <= 0 || out <= 0)
        mlp_die("network sizes must be positive, got in=%d hidden=%d out=%d", in, hidden, out);
    size_t nW1 = (size_t)in * hidden, nW2 = (size_t)hidden * out;
    net->in = in;
    net->hidden = hidden;
    net->out = out;
    net->count = nW1 + (size_t)hidden + nW2 + (size_t)out;
    net->params = mlp_xalloc64(net->count * sizeof(double));
    net->W1 = net->params;
    net->b1 = net->W1 + nW1;
    net->W2 = net->b1 + hidden;
    net->b2 = net->W2 + nW2;
}

void mlp_net_init(mlp_net *net, int in, int hidden, int out, uint64_t seed) {
    mlp_net_alloc(net, in, hidden, out);
    rng r;
    for (int i = 0; i < 4; i++) r.s[i] = splitmix64(&seed);
    fill_normal(net->W1, (size_t)in * hidden, 0.01, &r);
    memset(net->b1, 0, (size_t)hidden * sizeof(double));
    fill_normal(net->W2, (size_t)hidden * out, 0.01, &r);
    memset(net->b2, 0, (size_t)out * sizeof(double));
}

void mlp_net_free(mlp_net *net) {
    free(net->params);
    memset(net, 0, sizeof *net);
}

/* A name every family has (naive, simd, omp, simd_omp) picks that variant in each. A name only
 * some families have is a reference library, and gets what a user would pair it with: the
 * families without it run libmvec activations ("openblas" = OpenBLAS matmul + libmvec sigmoid
 * and softmax) or the fastest own matmul, simd_omp ("libmvec", "sleef"). */
int mlp_ops_find(mlp_ops *ops, const char *name) {
    const mlp_matmul_variant *mm = mlp_find_matmul(name);
    const mlp_sigmoid_variant *sg = mlp_find_sigmoid(name);
    const mlp_softmax_variant *sm = mlp_find_softmax(name);
    if (!mm && !sg && !sm) return -1;
    ops->name = mm ? mm->name : sg ? sg->name : sm->name;
    ops->matmul = mm ? mm : mlp_find_matmul("simd_omp");
    ops->sigmoid = sg ? sg : mlp_find_sigmoid("libmvec");
    ops->softmax = sm ? sm : mlp_find_softmax("libmvec");
    return 0;
}

static size_t padded(size_t doubles) { return (doubles + 7) / 8 * 8; } /* 8 doubles: 64 bytes */

mlp_work *mlp_work_new(const mlp_net *net, int B) {
    if (B < 0) mlp_die("batch size must not be negative, got %d", B);
    mlp_work *w = mlp_xmalloc(sizeof *w);
    w->B = B;
    w->hidden = net->hidden;
    w->out = net->out;
    size_t nh = padded((size_t)B * net->hidden), no = padded((size_t)B * net->out);
    w->block = mlp_xalloc64((4 * nh + 3 * no) * sizeof(double));
    w->a1 = w->block;
    w->z1 = w->a1 + nh;
    w->da1 = w->z1 + nh;
    w->dz1 = w->da1 + nh;
    w->a2 = w->dz1 + nh;
    w->y = w->a2 + no;
    w->dy = w->y + no;
    return w;
}

void mlp_work_free(mlp_work *w) {
    if (!w) return;
    free(w->block);
    free(w);
}

mlp_batch *mlp_batch_new(int in, int max_B) {
    if (in <= 0 || max_B < 0)
        mlp_die("a batch needs a positive width and a batch size >= 0, got %d and %d", in, max_B);
    mlp_batch *b = mlp_xmalloc(sizeof *b);
    *b = (mlp_batch){.in = in, .max_B = max_B};
    b->x = mlp_xalloc64((size_t)max_B * in * sizeof *b->x);
    b->labels = mlp_xmalloc((size_t)max_B * sizeof *b->labels);
    b->nonzeros = mlp_sparse_new(max_B, in);
    return b;
}

void mlp_batch_free(mlp_batch *b) {
    if (!b) return;
    mlp_sparse_free(b->nonzeros);
    free(b->labels);
    free(b->x);
    free(b);
}

void mlp_batch_index(mlp_batch *b) { mlp_sparse_index(b->nonzeros, b->x, b->B, b->in); }

void mlp_batch_set(mlp_batch *b, const double *x, const int *labels, int B) {
    if (B < 0 || B > b->max_B) mlp_die("a batch of %d samples set with %d", b->max_B, B);
    b->B = B;
    memcpy(b->x, x, (size_t)B * b->in * sizeof *x);
    memcpy(b->labels, labels, (size_t)B * sizeof *labels);
    mlp_batch_index(b);
}

int mlp_batch_size(const mlp_batch *b) { return b->B; }
const double *mlp_batch_x(const mlp_batch *b) { return b->x; }
const int *mlp_batch_labels(const mlp_batch *b) { return b->labels; }

/* out (B,n) += bias (n) on every row. */
static void add_bias(double *out, const double *bias, int B, int n) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < n; j++) out[(size_t)b * n + j] += bias[j];
}

/* sums (n) = column sums of m (B,n), each summed in row order whatever the thread count. */
static void column_sums(double *sums, const double *m, int B, int n) {
    for (int j = 0; j < n; j++) sums[j] = 0.0;
    for (int b = 0; b < B; b++)
        for (int j = 0; j < n; j++) sums[j] += m[(size_t)b * n + j];
}

static void check_batch(const mlp_net *net, const mlp_work *w, const mlp_batch *batch) {
    if (batch->in != net->in)
        mlp_die("a batch of %d-wide samples given to a net of %d inputs", batch->in, net->in);
    if (batch->B > w->B || w->hidden != net->hidden || w->out != net->out)
        mlp_die("scratch made for %d samples of a %d-%d net, used for %d samples of a %d-%d net",
                w->B, w->hidden, w->out, batch->B, net->hidden, net->out);
}

void mlp_check_labels(const mlp_net *net, const int *labels, int B) {
    for (int b = 0; b < B; b++)
        if (labels[b] < 0 || labels[b] >= net->out)
            mlp_die("label %d of sample %d is outside [0,%d)", labels[b], b, net->out);
}

/* The network's products with its input x (B,in): C (B,N) = x . M (MLP_AB, M (in,N)) or
 * C (in,N) = x^T . M (MLP_AtB, M (B,N)); through the batch's index when the variant has sparse
 * products, so that x's zero pixels are skipped. */
static void times_input(double *C, const mlp_matmul_variant *mm, const mlp_batch *batch,
                        const double *M, mlp_form form, int N) {
    if (mm->sparse_matmul)
        mm->sparse_matmul(C, batch->nonzeros, M, form, N);
    else if (form == MLP_AB)
        mm->matmul(C, batch->x, M, MLP_AB, batch->B, N, batch->in);
    else
        mm->matmul(C, batch->x, M, MLP_AtB, batch->in, N, batch->B);
}

void mlp_forward(const mlp_net *net, const mlp_ops *ops, mlp_work *w, const mlp_batch *batch) {
    check_batch(net, w, batch);
    const int B = batch->B, H = net->hidden, O = net->out;
    const mlp_matmul_variant *mm = ops->matmul;
    times_input(w->a1, mm, batch, net->W1, MLP_AB, H);
    add_bias(w->a1, net->b1, B, H);
    ops->sigmoid->sigmoid(w->z1, w->a1, (size_t)B * H);
    mm->matmul(w->a2, w->z1, net->W2, MLP_AB, B, O, H);
    add_bias(w->a2, net->b2, B, O);
    ops->softmax->softmax(w->y, w->a2, B, O);
}

void mlp_predict(double *y, const mlp_net *net, const mlp_ops *ops, mlp_work *w,
                 const mlp_batch *batch) {
    mlp_forward(net, ops, w, batch);
    memcpy(y, w->y, (size_t)batch->B * net->out * sizeof *y);
}

double mlp_loss(const mlp_net *net, const mlp_ops *ops, mlp_work *w, const mlp_batch *batch) {
    mlp_check_labels(net, batch->labels, batch->B);
    mlp_forward(net, ops, w, batch);
    return ops->softmax->cross_entropy(w->y, batch->labels, batch->B, net->out);
}

double mlp_accuracy(const mlp_net *net, const mlp_ops *ops, mlp_work *w, const mlp_batch *batch) {
    const int B = batch->B, *labels = batch->labels;
    mlp_check_labels(net, labels, B);
    if (B == 0) return 0.0;
    mlp_forward(net, ops, w, batch);
    int O = net->out, correct = 0;
    for (int b = 0; b < B; b++) {
        const double *row = w->y + (size_t)b * O;
        int best = 0; /* the first maximum, as NumPy's argmax */
        for (int k = 1; k < O; k++)
            if (row[k] > row[best]) best = k;
        correct += best == labels[b];
    }
    return (double)correct / B;
}

double mlp_gradient(double *grad, const mlp_net *net, const mlp_ops *ops, mlp_work *w,
                    const mlp_batch *batch) {
    const int B = batch->B, *labels = batch->labels;
    mlp_check_labels(net, labels, B);
    if (B == 0) { /* the loss of no samples is 0, and so is its gradient */
        memset(grad, 0, net->count * sizeof *grad);
        return 0.0;
    }
    mlp_forward(net, ops, w, batch);
    int in = net->in, H = net->hidden, O = net->out;
    double loss = ops->softmax->cross_entropy(w->y, labels, B, O);
    size_t nW1 = (size_t)in * H, nW2 = (size_t)H * O;
    double *gW1 = grad, *gb1 = gW1 + nW1, *gW2 = gb1 + H, *gb2 = gW2 + nW2;

    for (int b = 0; b < B; b++) /* dy = (y - t) / B, t one-hot */
        for (int k = 0; k < O; k++) {
            size_t at = (size_t)b * O + k;
            w->dy[at] = (w->y[at] - (k == labels[b])) / B;
        }
    const mlp_matmul_variant *mm = ops->matmul;
    mm->matmul(gW2, w->z1, w->dy, MLP_AtB, H, O, B);
    column_sums(gb2, w->dy, B, O);
    mm->matmul(w->da1, w->dy, net->W2, MLP_ABt, B, H, O);
    ops->sigmoid->sigmoid_grad(w->dz1, w->z1, w->da1, (size_t)B * H);
    times_input(gW1, mm, batch, w->dz1, MLP_AtB, H);
    column_sums(gb1, w->dz1, B, H);
    return loss;
}
