/* test_utf8.c - UTF-8 decoding/encoding, widths and CJK classes (text.h). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support.h"
#include "text.h"

#define R ND_REPLACEMENT_CHAR

/* Decodes the n bytes of s and asserts the exact code points. */
static void expect_decode(const char *s, size_t n, const uint32_t *want, size_t nwant) {
    uint32_t got[64];
    cr_assert_leq(n, 64);
    size_t k = nd_utf8_decode((const uint8_t *)s, n, got);
    cr_assert_eq(k, nwant, "decoded %zu code points, want %zu", k, nwant);
    for (size_t i = 0; i < k; i++)
        cr_assert_eq(got[i], want[i], "code point %zu is U+%04X, want U+%04X", i, (unsigned)got[i],
                     (unsigned)want[i]);
}

#define EXPECT_DECODE(bytes, ...)                                                                  \
    do {                                                                                           \
        static const uint32_t want_[] = {__VA_ARGS__};                                             \
        expect_decode(bytes, sizeof(bytes) - 1, want_, sizeof want_ / sizeof *want_);              \
    } while (0)

Test(decode, well_formed_sequences_of_every_length_give_their_code_points) {
    EXPECT_DECODE("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80", 0x61, 0xE9, 0x4E2D, 0x1F600);
}

Test(decode, boundary_scalars_decode_exactly) {
    EXPECT_DECODE("\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80"
                  "\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF",
                  0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF);
}

Test(decode, lone_continuation_bytes_give_one_replacement_each) {
    EXPECT_DECODE("a\x80\xBF"
                  "b",
                  0x61, R, R, 0x62);
}

Test(decode, bytes_that_never_start_a_sequence_give_one_replacement_each) {
    EXPECT_DECODE("\xC0\xC1\xF5\xFF"
                  "a",
                  R, R, R, R, 0x61);
}

Test(decode, overlong_two_byte_slash_gives_two_replacements) { EXPECT_DECODE("\xC0\xAF", R, R); }

Test(decode, overlong_three_byte_slash_gives_three_replacements) {
    EXPECT_DECODE("\xE0\x80\xAF", R, R, R);
}

Test(decode, overlong_four_byte_sequence_gives_one_replacement_per_byte) {
    EXPECT_DECODE("\xF0\x80\x80\x80", R, R, R, R);
}

Test(decode, encoded_surrogate_gives_three_replacements) {
    EXPECT_DECODE("\xED\xA0\x80", R, R, R);
    EXPECT_DECODE("\xED\xBF\xBF"
                  "x",
                  R, R, R, 0x78);
}

Test(decode, value_above_10FFFF_gives_four_replacements) {
    EXPECT_DECODE("\xF4\x90\x80\x80", R, R, R, R);
}

Test(decode, truncated_sequence_at_end_gives_one_replacement) {
    EXPECT_DECODE("\xE6\x97", R);
    EXPECT_DECODE("a\xF0\x9F\x98", 0x61, R);
    EXPECT_DECODE("\xC3", R);
}

Test(decode, truncated_sequence_before_another_character_gives_one_replacement) {
    EXPECT_DECODE("\xE6\x97"
                  "a",
                  R, 0x61);
    EXPECT_DECODE("\xE6\x97\xE4\xB8\xAD", R, 0x4E2D);
    EXPECT_DECODE("\xF0\x9F\x98\xF0\x9F\x98\x80", R, 0x1F600);
}

Test(decode, byte_order_mark_decodes_to_FEFF) {
    EXPECT_DECODE("\xEF\xBB\xBF"
                  "a",
                  0xFEFF, 0x61);
}

Test(decode, empty_input_gives_nothing) {
    uint32_t out[1] = {7};
    cr_assert_eq(nd_utf8_decode((const uint8_t *)"", 0, out), 0);
    cr_assert_eq(out[0], 7);
}

Test(decode, seed_documents_are_well_formed_and_decode_without_replacements) {
    size_t len;
    char *text = nd_test_read_file(nd_test_seed_path("003_1d07424bca0ceb50.txt"), &len);
    uint32_t *cps = malloc(len * sizeof *cps);
    cr_assert_not_null(cps);
    size_t n = nd_utf8_decode((const uint8_t *)text, len, cps);
    cr_assert_lt(n, len);
    size_t bad = 0, han = 0;
    for (size_t i = 0; i < n; i++) {
        bad += cps[i] == R;
        han += cps[i] == 0x614B; /* 態 */
    }
    cr_assert_eq(bad, 0);
    cr_assert_gt(han, 2000);
    free(cps);
    free(text);
}

Test(encode, boundary_scalars_encode_to_exact_bytes) {
    static const struct {
        uint32_t cp;
        const char *bytes;
    } cases[] = {
        {0x00, "\x00"},
        {0x7F, "\x7F"},
        {0x80, "\xC2\x80"},
        {0x7FF, "\xDF\xBF"},
        {0x800, "\xE0\xA0\x80"},
        {0x4E2D, "\xE4\xB8\xAD"},
        {0xFFFD, "\xEF\xBF\xBD"},
        {0xFFFF, "\xEF\xBF\xBF"},
        {0x10000, "\xF0\x90\x80\x80"},
        {0x10FFFF, "\xF4\x8F\xBF\xBF"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        uint8_t out[4];
        size_t n = nd_utf8_encode(cases[i].cp, out);
        size_t want = cases[i].cp == 0 ? 1 : strlen(cases[i].bytes);
        cr_assert_eq(n, want, "U+%04X encodes to %zu bytes", (unsigned)cases[i].cp, n);
        cr_assert_eq(memcmp(out, cases[i].bytes, n), 0, "U+%04X", (unsigned)cases[i].cp);
    }
}

Test(encode, every_scalar_value_round_trips_through_decode) {
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        uint8_t buf[4];
        uint32_t back[4];
        size_t n = nd_utf8_encode(cp, buf);
        size_t k = nd_utf8_decode(buf, n, back);
        if (k != 1 || back[0] != cp) cr_assert_fail("U+%04X does not round-trip", (unsigned)cp);
    }
}

Test(width, latin_is_narrow_han_and_fullwidth_are_wide_combining_is_zero) {
    cr_assert_eq(nd_char_width('a'), 1);
    cr_assert_eq(nd_char_width(0x4E2D), 2);  /* 中 */
    cr_assert_eq(nd_char_width(0xFF21), 2);  /* Ａ */
    cr_assert_eq(nd_char_width(0xFF71), 1);  /* halfwidth ｱ */
    cr_assert_eq(nd_char_width(0x0301), 0);  /* combining acute */
    cr_assert_eq(nd_char_width(0x20000), 2); /* extension B */
}

Test(classes, han_kana_and_hangul_characters_are_single_tokens) {
    static const uint32_t yes[] = {0x4E2D, 0x614B, 0x3400, 0x20000, 0x2B740, 0xF900, 0x3007, 0x3005,
                                   0x3042, 0x30A2, 0x30FC, 0xFF71,  0xD55C,  0x1100, 0x3131};
    static const uint32_t no[] = {'a',    '1',    0xE9,   0xFF0C, 0x3002, 0x3000,
                                  0xFFFD, 0x0301, 0xFEFF, 0x2F00, 0x30FB, 0x110000};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        cr_assert(nd_is_cjk_token(yes[i]), "U+%04X should be a CJK token", (unsigned)yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        cr_assert(!nd_is_cjk_token(no[i]), "U+%04X should not be a CJK token", (unsigned)no[i]);
}
