/* workload.h: SEED.md's network and training run as bench_all names and counts them: the
 * sizes, the benchmark shapes that issue 5's targets refer to, and the dense FLOP of each step.
 * Shared by the measuring half (suite.c, bench_all.c) and the reporting half (report.c). */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

/* The network and the blog's run (SEED.md), and the shapes of issue 5's targets, as they
 * appear in benchmark names. matmul shapes are M x K x N of C (M,N) = op(A) (M,K) . op(B) (K,N),
 * with the form appended when it is not AB. */
enum { NET_IN = 784, NET_HIDDEN = 100, NET_OUT = 10, NET_BATCH = 100, BLOG_ITERS = 10000 };
#define NET_PARAMS (NET_IN * NET_HIDDEN + NET_HIDDEN + NET_HIDDEN * NET_OUT + NET_OUT)
#define NET_SHAPE "100x784-100-10" /* batch x network */
#define SHAPE_X_W1 "100x784x100"       /* a1 = x . W1 */
#define SHAPE_XT_DZ1 "784x100x100-AtB" /* gW1 = x^T . dz1 */
#define SHAPE_Z1T_DY "100x100x10-AtB"  /* gW2 = z1^T . dy: N = 10 */
#define SHAPE_DY_W2T "100x10x100-ABt"  /* da1 = dy . W2^T: K = 10 */
#define SHAPE_SQUARE "1024x1024x1024"
#define SHAPE_SIGMOID_BIG "1000000"
#define SHAPE_SOFTMAX_BIG "100x1000"

/* Dense FLOP, 2 per multiply-add of the products (the element-wise work is noise beside them).
 * A forward: x.W1 and z1.W2, 15.9 MFLOP. A backprop gradient: a forward and the three backward
 * products (gW2, da1, gW1), 32.0 MFLOP; a training iteration adds the loss's forward after the
 * update, 47.8 MFLOP. The numerical gradient: two forwards per parameter, 2.53 TFLOP. */
#define FORWARD_FLOPS (2.0 * NET_BATCH * (NET_IN * NET_HIDDEN + NET_HIDDEN * NET_OUT))
#define GRADIENT_FLOPS                                                                            \
    (FORWARD_FLOPS +                                                                              \
     2.0 * NET_BATCH * (NET_HIDDEN * NET_OUT + NET_OUT * NET_HIDDEN + NET_IN * NET_HIDDEN))
#define TRAIN_ITER_FLOPS (GRADIENT_FLOPS + FORWARD_FLOPS)
#define NUMGRAD_FLOPS (2.0 * NET_PARAMS * FORWARD_FLOPS)

#endif
