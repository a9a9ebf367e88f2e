/*
 * write_compare.c - the writers of a comparison of two documents
 * (`neardup compare A B`): text and jsonl here, html in write_html.c, beside
 * the scan report's writers and through the same sink, escaping (write.c:
 * nd_sink_name, nd_sink_text, nd_sink_json_string) and atomic -o
 * (nd_write_path).  Like the other writers they read the comparison only
 * through the public accessors of neardup.h.
 *
 * text:
 *   A  a.txt  (118 characters)
 *   B  b.txt  (88 characters)
 *
 *   46.6% of A appears in B (55 of 118 comparable characters)
 *   62.5% of B appears in A (55 of 88 comparable characters)
 *   1 shared passage of at least 30 characters
 *
 *   #0  55 matching characters in 2 pieces
 *     A  a.txt:2  The quick brown fox ...
 *     B  b.txt:2  the quick brown fox ...
 * (", read as ENCODING" after the characters of a decoded document; passages
 * numbered from 0, as the jsonl "id"; previews of wo->preview characters,
 * fewer where the line would pass ND_TEXT_WIDTH (100) columns, "..." when
 * cut; preview 0: the locations only.)
 *
 * jsonl: one "compare" record (paths, bytes, encodings, chars, shares both
 * ways, passages, the options), then one "passage" record per passage
 * ({"type":"passage","id":N,"matched_chars":N,"fragments":N,"a":{side},
 * "b":{side},"text_a":"...","text_b":"..."}, sides as nd_sink_passage_side).
 */
#include <stdio.h>
#include <string.h>

#include "nd_internal.h"
#include "write.h"
#include "write_html.h"

static nd_status put_lines(nd_sink *s, const nd_passage_side *ps) {
    ND_TRY(nd_sink_u64(s, ps->line));
    if (ps->end_line != ps->line) {
        ND_TRY(nd_sink_putc(s, '-'));
        ND_TRY(nd_sink_u64(s, ps->end_line));
    }
    return ND_OK;
}

/* Display width of "path:line[-end]". */
static size_t loc_width(const char *path, const nd_passage_side *ps) {
    char num[64];
    int n = ps->end_line != ps->line
                ? snprintf(num, sizeof num, ":%u-%u", (unsigned)ps->line, (unsigned)ps->end_line)
                : snprintf(num, sizeof num, ":%u", (unsigned)ps->line);
    return nd_wr_name_width(path, strlen(path)) + (n > 0 ? (size_t)n : 0);
}

static nd_status write_text(const nd_compare *c, const nd_write_options *wo, size_t width,
                            nd_sink *s) {
    nd_compare_doc_info di[2];
    nd_compare_options co;
    const char *label[2] = {"A", "B"}, *text[2];
    size_t tlen[2], locw = 0, np = nd_compare_passage_count(c);
    ND_TRY(nd_compare_get_options(c, &co));
    for (unsigned i = 0; i < 2; i++) {
        ND_TRY(nd_compare_document(c, i, &di[i]));
        ND_TRY(nd_compare_document_text(c, i, &text[i], &tlen[i]));
    }
    for (size_t p = 0; p < np; p++) { /* the "path:lines" column's width */
        nd_passage_info pi;
        ND_TRY(nd_compare_passage(c, p, &pi));
        for (int i = 0; i < 2; i++) locw = ND_MAX(locw, loc_width(di[i].path, &pi.side[i]));
    }
    for (int i = 0; i < 2; i++) {
        ND_TRY(nd_sink_puts(s, label[i]));
        ND_TRY(nd_sink_puts(s, "  "));
        ND_TRY(nd_sink_name(s, di[i].path, strlen(di[i].path)));
        ND_TRY(nd_sink_puts(s, "  ("));
        ND_TRY(nd_sink_u64(s, di[i].chars));
        ND_TRY(nd_sink_puts(s, " characters"));
        if (strcmp(di[i].encoding, "utf-8") != 0) { /* decoded */
            ND_TRY(nd_sink_puts(s, ", read as "));
            ND_TRY(nd_sink_puts(s, di[i].encoding));
        }
        ND_TRY(nd_sink_puts(s, ")\n"));
    }
    ND_TRY(nd_sink_putc(s, '\n'));
    for (int i = 0; i < 2; i++) {
        /* every normalised character of a whole text is comparable here */
        ND_TRY(nd_sink_percent(s, di[i].covered_chars, di[i].chars));
        ND_TRY(nd_sink_puts(s, i == 0 ? " of A appears in B (" : " of B appears in A ("));
        ND_TRY(nd_sink_u64(s, di[i].covered_chars));
        ND_TRY(nd_sink_puts(s, " of "));
        ND_TRY(nd_sink_u64(s, di[i].chars));
        ND_TRY(nd_sink_puts(s, " comparable characters)\n"));
    }
    ND_TRY(nd_sink_u64(s, np));
    ND_TRY(nd_sink_puts(s, np == 1 ? " shared passage" : " shared passages"));
    ND_TRY(nd_sink_puts(s, " of at least "));
    ND_TRY(nd_sink_u64(s, co.min_passage));
    ND_TRY(nd_sink_puts(s, " characters\n"));
    for (size_t p = 0; p < np; p++) {
        nd_passage_info pi;
        ND_TRY(nd_compare_passage(c, p, &pi));
        ND_TRY(nd_sink_puts(s, "\n#"));
        ND_TRY(nd_sink_u64(s, p)); /* the jsonl "id": from 0, as scan's */
        ND_TRY(nd_sink_puts(s, "  "));
        ND_TRY(nd_sink_u64(s, pi.matched_chars));
        ND_TRY(nd_sink_puts(s, " matching characters"));
        if (pi.fragments > 1) {
            ND_TRY(nd_sink_puts(s, " in "));
            ND_TRY(nd_sink_u64(s, pi.fragments));
            ND_TRY(nd_sink_puts(s, " pieces"));
        }
        ND_TRY(nd_sink_putc(s, '\n'));
        for (int i = 0; i < 2; i++) {
            const nd_passage_side *ps = &pi.side[i];
            const char *t = text[i] + ps->text_offset;
            size_t len = (size_t)ps->text_length;
            int cut = 0;
            ND_TRY(nd_sink_puts(s, "  "));
            ND_TRY(nd_sink_puts(s, label[i]));
            ND_TRY(nd_sink_puts(s, "  "));
            ND_TRY(nd_sink_name(s, di[i].path, strlen(di[i].path)));
            ND_TRY(nd_sink_putc(s, ':'));
            ND_TRY(put_lines(s, ps));
            if (wo->preview == 0) { /* no preview, as in every report */
                ND_TRY(nd_sink_putc(s, '\n'));
                continue;
            }
            ND_TRY(nd_sink_repeat(s, ' ', locw - loc_width(di[i].path, ps) + 2));
            /* "  A  " path:lines "  ": the preview fits the width */
            size_t used = 5 + locw + 2;
            size_t shown =
                nd_wr_fit_preview(t, len, wo->preview, used < width ? width - used : 0, 3, &cut);
            ND_TRY(nd_sink_text(s, t, shown));
            if (cut) ND_TRY(nd_sink_puts(s, "..."));
            ND_TRY(nd_sink_putc(s, '\n'));
        }
    }
    return ND_OK;
}

static nd_status write_jsonl(const nd_compare *c, nd_sink *s) {
    nd_compare_doc_info di[2];
    nd_compare_options co;
    const char *text[2];
    size_t tlen[2], np = nd_compare_passage_count(c);
    ND_TRY(nd_compare_get_options(c, &co));
    for (unsigned i = 0; i < 2; i++) {
        ND_TRY(nd_compare_document(c, i, &di[i]));
        ND_TRY(nd_compare_document_text(c, i, &text[i], &tlen[i]));
    }
    ND_TRY(nd_sink_field_str(s, "{\"type\":\"compare\",\"a\":", di[0].path));
    ND_TRY(nd_sink_field_str(s, ",\"b\":", di[1].path));
    ND_TRY(nd_sink_field_u64(s, ",\"a_bytes\":", di[0].bytes));
    ND_TRY(nd_sink_field_u64(s, ",\"b_bytes\":", di[1].bytes));
    ND_TRY(nd_sink_field_str(s, ",\"a_encoding\":", di[0].encoding));
    ND_TRY(nd_sink_field_str(s, ",\"b_encoding\":", di[1].encoding));
    ND_TRY(nd_sink_field_u64(s, ",\"a_chars\":", di[0].chars));
    ND_TRY(nd_sink_field_u64(s, ",\"b_chars\":", di[1].chars));
    ND_TRY(nd_sink_field_u64(s, ",\"a_in_b_chars\":", di[0].covered_chars));
    ND_TRY(nd_sink_puts(s, ",\"a_in_b_share\":"));
    ND_TRY(nd_sink_share(s, di[0].covered_chars, di[0].chars));
    ND_TRY(nd_sink_field_u64(s, ",\"b_in_a_chars\":", di[1].covered_chars));
    ND_TRY(nd_sink_puts(s, ",\"b_in_a_share\":"));
    ND_TRY(nd_sink_share(s, di[1].covered_chars, di[1].chars));
    ND_TRY(nd_sink_field_u64(s, ",\"passages\":", np));
    ND_TRY(nd_sink_field_u64(s, ",\"min_passage\":", co.min_passage));
    ND_TRY(nd_sink_field_u64(s, ",\"max_gap\":", co.max_gap));
    ND_TRY(nd_sink_puts(s, ",\"threshold\":"));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(co.threshold, 4), 4));
    ND_TRY(nd_sink_field_u64(s, ",\"shingle\":", co.shingle));
    ND_TRY(nd_sink_puts(s, "}\n"));
    for (size_t p = 0; p < np; p++) {
        nd_passage_info pi;
        ND_TRY(nd_compare_passage(c, p, &pi));
        ND_TRY(nd_sink_field_u64(s, "{\"type\":\"passage\",\"id\":", p));
        ND_TRY(nd_sink_field_u64(s, ",\"matched_chars\":", pi.matched_chars));
        ND_TRY(nd_sink_field_u64(s, ",\"fragments\":", pi.fragments));
        for (int i = 0; i < 2; i++) {
            ND_TRY(nd_sink_puts(s, i == 0 ? ",\"a\":" : ",\"b\":"));
            ND_TRY(nd_sink_passage_side(s, &pi.side[i]));
        }
        for (int i = 0; i < 2; i++) {
            ND_TRY(nd_sink_puts(s, i == 0 ? ",\"text_a\":" : ",\"text_b\":"));
            ND_TRY(nd_sink_json_string(s, text[i] + pi.side[i].text_offset,
                                       (size_t)pi.side[i].text_length));
        }
        ND_TRY(nd_sink_puts(s, "}\n"));
    }
    return ND_OK;
}

nd_status nd_compare_write(const nd_compare *c, nd_format format, const nd_write_options *wo,
                           nd_write_fn fn, void *user) {
    return nd_compare_write_width(c, format, wo, 0, fn, user);
}

/* The comparison in one format (nd_sink_body_fn). */
typedef struct compare_body {
    const nd_compare *c;
    nd_format format;
    unsigned width;
} compare_body;

static nd_status compare_body_write(void *ctx, const nd_write_options *wo, nd_sink *s) {
    const compare_body *b = ctx;
    if (b->format == ND_FORMAT_TEXT)
        return write_text(b->c, wo, b->width ? b->width : ND_TEXT_WIDTH, s);
    if (b->format == ND_FORMAT_JSONL) return write_jsonl(b->c, s);
    return nd_write_compare_html(b->c, wo, s);
}

nd_status nd_compare_write_width(const nd_compare *c, nd_format format, const nd_write_options *wo,
                                 unsigned width, nd_write_fn fn, void *user) {
    if (!c || !fn) return ND_ERR_INVALID;
    if (format != ND_FORMAT_TEXT && format != ND_FORMAT_JSONL && format != ND_FORMAT_HTML)
        return ND_ERR_INVALID;
    compare_body b = {c, format, width};
    int err = 0;
    nd_status st = nd_sink_run(fn, user, wo, compare_body_write, &b, &err);
    if (st == ND_ERR_IO) nd_compare_io_error(c, err);
    return st;
}

/* The comparison in one format (nd_emit_fn). */
typedef struct compare_emit {
    const nd_compare *c;
    nd_format format;
    const nd_write_options *wo;
} compare_emit;

static nd_status emit_compare(void *ctx, nd_write_fn fn, void *user) {
    compare_emit *ce = ctx;
    return nd_compare_write(ce->c, ce->format, ce->wo, fn, user);
}

nd_status nd_compare_write_path(const nd_compare *c, nd_format format, const nd_write_options *wo,
                                const char *path) {
    compare_emit ce = {c, format, wo};
    int err = 0;
    if (!c) return ND_ERR_INVALID;
    if (format != ND_FORMAT_TEXT && format != ND_FORMAT_JSONL && format != ND_FORMAT_HTML)
        return ND_ERR_INVALID;
    nd_status st = nd_write_path(path, emit_compare, &ce, &err);
    if (st == ND_ERR_IO) nd_compare_io_error(c, err);
    return st;
}
