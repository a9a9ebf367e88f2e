/*
 * write.c - report writers: dispatch, atomic file output (nd_write_path:
 * scan's, compare's and the query report's -o), the buffered sink and the one
 * escaping routine (put_clean) of every format - text, names, JSON, CSV and
 * HTML - for the scan report (write_text.c, write_json.c, write_csv.c,
 * write_html.c), the comparison (write_compare.c) and the query reports.
 *
 * THE OUTPUT FORMATS
 *
 * Every format is a pure function of the report and the nd_write_options:
 * no clock, no locale, no hash order, so the same scan gives the same bytes.
 * Numbers are printed by hand (integers) or by integer arithmetic (decimals),
 * never with %f, so a program that called setlocale() still gets "0.5000"
 * and not "0,5000".
 *
 * Numbers.  Counts are unsigned decimal integers.  A "share" is a fraction
 * in [0,1] - characters divided by the document's (or the corpus')
 * comparable characters, 0 when that is 0 - computed exactly in integers and
 * rounded half up to 4 decimals ("0.4125"), except that a part never rounds
 * up to the whole (nd_share_units: 0.99996 is "0.9999", 99.96% "99.9%", and
 * the HTML heat map's 99.6 "99").  Similarities (exact Jaccard to
 * the cluster representative) and the threshold are doubles, clamped to
 * [0,1] (NaN -> 0) and rounded half up to 4 decimals.  The text format shows
 * shares as percentages with one decimal ("41.2%").
 *
 * Strings.  Paths are byte strings and paragraphs are whatever the files
 * contained, so every string is cleaned on output: bytes that are not valid
 * UTF-8 become U+FFFD (one per maximal invalid subpart, as the normaliser
 * does), so the output is always valid UTF-8.  JSON strings follow RFC 8259:
 * " and \ are escaped, control characters U+0000-U+001F are written as \b
 * \f \n \r \t or \u00XX (lower-case hex); nothing else is escaped (no \uXXXX
 * for non-ASCII, no escaping of / or <), so the JSON is not meant to be
 * pasted into HTML unescaped.
 *
 * jsonl (one JSON object per line, "\n" after each, in this order):
 *   {"type":"summary","files":N,"skipped":N,"split_line":N,"split_blank":N,
 *    "bytes":N,"paragraphs":N,
 *    "short_paragraphs":N,"chars":N,"comparable_chars":N,
 *    "clustered_paragraphs":N,"clusters":N,
 *    "duplicated_chars":N,"duplicated_share":S,"candidate_pairs":N,
 *    "verified_pairs":N,"common_clusters":N,"params":{"threshold":S,
 *    "num_perm":N,"bands":N,"rows":N,"shingle":N,"common_docs":N}}
 *   with nd_write_options.stats the summary ends instead with
 *    ...,"params":{...},"stats":{"threads":N,"seconds":{"read":T,"split":T,
 *    "sketch":T,"exact":T,"lsh":T,"verify":T,"cluster":T,"report":T,
 *    "total":T},"peak_rss_bytes":{"read":N,...,"report":N},
 *    "memory_limit":N,"spill_runs":N,"spill_bytes":N}}
 *   (T: seconds with 6 decimals; the nd_timings of the run, which vary from
 *   run to run)
 *   then per skipped input, in the order reported (nd_report_skipped):
 *   {"type":"skipped","path":"...","reason":"...","status":"...","errno":N,
 *    "detail":"..."|null}
 *   reason: the errno's words for an input/output error with an errno
 *   (strerror), else the status's (nd_strerror, as status); errno 0 if none.
 *   then per document, in input order:
 *   {"type":"document","doc":i,"path":"...","bytes":N,"paragraphs":N,
 *    "chars":N,"comparable_chars":N,"elsewhere_chars":N,"elsewhere_share":S,
 *    "within_chars":N,
 *    "within_share":S,"split":"line"|"blank","gzip":true|false}
 *   then, only with emit_paragraphs, per paragraph by (document, offset):
 *   {"type":"paragraph","id":i,"path":"...","doc":i,"line":N,"offset":N,
 *    "length":N,"chars":N,"cluster":k|null,"similarity":S}
 *   then per cluster (largest first; id = the cluster's index, 0-based):
 *   {"type":"cluster","id":k,"size":N,"documents":N,"chars":N,
 *    "common":true|false,"members":[
 *    {"paragraph":i,"path":"...","doc":i,"line":N,"offset":N,"length":N,
 *     "similarity":S[,"text":"..."]},...]}
 *   common: in more than common_docs documents (common text: no pair
 *   overlaps); "text" (members and paragraph records) only with
 *   ND_EMIT_TEXT (--text).  Every id and document number counts from 0, in
 *   every format (text "#0", the HTML tables and headings alike).
 *   the first member is the representative (similarity 1.0000); "paragraph"
 *   is the paragraph id of the paragraph records.
 *   then per overlapping document pair (most overlap first):
 *   {"type":"overlap","a":i,"b":j,"path_a":"...","path_b":"...",
 *    "a_in_b_chars":N,"a_in_b_share":S,"b_in_a_chars":N,"b_in_a_share":S,
 *    "clusters":N}
 *   Every share divides by comparable characters (nd_report_comparable_chars,
 *   nd_report_document_comparable): duplicated_share is duplicated_chars /
 *   the summary's comparable_chars, elsewhere_share elsewhere_chars / the
 *   document's comparable_chars, a_in_b_share a_in_b_chars /
 *   comparable_chars(a), b_in_a_share likewise.
 *
 * json: the same records without "type", in one object:
 *   {
 *   "summary": {...},
 *   "skipped": [...],
 *   "documents": [
 *   {...},
 *   {...}
 *   ],
 *   "paragraphs": [...],        (only with emit_paragraphs)
 *   "clusters": [...],
 *   "overlaps": [...]
 *   }
 *   one record per line so that two reports diff line by line; an empty
 *   array is written "[]".  The output ends with a newline.
 *
 * csv: RFC 4180 with LF line ends (not CRLF: every CSV reader in use accepts
 *   LF, and LF keeps the file friendly to grep and diff).  The header is
 *     cluster,size,member,path,doc,line,offset,length,chars,similarity,preview
 *   and there is one row per cluster member, clusters in report order,
 *   members in cluster order (member 0 is the representative).  preview is
 *   the first `preview` characters (code points) of the paragraph's original
 *   text, unchanged except for the U+FFFD replacement - newlines included.
 *   With passages (nd_options.passages) the header is instead
 *     kind,id,size,documents,member,path,doc,line,offset,length,chars,
 *     similarity,common,text
 *   so that one table holds both kinds of rows and a spreadsheet filters
 *   them on kind: first the cluster members as above (kind "cluster", id
 *   the cluster, size its members, documents its distinct documents, common
 *   empty, text the preview), then one row per place of each passage, records
 *   in report order (largest first), places by (doc, offset) (kind
 *   "passage", id the passage as the jsonl "id", size its places, member the
 *   place's index, path..length the place in bytes of the original file,
 *   chars and similarity the record's, common true|false, text the first
 *   place's whole text - the jsonl "text" - on every row, so that a row
 *   filtered on its own still has it).
 *   A field is quoted when it contains a comma, a quote, CR or LF; quotes
 *   inside are doubled.  Fields are not defused against spreadsheet formula
 *   injection (a leading = + - @ is kept as it is): the file is data.
 *
 * text (the default, for a person at a terminal): see write_text.c for the
 *   exact layout.  Sections: totals; documents with the most text found
 *   elsewhere; document pairs with the most overlap; repetition within
 *   documents; largest clusters with previews.  `top` limits the rows of
 *   each section (0 = no limit), `preview` the preview length in characters
 *   (0 = no preview).  Control characters in paths and previews are shown as
 *   spaces so a file name or paragraph cannot drive the terminal.  Columns
 *   are aligned by display width (East Asian wide characters take 2 columns).
 *
 * Output is buffered in a 64 KiB sink: the user's nd_write_fn is called with
 * large blocks, never per field, and a failure of the sink stops the writer
 * with ND_ERR_IO.  nd_report_write_path writes atomically, see there.
 */
#include "write.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nd_internal.h"
#include "report.h"
#include "write_html.h"

/* ------------------------------------------------------------------------ */
/* Formats and options                                                       */
/* ------------------------------------------------------------------------ */

static const char *const format_names[] = {"text", "jsonl", "json", "csv", "html"};

nd_status nd_format_parse(const char *name, nd_format *out) {
    if (!name || !out) return ND_ERR_INVALID;
    for (size_t i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (nd_format)i;
            return ND_OK;
        }
    }
    return ND_ERR_FORMAT;
}

void nd_write_options_default(nd_write_options *wo) {
    if (!wo) return;
    wo->emit_paragraphs = 0;
    wo->top = 10;
    wo->preview = 40;
    wo->stats = 0;
}

/* ------------------------------------------------------------------------ */
/* The buffered sink                                                          */
/* ------------------------------------------------------------------------ */

int nd_membuf_append(void *user, const void *data, size_t len) {
    nd_membuf *mb = user;
    if (len == 0) return 0; /* (buf may still be NULL) */
    if (ND_GROW(mb->buf, mb->cap, mb->len + len) != ND_OK) return ENOMEM;
    memcpy(mb->buf + mb->len, data, len);
    mb->len += len;
    return 0;
}

nd_status nd_sink_open(nd_sink *s, nd_write_fn fn, void *user) {
    s->fn = fn;
    s->user = user;
    s->len = 0;
    s->status = ND_OK;
    s->sys_errno = 0;
    s->buf = malloc(ND_SINK_CAP);
    if (!s->buf) {
        s->status = ND_ERR_NOMEM;
        return ND_ERR_NOMEM;
    }
    return ND_OK;
}

void nd_sink_release(nd_sink *s) {
    if (!s) return;
    free(s->buf);
    s->buf = NULL;
    s->len = 0;
}

nd_status nd_sink_run(nd_write_fn fn, void *user, const nd_write_options *wo, nd_sink_body_fn body,
                      void *ctx, int *sys_errno) {
    nd_write_options defaults;
    nd_sink sink = {0};
    nd_status st;
    if (!wo) {
        nd_write_options_default(&defaults);
        wo = &defaults;
    }
    ND_CHECK(nd_sink_open(&sink, fn, user));
    ND_CHECK(body(ctx, wo, &sink));
    ND_CHECK(nd_sink_flush(&sink));
out:
    if (st == ND_ERR_IO) *sys_errno = sink.sys_errno;
    nd_sink_release(&sink);
    return st;
}

static nd_status sink_emit(nd_sink *s, const void *p, size_t n) {
    if (n == 0) return ND_OK;
    int rc = s->fn(s->user, p, n);
    if (rc != 0) {
        s->sys_errno = rc;
        s->status = ND_ERR_IO;
    }
    return s->status;
}

nd_status nd_sink_flush(nd_sink *s) {
    if (s->status != ND_OK) return s->status;
    size_t n = s->len;
    s->len = 0;
    return sink_emit(s, s->buf, n);
}

nd_status nd_sink_write(nd_sink *s, const void *p, size_t n) {
    if (s->status != ND_OK) return s->status;
    if (n <= ND_SINK_CAP - s->len) {
        if (n) memcpy(s->buf + s->len, p, n);
        s->len += n;
        return ND_OK;
    }
    ND_TRY(nd_sink_flush(s));
    if (n >= ND_SINK_CAP) return sink_emit(s, p, n);
    memcpy(s->buf, p, n);
    s->len = n;
    return ND_OK;
}

nd_status nd_sink_puts(nd_sink *s, const char *str) { return nd_sink_write(s, str, strlen(str)); }

nd_status nd_sink_putc(nd_sink *s, char c) {
    if (s->status != ND_OK) return s->status;
    if (s->len == ND_SINK_CAP) ND_TRY(nd_sink_flush(s));
    s->buf[s->len++] = c;
    return ND_OK;
}

nd_status nd_sink_repeat(nd_sink *s, char c, size_t n) {
    for (size_t i = 0; i < n; i++) ND_TRY(nd_sink_putc(s, c));
    return s->status;
}

nd_status nd_sink_u64(nd_sink *s, uint64_t v) {
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    return nd_sink_write(s, tmp + i, sizeof tmp - i);
}

static uint64_t pow10u(unsigned decimals) {
    uint64_t f = 1;
    for (unsigned i = 0; i < decimals; i++) f *= 10;
    return f;
}

nd_status nd_sink_fixed(nd_sink *s, uint64_t v, unsigned decimals) {
    uint64_t f = pow10u(decimals);
    ND_TRY(nd_sink_u64(s, v / f));
    if (decimals == 0) return ND_OK;
    char tmp[24];
    uint64_t frac = v % f;
    for (unsigned i = decimals; i > 0; i--) {
        tmp[i - 1] = (char)('0' + (int)(frac % 10));
        frac /= 10;
    }
    ND_TRY(nd_sink_putc(s, '.'));
    return nd_sink_write(s, tmp, decimals);
}

uint64_t nd_share_units(uint64_t num, uint64_t den, unsigned decimals) {
    uint64_t v = nd_ratio_units(num, den, decimals);
    /* a part is never shown as the whole: 99.96% is "99.9%", not "100.0%" */
    if (num < den && v >= pow10u(decimals)) v = pow10u(decimals) - 1;
    return v;
}

nd_status nd_sink_percent(nd_sink *s, uint64_t num, uint64_t den) {
    ND_TRY(nd_sink_fixed(s, nd_share_units(num, den, 3), 1));
    return nd_sink_putc(s, '%');
}

nd_status nd_sink_share(nd_sink *s, uint64_t num, uint64_t den) {
    return nd_sink_fixed(s, nd_share_units(num, den, 4), 4);
}

uint64_t nd_wr_comparable(const nd_report *r, size_t doc) {
    uint64_t v = 0;
    return nd_report_document_comparable(r, doc, &v) == ND_OK ? v : 0;
}

uint64_t nd_wr_comparable_total(const nd_report *r) {
    uint64_t v = 0;
    return nd_report_comparable_chars(r, &v) == ND_OK ? v : 0;
}

/* ------------------------------------------------------------------------ */
/* Exact ratios                                                               */
/* ------------------------------------------------------------------------ */

/* a * b as a 128-bit (hi, lo) pair. */
static void mul64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo) {
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32;
    uint64_t b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

uint64_t nd_ratio_units(uint64_t num, uint64_t den, unsigned decimals) {
    if (den == 0) return 0;
    uint64_t hi, lo;
    mul64(num, pow10u(decimals), &hi, &lo);
    if (hi >= den) return UINT64_MAX; /* quotient does not fit */
    uint64_t q = 0, r = hi;
    if (hi == 0) { /* the usual case, one 64-bit division (a share's
                    * bit-by-bit loop was 3% of the jsonl writer) */
        q = lo / den;
        r = lo % den;
    } else {
        /* Shift-subtract division of (hi, lo) by den; r < den throughout. */
        for (int i = 63; i >= 0; i--) {
            uint64_t top = r >> 63;
            r = (r << 1) | ((lo >> i) & 1u);
            q <<= 1;
            if (top || r >= den) {
                r -= den;
                q |= 1;
            }
        }
    }
    if (r >= den - r && q != UINT64_MAX) q++; /* half up */
    return q;
}

uint64_t nd_unit_units(double v, unsigned decimals) {
    uint64_t f = pow10u(decimals);
    if (!(v > 0.0)) return 0; /* also NaN */
    if (v >= 1.0) return f;
    return (uint64_t)(v * (double)f + 0.5);
}

int nd_ratio_cmp(uint64_t num1, uint64_t den1, uint64_t num2, uint64_t den2) {
    if (den1 == 0) {
        num1 = 0;
        den1 = 1;
    }
    if (den2 == 0) {
        num2 = 0;
        den2 = 1;
    }
    uint64_t h1, l1, h2, l2;
    mul64(num1, den2, &h1, &l1);
    mul64(num2, den1, &h2, &l2);
    if (h1 != h2) return h1 < h2 ? -1 : 1;
    if (l1 != l2) return l1 < l2 ? -1 : 1;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* UTF-8                                                                      */
/* ------------------------------------------------------------------------ */

/* Characters the text writer shows as a space: C0 controls, DEL, C1
 * controls, line and paragraph separators, and the bidirectional embedding,
 * override and isolate controls (which could reorder what the terminal
 * shows). */
static int is_terminal_control(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t nd_wr_text_width(const char *str, size_t n) {
    const unsigned char *p = (const unsigned char *)str;
    size_t w = 0, i = 0;
    while (i < n) {
        size_t adv;
        uint32_t cp = nd_wr_utf8_next(p + i, n - i, &adv);
        w += (cp == ND_WR_BAD || is_terminal_control(cp)) ? 1 : nd_wr_char_width(cp);
        i += adv;
    }
    return w;
}

size_t nd_wr_fit_preview(const char *str, size_t n, size_t chars, size_t cols, size_t mark,
                         int *cut) {
    const unsigned char *p = (const unsigned char *)str;
    size_t len = nd_wr_prefix_chars(str, n, chars, cut);
    if (nd_wr_text_width(str, len) + (*cut ? mark : 0) <= cols) return len;
    size_t i = 0, w = 0; /* cut to the columns left, the mark included */
    while (i < len) {
        size_t adv;
        uint32_t cp = nd_wr_utf8_next(p + i, len - i, &adv);
        size_t cw = (cp == ND_WR_BAD || is_terminal_control(cp)) ? 1 : nd_wr_char_width(cp);
        if (w + cw + mark > cols) break;
        w += cw;
        i += adv;
    }
    *cut = 1;
    return i;
}

size_t nd_wr_prefix_chars(const char *str, size_t n, size_t chars, int *cut) {
    const unsigned char *p = (const unsigned char *)str;
    size_t i = 0, k = 0;
    while (i < n && k < chars) {
        size_t adv;
        (void)nd_wr_utf8_next(p + i, n - i, &adv);
        i += adv;
        k++;
    }
    *cut = i < n;
    return i;
}

/* ------------------------------------------------------------------------ */
/* Escaping                                                                   */
/* ------------------------------------------------------------------------ */

/* The one escaping routine of every writer (put_clean), by where the
 * string goes: a JSON string, a CSV field, a terminal (text, and names in
 * it), HTML text or attribute. */
enum clean_mode { CLEAN_JSON, CLEAN_CSV, CLEAN_TEXT, CLEAN_NAME, CLEAN_HTML };

/* CLEAN_NAME: bytes of a character a terminal must not see (control
 * characters, the controls of is_terminal_control) or of an invalid UTF-8
 * sequence, each as \xNN - the escape the program's diagnostics use
 * (cli_escape), so a name reads the same in both. */
static size_t put_name_escape(char *esc, const unsigned char *p, size_t n) {
    static const char hex[] = "0123456789abcdef";
    for (size_t k = 0; k < n; k++) {
        esc[4 * k] = '\\';
        esc[4 * k + 1] = 'x';
        esc[4 * k + 2] = hex[p[k] >> 4];
        esc[4 * k + 3] = hex[p[k] & 15];
    }
    return 4 * n;
}

static const char replacement[] = "\xEF\xBF\xBD";

/* Writes str[0..n-1] with invalid UTF-8 replaced and the mode's special
 * characters escaped.  Runs of clean bytes are copied in one piece. */
static nd_status put_clean(nd_sink *s, const char *str, size_t n, enum clean_mode mode) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)str;
    size_t i = 0, run = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t adv = 1;
        const char *rep = NULL;
        size_t rep_len = 0;
        char esc[16];
        if (mode == CLEAN_NAME) {
            uint32_t cp = c < 0x80 ? c : nd_wr_utf8_next(p + i, n - i, &adv);
            if (cp == ND_WR_BAD || cp == 0x7F || is_terminal_control(cp)) {
                rep_len = put_name_escape(esc, p + i, adv); /* adv <= 3 */
                rep = esc;
            }
        } else if (mode == CLEAN_HTML) {
            /* & < > " ' as entities; invalid UTF-8, C1 controls, DEL and C0
             * controls other than TAB, LF and CR as U+FFFD */
            uint32_t cp = c < 0x80 ? c : nd_wr_utf8_next(p + i, n - i, &adv);
            rep = c == '&'    ? "&amp;"
                  : c == '<'  ? "&lt;"
                  : c == '>'  ? "&gt;"
                  : c == '"'  ? "&quot;"
                  : c == '\'' ? "&#39;"
                              : NULL;
            if (cp == ND_WR_BAD || (cp >= 0x7F && cp <= 0x9F) ||
                (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
                rep = replacement;
            if (rep) rep_len = strlen(rep);
        } else if (c >= 0x80) {
            uint32_t cp = nd_wr_utf8_next(p + i, n - i, &adv);
            if (cp == ND_WR_BAD) {
                rep = replacement;
                rep_len = 3;
            } else if (mode == CLEAN_TEXT && is_terminal_control(cp)) {
                rep = " ";
                rep_len = 1;
            }
        } else if (mode == CLEAN_JSON) {
            if (c == '"' || c == '\\') {
                esc[0] = '\\';
                esc[1] = (char)c;
                rep = esc;
                rep_len = 2;
            } else if (c < 0x20) {
                char short_esc = c == '\n'   ? 'n'
                                 : c == '\t' ? 't'
                                 : c == '\r' ? 'r'
                                 : c == '\b' ? 'b'
                                 : c == '\f' ? 'f'
                                             : 0;
                esc[0] = '\\';
                if (short_esc) {
                    esc[1] = short_esc;
                    rep_len = 2;
                } else {
                    memcpy(esc + 1, "u00", 3);
                    esc[4] = hex[c >> 4];
                    esc[5] = hex[c & 15];
                    rep_len = 6;
                }
                rep = esc;
            }
        } else if (mode == CLEAN_CSV) {
            if (c == '"') {
                rep = "\"\"";
                rep_len = 2;
            }
        } else if (c < 0x20 || c == 0x7F) {
            rep = " ";
            rep_len = 1;
        }
        if (rep) {
            ND_TRY(nd_sink_write(s, p + run, i - run));
            ND_TRY(nd_sink_write(s, rep, rep_len));
            run = i + adv;
        }
        i += adv;
    }
    return nd_sink_write(s, p + run, n - run);
}

nd_status nd_sink_json_string(nd_sink *s, const char *str, size_t n) {
    ND_TRY(nd_sink_putc(s, '"'));
    ND_TRY(put_clean(s, str, n, CLEAN_JSON));
    return nd_sink_putc(s, '"');
}

nd_status nd_sink_field_u64(nd_sink *s, const char *key, uint64_t v) {
    ND_TRY(nd_sink_puts(s, key));
    return nd_sink_u64(s, v);
}

nd_status nd_sink_field_str(nd_sink *s, const char *key, const char *str) {
    ND_TRY(nd_sink_puts(s, key));
    if (!str) str = "";
    return nd_sink_json_string(s, str, strlen(str));
}

nd_status nd_sink_csv_field(nd_sink *s, const char *str, size_t n) {
    int quote = 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = str[i] == ',' || str[i] == '"' || str[i] == '\r' || str[i] == '\n';
    if (!quote) return put_clean(s, str, n, CLEAN_CSV);
    ND_TRY(nd_sink_putc(s, '"'));
    ND_TRY(put_clean(s, str, n, CLEAN_CSV));
    return nd_sink_putc(s, '"');
}

nd_status nd_sink_text(nd_sink *s, const char *str, size_t n) {
    return put_clean(s, str, n, CLEAN_TEXT);
}

nd_status nd_sink_html(nd_sink *s, const char *str, size_t n) {
    return put_clean(s, str, n, CLEAN_HTML);
}

nd_status nd_sink_name(nd_sink *s, const char *str, size_t n) {
    return put_clean(s, str, n, CLEAN_NAME);
}

size_t nd_wr_name_width(const char *str, size_t n) {
    const unsigned char *p = (const unsigned char *)str;
    size_t w = 0, i = 0;
    while (i < n) {
        size_t adv = 1;
        uint32_t cp = p[i] < 0x80 ? p[i] : nd_wr_utf8_next(p + i, n - i, &adv);
        w += (cp == ND_WR_BAD || cp == 0x7F || is_terminal_control(cp)) ? 4 * adv
                                                                        : nd_wr_char_width(cp);
        i += adv;
    }
    return w;
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                   */
/* ------------------------------------------------------------------------ */

nd_status nd_report_write(const nd_report *r, nd_format format, const nd_write_options *wo,
                          nd_write_fn fn, void *user) {
    return nd_report_write_width(r, format, wo, 0, fn, user);
}

/* The report in one format (nd_sink_body_fn). */
typedef struct report_body {
    const nd_report *r;
    nd_format format;
    unsigned width;
} report_body;

static nd_status report_body_write(void *ctx, const nd_write_options *wo, nd_sink *s) {
    const report_body *b = ctx;
    switch (b->format) {
    case ND_FORMAT_TEXT: return nd_write_text(b->r, wo, b->width ? b->width : ND_TEXT_WIDTH, s);
    case ND_FORMAT_JSONL: return nd_write_jsonl(b->r, wo, s);
    case ND_FORMAT_JSON: return nd_write_json(b->r, wo, s);
    case ND_FORMAT_CSV: return nd_write_csv(b->r, wo, s);
    case ND_FORMAT_HTML: return nd_write_html(b->r, wo, s);
    default: return ND_ERR_INVALID;
    }
}

nd_status nd_report_write_width(const nd_report *r, nd_format format, const nd_write_options *wo,
                                unsigned width, nd_write_fn fn, void *user) {
    if (!r || !fn) return ND_ERR_INVALID;
    if (format != ND_FORMAT_TEXT && format != ND_FORMAT_JSONL && format != ND_FORMAT_JSON &&
        format != ND_FORMAT_CSV && format != ND_FORMAT_HTML)
        return ND_ERR_INVALID;
    report_body b = {r, format, width};
    int err = 0;
    nd_status st = nd_sink_run(fn, user, wo, report_body_write, &b, &err);
    if (st == ND_ERR_IO) /* what the sink's fn said */
        (void)nd_report_io_error(r, err, NULL);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Atomic output to a file                                                    */
/* ------------------------------------------------------------------------ */

/* A writer as the new content of a file (nd_replace_file's fill). */
typedef struct path_fill {
    nd_emit_fn emit;
    void *ctx;
} path_fill;

static nd_status fill_path(void *ctx, nd_fd_out *out, int *err) {
    path_fill *pf = ctx;
    ND_UNUSED(err); /* nd_replace_file derives it from the status and out */
    return pf->emit(pf->ctx, nd_fd_write, out);
}

/*
 * nd_write_path (behind nd_report_write_path, nd_report_write_query_path
 * and nd_compare_write_path, so every -o behaves alike): the output is
 * written to a temporary file ".NAME.XXXXXX" (mkstemp) next to the target,
 * fsync'ed, given mode 0666 & ~umask (what open(2) would have given a new
 * file), and renamed over the target, so a reader sees either the old file
 * or the complete new one, never a partial report.  On any failure the
 * temporary file is removed, the target is untouched and *err receives the
 * errno of an ND_ERR_IO.  A character device or fifo (/dev/null,
 * /dev/stdout, a named pipe) is opened and written in place: there is no
 * file to replace.  Refused: a path that is a directory or ends in '/'
 * (ND_ERR_IO, EISDIR), and an existing socket or block device
 * (ND_ERR_NOT_REGULAR).  A symbolic link at `path` is replaced by the new
 * regular file, like `sed -i` does.
 */
nd_status nd_write_path(const char *path, nd_emit_fn emit, void *ctx, int *err_out) {
    nd_status st = ND_OK;
    int err = 0;
    struct stat sb;
    const char *base;

    if (!path || !*path) {
        st = ND_ERR_INVALID;
        err = EINVAL;
        goto out;
    }
    base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (*base == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0 ||
        (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
        st = ND_ERR_IO;
        err = EISDIR;
        goto out;
    }
    if (stat(path, &sb) == 0 && (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode))) {
        /* /dev/null, /dev/stdout, a terminal or a pipe: nothing to replace
         * atomically, so the output streams straight into it. */
        nd_fd_out out = {open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC), 0};
        if (out.fd < 0) {
            err = errno;
            st = ND_ERR_IO;
            goto out;
        }
        st = emit(ctx, nd_fd_write, &out);
        if (st != ND_OK)
            err = st == ND_ERR_NOMEM ? ENOMEM : st == ND_ERR_IO ? (out.err ? out.err : EIO) : 0;
        (void)close(out.fd);
        goto out;
    }
    if (lstat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode)) {
        st = ND_ERR_NOT_REGULAR; /* a socket or block device */
        goto out;
    }
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) { /* link to one */
        st = ND_ERR_NOT_REGULAR;
        goto out;
    }
    path_fill pf = {emit, ctx};
    st = nd_replace_file(path, 0666 & ~nd_process_umask(), fill_path, &pf, &err);
out:
    if (st == ND_ERR_IO && !err) err = EIO;
    *err_out = err;
    return st;
}

/* The report in one format (nd_emit_fn). */
typedef struct report_emit {
    const nd_report *r;
    nd_format format;
    const nd_write_options *wo;
    int query; /* nd_report_write_query instead of nd_report_write */
} report_emit;

static nd_status emit_report(void *ctx, nd_write_fn fn, void *user) {
    report_emit *re = ctx;
    return re->query ? nd_report_write_query(re->r, re->format, re->wo, fn, user)
                     : nd_report_write(re->r, re->format, re->wo, fn, user);
}

static nd_status report_path(const nd_report *r, nd_format format, const nd_write_options *wo,
                             const char *path, int query) {
    report_emit re = {r, format, wo, query};
    int err = 0;
    if (!r) return ND_ERR_INVALID;
    nd_status st = nd_write_path(path, emit_report, &re, &err);
    if (st == ND_ERR_IO) (void)nd_report_io_error(r, err, path);
    return st;
}

nd_status nd_report_write_path(const nd_report *r, nd_format format, const nd_write_options *wo,
                               const char *path) {
    return report_path(r, format, wo, path, 0);
}

nd_status nd_report_write_query_path(const nd_report *r, nd_format format,
                                     const nd_write_options *wo, const char *path) {
    return report_path(r, format, wo, path, 1);
}

nd_status nd_sink_passage_side(nd_sink *s, const nd_passage_side *ps) {
    ND_TRY(nd_sink_puts(s, "{\"line\":"));
    ND_TRY(nd_sink_u64(s, ps->line));
    ND_TRY(nd_sink_puts(s, ",\"end_line\":"));
    ND_TRY(nd_sink_u64(s, ps->end_line));
    ND_TRY(nd_sink_puts(s, ",\"offset\":"));
    ND_TRY(nd_sink_u64(s, ps->offset));
    ND_TRY(nd_sink_puts(s, ",\"length\":"));
    ND_TRY(nd_sink_u64(s, ps->length));
    ND_TRY(nd_sink_puts(s, ",\"start_char\":"));
    ND_TRY(nd_sink_u64(s, ps->start_char));
    ND_TRY(nd_sink_puts(s, ",\"chars\":"));
    ND_TRY(nd_sink_u64(s, ps->chars));
    return nd_sink_putc(s, '}');
}
