/*
 * fuzz_gzip.c - gzip input (nd_gunzip in src/input.c).
 *
 * Input: the compressed bytes as they are (the seeds are real .gz files).
 * The limit is small (256 KiB), so bombs hit it at once.  Checks: success
 * gives at most `limit` bytes; failure is ND_ERR_GZIP, ND_ERR_TOO_LARGE
 * (or ND_ERR_NOMEM) and leaves the outputs untouched; a successful result
 * decompresses again, identically, with the limit set to its exact size,
 * and fails with ND_ERR_TOO_LARGE one byte below; a result that was too
 * large really has more bytes than the limit (checked with a larger one);
 * huge limits (UINT64_MAX) behave like large ones.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "input.h"

#define LIMIT (256u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *out = (uint8_t *)1, *out2 = NULL;
    size_t out_len = 12345, out2_len = 0;
    /* a copy of exactly size bytes, so ASan sees any read past the end */
    uint8_t *src = malloc(size ? size : 1);
    FUZZ_CHECK(src != NULL, "malloc");
    if (size) memcpy(src, data, size);

    nd_status st = nd_gunzip(src, size, LIMIT, &out, &out_len);
    if (st != ND_OK) {
        FUZZ_CHECK(st == ND_ERR_GZIP || st == ND_ERR_TOO_LARGE || st == ND_ERR_NOMEM, "status %d",
                   (int)st);
        FUZZ_CHECK(out == (uint8_t *)1 && out_len == 12345, "outputs changed on failure");
        if (st == ND_ERR_TOO_LARGE) {
            nd_status st2 = nd_gunzip(src, size, 4 * LIMIT, &out2, &out2_len);
            FUZZ_CHECK(st2 != ND_OK || out2_len > LIMIT,
                       "too large at %u but %zu bytes at a larger limit", LIMIT, out2_len);
            if (st2 == ND_OK) free(out2);
            out2 = NULL;
        }
        free(src);
        return 0;
    }
    FUZZ_CHECK(out != NULL && out_len <= LIMIT, "%zu bytes, limit %u", out_len, LIMIT);
    /* exactly the size is allowed; one byte less is not */
    FUZZ_CHECK(nd_gunzip(src, size, out_len ? out_len : 1, &out2, &out2_len) == ND_OK,
               "fails with the limit at its own size %zu", out_len);
    FUZZ_CHECK(out2_len == out_len && memcmp(out, out2, out_len) == 0, "not deterministic");
    free(out2);
    out2 = NULL;
    if (out_len > 1) {
        nd_status st2 = nd_gunzip(src, size, out_len - 1, &out2, &out2_len);
        FUZZ_CHECK(st2 == ND_ERR_TOO_LARGE, "limit %zu: status %d", out_len - 1, (int)st2);
    }
    FUZZ_CHECK(nd_gunzip(src, size, UINT64_MAX, &out2, &out2_len) == ND_OK,
               "fails with an unbounded limit");
    FUZZ_CHECK(out2_len == out_len && memcmp(out, out2, out_len) == 0,
               "unbounded limit gives other bytes");
    free(out2);
    free(out);
    free(src);
    return 0;
}
