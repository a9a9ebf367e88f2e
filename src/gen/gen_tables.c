/*
 * gen_tables.c - build-time generator of neardup's Unicode tables.
 *
 * Usage: nd_gen_tables OUTPUT.c
 *
 * Writes the two-stage tables described in src/unitab.h:
 *   - properties per code point (class, Han bit, "slow" bit, width), from
 *     utf8proc's character database;
 *   - three normalisation mappings (NFKC+casefold, NFKC, casefold), each the
 *     result of utf8proc normalising that one code point alone;
 *   - a Traditional -> Simplified mapping, each Han code point converted on
 *     its own by OpenCC with its "t2s.json" configuration (TSCharacters, plus
 *     TSPhrases for single-character entries).  A mapping is kept only when
 *     the result is exactly one different code point.  tw2s/hk2s are NOT
 *     used as fallbacks: for characters t2s leaves alone they map simplified
 *     characters to traditional ones (抬->擡, 么->幺), which is wrong here.
 *
 * No data is pasted here: everything comes from the installed libraries, so
 * the tables follow the Unicode version of utf8proc and OpenCC's dictionaries.
 * The output is a pure function of those two libraries' data (deterministic).
 * opencc_open() resolves a bare config name first relative to the current
 * directory and then in OpenCC's package data directory (/usr/share/opencc);
 * we pass the bare name and, if that fails, the absolute Debian path.
 *
 * This is a build tool, not library code: it reports errors on stderr and
 * exits non-zero.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opencc.h>
#include <utf8proc.h>

#include "../unitab.h"

#define NCP     0x110000u
#define NBLOCKS ND_UT_STAGE1_SIZE
#define MAXMAP  64

/* ------------------------------------------------------------------------ */
/* Small growable arrays                                                     */
/* ------------------------------------------------------------------------ */

static void *gen_xrealloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("nd_gen_tables: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

/* Deduplicated blocks of `width`-byte entries. */
typedef struct gen_blocks {
    size_t width;        /* bytes per entry */
    unsigned char *data; /* nblocks * 256 * width */
    uint64_t *hash;
    size_t nblocks, cap;
} gen_blocks;

static uint64_t gen_fnv(const unsigned char *p, size_t n) {
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* Returns the block number of blk (256 entries), adding it if new. */
static uint16_t gen_blocks_add(gen_blocks *b, const void *blk) {
    size_t bytes = 256 * b->width;
    uint64_t h = gen_fnv(blk, bytes);
    for (size_t i = 0; i < b->nblocks; i++)
        if (b->hash[i] == h && memcmp(b->data + i * bytes, blk, bytes) == 0) return (uint16_t)i;
    if (b->nblocks == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 64;
        b->data = gen_xrealloc(b->data, b->cap * bytes);
        b->hash = gen_xrealloc(b->hash, b->cap * sizeof *b->hash);
    }
    if (b->nblocks >= 0xFFFF) {
        fputs("nd_gen_tables: too many blocks\n", stderr);
        exit(1);
    }
    memcpy(b->data + b->nblocks * bytes, blk, bytes);
    b->hash[b->nblocks] = h;
    return (uint16_t)b->nblocks++;
}

/* The expansion pool, with reuse of identical sequences. */
typedef struct gen_pool {
    uint32_t *v;
    size_t n, cap;
} gen_pool;

static uint32_t gen_pool_add(gen_pool *p, const uint32_t *seq, size_t len) {
    for (size_t i = 0; i + len <= p->n; i++)
        if (memcmp(p->v + i, seq, len * sizeof *seq) == 0) return (uint32_t)i;
    if (p->n + len > p->cap) {
        p->cap = p->cap ? 2 * p->cap : 1024;
        p->v = gen_xrealloc(p->v, p->cap * sizeof *p->v);
    }
    memcpy(p->v + p->n, seq, len * sizeof *seq);
    uint32_t off = (uint32_t)p->n;
    p->n += len;
    if (p->n > ND_UT_EXP_OFF(0xFFFFFFFFu)) {
        fputs("nd_gen_tables: expansion pool too large\n", stderr);
        exit(1);
    }
    return off;
}

/* ------------------------------------------------------------------------ */
/* Unicode helpers                                                           */
/* ------------------------------------------------------------------------ */

/* The generator links utf8proc anyway: its encoder is the one used here. */
static size_t gen_utf8(uint32_t cp, uint8_t *out) {
    return (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, out);
}

static int gen_is_surrogate(uint32_t cp) { return cp >= 0xD800 && cp <= 0xDFFF; }

static int gen_is_nonchar(uint32_t cp) {
    return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFEu) == 0xFFFEu;
}

/*
 * Normalises the single code point cp with utf8proc options opts, exactly as
 * the library's slow path normalises a whole paragraph (utf8proc_decompose
 * then utf8proc_normalize_utf32).  *first_decomposed receives the first code
 * point of the decomposition before composition.  Returns the length of
 * out[].
 */
static size_t gen_map(uint32_t cp, utf8proc_option_t opts, uint32_t *out,
                      uint32_t *first_decomposed) {
    if (gen_is_surrogate(cp)) {
        out[0] = cp;
        *first_decomposed = cp;
        return 1;
    }
    uint8_t buf[4];
    size_t len = gen_utf8(cp, buf);
    utf8proc_int32_t tmp[MAXMAP];
    utf8proc_ssize_t n = utf8proc_decompose(buf, (utf8proc_ssize_t)len, tmp, MAXMAP, opts);
    if (n <= 0 || n > MAXMAP) {
        fprintf(stderr, "nd_gen_tables: utf8proc failed on U+%04X\n", (unsigned)cp);
        exit(1);
    }
    *first_decomposed = (uint32_t)tmp[0];
    n = utf8proc_normalize_utf32(tmp, n, opts);
    if (n <= 0) {
        fprintf(stderr, "nd_gen_tables: utf8proc failed on U+%04X\n", (unsigned)cp);
        exit(1);
    }
    for (utf8proc_ssize_t i = 0; i < n; i++) out[i] = (uint32_t)tmp[i];
    return (size_t)n;
}

/* Han ideographs: the CJK radicals, ideographic iteration mark and zero,
 * Hangzhou numerals, all CJK Unified Ideograph blocks and extensions, and the
 * compatibility ideographs.  Only assigned code points count. */
static int gen_in_han_range(uint32_t cp) {
    return (cp >= 0x2E80 && cp <= 0x2FDF) || cp == 0x3005 || cp == 0x3007 ||
           (cp >= 0x3021 && cp <= 0x3029) || (cp >= 0x3038 && cp <= 0x303B) ||
           (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

/* Kana and hangul blocks (letters in them are CJK tokens). */
static int gen_in_kana_hangul_range(uint32_t cp) {
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
           (cp >= 0xFF66 && cp <= 0xFF9F) || (cp >= 0x1AFF0 && cp <= 0x1B16F) ||
           (cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F) ||
           (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xAC00 && cp <= 0xD7FF) ||
           (cp >= 0xFFA0 && cp <= 0xFFDF);
}

static int gen_is_letter_or_nl(int cat) {
    return (cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
           cat == UTF8PROC_CATEGORY_NL;
}

static int gen_is_han(uint32_t cp) {
    int cat = utf8proc_category((utf8proc_int32_t)cp);
    return gen_in_han_range(cp) && cat != UTF8PROC_CATEGORY_CN && cat != UTF8PROC_CATEGORY_CO &&
           cat != UTF8PROC_CATEGORY_CS;
}

static unsigned gen_class(uint32_t cp) {
    if (gen_is_surrogate(cp) || gen_is_nonchar(cp)) return ND_UT_CLASS_DROP;
    int cat = utf8proc_category((utf8proc_int32_t)cp);
    if ((gen_in_han_range(cp) || gen_in_kana_hangul_range(cp)) && gen_is_letter_or_nl(cat))
        return ND_UT_CLASS_CJK;
    switch (cat) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: return ND_UT_CLASS_SPACE;
    case UTF8PROC_CATEGORY_CC:
        /* White_Space controls: TAB, LF, VT, FF, CR, NEL. */
        if ((cp >= 0x09 && cp <= 0x0D) || cp == 0x85) return ND_UT_CLASS_SPACE;
        return ND_UT_CLASS_DROP;
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS: return ND_UT_CLASS_DROP;
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK:
    case UTF8PROC_CATEGORY_SO: return ND_UT_CLASS_PUNCT;
    default:
        /* L*, M*, N*, private use and unassigned code points: word
         * characters (an unassigned code point is most likely a letter of a
         * newer Unicode version). */
        return ND_UT_CLASS_WORD;
    }
}

/* ------------------------------------------------------------------------ */
/* OpenCC                                                                    */
/* ------------------------------------------------------------------------ */

static opencc_t gen_opencc_open(const char *name) {
    opencc_t cc = opencc_open(name);
    if (cc != (opencc_t)-1) return cc;
    char path[256];
    snprintf(path, sizeof path, "/usr/share/opencc/%s", name);
    return opencc_open(path);
}

/* Converts cp alone; returns the result if it is exactly one code point other
 * than cp, else cp. */
static uint32_t gen_convert(opencc_t cc, uint32_t cp) {
    uint8_t buf[5];
    size_t len = gen_utf8(cp, buf);
    buf[len] = 0;
    char *res = opencc_convert_utf8(cc, (const char *)buf, len);
    if (!res) return cp;
    uint32_t out = cp;
    utf8proc_int32_t c;
    const uint8_t *r = (const uint8_t *)res;
    utf8proc_ssize_t rlen = (utf8proc_ssize_t)strlen(res);
    utf8proc_ssize_t k = utf8proc_iterate(r, rlen, &c);
    if (k > 0 && k == rlen && c >= 0) out = (uint32_t)c;
    opencc_convert_utf8_free(res);
    return out;
}

/* ------------------------------------------------------------------------ */
/* Output                                                                    */
/* ------------------------------------------------------------------------ */

static void gen_emit_u16(FILE *f, const char *decl, const uint16_t *v, size_t n) {
    fprintf(f, "%s = {", decl);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%u,", i % 16 ? "" : "\n    ", (unsigned)v[i]);
    fputs("\n};\n\n", f);
}

static void gen_emit_u8(FILE *f, const char *decl, const uint8_t *v, size_t n) {
    fprintf(f, "%s = {", decl);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%u,", i % 20 ? "" : "\n    ", (unsigned)v[i]);
    fputs("\n};\n\n", f);
}

static void gen_emit_u32(FILE *f, const char *decl, const uint32_t *v, size_t n) {
    fprintf(f, "%s = {", decl);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s0x%lx,", i % 8 ? "" : "\n    ", (unsigned long)v[i]);
    if (n == 0) fputs("0", f);
    fputs("\n};\n\n", f);
}

int main(int argc, char **argv) {
    static const utf8proc_option_t map_opts[3] = {
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD,
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT,
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD,
    };
    int rc = 1;
    FILE *f = NULL;
    uint8_t *base_slow = NULL, *prop = NULL;
    uint32_t *map[ND_UT_MAP_COUNT] = {NULL, NULL, NULL, NULL};
    opencc_t cc = (opencc_t)-1;
    gen_blocks pblocks = {1, NULL, NULL, 0, 0};
    gen_blocks mblocks = {4, NULL, NULL, 0, 0};
    gen_pool pool = {NULL, 0, 0};
    gen_blocks fblocks = {4, NULL, NULL, 0, 0};
    gen_pool fpool = {NULL, 0, 0};
    uint32_t *fused = NULL;
    static uint16_t fused1[NBLOCKS];
    static uint16_t prop1[NBLOCKS], map1[ND_UT_MAP_COUNT][NBLOCKS];
    size_t t2s_count = 0;
    uint32_t seq[MAXMAP];
    uint32_t first;

    if (argc != 2) {
        fputs("usage: nd_gen_tables OUTPUT.c\n", stderr);
        goto out;
    }
    base_slow = calloc(NCP, 1);
    prop = calloc(NCP, 1);
    for (int m = 0; m < ND_UT_MAP_COUNT; m++) map[m] = calloc(NCP, sizeof **map);
    if (!base_slow || !prop || !map[0] || !map[1] || !map[2] || !map[3]) {
        fputs("nd_gen_tables: out of memory\n", stderr);
        goto out;
    }

    /* 1. Code points that can combine with what precedes them: nonzero
     *    combining class, conjoining hangul V and T jamo, and every
     *    non-initial code point of a full canonical decomposition. */
    for (uint32_t cp = 0; cp < NCP; cp++) {
        if (gen_is_surrogate(cp)) continue;
        const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
        if (p->combining_class != 0) base_slow[cp] = 1;
        if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2)) base_slow[cp] = 1;
        size_t n = gen_map(cp, UTF8PROC_STABLE | UTF8PROC_DECOMPOSE, seq, &first);
        for (size_t i = 1; i < n; i++) base_slow[seq[i]] = 1;
    }

    /* 2. Properties and the three normalisation mappings. */
    for (uint32_t cp = 0; cp < NCP; cp++) {
        unsigned slow = base_slow[cp];
        for (int m = 0; m < 3; m++) {
            size_t n = gen_map(cp, map_opts[m], seq, &first);
            if (base_slow[first] || base_slow[seq[0]]) slow = 1;
            if (n == 1) {
                if (seq[0] != cp) map[m][cp] = (seq[0] - cp) & 0x7FFFFFFFu;
            } else {
                if (n > ND_UT_MAX_EXPANSION) {
                    fprintf(stderr, "nd_gen_tables: U+%04X expands to %zu\n", (unsigned)cp, n);
                    goto out;
                }
                map[m][cp] = ND_UT_EXPAND | ((uint32_t)n << 24) | gen_pool_add(&pool, seq, n);
            }
        }
        int w = gen_is_surrogate(cp) ? 0 : utf8proc_charwidth((utf8proc_int32_t)cp);
        if (w < 0) w = 0;
        if (w > 2) w = 2;
        prop[cp] = (uint8_t)(gen_class(cp) | (gen_is_han(cp) ? ND_UT_HAN : 0) |
                             (slow ? ND_UT_SLOW : 0) | ((unsigned)w << ND_UT_WIDTH_SHIFT));
    }

    /* 3. Traditional -> Simplified from OpenCC, one Han code point at a time. */
    cc = gen_opencc_open(OPENCC_DEFAULT_CONFIG_TRAD_TO_SIMP); /* "t2s.json" */
    if (cc == (opencc_t)-1) {
        fprintf(stderr, "nd_gen_tables: cannot open OpenCC config t2s.json: %s\n", opencc_error());
        goto out;
    }
    for (uint32_t cp = 0; cp < NCP; cp++) {
        if (!gen_is_han(cp)) continue;
        uint32_t s = gen_convert(cc, cp);
        if (s != cp && !gen_is_surrogate(s) && s < NCP) {
            map[ND_UT_MAP_T2S][cp] = (s - cp) & 0x7FFFFFFFu;
            t2s_count++;
        }
    }

    /* 3b. The fused table for NFKC+casefold, then T2S, then the class (see
     *     unitab.h): exactly the per-code-point steps text.c applies one
     *     after the other on its general path. */
    fused = calloc(NCP, sizeof *fused);
    if (!fused) {
        fputs("nd_gen_tables: out of memory\n", stderr);
        goto out;
    }
    for (uint32_t cp = 0; cp < NCP; cp++) {
        if (prop[cp] & ND_UT_SLOW) {
            fused[cp] = ND_UT_F_SLOW;
            continue;
        }
        uint32_t e = map[ND_UT_MAP_NFKC_CF][cp];
        if (!(e & ND_UT_EXPAND)) {
            uint32_t c = (cp + e) & 0x7FFFFFFFu;
            c = (c + map[ND_UT_MAP_T2S][c]) & 0x7FFFFFFFu;
            fused[cp] = ((c - cp) & ND_UT_F_CP_MASK) | (uint32_t)(prop[c] & ND_UT_CLASS_MASK)
                                                           << ND_UT_F_CLASS_SHIFT;
            continue;
        }
        size_t len = ND_UT_EXP_LEN(e);
        const uint32_t *src = pool.v + ND_UT_EXP_OFF(e);
        for (size_t i = 0; i < len; i++) {
            uint32_t c = (src[i] + map[ND_UT_MAP_T2S][src[i]]) & 0x7FFFFFFFu;
            seq[i] = c | (uint32_t)(prop[c] & ND_UT_CLASS_MASK) << ND_UT_F_CLASS_SHIFT;
        }
        uint32_t off = gen_pool_add(&fpool, seq, len);
        if (off > 0xFFFFu || len > 0x1Fu) {
            fputs("nd_gen_tables: fused pool too large\n", stderr);
            goto out;
        }
        fused[cp] = ND_UT_F_EXPAND | (uint32_t)len << 16 | off;
    }
    /* the opening parentheses that may start a pinyin annotation: the bit
     * tells text.c's inner loop, which handles every other plain code point
     * of their class with one test, to look for one */
    for (size_t k = 0; k < 2; k++) {
        uint32_t cp = k == 0 ? 0x28u : 0xFF08u;
        if (fused[cp] & (ND_UT_F_SLOW | ND_UT_F_EXPAND)) {
            fprintf(stderr, "nd_gen_tables: U+%04X is not a plain code point (text.c assumes it)\n",
                    (unsigned)cp);
            goto out;
        }
        fused[cp] |= ND_UT_F_PAREN;
    }
    for (uint32_t cp = ND_UT_CJK_LO; cp < ND_UT_CJK_HI; cp++) {
        if ((fused[cp] & (ND_UT_F_SLOW | ND_UT_F_EXPAND)) ||
            (fused[cp] >> ND_UT_F_CLASS_SHIFT & ND_UT_CLASS_MASK) != ND_UT_CLASS_CJK) {
            fprintf(stderr, "nd_gen_tables: U+%04X is not a plain CJK token (text.c assumes it)\n",
                    (unsigned)cp);
            goto out;
        }
    }

    /* 4. Two-stage compression.  The fused blocks of the CJK range go first:
     *    text.c reads U+4E00 + k at nd_ut_fused_stage2[k] (unitab.h); they
     *    are all distinct, so they are blocks 0, 1, ... in order. */
    for (uint32_t b = ND_UT_CJK_LO >> 8; b < ND_UT_CJK_HI >> 8; b++) {
        fused1[b] = gen_blocks_add(&fblocks, fused + ((size_t)b << 8));
        if (fused1[b] != b - (ND_UT_CJK_LO >> 8)) {
            fputs("nd_gen_tables: the CJK blocks of the fused table are not blocks 0, 1, ...\n",
                  stderr);
            goto out;
        }
    }
    for (uint32_t b = 0; b < NBLOCKS; b++) {
        prop1[b] = gen_blocks_add(&pblocks, prop + ((size_t)b << 8));
        for (int m = 0; m < ND_UT_MAP_COUNT; m++)
            map1[m][b] = gen_blocks_add(&mblocks, map[m] + ((size_t)b << 8));
        fused1[b] = gen_blocks_add(&fblocks, fused + ((size_t)b << 8));
    }

    f = fopen(argv[1], "w");
    if (!f) {
        fprintf(stderr, "nd_gen_tables: %s: %s\n", argv[1], strerror(errno));
        goto out;
    }
    size_t bytes = sizeof prop1 + pblocks.nblocks * 256 + sizeof map1 + mblocks.nblocks * 256 * 4 +
                   (pool.n ? pool.n : 1) * 4 + sizeof fused1 + fblocks.nblocks * 256 * 4 +
                   (fpool.n ? fpool.n : 1) * 4;
    fprintf(f,
            "/* Generated by src/gen/gen_tables.c - do not edit.\n"
            " * utf8proc %s (Unicode %s); OpenCC t2s.json.\n"
            " * %zu property blocks, %zu mapping blocks, %zu pool entries,\n"
            " * %zu T2S mappings, %zu bytes in all. */\n"
            "#include \"unitab.h\"\n\n",
            utf8proc_version(), utf8proc_unicode_version(), pblocks.nblocks, mblocks.nblocks,
            pool.n, t2s_count, bytes);
    fprintf(f, "const size_t nd_ut_table_bytes = %zu;\n", bytes);
    fprintf(f, "const size_t nd_ut_t2s_count = %zu;\n\n", t2s_count);
    gen_emit_u16(f, "const uint16_t nd_ut_prop_stage1[ND_UT_STAGE1_SIZE]", prop1, NBLOCKS);
    gen_emit_u8(f, "const uint8_t nd_ut_prop_stage2[]", pblocks.data, pblocks.nblocks * 256);
    fputs("const uint16_t nd_ut_map_stage1[ND_UT_MAP_COUNT][ND_UT_STAGE1_SIZE] = {\n", f);
    for (int m = 0; m < ND_UT_MAP_COUNT; m++) {
        fputs("{", f);
        for (size_t i = 0; i < NBLOCKS; i++)
            fprintf(f, "%s%u,", i % 16 ? "" : "\n    ", (unsigned)map1[m][i]);
        fputs("\n},\n", f);
    }
    fputs("};\n\n", f);
    {
        uint32_t *m2 = gen_xrealloc(NULL, mblocks.nblocks * 256 * 4);
        memcpy(m2, mblocks.data, mblocks.nblocks * 256 * 4);
        gen_emit_u32(f, "const uint32_t nd_ut_map_stage2[]", m2, mblocks.nblocks * 256);
        free(m2);
    }
    gen_emit_u32(f, "const uint32_t nd_ut_pool[]", pool.v, pool.n);
    gen_emit_u16(f, "const uint16_t nd_ut_fused_stage1[ND_UT_STAGE1_SIZE]", fused1, NBLOCKS);
    {
        uint32_t *f2 = gen_xrealloc(NULL, fblocks.nblocks * 256 * 4);
        memcpy(f2, fblocks.data, fblocks.nblocks * 256 * 4);
        gen_emit_u32(f, "const uint32_t nd_ut_fused_stage2[]", f2, fblocks.nblocks * 256);
        free(f2);
    }
    gen_emit_u32(f, "const uint32_t nd_ut_fused_pool[]", fpool.v, fpool.n);
    if (ferror(f) || fclose(f) != 0) {
        f = NULL;
        fprintf(stderr, "nd_gen_tables: cannot write %s\n", argv[1]);
        goto out;
    }
    f = NULL;
    rc = 0;
out:
    if (f) fclose(f);
    if (cc != (opencc_t)-1) opencc_close(cc);
    for (int m = 0; m < ND_UT_MAP_COUNT; m++) free(map[m]);
    free(base_slow);
    free(prop);
    free(pblocks.data);
    free(pblocks.hash);
    free(mblocks.data);
    free(mblocks.hash);
    free(pool.v);
    free(fused);
    free(fblocks.data);
    free(fblocks.hash);
    free(fpool.v);
    return rc;
}
