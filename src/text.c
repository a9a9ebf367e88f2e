/*
 * text.c - UTF-8 decoding, normalisation and tokenisation.
 *
 * Why normalise at all
 * --------------------
 * Near-duplicate paragraphs in Chinese corpora differ in ways that carry no
 * meaning: the same report is published in Simplified and in Traditional
 * script (or a mixture of both), with full-width or half-width digits and
 * Latin letters, in different letter case, with pinyin annotations such as
 * 態(tài) pasted after characters, with byte-order marks and zero-width
 * characters, and with mojibake where part of a character was lost.  All of
 * these are folded away here, so that the shingles built from the tokens
 * compare what a reader would call "the same text".
 *
 * The steps, in order (each except decoding can be switched off by its
 * ND_NORM_* flag; see text.h):
 *
 *   1. Decode UTF-8.  Every maximal subpart of an ill-formed sequence becomes
 *      one U+FFFD, the practice recommended by the Unicode Standard (chapter
 *      3, "U+FFFD Substitution of Maximal Subparts", and W3C/WHATWG
 *      Encoding): a lead byte followed by a valid-but-truncated prefix gives
 *      one U+FFFD for the whole prefix (E6 97 <end> -> 1), whereas a byte that
 *      can never start a well-formed sequence, or a lead byte whose second
 *      byte is out of its range (overlongs C0 AF / E0 80 AF, surrogates
 *      ED A0 80, values above U+10FFFF F4 90 80 80), gives one U+FFFD per
 *      byte.  The decoder is branch-driven with an ASCII fast path.
 *
 *   2. Remove pinyin annotations: "(" or "（", one lower-case pinyin
 *      syllable (tone marks precomposed or combining, or a trailing tone
 *      digit 1-5), ")" or "）".  This runs before NFKC because the
 *      annotation's shape (full-width parentheses, combining tone marks) is
 *      still visible, and because removing them must not depend on the
 *      other flags.  It is removed when it directly follows a Han character,
 *      or, carrying exactly one tone mark, when it directly follows any
 *      non-space character (mojibake such as 偨Y(jié) garbled the character
 *      before the annotation).  The syllable must be structurally valid
 *      (initial + final from small lists with an allowed-initials mask per
 *      final), so (二), (pm2.5), (2013-2018), function(x) and
 *      "China (Beijing)" stay.  An untoned one-letter syllable such as (a) is
 *      kept even after Han: it is far more often an enumeration.
 *
 *   3. NFKC and case folding (UAX #15; Unicode chapter 5.18 "Case Mappings",
 *      full case folding).  utf8proc is the reference: NFKC+casefold is
 *      utf8proc with STABLE|COMPOSE|COMPAT|CASEFOLD, NFKC alone drops
 *      CASEFOLD, case folding alone drops COMPAT (so it is NFC + casefold).
 *      Calling utf8proc per paragraph is slow, so the generator applied it to
 *      every code point alone and stored the results.  Concatenating the
 *      per-code-point results equals normalising the string as long as no
 *      code point can reorder or compose with what precedes it; the
 *      generator marks those code points "slow" (nonzero combining class,
 *      hangul V/T jamo, any non-initial code point of a canonical
 *      decomposition, and anything whose mapping starts with one of those).
 *      A paragraph containing a slow code point is normalised as a whole by
 *      one utf8proc_decompose + utf8proc_normalize_utf32 call (the two halves
 *      of utf8proc_map, but into our own scratch, so nothing is allocated).
 *      Chinese text essentially never takes the slow path.
 *
 *   4. Traditional -> Simplified, one code point at a time, from a table the
 *      generator derived from OpenCC (t2s.json, i.e. TSCharacters and the
 *      single-character TSPhrases entries), keeping only one-to-one
 *      mappings: 態->态, 們->们.
 *      Phrase-level conversion is deliberately not done: it is context
 *      dependent, slow, and near-duplicate detection only needs both scripts
 *      to land on the same code point.  It runs after NFKC so that CJK
 *      compatibility ideographs are first unified.
 *
 *   5. Removal of characters.  Controls (other than white space), format
 *      characters (BOM/U+FEFF, ZWSP, soft hyphen, bidi marks), surrogates
 *      and noncharacters are always dropped and do NOT separate tokens (they
 *      are invisible, so "ab<ZWSP>c" is the word "abc").  White space is
 *      never kept and always separates tokens.  With ND_NORM_STRIP,
 *      punctuation and symbols (P*, S*, including U+FFFD) are dropped too and
 *      separate tokens; without it each is kept as a one-character token.
 *
 *   6. Tokenisation: each Han, kana or hangul character (class CJK) is one
 *      token; a maximal run of other letters, marks and numbers is one token.
 *      Token values: a one-code-point token is the code point; a longer token
 *      is a 64-bit hash of its UTF-8 bytes with bit 63 set (so it can never
 *      equal a code point): up to 16 bytes one 64 x 64 -> 128-bit multiply
 *      of the zero-padded bytes and a finaliser (nd_token_hash16, defined in
 *      text.h), beyond that XXH3_64bits.  The short case replaced XXH3's
 *      (1-3, 4-8 and 9-16 bytes, each its own code) because English word
 *      lengths make those branches unpredictable: the ASCII tokeniser was
 *      25% faster on the English bench corpora.  The normalised character count is the number of
 *      code points in all tokens.
 *
 * Table layout (src/unitab.h): two-stage tables, stage1[cp >> 8] selecting a
 * 256-entry stage2 block, identical blocks shared; one byte of properties
 * per code point and 32-bit mapping entries (delta, or offset+length into an
 * expansion pool).  They are generated at build time by src/gen/gen_tables.c
 * from utf8proc's Unicode data and OpenCC's dictionaries, so the library
 * needs no data files at run time and the hot loops do one or two array
 * lookups per code point and no library call.
 *
 * The single-pass tokeniser.  For the default flags (and whenever NFKC,
 * case folding and T2S are all on), nd_norm_tokens does steps 1-6 in ONE
 * pass over the bytes instead of four passes over code point arrays:
 *   - decoding is inline for 1-, 2- and 3-byte sequences (4 bytes loaded
 *     at once), nd_utf8_next for everything else;
 *   - pinyin removal is only looked at on '(' and U+FF08: the annotation is
 *     decoded on demand (nd_py_match_bytes, stopping at the first code point
 *     that cannot belong to one) and judged by the same rules as nd_py_match
 *     (nd_py_feed, nd_py_judge);
 *   - one lookup in the generated fused table (unitab.h) gives what
 *     NFKC+casefold, T2S and the class lookup give in three, with its own
 *     pool for multi-code-point results; U+4E00..U+9FFF skip even the test
 *     of the entry (all of them are one CJK code point) and the first stage;
 *   - tokens are written directly: Han as their code point, word runs
 *     encoded to UTF-8 on the fly and hashed when the run ends;
 *   - ASCII never reaches the per-code-point step: nd_fp_ascii takes every
 *     ASCII byte from where it starts to the next byte >= 0x80 (for English
 *     prose, the whole paragraph).  Runs of letters and digits are
 *     classified and folded 8 bytes a step with 64-bit arithmetic
 *     (nd_fa_word; NFKC, case folding and T2S change nothing in ASCII but
 *     A-Z -> a-z) and copied straight into the word buffer, with no decode
 *     or encode; separators come from a 256-byte table (nd_fa_tab) in the
 *     same loop, which hashes the word token when its run ends
 *     (nd_token_hash);
 *   - everything that needs no more than one table entry of one code point
 *     (Han, punctuation, spaces, annotations) stays in one inner loop,
 *     nd_fp_plain; see the notes before it for what was measured.
 * A code point marked slow (combining marks etc.) makes it give up and the
 * paragraph goes through the general path, which remains the reference for
 * every flag combination.  tests/test_fastpath.c checks that both paths give
 * identical tokens and character counts on the bundled corpus, the golden
 * inputs, every code point alone, in brackets after a Han character and
 * inside the inner loop, annotations in every position, and random and
 * hostile byte strings.  Measured on the 100 MB benchmark corpus,
 * one thread (CPU seconds of a whole scan, loaded machine): 1.85 s -> 1.16 s
 * with the fused pass, ~1.0 s once the CJK range skipped the entry test and
 * ran in its own tight loop; the normaliser went from ~28% to ~21% of a
 * scan that is itself twice as fast (bench/README.md, round 2).  Smaller copies of
 * the CJK range's mapping were tried (unitab.h) and did not help.  Round 3
 * (the inner loop, the pinyin matcher): the normaliser alone 188 -> 119 ms
 * per 100 MB; in a perf profile of a one-thread bench run its functions went
 * from 27.8% of the samples (nd_norm_tokens 21.9%) to 20.4%, and the
 * "normalise+shingle+MinHash" stage from 0.56 to 0.49 s.
 * English (the ASCII loop), measured by instruction counts (callgrind,
 * whole `neardup scan --threads 1`, the first 120 documents of each
 * 100 MB benchmark corpus, generator seed 42): one paragraph per line
 * (5.4 MB) 1071 M -> 554 M instructions for the whole scan, nd_norm_tokens
 * with what it calls 658 M -> 141 M (122 -> 26 per byte); wrapped prose
 * (7.5 MB) 1441 M -> 743 M, nd_norm_tokens 879 M -> 181 M (117 -> 24 per
 * byte); Chinese (6.4 MB) 315.5 M -> 314.5 M, nd_norm_tokens 105.5 M ->
 * 104.6 M.  Of the 141 M, XXH3 is 29 M (about 28 per word), the 8-byte
 * steps ~45 M, the separator logic most of the rest.  A paragraph that
 * starts with ASCII goes to the ASCII loop without entering nd_fp_plain
 * first (-5% on the lines corpus).  Finishing the last 0-7 bytes
 * of a word with one more 8-byte step (loading the 8 bytes that end the
 * paragraph) cost 5% more instructions than the byte loop, so the byte
 * loop stays.
 *
 * Memory: an nd_norm owns four growable scratch arrays (nd_grow); once they
 * have reached the size of the largest paragraph seen, normalising allocates
 * nothing.  (The word buffer is grown to the paragraph's length + 8 when
 * the ASCII loop is entered, as the loop writes 8 bytes at a time.)
 *
 * References: Unicode Standard ch. 3.9 (U+FFFD substitution), UAX #15
 * (normalisation forms), UTS #18 (properties for tokenisation: White_Space,
 * general categories), OpenCC (https://github.com/BYVoid/OpenCC).
 */
#include "text.h"

#include <string.h>

#include <utf8proc.h>
/* inlined (static copies of the functions): a word token is hashed by a few
 * dozen instructions, the call through the PLT and XXH3_64bits' length
 * dispatch were a measurable part of it */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "nd_internal.h"
#include "unitab.h"

/* The AVX2 ASCII block loop (nd_fa_blocks) is built for x86-64 GCC/Clang
 * and taken where the CPU has AVX2, BMI1 and BMI2 (nd_norm_init asks). */
#if defined(__x86_64__) && defined(__GNUC__)
#define ND_FA_BLOCKS 1
#include <immintrin.h>
#else
#define ND_FA_BLOCKS 0
#endif

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                     */
/* ------------------------------------------------------------------------ */

size_t nd_utf8_decode(const uint8_t *s, size_t n, uint32_t *out) {
    size_t i = 0, k = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            out[k++] = s[i++];
            continue;
        }
        size_t adv;
        uint32_t cp = nd_utf8_next(s + i, n - i, &adv);
        out[k++] = cp == ND_UTF8_INVALID ? ND_REPLACEMENT_CHAR : cp;
        i += adv;
    }
    return k;
}

size_t nd_utf8_encode(uint32_t cp, uint8_t *out) {
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

int nd_char_width(uint32_t cp) {
    if (cp > 0x10FFFF) return 1;
    return (int)((nd_ut_prop(cp) >> ND_UT_WIDTH_SHIFT) & 3u);
}

int nd_is_cjk_token(uint32_t cp) {
    if (cp > 0x10FFFF) return 0;
    return (nd_ut_prop(cp) & ND_UT_CLASS_MASK) == ND_UT_CLASS_CJK;
}

/* ------------------------------------------------------------------------ */
/* Pinyin annotations                                                        */
/* ------------------------------------------------------------------------ */

/* Groups of initials; each final lists the groups it may follow. */
enum {
    PY_NONE = 1 << 0, /* zero initial */
    PY_LAB = 1 << 1,  /* b p m f */
    PY_DT = 1 << 2,   /* d t */
    PY_NL = 1 << 3,   /* n l */
    PY_GKH = 1 << 4,  /* g k h */
    PY_JQX = 1 << 5,  /* j q x */
    PY_RET = 1 << 6,  /* zh ch sh r */
    PY_DEN = 1 << 7,  /* z c s */
    PY_Y = 1 << 8,
    PY_W = 1 << 9,
    PY_COMMON = PY_LAB | PY_DT | PY_NL | PY_GKH | PY_RET | PY_DEN
};

/* Four letters as a number, the first lowest (see nd_py_key). */
#define ND_PY4(a, b, c, d)                                                                         \
    ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

/* The finals ('v' stands for ü) by their letters packed as ND_PY4: the
 * groups of initials each may follow; 0 for no final.  (A switch, which GCC
 * makes a tree of a few comparisons: scanning a table of the 34 finals, with
 * strcmp or comparing ND_PY4 numbers, was 5% of the whole normaliser.) */
static unsigned nd_py_final(uint32_t f) {
    switch (f) {
    case ND_PY4('a', 0, 0, 0): return PY_NONE | PY_COMMON | PY_Y | PY_W;                   /* a */
    case ND_PY4('o', 0, 0, 0): return PY_NONE | PY_LAB | PY_NL | PY_Y | PY_W;              /* o */
    case ND_PY4('e', 0, 0, 0): return PY_NONE | PY_COMMON | PY_Y;                          /* e */
    case ND_PY4('a', 'i', 0, 0): return PY_NONE | PY_COMMON | PY_W;                        /* ai */
    case ND_PY4('e', 'i', 0, 0): return PY_NONE | PY_COMMON | PY_W;                        /* ei */
    case ND_PY4('a', 'o', 0, 0): return PY_NONE | PY_COMMON | PY_Y;                        /* ao */
    case ND_PY4('o', 'u', 0, 0): return PY_NONE | PY_COMMON | PY_Y;                        /* ou */
    case ND_PY4('a', 'n', 0, 0): return PY_NONE | PY_COMMON | PY_Y | PY_W;                 /* an */
    case ND_PY4('e', 'n', 0, 0): return PY_NONE | PY_COMMON | PY_W;                        /* en */
    case ND_PY4('a', 'n', 'g', 0): return PY_NONE | PY_COMMON | PY_Y | PY_W;               /* ang */
    case ND_PY4('e', 'n', 'g', 0): return PY_NONE | PY_COMMON | PY_W;                      /* eng */
    case ND_PY4('o', 'n', 'g', 0): return PY_DT | PY_NL | PY_GKH | PY_RET | PY_DEN | PY_Y; /* ong */
    case ND_PY4('e', 'r', 0, 0): return PY_NONE;                                           /* er */
    case ND_PY4('i', 0, 0, 0):
        return PY_LAB | PY_DT | PY_NL | PY_JQX | PY_RET | PY_DEN | PY_Y;          /* i */
    case ND_PY4('i', 'a', 0, 0): return PY_DT | PY_NL | PY_JQX;                   /* ia */
    case ND_PY4('i', 'e', 0, 0): return PY_LAB | PY_DT | PY_NL | PY_JQX;          /* ie */
    case ND_PY4('i', 'a', 'o', 0): return PY_LAB | PY_DT | PY_NL | PY_JQX;        /* iao */
    case ND_PY4('i', 'u', 0, 0): return PY_LAB | PY_DT | PY_NL | PY_JQX;          /* iu */
    case ND_PY4('i', 'a', 'n', 0): return PY_LAB | PY_DT | PY_NL | PY_JQX;        /* ian */
    case ND_PY4('i', 'n', 0, 0): return PY_LAB | PY_NL | PY_JQX | PY_Y;           /* in */
    case ND_PY4('i', 'a', 'n', 'g'): return PY_NL | PY_JQX;                       /* iang */
    case ND_PY4('i', 'n', 'g', 0): return PY_LAB | PY_DT | PY_NL | PY_JQX | PY_Y; /* ing */
    case ND_PY4('i', 'o', 'n', 'g'): return PY_JQX;                               /* iong */
    case ND_PY4('u', 0, 0, 0): return PY_COMMON | PY_JQX | PY_Y | PY_W;           /* u */
    case ND_PY4('u', 'a', 0, 0): return PY_GKH | PY_RET;                          /* ua */
    case ND_PY4('u', 'o', 0, 0): return PY_DT | PY_NL | PY_GKH | PY_RET | PY_DEN; /* uo */
    case ND_PY4('u', 'a', 'i', 0): return PY_GKH | PY_RET;                        /* uai */
    case ND_PY4('u', 'i', 0, 0): return PY_DT | PY_GKH | PY_RET | PY_DEN;         /* ui */
    case ND_PY4('u', 'a', 'n', 0):
        return PY_DT | PY_NL | PY_GKH | PY_RET | PY_DEN | PY_JQX | PY_Y; /* uan */
    case ND_PY4('u', 'n', 0, 0):
        return PY_DT | PY_NL | PY_GKH | PY_RET | PY_DEN | PY_JQX | PY_Y; /* un */
    case ND_PY4('u', 'a', 'n', 'g'): return PY_GKH | PY_RET;             /* uang */
    case ND_PY4('u', 'e', 0, 0): return PY_NL | PY_JQX | PY_Y;           /* ue */
    case ND_PY4('v', 0, 0, 0): return PY_NL;                             /* v */
    case ND_PY4('v', 'e', 0, 0): return PY_NL;                           /* ve */
    default: return 0;
    }
}

/* Syllables without a vowel (interjections). */
static const char nd_py_special[][4] = {"m", "n", "ng", "hm", "hng"};

/* The group of the initial at the start of s, and its length. */
static unsigned nd_py_initial(const char *s, size_t *len) {
    if ((s[0] == 'z' || s[0] == 'c' || s[0] == 's') && s[1] == 'h') {
        *len = 2;
        return PY_RET;
    }
    *len = 1;
    switch (s[0]) {
    case 'b':
    case 'p':
    case 'm':
    case 'f': return PY_LAB;
    case 'd':
    case 't': return PY_DT;
    case 'n':
    case 'l': return PY_NL;
    case 'g':
    case 'k':
    case 'h': return PY_GKH;
    case 'j':
    case 'q':
    case 'x': return PY_JQX;
    case 'r': return PY_RET;
    case 'z':
    case 'c':
    case 's': return PY_DEN;
    case 'y': return PY_Y;
    case 'w': return PY_W;
    default: break;
    }
    *len = 0;
    return PY_NONE;
}

/* The letters s[0..3] as a number, s[0] lowest (one load on most hosts). */
static inline uint32_t nd_py_key(const char *s) {
    return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 | (uint32_t)(uint8_t)s[2] << 16 |
           (uint32_t)(uint8_t)s[3] << 24;
}

/* Is the syllable of nl letters (1-6, 'v' = ü) packed in s, letter k in
 * bits 8k..8k+7, structurally valid: an initial and a final that may follow
 * it, or a special syllable? */
static int nd_py_valid(uint64_t s, unsigned nl) {
    char head[2] = {(char)(s & 0xFFu), (char)(s >> 8 & 0xFFu)};
    size_t ilen;
    unsigned group = nd_py_initial(head, &ilen);
    uint64_t fin = s >> (8 * ilen);
    if (!(fin >> 32) && (nd_py_final((uint32_t)fin) & group)) return 1;
    if (nl <= 3) { /* the special syllables, rarer, have at most 3 letters */
        for (size_t i = 0; i < sizeof nd_py_special / sizeof *nd_py_special; i++)
            if (s == nd_py_key(nd_py_special[i])) return 1;
    }
    return 0;
}

/* The precomposed pinyin letters of U+00E0..U+01FF: the base letter ('v' for
 * ü), | ND_PY_TONED when it carries a tone mark; 0 for anything else. */
#define ND_PY_TONED 0x80u
#define ND_PY_T(cp, base, toned)                                                                   \
    [(cp)-0xE0] = (unsigned char)((base) | ((toned) ? ND_PY_TONED : 0u))
static const unsigned char nd_py_latin[0x200 - 0xE0] = {
    ND_PY_T(0x0101, 'a', 1), ND_PY_T(0x00E1, 'a', 1), ND_PY_T(0x01CE, 'a', 1),
    ND_PY_T(0x00E0, 'a', 1), ND_PY_T(0x0113, 'e', 1), ND_PY_T(0x00E9, 'e', 1),
    ND_PY_T(0x011B, 'e', 1), ND_PY_T(0x00E8, 'e', 1), ND_PY_T(0x012B, 'i', 1),
    ND_PY_T(0x00ED, 'i', 1), ND_PY_T(0x01D0, 'i', 1), ND_PY_T(0x00EC, 'i', 1),
    ND_PY_T(0x014D, 'o', 1), ND_PY_T(0x00F3, 'o', 1), ND_PY_T(0x01D2, 'o', 1),
    ND_PY_T(0x00F2, 'o', 1), ND_PY_T(0x016B, 'u', 1), ND_PY_T(0x00FA, 'u', 1),
    ND_PY_T(0x01D4, 'u', 1), ND_PY_T(0x00F9, 'u', 1), ND_PY_T(0x01D6, 'v', 1),
    ND_PY_T(0x01D8, 'v', 1), ND_PY_T(0x01DA, 'v', 1), ND_PY_T(0x01DC, 'v', 1),
    ND_PY_T(0x0144, 'n', 1), ND_PY_T(0x0148, 'n', 1), ND_PY_T(0x01F9, 'n', 1),
    ND_PY_T(0x00FC, 'v', 0), /* ü without tone */
    ND_PY_T(0x00EA, 'e', 0), /* ê */
};
#undef ND_PY_T

/* Maps a pinyin letter (a-z or precomposed) to its base letter ('v' for ü)
 * and adds its tone mark to *tones; returns 0 for anything that is not one. */
static inline char nd_py_letter(uint32_t cp, unsigned *tones) {
    if (cp >= 'a' && cp <= 'z') return (char)cp;
    if (cp - 0xE0u < sizeof nd_py_latin) {
        unsigned v = nd_py_latin[cp - 0xE0u];
        *tones += v >> 7;
        return (char)(v & 0x7Fu);
    }
    if (cp == 0x1E3F) { /* ḿ */
        (*tones)++;
        return 'm';
    }
    return 0;
}

static int nd_is_open_paren(uint32_t cp) { return cp == '(' || cp == 0xFF08; }
static int nd_is_close_paren(uint32_t cp) { return cp == ')' || cp == 0xFF09; }

/* What has been read of a possible annotation after its opening
 * parenthesis.  Both matchers (nd_py_match over code points, nd_py_match_bytes
 * over UTF-8) feed it the same code points and judge it the same way. */
typedef struct nd_py_state {
    uint64_t letters; /* letter k in bits 8k..8k+7 */
    unsigned nl, tones, digit;
} nd_py_state;

/* Takes the next code point c (not a closing parenthesis); returns 0 as soon
 * as no annotation can result whatever follows. */
static inline int nd_py_feed(nd_py_state *st, uint32_t c) {
    if (st->digit) return 0; /* nothing but ")" after the tone digit */
    /* full-width letters and digits are read as the ASCII ones they fold
     * to: "监（ｊｉāｎ）督" is annotated like "监(jiān)督" */
    if (c - 0xFF41u <= 0xFF5Au - 0xFF41u)
        c = c - 0xFF41u + 'a';
    else if (c - 0xFF10u <= 0xFF19u - 0xFF10u)
        c = c - 0xFF10u + '0';
    char l;
    if (c >= 'a' && c <= 'z') {
        l = (char)c;
    } else if (c >= '1' && c <= '5' && st->nl > 0) {
        st->digit = 1;
        return 1;
    } else if (c == 0x0300 || c == 0x0301 || c == 0x0304 || c == 0x030C) {
        if (st->nl == 0) return 0;
        return ++st->tones <= 1; /* more than one can never be an annotation */
    } else if (c == 0x0308) {    /* u + diaeresis = ü */
        if (st->nl == 0 || (st->letters >> (8 * (st->nl - 1)) & 0xFFu) != 'u') return 0;
        st->letters += (uint64_t)('v' - 'u') << (8 * (st->nl - 1));
        return 1;
    } else {
        l = nd_py_letter(c, &st->tones);
        if (!l || st->tones > 1) return 0;
    }
    if (st->nl == 6) return 0;
    st->letters |= (uint64_t)(uint8_t)l << (8 * st->nl++);
    return 1;
}

/* After the closing parenthesis: is it a removable annotation after the code
 * point prev? */
static int nd_py_judge(const nd_py_state *st, uint32_t prev) {
    if (st->nl == 0 || st->tones > 1) return 0;
    if (st->tones == 0 && !st->digit && st->nl == 1) return 0;
    if (!nd_py_valid(st->letters, st->nl)) return 0;
    unsigned p = nd_ut_prop(prev);
    if (!(p & ND_UT_HAN)) {
        if (st->tones != 1 || (p & ND_UT_CLASS_MASK) == ND_UT_CLASS_SPACE) return 0;
    }
    return 1;
}

/* If cps[i] (an opening parenthesis) starts a removable annotation after the
 * code point prev, returns the index just past its closing parenthesis;
 * otherwise returns i. */
static size_t nd_py_match(const uint32_t *cps, size_t n, size_t i, uint32_t prev) {
    nd_py_state st;
    memset(&st, 0, sizeof st);
    size_t j = i + 1;
    for (; j < n && !nd_is_close_paren(cps[j]); j++)
        if (!nd_py_feed(&st, cps[j])) return i;
    if (j >= n || !nd_py_judge(&st, prev)) return i;
    return j + 1;
}

/* Removes pinyin annotations from cps[0..n-1] in place; returns the new
 * length. */
static size_t nd_py_remove(uint32_t *cps, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        if (w > 0 && nd_is_open_paren(cps[i])) {
            size_t end = nd_py_match(cps, n, i, cps[w - 1]);
            if (end != i) {
                i = end;
                continue;
            }
        }
        cps[w++] = cps[i++];
    }
    return w;
}

/* ------------------------------------------------------------------------ */
/* Normalisation                                                             */
/* ------------------------------------------------------------------------ */

void nd_norm_init(nd_norm *nm, unsigned flags) {
    memset(nm, 0, sizeof *nm);
    nm->flags = flags;
#if ND_FA_BLOCKS
    nm->simd = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
               __builtin_cpu_supports("bmi2");
#endif
}

void nd_norm_release(nd_norm *nm) {
    if (!nm) return;
    free(nm->cps);
    free(nm->out);
    free(nm->tokens);
    free(nm->utf8);
    free(nm->span);
    int simd = nm->simd;
    nd_norm_init(nm, nm->flags);
    nm->simd = simd;
}

/* Maps nm->cps[0..n-1] into nm->out with table `map`.  Returns ND_OK with
 * *slow = 0 and *outn set, or *slow = 1 (nm->out undefined) as soon as a
 * code point that needs whole-string normalisation is seen. */
static nd_status nd_norm_fast(nd_norm *nm, size_t n, unsigned map, size_t *outn, int *slow) {
    ND_TRY(ND_GROW(nm->out, nm->out_cap, n));
    const uint32_t *in = nm->cps;
    size_t w = 0;
    *slow = 0;
    /* Invariant at the top of the loop: out_cap >= w + (n - i). */
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = in[i];
        if (nd_ut_prop(cp) & ND_UT_SLOW) {
            *slow = 1;
            return ND_OK;
        }
        uint32_t e = nd_ut_map_entry(map, cp);
        if (!(e & ND_UT_EXPAND)) {
            nm->out[w++] = nd_ut_apply(cp, e);
            continue;
        }
        size_t len = ND_UT_EXP_LEN(e);
        ND_TRY(ND_GROW(nm->out, nm->out_cap, w + len + (n - i - 1)));
        memcpy(nm->out + w, nd_ut_pool + ND_UT_EXP_OFF(e), len * sizeof *nm->out);
        w += len;
    }
    *outn = w;
    return ND_OK;
}

/* Normalises nm->cps[0..n-1] into nm->out as a whole with utf8proc. */
static nd_status nd_norm_slow(nd_norm *nm, size_t n, utf8proc_option_t opts, size_t *outn) {
    if (n > (SIZE_MAX - 1) / 4) return ND_ERR_NOMEM;
    ND_TRY(ND_GROW(nm->utf8, nm->utf8_cap, 4 * n + 1));
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += nd_utf8_encode(nm->cps[i], (uint8_t *)nm->utf8 + len);
    ND_TRY(ND_GROW(nm->out, nm->out_cap, n));
    utf8proc_ssize_t r;
    for (;;) {
        /* uint32_t and int32_t may alias each other (C11 6.5p7). */
        r = utf8proc_decompose((const utf8proc_uint8_t *)nm->utf8, (utf8proc_ssize_t)len,
                               (utf8proc_int32_t *)nm->out, (utf8proc_ssize_t)nm->out_cap, opts);
        if (r < 0)
            return r == UTF8PROC_ERROR_NOMEM || r == UTF8PROC_ERROR_OVERFLOW ? ND_ERR_NOMEM
                                                                             : ND_ERR_INTERNAL;
        if ((size_t)r <= nm->out_cap) break;
        ND_TRY(ND_GROW(nm->out, nm->out_cap, (size_t)r));
    }
    r = utf8proc_normalize_utf32((utf8proc_int32_t *)nm->out, r, opts);
    if (r < 0) return ND_ERR_INTERNAL;
    *outn = (size_t)r;
    return ND_OK;
}

/* The 128-bit product of a and b, its halves xor-ed. */
static inline uint64_t nd_mul_fold64(uint64_t a, uint64_t b) {
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128; /* GCC, Clang: one mul */
    u128 p = (u128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
#else
    uint64_t al = a & 0xFFFFFFFFu, ah = a >> 32, bl = b & 0xFFFFFFFFu, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    uint64_t lo = (ll & 0xFFFFFFFFu) | mid << 32;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

/* Constants of the short-token hash (text.h): odd 64-bit numbers from
 * splitmix64. */
#define ND_TH_K1 UINT64_C(0x9E3779B97F4A7C15)
#define ND_TH_K2 UINT64_C(0xC2B2AE3D27D4EB4F)
#define ND_TH_K3 UINT64_C(0xBF58476D1CE4E5B9)

/* The short-token hash of text.h, from the token's bytes as two
 * little-endian words, zero past the token. */
static inline uint64_t nd_token_hash16(uint64_t lo, uint64_t hi, size_t len) {
    uint64_t h = nd_mul_fold64(lo ^ ND_TH_K1, hi ^ ND_TH_K2 ^ (uint64_t)len);
    h ^= h >> 29;
    h *= ND_TH_K3;
    h ^= h >> 32;
    return h | UINT64_C(1) << 63;
}

/* The value of a token of two or more code points, bytes b[0..len-1]
 * (text.h): nd_token_hash16 up to 16 bytes, XXH3_64bits beyond, bit 63 set
 * either way. */
static inline uint64_t nd_token_hash(const void *b, size_t len) {
    if (len <= 16) {
        uint8_t w[16] = {0};
        memcpy(w, b, len);
        return nd_token_hash16(nd_load_le64(w), nd_load_le64(w + 8), len);
    }
    return (uint64_t)XXH3_64bits(b, len) | (UINT64_C(1) << 63);
}

/* Token value of cps[0..len-1] (len >= 1), per text.h. */
static nd_status nd_token_value(nd_norm *nm, const uint32_t *cps, size_t len, uint64_t *value) {
    if (len == 1) {
        *value = cps[0];
        return ND_OK;
    }
    if (len > SIZE_MAX / 4) return ND_ERR_NOMEM;
    ND_TRY(ND_GROW(nm->utf8, nm->utf8_cap, 4 * len));
    size_t b = 0;
    for (size_t i = 0; i < len; i++) b += nd_utf8_encode(cps[i], (uint8_t *)nm->utf8 + b);
    *value = nd_token_hash(nm->utf8, b);
    return ND_OK;
}

/*
 * Steps 4-6 over src[0..n-1], writing kept code points to nm->out (src may
 * be nm->out itself: the write position never passes the read position) and,
 * if want_tokens, the tokens to nm->tokens.
 */
static nd_status nd_norm_finish(nd_norm *nm, const uint32_t *src, size_t n, int want_tokens,
                                size_t *nchars, size_t *ntokens) {
    /* When src is nm->out, n <= out_cap already, so this cannot move src. */
    ND_TRY(ND_GROW(nm->out, nm->out_cap, n));
    if (want_tokens) ND_TRY(ND_GROW(nm->tokens, nm->tokens_cap, n));
    uint32_t *dst = nm->out;
    const int t2s = (nm->flags & ND_NORM_T2S) != 0;
    const int strip = (nm->flags & ND_NORM_STRIP) != 0;
    size_t w = 0, nt = 0, run = 0;
    int in_run = 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned cls;
        uint32_t cp = 0;
        if (i < n) {
            cp = src[i];
            if (t2s) cp = nd_ut_apply(cp, nd_ut_map_entry(ND_UT_MAP_T2S, cp));
            cls = nd_ut_prop(cp) & ND_UT_CLASS_MASK;
            if (cls == ND_UT_CLASS_DROP) continue;
            if (cls == ND_UT_CLASS_WORD) {
                if (!in_run) {
                    run = w;
                    in_run = 1;
                }
                dst[w++] = cp;
                continue;
            }
        } else {
            cls = ND_UT_CLASS_SPACE; /* end of text ends the last run */
        }
        /* Anything else ends a word run. */
        if (in_run) {
            if (want_tokens) ND_TRY(nd_token_value(nm, dst + run, w - run, &nm->tokens[nt++]));
            in_run = 0;
        }
        if (cls == ND_UT_CLASS_SPACE || (cls == ND_UT_CLASS_PUNCT && strip)) continue;
        dst[w++] = cp;
        if (want_tokens) nm->tokens[nt++] = cp;
    }
    *nchars = w;
    if (ntokens) *ntokens = nt;
    return ND_OK;
}

/* Steps 1-6 (tokens only if want_tokens). */
static nd_status nd_norm_run(nd_norm *nm, const uint8_t *s, size_t n, int want_tokens,
                             size_t *nchars, size_t *ntokens) {
    *nchars = 0;
    if (ntokens) *ntokens = 0;
    if (n == 0) return ND_OK;
    ND_TRY(ND_GROW(nm->cps, nm->cps_cap, n));
    size_t m = nd_utf8_decode(s, n, nm->cps);
    if (nm->flags & ND_NORM_PINYIN) m = nd_py_remove(nm->cps, m);

    const unsigned nfkc = nm->flags & ND_NORM_NFKC, cf = nm->flags & ND_NORM_CASEFOLD;
    if (!nfkc && !cf) return nd_norm_finish(nm, nm->cps, m, want_tokens, nchars, ntokens);

    unsigned map = nfkc && cf ? ND_UT_MAP_NFKC_CF : nfkc ? ND_UT_MAP_NFKC : ND_UT_MAP_CF;
    size_t k = 0;
    int slow = 0;
    ND_TRY(nd_norm_fast(nm, m, map, &k, &slow));
    if (slow) {
        utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
        if (nfkc) opts |= UTF8PROC_COMPAT;
        if (cf) opts |= UTF8PROC_CASEFOLD;
        ND_TRY(nd_norm_slow(nm, m, opts, &k));
    }
    return nd_norm_finish(nm, nm->out, k, want_tokens, nchars, ntokens);
}

nd_status nd_norm_chars(nd_norm *nm, const uint8_t *s, size_t n, const uint32_t **cps,
                        size_t *count) {
    size_t nc;
    ND_TRY(nd_norm_run(nm, s, n, 0, &nc, NULL));
    *cps = nm->out;
    *count = nc;
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* The single-pass tokeniser (default flags)                                 */
/* ------------------------------------------------------------------------ */

/* The opening parenthesis at s[0..open-1] (open bytes) follows the code
 * point prev: returns the bytes of s[0..n-1] a removable annotation starting
 * there covers, or 0 when there is none.  It decodes only as far as
 * nd_py_feed accepts code points (at most 6 letters, one diaeresis, one tone
 * mark, one digit: a handful), and decides exactly as nd_py_match over the
 * decoded text would. */
static size_t nd_py_match_bytes(const uint8_t *s, size_t n, size_t open, uint32_t prev) {
    nd_py_state st;
    memset(&st, 0, sizeof st);
    size_t j = open;
    for (;;) {
        if (j >= n) return 0;
        uint32_t c = s[j];
        size_t adv = 1;
        if (c >= 0xC2u && c <= 0xDFu && n - j >= 2 && (s[j + 1] & 0xC0u) == 0x80u) {
            c = (c & 0x1Fu) << 6 | (s[j + 1] & 0x3Fu); /* toned vowels */
            adv = 2;
        } else if (c >= 0x80u) {
            c = nd_utf8_next(s + j, n - j, &adv);
            if (c == ND_UTF8_INVALID) c = ND_REPLACEMENT_CHAR;
        }
        j += adv;
        if (nd_is_close_paren(c)) break;
        if (!nd_py_feed(&st, c)) return 0;
    }
    return nd_py_judge(&st, prev) ? j : 0;
}

/* Word-run state of the single-pass tokeniser. */
typedef struct nd_fp_run {
    size_t len;   /* code points in the run */
    size_t bytes; /* UTF-8 bytes of the run in nm->utf8 */
    uint32_t first;
} nd_fp_run;

static inline uint64_t nd_fp_run_value(const nd_norm *nm, const nd_fp_run *r) {
    if (r->len == 1) return r->first;
    return nd_token_hash(nm->utf8, r->bytes);
}

/* ASCII in the single-pass tokeniser: per byte, the folded byte of a letter
 * or digit (class WORD; A-Z -> a-z, the only change NFKC, case folding and
 * T2S make to ASCII), or the class of anything else as below (0 for bytes
 * >= 0x80).  Every value for a letter or digit is >= ND_FA_WORD.
 * tests/test_fastpath.c checks every byte against the fused table through
 * the general path. */
enum {
    ND_FA_NONASCII = 0,
    ND_FA_DROP = 1,  /* C0 controls other than 09-0D, and 7F */
    ND_FA_SPACE = 2, /* 09-0D, 20 */
    ND_FA_PUNCT = 3, /* the other printable characters */
    ND_FA_PAREN = 4, /* '(' : punctuation, or the start of an annotation */
    ND_FA_WORD = 0x30
};
static const uint8_t nd_fa_tab[256] = {
    1,    1,    1,    1,    1,    1,    1,    1,    1,    2,    2,    2,    2,    2,    1,    1,
    1,    1,    1,    1,    1,    1,    1,    1,    1,    1,    1,    1,    1,    1,    1,    1,
    2,    3,    3,    3,    3,    3,    3,    3,    4,    3,    3,    3,    3,    3,    3,    3,
    0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 3,    3,    3,    3,    3,    3,
    3,    0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 3,    3,    3,    3,    3,
    3,    0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
    0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 3,    3,    3,    3,    1,
    /* 0x80-0xFF: 0 */
};

/* nd_fp_plain's "no code point consumed yet" (no code point is this large). */
#define ND_FP_NO_PREV UINT32_MAX

/* Copies the run of ASCII letters and digits at p[0..] (p < end, *p one of
 * them), folded, to buf[*b...] (which must have room for end - p + 8
 * bytes); returns the pointer past the run and advances *b.  Eight bytes a
 * step on little-endian GCC/Clang builds, with plain 64-bit arithmetic
 * (SWAR; no instruction-set extension): for a byte x < 0x80, x >= lo is bit 7
 * of x + (0x80 - lo), which cannot carry into the next byte; a byte >= 0x80
 * can, but only into bytes after itself, and the run has ended before it.
 * x | 0x20 maps A-Z onto a-z (and nothing else onto a-z), so letters are
 * one range test; folding is or-ing in 0x20 on them.  All 8 bytes are
 * stored, the bytes past the run are overwritten later. */
static inline const uint8_t *nd_fa_word(const uint8_t *p, const uint8_t *end, uint8_t *buf,
                                        size_t *b) {
    size_t k = *b;
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t l = UINT64_C(0x0101010101010101), h = UINT64_C(0x8080808080808080);
    while (end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t y = x | 0x20 * l;
        uint64_t alpha = (y + (0x80 - 'a') * l) & ~(y + (0x80 - 'z' - 1) * l);
        uint64_t digit = (x + (0x80 - '0') * l) & ~(x + (0x80 - '9' - 1) * l);
        uint64_t stop = ~((alpha | digit) & ~x) & h;
        uint64_t out = x | (alpha & ~x & h) >> 2;
        memcpy(buf + k, &out, 8);
        if (stop) {
            size_t m = (size_t)__builtin_ctzll(stop) >> 3;
            *b = k + m;
            return p + m;
        }
        k += 8;
        p += 8;
    }
#endif
    unsigned v;
    while (p < end && (v = nd_fa_tab[*p]) >= ND_FA_WORD) {
        buf[k++] = (uint8_t)v;
        p++;
    }
    *b = k;
    return p;
}

#if ND_FA_BLOCKS
/* The value of an ASCII word of 2..16 letters and digits at w[0..len-1]
 * (nd_token_hash of its folded bytes), computed from the source bytes with
 * the folding applied to the loaded words (x | 0x20 folds a letter and
 * leaves a digit alone) and the bytes past the word cleared with bzhi, so
 * that nothing is read back from a buffer just written (a load straddling
 * a fresh 32-byte store is not forwarded: ~12 cycles) and nothing depends
 * on the length but a mask.  It reads w[0..15]: nd_fa_blocks keeps that
 * inside its block. */
__attribute__((target("bmi2"))) static inline uint64_t nd_fa_word_hash(const uint8_t *w,
                                                                       size_t len) {
    const uint64_t f8 = UINT64_C(0x2020202020202020);
    const uint64_t lo = _bzhi_u64(nd_load_le64(w) | f8, (unsigned)(8 * len));
    const uint64_t hi =
        _bzhi_u64(nd_load_le64(w + 8) | f8, len > 8 ? (unsigned)(8 * len - 64) : 0u);
    return nd_token_hash16(lo, hi, len);
}

/*
 * The ASCII loop of nd_fp_ascii 32 bytes a step (AVX2), for text that is
 * mostly ASCII words.  One step classifies a block - word byte (letter or
 * digit), white space, punctuation, or "special": a byte >= 0x80, a control
 * that is dropped, and '(' when pinyin is set - with a few compares (with
 * strip, which needs no white space mask, by two nibble-table lookups
 * instead: callgrind, whole scans, one-per-line English 639.0 M -> 629.3 M
 * instructions, wrapped 526.6 M -> 515.4 M), folds
 * its letters, and turns the classes into bit masks; the step then covers
 * the block up to its first special byte (L bytes) and walks only the
 * events in it, word starts and punctuation tokens, with ctz: per word a
 * start, an end (ctz of the inverted word mask) and the hash of the word
 * (nd_fa_word_hash, from the source bytes).  A word that reaches L is
 * the pending run (its bytes copied to buf), continued by the next step or
 * by the scalar loop - except, with the default flags, one that reaches the
 * end of a whole block without starting it: the next step starts with that
 * word instead (callgrind, whole scans: 170 one-per-line English files
 * 641.0 M -> 639.0 M instructions, 180 wrapped 528.9 M -> 526.6 M); special bytes are left to the scalar loop, which
 * then calls back here.  So the tokens, and their order, are those of the
 * scalar loop by construction: every byte below L is a word byte, white
 * space or punctuation, for which the scalar loop appends, ends or emits
 * exactly as here.  The last 1-47 bytes of the paragraph are stepped over
 * in a zero-padded copy (the NULs are special), and a run still pending at
 * the paragraph's end is ended here.  Returns the pointer to the first byte
 * not consumed: a special byte, or the end.  tests/test_fastpath.c runs its
 * ASCII tests with and without this loop.  Measured with a driver that runs
 * nd_norm_tokens over the paragraphs of the English bench corpora (first
 * 400 files, 23 MB each, best of 7, 1 thread, medians of three such runs):
 * wrapped 369 -> 461 MB/s, one per line 356 -> 401 MB/s; the scalar loop
 * alone 345 and 335 MB/s.  A third of the gain is nd_fa_word_hash.  The
 * default flags (strip and pinyin) get their own copy of the loop, with
 * the flags as constants: no punctuation tokens to look for per word
 * (callgrind, 170 files of one-per-line English: the scan 743.1 M ->
 * 734.6 M instructions), and with strip the words of a step are taken as
 * pairs of first and last bytes and hashed in a loop of their own (180
 * files of wrapped English 583.3 M -> 577.0 M).
 */
/* The token of a finished pending run of len code points (bytes buf[0..b-1],
 * first code point `first`): nd_fa_word_hash from the source when its bytes
 * lie contiguous at rsrc, else nd_token_hash of the copy. */
__attribute__((target("bmi2"))) static inline uint64_t
nd_fa_run_token(uint32_t first, size_t len, const uint8_t *rsrc, const uint8_t *buf, size_t b) {
    if (len == 1) return first;
    return rsrc && len <= 16 ? nd_fa_word_hash(rsrc, len) : nd_token_hash(buf, b);
}

/* The byte classes of the default flags' step, as two nibble tables whose
 * entries are and-ed (the byte's class bits are those set in both its low
 * nibble's and its high nibble's entry; a byte >= 0x80 gets none, and
 * counts as special by its top bit).  Word: digits (high nibble 3, low
 * 0-9), letters (4 and 6 with 1-F, 5 and 7 with 0-A); special: controls
 * that are not white space (0 with a low nibble outside 9-D, all of 1,
 * 0x7F) and '(' when pinyin is set; alpha: the letters.  tests/
 * test_fastpath.c compares the block loop with the scalar one on every
 * byte value. */
#define ND_FA_C_DIGIT   0x01
#define ND_FA_C_ALPHA   0x06 /* 0x02: high nibble 4 or 6, 0x04: 5 or 7 */
#define ND_FA_C_WORD    0x07
#define ND_FA_C_SPECIAL 0x78 /* 0x08, 0x10: controls, 0x20: 0x7F, 0x40: '(' */
#define ND_FA_C_PAREN   0x40
#define ND_FA_LO                                                                                   \
    0x1D, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F, 0x1F, 0x5F, 0x17, 0x16, 0x12, 0x12, 0x12, 0x1A, 0x3A
#define ND_FA_HI(paren) 0x08, 0x10, (paren), 0x01, 0x02, 0x04, 0x02, 0x24, 0, 0, 0, 0, 0, 0, 0, 0

typedef struct nd_fa_state {
    size_t nt, nc, len, b; /* tokens, characters, pending run: code points, bytes */
    uint32_t first;        /* the pending run's first code point */
} nd_fa_state;

__attribute__((target("avx2,bmi,bmi2"), always_inline)) static inline const uint8_t *
nd_fa_blocks_body(const uint8_t *p, const uint8_t *end, uint8_t *buf, uint64_t *tok,
                  nd_fa_state *st, int strip, int pinyin) {
    size_t nt = st->nt, nc = st->nc, len = st->len, b = st->b;
    uint32_t first = st->first;
    _Alignas(32) uint8_t stage[64] = {0};
    _Alignas(32) uint8_t tail[96] = {0}; /* the last < 48 bytes, zero-padded */
    const uint8_t *tail_at = NULL;       /* where they are in s */
    /* where the pending run starts (in s, or in tail) when it started in
     * this call, so that its bytes are contiguous there; else NULL */
    const uint8_t *rsrc = NULL;
    const __m256i c20 = _mm256_set1_epi8(0x20), m0f = _mm256_set1_epi8(0x0F);
    const __m256i lo_tab = _mm256_setr_epi8(ND_FA_LO, ND_FA_LO);
    const __m256i hi_tab = pinyin
                               ? _mm256_setr_epi8(ND_FA_HI(ND_FA_C_PAREN), ND_FA_HI(ND_FA_C_PAREN))
                               : _mm256_setr_epi8(ND_FA_HI(0), ND_FA_HI(0));
    while (p < end) {
        /* the last bytes of the paragraph are a zero-padded copy: the NULs
         * are dropped controls, so the step stops at the paragraph's end */
        const uint8_t *q = p;
        if (end - p < 48) {
            if (!tail_at) { /* copied once: rsrc may point into it */
                memcpy(tail, p, (size_t)(end - p));
                tail_at = p;
            }
            q = tail + (p - tail_at);
        }
        const __m256i x = _mm256_loadu_si256((const __m256i *)(const void *)q);
        uint32_t word, special, space = 0;
        if (strip) {
            /* no white space mask needed: the classes by two nibble
             * lookups (ND_FA_LO, ND_FA_HI), and-ed */
            const __m256i f = _mm256_and_si256(
                _mm256_shuffle_epi8(lo_tab, _mm256_and_si256(x, m0f)),
                _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(_mm256_srli_epi16(x, 4), m0f)));
            const __m256i zero = _mm256_setzero_si256();
            word = ~(uint32_t)_mm256_movemask_epi8(
                _mm256_cmpeq_epi8(_mm256_and_si256(f, _mm256_set1_epi8(ND_FA_C_WORD)), zero));
            special = (uint32_t)_mm256_movemask_epi8(x) |
                      ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
                          _mm256_and_si256(f, _mm256_set1_epi8(ND_FA_C_SPECIAL)), zero));
            const __m256i alpha =
                _mm256_cmpgt_epi8(_mm256_and_si256(f, _mm256_set1_epi8(ND_FA_C_ALPHA)), zero);
            _mm256_store_si256((__m256i *)(void *)stage,
                               _mm256_or_si256(x, _mm256_and_si256(alpha, c20)));
        } else {
            const __m256i y = _mm256_or_si256(x, c20);
            /* signed compares: bytes >= 0x80 are negative and fail every range */
            const __m256i alpha = _mm256_and_si256(_mm256_cmpgt_epi8(y, _mm256_set1_epi8('a' - 1)),
                                                   _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), y));
            const __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(x, _mm256_set1_epi8('0' - 1)),
                                                   _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), x));
            const __m256i ws =
                _mm256_or_si256(_mm256_cmpeq_epi8(x, c20),
                                _mm256_and_si256(_mm256_cmpgt_epi8(x, _mm256_set1_epi8(0x08)),
                                                 _mm256_cmpgt_epi8(_mm256_set1_epi8(0x0E), x)));
            const __m256i ctrl = _mm256_or_si256(_mm256_cmpgt_epi8(c20, x),
                                                 _mm256_cmpeq_epi8(x, _mm256_set1_epi8(0x7F)));
            const uint32_t high = (uint32_t)_mm256_movemask_epi8(x);
            word = (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(alpha, digit));
            space = (uint32_t)_mm256_movemask_epi8(ws);
            special = high | ((uint32_t)_mm256_movemask_epi8(ctrl) & ~space & ~high);
            if (pinyin)
                special |=
                    (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_set1_epi8('(')));
            _mm256_store_si256((__m256i *)(void *)stage,
                               _mm256_or_si256(x, _mm256_and_si256(alpha, c20)));
        }
        const unsigned lim = special ? (unsigned)__builtin_ctz(special) : 32u;
        if (lim == 0) break;
        const uint32_t in = lim == 32 ? UINT32_MAX : (UINT32_C(1) << lim) - 1;
        uint32_t w = word & in;
        const uint32_t punct = strip ? 0u : ~(word | space) & in;
        if (len) { /* the pending run continues with the leading word bytes */
            const unsigned m = w == UINT32_MAX ? 32u : (unsigned)__builtin_ctz(~w);
            memcpy(buf + b, stage, 32);
            b += m;
            len += m;
            nc += m;
            if (m == lim) {
                p += lim;
                if (lim < 32) break;
                continue;
            }
            tok[nt++] = nd_fa_run_token(first, len, rsrc, buf, b);
            len = b = 0;
            w &= ~((UINT32_C(1) << m) - 1); /* m < lim <= 32 */
        }
        if (strip) {
            /* No punctuation tokens: the words are the runs of w, found by
             * their first (sw) and last (ew) bytes in pairs, and hashed in
             * a loop of their own; the word that reaches lim is the
             * pending run. */
            uint32_t sw = w & ~(w << 1), ew = w & ~(w >> 1);
            int pend = (w >> (lim - 1)) & 1u; /* lim >= 1 */
            unsigned ps = 0, next = lim;
            if (pend) {
                ps = 31u - (unsigned)__builtin_clz(sw);
                sw &= ~(UINT32_C(1) << ps);
                ew &= ~(UINT32_C(1) << (lim - 1));
                /* a word that reaches the end of a whole block and did not
                 * start it is left to the next block, which starts with
                 * it: no pending run to copy and continue */
                if (lim == 32 && ps > 0) {
                    pend = 0;
                    next = ps;
                }
            }
            while (sw) {
                const unsigned i = (unsigned)__builtin_ctz(sw), j = (unsigned)__builtin_ctz(ew);
                const unsigned m = j - i + 1;
                sw &= sw - 1;
                ew &= ew - 1;
                nc += m;
                tok[nt++] = m == 1    ? stage[i]
                            : m <= 16 ? nd_fa_word_hash(q + i, m)
                                      : nd_token_hash(stage + i, m);
            }
            if (pend) {
                const unsigned m = lim - ps;
                nc += m;
                memcpy(buf, stage + ps, 32);
                b = len = m;
                first = stage[ps];
                rsrc = q + ps;
            }
            p += next;
            if (lim < 32) break;
            continue;
        }
        uint32_t ev = (w & ~(w << 1)) | punct;
        while (ev) {
            const unsigned i = (unsigned)__builtin_ctz(ev);
            ev &= ev - 1;
            if (punct >> i & 1u) {
                tok[nt++] = q[i];
                nc++;
                continue;
            }
            const uint32_t rest = ~(w >> i); /* bit 32 - i on: always found */
            const unsigned m = i == 0 && w == UINT32_MAX ? 32u : (unsigned)__builtin_ctz(rest);
            nc += m;
            if (i + m == lim) { /* reaches the step's end: the pending run */
                memcpy(buf, stage + i, 32);
                b = len = m;
                first = stage[i];
                rsrc = q + i;
                break;
            }
            tok[nt++] = m == 1    ? stage[i]
                        : m <= 16 ? nd_fa_word_hash(q + i, m)
                                  : nd_token_hash(stage + i, m);
        }
        p += lim;
        if (lim < 32) break;
    }
    if (p == end && len) { /* the paragraph ends: so does the run */
        tok[nt++] = nd_fa_run_token(first, len, rsrc, buf, b);
        len = b = 0;
    }
    st->nt = nt;
    st->nc = nc;
    st->len = len;
    st->b = b;
    st->first = first;
    return p;
}

/* nd_fa_blocks_body with the default flags (strip and pinyin) as constants,
 * so that the loop has no punctuation tokens to look for, and with any. */
__attribute__((target("avx2,bmi,bmi2"))) static const uint8_t *
nd_fa_blocks_default(const uint8_t *p, const uint8_t *end, uint8_t *buf, uint64_t *tok,
                     nd_fa_state *st) {
    return nd_fa_blocks_body(p, end, buf, tok, st, 1, 1);
}

__attribute__((target("avx2,bmi,bmi2"))) static const uint8_t *
nd_fa_blocks(const uint8_t *p, const uint8_t *end, uint8_t *buf, uint64_t *tok, nd_fa_state *st,
             int strip, int pinyin) {
    if (strip && pinyin) return nd_fa_blocks_default(p, end, buf, tok, st);
    return nd_fa_blocks_body(p, end, buf, tok, st, strip, pinyin);
}
#endif

/*
 * The ASCII loop of nd_norm_tokens_fused, entered at an ASCII byte s[*pos]
 * with the word run *run possibly pending (its bytes in nm->utf8).  It
 * consumes ASCII up to the first byte >= 0x80 or the end, doing exactly what
 * the per-code-point step does: letters and digits are folded through
 * nd_fa_tab and appended to the run, a whole run of them in a tight loop;
 * controls are dropped without ending the run; anything else ends it (its
 * token is hashed there and then), white space gives nothing and
 * punctuation a token of its own unless strip; '(' is first tried as a
 * pinyin annotation after the code point *last (when pinyin).  The token
 * buffer needs no growing (at most one token per byte, besides the pending
 * run's); nm->utf8 is grown so that the rest of the paragraph fits.
 * Updates *pos, *ntok, *nchars, *run and *last.
 */
static nd_status nd_fp_ascii(nd_norm *nm, const uint8_t *s, size_t n, size_t *pos, size_t *ntok,
                             size_t *nchars, nd_fp_run *run, uint32_t *last, int strip,
                             int pinyin) {
    const uint8_t *p = s + *pos, *const end = s + n;
    /* + 40: nd_fa_blocks stores 32 bytes at a time, also near the end */
    if (run->bytes + (size_t)(end - p) + 40 > nm->utf8_cap)
        ND_TRY(ND_GROW(nm->utf8, nm->utf8_cap, run->bytes + (size_t)(end - p) + 40));
    uint8_t *const buf = (uint8_t *)nm->utf8;
    uint64_t *const tok = nm->tokens;
    size_t nt = *ntok, nc = *nchars, len = run->len, b = run->bytes;
    uint32_t first = run->first;
    /* The code point before p (for pinyin) is p[-1], except right at the
     * start and right after an annotation (which is not one): there it is
     * prev, and at is where that holds. */
    uint32_t prev = *last;
    const uint8_t *at = p;
    while (p < end) {
#if ND_FA_BLOCKS
        if (nm->simd) {
            nd_fa_state fs = {nt, nc, len, b, first};
            const uint8_t *q = nd_fa_blocks(p, end, buf, tok, &fs, strip, pinyin);
            if (q != p) {
                p = q;
                nt = fs.nt;
                nc = fs.nc;
                len = fs.len;
                b = fs.b;
                first = fs.first;
                if (p >= end) break;
            }
        }
#endif
        unsigned c = *p, v = nd_fa_tab[c];
        if (v >= ND_FA_WORD) {
            size_t b0 = b;
            if (len == 0) first = v;
            p = nd_fa_word(p, end, buf, &b);
            len += b - b0;
            nc += b - b0;
            continue;
        }
        if (v <= ND_FA_DROP) {
            if (v == ND_FA_NONASCII) break;
            p++; /* a control: invisible, does not end the run */
            continue;
        }
        if (v == ND_FA_PAREN && pinyin) {
            uint32_t before = p == at ? prev : p[-1];
            if (before != ND_FP_NO_PREV) {
                size_t skip = nd_py_match_bytes(p, (size_t)(end - p), 1, before);
                if (skip) {
                    p += skip;
                    at = p;
                    prev = before;
                    continue;
                }
            }
        }
        if (len) {
            tok[nt++] = len == 1 ? first : nd_token_hash(buf, b);
            len = b = 0;
        }
        p++;
        if (v != ND_FA_SPACE && !strip) {
            tok[nt++] = c;
            nc++;
        }
    }
    run->len = len;
    run->bytes = b;
    run->first = first;
    *pos = (size_t)(p - s);
    *ntok = nt;
    *nchars = nc;
    *last = p == at ? prev : p[-1];
    return ND_OK;
}

/* The ND_UT_F_KEY values nd_fp_plain handles: a plain code point of class
 * DROP, SPACE, PUNCT or CJK (and no opening parenthesis). */
#define ND_FP_KEY_OK                                                                               \
    ((uint64_t)1 << ND_UT_CLASS_DROP | (uint64_t)1 << ND_UT_CLASS_SPACE |                          \
     (uint64_t)1 << ND_UT_CLASS_PUNCT | (uint64_t)1 << ND_UT_CLASS_CJK)

/* nd_fp_plain is kept out of line (inlined into nd_norm_tokens_fused, GCC 12
 * spilled its pointers to the stack: 5% slower) and starts on a 64-byte
 * boundary: where its Han loop fell relative to the instruction fetch
 * blocks moved the whole normaliser by up to 6% between builds that
 * differed only elsewhere in the file. */
#if defined(__GNUC__)
#define ND_FP_HOT __attribute__((noinline, aligned(64)))
#else
#define ND_FP_HOT
#endif

/* s[0..3] as a little-endian number, whatever the byte order of the host
 * (compilers make this one load). */
static inline uint32_t nd_fp_load(const uint8_t *s) {
    return (uint32_t)s[0] | (uint32_t)s[1] << 8 | (uint32_t)s[2] << 16 | (uint32_t)s[3] << 24;
}

/*
 * The inner loop of nd_norm_tokens_fused, entered with no word run pending
 * at s[*pos].  It consumes what needs nothing but a fused entry that is one
 * code point of class DROP, SPACE, PUNCT or CJK: Han first of all, then any
 * other such code point encoded in 1, 2 or 3 bytes, and pinyin annotations
 * (when pinyin is set; *last is the code point before, ND_FP_NO_PREV if
 * none), storing one token per code point whose key is in key_keep at
 * tok[nt...] (tok must have room for n - *pos more).  It stops at anything
 * else - word characters, expansions, slow, 4-byte or ill-formed sequences -
 * and before the last 3 bytes (every step loads 4).  Returns the new token
 * count; *pos is advanced, and *last receives the last code point consumed
 * (an annotation is not one).
 *
 * Design notes (round 3).  Measured with a throwaway driver (not in the
 * repository; bench/README.md has the bench figures) that runs nd_norm_tokens
 * over every line of the 100 MB benchmark corpus (316,667 lines; CPU time
 * of one pass, median of 9, one thread, GCC 12 -O2, AMD EPYC Zen 3): 188 ms
 * before.  The corpus is 88% Han by bytes, but a Han run is only 8.6
 * characters long on average: punctuation (。，、“” and ASCII , ( )) and
 * pinyin annotations come every few characters.  On Han-only text the loop
 * takes ~6 cycles per character and is bound by instructions, not by the
 * 82 KiB of table (an L1-sized table: no change; no lookup at all: -4%);
 * on the corpus the rest is the branch at the end of every run.  What won:
 *   - 4 bytes loaded at once, the shape and range of a Han character checked
 *     on them, its entry read directly (the CJK blocks come first in stage 2,
 *     unitab.h): 188 -> 164 ms; pointer arithmetic and no offset: -7 ms more;
 *   - other one-code-point entries (ASCII and CJK punctuation, spaces,
 *     2-byte symbols) and the annotations handled inside the loop, with a
 *     key that says "plain, not a word character, not '('" (ND_UT_F_KEY,
 *     one bit test): 164 -> 159 ms, and no re-entry from the general path;
 *   - pinyin: nd_py_match_bytes decodes only what nd_py_feed accepts and
 *     decides in the same pass (it used to decode a 32-code-point window and
 *     run nd_py_match over it), letters packed in a register, precomposed
 *     letters from a table, finals from a switch instead of a table scan with
 *     strcmp: 36 ms -> 14 ms (the switch alone: -7 ms);
 *   - out of line and 64-byte aligned (ND_FP_HOT).
 * Tried and dropped (same driver):
 *   - one branch-free step for ASCII and 3-byte code points alike (advance
 *     selected by cmov): 225 ms, as the next load then waits for the last;
 *   - the generic two-stage lookup for every 3-byte code point, so that CJK
 *     punctuation does not break the Han loop: 170 ms vs 137, the exit
 *     branch then waits for two dependent loads;
 *   - AVX2 (runtime dispatch), 8 Han characters decoded per step with
 *     vpermd + vpshufb, entries by vpgatherdd: 160 ms vs 137; by scalar
 *     loads: 168 ms.  On Han-only text the latter is a third faster, but
 *     runs of 8.6 leave most blocks part-used and add a branch per block;
 *   - a 16-bit copy of the CJK deltas (42 KiB): no change; two Han
 *     characters per step (8-byte loads): 148 ms vs 139; branch-free decoding
 *     of the code point after a run: 130 vs 119; handling the last 3 bytes in
 *     the loop (zero-padded): 129 vs 119; a loop for ASCII letters continuing
 *     a word run in the general path: no change.
 * Several of the losses were partly layout: small edits moved the loop by
 * up to 6%, hence the alignment.
 */
ND_FP_HOT
static size_t nd_fp_plain(const uint8_t *s, size_t n, size_t *pos, uint64_t *tok, size_t nt,
                          uint64_t key_keep, int pinyin, uint32_t *last) {
    const uint8_t *p = s + *pos, *const end = s + n;
    uint32_t prev = *last;
    while (end - p >= 4) {
        uint32_t w = nd_fp_load(p), cp;
        size_t adv;
        /* the common case, in a tight loop: a run of Han tokens (every code
         * point of U+4E00..U+9FFF maps to one code point of class CJK, and
         * none of them can be overlong or a surrogate) */
        cp = (w & 0x0Fu) << 12 | (w & 0x3F00u) >> 2 | (w >> 16 & 0x3Fu);
        if ((w & 0xC0C0F0u) == 0x8080E0u && cp - ND_UT_CJK_LO < ND_UT_CJK_HI - ND_UT_CJK_LO) {
            tok[nt++] = (cp + nd_ut_fused_cjk(cp)) & ND_UT_F_CP_MASK;
            prev = cp;
            p += 3;
            continue;
        }
        /* then any other one-code-point entry, without leaving the loop */
        if (!(w & 0x80u)) {
            cp = w & 0x7Fu;
            adv = 1;
        } else if ((w & 0xC0C0F0u) == 0x8080E0u) {
            if (cp < 0x800u || cp - 0xD800u < 0x800u) break; /* overlong, surrogate */
            adv = 3;
        } else if ((w & 0xC0E0u) == 0x80C0u) {
            cp = (w & 0x1Fu) << 6 | (w >> 8 & 0x3Fu);
            if (cp < 0x80u) break; /* overlong */
            adv = 2;
        } else {
            break;
        }
        uint32_t e = nd_ut_fused(cp);
        if (e & ND_UT_F_PAREN) {
            if (pinyin && prev != ND_FP_NO_PREV) {
                size_t skip = nd_py_match_bytes(p, (size_t)(end - p), adv, prev);
                if (skip) {
                    p += skip;
                    continue;
                }
            }
            e &= ~ND_UT_F_PAREN; /* otherwise just punctuation */
        }
        uint32_t key = ND_UT_F_KEY(e);
        if (!((ND_FP_KEY_OK >> key) & 1u)) break;
        tok[nt] = (cp + e) & ND_UT_F_CP_MASK;
        nt += (size_t)(key_keep >> key) & 1u;
        prev = cp;
        p += adv;
    }
    *pos = (size_t)(p - s);
    *last = prev;
    return nt;
}

/* The code point at s[i] (i < n) for the single-pass loops, *adv its
 * bytes: ASCII and well-formed 3-byte sequences inline, the rest through
 * nd_utf8_next (an invalid sequence is U+FFFD, as nd_utf8_decode gives). */
static inline uint32_t fused_next(const uint8_t *s, size_t n, size_t i, size_t *adv) {
    uint32_t c = s[i], cp;
    if (c < 0x80u) {
        *adv = 1;
        return c;
    }
    if ((c & 0xF0u) == 0xE0u && n - i >= 3 && (s[i + 1] & 0xC0u) == 0x80u &&
        (s[i + 2] & 0xC0u) == 0x80u &&
        (cp = (c & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu),
         cp >= 0x800u && (cp < 0xD800u || cp > 0xDFFFu))) {
        *adv = 3;
        return cp;
    }
    cp = nd_utf8_next(s + i, n - i, adv);
    return cp == ND_UTF8_INVALID ? ND_REPLACEMENT_CHAR : cp;
}

/* For the single-pass loops: the bytes of the pinyin annotation that the
 * code point cp (adv bytes at s[i]) opens after prev, 0 if none. */
static inline size_t fused_annotation(const uint8_t *s, size_t n, size_t i, size_t adv, uint32_t cp,
                                      int pinyin, uint32_t prev) {
    if ((cp != '(' && cp != 0xFF08u) || !pinyin || prev == ND_FP_NO_PREV) return 0;
    return nd_py_match_bytes(s + i, n - i, adv, prev);
}

/*
 * Steps 1-6 in one pass over the bytes for the flags NFKC + CASEFOLD + T2S
 * (PINYIN and STRIP either way), with the fused table of unitab.h: decode
 * (ASCII and well-formed 3-byte sequences inline, everything else through
 * nd_utf8_next), pinyin annotations (only looked at on '(' and U+FF08),
 * one table lookup for NFKC+casefold+T2S+class, then the token logic of
 * nd_norm_finish.  It produces exactly the tokens and character count of
 * nd_norm_run (tests/test_fastpath.c compares them on the bundled corpus,
 * the golden inputs and random byte strings).  Returns ND_OK with *slow = 1
 * as soon as a code point marked ND_UT_SLOW is reached; the caller then
 * takes the general path, which normalises the paragraph as a whole.
 */
static nd_status nd_norm_tokens_fused(nd_norm *nm, const uint8_t *s, size_t n, size_t *nchars,
                                      size_t *ntokens, int *slow) {
    const int strip = (nm->flags & ND_NORM_STRIP) != 0;
    const int pinyin = (nm->flags & ND_NORM_PINYIN) != 0;
    /* Invariant: tokens_cap >= nt + (run.len != 0) + (n - i): a code point
     * that maps to one code point adds at most one token (besides ending the
     * pending run) and consumes at least one byte; expansions grow the
     * buffer first. */
    ND_TRY(ND_GROW(nm->tokens, nm->tokens_cap, n));
    uint64_t *tok = nm->tokens;
    size_t i = 0, nt = 0, nc = 0;
    uint32_t prev = ND_FP_NO_PREV; /* the code point before, for pinyin */
    nd_fp_run run = {0, 0, 0};
    *slow = 0;
    /* the ND_UT_F_KEY values that give a token in nd_fp_plain */
    const uint64_t key_keep = 1u << ND_UT_CLASS_CJK | (strip ? 0u : 1u << ND_UT_CLASS_PUNCT);
    while (i < n) {
        if (run.len == 0 && s[i] >= 0x80) { /* ASCII: nd_fp_ascii below */
            size_t nt0 = nt;
            nt = nd_fp_plain(s, n, &i, tok, nt, key_keep, pinyin, &prev);
            nc += nt - nt0;
            if (i >= n) break;
        }
        uint32_t c = s[i], cp;
        size_t adv;
        if (c < 0x80) {
            ND_TRY(nd_fp_ascii(nm, s, n, &i, &nt, &nc, &run, &prev, strip, pinyin));
            continue;
        }
        cp = fused_next(s, n, i, &adv);
        size_t skip = fused_annotation(s, n, i, adv, cp, pinyin, prev);
        if (skip) {
            i += skip;
            continue;
        }
        prev = cp;
        i += adv;
        uint32_t e = nd_ut_fused(cp);
        const uint32_t *ex = &e;
        size_t len = 1;
        uint32_t one;
        if (e & (ND_UT_F_SLOW | ND_UT_F_EXPAND)) {
            if (e & ND_UT_F_SLOW) {
                *slow = 1;
                return ND_OK;
            }
            len = ND_UT_F_EXP_LEN(e);
            ex = nd_ut_fused_pool + ND_UT_F_EXP_OFF(e);
            ND_TRY(ND_GROW(nm->tokens, nm->tokens_cap, nt + 1 + len + (n - i)));
            tok = nm->tokens;
        } else {
            one = ((cp + e) & ND_UT_F_CP_MASK) | (e & ~ND_UT_F_CP_MASK);
            ex = &one;
        }
        for (size_t k = 0; k < len; k++) {
            uint32_t out = ex[k] & ND_UT_F_CP_MASK;
            unsigned cls = (ex[k] >> ND_UT_F_CLASS_SHIFT) & ND_UT_CLASS_MASK;
            if (cls == ND_UT_CLASS_DROP) continue;
            if (cls == ND_UT_CLASS_WORD) {
                if (run.bytes + 4 > nm->utf8_cap)
                    ND_TRY(ND_GROW(nm->utf8, nm->utf8_cap, run.bytes + 4));
                if (run.len++ == 0) run.first = out;
                run.bytes += nd_utf8_encode(out, (uint8_t *)nm->utf8 + run.bytes);
                nc++;
                continue;
            }
            if (run.len) { /* anything else ends a word run */
                tok[nt++] = nd_fp_run_value(nm, &run);
                run.len = run.bytes = 0;
            }
            if (cls == ND_UT_CLASS_SPACE || (cls == ND_UT_CLASS_PUNCT && strip)) continue;
            tok[nt++] = out;
            nc++;
        }
    }
    if (run.len) tok[nt++] = nd_fp_run_value(nm, &run);
    *nchars = nc;
    *ntokens = nt;
    return ND_OK;
}

/* The general path of nd_norm_tokens (any flags), for tests. */
nd_status nd_norm_tokens_general(nd_norm *nm, const uint8_t *s, size_t n, const uint64_t **tokens,
                                 size_t *ntokens, size_t *nchars) {
    size_t nc, nt;
    ND_TRY(nd_norm_run(nm, s, n, 1, &nc, &nt));
    *tokens = nm->tokens;
    *ntokens = nt;
    *nchars = nc;
    return ND_OK;
}

#define ND_NORM_FUSED_FLAGS (ND_NORM_NFKC | ND_NORM_CASEFOLD | ND_NORM_T2S)

nd_status nd_norm_tokens(nd_norm *nm, const uint8_t *s, size_t n, const uint64_t **tokens,
                         size_t *ntokens, size_t *nchars) {
    size_t nc, nt;
    if ((nm->flags & ND_NORM_FUSED_FLAGS) == ND_NORM_FUSED_FLAGS) {
        int slow = 0;
        ND_TRY(nd_norm_tokens_fused(nm, s, n, &nc, &nt, &slow));
        if (!slow) {
            *tokens = nm->tokens;
            *ntokens = nt;
            *nchars = nc;
            return ND_OK;
        }
    }
    ND_TRY(nd_norm_run(nm, s, n, 1, &nc, &nt));
    *tokens = nm->tokens;
    *ntokens = nt;
    *nchars = nc;
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Normalisation with a map back to the source bytes (for compare)          */
/* ------------------------------------------------------------------------ */

size_t nd_cmap_bytes(size_t n) {
    return (n + ND_CMAP_BLOCK - 1) / ND_CMAP_BLOCK * sizeof(nd_map_off) + 2 * n;
}

void nd_cmap_at(void *block, size_t n, nd_cmap *m) {
    uint8_t *p = block;
    m->base = (const nd_map_off *)block;
    m->adv = p + (n + ND_CMAP_BLOCK - 1) / ND_CMAP_BLOCK * sizeof(nd_map_off);
    m->len = m->adv + n;
}

int nd_cmap_fill(const nd_map_off *beg, const nd_map_off *end, size_t n, void *block, nd_cmap *m) {
    nd_map_off *base = block;
    nd_cmap_at(block, n, m);
    uint8_t *adv = (uint8_t *)(uintptr_t)m->adv, *len = (uint8_t *)(uintptr_t)m->len;
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++) {
        size_t a = i ? beg[i] - beg[i - 1] : 0, l = end[i] - beg[i];
        bad |= (unsigned)(a >= 255) | (unsigned)(l >= 255);
        adv[i] = (uint8_t)a;
        len[i] = (uint8_t)l;
        if (i % ND_CMAP_BLOCK == 0) base[i / ND_CMAP_BLOCK] = beg[i];
    }
    return !bad;
}

/* The offsets of a packed map's arrays for n characters (nd_pmap). */
typedef struct pmap_layout {
    size_t groups, base, first, dflt, xpair;
} pmap_layout;

static pmap_layout pmap_lay(size_t n) {
    pmap_layout l;
    l.groups = (n + ND_CMAP_BLOCK - 1) / ND_CMAP_BLOCK;
    l.base = 8 * l.groups; /* bits at 0 */
    l.first = l.base + 4 * l.groups;
    l.dflt = l.first + 4 * (l.groups + 1);
    l.xpair = l.dflt + 4;
    return l;
}

size_t nd_pmap_max_bytes(size_t n) { return pmap_lay(n).xpair + 2 * n; }

size_t nd_pmap_head(size_t n) { return pmap_lay(n).dflt; }

#if ND_FA_BLOCKS
/* The exceptions of a whole group of 64 characters - a step other than
 * da or a span other than dl - as bits, 32 characters a compare. */
__attribute__((target("avx2"))) static uint64_t
pmap_bits64_avx2(const uint8_t *adv, const uint8_t *len, uint8_t da, uint8_t dl) {
    const __m256i va = _mm256_set1_epi8((char)da), vl = _mm256_set1_epi8((char)dl);
    uint64_t r = 0;
    for (unsigned h = 0; h < 2; h++) {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(adv + 32 * h));
        const __m256i l = _mm256_loadu_si256((const __m256i *)(const void *)(len + 32 * h));
        const __m256i same = _mm256_and_si256(_mm256_cmpeq_epi8(a, va), _mm256_cmpeq_epi8(l, vl));
        r |= (uint64_t)(uint32_t)~_mm256_movemask_epi8(same) << (32 * h);
    }
    return r;
}
#endif

size_t nd_pmap_pack(const nd_cmap *m, size_t n, void *block) {
    const pmap_layout l = pmap_lay(n);
    uint8_t *p = block;
    uint64_t *bits = (uint64_t *)(void *)p;
    uint32_t *base = (uint32_t *)(void *)(p + l.base), *first = (uint32_t *)(void *)(p + l.first);
    /* the usual pair: the majority of the steps and spans of every fourth
     * character (Boyer-Moore's vote; any pair when there is none - only the
     * size depends on it) */
    uint32_t d = n ? (uint32_t)m->len[0] << 8 : 0;
    size_t votes = 0;
    for (size_t i = 1; i < n; i += 4) {
        const uint32_t v = (uint32_t)m->adv[i] | (uint32_t)m->len[i] << 8;
        if (votes == 0) d = v;
        votes += v == d ? 1 : (size_t)-1;
    }
    const uint8_t dadv = (uint8_t)(d & 0xFFu), dlen = (uint8_t)(d >> 8);
    memcpy(p + l.dflt, &d, sizeof d);
    uint16_t *xp = (uint16_t *)(void *)(p + l.xpair);
    size_t x = 0;
#if ND_FA_BLOCKS
    const int avx2 = __builtin_cpu_supports("avx2");
#endif
    for (size_t g = 0; g < l.groups; g++) {
        const size_t g0 = g * ND_CMAP_BLOCK, g1 = ND_MIN(g0 + ND_CMAP_BLOCK, n);
        first[g] = (uint32_t)x;
        base[g] = m->base[g];
#if ND_FA_BLOCKS
        if (avx2 && g1 - g0 == 64) { /* the first character by its span alone */
            uint64_t b = pmap_bits64_avx2(m->adv + g0, m->len + g0, dadv, dlen) & ~UINT64_C(1);
            b |= m->len[g0] != dlen;
            bits[g] = b;
            for (; b; b &= b - 1) {
                const size_t i = g0 + (size_t)__builtin_ctzll(b);
                xp[x++] = (uint16_t)(m->adv[i] | m->len[i] << 8);
            }
            continue;
        }
#endif
        uint64_t b = m->len[g0] != dlen;
        xp[x] = (uint16_t)(m->adv[g0] | m->len[g0] << 8);
        x += (size_t)b;
        for (size_t i = g0 + 1; i < g1; i++) {
            const uint64_t e = (m->adv[i] != dadv) | (m->len[i] != dlen);
            xp[x] = (uint16_t)(m->adv[i] | m->len[i] << 8);
            x += (size_t)e;
            b |= e << (i - g0);
        }
        bits[g] = b;
    }
    first[l.groups] = (uint32_t)x;
    return l.xpair + 2 * x;
}

void nd_pmap_at(const void *block, size_t n, nd_pmap *p) {
    const pmap_layout l = pmap_lay(n);
    const uint8_t *b = block;
    p->bits = (const uint64_t *)block;
    p->base = (const uint32_t *)(const void *)(b + l.base);
    p->first = (const uint32_t *)(const void *)(b + l.first);
    p->dflt = (const uint32_t *)(const void *)(b + l.dflt);
    p->xpair = (const uint16_t *)(const void *)(b + l.xpair);
}

size_t nd_pmap_size(const void *block, size_t n) {
    const pmap_layout l = pmap_lay(n);
    uint32_t x;
    memcpy(&x, (const uint8_t *)block + l.first + 4 * l.groups, sizeof x);
    return l.xpair + 2 * (size_t)x;
}

/* Stores (cp, b, e) at index w of the three growable arrays. */
static nd_status nd_map_put(uint32_t **cps, nd_map_off **beg, nd_map_off **end, size_t *cap,
                            size_t w, uint32_t cp, size_t b, size_t e) {
    if (w >= *cap) {
        size_t c1 = *cap, c2 = *cap, c3 = *cap;
        ND_TRY(ND_GROW(*cps, c1, w + 1));
        ND_TRY(ND_GROW(*beg, c2, w + 1));
        ND_TRY(ND_GROW(*end, c3, w + 1));
        *cap = ND_MIN(c1, ND_MIN(c2, c3));
    }
    (*cps)[w] = cp;
    (*beg)[w] = (nd_map_off)b;
    (*end)[w] = (nd_map_off)e;
    return ND_OK;
}

/* Hands the three arrays of a mapped text (w of cap entries filled) to the
 * caller's out-parameters, leaving the locals NULL; with w == 0 they stay
 * with the caller's cleanup and the outputs NULL.  The unfilled tail is
 * given back first: realloc shrinks in place, so nothing is copied, and a
 * failed shrink keeps the larger array. */
static void map_hand_over(uint32_t **cps, nd_map_off **beg, nd_map_off **end, size_t w, size_t cap,
                          uint32_t **cps_out, nd_map_off **begin_out, nd_map_off **end_out,
                          size_t *count) {
    *count = w;
    if (w == 0) return;
    if (w + 64 < cap) {
        uint32_t *c = realloc(*cps, w * sizeof **cps);
        if (c) *cps = c;
        nd_map_off *b = realloc(*beg, w * sizeof **beg);
        if (b) *beg = b;
        nd_map_off *e = realloc(*end, w * sizeof **end);
        if (e) *end = e;
    }
    *cps_out = *cps;
    *begin_out = *beg;
    *end_out = *end;
    *cps = NULL;
    *beg = *end = NULL;
}

/*
 * How the map is kept exact: decoding records each code point's byte span;
 * pinyin removal drops whole code points; NFKC/case folding runs per "run" -
 * a code point followed by the code points marked slow (combining marks,
 * jamo, ...), which are exactly those that can compose with or reorder
 * against what precedes them - so normalising each run on its own and
 * concatenating equals normalising the whole text, and every output code
 * point of a run maps to the run's bytes; T2S and the removal of step 5 are
 * per code point.
 */
nd_status nd_norm_chars_mapped_general(nd_norm *nm, const uint8_t *s, size_t n, uint32_t **cps_out,
                                       nd_map_off **begin_out, nd_map_off **end_out,
                                       size_t *count) {
    nd_status st = ND_OK;
    uint32_t *cps = NULL;
    nd_map_off *beg = NULL, *end = NULL;
    size_t *sb = NULL, *se = NULL;
    size_t cap = 0, m = 0, w = 0;
    utf8proc_int32_t *run_buf = NULL;
    size_t run_cap = 0;

    *cps_out = NULL;
    *begin_out = NULL;
    *end_out = NULL;
    *count = 0;
    if (n == 0) return ND_OK;
    if (n > ND_MAP_MAX) return ND_ERR_TOO_LARGE;
    /* 1. decode, with the byte span of every code point */
    ND_CHECK(ND_GROW(nm->cps, nm->cps_cap, n));
    m = nd_utf8_decode(s, n, nm->cps);
    if (m > SIZE_MAX / 2) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(ND_GROW(nm->span, nm->span_cap, 2 * m));
    sb = nm->span;
    se = nm->span + m;
    {
        size_t i = 0, k = 0;
        while (i < n && k < m) {
            size_t adv;
            (void)nd_utf8_next(s + i, n - i, &adv);
            sb[k] = i;
            se[k] = i + adv;
            i += adv;
            k++;
        }
        if (i != n || k != m) {
            st = ND_ERR_INTERNAL;
            goto out;
        }
    }
    /* 2. pinyin annotations (as nd_py_remove, keeping the spans aligned) */
    if (nm->flags & ND_NORM_PINYIN) {
        size_t k = 0;
        for (size_t i = 0; i < m;) {
            if (k > 0 && nd_is_open_paren(nm->cps[i])) {
                size_t e = nd_py_match(nm->cps, m, i, nm->cps[k - 1]);
                if (e != i) {
                    i = e;
                    continue;
                }
            }
            nm->cps[k] = nm->cps[i];
            sb[k] = sb[i];
            se[k] = se[i];
            k++;
            i++;
        }
        m = k;
    }
    /* the output is sized for one code point out per code point in (most
     * text: expansions and drops nearly cancel); nd_map_put grows it when a
     * text expands more, so the arrays are not copied while they fill */
    cap = m + 64;
    cps = nd_mallocn(cap, sizeof *cps);
    beg = nd_mallocn(cap, sizeof *beg);
    end = nd_mallocn(cap, sizeof *end);
    if (!cps || !beg || !end) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    /* 3. NFKC / case folding per run; 4-5 per output code point */
    {
        const unsigned nfkc = nm->flags & ND_NORM_NFKC, cf = nm->flags & ND_NORM_CASEFOLD;
        const int t2s = (nm->flags & ND_NORM_T2S) != 0;
        const int strip = (nm->flags & ND_NORM_STRIP) != 0;
        unsigned map = nfkc && cf ? ND_UT_MAP_NFKC_CF : nfkc ? ND_UT_MAP_NFKC : ND_UT_MAP_CF;
        utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
        if (nfkc) opts |= UTF8PROC_COMPAT;
        if (cf) opts |= UTF8PROC_CASEFOLD;
        uint32_t one[1];
        for (size_t i = 0; i < m;) {
            size_t j = i + 1;
            const uint32_t *piece;
            size_t plen;
            if (nfkc || cf) {
                while (j < m && (nd_ut_prop(nm->cps[j]) & ND_UT_SLOW)) j++;
            }
            if (!nfkc && !cf) {
                one[0] = nm->cps[i];
                piece = one;
                plen = 1;
            } else if (j == i + 1 && !(nd_ut_prop(nm->cps[i]) & ND_UT_SLOW)) {
                uint32_t e = nd_ut_map_entry(map, nm->cps[i]);
                if (!(e & ND_UT_EXPAND)) {
                    one[0] = nd_ut_apply(nm->cps[i], e);
                    piece = one;
                    plen = 1;
                } else {
                    piece = nd_ut_pool + ND_UT_EXP_OFF(e);
                    plen = ND_UT_EXP_LEN(e);
                }
            } else {
                size_t len = 0;
                ND_CHECK(ND_GROW(nm->utf8, nm->utf8_cap, 4 * (j - i) + 1));
                for (size_t k = i; k < j; k++)
                    len += nd_utf8_encode(nm->cps[k], (uint8_t *)nm->utf8 + len);
                utf8proc_ssize_t r;
                if (run_cap < 4 * (j - i) + 8) ND_CHECK(ND_GROW(run_buf, run_cap, 4 * (j - i) + 8));
                for (;;) {
                    r = utf8proc_decompose((const utf8proc_uint8_t *)nm->utf8,
                                           (utf8proc_ssize_t)len, run_buf,
                                           (utf8proc_ssize_t)run_cap, opts);
                    if (r < 0) {
                        st = ND_ERR_INTERNAL;
                        goto out;
                    }
                    if ((size_t)r <= run_cap) break;
                    ND_CHECK(ND_GROW(run_buf, run_cap, (size_t)r));
                }
                r = utf8proc_normalize_utf32(run_buf, r, opts);
                if (r < 0) {
                    st = ND_ERR_INTERNAL;
                    goto out;
                }
                piece = (const uint32_t *)run_buf;
                plen = (size_t)r;
            }
            for (size_t k = 0; k < plen; k++) {
                uint32_t cp = piece[k];
                if (t2s) cp = nd_ut_apply(cp, nd_ut_map_entry(ND_UT_MAP_T2S, cp));
                unsigned cls = nd_ut_prop(cp) & ND_UT_CLASS_MASK;
                if (cls == ND_UT_CLASS_DROP || cls == ND_UT_CLASS_SPACE ||
                    (cls == ND_UT_CLASS_PUNCT && strip))
                    continue;
                ND_CHECK(nd_map_put(&cps, &beg, &end, &cap, w, cp, sb[i], se[j - 1]));
                w++;
            }
            i = j;
        }
    }
    map_hand_over(&cps, &beg, &end, w, cap, cps_out, begin_out, end_out, count);
out:
    free(cps);
    free(beg);
    free(end);
    free(run_buf);
    return st;
}

/* The output of the single-pass mapped normaliser: code points and either
 * the begin and end offsets (wide) or the compact map (nd_cmap) written as
 * it goes - the steps and spans in adv[] and len[] of cap entries, the
 * block's base[] of one begin per ND_CMAP_BLOCK - laid out for cap
 * characters in one block and moved to the layout of w when done. */
typedef struct map_out {
    uint32_t *cps;
    nd_map_off *beg, *end; /* wide */
    void *blk;             /* compact: nd_cmap_bytes(cap) bytes */
    nd_map_off *base;
    uint8_t *adv, *len;
    size_t cap, w;
    size_t last;  /* compact: begin of the last character */
    unsigned bad; /* compact: a step or a span of 255 bytes or more */
} map_out;

static void map_out_release(map_out *o) {
    free(o->cps);
    free(o->beg);
    free(o->end);
    free(o->blk);
    memset(o, 0, sizeof *o);
}

/* Points base, adv and len into o->blk laid out for cap characters. */
static void map_out_layout(map_out *o, size_t cap) {
    nd_cmap m;
    nd_cmap_at(o->blk, cap, &m);
    o->base = (nd_map_off *)o->blk;
    o->adv = (uint8_t *)(uintptr_t)m.adv;
    o->len = (uint8_t *)(uintptr_t)m.len;
}

/* Room for at least need characters (o->w kept). */
static nd_status map_out_grow(map_out *o, int compact, size_t need) {
    size_t c1 = o->cap, c2 = o->cap;
    if (need <= o->cap) return ND_OK;
    ND_TRY(ND_GROW(o->cps, c1, need));
    if (!compact) {
        size_t c3 = o->cap;
        ND_TRY(ND_GROW(o->beg, c2, need));
        ND_TRY(ND_GROW(o->end, c3, need));
        o->cap = ND_MIN(c1, ND_MIN(c2, c3));
        return ND_OK;
    }
    /* a new block: its layout depends on the capacity */
    size_t cap = c1;
    void *blk = malloc(nd_cmap_bytes(cap));
    if (!blk) return ND_ERR_NOMEM;
    map_out old = *o;
    o->blk = blk;
    map_out_layout(o, cap);
    memcpy(o->base, old.base, (o->w + ND_CMAP_BLOCK - 1) / ND_CMAP_BLOCK * sizeof *o->base);
    memcpy(o->adv, old.adv, o->w);
    memcpy(o->len, old.len, o->w);
    free(old.blk);
    o->cap = cap;
    return ND_OK;
}

static nd_status map_out_init(map_out *o, int compact, size_t cap) {
    memset(o, 0, sizeof *o);
    o->cps = nd_mallocn(cap, sizeof *o->cps);
    if (compact) {
        o->blk = malloc(nd_cmap_bytes(cap));
        if (o->blk) map_out_layout(o, cap);
    } else {
        o->beg = nd_mallocn(cap, sizeof *o->beg);
        o->end = nd_mallocn(cap, sizeof *o->end);
    }
    if (!o->cps || (compact ? !o->blk : !o->beg || !o->end)) return ND_ERR_NOMEM;
    o->cap = cap;
    return ND_OK;
}

/*
 * nd_norm_chars_mapped for the flags NFKC + CASEFOLD + T2S (PINYIN and STRIP
 * either way) in one pass over the bytes, with the fused table, as
 * nd_norm_tokens_fused does for tokens: decode (ASCII and well-formed 3-byte
 * sequences inline), pinyin annotations on '(' and U+FF08 only, one lookup
 * for the mapping and the class, and each output code point mapped to the
 * bytes of the code point it came from - what the general path gives, since
 * every run there is one code point when none is marked ND_UT_SLOW.  On the
 * first such code point it stops with *slow = 1 and the caller takes the
 * general path for the whole text.  The output is sized for one code point
 * per input code point (counted first; expansions grow it), so the arrays
 * are not copied while they fill - the passage stage keeps them, and the
 * copies and page faults of doubling were a fifth of its time.  With
 * compact, the map is written compact as it goes (nd_norm_chars_cmapped;
 * *o->bad when it cannot be), not as offsets to be packed after.
 * tests/test_fastpath.c checks it against the general path,
 * tests/test_passages.c the compact map against the offsets.
 */
static nd_status chars_mapped_fused(nd_norm *nm, const uint8_t *s, size_t n, int compact,
                                    map_out *o, int *slow) {
    const int strip = (nm->flags & ND_NORM_STRIP) != 0;
    const int pinyin = (nm->flags & ND_NORM_PINYIN) != 0;
    nd_status st = ND_OK;
    uint32_t prev = ND_FP_NO_PREV;
    size_t m = 0, i = 0;
    *slow = 0;
    { /* code points: bytes that are not continuation bytes, 8 at a time */
        size_t k = 0, cont = 0;
        for (; k + 8 <= n; k += 8) {
            uint64_t x;
            memcpy(&x, s + k, 8);
            uint64_t y = (x & ~(x << 1) & UINT64_C(0x8080808080808080)) >> 7;
            cont += (size_t)((y * UINT64_C(0x0101010101010101)) >> 56); /* bytes 0/1 */
        }
        for (; k < n; k++) cont += (s[k] & 0xC0u) == 0x80u;
        m = n - cont;
    }
    /* ASCII by a table made here (punctuation depends on strip): the
     * output character, 0 when it is dropped, 0xFF for what the general
     * loop below must see ('(' may open a pinyin annotation) */
    uint8_t ascii[128];
    for (uint32_t c = 0; c < 128; c++) {
        uint32_t e = nd_ut_fused(c);
        uint32_t out = (c + e) & ND_UT_F_CP_MASK;
        unsigned cls = (e >> ND_UT_F_CLASS_SHIFT) & ND_UT_CLASS_MASK;
        if (c == '(' || (e & (ND_UT_F_SLOW | ND_UT_F_EXPAND)) || out >= 0x80u)
            ascii[c] = 0xFF;
        else if (cls == ND_UT_CLASS_DROP || cls == ND_UT_CLASS_SPACE ||
                 (cls == ND_UT_CLASS_PUNCT && strip))
            ascii[c] = 0;
        else
            ascii[c] = out ? (uint8_t)out : 0xFF;
    }
    /* the output in locals: stores through adv and len (bytes) may alias
     * any field of *o, which the loop would then load again and again */
    size_t w = 0, last = 0;
    unsigned bad = 0;
    ND_CHECK(map_out_init(o, compact, m + ND_UT_MAX_EXPANSION + 64));
    uint32_t *cps = o->cps;
    nd_map_off *beg = o->beg, *end = o->end, *base = o->base;
    uint8_t *advs = o->adv, *lens = o->len;
    size_t cap = o->cap;
#define ND_MAP_PUT(cp_, b_, e_)                                                                    \
    do {                                                                                           \
        size_t b0 = (b_), e0 = (e_);                                                               \
        cps[w] = (cp_);                                                                            \
        if (compact) {                                                                             \
            size_t a0 = w ? b0 - last : 0, l0 = e0 - b0;                                           \
            bad |= (unsigned)(a0 >= 255) | (unsigned)(l0 >= 255);                                  \
            advs[w] = (uint8_t)a0;                                                                 \
            lens[w] = (uint8_t)l0;                                                                 \
            if (w % ND_CMAP_BLOCK == 0) base[w / ND_CMAP_BLOCK] = (nd_map_off)b0;                  \
            last = b0;                                                                             \
        } else {                                                                                   \
            beg[w] = (nd_map_off)b0;                                                               \
            end[w] = (nd_map_off)e0;                                                               \
        }                                                                                          \
        w++;                                                                                       \
    } while (0)
    while (i < n) {
        uint32_t c = s[i], cp;
        size_t adv;
        if (c < 0x80u && ascii[c] != 0xFF && w < cap) {
            if (ascii[c]) ND_MAP_PUT(ascii[c], i, i + 1);
            prev = c;
            i++;
            continue;
        }
        /* CJK Unified Ideographs (most of Chinese text): one code point of
         * class CJK each, never '(' (unitab.h), so no test of the entry;
         * tested on four bytes loaded at once where there are four, as
         * nd_fp_plain does (callgrind: a third of the loop's instructions) */
        if (n - i >= 4 && w < cap) {
            uint32_t x = nd_fp_load(s + i);
            cp = (x & 0x0Fu) << 12 | (x & 0x3F00u) >> 2 | (x >> 16 & 0x3Fu);
            if ((x & 0xC0C0F0u) == 0x8080E0u && cp - ND_UT_CJK_LO < ND_UT_CJK_HI - ND_UT_CJK_LO) {
                ND_MAP_PUT((cp + nd_ut_fused_cjk(cp)) & ND_UT_F_CP_MASK, i, i + 3);
                prev = cp;
                i += 3;
                /* the rest of a run of them: each begins 3 bytes after the
                 * last, a step and a span of 3 */
                while (n - i >= 4 && w < cap) {
                    x = nd_fp_load(s + i);
                    cp = (x & 0x0Fu) << 12 | (x & 0x3F00u) >> 2 | (x >> 16 & 0x3Fu);
                    if ((x & 0xC0C0F0u) != 0x8080E0u ||
                        cp - ND_UT_CJK_LO >= ND_UT_CJK_HI - ND_UT_CJK_LO)
                        break;
                    cps[w] = (cp + nd_ut_fused_cjk(cp)) & ND_UT_F_CP_MASK;
                    if (compact) {
                        advs[w] = 3;
                        lens[w] = 3;
                        if (w % ND_CMAP_BLOCK == 0) base[w / ND_CMAP_BLOCK] = (nd_map_off)i;
                        last = i;
                    } else {
                        beg[w] = (nd_map_off)i;
                        end[w] = (nd_map_off)(i + 3);
                    }
                    w++;
                    prev = cp;
                    i += 3;
                }
                continue;
            }
        }
        if (c - 0xE4u <= 0xE9u - 0xE4u && n - i >= 3 && (s[i + 1] & 0xC0u) == 0x80u &&
            (s[i + 2] & 0xC0u) == 0x80u &&
            (cp = (c & 0x0Fu) << 12 | (s[i + 1] & 0x3Fu) << 6 | (s[i + 2] & 0x3Fu),
             cp - ND_UT_CJK_LO < ND_UT_CJK_HI - ND_UT_CJK_LO) &&
            w < cap) {
            ND_MAP_PUT((cp + nd_ut_fused_cjk(cp)) & ND_UT_F_CP_MASK, i, i + 3);
            prev = cp;
            i += 3;
            continue;
        }
        cp = fused_next(s, n, i, &adv);
        size_t skip = fused_annotation(s, n, i, adv, cp, pinyin, prev);
        if (skip) {
            i += skip;
            continue;
        }
        uint32_t e = nd_ut_fused(cp);
        if (e & ND_UT_F_SLOW) {
            *slow = 1;
            goto out;
        }
        const uint32_t *ex = &e;
        size_t len = 1;
        uint32_t one;
        if (e & ND_UT_F_EXPAND) {
            len = ND_UT_F_EXP_LEN(e);
            ex = nd_ut_fused_pool + ND_UT_F_EXP_OFF(e);
        } else {
            one = ((cp + e) & ND_UT_F_CP_MASK) | (e & ~ND_UT_F_CP_MASK);
            ex = &one;
        }
        if (w + len > cap) {
            o->w = w;
            ND_CHECK(map_out_grow(o, compact, w + len));
            cps = o->cps;
            beg = o->beg;
            end = o->end;
            base = o->base;
            advs = o->adv;
            lens = o->len;
            cap = o->cap;
        }
        for (size_t k = 0; k < len; k++) {
            unsigned cls = (ex[k] >> ND_UT_F_CLASS_SHIFT) & ND_UT_CLASS_MASK;
            if (cls == ND_UT_CLASS_DROP || cls == ND_UT_CLASS_SPACE ||
                (cls == ND_UT_CLASS_PUNCT && strip))
                continue;
            ND_MAP_PUT(ex[k] & ND_UT_F_CP_MASK, i, i + adv);
        }
        prev = cp;
        i += adv;
    }
#undef ND_MAP_PUT
out:
    o->w = w;
    o->bad = bad;
    return st;
}

nd_status nd_norm_chars_mapped(nd_norm *nm, const uint8_t *s, size_t n, uint32_t **cps,
                               nd_map_off **begin, nd_map_off **end, size_t *count) {
    *cps = NULL;
    *begin = NULL;
    *end = NULL;
    *count = 0;
    if (n > ND_MAP_MAX) return ND_ERR_TOO_LARGE;
    if ((nm->flags & ND_NORM_FUSED_FLAGS) == ND_NORM_FUSED_FLAGS && n) {
        int slow = 0;
        map_out o;
        nd_status st = chars_mapped_fused(nm, s, n, 0, &o, &slow);
        if (st == ND_OK && !slow)
            map_hand_over(&o.cps, &o.beg, &o.end, o.w, o.cap, cps, begin, end, count);
        map_out_release(&o);
        if (st != ND_OK || !slow) return st;
    }
    return nd_norm_chars_mapped_general(nm, s, n, cps, begin, end, count);
}

/* Moves a compact output's adv and len down to the layout of its o->w
 * characters, gives the rest back and hands the block and the code points
 * over. */
static void map_hand_over_compact(map_out *o, uint32_t **cps, void **cmap, size_t *count) {
    size_t w = o->w;
    nd_cmap m;
    *count = w;
    if (w == 0) return;
    nd_cmap_at(o->blk, w, &m);
    memmove((uint8_t *)(uintptr_t)m.adv, o->adv, w);
    memmove((uint8_t *)(uintptr_t)m.len, o->len, w);
    if (w + 64 < o->cap) {
        uint32_t *c = realloc(o->cps, w * sizeof *o->cps);
        if (c) o->cps = c;
        void *b = realloc(o->blk, nd_cmap_bytes(w));
        if (b) o->blk = b;
    }
    *cps = o->cps;
    *cmap = o->blk;
    o->cps = NULL;
    o->blk = NULL;
}

nd_status nd_norm_chars_cmapped(nd_norm *nm, const uint8_t *s, size_t n, uint32_t **cps,
                                void **cmap, nd_map_off **begin, nd_map_off **end, size_t *count) {
    nd_status st = ND_OK;
    *cps = NULL;
    *cmap = NULL;
    *begin = NULL;
    *end = NULL;
    *count = 0;
    if (n > ND_MAP_MAX) return ND_ERR_TOO_LARGE;
    if ((nm->flags & ND_NORM_FUSED_FLAGS) == ND_NORM_FUSED_FLAGS && n) {
        int slow = 0;
        map_out o;
        st = chars_mapped_fused(nm, s, n, 1, &o, &slow);
        const unsigned bad = o.bad;
        if (st == ND_OK && !slow && !bad) map_hand_over_compact(&o, cps, cmap, count);
        map_out_release(&o);
        if (st != ND_OK || (!slow && !bad)) return st;
        if (!slow) return nd_norm_chars_mapped(nm, s, n, cps, begin, end, count); /* wide */
    }
    /* the general path, then packed when it can be */
    ND_TRY(nd_norm_chars_mapped_general(nm, s, n, cps, begin, end, count));
    void *blk = *count ? malloc(nd_cmap_bytes(*count)) : NULL;
    nd_cmap m;
    if (blk && nd_cmap_fill(*begin, *end, *count, blk, &m)) {
        free(*begin);
        free(*end);
        *begin = *end = NULL;
        *cmap = blk;
    } else {
        free(blk);
    }
    return st;
}
