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
 *   - a longer token has the value XXH3_64bits(its UTF-8 bytes) | 1 << 63.
 */
#ifndef ND_TEXT_H
#define ND_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

#define ND_REPLACEMENT_CHAR 0xFFFDu

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
    unsigned flags;        /* ND_NORM_* */
    uint32_t *cps;         /* scratch: decoded code points */
    size_t cps_cap;
    uint32_t *out;         /* scratch: normalised code points */
    size_t out_cap;
    uint64_t *tokens;      /* result of nd_norm_tokens */
    size_t tokens_cap;
    char *utf8;            /* scratch for multi-code-point tokens */
    size_t utf8_cap;
} nd_norm;

void nd_norm_init(nd_norm *nm, unsigned flags);
void nd_norm_release(nd_norm *nm);

/* Normalises s[0..n-1] into code points (steps 1-5).  *cps points into the
 * normaliser's scratch and stays valid until the next call; *count gets the
 * number of normalised characters. */
nd_status nd_norm_chars(nd_norm *nm, const uint8_t *s, size_t n,
                        const uint32_t **cps, size_t *count);

/* Normalises and tokenises s[0..n-1] (steps 1-6).  *tokens points into the
 * normaliser's scratch (valid until the next call), *ntokens tokens, and
 * *nchars receives the number of normalised characters. */
nd_status nd_norm_tokens(nd_norm *nm, const uint8_t *s, size_t n,
                         const uint64_t **tokens, size_t *ntokens,
                         size_t *nchars);

/* Is cp a character that forms a token on its own (Han, kana, hangul)? */
int nd_is_cjk_token(uint32_t cp);

#endif /* ND_TEXT_H */
