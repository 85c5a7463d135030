/* The IDX loader: MNIST-format files, raw or gzip-compressed, into the floats the network eats.
 *
 * Not a rung of the optimization ladder but the ground it stands on: every variant trains on what
 * this file returns, so it converts pixels exactly as the book's NumPy loader does (float32
 * pixel / 255.0f) and trusts nothing in a file. A file is read whole into memory (zlib's gzread
 * decompresses gzip and passes raw files through unchanged), capped at 1 GiB against gzip bombs,
 * and only then parsed; the parse checks that the header's count matches the bytes actually
 * present before it allocates anything, so a forged count cannot ask for terabytes. Every error
 * is one line that names the file and what is wrong with it.
 */
#define _POSIX_C_SOURCE 200809L
#include "mlp_idx.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "mlp_util.h"

#define IDX_IMAGES_MAGIC 0x00000803u /* unsigned bytes (0x08), 3 dimensions */
#define IDX_LABELS_MAGIC 0x00000801u /* unsigned bytes (0x08), 1 dimension */
#define IDX_IMAGES_HEADER 16         /* magic, count, rows, columns: 4 bytes each */
#define IDX_LABELS_HEADER 8          /* magic, count */
/* The largest real file, MNIST's train-images, is 47 MB decompressed. */
#define MAX_FILE_BYTES ((size_t)1 << 30)

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Names a magic number in messages, so that swapped image and label files are obvious. */
static const char *magic_kind(uint32_t magic) {
    if (magic == IDX_IMAGES_MAGIC) return "IDX images";
    if (magic == IDX_LABELS_MAGIC) return "IDX labels";
    return "not an IDX file this loader reads";
}

/* Checks the magic and reads the ndims big-endian dimensions that follow it into dims. */
static int read_header(uint32_t *dims, const uint8_t *buf, size_t len, const char *name,
                       uint32_t magic, int ndims, char *err, size_t errlen) {
    size_t header = 4 + 4 * (size_t)ndims;
    if (len >= 4 && be32(buf) != magic)
        return fail(err, errlen, "%s: wrong magic 0x%08x (%s), expected 0x%08x (%s)", name,
                    (unsigned)be32(buf), magic_kind(be32(buf)), (unsigned)magic, magic_kind(magic));
    if (len < header)
        return fail(err, errlen, "%s: truncated header: %zu bytes, expected %zu", name, len,
                    header);
    for (int i = 0; i < ndims; i++) dims[i] = be32(buf + 4 + 4 * i);
    return 0;
}

/* The body after the header must be exactly count items of item bytes: fewer is a truncated
 * file, more is trailing garbage. The product is taken in 64 bits, where it cannot overflow
 * (count < 2^32, item < 2^10). */
static int check_body(size_t body, uint32_t count, size_t item, const char *what,
                      const char *name, char *err, size_t errlen) {
    unsigned long long want = (unsigned long long)count * item;
    if (count == 0) return fail(err, errlen, "%s: holds no %s (count 0)", name, what);
    if (body < want)
        return fail(err, errlen, "%s: truncated body: %u %s need %llu bytes, found %zu", name,
                    (unsigned)count, what, want, body);
    if (body > want)
        return fail(err, errlen, "%s: trailing garbage: %llu bytes after the %llu bytes of %u %s",
                    name, (unsigned long long)body - want, want, (unsigned)count, what);
    if (count > INT_MAX)
        return fail(err, errlen, "%s: %u %s, more than the %d this loader takes", name,
                    (unsigned)count, what, INT_MAX);
    return 0;
}

int mlp_idx_parse_images(const uint8_t *buf, size_t len, const char *name, float **pixels,
                         int *count, char *err, size_t errlen) {
    uint32_t dims[3] = {0}; // count, rows, columns
    *pixels = NULL;
    *count = 0;
    if (read_header(dims, buf, len, name, IDX_IMAGES_MAGIC, 3, err, errlen)) return -1;
    if (dims[1] != MLP_IMAGE_SIDE || dims[2] != MLP_IMAGE_SIDE)
        return fail(err, errlen, "%s: wrong image size %ux%u, expected %dx%d", name,
                    (unsigned)dims[1], (unsigned)dims[2], MLP_IMAGE_SIDE, MLP_IMAGE_SIDE);
    if (check_body(len - IDX_IMAGES_HEADER, dims[0], MLP_IMAGE_SIZE, "images", name, err, errlen))
        return -1;
    size_t n = (size_t)dims[0] * MLP_IMAGE_SIZE;
    float *p = mlp_xmalloc(n * sizeof *p); // p is (count, 784)
    // A float32 division, as NumPy's img / 255.0 on a float32 array: bit for bit the book's data.
    for (size_t i = 0; i < n; i++) p[i] = (float)buf[IDX_IMAGES_HEADER + i] / 255.0f;
    *pixels = p;
    *count = (int)dims[0];
    return 0;
}

int mlp_idx_parse_labels(const uint8_t *buf, size_t len, const char *name, uint8_t **labels,
                         int *count, char *err, size_t errlen) {
    uint32_t dims[1] = {0}; // count
    *labels = NULL;
    *count = 0;
    if (read_header(dims, buf, len, name, IDX_LABELS_MAGIC, 1, err, errlen)) return -1;
    if (check_body(len - IDX_LABELS_HEADER, dims[0], 1, "labels", name, err, errlen)) return -1;
    for (size_t i = 0; i < dims[0]; i++)
        if (buf[IDX_LABELS_HEADER + i] >= MLP_CLASSES)
            return fail(err, errlen, "%s: label %u at index %zu is over %d", name,
                        (unsigned)buf[IDX_LABELS_HEADER + i], i, MLP_CLASSES - 1);
    uint8_t *l = mlp_xmalloc(dims[0]); // l is (count)
    memcpy(l, buf + IDX_LABELS_HEADER, dims[0]);
    *labels = l;
    *count = (int)dims[0];
    return 0;
}

/* zlib's messages start with the path; ours already do. */
static const char *without_path(const char *msg, const char *path) {
    size_t n = strlen(path);
    return strncmp(msg, path, n) == 0 && strncmp(msg + n, ": ", 2) == 0 ? msg + n + 2 : msg;
}

/* Reads the whole file at path, decompressed if it is gzip, into *buf (malloc'd; NULL on error). */
static int read_file(uint8_t **buf, size_t *len, const char *path, char *err, size_t errlen) {
    *buf = NULL;
    *len = 0;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) return fail(err, errlen, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    size_t cap = 0;
    int rc = 0;
    for (;;) {
        if (*len > MAX_FILE_BYTES) {
            rc = fail(err, errlen, "%s: more than %zu MiB decompressed: not a data set, refused",
                      path, MAX_FILE_BYTES >> 20);
            break;
        }
        if (*len == cap) {
            // Doubling up to one byte past the cap, so that a file of exactly the cap fits.
            cap = cap ? 2 * cap : (size_t)1 << 16;
            if (cap > MAX_FILE_BYTES) cap = MAX_FILE_BYTES + 1;
            uint8_t *grown = realloc(*buf, cap);
            if (!grown) {
                rc = fail(err, errlen, "%s: out of memory reading it (%zu bytes)", path, cap);
                break;
            }
            *buf = grown;
        }
        int got = gzread(gz, *buf + *len, (unsigned)(cap - *len)); // cap - len <= 2^29 + 1
        if (got <= 0) break;
        *len += (size_t)got;
    }
    // A truncated gzip stream ends gzread quietly; only gzerror tells it from a clean end.
    int errnum = Z_OK;
    const char *msg = gzerror(gz, &errnum);
    if (rc == 0 && errnum != Z_OK)
        rc = fail(err, errlen, "%s: %s: %s", path,
                  errnum == Z_ERRNO ? "read error" : "corrupt gzip stream",
                  without_path(msg, path));
    gzclose(gz);
    if (rc) {
        free(*buf);
        *buf = NULL;
        *len = 0;
    }
    return rc;
}

/* Reads "<dir>/<base>.gz", or "<dir>/<base>" when there is no .gz. When both exist the .gz wins:
 * it is what the data sets ship, and its CRC-32 catches a damaged copy that a raw file would not
 * reveal. path receives the name read, for later messages. */
static int read_named(uint8_t **buf, size_t *len, char *path, size_t pathlen, const char *dir,
                      const char *base, char *err, size_t errlen) {
    static const char *const suffixes[] = {".gz", ""};
    *buf = NULL;
    *len = 0;
    for (int s = 0; s < 2; s++) {
        if ((size_t)snprintf(path, pathlen, "%s/%s%s", dir, base, suffixes[s]) >= pathlen)
            return fail(err, errlen, "%s/%s: path too long", dir, base);
        if (access(path, F_OK) == 0) return read_file(buf, len, path, err, errlen);
    }
    return fail(err, errlen, "%s/%s: missing file: tried %s/%s.gz and %s/%s", dir, base, dir,
                base, dir, base);
}

/* One split (train or test): its image file, its label file, and the same count in both. */
static int load_split(mlp_dataset *d, const char *dir, const char *images, const char *labels,
                      char *err, size_t errlen) {
    char image_path[4096], label_path[4096];
    uint8_t *buf;
    size_t len;
    int nlabels = 0;
    *d = (mlp_dataset){0};
    int rc = read_named(&buf, &len, image_path, sizeof image_path, dir, images, err, errlen);
    if (rc == 0) {
        rc = mlp_idx_parse_images(buf, len, image_path, &d->pixels, &d->count, err, errlen);
        free(buf);
    }
    if (rc == 0)
        rc = read_named(&buf, &len, label_path, sizeof label_path, dir, labels, err, errlen);
    if (rc == 0) {
        rc = mlp_idx_parse_labels(buf, len, label_path, &d->labels, &nlabels, err, errlen);
        free(buf);
    }
    if (rc == 0 && nlabels != d->count)
        rc = fail(err, errlen, "%s: holds %d labels, but %s holds %d images: the counts differ",
                  label_path, nlabels, image_path, d->count);
    if (rc) mlp_dataset_free(d);
    return rc;
}

int mlp_load_mnist(const char *dir, mlp_dataset *train, mlp_dataset *test, char *err,
                   size_t errlen) {
    *test = (mlp_dataset){0};
    if (load_split(train, dir, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", err, errlen))
        return -1;
    if (load_split(test, dir, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", err, errlen)) {
        mlp_dataset_free(train);
        return -1;
    }
    return 0;
}

void mlp_dataset_free(mlp_dataset *d) {
    free(d->pixels);
    free(d->labels);
    *d = (mlp_dataset){0};
}
