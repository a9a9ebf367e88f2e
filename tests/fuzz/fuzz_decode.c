/*
 * fuzz_decode.c - the decoder stage (src/decode.c): sniffing, detection,
 * decoding and the offset map.
 *
 * Input: one byte choosing the encoding (detection, or one of the names
 * below), then the document's bytes.  Checks: the sniff never names a
 * byte-order mark longer than the input and its answer decodes; decoding
 * succeeds (or runs out of memory); the text is valid UTF-8; the map's
 * segments tile both texts without gaps, end at the input's size, and
 * translate every character boundary monotonically, the end of the text to
 * the end of the input; a prefix of the input cut at the original offset of
 * a character boundary decodes to exactly the text before that boundary (at
 * a few boundaries, in stateless encodings: the map agrees with a naive
 * recomputation); decoding
 * twice gives the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fuzz_util.h"
#include "text.h"

static const char *const encs[] = {"",          "gbk",         "gb18030",  "big5",
                                   "shift_jis", "euc-jp",      "euc-kr",   "windows-1252",
                                   "utf-16le",  "utf-16be",    "utf-32le", "utf-32be",
                                   "utf-16",    "iso-2022-jp", "utf-7",    "iso-8859-5"};

static int valid_utf8(const uint8_t *s, size_t n) {
    for (size_t i = 0; i < n;) {
        size_t adv = 0;
        if (nd_utf8_next(s + i, n - i, &adv) == ND_UTF8_INVALID) return 0;
        i += adv;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *enc = encs[data[0] % (sizeof encs / sizeof *encs)];
    size_t n = size - 1;
    /* a copy of exactly n bytes, so ASan sees any read past the end */
    uint8_t *src = malloc(n ? n : 1);
    FUZZ_CHECK(src != NULL, "malloc");
    if (n) memcpy(src, data + 1, n);

    nd_sniff_in si = {src, n < 8192 ? n : 8192, n, "auto"};
    nd_sniff_out so;
    nd_decode_sniff(&si, &so);
    FUZZ_CHECK(so.bom <= n, "mark of %u bytes in %zu", so.bom, n);
    FUZZ_CHECK(so.kind == ND_SNIFF_DECODE || so.bom == 0, "a mark without decoding");
    unsigned bom = 0;
    if (so.kind == ND_SNIFF_DECODE && so.enc[0] && !enc[0]) { /* use the sniff's answer */
        enc = so.enc;
        bom = so.bom;
    }

    nd_decode_in in = {src, n, enc, bom, UINT64_MAX};
    nd_decode_out out, again;
    nd_status st = nd_decode(&in, &out);
    if (st == ND_ERR_NOMEM) {
        free(src);
        return 0;
    }
    FUZZ_CHECK(st == ND_OK, "status %d for '%s'", (int)st, enc);
    if (out.utf8) {
        FUZZ_CHECK(!enc[0] && out.text == NULL && out.map.n == 0, "utf8 answer for '%s'", enc);
        nd_decode_release(&out);
        free(src);
        return 0;
    }
    FUZZ_CHECK(valid_utf8(out.text, out.len), "'%s' gave invalid UTF-8", out.enc);
    const nd_decmap *m = &out.map;
    FUZZ_CHECK(m->n >= 1, "no sentinel");
    FUZZ_CHECK(m->seg[0].dec == 0 && m->seg[0].orig == 0, "map does not start at 0");
    for (size_t i = 0; i + 1 < m->n; i++) {
        const nd_decmap_seg *a = &m->seg[i], *b = &m->seg[i + 1];
        FUZZ_CHECK(a->n > 0, "empty segment %zu", i);
        FUZZ_CHECK(a->dec + (uint64_t)a->n * a->dw == b->dec, "decoded gap after %zu", i);
        FUZZ_CHECK(a->orig + (uint64_t)a->n * a->ow == b->orig, "original gap after %zu", i);
    }
    FUZZ_CHECK(
        m->seg[m->n - 1].n == 0 && m->seg[m->n - 1].dec == out.len && m->seg[m->n - 1].orig == n,
        "sentinel (%llu, %llu) for %zu -> %zu bytes", (unsigned long long)m->seg[m->n - 1].dec,
        (unsigned long long)m->seg[m->n - 1].orig, n, out.len);
    FUZZ_CHECK(nd_decmap_orig(m, out.len) == n, "end does not map to the end");

    /* monotone at every boundary; a few boundaries checked naively where
     * every iconv call gave the characters of the bytes it read (no
     * zero-width segment but a byte-order mark): decoders that look ahead -
     * ISO-2022 and UTF-7 escapes, glibc's Windows-1255/1258 and TCVN holding
     * a letter back for a combining mark - decode a prefix otherwise
     * (decode.c, "Look-ahead") */
    int stateless = strncmp(out.enc, "iso-2022", 8) != 0 && strncmp(out.enc, "utf-7", 5) != 0 &&
                    strncmp(out.enc, "hz", 2) != 0 && strcmp(out.enc, "windows-1255") != 0 &&
                    strcmp(out.enc, "windows-1258") != 0 && strncmp(out.enc, "tcvn", 4) != 0;
    for (size_t i = bom ? 1 : 0; i + 1 < m->n; i++)
        if (m->seg[i].dw == 0) stateless = 0;
    uint64_t prev = 0;
    size_t every = out.len / 6 + 1, k = 0;
    for (size_t d = 0; d <= out.len; k++) {
        uint64_t o = nd_decmap_orig(m, d);
        FUZZ_CHECK(o >= prev && o <= n, "boundary %zu -> %llu after %llu", d, (unsigned long long)o,
                   (unsigned long long)prev);
        prev = o;
        if (k % every == 0 && o >= bom && stateless) {
            nd_decode_in pin = {src, (size_t)o, out.enc, bom, UINT64_MAX};
            nd_decode_out pre;
            nd_status ps = nd_decode(&pin, &pre);
            if (ps == ND_OK) {
                FUZZ_CHECK(pre.len == d && memcmp(pre.text, out.text, d) == 0,
                           "'%s': the %llu-byte prefix decodes to %zu bytes, not %zu", out.enc,
                           (unsigned long long)o, pre.len, d);
                nd_decode_release(&pre);
            } else {
                FUZZ_CHECK(ps == ND_ERR_NOMEM, "prefix status %d", (int)ps);
            }
        }
        if (d == out.len) break;
        size_t adv = 1;
        (void)nd_utf8_next(out.text + d, out.len - d, &adv);
        d += adv;
    }

    st = nd_decode(&in, &again);
    if (st == ND_OK) {
        FUZZ_CHECK(again.len == out.len && memcmp(again.text, out.text, out.len) == 0 &&
                       again.map.n == out.map.n &&
                       memcmp(again.map.seg, out.map.seg, out.map.n * sizeof *out.map.seg) == 0,
                   "not deterministic");
        nd_decode_release(&again);
    }
    nd_decode_release(&out);
    free(src);
    return 0;
}
