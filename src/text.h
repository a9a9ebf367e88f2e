/*
 * text.h - UTF-8 decoding, normalisation and tokenisation (private).
 *
 * A paragraph's bytes go through, in this order:
 *   1. UTF-8 decoding: invalid bytes become U+FFFD (one per maximal subpart,
 *      the Unicode "best practice"); overlong forms and surrogates are invalid.
 *   2. pinyin annotation removal (ND_NORM_PINYIN), on the decoded code points;
 *   3. NFKC (ND_NORM_NFKC) and case folding (ND_NORM_CASEFOLD), per code point
 *      from generated tables, with a whole-paragraph utf8proc fallback only for
 *      paragraphs that contain combining characters;
 *   4. Traditional -> Simplified folding (ND_NORM_T2S), per code point from a
 *      table generated from OpenCC's TSCharacters data;
 *   5. removal of whitespace, punctuation and symbols (ND_NORM_STRIP) - and of
 *      controls, format characters and noncharacters, always;
 *   6. tokenisation: every Han, kana or hangul character is one token; a run
 *      of other letters, marks and digits is one token.
 *
 * Token values (part of the signature format; changing them changes every
 * golden vector):
 *   - a token of one code point has the value of that code point;
 *   - a longer token of up to 16 UTF-8 bytes b[0..n-1] has the value H16 | 1 << 63:
 *     with lo, hi the bytes as two little-endian 64-bit words, zero past n,
 *     p = (lo ^ 0x9E3779B97F4A7C15) * (hi ^ 0xC2B2AE3D27D4EB4F ^ n) as a 128-bit
 *     product, h = low(p) ^ high(p), h ^= h >> 29, h *= 0xBF58476D1CE4E5B9,
 *     H16 = h ^ h >> 32 (since 0.4.0: nearly every word, hashed without a
 *     branch on its length);
 *   - a longer token of more bytes has the value XXH3_64bits(its bytes) | 1 << 63.
 */
#ifndef ND_TEXT_H
#define ND_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

#define ND_REPLACEMENT_CHAR 0xFFFDu

/* Returned by nd_utf8_next for an ill-formed sequence. */
#define ND_UTF8_INVALID UINT32_C(0xFFFFFFFF)

/* Decodes the character at s[0..n-1] (n >= 1).  Returns its code point, or
 * ND_UTF8_INVALID for a bad lead byte, a bad or missing continuation, an
 * overlong form, a surrogate or a value above U+10FFFF; *adv receives the
 * bytes consumed (>= 1): for invalid input, one maximal subpart (Unicode's
 * "best practice" for U+FFFD substitution, Table 3-7).  Every decoder in the
 * project goes through this function. */
static inline uint32_t nd_utf8_next(const uint8_t *s, size_t n, size_t *adv) {
    uint32_t b = s[0];
    if (b < 0x80) {
        *adv = 1;
        return b;
    }
    unsigned need;
    uint32_t lo = 0x80, hi = 0xBF, cp;
    if (b >= 0xC2 && b <= 0xDF) {
        need = 1;
        cp = b & 0x1F;
    } else if (b >= 0xE0 && b <= 0xEF) {
        need = 2;
        cp = b & 0x0F;
        if (b == 0xE0)
            lo = 0xA0; /* no overlongs */
        else if (b == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (b >= 0xF0 && b <= 0xF4) {
        need = 3;
        cp = b & 0x07;
        if (b == 0xF0)
            lo = 0x90; /* no overlongs */
        else if (b == 0xF4)
            hi = 0x8F; /* nothing above U+10FFFF */
    } else {
        *adv = 1; /* 80..C1, F5..FF never start a well-formed sequence */
        return ND_UTF8_INVALID;
    }
    if (n < 2 || s[1] < lo || s[1] > hi) {
        *adv = 1; /* the lead byte alone */
        return ND_UTF8_INVALID;
    }
    cp = (cp << 6) | (s[1] & 0x3Fu);
    size_t j = 2;
    while (j <= need && j < n && (s[j] & 0xC0u) == 0x80u) cp = (cp << 6) | (s[j++] & 0x3Fu);
    *adv = j;
    /* a truncated but so-far valid prefix is one maximal subpart */
    return j == need + 1 ? cp : ND_UTF8_INVALID;
}

/* Decodes s[0..n-1] into out (which must hold n code points), replacing
 * invalid sequences with U+FFFD.  Returns the number of code points. */
size_t nd_utf8_decode(const uint8_t *s, size_t n, uint32_t *out);

/* Encodes cp (must be a valid scalar value) into out[0..3]; returns 1-4. */
size_t nd_utf8_encode(uint32_t cp, uint8_t *out);

/* Display width of a code point in a terminal: 0, 1 or 2 (East Asian wide). */
int nd_char_width(uint32_t cp);

/* Per-thread normaliser: owns growable scratch buffers, no allocation per
 * paragraph once the buffers are large enough. */
typedef struct nd_norm {
    unsigned flags; /* ND_NORM_* */
    uint32_t *cps;  /* scratch: decoded code points */
    size_t cps_cap;
    uint32_t *out; /* scratch: normalised code points */
    size_t out_cap;
    uint64_t *tokens; /* result of nd_norm_tokens */
    size_t tokens_cap;
    char *utf8; /* scratch for multi-code-point tokens */
    size_t utf8_cap;
    size_t *span; /* scratch of nd_norm_chars_mapped: each decoded
                              code point's first and end byte */
    size_t span_cap;
    int simd; /* 1: nd_norm_tokens may take its AVX2 ASCII block
                              loop; set by nd_norm_init from the CPU, cleared
                              by tests to check the scalar loop alone */
} nd_norm;

void nd_norm_init(nd_norm *nm, unsigned flags);
void nd_norm_release(nd_norm *nm);

/* Normalises s[0..n-1] into code points (steps 1-5).  *cps points into the
 * normaliser's scratch and stays valid until the next call; *count gets the
 * number of normalised characters. */
nd_status nd_norm_chars(nd_norm *nm, const uint8_t *s, size_t n, const uint32_t **cps,
                        size_t *count);

/* Normalises and tokenises s[0..n-1] (steps 1-6).  *tokens points into the
 * normaliser's scratch (valid until the next call), *ntokens tokens, and
 * *nchars receives the number of normalised characters. */
nd_status nd_norm_tokens(nd_norm *nm, const uint8_t *s, size_t n, const uint64_t **tokens,
                         size_t *ntokens, size_t *nchars);

/* The same through the general multi-pass path whatever the flags (the
 * single-pass one is used by nd_norm_tokens for NFKC+CASEFOLD+T2S); for the
 * equivalence test. */
nd_status nd_norm_tokens_general(nd_norm *nm, const uint8_t *s, size_t n, const uint64_t **tokens,
                                 size_t *ntokens, size_t *nchars);

/* A byte offset in the text of a mapped normalisation: 32 bits (12 bytes
 * a character with the code point, where 64-bit offsets took 20), so a
 * mapped text is at most ND_MAP_MAX bytes. */
typedef uint32_t nd_map_off;
#define ND_MAP_MAX ((size_t)UINT32_MAX)

/* A mapped text's offsets in about 2 bytes a character instead of 8, for
 * the texts the passage stages keep (stage_fingerprint.c): adv[i] = beg[i]
 * - beg[i - 1] (adv[0] = 0) and len[i] = end[i] - beg[i], each below 255,
 * and base[b] = beg[64 b].  One block of nd_cmap_bytes(n) bytes holds the
 * three arrays (base first, 4-byte aligned).  A begin offset is a sum of at
 * most 63 steps; the passage stages read offsets only at passage ends. */
typedef struct nd_cmap {
    const nd_map_off *base;
    const uint8_t *adv, *len;
} nd_cmap;
#define ND_CMAP_BLOCK 64

/* Bytes of the block for n characters. */
size_t nd_cmap_bytes(size_t n);
/* Fills the block `block` (nd_cmap_bytes(n) bytes, 4-byte aligned) from
 * beg/end[0..n-1] and points *m into it; 0 (and nothing usable) when a step
 * or a span is 255 bytes or more. */
int nd_cmap_fill(const nd_map_off *beg, const nd_map_off *end, size_t n, void *block, nd_cmap *m);
/* Points *m into a block filled by nd_cmap_fill for n characters. */
void nd_cmap_at(void *block, size_t n, nd_cmap *m);

static inline size_t nd_cmap_beg(const nd_cmap *m, size_t i) {
    size_t b = m->base[i / ND_CMAP_BLOCK];
    for (size_t k = i - i % ND_CMAP_BLOCK + 1; k <= i; k++) b += m->adv[k];
    return b;
}

static inline size_t nd_cmap_end(const nd_cmap *m, size_t i) {
    return nd_cmap_beg(m, i) + m->len[i];
}

/* The form a kept text's compact map takes (stage_fingerprint.c keeps
 * every document's for the alignment): most characters of a text step from
 * the last one's begin and span as many bytes as most others (3 and 3 in
 * Chinese; 1 and 1 inside a word of English), so the text keeps that
 * usual pair once (dflt: step | span << 8), a bit per character set where
 * a character differs (an exception: by its span, or by its step unless it
 * is the first of a group of ND_CMAP_BLOCK), and per group the begin of its
 * first character and the index of its first exception; the exceptions'
 * steps and spans follow, in order, a pair of bytes each (xpair: step |
 * span << 8, so that no reader needs X to find the spans: it would be a
 * cache miss at the block's end for every text the alignment takes up).
 * The block, 8-aligned, for G groups and X exceptions: bits (8 G), base
 * (4 G), first (4 (G + 1); first[G] = X), dflt (4), xpair (2 X) - 16
 * bytes a group and 2 an exception,
 * where nd_cmap's arrays take 2 bytes a character (measured, 300 files
 * each: exceptions are 12.5 % of the characters of the Chinese bench
 * corpus, 20.6 % of the English one, 50 % of Debian's documentation
 * files: 0.50, 0.66 and 1.25 bytes a character instead of 2.06; a usual
 * pair per group instead of per text made no difference). */
typedef struct nd_pmap {
    const uint64_t *bits;
    const uint32_t *base, *first;
    const uint32_t *dflt; /* (read where used: a pointer costs no cache miss) */
    const uint16_t *xpair;
} nd_pmap;

/* The most bytes nd_pmap_pack needs for n characters. */
size_t nd_pmap_max_bytes(size_t n);
/* Packs raw map m of n characters into block (8-aligned, of
 * nd_pmap_max_bytes(n) bytes) and returns the bytes used, from the
 * block's start. */
size_t nd_pmap_pack(const nd_cmap *m, size_t n, void *block);
/* Points *p into a packed block of n characters. */
void nd_pmap_at(const void *block, size_t n, nd_pmap *p);
/* The bytes of a packed block of n characters (what nd_pmap_pack
 * returned), read from its first nd_pmap_head(n) bytes. */
size_t nd_pmap_size(const void *block, size_t n);
size_t nd_pmap_head(size_t n);

/* Character i's exception index and whether it is one. */
static inline int nd_pmap_exc(const nd_pmap *p, size_t i, size_t *x) {
    const size_t g = i / ND_CMAP_BLOCK, j = i % ND_CMAP_BLOCK;
    const uint64_t bits = p->bits[g];
    *x = p->first[g] + (size_t)__builtin_popcountll(bits & ((UINT64_C(1) << j) - 1));
    return (int)(bits >> j & 1u);
}

static inline size_t nd_pmap_beg(const nd_pmap *p, size_t i) {
    const size_t g = i / ND_CMAP_BLOCK, j = i % ND_CMAP_BLOCK;
    /* characters 1..j of the group: the usual step for the others, the
     * exceptions' own (character 0's exception, if it is one, is before
     * them and only its span counts) */
    const uint64_t in = p->bits[g] & ((UINT64_C(1) << j) - 1) << 1;
    const size_t nx = (size_t)__builtin_popcountll(in);
    size_t b = p->base[g] + (j - nx) * (*p->dflt & 0xFFu);
    const size_t x = p->first[g] + (p->bits[g] & 1u);
    for (size_t k = 0; k < nx; k++) b += p->xpair[x + k] & 0xFFu;
    return b;
}

/* The step of character i from character i - 1's begin (0 for the first). */
static inline size_t nd_pmap_adv(const nd_pmap *p, size_t i) {
    size_t x;
    if (i % ND_CMAP_BLOCK == 0) return i ? p->base[i / ND_CMAP_BLOCK] - nd_pmap_beg(p, i - 1) : 0;
    return (nd_pmap_exc(p, i, &x) ? p->xpair[x] : *p->dflt) & 0xFFu;
}

/* The bytes character i spans. */
static inline size_t nd_pmap_len(const nd_pmap *p, size_t i) {
    size_t x;
    return (size_t)((nd_pmap_exc(p, i, &x) ? (uint32_t)p->xpair[x] : *p->dflt) >> 8);
}

static inline size_t nd_pmap_end(const nd_pmap *p, size_t i) {
    return nd_pmap_beg(p, i) + nd_pmap_len(p, i);
}

/* Normalises s[0..n-1] like nd_norm_chars (steps 1-5, same code points) and
 * maps every normalised code point back to the input: (*begin)[i] and
 * (*end)[i] delimit the bytes it came from (a character of a combining
 * sequence maps to the whole sequence).  The three arrays of *count entries
 * are malloc'ed and owned by the caller (all NULL when *count is 0).  Uses
 * nm's scratch; one nm per thread.  ND_ERR_TOO_LARGE when n > ND_MAP_MAX,
 * ND_ERR_NOMEM on allocation failure. */
nd_status nd_norm_chars_mapped(nd_norm *nm, const uint8_t *s, size_t n, uint32_t **cps,
                               nd_map_off **begin, nd_map_off **end, size_t *count);

/* Like nd_norm_chars_mapped, with the map compact where it can be: *cmap
 * (malloc'ed, nd_cmap_bytes(*count) bytes, read with nd_cmap_at) and
 * *begin, *end NULL; else (a step or span of 255 bytes or more) *cmap NULL
 * and the offsets in *begin, *end - exactly what nd_norm_chars_mapped and
 * nd_cmap_fill give, without the offsets' 8 bytes a character in between
 * (the single-pass path writes the compact map directly). */
nd_status nd_norm_chars_cmapped(nd_norm *nm, const uint8_t *s, size_t n, uint32_t **cps,
                                void **cmap, nd_map_off **begin, nd_map_off **end, size_t *count);

/* The same through the general multi-pass path whatever the flags (the
 * single-pass one serves NFKC+CASEFOLD+T2S); for the equivalence test. */
nd_status nd_norm_chars_mapped_general(nd_norm *nm, const uint8_t *s, size_t n, uint32_t **cps,
                                       nd_map_off **begin, nd_map_off **end, size_t *count);

/* Is cp a character that forms a token on its own (Han, kana, hangul)? */
int nd_is_cjk_token(uint32_t cp);

#endif /* ND_TEXT_H */
