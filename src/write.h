/*
 * write.h - private interface of the report writers (write*.c).
 *
 * The writers read the report only through the public nd_report_*
 * accessors of neardup.h, so they do not depend on the model's layout.
 * Everything they produce goes through an nd_sink: a ~64 KiB buffer in front
 * of the caller's nd_write_fn, with a sticky error (after the first failure
 * every further call is a no-op that returns the same status).
 */
#ifndef ND_WRITE_H
#define ND_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"
#include "text.h"

#define ND_SINK_CAP ((size_t)64 * 1024)

typedef struct nd_sink {
    nd_write_fn fn;
    void *user;
    char *buf;        /* ND_SINK_CAP bytes */
    size_t len;       /* bytes buffered */
    nd_status status; /* first failure, sticky */
    int sys_errno;    /* what fn returned, for ND_ERR_IO */
} nd_sink;

/* Allocates the buffer.  ND_ERR_NOMEM on failure (nothing to release). */
nd_status nd_sink_open(nd_sink *s, nd_write_fn fn, void *user);

/* A growing memory buffer, and the nd_write_fn that appends to it (user is
 * the nd_membuf; it fails only with ENOMEM).  Zero-initialise; free buf. */
typedef struct nd_membuf {
    char *buf;
    size_t len, cap;
} nd_membuf;
int nd_membuf_append(void *user, const void *data, size_t len);
/* Hands the buffered bytes to fn; returns the sink's status. */
nd_status nd_sink_flush(nd_sink *s);
/* Frees the buffer without flushing.  Accepts a sink that failed to open. */
void nd_sink_release(nd_sink *s);

/* One writer's run: body(ctx, wo, sink) on a sink over fn/user, wo being
 * the default options when NULL, then the flush.  Returns the first
 * failure; on ND_ERR_IO *sys_errno receives what fn said.  Every public
 * write entry point (report, compare, query) runs its writer so. */
typedef nd_status (*nd_sink_body_fn)(void *ctx, const nd_write_options *wo, nd_sink *s);
nd_status nd_sink_run(nd_write_fn fn, void *user, const nd_write_options *wo, nd_sink_body_fn body,
                      void *ctx, int *sys_errno);

nd_status nd_sink_write(nd_sink *s, const void *p, size_t n);
nd_status nd_sink_puts(nd_sink *s, const char *str);
nd_status nd_sink_putc(nd_sink *s, char c);
/* `n` copies of c (padding). */
nd_status nd_sink_repeat(nd_sink *s, char c, size_t n);
nd_status nd_sink_u64(nd_sink *s, uint64_t v);
/* v in units of 10^-decimals, printed as a fixed decimal, e.g. 8235 with
 * decimals 4 -> "0.8235".  Never depends on the locale. */
nd_status nd_sink_fixed(nd_sink *s, uint64_t v, unsigned decimals);
/* num / den as a percentage with one decimal and '%' ("41.2%"), and as a
 * share with four decimals ("0.4120"), both rounded half up exactly
 * (nd_share_units); den == 0 gives 0. */
nd_status nd_sink_percent(nd_sink *s, uint64_t num, uint64_t den);
nd_status nd_sink_share(nd_sink *s, uint64_t num, uint64_t den);

/* Comparable characters of document doc (nd_report_document_comparable),
 * the denominator of every share the writers print; 0 if out of range. */
uint64_t nd_wr_comparable(const nd_report *r, size_t doc);
/* The corpus's (nd_report_comparable_chars). */
uint64_t nd_wr_comparable_total(const nd_report *r);

/* The one rule for every share a writer prints, in units of 10^-decimals
 * of the whole: nd_ratio_units, except that a part (num < den) never
 * rounds up to the whole - 99.96% shows as 99.9%, 99.6% in whole percent as
 * 99, never 100. */
uint64_t nd_share_units(uint64_t num, uint64_t den, unsigned decimals);

/* Rounds num/den * 10^decimals half up, exactly (128-bit intermediate).
 * den == 0 gives 0.  decimals <= 6. */
uint64_t nd_ratio_units(uint64_t num, uint64_t den, unsigned decimals);
/* A double in [0,1] (NaN and negatives -> 0, above 1 -> 1) in units of
 * 10^-decimals, rounded half up. */
uint64_t nd_unit_units(double v, unsigned decimals);
/* Compares num1/den1 with num2/den2 exactly (den 0 counts as ratio 0):
 * <0, 0, >0. */
int nd_ratio_cmp(uint64_t num1, uint64_t den1, uint64_t num2, uint64_t den2);

/* UTF-8 for the writers: the library's one decoder and encoder (text.h).
 * Invalid input decodes to ND_WR_BAD, which the writers print as U+FFFD. */
#define ND_WR_BAD ND_UTF8_INVALID
static inline uint32_t nd_wr_utf8_next(const unsigned char *s, size_t n, size_t *adv) {
    return nd_utf8_next(s, n, adv);
}
static inline size_t nd_wr_utf8_put(uint32_t cp, char *out) {
    return nd_utf8_encode(cp, (uint8_t *)out);
}
/* Terminal columns of a code point: 2 for East Asian wide, else 1. */
static inline unsigned nd_wr_char_width(uint32_t cp) { return nd_char_width(cp) == 2 ? 2u : 1u; }
/* Display width of s[0..n-1] as nd_sink_text would print it. */
size_t nd_wr_text_width(const char *s, size_t n);

/* s[0..n-1] as a JSON string literal, quotes included (RFC 8259): ", \ and
 * control characters escaped, invalid UTF-8 replaced by U+FFFD, other
 * characters (non-ASCII included) as they are. */
nd_status nd_sink_json_string(nd_sink *s, const char *str, size_t n);
/* A JSON field: key, the literal text before the value (e.g.
 * ",\"bytes\":"), then the number, or str as a JSON string (NULL as ""). */
nd_status nd_sink_field_u64(nd_sink *s, const char *key, uint64_t v);
nd_status nd_sink_field_str(nd_sink *s, const char *key, const char *str);
/* One side of a passage as a JSON object: line, end_line, offset, length,
 * start_char, chars (compare's and the query report's jsonl). */
nd_status nd_sink_passage_side(nd_sink *s, const nd_passage_side *ps);
/* s[0..n-1] as one RFC 4180 field: quoted (with "" for ") when it contains
 * a comma, a quote, CR or LF; invalid UTF-8 replaced by U+FFFD. */
nd_status nd_sink_csv_field(nd_sink *s, const char *str, size_t n);
/* s[0..n-1] for a terminal: invalid UTF-8 -> U+FFFD, control characters
 * (C0, DEL, C1, line/paragraph separators, bidi controls) -> one space. */
nd_status nd_sink_text(nd_sink *s, const char *str, size_t n);
/* s[0..n-1] as HTML text or attribute value: & < > " ' escaped, invalid
 * UTF-8 replaced by U+FFFD, control characters other than TAB, LF and CR
 * (C0, DEL, C1) replaced by U+FFFD. */
nd_status nd_sink_html(nd_sink *s, const char *str, size_t n);
/* A name (a path) for a terminal: as nd_sink_text, but a control character
 * or an invalid byte is shown escaped, each byte as \xNN (as the program's
 * diagnostics write names), never as a space that hides it. */
nd_status nd_sink_name(nd_sink *s, const char *str, size_t n);
/* Display width of s[0..n-1] as nd_sink_name prints it. */
size_t nd_wr_name_width(const char *s, size_t n);

/* Byte length of the first `chars` characters of s[0..n-1] (a prefix that
 * ends on a character boundary); *cut is set to 1 if characters remain. */
size_t nd_wr_prefix_chars(const char *s, size_t n, size_t chars, int *cut);

/* Records the errno of an ND_ERR_IO a write of c is about to return
 * (nd_compare_sys_errno); compare.c. */
void nd_compare_io_error(const nd_compare *c, int err);

/* Writes some output through fn (nd_write_path's source). */
typedef nd_status (*nd_emit_fn)(void *ctx, nd_write_fn fn, void *user);
/* Writes emit's output to `path` atomically and umask-aware, as
 * nd_report_write_path documents (write.c); *err receives the errno of an
 * ND_ERR_IO (0 otherwise).  The one -o of scan, compare and query. */
nd_status nd_write_path(const char *path, nd_emit_fn emit, void *ctx, int *err);

/* Byte length of the preview of s[0..n-1]: its first `chars` characters,
 * fewer if they and a `mark` columns wide cut mark ("…" 1, "..." 3) would
 * not fit in `cols` display columns; *cut is set when characters remain.
 * How every text writer fits its lines to a width. */
size_t nd_wr_fit_preview(const char *s, size_t n, size_t chars, size_t cols, size_t mark, int *cut);

/* The writers.  wo is never NULL here.  They only buffer into s; the caller
 * flushes. */
/* The text format's lines fit in `width` display columns (previews are cut
 * to fit; ND_TEXT_WIDTH unless nd_report_write_width says otherwise). */
#define ND_TEXT_WIDTH 100
nd_status nd_write_text(const nd_report *r, const nd_write_options *wo, unsigned width, nd_sink *s);
nd_status nd_write_jsonl(const nd_report *r, const nd_write_options *wo, nd_sink *s);
nd_status nd_write_json(const nd_report *r, const nd_write_options *wo, nd_sink *s);
nd_status nd_write_csv(const nd_report *r, const nd_write_options *wo, nd_sink *s);

#endif /* ND_WRITE_H */
