/*
 * fuzz_norm.c - UTF-8 decoding and normalisation (src/text.c).
 *
 * Input: one byte of ND_NORM_* flags, then the text.  Checks:
 *   - nd_utf8_decode yields at most one code point per byte, every one a
 *     Unicode scalar value, and agrees with nd_utf8_next step by step;
 *   - for well-formed input (judged by an independent validator) decoding
 *     and re-encoding gives back the input, and no U+FFFD appears that was
 *     not in it; for ill-formed input at least one U+FFFD appears;
 *   - nd_norm_chars gives scalar values only (no surrogates, no U+FFFE/FFFF
 *     style noncharacters are required to vanish, but nothing above 10FFFF);
 *   - nd_norm_tokens gives no more tokens than characters, and the same
 *     character count as nd_norm_chars; running it twice gives the same
 *     tokens (no state leaks between calls);
 *   - nd_norm_chars_mapped gives the same code points, with byte ranges
 *     inside the input, begin <= end, begins non-decreasing.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "text.h"

#define MAX_TEXT 65536

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_in in = {data, size};
    unsigned flags = fuzz_u8(&in) & ND_NORM_ALL;
    const uint8_t *s = in.p;
    size_t n = in.n > MAX_TEXT ? MAX_TEXT : in.n;

    /* decoding */
    uint32_t *cps = malloc((n ? n : 1) * sizeof *cps);
    uint64_t *tok1 = NULL;
    uint32_t *mcps = NULL;
    nd_map_off *mbeg = NULL, *mend = NULL;
    FUZZ_CHECK(cps != NULL, "malloc");
    size_t k = nd_utf8_decode(s, n, cps);
    FUZZ_CHECK(k <= n, "%zu code points from %zu bytes", k, n);
    size_t i = 0, j = 0, nfffd_in = 0, nfffd_out = 0;
    while (i < n) {
        size_t adv = 0;
        uint32_t cp = nd_utf8_next(s + i, n - i, &adv);
        FUZZ_CHECK(adv >= 1 && adv <= 4 && adv <= n - i, "adv %zu at %zu", adv, i);
        FUZZ_CHECK(j < k, "decode gave fewer code points than nd_utf8_next");
        uint32_t want = cp == ND_UTF8_INVALID ? ND_REPLACEMENT_CHAR : cp;
        FUZZ_CHECK(cps[j] == want, "code point %zu: %x vs %x", j, cps[j], want);
        if (cp == ND_REPLACEMENT_CHAR) nfffd_in++;
        if (cp == ND_UTF8_INVALID) {
            FUZZ_CHECK(fuzz_utf8_len(s + i, n - i) == 0, "valid sequence at %zu rejected", i);
        } else {
            FUZZ_CHECK(fuzz_utf8_len(s + i, n - i) == adv, "bad length at %zu", i);
        }
        i += adv;
        j++;
    }
    FUZZ_CHECK(j == k, "decode gave %zu code points, nd_utf8_next %zu", k, j);
    for (j = 0; j < k; j++) {
        FUZZ_CHECK(cps[j] <= 0x10FFFF && !(cps[j] >= 0xD800 && cps[j] <= 0xDFFF),
                   "not a scalar value: %x", cps[j]);
        if (cps[j] == ND_REPLACEMENT_CHAR) nfffd_out++;
    }
    if (fuzz_valid_utf8(s, n)) {
        FUZZ_CHECK(nfffd_out == nfffd_in, "U+FFFD in the decoding of valid input");
        uint8_t buf[4];
        size_t pos = 0;
        for (j = 0; j < k; j++) {
            size_t l = nd_utf8_encode(cps[j], buf);
            FUZZ_CHECK(l >= 1 && l <= 4 && pos + l <= n && memcmp(buf, s + pos, l) == 0,
                       "re-encoding differs at byte %zu", pos);
            pos += l;
        }
        FUZZ_CHECK(pos == n, "re-encoding has %zu bytes, input %zu", pos, n);
    } else {
        FUZZ_CHECK(nfffd_out > nfffd_in, "ill-formed input decoded without U+FFFD");
    }

    /* normalisation */
    nd_norm nm;
    nd_norm_init(&nm, flags);
    const uint32_t *nc = NULL;
    size_t nchars = 0, nchars2 = 0, ntok = 0, ntok2 = 0;
    const uint64_t *tok = NULL;
    FUZZ_CHECK(nd_norm_chars(&nm, s, n, &nc, &nchars) == ND_OK, "nd_norm_chars");
    for (j = 0; j < nchars; j++)
        FUZZ_CHECK(nc[j] <= 0x10FFFF && !(nc[j] >= 0xD800 && nc[j] <= 0xDFFF),
                   "normalised to a non-scalar %x", nc[j]);
    FUZZ_CHECK(nd_norm_tokens(&nm, s, n, &tok, &ntok, &nchars2) == ND_OK, "nd_norm_tokens");
    FUZZ_CHECK(nchars2 == nchars, "chars %zu vs %zu", nchars2, nchars);
    FUZZ_CHECK(ntok <= nchars, "%zu tokens from %zu chars", ntok, nchars);
    tok1 = malloc((ntok ? ntok : 1) * sizeof *tok1);
    FUZZ_CHECK(tok1 != NULL, "malloc");
    if (ntok) memcpy(tok1, tok, ntok * sizeof *tok1);
    /* an unrelated call in between must not change the result */
    FUZZ_CHECK(nd_norm_tokens(&nm, (const uint8_t *)"x y", 3, &tok, &ntok2, &nchars2) == ND_OK,
               "nd_norm_tokens");
    FUZZ_CHECK(nd_norm_tokens(&nm, s, n, &tok, &ntok2, &nchars2) == ND_OK, "nd_norm_tokens");
    FUZZ_CHECK(ntok2 == ntok && nchars2 == nchars &&
                   (ntok == 0 || memcmp(tok, tok1, ntok * sizeof *tok1) == 0),
               "second run differs");

    /* the mapped variant */
    size_t mcount = 0;
    FUZZ_CHECK(nd_norm_chars_mapped(&nm, s, n, &mcps, &mbeg, &mend, &mcount) == ND_OK,
               "nd_norm_chars_mapped");
    FUZZ_CHECK(mcount == nchars, "mapped %zu chars, plain %zu", mcount, nchars);
    FUZZ_CHECK(nd_norm_chars(&nm, s, n, &nc, &nchars) == ND_OK, "nd_norm_chars");
    for (j = 0; j < mcount; j++) {
        FUZZ_CHECK(mcps[j] == nc[j], "mapped code point %zu differs", j);
        FUZZ_CHECK(mbeg[j] <= mend[j] && mend[j] <= n, "range %zu: [%zu,%zu) of %zu", j,
                   (size_t)mbeg[j], (size_t)mend[j], n);
        FUZZ_CHECK(j == 0 || mbeg[j] >= mbeg[j - 1], "begins go back at %zu", j);
    }
    /* the compact map the passage stages keep gives the same offsets */
    void *block = mcount ? malloc(nd_cmap_bytes(mcount)) : NULL;
    nd_cmap cm;
    if (block && nd_cmap_fill(mbeg, mend, mcount, block, &cm))
        for (j = 0; j < mcount; j++)
            FUZZ_CHECK(nd_cmap_beg(&cm, j) == mbeg[j] && nd_cmap_end(&cm, j) == mend[j],
                       "compact map differs at %zu", j);
    free(block);
    nd_norm_release(&nm);
    free(mcps);
    free(mbeg);
    free(mend);
    free(tok1);
    free(cps);
    return 0;
}
