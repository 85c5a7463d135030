/* The library's own view of the network: the scratch layout and the forward pass, shared by
 * net.c (predict, loss, backprop) and numgrad.c (the numerical-gradient ladder). Not installed;
 * users go through mlp_net.h. */
#ifndef MLP_NET_IMPL_H
#define MLP_NET_IMPL_H

#include "mlp_net.h"
#include "mlp_util.h"

/* Every buffer is 64-byte aligned, inside one allocation (block). */
struct mlp_work {
    int B, hidden, out; /* the largest batch and the net's sizes it was made for */
    double *a1, *z1;    /* (B,hidden) */
    double *a2, *y;     /* (B,out) */
    double *dy;         /* (B,out) */
    double *da1, *dz1;  /* (B,hidden) */
    double *block;
};

struct mlp_batch {
    int in, max_B, B;
    double *x;           /* (max_B,in) */
    int *labels;         /* (max_B) */
    mlp_sparse *nonzeros; /* x's, made by mlp_batch_index */
};

/* Index b's x, just written. */
void mlp_batch_index(mlp_batch *b);

/* Allocate net's flat parameter array and point W1, b1, W2, b2 into it; contents undefined. */
void mlp_net_alloc(mlp_net *net, int in, int hidden, int out);

/* An out-of-range label would index past a row of y: die with one line naming it instead. */
void mlp_check_labels(const mlp_net *net, const int *labels, int B);

/* w's a1, z1, a2, y for the batch: SEED.md's predict, leaving the intermediates. */
void mlp_forward(const mlp_net *net, const mlp_ops *ops, mlp_work *w, const mlp_batch *batch);

#endif
