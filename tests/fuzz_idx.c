/* fuzz_idx: libFuzzer feeds arbitrary bytes to both IDX parsers, which must return 0 or -1 with
 * a one-line message, never read out of bounds, leak, or allocate more than the bytes justify.
 * Built by scripts/fuzz.sh with clang, not by CMake (which uses gcc). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Success returns data, failure returns nothing and says why on one line; abort() otherwise, so
 * that libFuzzer reports a broken contract as a crash. */
static void check_contract(int rc, void *out, int count, const char *err) {
    int kept = rc == 0 ? count > 0 && out
                       : rc == -1 && !out && count == 0 && strchr(err, ':') && !strchr(err, '\n');
    if (!kept) abort();
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    float *pixels;
    uint8_t *labels;
    int count;
    int rc = mlp_idx_parse_images(data, size, "fuzz", &pixels, &count, err, sizeof err);
    check_contract(rc, pixels, count, err);
    rc = mlp_idx_parse_labels(data, size, "fuzz", &labels, &count, err, sizeof err);
    check_contract(rc, labels, count, err);
    return 0;
}
