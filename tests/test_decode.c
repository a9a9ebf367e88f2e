/* test_decode.c - the decoder stage (src/decode.c): sniffing, detection,
 * decoding, and the offset map checked against a naive recomputation; then
 * whole scans of decoded copies beside their UTF-8 originals. */
#include <criterion/criterion.h>
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "support.h"
#include "text.h"

/* text[0..n-1] converted by iconv from `from` to `to` in one call (the
 * reference; the decoder converts a character or a block at a time). */
static uint8_t *conv(const char *from, const char *to, const void *text, size_t n,
                     size_t *out_len) {
    iconv_t cd = iconv_open(to, from);
    cr_assert_neq(cd, (iconv_t)-1, "iconv_open %s -> %s", from, to);
    size_t cap = n * 4 + 16, ol = cap, il = n;
    uint8_t *out = malloc(cap);
    char *ip = (char *)(uintptr_t)text, *op = (char *)out;
    cr_assert_neq(iconv(cd, &ip, &il, &op, &ol), (size_t)-1, "%s -> %s: %s", from, to,
                  strerror(errno));
    cr_assert_neq(iconv(cd, NULL, NULL, &op, &ol), (size_t)-1);
    iconv_close(cd);
    *out_len = cap - ol;
    return out;
}

/* The first lines of a seed file, up to about `max` bytes. */
static char *seed_prefix(const char *name, size_t max, size_t *len) {
    size_t n;
    char *s = nd_test_read_file(nd_test_seed_path(name), &n);
    if (n > max) {
        n = max;
        while (n > 0 && s[n - 1] != '\n') n--;
    }
    s[n] = '\0';
    *len = n;
    return s;
}

/* Checks out against the UTF-8 text it must give and, at every character
 * boundary of the decoded text, the map against the naive original offset:
 * bom plus the length of the decoded prefix encoded back into `enc`. */
static void check_map(const nd_decode_out *out, const char *utf8, size_t n, const char *enc,
                      unsigned bom, size_t orig_len) {
    cr_assert_eq(out->len, n, "%s: %zu decoded bytes, expected %zu", enc, out->len, n);
    cr_assert_eq(memcmp(out->text, utf8, n), 0, "%s: decoded text differs", enc);
    cr_assert_eq(nd_decmap_orig_size(&out->map), orig_len);
    for (size_t d = 0; d <= n;) {
        size_t plen = 0;
        uint8_t *p = d ? conv("UTF-8", enc, utf8, d, &plen) : NULL;
        uint64_t want = bom + plen;
        cr_assert_eq(nd_decmap_orig(&out->map, d), want, "%s: decoded %zu -> %llu, naive %llu", enc,
                     d, (unsigned long long)nd_decmap_orig(&out->map, d), (unsigned long long)want);
        free(p);
        if (d == n) break;
        size_t adv = 1;
        (void)nd_utf8_next((const uint8_t *)utf8 + d, n - d, &adv);
        d += adv;
    }
}

/* Encodes utf8 into enc (with a byte-order mark of `bom` bytes in front when
 * bom_bytes is given), decodes it again and checks text and map. */
static void roundtrip(const char *utf8, size_t n, const char *enc, const char *bom_bytes,
                      unsigned bom) {
    size_t elen = 0;
    uint8_t *e = conv("UTF-8", enc, utf8, n, &elen);
    uint8_t *src = malloc(elen + bom + 1);
    if (bom) memcpy(src, bom_bytes, bom);
    memcpy(src + bom, e, elen);
    nd_decode_in in = {src, elen + bom, enc, bom, UINT64_MAX};
    nd_decode_out out;
    cr_assert_eq(nd_decode(&in, &out), ND_OK, "%s", enc);
    cr_expect_eq(out.invalid, 0);
    cr_expect_eq(out.utf8, 0);
    check_map(&out, utf8, n, enc, bom, elen + bom);
    nd_decode_release(&out);
    free(src);
    free(e);
}

#define JA "日本語のテキストです。カタカナとひらがな、漢字を含みます。\n半角ｶﾀｶﾅと全角ＡＢＣ。\n"
#define KO "한국어 텍스트입니다. 이것은 시험입니다.\n두 번째 줄.\n"
#define LATIN                                                                                      \
    "The caf\u00e9 served cr\u00e8me br\u00fbl\u00e9e \u2014 \u201cproper\u201d coffee, "          \
    "said the na\u00efve se\u00f1or. 5\u20ac\n"

Test(decode, gbk_and_gb18030_map_matches_naive) {
    size_t n;
    char *s = seed_prefix("000_11051e509f6edff7.txt", 1500, &n);
    roundtrip(s, n, "GBK", NULL, 0);
    roundtrip(s, n, "GB18030", NULL, 0);
    free(s);
}

Test(decode, big5_map_matches_naive) {
    size_t n;
    char *s = seed_prefix("004_0d1cd47ed3852840.txt", 1200, &n);
    roundtrip(s, n, "BIG5", NULL, 0);
    free(s);
}

Test(decode, japanese_korean_latin_map_matches_naive) {
    roundtrip(JA, strlen(JA), "SHIFT_JIS", NULL, 0);
    roundtrip(JA, strlen(JA), "EUC-JP", NULL, 0); /* half-width kana: 2 bytes */
    roundtrip(KO, strlen(KO), "EUC-KR", NULL, 0);
    roundtrip(LATIN, strlen(LATIN), "WINDOWS-1252", NULL, 0);
}

Test(decode, utf16_utf32_map_matches_naive) {
    const char *mix = JA KO LATIN "emoji \xF0\x9F\x98\x80 (a surrogate pair)\n";
    size_t n = strlen(mix);
    roundtrip(mix, n, "UTF-16LE", NULL, 0);
    roundtrip(mix, n, "UTF-16BE", NULL, 0);
    roundtrip(mix, n, "UTF-16LE", "\xFF\xFE", 2);
    roundtrip(mix, n, "UTF-32LE", NULL, 0);
    roundtrip(mix, n, "UTF-32BE", "\x00\x00\xFE\xFF", 4);
}

/* Long UTF-16 and UTF-32 text, decoded a block at a time (decode.c,
 * decode_wide): text and map at every character boundary against the
 * encoding written here unit by unit, with surrogate pairs and invalid
 * units (a lone surrogate; in UTF-32 a value past U+10FFFF) at random
 * places, so that some fall on the blocks' edges; and a unit cut by the
 * end.  Each invalid unit is one U+FFFD standing for its bytes. */
static void wide_check(unsigned unit, int be, uint32_t seed) {
    const size_t nch = 30000;
    uint8_t *src = malloc(nch * 4 + 4), *want = malloc(nch * 4 + 4);
    uint64_t *dpos = malloc((nch + 1) * sizeof *dpos), *opos = malloc((nch + 1) * sizeof *opos);
    size_t n = 0, w = 0, k = 0, bad = 0;
    for (size_t c = 0; c < nch; c++) {
        seed = seed * 1103515245u + 12345u;
        const unsigned r = (seed >> 16) % 1000;
        uint32_t cp = r < 300   ? 'a' + r % 26
                      : r < 700 ? 0x4E00 + r
                      : r < 990 ? 0x1F600 + r % 64
                                : 0xFFFFFFFF;
        dpos[k] = w;
        opos[k++] = n;
        uint32_t units[2];
        unsigned nu = 1;
        if (cp == 0xFFFFFFFF) { /* invalid: a lone low surrogate, or past U+10FFFF */
            units[0] = unit == 2 ? 0xDC00 + r : 0x110000 + r;
            bad++;
        } else if (unit == 2 && cp > 0xFFFF) {
            units[0] = 0xD800 + ((cp - 0x10000) >> 10);
            units[1] = 0xDC00 + ((cp - 0x10000) & 0x3FF);
            nu = 2;
        } else {
            units[0] = cp;
        }
        for (unsigned j = 0; j < nu; j++)
            for (unsigned b = 0; b < unit; b++)
                src[n++] = (uint8_t)(units[j] >> (8 * (be ? unit - 1 - b : b)));
        w += nd_utf8_encode(cp == 0xFFFFFFFF ? 0xFFFD : cp, want + w);
    }
    src[n++] = 'z'; /* a unit cut by the end: one more U+FFFD */
    dpos[k] = w;
    opos[k++] = n - 1;
    w += nd_utf8_encode(0xFFFD, want + w);
    const char *enc = unit == 2 ? (be ? "utf-16be" : "utf-16le") : (be ? "utf-32be" : "utf-32le");
    nd_decode_in in = {src, n, enc, 0, UINT64_MAX};
    nd_decode_out out;
    cr_assert_eq(nd_decode(&in, &out), ND_OK, "%s", enc);
    cr_expect_eq(out.invalid, bad + 1, "%s: %zu invalid, expected %zu", enc, out.invalid, bad + 1);
    cr_assert_eq(out.len, w, "%s: %zu decoded bytes, expected %zu", enc, out.len, w);
    cr_assert_eq(memcmp(out.text, want, w), 0, "%s: decoded text differs", enc);
    for (size_t c = 0; c < k; c++)
        cr_assert_eq(
            nd_decmap_orig(&out.map, dpos[c]), opos[c], "%s: character %zu at %llu, not %llu", enc,
            c, (unsigned long long)nd_decmap_orig(&out.map, dpos[c]), (unsigned long long)opos[c]);
    cr_expect_eq(nd_decmap_orig(&out.map, w), n);
    nd_decode_release(&out);
    free(src);
    free(want);
    free(dpos);
    free(opos);
}

Test(decode, long_utf16_utf32_with_invalid_units_map_matches_naive) {
    wide_check(2, 0, 1);
    wide_check(2, 1, 2);
    wide_check(4, 0, 3);
    wide_check(4, 1, 4);
}

/* Bytes that do not decode become U+FFFD, one per byte, and the map counts
 * them as one original byte each. */
Test(decode, invalid_bytes_become_replacement_characters) {
    size_t alen, blen;
    uint8_t *a = conv("UTF-8", "GBK", "中文ab", strlen("中文ab"), &alen); /* 6 bytes */
    uint8_t *b = conv("UTF-8", "GBK", "再见", strlen("再见"), &blen);     /* 4 bytes */
    uint8_t src[32];
    size_t n = 0;
    memcpy(src + n, a, alen), n += alen;
    src[n++] = 0xFF; /* never a GBK byte */
    memcpy(src + n, b, blen), n += blen;
    src[n++] = 0xB0; /* a lead byte cut by the end */
    nd_decode_in in = {src, n, "gbk", 0, UINT64_MAX};
    nd_decode_out out;
    cr_assert_eq(nd_decode(&in, &out), ND_OK);
    const char *want = "中文ab\xEF\xBF\xBD再见\xEF\xBF\xBD";
    cr_assert_eq(out.len, strlen(want));
    cr_assert_eq(memcmp(out.text, want, out.len), 0);
    cr_expect_eq(out.invalid, 2);
    /* boundaries: after "中文ab", after the first U+FFFD, after "再见", end */
    cr_expect_eq(nd_decmap_orig(&out.map, 8), 6);
    cr_expect_eq(nd_decmap_orig(&out.map, 11), 7);
    cr_expect_eq(nd_decmap_orig(&out.map, 17), 11);
    cr_expect_eq(nd_decmap_orig(&out.map, 20), 12);
    cr_expect_eq(nd_decmap_orig(&out.map, 3), 2); /* after 中 */
    cr_expect_eq(nd_decmap_orig(&out.map, 7), 5); /* after "中文a" */
    nd_decode_release(&out);
    free(a);
    free(b);

    /* UTF-16: a lone surrogate and an odd last byte */
    const uint8_t u16[] = {'h', 0, 0x00, 0xD8, 'i', 0, 'x'};
    nd_decode_in in2 = {u16, sizeof u16, "utf-16le", 0, UINT64_MAX};
    cr_assert_eq(nd_decode(&in2, &out), ND_OK);
    cr_expect_eq(out.invalid, 2);
    cr_assert_eq(out.len, 8);
    cr_expect_eq(memcmp(out.text, "h\xEF\xBF\xBDi\xEF\xBF\xBD", 8), 0);
    cr_expect_eq(nd_decmap_orig(&out.map, 1), 2);
    cr_expect_eq(nd_decmap_orig(&out.map, 4), 4);
    cr_expect_eq(nd_decmap_orig(&out.map, 5), 6);
    cr_expect_eq(nd_decmap_orig(&out.map, out.len), sizeof u16);
    nd_decode_release(&out);
}

Test(decode, empty_and_bom_only) {
    nd_decode_in in = {(const uint8_t *)"\xFF\xFE", 2, "utf-16le", 2, UINT64_MAX};
    nd_decode_out out;
    cr_assert_eq(nd_decode(&in, &out), ND_OK);
    cr_expect_eq(out.len, 0);
    cr_expect_eq(nd_decmap_orig(&out.map, 0), 2);
    cr_expect_eq(nd_decmap_orig_size(&out.map), 2);
    nd_decode_release(&out);
    nd_decode_in e = {(const uint8_t *)"", 0, "gbk", 0, UINT64_MAX};
    cr_assert_eq(nd_decode(&e, &out), ND_OK);
    cr_expect_eq(out.len, 0);
    cr_expect_eq(nd_decmap_orig(&out.map, 0), 0);
    nd_decode_release(&out);
}

Test(decode, limit_and_unknown_names) {
    size_t n;
    char *s = seed_prefix("000_11051e509f6edff7.txt", 1500, &n);
    size_t elen;
    uint8_t *e = conv("UTF-8", "GBK", s, n, &elen);
    nd_decode_in in = {e, elen, "gbk", 0, 100};
    nd_decode_out out;
    cr_expect_eq(nd_decode(&in, &out), ND_ERR_TOO_LARGE);
    nd_decode_in bad = {e, elen, "no-such-encoding", 0, UINT64_MAX};
    cr_expect_eq(nd_decode(&bad, &out), ND_ERR_FORMAT);
    cr_expect(nd_decode_name_ok("auto"));
    cr_expect(nd_decode_name_ok(""));
    cr_expect(nd_decode_name_ok("UTF-8"));
    cr_expect(nd_decode_name_ok("gbk"));
    cr_expect(nd_decode_name_ok("Windows-1252"));
    cr_expect(!nd_decode_name_ok("no-such-encoding"));
    nd_options o;
    char msg[128];
    nd_options_default(&o);
    cr_expect_str_eq(o.encoding, "auto");
    snprintf(o.encoding, sizeof o.encoding, "%s", "klingon");
    cr_expect_eq(nd_options_check(&o, msg, sizeof msg), ND_ERR_INVALID);
    cr_expect_str_eq(msg, "encoding 'klingon' is not \"auto\" nor a name iconv can decode");
    free(e);
    free(s);
}

/* ---- detection ---------------------------------------------------------- */

static nd_decode_out detect_of(const void *src, size_t n) {
    nd_decode_in in = {src, n, "", 0, UINT64_MAX};
    nd_decode_out out;
    cr_assert_eq(nd_decode(&in, &out), ND_OK);
    return out;
}

Test(decode, detects_gbk_big5_cp1252) {
    size_t n, elen;
    char *s = seed_prefix("000_11051e509f6edff7.txt", 100000, &n);
    uint8_t *e = conv("UTF-8", "GBK", s, n, &elen);
    nd_decode_out out = detect_of(e, elen);
    cr_expect_str_eq(out.enc, "gb18030");
    cr_expect_eq(out.unsure, 0);
    cr_expect_eq(out.len, n);
    cr_expect_eq(memcmp(out.text, s, n), 0);
    nd_decode_release(&out);
    free(e);
    free(s);

    s = seed_prefix("004_0d1cd47ed3852840.txt", 2000, &n);
    e = conv("UTF-8", "BIG5", s, n, &elen);
    out = detect_of(e, elen);
    cr_expect_str_eq(out.enc, "big5");
    cr_expect_eq(out.unsure, 0);
    nd_decode_release(&out);
    free(e);
    free(s);

    const char *latin =
        LATIN LATIN "R\u00e9sum\u00e9 writing is an art: you don\u2019t list everything.\n";
    e = conv("UTF-8", "WINDOWS-1252", latin, strlen(latin), &elen);
    out = detect_of(e, elen);
    cr_expect_str_eq(out.enc, "windows-1252");
    cr_expect_eq(out.unsure, 0);
    cr_expect_eq(out.len, strlen(latin));
    nd_decode_release(&out);
    free(e);
}

Test(decode, few_bytes_are_a_guess_and_mostly_utf8_is_utf8) {
    nd_decode_out out = detect_of("caf\xe9 ok\n", 8);
    cr_expect_eq(out.unsure, 1);
    cr_expect_eq(out.utf8, 0);
    cr_expect_eq(out.len, 9); /* é is 2 bytes in UTF-8 whatever Latin guess */
    nd_decode_release(&out);
    const char *mostly = "Bad \xff\xfe bytes, then 这是一个用于测试的段落，内容相当长。\n";
    out = detect_of(mostly, strlen(mostly));
    cr_expect_eq(out.utf8, 1);
    cr_expect_str_eq(out.enc, "utf-8");
    cr_expect_null(out.text);
    nd_decode_release(&out);
}

/* ---- sniffing ------------------------------------------------------------ */

static nd_sniff_out sniff(const void *h, size_t n, uint64_t size, const char *enc) {
    nd_sniff_in in = {h, n, size, enc};
    nd_sniff_out out;
    nd_decode_sniff(&in, &out);
    return out;
}

Test(decode, sniff_decides_on_the_head) {
    size_t n;
    nd_sniff_out o;
    o = sniff("plain ascii\n", 12, 12, "auto");
    cr_expect_eq(o.kind, ND_SNIFF_UTF8);
    o = sniff("\xEF\xBB\xBFutf-8 with a mark\n", 21, 21, "auto");
    cr_expect_eq(o.kind, ND_SNIFF_UTF8);
    o = sniff("\xE4\xB8\xAD\xE6", 4, 100, "auto"); /* a character cut by the head */
    cr_expect_eq(o.kind, ND_SNIFF_UTF8);
    o = sniff("\xE4\xB8\xAD\xE6", 4, 4, "auto"); /* ... or by the end of the file */
    cr_expect_eq(o.kind, ND_SNIFF_DECODE);
    cr_expect_str_eq(o.enc, "");
    o = sniff("caf\xe9\n", 5, 5, "auto");
    cr_expect_eq(o.kind, ND_SNIFF_DECODE);
    cr_expect_str_eq(o.enc, "");
    o = sniff("some text\0more text\n", 20, 20, "auto"); /* a stray NUL */
    cr_expect_eq(o.kind, ND_SNIFF_BINARY);
    o = sniff("\x7f"
              "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0",
              20, 20, "auto");
    cr_expect_eq(o.kind, ND_SNIFF_BINARY);
    o = sniff("\xFF\xFEh\0i\0", 6, 6, "auto");
    cr_expect_eq(o.kind, ND_SNIFF_DECODE);
    cr_expect_str_eq(o.enc, "utf-16le");
    cr_expect_eq(o.bom, 2);
    o = sniff("\xFE\xFF\0h\0i", 6, 6, "auto");
    cr_expect_str_eq(o.enc, "utf-16be");
    o = sniff("\xFF\xFE\0\0h\0\0\0", 8, 8, "auto");
    cr_expect_str_eq(o.enc, "utf-32le");
    cr_expect_eq(o.bom, 4);

    /* no mark: English, Chinese and Russian in UTF-16 and UTF-32 */
    const char *texts[] = {"Hello, world.\nA second line of text.\n", NULL,
                           "Привет, мир.\nВторая строка.\n"};
    char *zh = seed_prefix("000_11051e509f6edff7.txt", 3000, &n);
    texts[1] = zh;
    const char *encs[] = {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"};
    const char *names[] = {"utf-16le", "utf-16be", "utf-32le", "utf-32be"};
    for (size_t t = 0; t < 3; t++) {
        for (size_t e = 0; e < 4; e++) {
            size_t elen;
            uint8_t *b = conv("UTF-8", encs[e], texts[t], strlen(texts[t]), &elen);
            o = sniff(b, elen, elen, "auto");
            cr_expect_eq(o.kind, ND_SNIFF_DECODE, "text %zu in %s", t, encs[e]);
            cr_expect_str_eq(o.enc, names[e], "text %zu in %s", t, encs[e]);
            cr_expect_eq(o.bom, 0);
            /* the head cut in the middle of a unit */
            o = sniff(b, elen - 1, elen, "auto");
            cr_expect_str_eq(o.enc, names[e], "cut text %zu in %s", t, encs[e]);
            free(b);
        }
    }
    free(zh);

    /* a name given: used for every file; UTF-8 keeps the binary test */
    o = sniff("plain ascii\n", 12, 12, "GBK");
    cr_expect_eq(o.kind, ND_SNIFF_DECODE);
    cr_expect_str_eq(o.enc, "gbk");
    o = sniff("a\0b\0", 4, 4, "utf-16le");
    cr_expect_eq(o.kind, ND_SNIFF_DECODE);
    o = sniff("a\0b\0", 4, 4, "gbk");
    cr_expect_eq(o.kind, ND_SNIFF_BINARY);
    o = sniff("caf\xe9\n", 5, 5, "utf-8");
    cr_expect_eq(o.kind, ND_SNIFF_UTF8);
}

/* ---- whole scans ----------------------------------------------------------- */

static void make_tmp(void) { nd_test_tmp_make("decode"); }

static void rm_tmp(void) { nd_test_tmp_remove(); }

#define at  nd_test_tmp_at
#define put nd_test_tmp_put

typedef struct notes {
    char lines[16][256];
    int n;
} notes;

static void on_diag(void *user, const nd_diag *d) {
    notes *log = user;
    const char *base = strrchr(d->path, '/');
    if (log->n < 16)
        snprintf(log->lines[log->n++], sizeof log->lines[0], "%s|%s|%s", base ? base + 1 : d->path,
                 nd_strerror(d->status), d->detail ? d->detail : "");
}

/* A UTF-8 original beside its GBK, UTF-16LE (no mark) and UTF-32BE copies:
 * each copy's paragraphs read back, from the original bytes at the offsets
 * reported, as the original's paragraphs at the same lines, and each sits in
 * the cluster of the original's paragraph. */
Test(decode_scan, copies_cluster_with_originals_at_original_offsets, .init = make_tmp,
     .fini = rm_tmp) {
    size_t n;
    char *s = seed_prefix("000_11051e509f6edff7.txt", 100000, &n);
    const char *encs[] = {"GBK", "UTF-16LE", "UTF-32BE"};
    const char *names[] = {"b.txt", "c.txt", "d.txt"};
    const char *want_enc[] = {"gb18030", "utf-16le", "utf-32be"};
    const char *py[] = {"GB18030", "UTF-16LE", "UTF-32BE"};
    put("a.txt", s, n);
    for (int e = 0; e < 3; e++) {
        size_t elen;
        uint8_t *b = conv("UTF-8", encs[e], s, n, &elen);
        put(names[e], b, elen);
        free(b);
    }
    nd_scanner *sc;
    nd_report *r;
    notes log = {0};
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    nd_scanner_set_diag(sc, on_diag, &log);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_tmp_dir()), ND_OK);
    /* the decoded texts live in the spool: the files may go now */
    for (int e = 0; e < 3; e++) cr_assert_eq(truncate(at(names[e]), 0), 0);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    cr_expect_eq(log.n, 0, "%s", log.lines[0]);
    cr_assert_eq(nd_report_document_count(r), 4);
    size_t np = nd_report_paragraph_count(r), per = np / 4;
    cr_assert_eq(per * 4, np);
    nd_document_info di;
    cr_assert_eq(nd_report_document(r, 0, &di), ND_OK);
    cr_expect_str_eq(di.encoding, "utf-8");
    for (int e = 0; e < 3; e++) {
        cr_assert_eq(nd_report_document(r, (size_t)e + 1, &di), ND_OK);
        cr_expect_str_eq(di.encoding, want_enc[e]);
        size_t olen;
        uint8_t *orig = conv("UTF-8", encs[e], s, n, &olen);
        cr_expect_eq(di.bytes, olen);
        for (size_t i = 0; i < per; i++) {
            nd_paragraph_info pa, pc;
            cr_assert_eq(nd_report_paragraph(r, i, &pa), ND_OK);
            cr_assert_eq(nd_report_paragraph(r, per * ((size_t)e + 1) + i, &pc), ND_OK);
            cr_assert_eq(pc.doc, (uint32_t)e + 1);
            cr_expect_eq(pc.line, pa.line);
            cr_assert_leq(pc.offset + pc.length, olen);
            size_t dlen;
            uint8_t *dec =
                pc.length ? conv(py[e], "UTF-8", orig + pc.offset, pc.length, &dlen) : NULL;
            if (!pc.length) dlen = 0;
            cr_expect_eq(dlen, pa.length, "%s paragraph %zu", encs[e], i);
            cr_expect_eq(memcmp(dec, s + pa.offset, pa.length), 0, "%s paragraph %zu", encs[e], i);
            free(dec);
            cr_expect_eq(pc.cluster, pa.cluster, "%s paragraph %zu", encs[e], i);
            const char *text;
            size_t tlen;
            cr_assert_eq(nd_report_paragraph_text(r, per * ((size_t)e + 1) + i, &text, &tlen),
                         ND_OK);
            cr_expect_eq(tlen, pa.length); /* the UTF-8 text */
        }
        free(orig);
    }
    nd_summary sum;
    cr_assert_eq(nd_report_summary(r, &sum), ND_OK);
    cr_expect_gt(sum.clusters, 10);
    nd_report_free(r);
    nd_scanner_free(sc);
    free(s);
}

/* A guess is one notice (not a skipped input); a file that is binary after
 * all is still skipped. */
Test(decode_scan, a_guess_is_one_notice, .init = make_tmp, .fini = rm_tmp) {
    put("small.txt", "caf\xe9 ok\n", 8);
    put("bin.dat", "some text\0more text\n", 20);
    nd_scanner *sc;
    nd_report *r;
    notes log = {0};
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    nd_scanner_set_diag(sc, on_diag, &log);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_tmp_dir()), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    cr_assert_eq(log.n, 2);
    cr_expect_str_eq(log.lines[0], "bin.dat|binary file|");
    cr_expect_eq(strncmp(log.lines[1], "small.txt|encoding guessed|", 27), 0, "%s", log.lines[1]);
    cr_expect_eq(nd_scanner_skipped(sc), 1);
    nd_report_free(r);
    nd_scanner_free(sc);
}

static int has(const uint8_t *s, size_t n, const char *needle) {
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, needle, k) == 0) return 1;
    return 0;
}

/* tests/fuzz/regress/decode/retry-room-overflow: glibc's Windows-1255
 * releases a letter it held back and then finds no room for the next one;
 * the retry must write after the released letter, not over the end of its
 * buffer, and keep it. */
Test(decode, letter_released_before_a_full_buffer) {
    size_t n;
    char *raw = nd_test_read_file(nd_test_data_path("fuzz/regress/decode/retry-room-overflow"), &n);
    cr_assert_gt(n, 1);
    nd_decode_in in = {(const uint8_t *)raw + 1, n - 1, "windows-1255", 0, UINT64_MAX};
    nd_decode_out out;
    cr_assert_eq(nd_decode(&in, &out), ND_OK);
    size_t i = 0;
    while (i < out.len) {
        size_t adv = 0;
        cr_assert_neq(nd_utf8_next(out.text + i, out.len - i, &adv), ND_UTF8_INVALID);
        i += adv;
    }
    cr_expect_eq(nd_decmap_orig(&out.map, out.len), n - 1);
    cr_expect(has(out.text, out.len, "line one"));
    cr_expect(has(out.text, out.len, "line two"));
    nd_decode_release(&out);
    free(raw);
}

/* The sniff's UTF-8 test against decoding with nd_utf8_next, character by
 * character (the reference the validator's shortcuts must agree with): for
 * random mixes of ASCII, valid and invalid sequences of every length, with
 * and without a character cut off at the end. */
static int ref_utf8_valid(const uint8_t *h, size_t n, int cut) {
    unsigned multi = 0;
    for (size_t i = 0; i < n && multi < 256;) { /* decode.c: ND_UTF8_ENOUGH */
        size_t adv = 0;
        if (nd_utf8_next(h + i, n - i, &adv) == ND_UTF8_INVALID) {
            unsigned need = h[i] >= 0xF0 && h[i] <= 0xF4   ? 4
                            : h[i] >= 0xE0 && h[i] <= 0xEF ? 3
                            : h[i] >= 0xC2 && h[i] <= 0xDF ? 2
                                                           : 0;
            if (!cut || !need || n - i >= need) return 0;
            for (size_t j = i + 1; j < n; j++)
                if ((h[j] & 0xC0) != 0x80) return 0;
            return 1;
        }
        multi += adv > 1;
        i += adv;
    }
    return 1;
}

Test(decode, utf8_test_agrees_with_decoding) {
    static const uint8_t pieces[][4] = {{'a'},
                                        {' '},
                                        {0xC3, 0xA9},
                                        {0xE4, 0xB8, 0xAD},
                                        {0xE0, 0xA0, 0x80},
                                        {0xE0, 0x9F, 0x80},
                                        {0xED, 0x9F, 0xBF},
                                        {0xED, 0xA0, 0x80},
                                        {0xEF, 0xBF, 0xBD},
                                        {0xF0, 0x90, 0x80, 0x80},
                                        {0xF0, 0x8F, 0x80, 0x80},
                                        {0xF4, 0x8F, 0xBF, 0xBF},
                                        {0xF4, 0x90, 0x80, 0x80},
                                        {0xC0, 0x80},
                                        {0xC1, 0xBF},
                                        {0xF5, 0x80, 0x80, 0x80},
                                        {0x80},
                                        {0xBF},
                                        {0xE4, 0x41},
                                        {0xE4, 0xB8},
                                        {0xC3},
                                        {0xF0, 0x90, 0x80},
                                        {0xFF}};
    static const unsigned plen[] = {1, 1, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4,
                                    4, 2, 2, 4, 1, 1, 2, 2, 1, 3, 1};
    uint8_t buf[1200];
    uint64_t x = 0x243F6A8885A308D3u;
    size_t agree_valid = 0;
    for (int t = 0; t < 200000; t++) {
        size_t n = 0;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned k = (x >> 50) % 8 == 0 ? 300 : (unsigned)(x % 12) + 1,
                 bad = (unsigned)(x >> 8) % 4 == 0;
        buf[n++] = 'x'; /* no byte-order mark at the start */
        for (unsigned j = 0; j < k; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned pc = bad ? (unsigned)(x % 23) : (unsigned)(x % 13);
            if (x >> 40 & 1) pc = (unsigned)(x >> 20) % 4; /* runs of ASCII and common CJK */
            for (unsigned b = 0; b < plen[pc] && n < sizeof buf; b++) buf[n++] = pieces[pc][b];
        }
        size_t len = n;
        if ((x >> 33) % 3 == 0 && len > 1) len -= 1 + (size_t)((x >> 35) % 2); /* cut the end */
        for (int cut = 0; cut < 2; cut++) {
            nd_sniff_in in = {buf, len, cut ? (uint64_t)len + 100 : (uint64_t)len, "auto"};
            nd_sniff_out out;
            nd_decode_sniff(&in, &out);
            int want = ref_utf8_valid(buf, len, cut);
            cr_assert_eq(out.kind == ND_SNIFF_UTF8, want, "case %d cut %d len %zu", t, cut, len);
            agree_valid += (size_t)want;
        }
    }
    cr_expect_gt(agree_valid, 50000u);
    cr_expect_lt(agree_valid, 350000u);
}
