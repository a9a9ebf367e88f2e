/* test_fastpath.c - the single-pass tokeniser of text.c (used by
 * nd_norm_tokens for the flags NFKC+CASEFOLD+T2S) gives exactly the tokens
 * and character counts of the general multi-pass path, and the single-pass
 * mapped normaliser (nd_norm_chars_mapped) exactly its characters and byte
 * spans, on the bundled
 * corpus, the golden inputs and random / hostile byte strings. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "text.h"

/* Flag sets the fast path serves (PINYIN and STRIP either way). */
static const unsigned fast_flags[] = {
    ND_NORM_ALL,
    ND_NORM_ALL & ~(unsigned)ND_NORM_STRIP,
    ND_NORM_ALL & ~(unsigned)ND_NORM_PINYIN,
    ND_NORM_NFKC | ND_NORM_CASEFOLD | ND_NORM_T2S,
};
#define NFLAGS (sizeof fast_flags / sizeof *fast_flags)

typedef struct pair_norm {
    nd_norm fast[NFLAGS], gen[NFLAGS];
    size_t checked;
} pair_norm;

static void pn_init(pair_norm *p) {
    for (size_t f = 0; f < NFLAGS; f++) {
        nd_norm_init(&p->fast[f], fast_flags[f]);
        nd_norm_init(&p->gen[f], fast_flags[f]);
    }
    p->checked = 0;
}

/* pn_init, with the fast path's AVX2 ASCII block loop (nd_fa_blocks) left
 * on (where the CPU has it) or turned off, so that the ASCII tests check
 * the block loop and the scalar loop each against the general path. */
static void pn_init_simd(pair_norm *p, int simd) {
    pn_init(p);
    for (size_t f = 0; f < NFLAGS; f++) p->fast[f].simd = simd && p->fast[f].simd;
    if (simd && !p->fast[0].simd)
        cr_log_warn("this CPU has no AVX2: the ASCII block loop is not tested here");
}

static void pn_release(pair_norm *p) {
    for (size_t f = 0; f < NFLAGS; f++) {
        nd_norm_release(&p->fast[f]);
        nd_norm_release(&p->gen[f]);
    }
}

/* Both paths on s[0..n-1] under every flag set; they must agree. */
/* The first nflags flag sets: same tokens and characters both ways. */
static void check_same_n(pair_norm *p, const uint8_t *s, size_t n, size_t nflags) {
    for (size_t f = 0; f < nflags; f++) {
        const uint64_t *ta = NULL, *tb = NULL;
        size_t na = 0, nb = 0, ca = 0, cb = 0;
        cr_assert_eq(nd_norm_tokens(&p->fast[f], s, n, &ta, &na, &ca), ND_OK);
        cr_assert_eq(nd_norm_tokens_general(&p->gen[f], s, n, &tb, &nb, &cb), ND_OK);
        int same = na == nb && ca == cb && (na == 0 || memcmp(ta, tb, na * sizeof *ta) == 0);
        if (!same) {
            char hex[3 * 64 + 1];
            size_t k = 0;
            for (size_t i = 0; i < n && i < 64; i++)
                k += (size_t)snprintf(hex + k, sizeof hex - k, "%02x ", s[i]);
            hex[k] = '\0';
            cr_assert(same,
                      "flags 0x%x: %zu/%zu tokens, %zu/%zu chars (fast/general) on %zu bytes: %s",
                      fast_flags[f], na, nb, ca, cb, n, hex);
        }
    }
    for (size_t f = 0; f < nflags; f++) { /* the mapped characters */
        uint32_t *ca = NULL, *cb = NULL;
        nd_map_off *ba = NULL, *bb = NULL, *ea = NULL, *eb = NULL;
        size_t na = 0, nb = 0;
        cr_assert_eq(nd_norm_chars_mapped(&p->fast[f], s, n, &ca, &ba, &ea, &na), ND_OK);
        cr_assert_eq(nd_norm_chars_mapped_general(&p->gen[f], s, n, &cb, &bb, &eb, &nb), ND_OK);
        cr_assert_eq(na, nb, "flags 0x%x: %zu/%zu mapped characters on %zu bytes", fast_flags[f],
                     na, nb, n);
        for (size_t i = 0; i < na; i++)
            cr_assert(ca[i] == cb[i] && ba[i] == bb[i] && ea[i] == eb[i],
                      "flags 0x%x: character %zu: U+%04X [%zu,%zu) / U+%04X [%zu,%zu)",
                      fast_flags[f], i, (unsigned)ca[i], ba[i], ea[i], (unsigned)cb[i], bb[i],
                      eb[i]);
        cr_assert(na || (!ca && !ba && !ea && !cb && !bb && !eb), "no characters: no arrays");
        free(ca);
        free(ba);
        free(ea);
        free(cb);
        free(bb);
        free(eb);
    }
    p->checked++;
}

static void check_same(pair_norm *p, const uint8_t *s, size_t n) { check_same_n(p, s, n, NFLAGS); }

/* Code points checked under every flag set when tests walk all of them (the
 * rest only under the first, for speed): one per block of 256, everything
 * below U+3000 and U+F900..U+FFFF. */
static int all_flag_sets(uint32_t cp) {
    return (cp & 0xFF) == 0 || cp < 0x3000 || (cp >= 0xF900 && cp < 0x10000);
}

/* Every line and every whole file of a directory of *.txt files. */
static void check_dir(pair_norm *p, const char *dir) {
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot open %s", dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t nl = strlen(de->d_name);
        if (nl < 4 || strcmp(de->d_name + nl - 4, ".txt") != 0) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len = 0;
        char *text = nd_test_read_file(path, &len);
        check_same(p, (const uint8_t *)text, len);
        for (size_t i = 0; i < len;) {
            const char *nlp = memchr(text + i, '\n', len - i);
            size_t e = nlp ? (size_t)(nlp - text) : len;
            check_same(p, (const uint8_t *)text + i, e - i);
            i = e + 1;
        }
        free(text);
    }
    closedir(d);
}

Test(fastpath, seed_corpus_lines_and_files) {
    pair_norm p;
    pn_init(&p);
    check_dir(&p, getenv("ND_SEEDS") ? getenv("ND_SEEDS") : ND_SOURCE_DIR "/examples/seeds");
    cr_assert_gt(p.checked, 1000);
    pn_release(&p);
}

/* Set ND_FASTPATH_CORPUS to a gen_corpus docs/ directory to check it too
 * (not part of the default run: 100 MB take a while). */
Test(fastpath, optional_generated_corpus) {
    const char *dir = getenv("ND_FASTPATH_CORPUS");
    if (!dir) return;
    pair_norm p;
    pn_init(&p);
    check_dir(&p, dir);
    pn_release(&p);
}

Test(fastpath, golden_inputs) {
    size_t len = 0;
    char *text = nd_test_read_file(nd_test_data_path("golden/inputs.txt"), &len);
    pair_norm p;
    pn_init(&p);
    for (size_t i = 0; i < len;) {
        const char *nlp = memchr(text + i, '\n', len - i);
        size_t e = nlp ? (size_t)(nlp - text) : len;
        check_same(&p, (const uint8_t *)text + i, e - i);
        i = e + 1;
    }
    cr_assert_gt(p.checked, 8);
    pn_release(&p);
    free(text);
}

static uint64_t rng_next(uint64_t *s) {
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Pieces that exercise every branch: pinyin annotations (valid, invalid,
 * full-width parentheses, combining tones, tone digits, ü), Han in both
 * scripts, full-width forms, expansions (U+FDFA, ligatures, fractions,
 * ㍿), combining marks (slow path), hangul jamo, format and control
 * characters, white space, ill-formed and truncated UTF-8. */
static const char *const pieces[] = {
    "態",
    "态",
    "們",
    "(tài)",
    "（tài）",
    "(ta\xCC\x80i)",
    "(tai4)",
    "(lv\xCC\x88)",
    "(lu\xCC\x88)",
    "(a)",
    "(pm2.5)",
    "(二)",
    "(",
    ")",
    "（",
    "）",
    "(zhuāng)",
    "(ǚ)",
    "(nǚ)",
    "(m)",
    "(hng)",
    "Y",
    "a",
    "Z",
    "9",
    "2013",
    " ",
    "\t",
    "\n",
    "\xE3\x80\x80",
    "，",
    ",",
    "。",
    "！",
    "Ａ",
    "ｚ",
    "１",
    "\xEF\xB7\xBA",
    "ﬁ",
    "½",
    "㍿",
    "\xCC\x81",
    "e\xCC\x81",
    "\xE1\x85\xA1",
    "\xE1\x84\x80",
    "\xEF\xBB\xBF",
    "\xE2\x80\x8B",
    "\xC2\xAD",
    "\x01",
    "\x7F",
    "\xFF",
    "\x80",
    "\xC0\xAF",
    "\xE0\x80\xAF",
    "\xED\xA0\x80",
    "\xF4\x90\x80\x80",
    "\xE6\x97",
    "\xF0\x9F",
    "\xF0\x9F\x98\x80",
    "\xC3\xA9",
    "\xC3\x89",
    "İ",
    "ß",
    "ﾃ",
    "ｶ",
    "가",
    "\xEF\xBF\xBD",
    "\xEF\xBF\xBE",
    "𠀀",
    "丽",
    "\xEF\xA4\x80",
    "abc",
    "ABC",
    "ǎ",
    "ê",
    "ü",
    "ḿ",
    /* the single-pass loop's own paths: 2-byte punctuation, symbols and
     * spaces, C1 controls, overlong 2-byte forms, CJK punctuation and
     * Traditional Han between Han, full-width letters and digits, the CJK
     * range's ends, a paren with no annotation */
    "×",
    "·",
    "\xC2\xA0",
    "©",
    "\xC2\x80",
    "\xC1\xBF",
    "\xC2",
    "、",
    "“",
    "”",
    "《",
    "\xE3\x80\x85",
    "\xE3\x80\xAA",
    "ｔ",
    "５",
    "\xE4\xB8\x80",
    "\xE9\xBF\xBF",
    "\xE4\xB7\xBF",
    "\xEA\x80\x80",
    "(hng)",
    "(lǘ)",
    "(xx)",
    "国(guó)",
    "國（guó）",
    "(zhuang1)",
    "(nü3)",
};
#define NPIECES (sizeof pieces / sizeof *pieces)

Test(fastpath, random_pieces_and_bytes) {
    pair_norm p;
    pn_init(&p);
    uint64_t st = 42;
    uint8_t buf[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = 0, want = rng_next(&st) % 120;
        int mode = (int)(rng_next(&st) % 3);
        while (n < want) {
            if (mode == 0) { /* pieces */
                const char *pc = pieces[rng_next(&st) % NPIECES];
                size_t l = strlen(pc);
                if (n + l > sizeof buf) break;
                memcpy(buf + n, pc, l);
                n += l;
            } else if (mode == 1) { /* any bytes */
                buf[n++] = (uint8_t)rng_next(&st);
            } else { /* bytes biased towards UTF-8 lead/continuation bytes */
                uint64_t r = rng_next(&st);
                static const uint8_t pick[] = {0x28, 0x29, 0x61, 0x74, 0x80, 0xBF, 0xC3, 0xCC,
                                               0xE3, 0xE6, 0xEF, 0xF0, 0xA0, 0x97, 0x20, 0xED};
                buf[n++] = (r & 1) ? pick[(r >> 1) % sizeof pick] : (uint8_t)(r >> 8);
            }
        }
        check_same(&p, buf, n);
    }
    /* every piece alone and every ordered pair of pieces */
    for (size_t a = 0; a < NPIECES; a++)
        for (size_t b = 0; b < NPIECES; b++) {
            size_t la = strlen(pieces[a]), lb = strlen(pieces[b]);
            memcpy(buf, pieces[a], la);
            memcpy(buf + la, pieces[b], lb);
            check_same(&p, buf, la);
            check_same(&p, buf, la + lb);
        }
    pn_release(&p);
}

/* Every code point with something after it, so that the single-pass loop
 * (which needs 4 bytes ahead) reads it - a letter (which would join a word
 * run), CJK punctuation, a letter and Han - and between Han and CJK
 * punctuation. */
Test(fastpath, every_code_point_in_the_loop) {
    pair_norm p;
    pn_init(&p);
    uint8_t buf[32];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        size_t l = nd_utf8_encode(cp, buf);
        memcpy(buf + l,
               "a\xE3\x80\x82"
               "a\xE5\x9B\xBD",
               8); /* a。a国 */
        size_t k = l + 8;
        int all = all_flag_sets(cp);
        check_same_n(&p, buf, k, all ? NFLAGS : 1);
        /* and after a Han character: U+5E74 then cp then 。 */
        memcpy(buf, "\xE5\xB9\xB4", 3);
        l = 3 + nd_utf8_encode(cp, buf + 3);
        memcpy(buf + l, "\xE3\x80\x82", 3);
        k = l + 3;
        check_same_n(&p, buf, k, 1);
    }
    pn_release(&p);
}

/* Annotations where the single-pass loop meets them: at the start, after
 * Han, after punctuation, ASCII, a space and a word; in both kinds of
 * parentheses; with what follows them in the same loop or not. */
Test(fastpath, annotations_in_the_loop) {
    static const char *const before[] = {"",   "態", "态", "。",           ",",   " ",    "abc",
                                         "12", "ｔ", "×",  "\xE2\x80\x8B", "偨Y", "\xFF", "𠀀"};
    static const char *const ann[] = {"(tài)",
                                      "（tài）",
                                      "(ta\xCC\x80i)",
                                      "(tai4)",
                                      "(lv\xCC\x88)",
                                      "(lu\xCC\x88"
                                      "e4)",
                                      "(a)",
                                      "(二)",
                                      "(pm2.5)",
                                      "(zhuāng)",
                                      "(hng)",
                                      "(ḿ)",
                                      "(nǚ)",
                                      "(xiàn",
                                      "(xiàn)x",
                                      "(shéi)",
                                      "(shuí)",
                                      "(ēn)",
                                      "(tàì)",
                                      "(abcdefg)",
                                      "(chuāng)",
                                      "(er2)",
                                      "(r)"};
    static const char *const after[] = {"", "态", "。態", "a", " ", ")", "(tài)", "国国国国"};
    pair_norm p;
    pn_init(&p);
    uint8_t buf[128];
    for (size_t a = 0; a < sizeof before / sizeof *before; a++)
        for (size_t b = 0; b < sizeof ann / sizeof *ann; b++)
            for (size_t c = 0; c < sizeof after / sizeof *after; c++)
                for (int pad = 0; pad < 2; pad++) {
                    size_t n = 0;
                    if (pad) { /* so that the loop is running when it gets there */
                        memcpy(buf, "中国人", 9);
                        n = 9;
                    }
                    size_t la = strlen(before[a]), lb = strlen(ann[b]), lc = strlen(after[c]);
                    memcpy(buf + n, before[a], la);
                    memcpy(buf + n + la, ann[b], lb);
                    memcpy(buf + n + la + lb, after[c], lc);
                    check_same(&p, buf, n + la + lb + lc);
                }
    pn_release(&p);
}

/* Every code point alone, and after a Han character (a few in brackets). */
Test(fastpath, every_code_point) {
    pair_norm p;
    pn_init(&p);
    uint8_t buf[32];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        size_t l = nd_utf8_encode(cp, buf);
        if (all_flag_sets(cp)) {
            check_same(&p, buf, l);
            memcpy(buf, "\xE6\x85\x8B(", 4);
            size_t k = 4 + nd_utf8_encode(cp, buf + 4);
            buf[k++] = ')';
            check_same(&p, buf, k);
        } else {
            check_same_n(&p, buf, l, 1); /* only the first flag set, for speed */
        }
    }
    pn_release(&p);
}

/* ------------------------------------------------------------------------ */
/* The ASCII loop (nd_fp_ascii, nd_fa_word)                                  */
/* ------------------------------------------------------------------------ */

/* Pieces for long mixed paragraphs: English words in every case, digits,
 * every kind of ASCII separator and control, '(' with and without
 * annotations, Latin-1 and other Latin letters (which continue a word run
 * outside the ASCII loop), CJK, full-width forms, combining marks (the slow
 * path), ill-formed UTF-8. */
static const char *const mixed[] = {
    "the",
    "The",
    "THE",
    "quick",
    "Brown",
    "fOX",
    "jumps",
    "over",
    "a",
    "I",
    "x",
    "internationalization",
    "Antidisestablishmentarianism",
    "abcdefgh",
    "ABCDEFGHI",
    "2024",
    "3",
    "v2",
    "42nd",
    "COVID19",
    "e",
    "q9Z",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\v",
    "\f",
    ",",
    ".",
    "'",
    "\"",
    "-",
    "--",
    "...",
    "!",
    "?",
    ";",
    ":",
    "@",
    "[",
    "]",
    "^",
    "_",
    "`",
    "{",
    "|",
    "}",
    "~",
    "/",
    "\\",
    "#",
    "$",
    "%",
    "&",
    "*",
    "+",
    "<",
    "=",
    ">",
    "(",
    ")",
    "()",
    "(x)",
    "(tai4)",
    "(r)",
    "\x01",
    "\x08",
    "\x0E",
    "\x1F",
    "\x7F",
    "\x00",
    "(tài)",
    "(tài",
    "(zhuāng)",
    "（tài）",
    "é",
    "É",
    "ß",
    "Ä",
    "ø",
    "Œ",
    "ﬁ",
    "İ",
    "ǎ",
    "ü",
    "ñ",
    "café",
    "naïve",
    "Straße",
    "e\xCC\x81",
    "\xC2\xA0",
    "\xE2\x80\x94",
    "\xE2\x80\x99",
    "\xE2\x80\x9C",
    "\xE2\x80\x8B",
    "\xC2\xAD",
    "\xEF\xBB\xBF",
    "中",
    "國",
    "态",
    "們",
    "。",
    "，",
    "Ａ",
    "ｂ",
    "１",
    "가",
    "カ",
    "\xFF",
    "\x80",
    "\xC3",
    "\xE6\x97",
    "\xF0\x9F\x98\x80",
    "\xED\xA0\x80",
    "\xC0\xAF",
};
#define NMIXED (sizeof mixed / sizeof *mixed)

static int is_ascii(const char *s) {
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return 0;
    return 1;
}

/* Long random paragraphs of mostly English (words and separators weighted
 * like prose) mixed with the rest, up to 6 KB, compared under every flag
 * set; and the same with the separators all ASCII, so that the ASCII loop
 * runs over whole paragraphs. */
static void ascii_long_mixed(int simd) {
    pair_norm p;
    pn_init_simd(&p, simd);
    /* mixed[0..21] are words, [22..29] white space and a comma, then ASCII
     * up to the first piece with a byte >= 0x80 */
    cr_assert_eq(strcmp(mixed[21], "q9Z"), 0);
    cr_assert_eq(strcmp(mixed[29], ","), 0);
    size_t nascii = 0;
    while (nascii < NMIXED && is_ascii(mixed[nascii])) nascii++;
    cr_assert_eq(strcmp(mixed[nascii], "(tài)"), 0);
    uint64_t st = 2024;
    static uint8_t buf[6200];
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = 0, want = rng_next(&st) % 6000;
        unsigned mode = (unsigned)(rng_next(&st) % 4);
        while (n < want) {
            uint64_t r = rng_next(&st);
            const char *pc;
            if (mode == 0 || (r & 7) < 5) /* words and plain separators */
                pc = (r >> 3) & 1 ? mixed[(r >> 4) % 22] : mixed[22 + (r >> 4) % 8];
            else if (mode == 1) /* ASCII only */
                pc = mixed[(r >> 4) % nascii];
            else
                pc = mixed[(r >> 4) % NMIXED];
            size_t l = strlen(pc);
            if (l == 0) l = 1; /* the "\x00" piece */
            if (n + l > sizeof buf) break;
            memcpy(buf + n, pc, l);
            n += l;
        }
        check_same(&p, buf, n);
    }
    pn_release(&p);
}

Test(fastpath, ascii_long_mixed_paragraphs) { ascii_long_mixed(1); }
Test(fastpath, ascii_long_mixed_paragraphs_scalar) { ascii_long_mixed(0); }

/* Every byte at every position of a word of 1..40 letters, before it and
 * after it, so that every lane of the 8-byte steps meets every byte; words
 * in three cases and with digits. */
static void ascii_every_byte(int simd) {
    pair_norm p;
    pn_init_simd(&p, simd);
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    uint8_t buf[128];
    uint64_t st = 7;
    for (size_t len = 1; len <= 40; len++) {
        for (int c = 0; c < 256; c++) {
            for (size_t pos = 0; pos <= len + 1; pos++) {
                size_t n = 0;
                buf[n++] = 'Q';
                buf[n++] = ' ';
                for (size_t k = 0; k < len; k++)
                    buf[n++] = (uint8_t)letters[rng_next(&st) % (sizeof letters - 1)];
                buf[n++] = ' ';
                buf[n++] = 'z';
                buf[2 + pos - (pos > len)] = (uint8_t)c; /* in the word, or the space after */
                /* every length of what follows, so that the 8-byte steps
                 * end at every place */
                size_t tail = rng_next(&st) % 12;
                for (size_t k = 0; k < tail; k++) buf[n++] = (uint8_t)letters[k];
                check_same_n(&p, buf, n, (pos % 8 == 0 || c >= 0x80) ? NFLAGS : 1);
                check_same_n(&p, buf + 2, n - 2, 1);
            }
        }
    }
    pn_release(&p);
}

Test(fastpath, ascii_every_byte_in_and_around_words) { ascii_every_byte(1); }
Test(fastpath, ascii_every_byte_in_and_around_words_scalar) { ascii_every_byte(0); }

/* Every byte at every place of 32-byte blocks: English-like ASCII text of
 * 100 bytes (words of 1-40 letters in three cases and with digits, between
 * spaces and punctuation), then byte c at each position in turn, so that a
 * special byte (>= 0x80, a dropped control, '(') ends a block step at every
 * lane, a word or a run ends at every lane and crosses every block edge;
 * compared with the block loop on and off. */
Test(fastpath, ascii_blocks_every_byte_at_every_lane) {
    pair_norm p[2];
    pn_init_simd(&p[0], 1);
    pn_init_simd(&p[1], 0);
    static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static const char seps[] = "  , . ; - ' ( ) \t\n";
    uint64_t st = 11;
    uint8_t base[100], buf[100];
    for (int rep = 0; rep < 16; rep++) {
        size_t n = 0;
        unsigned maxw = 1 + (unsigned)(rep % 8) * 5; /* words up to 1, 6, ... 36 letters */
        while (n < sizeof base) {
            size_t wl = 1 + rng_next(&st) % maxw;
            for (size_t k = 0; k < wl && n < sizeof base; k++)
                base[n++] = (uint8_t)letters[rng_next(&st) % (sizeof letters - 1)];
            size_t sl = 1 + rng_next(&st) % 2;
            for (size_t k = 0; k < sl && n < sizeof base; k++)
                base[n++] = (uint8_t)seps[rng_next(&st) % (sizeof seps - 1)];
        }
        for (int c = 0; c < 256; c++) {
            for (size_t pos = 0; pos < sizeof base; pos++) {
                memcpy(buf, base, sizeof base);
                buf[pos] = (uint8_t)c;
                for (int m = 0; m < 2; m++)
                    check_same_n(&p[m], buf, sizeof buf, (pos + (size_t)c) % 5 == 0 ? NFLAGS : 1);
            }
        }
    }
    pn_release(&p[0]);
    pn_release(&p[1]);
}

/* The definition of a token value (text.h), checked directly against
 * nd_test_token_value for ASCII words of every length up to 300 (the block loop
 * and the scalar loop, in every place of a paragraph: alone, between
 * punctuation and spaces), for words with non-ASCII letters (the general
 * path), and pinned for three words, so that a change of the definition -
 * which changes every signature - cannot pass unnoticed. */
static void token_values_follow_the_definition(int simd) {
    nd_norm nm;
    nd_norm_init(&nm, ND_NORM_ALL);
    nm.simd = nm.simd && simd;
    uint64_t st = 99;
    uint8_t word[300], low[300], buf[320];
    for (size_t len = 1; len <= 300; len++) {
        for (int rep = 0; rep < 8; rep++) {
            for (size_t k = 0; k < len; k++) {
                uint64_t r = rng_next(&st) % 62;
                word[k] = (uint8_t)(r < 26 ? 'a' + r : r < 52 ? 'A' + (r - 26) : '0' + (r - 52));
                low[k] = (uint8_t)(word[k] >= 'A' && word[k] <= 'Z' ? word[k] + 32 : word[k]);
            }
            uint64_t want = len == 1 ? low[0] : nd_test_token_value(low, len);
            const uint64_t *t = NULL;
            size_t nt = 0, nc = 0;
            cr_assert_eq(nd_norm_tokens(&nm, word, len, &t, &nt, &nc), ND_OK);
            cr_assert(nt == 1 && nc == len && t[0] == want, "word of %zu bytes", len);
            buf[0] = ',';
            buf[1] = ' ';
            memcpy(buf + 2, word, len);
            memcpy(buf + 2 + len, ". x", 3);
            cr_assert_eq(nd_norm_tokens(&nm, buf, len + 5, &t, &nt, &nc), ND_OK);
            cr_assert(nt == 2 && nc == len + 1 && t[0] == want && t[1] == 'x', "word of %zu bytes",
                      len);
        }
    }
    /* a word at every place of a 120-byte paragraph of other words, so that
     * it starts and ends at every lane of a block, crosses block edges and
     * ends the paragraph */
    static const char filler[] = "Lorem ipsum, dolor sit amet; consectetur adipiscing elit. ";
    for (size_t len = 2; len <= 20; len++) {
        for (size_t k = 0; k < len; k++) {
            word[k] = (uint8_t)('A' + (len * 7 + k * 3) % 26);
            low[k] = (uint8_t)(word[k] + 32);
        }
        uint64_t want = nd_test_token_value(low, len);
        for (size_t at = 0; at + len <= 120; at++) {
            for (size_t k = 0; k < 120; k++) buf[k] = (uint8_t)filler[k % (sizeof filler - 1)];
            if (at > 0) buf[at - 1] = ' ';
            memcpy(buf + at, word, len);
            size_t n = at + len + 1 <= 120 ? 120 : at + len;
            if (at + len < n) buf[at + len] = ' ';
            const uint64_t *t = NULL;
            size_t nt = 0, nc = 0;
            cr_assert_eq(nd_norm_tokens(&nm, buf, n, &t, &nt, &nc), ND_OK);
            int found = 0;
            for (size_t j = 0; j < nt; j++) found |= t[j] == want;
            cr_assert(found, "word of %zu bytes at %zu", len, at);
        }
    }
    /* non-ASCII words (the per-code-point path): the value of their
     * normalised UTF-8 */
    static const struct {
        const char *in, *norm;
    } words[] = {{"Café", "café"},
                 {"naïve", "naïve"},
                 {"STRASSE", "strasse"},
                 {"Straße", "strasse"},
                 {"ﬁne", "fine"},
                 {"Ａｂｃ", "abc"},
                 {"déjà-vu", "déjà"},
                 {"Ελληνικά", "ελληνικά"},
                 {"Größenverhältnisse", "grössenverhältnisse"}};
    for (size_t w = 0; w < sizeof words / sizeof *words; w++) {
        const uint64_t *t = NULL;
        size_t nt = 0, nc = 0;
        const char *in = words[w].in, *norm = words[w].norm;
        cr_assert_eq(nd_norm_tokens(&nm, (const uint8_t *)in, strlen(in), &t, &nt, &nc), ND_OK);
        cr_assert(nt >= 1 && t[0] == nd_test_token_value((const uint8_t *)norm, strlen(norm)),
                  "word %s", in);
    }
    /* pinned: the definition itself (a change changes every signature) */
    cr_assert_eq(nd_test_token_value((const uint8_t *)"the", 3), UINT64_C(0x8769261e83abe988));
    cr_assert_eq(nd_test_token_value((const uint8_t *)"paragraph", 9),
                 UINT64_C(0xe664a4ea8eed8b40));
    cr_assert_eq(nd_test_token_value((const uint8_t *)"caf\xc3\xa9", 5),
                 UINT64_C(0xa0899207ffc07e2c));
    nd_norm_release(&nm);
}

Test(fastpath, token_values_follow_the_definition) { token_values_follow_the_definition(1); }
Test(fastpath, token_values_follow_the_definition_scalar) { token_values_follow_the_definition(0); }
