/* mlp_idx.h: the IDX file format of MNIST and Fashion-MNIST, raw or gzip-compressed.
 *
 * Images are scaled to [0,1] exactly as the book's loader does (float32: pixel / 255.0f), and
 * promoted to double only when a batch is gathered, as NumPy promotes them. Every loader returns
 * 0, or -1 with one line in err that names the file and what is wrong with it. */
#ifndef MLP_IDX_H
#define MLP_IDX_H

#include <stddef.h>
#include <stdint.h>

#define MLP_DEFAULT_DATA_DIR "/usr/share/datasets/fashion-mnist"
#define MLP_IMAGE_SIDE 28
#define MLP_IMAGE_SIZE (MLP_IMAGE_SIDE * MLP_IMAGE_SIDE)
#define MLP_CLASSES 10

typedef struct {
    int count;       /* number of images and of labels */
    float *pixels;   /* (count, 784), in [0,1] */
    uint8_t *labels; /* (count), each < 10 */
} mlp_dataset;

/* Parse IDX bytes already in memory (decompressed). Magic 0x00000803 images must be 28x28;
 * 0x00000801 labels must be < 10; at least one item, and no bytes after the last. name is what
 * err calls the data (usually its path). The result is malloc'd (free() it); on error *pixels
 * or *labels is NULL and *count 0. */
int mlp_idx_parse_images(const uint8_t *buf, size_t len, const char *name, float **pixels,
                         int *count, char *err, size_t errlen);
int mlp_idx_parse_labels(const uint8_t *buf, size_t len, const char *name, uint8_t **labels,
                         int *count, char *err, size_t errlen);

/* Load "<dir>/train-images-idx3-ubyte[.gz]" and the three other standard files; the image and
 * label counts of each split must agree. When both name.gz and name exist, name.gz is read (its
 * CRC-32 catches a damaged copy). On error both sets are left empty (zeroed). */
int mlp_load_mnist(const char *dir, mlp_dataset *train, mlp_dataset *test, char *err,
                   size_t errlen);

void mlp_dataset_free(mlp_dataset *d);

#endif
