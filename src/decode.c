/*
 * decode.c - documents in other encodings: detection, decoding to UTF-8,
 * and the map from decoded offsets back to original ones.
 *
 * What.  Every later stage reads UTF-8.  A document in UTF-16 or UTF-32
 * (with or without a byte-order mark), GB18030/GBK, Big5, Shift_JIS, EUC-JP,
 * EUC-KR, Windows-1252 or any other encoding glibc's iconv knows is decoded
 * into UTF-8 once, when it is loaded (input.c), and the stages read the
 * decoded text; reports and clean speak of the original bytes, through the
 * offset map built here.
 *
 * Deciding (nd_decode_sniff).  The decision is taken on the bytes the loader
 * reads anyway to sniff a file (its first 8 KiB), in one pass: a byte-order
 * mark names UTF-16/UTF-32; a NUL byte, which once made a file "binary",
 * now first gets a chance as UTF-16 or UTF-32 without a mark: each of the
 * four readings (32/16 bits, little/big endian) must decode the head without
 * a control character (other than tab, line ends, form feed, escape), a C1
 * control, a noncharacter or a broken surrogate, and the valid reading that
 * looks most like text (line ends and spaces, ASCII, then letters of the
 * common scripts) wins; none valid = binary, as before (and a head less than
 * a quarter NUL, control or high bytes is not tried at all: 8-bit text with
 * a stray NUL stays binary).  Without NUL bytes,
 * a head that is valid UTF-8 (a sequence cut by the end of the head is
 * allowed) is read as UTF-8 as it is: a UTF-8 file pays for the validation
 * of its first 8 KiB and nothing else - no detector call, no copy.  Only a
 * head that is not UTF-8 makes the loader read the whole file and ask
 * libuchardet what it is - unless the whole file is UTF-8 with a few bad
 * bytes (four valid multi-byte characters or more per bad byte), which is
 * read as it is, as before.  The price of deciding on the head: a file whose
 * first 8 KiB are ASCII and whose later bytes are in a legacy encoding is
 * read as UTF-8 (its stray bytes become U+FFFD, as they always did);
 * `--encoding NAME` (nd_options.encoding) decodes every file from NAME.
 *
 * Unsure.  uchardet 0.0.7 (Debian 12) gives a name and no confidence, so a
 * guess is called unsure when the detector gives no answer (then
 * Windows-1252 is taken: it decodes nearly every byte), when the file holds
 * fewer than ND_SURE_BYTES non-ASCII bytes (too little to tell Latin-1 from
 * Latin-2), or when bytes did not decode in the guessed encoding.  The
 * loader then sends one notice naming the guess.  An answer of ISO-8859-1
 * is read as Windows-1252, as browsers do (the WHATWG Encoding standard):
 * the same letters, and quotes, dashes and the euro sign where ISO-8859-1
 * has C1 controls.
 *
 * Decoding (nd_decode).  iconv converts into UTF-32LE one character per
 * call (an output room of 4 bytes, an input window of 16 bytes), so every
 * call says exactly how many original bytes the character took; the code
 * point is encoded as UTF-8 here.  UTF-16 and UTF-32 are converted a block
 * at a time instead (decode_wide), as there a character's original width
 * follows from its code point.  A byte (in UTF-16/UTF-32: a code unit)
 * that does not decode (EILSEQ, or a sequence cut by the end, EINVAL)
 * becomes U+FFFD and the conversion state is reset, so any input decodes,
 * nothing is dropped, and UTF-16 stays aligned after a lone surrogate.  In encodings
 * where a byte below 0x80 at a character boundary is always ASCII (EUC-*,
 * GB*, Big5, ISO-8859-*, Windows-125x, KOI8-*), runs of such bytes are
 * copied without a call.  UTF-16 and UTF-32 surrogate and range errors give
 * U+FFFD too (iconv refuses them; a code point that is not a scalar value is
 * replaced here).
 *
 * The offset map.  The decoded text and the original differ in the width of
 * characters, not in their order, so the map is run-length encoded: a
 * segment says "n characters, each dw decoded and ow original bytes, from
 * (dec, orig)".  English in Windows-1252 is one segment per ASCII stretch
 * and one per accented letter; Chinese in GBK one per stretch of Han
 * characters and one per ASCII stretch (line ends, digits); UTF-16 text one
 * per script change.  Original bytes that decode to nothing (a byte-order
 * mark, an ISO-2022 shift) are a segment of dw 0, so the character after
 * them is where they are counted.  A translation (nd_decmap_orig) is a
 * binary search and one division, exact at every character boundary: no
 * original byte is read again to translate, so reports and clean never
 * decode twice.  A segment is 24 bytes; text that changes width at every
 * character (rare; mixed-script UTF-16) costs 24 bytes a character.
 *
 * Look-ahead.  The map is exact when iconv turns each character's bytes
 * into that character in the call that reads them - every stateless
 * encoding above.  glibc's Windows-1255, Windows-1258 and TCVN decoders
 * hold a letter back until they see whether a combining mark follows, so
 * there a character is counted with the bytes of the call that released it
 * (the call that held it back leaves a zero-width segment): offsets can be
 * one character late.  In ISO-2022 the escape sequences are
 * zero-width segments, so a paragraph starts after the shift that precedes
 * it (clean leaves the shift in place).  tests/fuzz/fuzz_decode.c checks the
 * map against a naive recomputation in all the others.
 *
 * On disk.  Nothing here writes: input.c puts the decoded text, followed by
 * the original bytes, into the doctab's private spool (an unlinked file only
 * neardup writes), and keeps the map on the heap with the document.
 */
#include "decode.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <uchardet/uchardet.h>

#include "nd_internal.h"
#include "text.h"

/* Fewer non-ASCII bytes than this make a detected encoding a guess. */
#define ND_SURE_BYTES    16
/* Input window of one iconv call: longer than any character (GB18030: 4). */
#define ND_DECODE_WINDOW 16
/* The detector reads at most this much of a file (its answer is settled
 * long before; the rest would only cost time). */
#define ND_DETECT_BYTES  ((size_t)16 << 20)
/* Guess when the detector has no answer. */
#define ND_FALLBACK_ENC  "windows-1252"

static void lower_copy(char dst[ND_ENC_NAME], const char *src) {
    size_t i = 0;
    for (; src[i] && i + 1 < ND_ENC_NAME; i++) {
        char c = src[i];
        dst[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    dst[i] = '\0';
}

static int is_utf8_name(const char *name) {
    return strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0;
}

static int is_auto(const char *name) { return !name || !*name || strcasecmp(name, "auto") == 0; }

/* UTF-16/UTF-32/UCS names: their text holds NUL bytes. */
static int is_wide_name(const char *name) {
    return strncasecmp(name, "utf-16", 6) == 0 || strncasecmp(name, "utf-32", 6) == 0 ||
           strncasecmp(name, "utf16", 5) == 0 || strncasecmp(name, "utf32", 5) == 0 ||
           strncasecmp(name, "ucs-", 4) == 0 || strncasecmp(name, "ucs2", 4) == 0 ||
           strncasecmp(name, "ucs4", 4) == 0;
}

/* Encodings in which a byte below 0x80 at a character boundary is that
 * ASCII character (Shift_JIS is left out: 0x5C and 0x7E are not). */
static int ascii_compatible(const char *name) {
    static const char *const prefixes[] = {"euc-",        "gb",    "big5",  "iso-8859-", "iso8859",
                                           "windows-125", "cp125", "koi8-", NULL};
    for (size_t i = 0; prefixes[i]; i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) return 1;
    return 0;
}

int nd_decode_name_ok(const char *name) {
    if (is_auto(name) || is_utf8_name(name)) return 1;
    if (strlen(name) >= ND_ENC_NAME) return 0;
    iconv_t cd = iconv_open("UTF-32LE", name);
    if (cd == (iconv_t)-1) return 0;
    iconv_close(cd);
    return 1;
}

/* ------------------------------------------------------------------------ */
/* Sniffing                                                                   */
/* ------------------------------------------------------------------------ */

/* Is s[0..n-1] a valid UTF-8 prefix of an incomplete character? */
static int utf8_cut(const uint8_t *s, size_t n) {
    unsigned need = s[0] >= 0xF0 && s[0] <= 0xF4   ? 4
                    : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                    : s[0] >= 0xC2 && s[0] <= 0xDF ? 2
                                                   : 0;
    if (!need || n >= need) return 0;
    for (size_t j = 1; j < n; j++)
        if ((s[j] & 0xC0) != 0x80) return 0;
    return 1;
}

/* The continuation bytes that may follow lead byte c (RFC 3629, table 3-7:
 * no overlong form, no surrogate, nothing above U+10FFFF): how many, and
 * the range of the first; 0 for a byte that cannot lead. */
static unsigned utf8_lead(uint8_t c, uint8_t *lo, uint8_t *hi) {
    *lo = 0x80;
    *hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) return 1;
    if (c >= 0xE0 && c <= 0xEF) {
        if (c == 0xE0) *lo = 0xA0;
        if (c == 0xED) *hi = 0x9F;
        return 2;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (c == 0xF0) *lo = 0x90;
        if (c == 0xF4) *hi = 0x8F;
        return 3;
    }
    return 0;
}

/* Is h[0..n-1] valid UTF-8 (a last character cut off allowed when cut)?
 * The same answer as decoding with nd_utf8_next, at a few instructions a
 * byte: 8 ASCII bytes per step, the common three-byte characters (E1..EC,
 * EE, EF: any continuation) by one 4-byte test, the rest by the table.
 * (Decoding every character cost 22 instructions a byte of Chinese, 4 % of
 * a whole scan of it, for the 8 KiB each file's sniff reads.)  It stops,
 * valid, after ND_UTF8_ENOUGH multi-byte characters: text in a legacy
 * encoding fails far sooner (a GBK, Big5 or Shift_JIS pair, or a Latin-1
 * letter and the byte after it, forms a valid UTF-8 sequence only by
 * chance: 256 in a row do not happen), and a file that turns into another
 * encoding after that many valid characters is read as UTF-8 with U+FFFD
 * for the bytes that are not. */
#define ND_UTF8_ENOUGH 256
static int utf8_valid(const uint8_t *h, size_t n, int cut) {
    size_t i = 0;
    unsigned multi = 0;
    while (i < n && multi < ND_UTF8_ENOUGH) {
        if (n - i >= 8) {
            uint64_t w;
            memcpy(&w, h + i, sizeof w);
            if (!(w & UINT64_C(0x8080808080808080))) {
                i += 8;
                continue;
            }
        }
        uint8_t c = h[i], lo, hi;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (n - i >= 4) {
            uint32_t w = (uint32_t)h[i] | (uint32_t)h[i + 1] << 8 | (uint32_t)h[i + 2] << 16;
            if ((w & 0xC0C0F0u) == 0x8080E0u && c != 0xE0 && c != 0xED) {
                i += 3;
                multi++;
                continue;
            }
        }
        unsigned need = utf8_lead(c, &lo, &hi);
        if (!need) return 0;
        if (n - i <= need) /* the end: a character cut off? */
            return cut && utf8_cut(h + i, n - i);
        if (h[i + 1] < lo || h[i + 1] > hi) return 0;
        for (unsigned k = 2; k <= need; k++)
            if ((h[i + k] & 0xC0) != 0x80) return 0;
        i += need + 1;
        multi++;
    }
    return 1;
}

/* How much a code point looks like text (0 = neutral). */
static long text_weight(uint32_t cp) {
    if (cp == '\n' || cp == '\r' || cp == ' ' || cp == '\t') return 4;
    if (cp < 0x80) return 2;
    if ((cp >= 0xA0 && cp < 0x250) || (cp >= 0x370 && cp < 0x530) ||
        (cp >= 0x2000 && cp < 0x2070) || (cp >= 0x3000 && cp < 0x3100) ||
        (cp >= 0x4E00 && cp < 0xA000) || (cp >= 0xAC00 && cp < 0xD7A4) ||
        (cp >= 0xFF00 && cp < 0xFFF0))
        return 1;
    return 0;
}

/* Is cp impossible in text (controls, noncharacters)? */
static int not_text(uint32_t cp) {
    if (cp < 0x20)
        return !(cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' || cp == 0x1B);
    if (cp >= 0x80 && cp < 0xA0) return 1;
    if ((cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF)) return 1;
    return cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF);
}

/* The score of reading h[0..n-1] as UTF-32 (unit 4) or UTF-16 (unit 2),
 * big-endian or not; -1 if that reading is not text. */
static long wide_score(const uint8_t *h, size_t n, int cut, unsigned unit, int be) {
    size_t m = n - n % unit;
    long score = 0;
    if (m == 0 || (!cut && m != n)) return -1;
    for (size_t i = 0; i < m; i += unit) {
        uint32_t cp;
        if (unit == 4) {
            cp = be ? (uint32_t)h[i] << 24 | (uint32_t)h[i + 1] << 16 | (uint32_t)h[i + 2] << 8 |
                          h[i + 3]
                    : (uint32_t)h[i + 3] << 24 | (uint32_t)h[i + 2] << 16 |
                          (uint32_t)h[i + 1] << 8 | h[i];
        } else {
            uint32_t u = be ? (uint32_t)h[i] << 8 | h[i + 1] : (uint32_t)h[i + 1] << 8 | h[i];
            if (u >= 0xD800 && u < 0xDC00) {
                if (i + 2 >= m) {
                    if (cut) break;
                    return -1;
                }
                uint32_t v =
                    be ? (uint32_t)h[i + 2] << 8 | h[i + 3] : (uint32_t)h[i + 3] << 8 | h[i + 2];
                if (v < 0xDC00 || v >= 0xE000) return -1;
                cp = 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00);
                i += 2;
            } else {
                cp = u;
            }
        }
        if (not_text(cp)) return -1;
        score += text_weight(cp);
    }
    return score;
}

/* Could h[0..n-1] be UTF-16/UTF-32 at all?  Read as bytes, such text is at
 * least a quarter NUL bytes (Latin scripts), C0 control bytes (Cyrillic,
 * Greek: 0x03, 0x04) or bytes above 0x7F (CJK) - never 8-bit text with a
 * stray NUL, which stays binary. */
static int looks_wide(const uint8_t *h, size_t n) {
    size_t odd = 0;
    for (size_t i = 0; i < n; i++)
        odd += h[i] >= 0x80 || (h[i] < 0x20 && h[i] != '\n' && h[i] != '\r' && h[i] != '\t');
    return odd * 4 >= n;
}

void nd_decode_sniff(const nd_sniff_in *in, nd_sniff_out *out) {
    const uint8_t *h = in->head;
    size_t n = in->len;
    int cut = (uint64_t)n < in->size;
    int nul = n > 0 && memchr(h, 0, n) != NULL;
    memset(out, 0, sizeof *out);
    if (!is_auto(in->encoding)) {
        if (is_utf8_name(in->encoding)) {
            out->kind = nul ? ND_SNIFF_BINARY : ND_SNIFF_UTF8;
            return;
        }
        lower_copy(out->enc, in->encoding);
        out->kind = nul && !is_wide_name(out->enc) ? ND_SNIFF_BINARY : ND_SNIFF_DECODE;
        return;
    }
    static const struct {
        unsigned char mark[4];
        unsigned len;
        const char *enc;
    } boms[] = {{{0xFF, 0xFE, 0, 0}, 4, "utf-32le"},
                {{0, 0, 0xFE, 0xFF}, 4, "utf-32be"},
                {{0xFF, 0xFE, 0, 0}, 2, "utf-16le"},
                {{0xFE, 0xFF, 0, 0}, 2, "utf-16be"}};
    for (size_t b = 0; b < sizeof boms / sizeof *boms; b++) {
        if (n >= boms[b].len && memcmp(h, boms[b].mark, boms[b].len) == 0) {
            out->kind = ND_SNIFF_DECODE;
            out->bom = boms[b].len;
            lower_copy(out->enc, boms[b].enc);
            return;
        }
    }
    if (nul && looks_wide(h, n)) {
        static const struct {
            unsigned unit;
            int be;
            const char *enc;
        } wide[] = {{4, 0, "utf-32le"}, {4, 1, "utf-32be"}, {2, 0, "utf-16le"}, {2, 1, "utf-16be"}};
        long best = 0;
        size_t pick = SIZE_MAX;
        for (size_t w = 0; w < sizeof wide / sizeof *wide; w++) {
            long s = wide_score(h, n, cut, wide[w].unit, wide[w].be);
            if (s > best) {
                best = s;
                pick = w;
            }
        }
        if (pick == SIZE_MAX) {
            out->kind = ND_SNIFF_BINARY;
            return;
        }
        out->kind = ND_SNIFF_DECODE;
        lower_copy(out->enc, wide[pick].enc);
        return;
    }
    if (nul)
        out->kind = ND_SNIFF_BINARY;
    else
        out->kind = utf8_valid(h, n, cut) ? ND_SNIFF_UTF8 : ND_SNIFF_DECODE;
}

/* ------------------------------------------------------------------------ */
/* The offset map                                                             */
/* ------------------------------------------------------------------------ */

void nd_decmap_release(nd_decmap *m) {
    free(m->seg);
    memset(m, 0, sizeof *m);
}

uint64_t nd_decmap_orig(const nd_decmap *m, uint64_t dec) {
    if (!m->n) return dec;
    size_t lo = 0, hi = m->n; /* the last segment starting at or before dec */
    while (lo + 1 < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->seg[mid].dec <= dec)
            lo = mid;
        else
            hi = mid;
    }
    const nd_decmap_seg *s = &m->seg[lo];
    if (s->dec > dec) return s->orig;
    uint64_t k = s->dw ? (dec - s->dec) / s->dw : s->n;
    if (k > s->n) k = s->n;
    return s->orig + k * s->ow;
}

uint64_t nd_escmap_orig(const nd_escmap *m, uint64_t dec) {
    if (dec > m->len) dec = m->len;
    size_t lo = 0, hi = m->n; /* escapes at offsets below dec */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->pos[mid] < dec)
            lo = mid + 1;
        else
            hi = mid;
    }
    return m->base + dec + lo;
}

void nd_escmap_release(nd_escmap *m) {
    free(m->pos);
    memset(m, 0, sizeof *m);
}

uint64_t nd_decmap_orig_size(const nd_decmap *m) { return m->n ? m->seg[m->n - 1].orig : 0; }

nd_status nd_decmap_add(nd_decmap *m, uint64_t *dec, uint64_t *orig, unsigned dw, unsigned ow,
                        uint64_t count) {
    while (count) {
        nd_decmap_seg *last = m->n ? &m->seg[m->n - 1] : NULL;
        if (!last || last->dw != dw || last->ow != ow || last->n == UINT32_MAX) {
            ND_TRY(ND_GROW(m->seg, m->cap, m->n + 1));
            m->seg[m->n++] = (nd_decmap_seg){*dec, *orig, 0, (uint8_t)dw, (uint8_t)ow, 0};
            continue;
        }
        uint64_t take = ND_MIN(count, (uint64_t)(UINT32_MAX - last->n));
        last->n += (uint32_t)take;
        *dec += take * dw;
        *orig += take * ow;
        count -= take;
    }
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Detection and decoding                                                     */
/* ------------------------------------------------------------------------ */

/* Is s[0..n-1] UTF-8 with a few bad bytes: at least four valid multi-byte
 * characters per invalid byte?  Text in a legacy encoding forms a valid
 * UTF-8 sequence only now and then (GBK: one pair in twelve), and breaks
 * one at nearly every other character. */
static int mostly_utf8(const uint8_t *s, size_t n) {
    uint64_t good = 0, bad = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t adv = 0;
        if (nd_utf8_next(s + i, n - i, &adv) == ND_UTF8_INVALID)
            bad += adv;
        else
            good++;
        i += adv ? adv : 1;
    }
    return bad * 4 <= good;
}

/* Asks libuchardet about s[0..n-1] (its first ND_DETECT_BYTES): *utf8 for UTF-8 or ASCII, else the name
 * in enc ("" when it has no answer). */
static nd_status detect(const uint8_t *s, size_t n, char enc[ND_ENC_NAME], int *utf8) {
    uchardet_t ud = uchardet_new();
    if (!ud) return ND_ERR_NOMEM;
    enc[0] = '\0';
    *utf8 = 0;
    const size_t chunk = (size_t)1 << 20;
    n = ND_MIN(n, ND_DETECT_BYTES);
    for (size_t i = 0; i < n; i += chunk)
        if (uchardet_handle_data(ud, (const char *)s + i, ND_MIN(chunk, n - i)) != 0) break;
    uchardet_data_end(ud);
    const char *cs = uchardet_get_charset(ud);
    if (cs && (strcasecmp(cs, "ascii") == 0 || is_utf8_name(cs)))
        *utf8 = 1;
    else if (cs)
        lower_copy(enc, cs);
    /* as browsers do (WHATWG Encoding): ISO-8859-1 text is read as its
     * superset Windows-1252, whose 0x80-0x9F are quotes, dashes and the euro
     * sign rather than C1 controls */
    if (strcmp(enc, "iso-8859-1") == 0) lower_copy(enc, ND_FALLBACK_ENC);
    uchardet_delete(ud);
    return ND_OK;
}

void nd_decode_release(nd_decode_out *out) {
    free(out->text);
    nd_decmap_release(&out->map);
    memset(out, 0, sizeof *out);
}

/* Appends cp as UTF-8 (U+FFFD for a value that is not a scalar value). */
static size_t put_cp(uint8_t *dst, uint32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    return nd_utf8_encode(cp, dst);
}

/* Ends iconv's state: characters it still holds (a letter waiting for a
 * combining mark, a stateful encoding's last shift) are appended, with no
 * original bytes of their own. */
static nd_status flush(iconv_t cd, nd_decode_out *o, size_t *cap, uint64_t *dec, uint64_t *orig) {
    uint8_t u[64];
    char *op = (char *)u;
    size_t ol = sizeof u;
    if (iconv(cd, NULL, NULL, &op, &ol) == (size_t)-1 || op == (char *)u) {
        (void)iconv(cd, NULL, NULL, NULL, NULL);
        return ND_OK;
    }
    size_t ncp = (size_t)(op - (char *)u) / 4, w = 0;
    ND_TRY(ND_GROW(o->text, *cap, o->len + ncp * 4));
    for (size_t c = 0; c < ncp; c++) {
        const uint8_t *b = u + 4 * c;
        w += put_cp(o->text + o->len + w, (uint32_t)b[0] | (uint32_t)b[1] << 8 |
                                              (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
    }
    o->len += w;
    return nd_decmap_add(&o->map, dec, orig, (unsigned)w, 0, 1);
}

/* UTF-16 and UTF-32 (code units of `unit` bytes) a block at a time: one
 * iconv call converts up to ND_WIDE_CPS code points from *pos, and each
 * character's original width follows from its code point (UTF-32: 4;
 * UTF-16: 4 for a surrogate pair, above U+FFFF, else 2).  The widths must
 * add up to the bytes iconv consumed; when they do not (a converter that
 * swallows a byte-order mark), or when nothing decodes at *pos (a lone
 * surrogate, a cut unit), nothing is committed and *pos stays, for the
 * character-at-a-time path.  Runs of equal widths are one map segment
 * call.  Whole scans of one file, 1 thread, hyperfine means of 10 (the
 * UTF-8 original in brackets): 7.3 MB of Chinese in UTF-16LE 342 -> 150 ms
 * (75), 20 MB of English 852 -> 188 ms (94). */
#define ND_WIDE_CPS 4096
static nd_status decode_wide(iconv_t cd, const nd_decode_in *in, size_t unit, size_t *pos,
                             nd_decode_out *o, size_t *cap, uint64_t *dec, uint64_t *orig) {
    uint8_t u[4 * ND_WIDE_CPS]; /* UTF-32LE */
    const size_t i = *pos;
    const size_t win = ND_MIN(in->len - i, (size_t)ND_WIDE_CPS * 2);
    char *ip = (char *)(uintptr_t)(in->src + i), *op = (char *)u;
    size_t il = win, ol = sizeof u;
    (void)iconv(cd, &ip, &il, &op, &ol); /* stops at an error, a cut unit or a full buffer */
    const size_t used = win - il, ncp = (size_t)(op - (char *)u) / 4;
    size_t sum = 0;
    for (size_t c = 0; c < ncp; c++) sum += unit == 4 || u[4 * c + 2] ? 4 : 2;
    if (used == 0 || sum != used) {
        (void)iconv(cd, NULL, NULL, NULL, NULL);
        return ND_OK;
    }
    ND_TRY(ND_GROW(o->text, *cap, o->len + ncp * 4));
    unsigned rdw = 0, row = 0; /* the run of equal widths not yet in the map */
    uint64_t run = 0;
    for (size_t c = 0; c < ncp; c++) {
        const uint8_t *b = u + 4 * c;
        const uint32_t cp =
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        const unsigned ow = unit == 4 || cp > 0xFFFF ? 4u : 2u;
        const unsigned dw = (unsigned)put_cp(o->text + o->len, cp);
        o->len += dw;
        if (run && (dw != rdw || ow != row)) {
            ND_TRY(nd_decmap_add(&o->map, dec, orig, rdw, row, run));
            run = 0;
        }
        rdw = dw;
        row = ow;
        run++;
    }
    if (run) ND_TRY(nd_decmap_add(&o->map, dec, orig, rdw, row, run));
    *pos = i + used;
    return ND_OK;
}

nd_status nd_decode(const nd_decode_in *in, nd_decode_out *out) {
    nd_status st = ND_OK;
    iconv_t cd = (iconv_t)-1;
    nd_decode_out o;
    uint64_t dec = 0, orig = 0;
    size_t cap = 0;
    memset(&o, 0, sizeof o);
    memset(out, 0, sizeof *out);
    if (!in || (!in->src && in->len) || !in->enc || in->bom > in->len) return ND_ERR_INVALID;

    if (!in->enc[0]) {
        int utf8 = mostly_utf8(in->src, in->len);
        if (!utf8) ND_CHECK(detect(in->src, in->len, o.enc, &utf8));
        if (utf8) {
            lower_copy(o.enc, "utf-8");
            o.utf8 = 1;
            *out = o;
            return ND_OK;
        }
        size_t high = 0;
        for (size_t i = 0; i < in->len && high < ND_SURE_BYTES; i++) high += in->src[i] >= 0x80;
        if (!o.enc[0] || high < ND_SURE_BYTES) o.unsure = 1;
        if (o.enc[0]) cd = iconv_open("UTF-32LE", o.enc);
        if (cd == (iconv_t)-1) { /* no answer, or one iconv does not know */
            lower_copy(o.enc, ND_FALLBACK_ENC);
            o.unsure = 1;
        }
    } else {
        lower_copy(o.enc, in->enc);
    }
    if (cd == (iconv_t)-1 && (cd = iconv_open("UTF-32LE", o.enc)) == (iconv_t)-1) {
        st = ND_ERR_FORMAT;
        goto out;
    }
    int ascii = ascii_compatible(o.enc);
    /* what one U+FFFD stands for: a code unit */
    size_t unit = strncmp(o.enc, "utf-32", 6) == 0 || strncmp(o.enc, "ucs-4", 5) == 0   ? 4
                  : strncmp(o.enc, "utf-16", 6) == 0 || strncmp(o.enc, "ucs-2", 5) == 0 ? 2
                                                                                        : 1;
    if (in->bom) ND_CHECK(nd_decmap_add(&o.map, &dec, &orig, 0, in->bom, 1));
    size_t i = in->bom;
    while (i < in->len) {
        if (o.len > in->max_len) {
            st = ND_ERR_TOO_LARGE;
            goto out;
        }
        if (ascii && in->src[i] < 0x80) {
            size_t j = i;
            while (j < in->len && in->src[j] < 0x80) j++;
            ND_CHECK(ND_GROW(o.text, cap, o.len + (j - i)));
            memcpy(o.text + o.len, in->src + i, j - i);
            o.len += j - i;
            ND_CHECK(nd_decmap_add(&o.map, &dec, &orig, 1, 1, j - i));
            i = j;
            continue;
        }
        if (unit > 1) { /* UTF-16/UTF-32 a block at a time, where it can */
            const size_t at = i;
            ND_CHECK(decode_wide(cd, in, unit, &i, &o, &cap, &dec, &orig));
            if (i != at) continue;
        }
        uint8_t u[64];
        char *ip = (char *)(uintptr_t)(in->src + i), *op = (char *)u;
        size_t il = ND_MIN(in->len - i, (size_t)ND_DECODE_WINDOW), ol = 4;
        errno = 0;
        size_t r = iconv(cd, &ip, &il, &op, &ol);
        size_t used = ND_MIN(in->len - i, (size_t)ND_DECODE_WINDOW) - il;
        if (r == (size_t)-1 && errno == E2BIG && used == 0) {
            /* one character that decodes to several code points, or a
             * letter released before one that does not fit: more room
             * after what was written */
            ol = sizeof u - (size_t)(op - (char *)u);
            errno = 0;
            r = iconv(cd, &ip, &il, &op, &ol);
            used = ND_MIN(in->len - i, (size_t)ND_DECODE_WINDOW) - il;
        }
        size_t ncp = (size_t)(op - (char *)u) / 4;
        ND_CHECK(ND_GROW(o.text, cap, o.len + ND_MAX(ncp, (size_t)1) * 4));
        if (used == 0) { /* a unit that does not decode, or a cut sequence */
            size_t skip = ND_MIN(unit, in->len - i);
            ND_CHECK(flush(cd, &o, &cap, &dec, &orig)); /* a letter held back */
            ND_CHECK(ND_GROW(o.text, cap, o.len + 3));
            o.len += put_cp(o.text + o.len, 0xFFFD);
            ND_CHECK(nd_decmap_add(&o.map, &dec, &orig, 3, (unsigned)skip, 1));
            o.invalid++;
            i += skip;
            continue;
        }
        size_t w = 0;
        for (size_t c = 0; c < ncp; c++) {
            const uint8_t *b = u + 4 * c;
            uint32_t cp =
                (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
            w += put_cp(o.text + o.len + w, cp);
        }
        o.len += w;
        ND_CHECK(nd_decmap_add(&o.map, &dec, &orig, (unsigned)w, (unsigned)used, 1));
        i += used;
    }
    ND_CHECK(flush(cd, &o, &cap, &dec, &orig));
    if (o.len > in->max_len) {
        st = ND_ERR_TOO_LARGE;
        goto out;
    }
    /* the sentinel */
    ND_CHECK(ND_GROW(o.map.seg, o.map.cap, o.map.n + 1));
    o.map.seg[o.map.n++] = (nd_decmap_seg){dec, orig, 0, 0, 0, 0};
    if (o.invalid && !in->enc[0]) o.unsure = 1;
    if (!o.text && !(o.text = malloc(1))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    *out = o;
    memset(&o, 0, sizeof o);
out:
    if (cd != (iconv_t)-1) iconv_close(cd);
    nd_decode_release(&o);
    return st;
}
