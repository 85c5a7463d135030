/* test_idx: the IDX loader on small files built here in a temporary directory, raw and gzip,
 * valid and broken, and on Debian's Fashion-MNIST when it is installed. Each broken case is a
 * valid set with one file replaced; the loader must refuse it with one line that names that
 * file and says what is wrong. The messages are printed, so the log shows what a user sees. */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "mlp_idx.h"

/* A small file's bytes: the largest built here is 3 images of 28x28 plus header, or one 32x32. */
typedef struct {
    uint8_t b[4096];
    size_t n;
} file_bytes;

/* Pixel k of image i is pixel_values[(i + k) % 3]. The loader divides in float32: 0/255 and
 * 255/255 are exact, and 51/255 is exactly 0.2 in the reals, so its correctly rounded float32
 * quotient is the float nearest 0.2, which is what the literal 0.2f denotes. */
static const uint8_t pixel_values[3] = {0, 51, 255};
static const float pixel_floats[3] = {0.0f, 0.2f, 1.0f};

static uint8_t label_of(size_t i) { return (uint8_t)((7 * i + 3) % 10); }

static char root[] = "/tmp/test_idx.XXXXXX";

static void put32(file_bytes *f, uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) f->b[f->n++] = (uint8_t)(v >> shift);
}

static file_bytes images(uint32_t count, uint32_t rows, uint32_t cols) {
    file_bytes f = {.n = 0};
    put32(&f, 0x00000803);
    put32(&f, count);
    put32(&f, rows);
    put32(&f, cols);
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < (size_t)rows * cols; k++) f.b[f.n++] = pixel_values[(i + k) % 3];
    return f;
}

static file_bytes labels(uint32_t count) {
    file_bytes f = {.n = 0};
    put32(&f, 0x00000801);
    put32(&f, count);
    for (size_t i = 0; i < count; i++) f.b[f.n++] = label_of(i);
    return f;
}

static void path_of(char *path, size_t size, const char *dir, const char *name, int gz) {
    snprintf(path, size, "%s/%s%s", dir, name, gz ? ".gz" : "");
}

/* Writes f to path, gzip-compressed or as is. */
static void write_file(const char *path, const file_bytes *f, int compress) {
    int ok;
    if (compress) {
        gzFile out = gzopen(path, "wb");
        ok = out && gzwrite(out, f->b, (unsigned)f->n) == (int)f->n;
        ok = out && gzclose(out) == Z_OK && ok;
    } else {
        FILE *out = fopen(path, "wb");
        ok = out && fwrite(f->b, 1, f->n, out) == f->n;
        ok = out && fclose(out) == 0 && ok;
    }
    if (!ok) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}

/* Writes f as dir/name, or gzip-compressed as dir/name.gz. */
static void write_named(const char *dir, const char *name, const file_bytes *f, int gz) {
    char path[512];
    path_of(path, sizeof path, dir, name, gz);
    write_file(path, f, gz);
}

static file_bytes read_back(const char *path) {
    file_bytes f = {.n = 0};
    FILE *in = fopen(path, "rb");
    if (!in) exit(2);
    f.n = fread(f.b, 1, sizeof f.b, in);
    fclose(in);
    return f;
}

/* A fresh directory root/tag holding a valid set: 3 training and 2 test samples, two files gzip
 * and two raw, so that one load goes through both readers. */
static void valid_set(char *dir, size_t size, const char *tag) {
    snprintf(dir, size, "%s/%s", root, tag);
    if (mkdir(dir, 0700) != 0) exit(2);
    file_bytes train_images = images(3, 28, 28), train_labels = labels(3);
    file_bytes test_images = images(2, 28, 28), test_labels = labels(2);
    write_named(dir, "train-images-idx3-ubyte", &train_images, 1);
    write_named(dir, "train-labels-idx1-ubyte", &train_labels, 0);
    write_named(dir, "t10k-images-idx3-ubyte", &test_images, 0);
    write_named(dir, "t10k-labels-idx1-ubyte", &test_labels, 1);
}

static int pixels_and_labels_ok(const mlp_dataset *d) {
    for (size_t i = 0; i < (size_t)d->count; i++) {
        if (d->labels[i] != label_of(i)) return 0;
        for (size_t k = 0; k < MLP_IMAGE_SIZE; k++)
            if (d->pixels[i * MLP_IMAGE_SIZE + k] != pixel_floats[(i + k) % 3]) return 0;
    }
    return 1;
}

static void test_valid(void) {
    char dir[256], err[512] = "";
    mlp_dataset train, test;
    valid_set(dir, sizeof dir, "valid");
    int rc = mlp_load_mnist(dir, &train, &test, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "    %s\n", err);
        return;
    }
    CHECK(train.count == 3);
    CHECK(test.count == 2);
    CHECK(pixels_and_labels_ok(&train));
    CHECK(pixels_and_labels_ok(&test));
    CHECK(train.pixels[1] == 0.2f && train.pixels[2] == 1.0f && train.pixels[3] == 0.0f);
    mlp_dataset_free(&train);
    mlp_dataset_free(&test);
    CHECK(train.pixels == NULL && train.labels == NULL && train.count == 0);
}

/* When both name.gz and name exist the .gz is read: a broken raw file beside it goes unnoticed. */
static void test_prefers_gz(void) {
    char dir[256], err[512] = "";
    mlp_dataset train, test;
    valid_set(dir, sizeof dir, "both");
    file_bytes wrong = labels(3);
    write_named(dir, "train-images-idx3-ubyte", &wrong, 0);
    CHECK(mlp_load_mnist(dir, &train, &test, err, sizeof err) == 0);
    mlp_dataset_free(&train);
    mlp_dataset_free(&test);
}

/* How check_bad writes its replacement file: not at all, raw, gzip, or raw under the .gz name
 * (for hand-made broken gzip streams). */
typedef enum { ABSENT, RAW, GZIP, RAW_NAMED_GZ } file_form;

/* A valid set whose file name is replaced by f in the given form: loading must fail with one line
 * that names the file and contains phrase. */
static void check_bad(const char *tag, const char *name, const file_bytes *f, file_form form,
                      const char *phrase) {
    char dir[256], path[512], err[512] = "";
    mlp_dataset train, test;
    valid_set(dir, sizeof dir, tag);
    for (int gz = 0; gz < 2; gz++) {
        path_of(path, sizeof path, dir, name, gz);
        unlink(path);
    }
    path_of(path, sizeof path, dir, name, form == GZIP || form == RAW_NAMED_GZ);
    if (form != ABSENT) write_file(path, f, form == GZIP);
    int rc = mlp_load_mnist(dir, &train, &test, err, sizeof err);
    printf("%-15s %s\n", tag, err);
    CHECK(rc == -1);
    CHECK(strstr(err, path) != NULL);
    CHECK(strstr(err, phrase) != NULL);
    CHECK(strchr(err, '\n') == NULL);
    CHECK(train.pixels == NULL && train.labels == NULL && test.pixels == NULL);
    if (rc == 0) {
        mlp_dataset_free(&train);
        mlp_dataset_free(&test);
    }
}

static void test_bad(void) {
    const char *images_name = "train-images-idx3-ubyte", *labels_name = "train-labels-idx1-ubyte";
    check_bad("missing", "t10k-labels-idx1-ubyte", NULL, ABSENT, "missing file: tried");

    file_bytes f = labels(3);
    check_bad("magic", images_name, &f, GZIP,
              "wrong magic 0x00000801 (IDX labels), expected 0x00000803 (IDX images)");

    f = images(3, 28, 28);
    f.n = 10;
    check_bad("header", images_name, &f, RAW, "truncated header: 10 bytes, expected 16");
    f.n = 0;
    check_bad("empty", images_name, &f, GZIP, "truncated header: 0 bytes");

    // 3 images of 28x28 are 2352 bytes after the 16-byte header.
    f = images(3, 28, 28);
    f.n -= 100;
    check_bad("body", images_name, &f, RAW, "truncated body: 3 images need 2352 bytes, found 2252");
    f = images(3, 28, 28);
    f.n += 5;
    check_bad("trailing", images_name, &f, RAW, "trailing garbage: 5 bytes after the 2352");

    // The count says 4 billion images, the body holds one: refused before any allocation.
    f = images(1, 28, 28);
    f.b[4] = f.b[5] = f.b[6] = f.b[7] = 0xff;
    check_bad("huge-count", images_name, &f, RAW, "truncated body: 4294967295 images need");

    f = images(0, 28, 28);
    check_bad("no-images", images_name, &f, RAW, "holds no images");

    f = images(1, 32, 32);
    check_bad("size", images_name, &f, GZIP, "wrong image size 32x32, expected 28x28");

    f = labels(2);
    check_bad("counts", labels_name, &f, RAW, "the counts differ");

    f = labels(3);
    f.b[8 + 1] = 10;
    check_bad("label", labels_name, &f, GZIP, "label 10 at index 1 is over 9");

    // A valid gzip header (magic, deflate, no flags, mtime, extra flags, OS), then garbage:
    // 0xff opens a deflate block of the reserved type 3.
    f = (file_bytes){.b = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xfe, 0x12, 0x34}, .n = 14};
    check_bad("gzip-garbage", images_name, &f, RAW_NAMED_GZ, "corrupt gzip stream");

    // A valid gzip file cut in half: the stream stops before its last block and its CRC.
    char path[512];
    path_of(path, sizeof path, root, "whole", 1);
    f = images(3, 28, 28);
    write_file(path, &f, 1);
    f = read_back(path);
    f.n /= 2;
    check_bad("gzip-truncated", images_name, &f, RAW_NAMED_GZ, "corrupt gzip stream");
}

/* Debian's Fashion-MNIST, when installed: full sizes, pixels in [0,1], labels < 10. */
static void test_fashion_mnist(void) {
    char err[512] = "";
    mlp_dataset train, test;
    if (access(MLP_DEFAULT_DATA_DIR, F_OK) != 0) {
        printf("fashion-mnist   skipped: %s is not installed\n", MLP_DEFAULT_DATA_DIR);
        return;
    }
    int rc = mlp_load_mnist(MLP_DEFAULT_DATA_DIR, &train, &test, err, sizeof err);
    CHECK(rc == 0);
    if (rc != 0) {
        fprintf(stderr, "    %s\n", err);
        return;
    }
    CHECK(train.count == 60000);
    CHECK(test.count == 10000);
    const mlp_dataset *sets[2] = {&train, &test};
    for (int s = 0; s < 2; s++) {
        const mlp_dataset *d = sets[s];
        size_t n = (size_t)d->count * MLP_IMAGE_SIZE, zeros = 0, outside = 0, bad_labels = 0;
        for (size_t i = 0; i < n; i++) {
            zeros += d->pixels[i] == 0.0f;
            outside += !(d->pixels[i] >= 0.0f && d->pixels[i] <= 1.0f);
        }
        for (int i = 0; i < d->count; i++) bad_labels += d->labels[i] >= MLP_CLASSES;
        CHECK(outside == 0);
        CHECK(bad_labels == 0);
        printf("fashion-mnist   %s: %d images, %.1f%% of pixels exactly 0\n",
               s == 0 ? "train" : "test", d->count, 100.0 * (double)zeros / (double)n);
    }
    mlp_dataset_free(&train);
    mlp_dataset_free(&test);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void) {
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 2;
    }
    test_valid();
    test_prefers_gz();
    test_bad();
    test_fashion_mnist();
    nftw(root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return check_done();
}
