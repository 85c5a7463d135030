#!/usr/bin/python3
"""numpy_seed.py: the seed's NumPy code (SEED.md), timed on this machine, as the reference the
C variants are compared against in bench_all's hours-vs-seconds report.

It is the blog's TwoLayerNet (sigmoid, softmax, cross_entropy_error, gradient by backprop,
numerical_gradient with the seed's nditer loop) on the same Fashion-MNIST IDX files as bench_all.
It times (a) backprop training for --iters iterations, run through, and (b) the numerical
gradient over a strided sample of --numgrad-sample parameters at batch 100, projected to one full
iteration (2 x 79,510 = 159,020 forward passes) and to the blog's 10,000 iterations, since the
real thing takes hours. Run it with /usr/bin/python3: Debian's python3-numpy belongs to that
interpreter, which need not be the first python3 on PATH. Progress goes to stderr, the summary to
stdout, the figures to --json FILE.
"""
import argparse
import gzip
import json
import os
import platform
import sys
import time

try:
    import numpy as np
except ImportError:
    print("numpy_seed.py: NumPy not found for %s (apt-get install python3-numpy, then run "
          "/usr/bin/python3 scripts/numpy_seed.py)" % sys.executable)
    sys.exit(3)

BLOG_ITERS = 10000
N_PARAMS = 784 * 100 + 100 + 100 * 10 + 10  # 79,510


def load_idx(path, header_words):
    """An IDX file (gzip or plain): its data after the header, as uint8."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw, dtype=np.uint8, offset=4 * header_words)


def find(data_dir, stem):
    for name in (stem + ".gz", stem):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return path
    sys.exit("numpy_seed.py: %s(.gz) not found in %s" % (stem, data_dir))


def load(data_dir, kind):
    images = load_idx(find(data_dir, kind + "-images-idx3-ubyte"), 4)
    labels = load_idx(find(data_dir, kind + "-labels-idx1-ubyte"), 2)
    images = images.reshape(len(labels), 784).astype(np.float32) / 255.0
    return images, np.eye(10)[labels]


# The seed's code, as in SEED.md.
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


def numerical_gradient(f, x, indices):
    """The seed's loop, over `indices` of x only (the full loop takes hours)."""
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in indices:
        tmp_val = x[idx]
        x[idx] = float(tmp_val) + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val
    return grad


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {
            "W1": weight_init_std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def predict(self, x):
        W1, W2 = self.params["W1"], self.params["W2"]
        b1, b2 = self.params["b1"], self.params["b2"]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        return softmax(a2)

    def loss(self, x, t):
        return cross_entropy_error(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        return np.sum(y == np.argmax(t, axis=1)) / float(x.shape[0])

    def gradient(self, x, t):
        W1, W2 = self.params["W1"], self.params["W2"]
        b1, b2 = self.params["b1"], self.params["b2"]
        batch_num = x.shape[0]
        a1 = np.dot(x, W1) + b1
        z1 = sigmoid(a1)
        a2 = np.dot(z1, W2) + b2
        y = softmax(a2)
        dy = (y - t) / batch_num
        grads = {"W2": np.dot(z1.T, dy), "b2": np.sum(dy, axis=0)}
        da1 = np.dot(dy, W2.T)
        dz1 = sigmoid_grad(a1) * da1
        grads["W1"] = np.dot(x.T, dz1)
        grads["b1"] = np.sum(dz1, axis=0)
        return grads


def train_backprop(net, x_train, t_train, iters, batch_size=100, lr=0.1):
    losses = []
    start = time.perf_counter()
    for i in range(iters):
        batch_mask = np.random.choice(x_train.shape[0], batch_size)
        x_batch, t_batch = x_train[batch_mask], t_train[batch_mask]
        grad = net.gradient(x_batch, t_batch)
        for key in ("W1", "b1", "W2", "b2"):
            net.params[key] -= lr * grad[key]
        losses.append(net.loss(x_batch, t_batch))
        if (i + 1) % 1000 == 0:
            print("backprop: iteration %d/%d, loss %.4f" % (i + 1, iters, losses[-1]),
                  file=sys.stderr)
    return time.perf_counter() - start, losses


def time_numgrad(net, x_batch, t_batch, sample):
    """Seconds per perturbation (one forward + loss) over a strided sample of all parameters."""
    per_array = {}
    total = 0
    stride = max(1, N_PARAMS // sample)
    flat = 0
    for key in ("W1", "b1", "W2", "b2"):
        p = net.params[key]
        picks = [np.unravel_index(k, p.shape) for k in range(p.size) if (flat + k) % stride == 0]
        per_array[key] = picks
        total += len(picks)
        flat += p.size
    f = lambda _: net.loss(x_batch, t_batch)  # noqa: E731, the seed's own idiom
    start = time.perf_counter()
    for key, picks in per_array.items():
        numerical_gradient(f, net.params[key], picks)
    elapsed = time.perf_counter() - start
    return elapsed / (2 * total), total


def blas_info():
    """The BLAS NumPy runs on: threadpoolctl when installed, else the libraries mapped into this
    process (Debian switches libblas.so.3 between reference BLAS and OpenBLAS by alternatives, so
    the build configuration alone does not say)."""
    try:
        from threadpoolctl import threadpool_info
        return "; ".join("%s %s (%s, %s threads)" % (i.get("internal_api"), i.get("version"),
                                                     i.get("filepath"), i.get("num_threads"))
                         for i in threadpool_info())
    except ImportError:
        pass
    try:
        with open("/proc/self/maps") as f:
            paths = {ln.split()[-1] for ln in f if "blas" in ln.rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "unknown"


def human(s):
    if s < 1:
        return "%.3g ms" % (s * 1e3)
    if s < 120:
        return "%.3g s" % s
    if s < 7200:
        return "%.3g min" % (s / 60)
    return "%.3g h" % (s / 3600)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                    help="folder with the IDX files (default: Debian's Fashion-MNIST)")
    ap.add_argument("--iters", type=int, default=BLOG_ITERS, help="backprop iterations")
    ap.add_argument("--numgrad-sample", type=int, default=200,
                    help="parameters perturbed to time the numerical gradient")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="write the figures to this file")
    a = ap.parse_args()
    if a.iters < 1 or a.numgrad_sample < 1:
        sys.exit("numpy_seed.py: --iters and --numgrad-sample must be at least 1")

    np.random.seed(a.seed)
    t0 = time.perf_counter()
    x_train, t_train = load(a.data, "train")
    x_test, t_test = load(a.data, "t10k")
    print("loaded %d training and %d test images in %.2f s" %
          (len(x_train), len(x_test), time.perf_counter() - t0), file=sys.stderr)

    net = TwoLayerNet(784, 100, 10)
    batch = np.random.choice(x_train.shape[0], 100)
    print("numerical gradient: timing %d perturbed parameters" % a.numgrad_sample,
          file=sys.stderr)
    s_per_pert, sampled = time_numgrad(net, x_train[batch], t_train[batch], a.numgrad_sample)
    numgrad_iter = s_per_pert * 2 * N_PARAMS

    print("backprop: %d iterations" % a.iters, file=sys.stderr)
    seconds, losses = train_backprop(net, x_train, t_train, a.iters)
    acc = net.accuracy(x_test, t_test)
    ms_per_iter = 1e3 * seconds / a.iters

    res = {
        "iters": a.iters,
        "seconds": seconds,
        "ms_per_iter": ms_per_iter,
        "loss_first": float(losses[0]),
        "loss_last": float(losses[-1]),
        "test_accuracy": float(acc),
        "numgrad_s_per_perturbation": s_per_pert,
        "numgrad_sample": sampled,
        "numgrad_s_per_iter_projected": numgrad_iter,
        "numgrad_s_10000_projected": numgrad_iter * BLOG_ITERS,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "blas": blas_info(),
    }
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    print("NumPy %s, BLAS: %s" % (res["numpy"], res["blas"]))
    print("backprop: %d iterations in %s (%.3f ms/iteration; %s for 10,000%s)" %
          (a.iters, human(seconds), ms_per_iter, human(ms_per_iter * 10),
           "" if a.iters == BLOG_ITERS else ", projected"))
    print("          loss %.4f -> %.4f, test accuracy %.2f%%" %
          (losses[0], losses[-1], 100 * acc))
    print("numerical gradient: %.3g ms per perturbation (from %d parameters), projected "
          "%s per iteration, %s for 10,000" %
          (1e3 * s_per_pert, sampled, human(numgrad_iter), human(numgrad_iter * BLOG_ITERS)))


if __name__ == "__main__":
    main()
