/*
 * unitab.h - layout of the generated Unicode tables (private).
 *
 * The tables are written at build time by src/gen/gen_tables.c (from
 * utf8proc's Unicode data and OpenCC's Traditional->Simplified dictionaries)
 * into <build>/generated/nd_tables.c, which includes this header, so the
 * generator's output and src/text.c agree on one definition.
 *
 * Every table is a two-stage lookup covering U+0000..U+10FFFF:
 *
 *     stage1[cp >> 8]               -> block number b
 *     stage2[(b << 8) | (cp & 0xFF)] -> entry
 *
 * Identical 256-entry blocks are stored once.  Callers must pass a valid code
 * point (<= 0x10FFFF); the UTF-8 decoder never produces anything else.
 *
 * Property entries (one byte):
 *     bits 0-2  class (ND_UT_CLASS_*)
 *     bit  3    ND_UT_HAN   - a Han ideograph (for pinyin annotation detection)
 *     bit  4    ND_UT_SLOW  - may compose or reorder with the preceding code
 *                             point under canonical composition, so a
 *                             paragraph containing it needs whole-string
 *                             normalisation rather than the per-code-point
 *                             tables
 *     bits 5-6  display width 0..2 (utf8proc_charwidth)
 *
 * Mapping entries (32 bits, shared stage2 for all four mappings):
 *     0                  identity
 *     bit 31 clear       single code point: (cp + entry) & 0x7FFFFFFF
 *                        (a delta, so equally shifted blocks are shared)
 *     bit 31 set         expansion: length in bits 24-30, offset into
 *                        nd_ut_pool in bits 0-23
 */
#ifndef ND_UNITAB_H
#define ND_UNITAB_H

#include <stddef.h>
#include <stdint.h>

#define ND_UT_STAGE1_SIZE 0x1100u /* (0x10FFFF >> 8) + 1 */

enum {
    ND_UT_CLASS_DROP = 0,  /* controls, format chars, noncharacters: dropped
                              always, and they do not separate tokens */
    ND_UT_CLASS_WORD = 1,  /* letters, marks, numbers (and unassigned, private
                              use): runs of them form one token */
    ND_UT_CLASS_SPACE = 2, /* White_Space: separates tokens, never kept */
    ND_UT_CLASS_PUNCT = 3, /* punctuation and symbols */
    ND_UT_CLASS_CJK = 4    /* Han, kana, hangul: one token per character */
};

#define ND_UT_CLASS_MASK  0x07u
#define ND_UT_HAN         0x08u
#define ND_UT_SLOW        0x10u
#define ND_UT_WIDTH_SHIFT 5

#define ND_UT_EXPAND        0x80000000u
#define ND_UT_EXP_LEN(e)    (((e) >> 24) & 0x7Fu)
#define ND_UT_EXP_OFF(e)    ((e)&0xFFFFFFu)
/* Longest expansion in any mapping (U+FDFA has 18 code points under NFKC). */
#define ND_UT_MAX_EXPANSION 18u

/* The mappings, in nd_ut_map_stage1[] order. */
enum {
    ND_UT_MAP_NFKC_CF = 0, /* NFKC + case folding (STABLE|COMPOSE|COMPAT|CASEFOLD) */
    ND_UT_MAP_NFKC = 1,    /* NFKC only (STABLE|COMPOSE|COMPAT) */
    ND_UT_MAP_CF = 2,      /* NFC + case folding (STABLE|COMPOSE|CASEFOLD) */
    ND_UT_MAP_T2S = 3,     /* Traditional -> Simplified, single code points */
    ND_UT_MAP_COUNT = 4
};

extern const uint16_t nd_ut_prop_stage1[ND_UT_STAGE1_SIZE];
extern const uint8_t nd_ut_prop_stage2[];
extern const uint16_t nd_ut_map_stage1[ND_UT_MAP_COUNT][ND_UT_STAGE1_SIZE];
extern const uint32_t nd_ut_map_stage2[];
extern const uint32_t nd_ut_pool[];

/*
 * The fused table (for the default flag combination NFKC + case folding +
 * T2S, used by the single-pass tokeniser in text.c): one lookup gives what
 * ND_UT_MAP_NFKC_CF, then ND_UT_MAP_T2S, then the class of the result give
 * through three.  Entries (32 bits):
 *     ND_UT_F_SLOW set      the code point is ND_UT_SLOW (whole-paragraph
 *                           normalisation needed); nothing else is set
 *     ND_UT_F_EXPAND clear  one code point: (cp + (entry & 0x1FFFFF)) &
 *                           0x1FFFFF (a 21-bit delta, so equally shifted
 *                           blocks are shared), its class in bits 21-23
 *     ND_UT_F_EXPAND set    several: length in bits 16-20, offset into
 *                           nd_ut_fused_pool in bits 0-15; each pool entry is
 *                           a final code point (bits 0-20) and its class
 *                           (bits 21-23)
 *     ND_UT_F_PAREN         set (besides a one-code-point entry) on the two
 *                           opening parentheses U+0028 and U+FF08 that may
 *                           start a pinyin annotation
 * so bits 21-26 of an entry (ND_UT_F_KEY) are 0-4 exactly for a plain
 * single code point of class 0-4 that is not an opening parenthesis.
 */
#define ND_UT_F_CP_MASK     0x1FFFFFu
#define ND_UT_F_CLASS_SHIFT 21
#define ND_UT_F_SLOW        0x01000000u
#define ND_UT_F_EXPAND      0x02000000u
#define ND_UT_F_PAREN       0x04000000u
#define ND_UT_F_KEY(e)      (((e) >> ND_UT_F_CLASS_SHIFT) & 0x3Fu)
#define ND_UT_F_EXP_LEN(e)  (((e) >> 16) & 0x1Fu)
#define ND_UT_F_EXP_OFF(e)  ((e)&0xFFFFu)

extern const uint16_t nd_ut_fused_stage1[ND_UT_STAGE1_SIZE];
extern const uint32_t nd_ut_fused_stage2[];
extern const uint32_t nd_ut_fused_pool[];

/* The CJK Unified Ideographs U+4E00..U+9FFF: every one has a fused entry of
 * one code point of class CJK (the generator checks this), so text.c maps
 * them with no test of the entry.  (Smaller copies of the range - 16-bit
 * deltas, 42 KiB; or a bitmap of the T2S-mapped code points with ranks and
 * targets, 17 KiB - were tried instead of the 82 KiB of fused stage2 blocks:
 * no gain, and 10% slower for the bitmap.) */
#define ND_UT_CJK_LO 0x4E00u
#define ND_UT_CJK_HI 0xA000u
/* The range's blocks are the first of nd_ut_fused_stage2, in order (the
 * generator puts them there and checks it): the entry of U+4E00 + k is
 * nd_ut_fused_stage2[k], one load instead of two.  cp must be in
 * [ND_UT_CJK_LO, ND_UT_CJK_HI). */
static inline uint32_t nd_ut_fused_cjk(uint32_t cp) {
    return nd_ut_fused_stage2[cp - ND_UT_CJK_LO];
}

static inline uint32_t nd_ut_fused(uint32_t cp) {
    return nd_ut_fused_stage2[((size_t)nd_ut_fused_stage1[cp >> 8] << 8) | (cp & 0xFFu)];
}

/* Bytes of all generated tables together (for the record, and for tests). */
extern const size_t nd_ut_table_bytes;
/* Number of Traditional -> Simplified mappings in ND_UT_MAP_T2S. */
extern const size_t nd_ut_t2s_count;

static inline unsigned nd_ut_prop(uint32_t cp) {
    return nd_ut_prop_stage2[((size_t)nd_ut_prop_stage1[cp >> 8] << 8) | (cp & 0xFFu)];
}

static inline uint32_t nd_ut_map_entry(unsigned map, uint32_t cp) {
    return nd_ut_map_stage2[((size_t)nd_ut_map_stage1[map][cp >> 8] << 8) | (cp & 0xFFu)];
}

/* Applies a single-code-point entry (bit 31 clear) to cp. */
static inline uint32_t nd_ut_apply(uint32_t cp, uint32_t entry) {
    return (cp + entry) & 0x7FFFFFFFu;
}

#endif /* ND_UNITAB_H */
