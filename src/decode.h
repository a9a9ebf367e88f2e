/*
 * decode.h - the decoder stage: documents in other encodings than UTF-8
 * become UTF-8 text plus an offset map back to their original bytes
 * (private; the design is in decode.c).
 */
#ifndef ND_DECODE_H
#define ND_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* Longest encoding name kept (lower case, NUL included); nd_options.encoding
 * has the same size. */
#define ND_ENC_NAME ND_ENCODING_MAX

/* ---- Sniffing: the decision taken on a document's first bytes ---------- */

typedef enum nd_sniff_kind {
    ND_SNIFF_UTF8 = 0, /* read as it is (UTF-8, ASCII or a UTF-8 BOM) */
    ND_SNIFF_BINARY,   /* a NUL byte that no UTF-16/UTF-32 reading explains */
    ND_SNIFF_DECODE    /* decode: out.enc names the encoding, or is "" when
                          the detector must look at the whole document */
} nd_sniff_kind;

typedef struct nd_sniff_in {
    const uint8_t *head; /* the document's first bytes (input.c: 8 KiB) */
    size_t len;
    uint64_t size;        /* the whole document's size (head may be a prefix) */
    const char *encoding; /* nd_options.encoding: "", "auto" or a name */
} nd_sniff_in;

typedef struct nd_sniff_out {
    nd_sniff_kind kind;
    char enc[ND_ENC_NAME]; /* ND_SNIFF_DECODE: iconv name, lower case, or "" */
    unsigned bom;          /* ND_SNIFF_DECODE: bytes of byte-order mark to
                              skip (UTF-16: 2, UTF-32: 4), else 0 */
} nd_sniff_out;

/* One pass over in->head: the byte-order marks, the UTF-16/UTF-32 test
 * (only when a NUL byte is present) and UTF-8 validation.  Pure. */
void nd_decode_sniff(const nd_sniff_in *in, nd_sniff_out *out);

/* Is `name` "auto" (or empty), or an encoding iconv can decode into UTF-8?
 * For nd_options_check. */
int nd_decode_name_ok(const char *name);

/* ---- The offset map ------------------------------------------------------ */

/* A run of n characters of equal widths: each takes dw bytes of the decoded
 * UTF-8 text and ow bytes of the original, the first starting at decoded
 * offset dec and original offset orig.  dw is 0 for original bytes that
 * decode to nothing (a byte-order mark, a shift sequence). */
typedef struct nd_decmap_seg {
    uint64_t dec, orig;
    uint32_t n;
    uint8_t dw, ow;
    uint16_t pad_; /* always 0 */
} nd_decmap_seg;

/* Runs in increasing order of dec (and orig); the last one is a sentinel
 * with n 0 at the end of both texts. */
typedef struct nd_decmap {
    nd_decmap_seg *seg;
    size_t n, cap;
} nd_decmap;

/* The original offset of decoded offset `dec`, which should be a character
 * boundary (inside a character it gives the character's start); offsets at
 * or past the end give the original size.  Original bytes that decode to
 * nothing count before the character after them. */
uint64_t nd_decmap_orig(const nd_decmap *m, uint64_t dec);

/* The original size (0 for an empty map). */
uint64_t nd_decmap_orig_size(const nd_decmap *m);
/* Appends `count` characters of widths dw (decoded bytes) and ow (original
 * bytes) at (*dec, *orig), which it advances; a run of equal widths is one
 * segment.  ND_ERR_NOMEM. */
nd_status nd_decmap_add(nd_decmap *m, uint64_t *dec, uint64_t *orig, unsigned dw, unsigned ow,
                        uint64_t count);

void nd_decmap_release(nd_decmap *m);

/* A lighter map for a text that differs from its original only by escapes
 * that each take one byte more than the character they stand for (JSON's
 * \n, \", \\, \/, \b, \f, \r, \t): the decoded offsets of the escaped
 * characters, 4 bytes each (an nd_decmap needs two 24-byte segments per
 * escape).  jsonl.c uses it for records without \uXXXX escapes. */
typedef struct nd_escmap {
    uint64_t base; /* the original offset of decoded offset 0 */
    uint64_t len;  /* the decoded length (< 2^32) */
    uint32_t *pos; /* decoded offsets of the escaped characters, ascending */
    size_t n, cap;
    unsigned char on; /* the map is in use (n may be 0) */
} nd_escmap;

/* base + dec + the escapes before dec (dec past the end: the end). */
uint64_t nd_escmap_orig(const nd_escmap *m, uint64_t dec);
void nd_escmap_release(nd_escmap *m);

/* ---- Decoding ------------------------------------------------------------ */

typedef struct nd_decode_in {
    const uint8_t *src; /* the whole original document */
    size_t len;
    const char *enc;  /* an iconv name, or "" to detect (libuchardet) */
    unsigned bom;     /* bytes at the start to skip (from nd_decode_sniff) */
    uint64_t max_len; /* limit of the decoded text (ND_ERR_TOO_LARGE) */
} nd_decode_in;

typedef struct nd_decode_out {
    uint8_t *text; /* malloc'ed UTF-8, or NULL when utf8 is 1 */
    size_t len;
    nd_decmap map;         /* decoded -> original offsets */
    char enc[ND_ENC_NAME]; /* the encoding decoded (lower case) */
    unsigned char utf8;    /* the detector found UTF-8 or ASCII: nothing was
                               decoded, the document is read as it is */
    unsigned char unsure;  /* the encoding was guessed: no answer from the
                               detector, too few non-ASCII bytes to tell, or
                               bytes the guess cannot decode */
    uint64_t invalid;      /* bytes (UTF-16/UTF-32: code units) that did not
                               decode; each became one U+FFFD */
} nd_decode_out;

/* Decodes in->src into UTF-8.  Invalid or truncated sequences become U+FFFD,
 * one per byte (UTF-16/UTF-32: per code unit), so any input decodes.  ND_ERR_FORMAT if in->enc is not an
 * encoding iconv knows, ND_ERR_TOO_LARGE, ND_ERR_NOMEM.  *out is filled on
 * success (release with nd_decode_release) and zeroed otherwise. */
nd_status nd_decode(const nd_decode_in *in, nd_decode_out *out);
void nd_decode_release(nd_decode_out *out);

#endif /* ND_DECODE_H */
