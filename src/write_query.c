/*
 * write_query.c - one document checked against a corpus: the report of a
 * query run (nd_scanner_add_query_path with nd_options.passages) as
 * `neardup compare FILE PATH...` prints it (nd_report_write_query).
 *
 * What a user of a plagiarism checker asks first is how much of the query
 * document was found, and where: so the total comes first - the query's
 * characters inside any passage it shares with another document, the union
 * of their spans, over the normalised characters of its whole text - then
 * one entry per document that shares a passage with it, ordered by the
 * share of the query found there (largest first; ties by path, then
 * document index), each with the share of the query found in it, the share
 * of it found in the query (both unions of spans, as compare's
 * covered_chars), and its passages by position in the query, each with
 * path:line in both and a preview.
 *
 * The material is the report's pairwise passages (nd_report_pair_passage),
 * read through the public accessors only, as every writer reads the model.
 * Pairs of the query with itself are not shown (a query run makes none;
 * a report of a full run given here would have them).  Common text is not
 * left out: a query run gives no seeds to k-grams in more than
 * common_docs documents already, and what remains is what the user asked
 * about.  Shares are exact ratios of integers (nd_ratio_units), the order
 * a total order, so the bytes are a pure function of the report.
 */
#include <stdlib.h>
#include <string.h>

#include "nd_internal.h"
#include "report.h" /* nd_report_io_error only */
#include "write.h"
#include "write_html.h"

/* A pairwise passage between the query and document `doc`. */
typedef struct q_item {
    uint32_t doc;         /* the other document */
    size_t idx;           /* nd_report_pair_passage index */
    unsigned qs;          /* the query's side in it (0 or 1) */
    nd_passage_side q, d; /* the query's side, the other's */
    uint64_t matched;
    uint32_t fragments;
} q_item;

/* One document sharing passages with the query. */
typedef struct q_match {
    uint32_t doc;
    size_t first, n;  /* its items */
    uint64_t q_chars; /* the query's characters in them (union) */
    uint64_t d_chars; /* the document's characters in them (union) */
    uint64_t chars;   /* its normalised characters */
    const char *path;
} q_match;

typedef struct q_view {
    const nd_report *r;
    uint32_t q; /* the query document */
    nd_document_info qi;
    size_t ndocs; /* corpus documents (all but query documents) */
    q_item *it;
    size_t nit;
    q_match *m;
    size_t nm;
    uint64_t found; /* the query's characters in any passage (union) */
    unsigned min_passage;
} q_view;

typedef struct span {
    uint64_t s, e;
} span;

static int span_cmp(const void *x, const void *y) {
    const span *a = x, *b = y;
    if (a->s != b->s) return a->s < b->s ? -1 : 1;
    return a->e < b->e ? -1 : a->e > b->e;
}

/* Characters covered by the union of sp[0..n-1] (sorted here). */
static uint64_t span_union(span *sp, size_t n) {
    uint64_t total = 0, s = 0, e = 0;
    int open = 0;
    if (n > 1) qsort(sp, n, sizeof *sp, span_cmp);
    for (size_t i = 0; i < n; i++) {
        if (open && sp[i].s <= e) {
            if (sp[i].e > e) e = sp[i].e;
            continue;
        }
        if (open) total += e - s;
        s = sp[i].s;
        e = sp[i].e;
        open = 1;
    }
    if (open) total += e - s;
    return total;
}

static int item_cmp(const void *x, const void *y) {
    const q_item *a = x, *b = y;
    if (a->doc != b->doc) return a->doc < b->doc ? -1 : 1;
    if (a->q.start_char != b->q.start_char) return a->q.start_char < b->q.start_char ? -1 : 1;
    if (a->d.start_char != b->d.start_char) return a->d.start_char < b->d.start_char ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static int match_cmp(const q_match *a, const q_match *b, uint64_t qchars) {
    int c = nd_ratio_cmp(a->q_chars, qchars, b->q_chars, qchars);
    if (c) return -c; /* larger share first */
    c = strcmp(a->path, b->path);
    if (c) return c;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

/* Matches in report order (a merge sort: qsort has no context for the
 * query's characters). */
static void sort_matches(q_match *m, q_match *tmp, size_t n, uint64_t qchars) {
    if (n < 2) return;
    size_t h = n / 2;
    sort_matches(m, tmp, h, qchars);
    sort_matches(m + h, tmp, n - h, qchars);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) tmp[k++] = match_cmp(&m[j], &m[i], qchars) < 0 ? m[j++] : m[i++];
    while (i < h) tmp[k++] = m[i++];
    while (j < n) tmp[k++] = m[j++];
    memcpy(m, tmp, n * sizeof *m);
}

static void view_release(q_view *v) {
    free(v->it);
    free(v->m);
    memset(v, 0, sizeof *v);
}

/* Builds the view of report r: the query, its items and matches. */
static nd_status view_build(const nd_report *r, q_view *v) {
    nd_status st = ND_OK;
    nd_summary sum;
    span *sp = NULL;
    q_match *tmp = NULL;
    size_t nq = 0, nd = nd_report_document_count(r), np = nd_report_pair_passage_count(r);
    memset(v, 0, sizeof *v);
    v->r = r;
    ND_CHECK(nd_report_summary(r, &sum));
    if (!sum.passages) return ND_ERR_STATE;
    v->min_passage = sum.min_passage;
    for (size_t d = 0; d < nd; d++) {
        nd_document_info di;
        ND_CHECK(nd_report_document(r, d, &di));
        if (di.query) {
            nq++;
            v->q = (uint32_t)d;
            v->qi = di;
        }
    }
    if (nq != 1) return ND_ERR_STATE;
    v->ndocs = nd - nq;
    if (!(v->it = nd_mallocn(np ? np : 1, sizeof *v->it))) return ND_ERR_NOMEM;
    for (size_t i = 0; i < np; i++) {
        nd_pair_passage_info pp;
        ND_CHECK(nd_report_pair_passage(r, i, &pp));
        if ((pp.a == v->q) == (pp.b == v->q)) continue; /* not with the query, or inside it */
        unsigned qs = pp.a == v->q ? 0 : 1;
        v->it[v->nit++] = (q_item){.doc = qs ? pp.a : pp.b,
                                   .idx = i,
                                   .qs = qs,
                                   .q = pp.p.side[qs],
                                   .d = pp.p.side[1 - qs],
                                   .matched = pp.p.matched_chars,
                                   .fragments = pp.p.fragments};
    }
    if (v->nit > 1) qsort(v->it, v->nit, sizeof *v->it, item_cmp);
    sp = nd_mallocn(v->nit ? v->nit : 1, sizeof *sp);
    v->m = nd_mallocn(v->nit ? v->nit : 1, sizeof *v->m);
    tmp = nd_mallocn(v->nit ? v->nit : 1, sizeof *tmp);
    if (!sp || !v->m || !tmp) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < v->nit;) {
        size_t j = i;
        nd_document_info di;
        while (j < v->nit && v->it[j].doc == v->it[i].doc) j++;
        ND_CHECK(nd_report_document(r, v->it[i].doc, &di));
        q_match *m = &v->m[v->nm++];
        *m = (q_match){
            .doc = v->it[i].doc, .first = i, .n = j - i, .chars = di.text_chars, .path = di.path};
        for (size_t k = i; k < j; k++)
            sp[k - i] = (span){v->it[k].q.start_char, v->it[k].q.start_char + v->it[k].q.chars};
        m->q_chars = span_union(sp, j - i);
        for (size_t k = i; k < j; k++)
            sp[k - i] = (span){v->it[k].d.start_char, v->it[k].d.start_char + v->it[k].d.chars};
        m->d_chars = span_union(sp, j - i);
        i = j;
    }
    for (size_t k = 0; k < v->nit; k++)
        sp[k] = (span){v->it[k].q.start_char, v->it[k].q.start_char + v->it[k].q.chars};
    v->found = span_union(sp, v->nit);
    sort_matches(v->m, tmp, v->nm, v->qi.text_chars);
out:
    free(sp);
    free(tmp);
    return st;
}

/* "path:line" or "path:line-end", the path through put_path (nd_sink_text
 * for the terminal, nd_sink_html for html). */
static nd_status put_loc_with(nd_sink *s, const char *path, const nd_passage_side *ps,
                              nd_status (*put_path)(nd_sink *, const char *, size_t)) {
    ND_TRY(put_path(s, path, strlen(path)));
    ND_TRY(nd_sink_putc(s, ':'));
    ND_TRY(nd_sink_u64(s, ps->line));
    if (ps->end_line != ps->line) {
        ND_TRY(nd_sink_putc(s, '-'));
        ND_TRY(nd_sink_u64(s, ps->end_line));
    }
    return ND_OK;
}

static size_t digits(uint64_t v) {
    size_t n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

static size_t loc_width(const char *path, const nd_passage_side *ps) {
    size_t w = nd_wr_name_width(path, strlen(path)) + 1 + digits(ps->line);
    if (ps->end_line != ps->line) w += 1 + digits(ps->end_line);
    return w;
}

static nd_status put_chars_of(nd_sink *s, uint64_t num, uint64_t den) {
    ND_TRY(nd_sink_puts(s, " ("));
    ND_TRY(nd_sink_u64(s, num));
    ND_TRY(nd_sink_puts(s, " of "));
    ND_TRY(nd_sink_u64(s, den));
    return nd_sink_puts(s, " comparable characters)\n");
}

/* The text of an item's side (0: the query's, 1: the document's). */
static nd_status item_text(const q_view *v, const q_item *it, unsigned which, const char **text,
                           size_t *len) {
    unsigned side = which == 0 ? it->qs : 1 - it->qs;
    return nd_report_pair_passage_text(v->r, it->idx, side, text, len);
}

static nd_status write_text(const q_view *v, const nd_write_options *wo, nd_sink *s) {
    ND_TRY(nd_sink_puts(s, "FILE  "));
    ND_TRY(nd_sink_name(s, v->qi.path, strlen(v->qi.path)));
    ND_TRY(nd_sink_puts(s, "  ("));
    ND_TRY(nd_sink_u64(s, v->qi.text_chars));
    ND_TRY(nd_sink_puts(s, " characters"));
    if (strcmp(v->qi.encoding, "utf-8") != 0) {
        ND_TRY(nd_sink_puts(s, ", read as "));
        ND_TRY(nd_sink_puts(s, v->qi.encoding));
    }
    ND_TRY(nd_sink_puts(s, ")\ncompared with "));
    ND_TRY(nd_sink_u64(s, v->ndocs));
    ND_TRY(nd_sink_puts(s, v->ndocs == 1 ? " document; " : " documents; "));
    ND_TRY(nd_sink_u64(s, v->nm));
    ND_TRY(nd_sink_puts(s, v->nm == 1 ? " shares" : " share"));
    ND_TRY(nd_sink_puts(s, " passages of at least "));
    ND_TRY(nd_sink_u64(s, v->min_passage));
    ND_TRY(nd_sink_puts(s, " characters with it\n\n"));
    ND_TRY(nd_sink_percent(s, v->found, v->qi.text_chars));
    ND_TRY(nd_sink_puts(s, " of FILE is found in the corpus"));
    ND_TRY(put_chars_of(s, v->found, v->qi.text_chars));
    size_t id = 0; /* passages numbered as the jsonl "id": from 0, in order */
    for (size_t k = 0; k < v->nm; k++) {
        const q_match *m = &v->m[k];
        nd_document_info di;
        size_t locw = 0;
        ND_TRY(nd_report_document(v->r, m->doc, &di));
        for (size_t i = m->first; i < m->first + m->n; i++) {
            size_t a = loc_width(v->qi.path, &v->it[i].q), b = loc_width(di.path, &v->it[i].d);
            locw = ND_MAX(locw, ND_MAX(a, b));
        }
        ND_TRY(nd_sink_putc(s, '\n'));
        ND_TRY(nd_sink_u64(s, k + 1));
        ND_TRY(nd_sink_puts(s, ". "));
        ND_TRY(nd_sink_name(s, di.path, strlen(di.path)));
        ND_TRY(nd_sink_puts(s, "  ("));
        ND_TRY(nd_sink_u64(s, m->chars));
        ND_TRY(nd_sink_puts(s, " characters"));
        if (strcmp(di.encoding, "utf-8") != 0) {
            ND_TRY(nd_sink_puts(s, ", read as "));
            ND_TRY(nd_sink_puts(s, di.encoding));
        }
        ND_TRY(nd_sink_puts(s, ")\n   "));
        ND_TRY(nd_sink_percent(s, m->q_chars, v->qi.text_chars));
        ND_TRY(nd_sink_puts(s, " of FILE appears in it"));
        ND_TRY(put_chars_of(s, m->q_chars, v->qi.text_chars));
        ND_TRY(nd_sink_puts(s, "   "));
        ND_TRY(nd_sink_percent(s, m->d_chars, m->chars));
        ND_TRY(nd_sink_puts(s, " of it appears in FILE"));
        ND_TRY(put_chars_of(s, m->d_chars, m->chars));
        for (size_t i = m->first; i < m->first + m->n; i++) {
            const q_item *it = &v->it[i];
            ND_TRY(nd_sink_puts(s, "   #"));
            ND_TRY(nd_sink_u64(s, id++));
            ND_TRY(nd_sink_puts(s, "  "));
            ND_TRY(nd_sink_u64(s, it->matched));
            ND_TRY(nd_sink_puts(s, " matching characters"));
            if (it->fragments > 1) {
                ND_TRY(nd_sink_puts(s, " in "));
                ND_TRY(nd_sink_u64(s, it->fragments));
                ND_TRY(nd_sink_puts(s, " pieces"));
            }
            ND_TRY(nd_sink_putc(s, '\n'));
            for (unsigned w = 0; w < 2; w++) {
                const char *path = w == 0 ? v->qi.path : di.path;
                const nd_passage_side *ps = w == 0 ? &it->q : &it->d;
                const char *text;
                size_t len, shown;
                int cut = 0;
                ND_TRY(item_text(v, it, w, &text, &len));
                ND_TRY(nd_sink_puts(s, "     "));
                ND_TRY(put_loc_with(s, path, ps, nd_sink_name));
                if (wo->preview == 0) { /* no preview, as in every report */
                    ND_TRY(nd_sink_putc(s, '\n'));
                    continue;
                }
                ND_TRY(nd_sink_repeat(s, ' ', locw - loc_width(path, ps) + 2));
                /* "     " path:lines "  ": the preview fits ND_TEXT_WIDTH */
                size_t used = 5 + locw + 2;
                shown = nd_wr_fit_preview(text, len, wo->preview,
                                          used < ND_TEXT_WIDTH ? ND_TEXT_WIDTH - used : 0, 3, &cut);
                ND_TRY(nd_sink_text(s, text, shown));
                if (cut) ND_TRY(nd_sink_puts(s, "..."));
                ND_TRY(nd_sink_putc(s, '\n'));
            }
        }
    }
    return ND_OK;
}

static nd_status write_jsonl(const q_view *v, nd_sink *s) {
    size_t npass = v->nit;
    ND_TRY(nd_sink_field_str(s, "{\"type\":\"query\",\"path\":", v->qi.path));
    ND_TRY(nd_sink_field_u64(s, ",\"doc\":", v->q));
    ND_TRY(nd_sink_field_u64(s, ",\"bytes\":", v->qi.bytes));
    ND_TRY(nd_sink_field_str(s, ",\"encoding\":", v->qi.encoding));
    ND_TRY(nd_sink_field_u64(s, ",\"chars\":", v->qi.text_chars));
    ND_TRY(nd_sink_field_u64(s, ",\"documents\":", v->ndocs));
    ND_TRY(nd_sink_field_u64(s, ",\"matching_documents\":", v->nm));
    ND_TRY(nd_sink_field_u64(s, ",\"found_chars\":", v->found));
    ND_TRY(nd_sink_puts(s, ",\"found_share\":"));
    ND_TRY(nd_sink_share(s, v->found, v->qi.text_chars));
    ND_TRY(nd_sink_field_u64(s, ",\"passages\":", npass));
    ND_TRY(nd_sink_field_u64(s, ",\"min_passage\":", v->min_passage));
    ND_TRY(nd_sink_puts(s, "}\n"));
    size_t id = 0;
    for (size_t k = 0; k < v->nm; k++) {
        const q_match *m = &v->m[k];
        nd_document_info di;
        ND_TRY(nd_report_document(v->r, m->doc, &di));
        ND_TRY(nd_sink_field_u64(s, "{\"type\":\"match\",\"rank\":", k + 1));
        ND_TRY(nd_sink_field_str(s, ",\"path\":", di.path));
        ND_TRY(nd_sink_field_u64(s, ",\"doc\":", m->doc));
        ND_TRY(nd_sink_field_u64(s, ",\"bytes\":", di.bytes));
        ND_TRY(nd_sink_field_str(s, ",\"encoding\":", di.encoding));
        ND_TRY(nd_sink_field_u64(s, ",\"chars\":", m->chars));
        ND_TRY(nd_sink_field_u64(s, ",\"query_in_doc_chars\":", m->q_chars));
        ND_TRY(nd_sink_puts(s, ",\"query_in_doc_share\":"));
        ND_TRY(nd_sink_share(s, m->q_chars, v->qi.text_chars));
        ND_TRY(nd_sink_field_u64(s, ",\"doc_in_query_chars\":", m->d_chars));
        ND_TRY(nd_sink_puts(s, ",\"doc_in_query_share\":"));
        ND_TRY(nd_sink_share(s, m->d_chars, m->chars));
        ND_TRY(nd_sink_field_u64(s, ",\"passages\":", m->n));
        ND_TRY(nd_sink_puts(s, "}\n"));
        for (size_t i = m->first; i < m->first + m->n; i++, id++) {
            const q_item *it = &v->it[i];
            const char *text;
            size_t len;
            ND_TRY(nd_sink_field_u64(s, "{\"type\":\"passage\",\"id\":", id));
            ND_TRY(nd_sink_field_u64(s, ",\"rank\":", k + 1));
            ND_TRY(nd_sink_field_str(s, ",\"path\":", di.path));
            ND_TRY(nd_sink_field_u64(s, ",\"matched_chars\":", it->matched));
            ND_TRY(nd_sink_field_u64(s, ",\"fragments\":", it->fragments));
            ND_TRY(nd_sink_puts(s, ",\"query\":"));
            ND_TRY(nd_sink_passage_side(s, &it->q));
            ND_TRY(nd_sink_puts(s, ",\"doc\":"));
            ND_TRY(nd_sink_passage_side(s, &it->d));
            ND_TRY(item_text(v, it, 0, &text, &len));
            ND_TRY(nd_sink_puts(s, ",\"text_query\":"));
            ND_TRY(nd_sink_json_string(s, text, len));
            ND_TRY(item_text(v, it, 1, &text, &len));
            ND_TRY(nd_sink_puts(s, ",\"text_doc\":"));
            ND_TRY(nd_sink_json_string(s, text, len));
            ND_TRY(nd_sink_puts(s, "}\n"));
        }
    }
    return ND_OK;
}

static const char query_css[] =
    "body{font:15px/1.45 system-ui,sans-serif;color:#1d2330;background:#f6f7f9;"
    "margin:0;padding:24px}\n"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:0 0 6px}\n"
    ".muted{color:#5b6475}.total{font-size:18px;margin:12px 0 20px}\n"
    "section{background:#fff;border:1px solid #dde2ea;border-radius:6px;"
    "padding:12px 16px;margin:0 0 16px}\n"
    "table{border-collapse:collapse;width:100%}td,th{border-top:1px solid #dde2ea;"
    "padding:6px 8px;vertical-align:top;text-align:left}\n"
    "td.loc{white-space:nowrap;font-family:ui-monospace,monospace;font-size:13px}\n"
    "td.txt{white-space:pre-wrap;word-break:break-word}\n"
    ".bar{display:inline-block;height:8px;background:#2457c5;border-radius:2px;"
    "vertical-align:middle;margin-right:6px}\n";

static nd_status write_html(const q_view *v, nd_sink *s) {
    ND_TRY(nd_sink_puts(s, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<title>neardup compare: "));
    ND_TRY(nd_sink_html(s, v->qi.path, strlen(v->qi.path)));
    ND_TRY(nd_sink_puts(s, "</title>\n<style>\n"));
    ND_TRY(nd_sink_puts(s, query_css));
    ND_TRY(nd_sink_puts(s, "</style>\n</head>\n<body>\n<h1>"));
    ND_TRY(nd_sink_html(s, v->qi.path, strlen(v->qi.path)));
    ND_TRY(nd_sink_puts(s, "</h1>\n<div class=\"muted\">"));
    ND_TRY(nd_sink_u64(s, v->qi.text_chars));
    ND_TRY(nd_sink_puts(s, " characters, compared with "));
    ND_TRY(nd_sink_u64(s, v->ndocs));
    ND_TRY(nd_sink_puts(s, v->ndocs == 1 ? " document" : " documents"));
    ND_TRY(nd_sink_puts(s, "; passages of at least "));
    ND_TRY(nd_sink_u64(s, v->min_passage));
    ND_TRY(nd_sink_puts(s, " characters</div>\n<div class=\"total\"><b>"));
    ND_TRY(nd_sink_percent(s, v->found, v->qi.text_chars));
    ND_TRY(nd_sink_puts(s, "</b> of this document is found in "));
    ND_TRY(nd_sink_u64(s, v->nm));
    ND_TRY(nd_sink_puts(s, v->nm == 1 ? " document (" : " documents ("));
    ND_TRY(nd_sink_u64(s, v->found));
    ND_TRY(nd_sink_puts(s, " of "));
    ND_TRY(nd_sink_u64(s, v->qi.text_chars));
    ND_TRY(nd_sink_puts(s, " characters)</div>\n"));
    size_t id = 0; /* passages numbered as the jsonl "id" */
    for (size_t k = 0; k < v->nm; k++) {
        const q_match *m = &v->m[k];
        nd_document_info di;
        ND_TRY(nd_report_document(v->r, m->doc, &di));
        ND_TRY(nd_sink_puts(s, "<section>\n<h2>"));
        ND_TRY(nd_sink_u64(s, k + 1));
        ND_TRY(nd_sink_puts(s, ". "));
        ND_TRY(nd_sink_html(s, di.path, strlen(di.path)));
        ND_TRY(nd_sink_puts(s, "</h2>\n<div><span class=\"bar\" style=\"width:"));
        ND_TRY(nd_sink_u64(s, nd_ratio_units(m->q_chars, v->qi.text_chars, 2)));
        ND_TRY(nd_sink_puts(s, "px\"></span><b>"));
        ND_TRY(nd_sink_percent(s, m->q_chars, v->qi.text_chars));
        ND_TRY(nd_sink_puts(s, "</b> of this document appears in it; "));
        ND_TRY(nd_sink_percent(s, m->d_chars, m->chars));
        ND_TRY(nd_sink_puts(s, " of it ("));
        ND_TRY(nd_sink_u64(s, m->chars));
        ND_TRY(nd_sink_puts(s, " characters) appears here</div>\n<table>\n"));
        for (size_t i = m->first; i < m->first + m->n; i++) {
            const q_item *it = &v->it[i];
            for (unsigned w = 0; w < 2; w++) {
                const char *text;
                size_t len;
                ND_TRY(item_text(v, it, w, &text, &len));
                ND_TRY(nd_sink_puts(s, "<tr><td class=\"loc\">"));
                if (w == 0) {
                    ND_TRY(nd_sink_putc(s, '#'));
                    ND_TRY(nd_sink_u64(s, id++));
                    ND_TRY(nd_sink_puts(s, " "));
                    ND_TRY(put_loc_with(s, v->qi.path, &it->q, nd_sink_html));
                } else {
                    ND_TRY(put_loc_with(s, di.path, &it->d, nd_sink_html));
                }
                ND_TRY(nd_sink_puts(s, "</td><td class=\"txt\">"));
                ND_TRY(nd_sink_html(s, text, len));
                ND_TRY(nd_sink_puts(s, "</td></tr>\n"));
            }
        }
        ND_TRY(nd_sink_puts(s, "</table>\n</section>\n"));
    }
    return nd_sink_puts(s, "</body>\n</html>\n");
}

/* The query's view in one format (nd_sink_body_fn). */
typedef struct query_body {
    const q_view *v;
    nd_format format;
} query_body;

static nd_status query_body_write(void *ctx, const nd_write_options *wo, nd_sink *s) {
    const query_body *b = ctx;
    if (b->format == ND_FORMAT_TEXT) return write_text(b->v, wo, s);
    if (b->format == ND_FORMAT_JSONL) return write_jsonl(b->v, s);
    return write_html(b->v, s);
}

nd_status nd_report_write_query(const nd_report *r, nd_format format, const nd_write_options *wo,
                                nd_write_fn fn, void *user) {
    q_view v;
    nd_status st;
    int err = 0;
    memset(&v, 0, sizeof v);
    if (!r || !fn) return ND_ERR_INVALID;
    if (format != ND_FORMAT_TEXT && format != ND_FORMAT_JSONL && format != ND_FORMAT_HTML)
        return ND_ERR_INVALID;
    ND_CHECK(view_build(r, &v));
    query_body b = {&v, format};
    st = nd_sink_run(fn, user, wo, query_body_write, &b, &err);
    if (st == ND_ERR_IO) (void)nd_report_io_error(r, err, NULL);
out:
    view_release(&v);
    return st;
}
