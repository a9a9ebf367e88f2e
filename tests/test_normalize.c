/* test_normalize.c - normalisation steps, pinyin removal and tokens (text.h). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "support.h"
#include "text.h"
#include "unitab.h"

/* Normalises s with flags and returns the result as a new UTF-8 string. */
static char *norm_str(unsigned flags, const char *s, size_t *nchars) {
    nd_norm nm;
    nd_norm_init(&nm, flags);
    const uint32_t *cps;
    size_t n;
    cr_assert_eq(nd_norm_chars(&nm, (const uint8_t *)s, strlen(s), &cps, &n), ND_OK);
    char *out = malloc(4 * n + 1);
    cr_assert_not_null(out);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) o += nd_utf8_encode(cps[i], (uint8_t *)out + o);
    out[o] = '\0';
    if (nchars) *nchars = n;
    nd_norm_release(&nm);
    return out;
}

/* A local copy of splitmix64 (nd_internal.h is private to the library). */
static uint64_t nd_splitmix64_test(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

#define EXPECT_NORM(flags, in, want)                                                               \
    do {                                                                                           \
        char *got_ = norm_str((flags), (in), NULL);                                                \
        cr_assert_str_eq(got_, (want), "normalising \"%s\"", (in));                                \
        free(got_);                                                                                \
    } while (0)

/* Flags of one step alone, plus nothing else (STRIP off keeps punctuation). */
#define ONLY(f) (f)

/* ---------------------------------------------------------------- T2S --- */

Test(t2s, traditional_characters_become_simplified_from_the_seed_headline) {
    EXPECT_NORM(ONLY(ND_NORM_T2S), "意識形態工作", "意识形态工作");
    EXPECT_NORM(ONLY(ND_NORM_T2S), "我們學習", "我们学习");
}

Test(t2s, simplified_and_latin_text_is_left_alone) {
    EXPECT_NORM(ONLY(ND_NORM_T2S), "意识形态工作abc", "意识形态工作abc");
}

Test(t2s, off_keeps_traditional_characters) {
    EXPECT_NORM(ND_NORM_NFKC | ND_NORM_CASEFOLD, "態們", "態們");
}

Test(t2s, table_holds_thousands_of_opencc_mappings) {
    cr_assert_gt(nd_ut_t2s_count, 2500);
    cr_assert_lt(nd_ut_t2s_count, 10000);
}

/* ------------------------------------------------------------- pinyin --- */

Test(pinyin, annotation_after_han_is_removed_from_the_seed_phrase) {
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "意識形態(tài)工作", "意識形態工作");
}

Test(pinyin, all_steps_turn_the_seed_phrase_into_simplified_text) {
    EXPECT_NORM(ND_NORM_ALL, "意識形態(tài)工作", "意识形态工作");
}

Test(pinyin, fullwidth_parentheses_are_recognised) {
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "形態（tài）工作", "形態工作");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "形態（tài)工作", "形態工作");
}

/* full-width letters and digits inside (a width-swapped copy of an
 * annotated text) are read as the ASCII ones they fold to */
Test(pinyin, fullwidth_letters_and_digits_are_recognised) {
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "監（ｊｉāｎ）督", "監督");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(ｔａｉ４)度", "態度");
    EXPECT_NORM(ND_NORM_ALL, "監（ｊｉāｎ）督", "监督");
    /* full-width capitals are not pinyin, as ASCII capitals are not */
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態（ＴＡＩ）度", "態（ＴＡＩ）度");
}

Test(pinyin, untoned_digit_toned_and_decomposed_syllables_after_han_are_removed) {
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(tai)度", "態度");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(tai4)度", "態度");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(ta\xCC\x80i)度", "態度"); /* a + U+0300 */
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "女(nǚ)人", "女人");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "女(nu\xCC\x88\xCC\x8C)人", "女人"); /* u+0308+030C */
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "綠(lv4)色", "綠色");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "創(chuàng)新", "創新");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "嗯(ńg)", "嗯");
}

Test(pinyin, toned_annotation_after_mojibake_letter_is_removed) {
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "??偨Y(jié)范文", "??偨Y范文");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "發F(xiàn)問題", "發F問題");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "a|(zhì)b", "a|b");
}

Test(pinyin, ordinals_words_numbers_and_code_in_parentheses_are_kept) {
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "(二)工作", "(二)工作");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "黨委(黨組)", "黨委(黨組)");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "細顆粒物(pm2.5)", "細顆粒物(pm2.5)");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "規劃(2013-2018)", "規劃(2013-2018)");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "function(x)", "function(x)");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "China (Beijing)", "China(Beijing)");
}

Test(pinyin, doubtful_annotations_are_kept) {
    /* untoned after a non-Han character */
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "x(hao)", "x(hao)");
    /* toned, but after a space */
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "word (tài)", "word(tài)");
    /* one untoned letter: an enumeration */
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "條款(a)", "條款(a)");
    /* two tone marks, upper case, not a syllable, too long, unclosed */
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(tàì)", "態(tàì)");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(Tài)", "態(Tài)");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(xyz)", "態(xyz)");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(shuanga)", "態(shuanga)");
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "態(tài", "態(tài");
    /* at the very start of the text there is nothing it annotates */
    EXPECT_NORM(ONLY(ND_NORM_PINYIN), "(tài)態", "(tài)態");
}

Test(pinyin, off_keeps_annotations) {
    EXPECT_NORM(ND_NORM_T2S, "意識形態(tài)工作", "意识形态(tài)工作");
}

/* Counts opening parentheses (ASCII and full-width) in cps. */
static size_t count_open(const uint32_t *cps, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += cps[i] == '(' || cps[i] == 0xFF08;
    return k;
}

Test(pinyin, every_annotation_in_the_large_seed_is_removed) {
    size_t len;
    char *text = nd_test_read_file(nd_test_seed_path("003_1d07424bca0ceb50.txt"), &len);
    nd_norm with, without;
    nd_norm_init(&with, ND_NORM_PINYIN);
    nd_norm_init(&without, 0);
    size_t removed = 0, remaining_tai = 0;
    const char *line = text, *end = text + len;
    while (line < end) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
        const uint32_t *a, *b;
        size_t na, nb;
        cr_assert_eq(nd_norm_chars(&without, (const uint8_t *)line, n, &a, &na), ND_OK);
        size_t before = count_open(a, na);
        cr_assert_eq(nd_norm_chars(&with, (const uint8_t *)line, n, &b, &nb), ND_OK);
        size_t after = count_open(b, nb);
        removed += before - after;
        for (size_t i = 0; i + 4 < nb; i++)
            remaining_tai += b[i] == '(' && b[i + 1] == 't' && b[i + 2] == 0xE0;
        line += n + 1;
    }
    /* grep -oP '[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,7}[1-5]?[)）]' counts
     * 10982 annotations in this file, 13 of them after mojibake. */
    cr_assert_eq(removed, 10982);
    cr_assert_eq(remaining_tai, 0);
    nd_norm_release(&with);
    nd_norm_release(&without);
    free(text);
}

Test(pinyin, seed_headline_line_normalises_to_simplified_chinese) {
    size_t len;
    char *text = nd_test_read_file(nd_test_seed_path("003_1d07424bca0ceb50.txt"), &len);
    char *line = strchr(text, '\n');
    cr_assert_not_null(line);
    line++;
    char *eol = strchr(line, '\n');
    cr_assert_not_null(eol);
    *eol = '\0';
    cr_assert_str_eq(line, "意識形態(tài)工作會上的講話篇一");
    EXPECT_NORM(ND_NORM_ALL, line, "意识形态工作会上的讲话篇一");
    free(text);
}

/* ----------------------------------------------------- NFKC / casefold --- */

Test(nfkc, fullwidth_digits_and_letters_become_ascii_without_case_change) {
    EXPECT_NORM(ONLY(ND_NORM_NFKC), "２０２０年ＡＢＣ", "2020年ABC");
}

Test(nfkc, compatibility_characters_expand_to_several_code_points) {
    EXPECT_NORM(ONLY(ND_NORM_NFKC), "ﬁ㈱", "fi(株)");
    /* U+FDFA expands to 18 code points, three of them spaces (not kept). */
    EXPECT_NORM(ONLY(ND_NORM_NFKC), "\xEF\xB7\xBA", "صلىاللهعليهوسلم");
}

Test(nfkc, combining_acute_composes_through_the_slow_path) {
    size_t n;
    char *got = norm_str(ONLY(ND_NORM_NFKC),
                         "caf"
                         "e\xCC\x81",
                         &n);
    cr_assert_str_eq(got, "caf\xC3\xA9");
    cr_assert_eq(n, 4);
    free(got);
}

Test(nfkc, halfwidth_katakana_with_voiced_mark_composes) {
    EXPECT_NORM(ONLY(ND_NORM_NFKC), "ｶﾞｷ", "ガキ");
}

Test(nfkc, conjoining_jamo_compose_into_a_syllable) {
    EXPECT_NORM(ONLY(ND_NORM_NFKC), "\xE1\x84\x80\xE1\x85\xA1", "가");
}

Test(nfkc, off_leaves_combining_sequences_and_fullwidth_forms) {
    EXPECT_NORM(ND_NORM_T2S, "e\xCC\x81Ａ", "e\xCC\x81Ａ");
}

Test(nfkc, slow_and_fast_paths_agree) {
    /* The same text, precomposed (fast path) and decomposed (slow path). */
    EXPECT_NORM(ND_NORM_NFKC | ND_NORM_CASEFOLD, "ＡÉ態ﬁ", "aé態fi");
    EXPECT_NORM(ND_NORM_NFKC | ND_NORM_CASEFOLD, "ＡE\xCC\x81態ﬁ", "aé態fi");
}

Test(casefold, fullwidth_letters_become_lower_case_ascii_with_nfkc) {
    EXPECT_NORM(ND_NORM_NFKC | ND_NORM_CASEFOLD, "ＡＢＣ", "abc");
}

Test(casefold, sharp_s_folds_to_ss) { EXPECT_NORM(ONLY(ND_NORM_CASEFOLD), "Straße", "strasse"); }

Test(casefold, alone_folds_case_but_keeps_fullwidth_forms) {
    EXPECT_NORM(ONLY(ND_NORM_CASEFOLD), "ＡＢＣ Hello", "ａｂｃhello");
}

Test(casefold, per_code_point_tables_match_utf8proc_for_every_code_point) {
    static const utf8proc_option_t opts[3] = {
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD,
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT,
        UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD,
    };
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        uint8_t buf[4];
        size_t blen = nd_utf8_encode(cp, buf);
        for (unsigned m = 0; m < 3; m++) {
            utf8proc_uint8_t *res = NULL;
            utf8proc_ssize_t rl = utf8proc_map(buf, (utf8proc_ssize_t)blen, &res, opts[m]);
            cr_assert_gt(rl, 0);
            uint32_t want[32];
            size_t nw = nd_utf8_decode(res, (size_t)rl, want);
            free(res);
            uint32_t e = nd_ut_map_entry(m, cp);
            int ok;
            if (e & ND_UT_EXPAND)
                ok = ND_UT_EXP_LEN(e) == nw &&
                     memcmp(nd_ut_pool + ND_UT_EXP_OFF(e), want, nw * 4) == 0;
            else
                ok = nw == 1 && nd_ut_apply(cp, e) == want[0];
            if (!ok) cr_assert_fail("map %u differs from utf8proc at U+%04X", m, (unsigned)cp);
        }
    }
}

/* Code points that exercise composition, reordering and expansion. */
static const uint32_t tricky[] = {
    'a',    'e',    'A',    'E',    'k',    0xDF,   0xFB01, 0xFF21, 0x0301, 0x0308,
    0x0327, 0x0323, 0x0345, 0x03A3, 0x01C5, 0xFF76, 0xFF9E, 0x1100, 0x1161, 0x11A8,
    0xAC00, 0x4E2D, 0x614B, 0xA8,   0x1E9B, 0x0F73, 0x0F71, 0x0CBF, 0x0CD5, 0xFDFA,
    0x212B, 0x2126, 0x3099, 0x304B, 0x0041, 0x030A, 0x1E0A, 0x0307,
};

Test(nfkc, random_mixtures_match_whole_string_utf8proc) {
    static const struct {
        unsigned flags;
        utf8proc_option_t opts;
    } modes[3] = {
        {ND_NORM_NFKC | ND_NORM_CASEFOLD,
         UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD},
        {ND_NORM_NFKC, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT},
        {ND_NORM_CASEFOLD, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD},
    };
    uint64_t rng = 12345;
    for (unsigned m = 0; m < 3; m++) {
        nd_norm nm;
        nd_norm_init(&nm, modes[m].flags);
        for (int iter = 0; iter < 3000; iter++) {
            uint8_t in[64];
            size_t len = 0, k = 1 + (size_t)(nd_splitmix64_test(&rng) % 12);
            for (size_t i = 0; i < k; i++) {
                uint32_t cp = tricky[nd_splitmix64_test(&rng) % (sizeof tricky / sizeof *tricky)];
                len += nd_utf8_encode(cp, in + len);
            }
            utf8proc_uint8_t *res = NULL;
            utf8proc_ssize_t rl = utf8proc_map(in, (utf8proc_ssize_t)len, &res, modes[m].opts);
            cr_assert_gt(rl, 0);
            uint32_t want[256];
            size_t nw = nd_utf8_decode(res, (size_t)rl, want), w = 0;
            free(res);
            for (size_t i = 0; i < nw; i++) {
                unsigned cls = nd_ut_prop(want[i]) & ND_UT_CLASS_MASK;
                if (cls != ND_UT_CLASS_SPACE && cls != ND_UT_CLASS_DROP) want[w++] = want[i];
            }
            const uint32_t *got;
            size_t ng;
            cr_assert_eq(nd_norm_chars(&nm, in, len, &got, &ng), ND_OK);
            cr_assert_eq(ng, w, "mode %u iteration %d: %zu code points, want %zu", m, iter, ng, w);
            for (size_t i = 0; i < w; i++)
                cr_assert_eq(got[i], want[i], "mode %u iteration %d position %zu", m, iter, i);
        }
        nd_norm_release(&nm);
    }
}

/* ---------------------------------------------------- removal / strip --- */

Test(strip, punctuation_symbols_and_spaces_are_removed) {
    size_t n;
    char *got = norm_str(ONLY(ND_NORM_STRIP), "你好，世界！ a-b «x» 100%", &n);
    cr_assert_str_eq(got, "你好世界abx100");
    cr_assert_eq(n, 10);
    free(got);
}

Test(strip, off_keeps_punctuation_but_never_whitespace) {
    size_t n;
    char *got = norm_str(0, "你好，世界！ a-b\t\u3000c", &n);
    cr_assert_str_eq(got, "你好，世界！a-bc");
    cr_assert_eq(n, 10);
    free(got);
}

Test(strip, byte_order_mark_zero_width_space_and_controls_are_always_dropped) {
    EXPECT_NORM(0,
                "\xEF\xBB\xBF"
                "ab\xE2\x80\x8B"
                "c\x01\x7F"
                "d",
                "abcd");
    EXPECT_NORM(ND_NORM_ALL,
                "\xEF\xBB\xBF"
                "ab\xE2\x80\x8B"
                "c",
                "abc");
}

Test(strip, invalid_bytes_become_replacement_characters_that_strip_removes) {
    EXPECT_NORM(0,
                "a\xFF"
                "b",
                "a\xEF\xBF\xBD"
                "b");
    EXPECT_NORM(ND_NORM_STRIP,
                "a\xFF"
                "b",
                "ab");
}

/* ------------------------------------------------------------- tokens --- */

typedef struct tok_result {
    uint64_t tok[32];
    size_t ntok, nchars;
} tok_result;

static tok_result tokens_of(unsigned flags, const char *s) {
    tok_result r;
    nd_norm nm;
    nd_norm_init(&nm, flags);
    const uint64_t *t;
    cr_assert_eq(nd_norm_tokens(&nm, (const uint8_t *)s, strlen(s), &t, &r.ntok, &r.nchars), ND_OK);
    cr_assert_leq(r.ntok, 32);
    if (r.ntok) memcpy(r.tok, t, r.ntok * sizeof *t);
    nd_norm_release(&nm);
    return r;
}

#define HASHED(s) nd_test_token_value((s), strlen(s))

Test(tokens, mixed_latin_and_han_text_gives_exact_token_values) {
    tok_result r = tokens_of(ND_NORM_ALL, "abc 中文 x1");
    cr_assert_eq(r.ntok, 4);
    cr_assert_eq(r.tok[0], UINT64_C(0x85ce21bb17cd97c1)); /* "abc" */
    cr_assert_eq(r.tok[1], 0x4E2D);
    cr_assert_eq(r.tok[2], 0x6587);
    cr_assert_eq(r.tok[3], UINT64_C(0x9d6e6d697934de32)); /* "x1" */
    cr_assert_eq(r.tok[0], HASHED("abc"));
    cr_assert_eq(r.nchars, 7);
}

Test(tokens, normalisation_happens_before_hashing) {
    tok_result r = tokens_of(ND_NORM_ALL, "ＡＢＣ　中文\u3000Ｘ１");
    cr_assert_eq(r.ntok, 4);
    cr_assert_eq(r.tok[0], UINT64_C(0x85ce21bb17cd97c1));
    cr_assert_eq(r.tok[3], UINT64_C(0x9d6e6d697934de32));
    tok_result s = tokens_of(ND_NORM_ALL, "Straße");
    cr_assert_eq(s.ntok, 1);
    cr_assert_eq(s.tok[0], UINT64_C(0xb0e1c4cb37aa1e47)); /* "strasse" */
    cr_assert_eq(s.nchars, 7);
}

Test(tokens, single_letter_token_is_its_code_point) {
    tok_result r = tokens_of(ND_NORM_ALL, "a 1 é");
    cr_assert_eq(r.ntok, 3);
    cr_assert_eq(r.tok[0], 'a');
    cr_assert_eq(r.tok[1], '1');
    cr_assert_eq(r.tok[2], 0xE9);
}

Test(tokens, each_han_character_is_a_token_even_inside_latin_runs) {
    tok_result r = tokens_of(ND_NORM_ALL, "2020年ab");
    cr_assert_eq(r.ntok, 3);
    cr_assert_eq(r.tok[0], UINT64_C(0x882753da7e956b5b)); /* "2020" */
    cr_assert_eq(r.tok[1], 0x5E74);
    cr_assert_eq(r.tok[2], HASHED("ab"));
    cr_assert_eq(r.nchars, 7);
}

Test(tokens, stripped_punctuation_separates_tokens) {
    tok_result r = tokens_of(ND_NORM_ALL, "ab,cd");
    cr_assert_eq(r.ntok, 2);
    cr_assert_eq(r.tok[0], HASHED("ab"));
    cr_assert_eq(r.tok[1], HASHED("cd"));
    cr_assert_eq(r.nchars, 4);
}

Test(tokens, kept_punctuation_is_a_one_character_token) {
    tok_result r = tokens_of(ND_NORM_ALL & ~ND_NORM_STRIP, "ab,cd。");
    cr_assert_eq(r.ntok, 4);
    cr_assert_eq(r.tok[0], HASHED("ab"));
    cr_assert_eq(r.tok[1], ',');
    cr_assert_eq(r.tok[2], HASHED("cd"));
    cr_assert_eq(r.tok[3], 0x3002);
    cr_assert_eq(r.nchars, 6);
}

Test(tokens, invisible_characters_do_not_split_a_word) {
    tok_result r = tokens_of(ND_NORM_ALL, "ab\xE2\x80\x8B"
                                          "c");
    cr_assert_eq(r.ntok, 1);
    cr_assert_eq(r.tok[0], HASHED("abc"));
    cr_assert_eq(r.nchars, 3);
}

/* English as the ASCII loop of the single-pass tokeniser sees it: capitals
 * folded, words longer than 8 and 16 bytes (more than one 8-byte step, the
 * long XXH3 path), a control inside a word, an annotation after a word
 * (removed only with one tone mark), a word continued by a Latin-1 letter,
 * and the same values without NFKC (the general path). */
Test(tokens, ascii_words_fold_case_and_hash_their_lower_case_bytes) {
    const char *s = "The QUICK brown Fox, internationalization! 42nd "
                    "Antidisestablishmentarianism a\x01"
                    "b x(tài)y z(tai4) caFÉ";
    tok_result r = tokens_of(ND_NORM_ALL, s);
    cr_assert_eq(r.ntok, 12);
    cr_assert_eq(r.tok[0], HASHED("the"));
    cr_assert_eq(r.tok[1], HASHED("quick"));
    cr_assert_eq(r.tok[2], HASHED("brown"));
    cr_assert_eq(r.tok[3], HASHED("fox"));
    cr_assert_eq(r.tok[4], HASHED("internationalization"));
    cr_assert_eq(r.tok[5], HASHED("42nd"));
    cr_assert_eq(r.tok[6], HASHED("antidisestablishmentarianism"));
    cr_assert_eq(r.tok[7], HASHED("ab"));
    cr_assert_eq(r.tok[8], HASHED("xy"));
    cr_assert_eq(r.tok[9], 'z'); /* untoned (tai4) after a letter: kept */
    cr_assert_eq(r.tok[10], HASHED("tai4"));
    cr_assert_eq(r.tok[11], HASHED("caf\xC3\xA9"));
    cr_assert_eq(r.nchars, 81);
    tok_result g = tokens_of(ND_NORM_CASEFOLD | ND_NORM_STRIP | ND_NORM_PINYIN, s);
    cr_assert_eq(g.ntok, 12);
    cr_assert_eq(memcmp(g.tok, r.tok, sizeof *r.tok * 12), 0);
}

Test(tokens, ascii_punctuation_kept_without_strip_and_controls_dropped) {
    tok_result r = tokens_of(ND_NORM_ALL & ~ND_NORM_STRIP, "Hi, (x) \x7F\tok.");
    cr_assert_eq(r.ntok, 7);
    cr_assert_eq(r.tok[0], HASHED("hi"));
    cr_assert_eq(r.tok[1], ',');
    cr_assert_eq(r.tok[2], '(');
    cr_assert_eq(r.tok[3], 'x');
    cr_assert_eq(r.tok[4], ')');
    cr_assert_eq(r.tok[5], HASHED("ok"));
    cr_assert_eq(r.tok[6], '.');
    cr_assert_eq(r.nchars, 9);
}

Test(tokens, empty_and_blank_text_have_no_tokens) {
    tok_result r = tokens_of(ND_NORM_ALL, "");
    cr_assert_eq(r.ntok, 0);
    cr_assert_eq(r.nchars, 0);
    r = tokens_of(ND_NORM_ALL, " \t，。 ");
    cr_assert_eq(r.ntok, 0);
    cr_assert_eq(r.nchars, 0);
}

Test(tokens, character_count_matches_nd_norm_chars) {
    const char *s = "意識形態(tài)工作會上的講話篇一，2020年 ABC";
    tok_result r = tokens_of(ND_NORM_ALL, s);
    size_t n;
    char *got = norm_str(ND_NORM_ALL, s, &n);
    cr_assert_str_eq(got, "意识形态工作会上的讲话篇一2020年abc");
    cr_assert_eq(r.nchars, n);
    cr_assert_eq(r.nchars, 21);
    cr_assert_eq(r.ntok, 16);
    free(got);
}

Test(scratch, buffers_are_reused_for_smaller_paragraphs) {
    nd_norm nm;
    nd_norm_init(&nm, ND_NORM_ALL);
    const uint64_t *t;
    size_t nt, nc;
    const char *big = "意識形態(tài)工作會上的講話篇一 abc def ghi jkl 2020年";
    cr_assert_eq(nd_norm_tokens(&nm, (const uint8_t *)big, strlen(big), &t, &nt, &nc), ND_OK);
    void *cps = nm.cps, *out = nm.out, *tok = nm.tokens, *u8 = nm.utf8;
    size_t caps[4] = {nm.cps_cap, nm.out_cap, nm.tokens_cap, nm.utf8_cap};
    const char *small = "我們 xyz";
    for (int i = 0; i < 3; i++)
        cr_assert_eq(nd_norm_tokens(&nm, (const uint8_t *)small, strlen(small), &t, &nt, &nc),
                     ND_OK);
    cr_assert_eq(nt, 3);
    cr_assert_eq(t[1], 0x4EEC); /* 们 */
    cr_assert_eq(nm.cps, cps);
    cr_assert_eq(nm.out, out);
    cr_assert_eq(nm.tokens, tok);
    cr_assert_eq(nm.utf8, u8);
    cr_assert_eq(nm.cps_cap, caps[0]);
    cr_assert_eq(nm.out_cap, caps[1]);
    cr_assert_eq(nm.tokens_cap, caps[2]);
    cr_assert_eq(nm.utf8_cap, caps[3]);
    nd_norm_release(&nm);
    cr_assert_null(nm.cps);
}
