/*
 * write_index.c - renders a query of the index (nd_query, index.c) as text,
 * JSON Lines, CSV or HTML, through the writers' sink (write.h), reading the
 * result only through its public accessors: one walk (query_walk) visits
 * every query document, its overlaps and its matches in order, and each
 * format says what it writes at each step (a qvisit).
 *
 * Text, per query document:
 *
 *   QUERY q.txt  (4 paragraphs, 163 characters)
 *   75.5% of it near-duplicates indexed paragraphs (123 of 163 comparable
 *   characters)
 *
 *   in/a.txt  (202 characters)
 *      50.3% of q.txt is in it, 40.6% of it is in q.txt (2 paragraphs)
 *
 *   q.txt:2  ->  in/a.txt:1  similarity 0.8571
 *
 * JSON Lines, per query document, in this order:
 *
 *   {"type":"query","path":"q.txt","bytes":N,"paragraphs":N,"chars":N,
 *    "comparable_chars":N,"matched_chars":N,"matched_share":S,"threshold":T,
 *    "encoding":"utf-8"}
 *   {"type":"overlap","path":"q.txt","target":"in/a.txt","target_chars":N,
 *    "target_comparable_chars":N,"doc_in_target_chars":N,"doc_in_target_share":S,
 *    "target_in_doc_chars":N,"target_in_doc_share":S,"matches":N}
 *   {"type":"match","path":"q.txt","line":N,"offset":N,"length":N,"chars":N,
 *    "target":"in/a.txt","target_line":N,"target_offset":N,
 *    "target_length":N,"target_chars":N,"similarity":S}
 *
 * CSV (RFC 4180, LF line ends): the same records as rows of one table,
 * told apart by "kind"; a column a kind has no value for is empty:
 *
 *   kind,path,line,offset,length,chars,matched_chars,share,target,
 *   target_line,target_offset,target_length,target_chars,
 *   target_matched_chars,target_share,matches,similarity,text,target_text
 *
 *   query:   path, chars, matched_chars, share (matched_chars / its
 *            comparable characters)
 *   overlap: path, chars, matched_chars and share of the query in the
 *            target, target, target_chars, target_matched_chars and
 *            target_share of the target in the query, matches
 *   match:   path, line, offset, length, chars, target, target_line,
 *            target_offset, target_length, target_chars, similarity, and
 *            both paragraphs' texts
 *
 * HTML: one self-contained page (no script, no external resource); per
 * query document its totals, a table of the indexed documents it shares
 * paragraphs with, and its matches with both texts side by side.
 *
 * Every share divides by comparable characters, as the scan's report does
 * (those of paragraphs with at least min_chars; nd_query_document_comparable,
 * nd_query_target_comparable), so a query byte-identical to an indexed
 * document shows 100%.  Shares and similarities with four decimals, rounded half up exactly
 * (nd_ratio_units, nd_unit_units); offsets are original bytes.
 */
#include "nd_internal.h"
#include "write.h"
#include "write_html.h"

/* ------------------------------------------------------------------------ */
/* The walk every format shares                                              */
/* ------------------------------------------------------------------------ */

/* What a format writes at each step of the walk (query_walk): a query
 * document, each of its overlaps (k-th of the document), the end of them
 * (n of them), each match of its paragraphs (k-th of the document), the
 * document's end (n matches).  A NULL step writes nothing. */
/* A query document and an indexed document with their comparable
 * characters (those of paragraphs with at least min_chars: the
 * denominators of the shares, as in the scan's report). */
typedef struct qdoc {
    nd_query_doc_info i;
    uint64_t comparable;
} qdoc;
typedef struct qtarget {
    nd_query_target_info i;
    uint64_t comparable;
} qtarget;

typedef struct qvisit {
    nd_status (*doc)(nd_sink *s, const nd_query *q, size_t di, const qdoc *d);
    nd_status (*overlap)(nd_sink *s, const qdoc *d, const nd_query_overlap_info *o,
                         const qtarget *t, size_t k);
    nd_status (*overlaps_end)(nd_sink *s, size_t n);
    nd_status (*match)(nd_sink *s, const qdoc *d, const nd_query_paragraph_info *p,
                       const nd_query_match_info *m, const qtarget *t, size_t k);
    nd_status (*doc_end)(nd_sink *s, size_t n);
} qvisit;

/* Per query document: the document, its overlaps (by doc_in_target), its
 * matches (by paragraph), through the public accessors only. */
static nd_status query_walk(const nd_query *q, const qvisit *v, nd_sink *s) {
    qdoc d;
    nd_query_paragraph_info p;
    nd_query_match_info m;
    nd_query_overlap_info o;
    qtarget t;
    size_t no = nd_query_overlap_count(q), oi = 0;
    for (size_t di = 0, pi = 0; di < nd_query_document_count(q); di++) {
        ND_TRY(nd_query_document(q, di, &d.i));
        ND_TRY(nd_query_document_comparable(q, di, &d.comparable));
        if (v->doc) ND_TRY(v->doc(s, q, di, &d));
        size_t k = 0;
        for (; oi < no; oi++, k++) {
            ND_TRY(nd_query_overlap(q, oi, &o));
            if (o.doc != di) break;
            ND_TRY(nd_query_target(q, o.target, &t.i));
            ND_TRY(nd_query_target_comparable(q, o.target, &t.comparable));
            if (v->overlap) ND_TRY(v->overlap(s, &d, &o, &t, k));
        }
        if (v->overlaps_end) ND_TRY(v->overlaps_end(s, k));
        k = 0;
        for (; pi < nd_query_paragraph_count(q); pi++) {
            ND_TRY(nd_query_paragraph(q, pi, &p));
            if (p.doc != di) break;
            for (size_t j = 0; j < p.matches; j++, k++) {
                ND_TRY(nd_query_match(q, p.first_match + j, &m));
                ND_TRY(nd_query_target(q, m.target, &t.i));
                ND_TRY(nd_query_target_comparable(q, m.target, &t.comparable));
                if (v->match) ND_TRY(v->match(s, &d, &p, &m, &t, k));
            }
        }
        if (v->doc_end) ND_TRY(v->doc_end(s, k));
    }
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Text                                                                      */
/* ------------------------------------------------------------------------ */

static nd_status put_name(nd_sink *s, const char *path) {
    return nd_sink_name(s, path, strlen(path));
}

static nd_status text_doc(nd_sink *s, const nd_query *q, size_t di, const qdoc *d) {
    ND_UNUSED(q);
    if (di) ND_TRY(nd_sink_putc(s, '\n'));
    ND_TRY(nd_sink_puts(s, "QUERY "));
    ND_TRY(put_name(s, d->i.path));
    ND_TRY(nd_sink_puts(s, "  ("));
    ND_TRY(nd_sink_u64(s, d->i.paragraphs));
    ND_TRY(nd_sink_puts(s, d->i.paragraphs == 1 ? " paragraph, " : " paragraphs, "));
    ND_TRY(nd_sink_u64(s, d->i.chars));
    ND_TRY(nd_sink_puts(s, " characters)\n"));
    ND_TRY(nd_sink_percent(s, d->i.matched_chars, d->comparable));
    ND_TRY(nd_sink_puts(s, " of it near-duplicates indexed paragraphs ("));
    ND_TRY(nd_sink_u64(s, d->i.matched_chars));
    ND_TRY(nd_sink_puts(s, " of "));
    ND_TRY(nd_sink_u64(s, d->comparable));
    return nd_sink_puts(s, " comparable characters)\n");
}

static nd_status text_overlap(nd_sink *s, const qdoc *d, const nd_query_overlap_info *o,
                              const qtarget *t, size_t k) {
    ND_UNUSED(k);
    ND_TRY(nd_sink_puts(s, "\n"));
    ND_TRY(put_name(s, t->i.path));
    ND_TRY(nd_sink_puts(s, "  ("));
    ND_TRY(nd_sink_u64(s, t->i.chars));
    ND_TRY(nd_sink_puts(s, " characters)\n   "));
    ND_TRY(nd_sink_percent(s, o->doc_in_target, d->comparable));
    ND_TRY(nd_sink_puts(s, " of the query is in it, "));
    ND_TRY(nd_sink_percent(s, o->target_in_doc, t->comparable));
    ND_TRY(nd_sink_puts(s, " of it is in the query ("));
    ND_TRY(nd_sink_u64(s, o->matches));
    return nd_sink_puts(s, o->matches == 1 ? " match)\n" : " matches)\n");
}

static nd_status text_match(nd_sink *s, const qdoc *d, const nd_query_paragraph_info *p,
                            const nd_query_match_info *m, const qtarget *t, size_t k) {
    if (k == 0) ND_TRY(nd_sink_putc(s, '\n'));
    ND_TRY(put_name(s, d->i.path));
    ND_TRY(nd_sink_putc(s, ':'));
    ND_TRY(nd_sink_u64(s, p->line));
    ND_TRY(nd_sink_puts(s, "  ->  "));
    ND_TRY(put_name(s, t->i.path));
    ND_TRY(nd_sink_putc(s, ':'));
    ND_TRY(nd_sink_u64(s, m->line));
    ND_TRY(nd_sink_puts(s, "  similarity "));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(m->similarity, 4), 4));
    return nd_sink_putc(s, '\n');
}

static const qvisit text_visit = {text_doc, text_overlap, NULL, text_match, NULL};

/* ------------------------------------------------------------------------ */
/* JSON Lines                                                                */
/* ------------------------------------------------------------------------ */

static nd_status jsonl_doc(nd_sink *s, const nd_query *q, size_t di, const qdoc *d) {
    double thr = 0;
    ND_UNUSED(di);
    ND_TRY(nd_query_threshold(q, &thr));
    ND_TRY(nd_sink_field_str(s, "{\"type\":\"query\",\"path\":", d->i.path));
    ND_TRY(nd_sink_field_u64(s, ",\"bytes\":", d->i.bytes));
    ND_TRY(nd_sink_field_u64(s, ",\"paragraphs\":", d->i.paragraphs));
    ND_TRY(nd_sink_field_u64(s, ",\"chars\":", d->i.chars));
    ND_TRY(nd_sink_field_u64(s, ",\"comparable_chars\":", d->comparable));
    ND_TRY(nd_sink_field_u64(s, ",\"matched_chars\":", d->i.matched_chars));
    ND_TRY(nd_sink_puts(s, ",\"matched_share\":"));
    ND_TRY(nd_sink_share(s, d->i.matched_chars, d->comparable));
    ND_TRY(nd_sink_puts(s, ",\"threshold\":"));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(thr, 4), 4));
    ND_TRY(nd_sink_field_str(s, ",\"encoding\":", d->i.encoding));
    return nd_sink_puts(s, "}\n");
}

static nd_status jsonl_overlap(nd_sink *s, const qdoc *d, const nd_query_overlap_info *o,
                               const qtarget *t, size_t k) {
    ND_UNUSED(k);
    ND_TRY(nd_sink_field_str(s, "{\"type\":\"overlap\",\"path\":", d->i.path));
    ND_TRY(nd_sink_field_str(s, ",\"target\":", t->i.path));
    ND_TRY(nd_sink_field_u64(s, ",\"target_chars\":", t->i.chars));
    ND_TRY(nd_sink_field_u64(s, ",\"target_comparable_chars\":", t->comparable));
    ND_TRY(nd_sink_field_u64(s, ",\"doc_in_target_chars\":", o->doc_in_target));
    ND_TRY(nd_sink_puts(s, ",\"doc_in_target_share\":"));
    ND_TRY(nd_sink_share(s, o->doc_in_target, d->comparable));
    ND_TRY(nd_sink_field_u64(s, ",\"target_in_doc_chars\":", o->target_in_doc));
    ND_TRY(nd_sink_puts(s, ",\"target_in_doc_share\":"));
    ND_TRY(nd_sink_share(s, o->target_in_doc, t->comparable));
    ND_TRY(nd_sink_field_u64(s, ",\"matches\":", o->matches));
    return nd_sink_puts(s, "}\n");
}

static nd_status jsonl_match(nd_sink *s, const qdoc *d, const nd_query_paragraph_info *p,
                             const nd_query_match_info *m, const qtarget *t, size_t k) {
    ND_UNUSED(k);
    ND_TRY(nd_sink_field_str(s, "{\"type\":\"match\",\"path\":", d->i.path));
    ND_TRY(nd_sink_field_u64(s, ",\"line\":", p->line));
    ND_TRY(nd_sink_field_u64(s, ",\"offset\":", p->offset));
    ND_TRY(nd_sink_field_u64(s, ",\"length\":", p->length));
    ND_TRY(nd_sink_field_u64(s, ",\"chars\":", p->chars));
    ND_TRY(nd_sink_field_str(s, ",\"target\":", t->i.path));
    ND_TRY(nd_sink_field_u64(s, ",\"target_line\":", m->line));
    ND_TRY(nd_sink_field_u64(s, ",\"target_offset\":", m->offset));
    ND_TRY(nd_sink_field_u64(s, ",\"target_length\":", m->length));
    ND_TRY(nd_sink_field_u64(s, ",\"target_chars\":", m->chars));
    ND_TRY(nd_sink_puts(s, ",\"similarity\":"));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(m->similarity, 4), 4));
    return nd_sink_puts(s, "}\n");
}

static const qvisit jsonl_visit = {jsonl_doc, jsonl_overlap, NULL, jsonl_match, NULL};

/* ------------------------------------------------------------------------ */
/* CSV                                                                       */
/* ------------------------------------------------------------------------ */

static const char csv_header[] =
    "kind,path,line,offset,length,chars,matched_chars,share,target,target_line,target_offset,"
    "target_length,target_chars,target_matched_chars,target_share,matches,similarity,text,"
    "target_text\n";

static nd_status csv_str(nd_sink *s, const char *str, size_t n) {
    ND_TRY(nd_sink_csv_field(s, str, n));
    return nd_sink_putc(s, ',');
}

static nd_status csv_u64(nd_sink *s, uint64_t v) {
    ND_TRY(nd_sink_u64(s, v));
    return nd_sink_putc(s, ',');
}

static nd_status csv_share(nd_sink *s, uint64_t num, uint64_t den) {
    ND_TRY(nd_sink_share(s, num, den));
    return nd_sink_putc(s, ',');
}

static nd_status csv_doc(nd_sink *s, const nd_query *q, size_t di, const qdoc *d) {
    ND_UNUSED(q);
    ND_UNUSED(di);
    ND_TRY(nd_sink_puts(s, "query,"));
    ND_TRY(csv_str(s, d->i.path, strlen(d->i.path)));
    ND_TRY(nd_sink_puts(s, ",,,"));
    ND_TRY(csv_u64(s, d->i.chars));
    ND_TRY(csv_u64(s, d->i.matched_chars));
    ND_TRY(nd_sink_share(s, d->i.matched_chars, d->comparable));
    return nd_sink_puts(s, ",,,,,,,,,,,\n");
}

static nd_status csv_overlap(nd_sink *s, const qdoc *d, const nd_query_overlap_info *o,
                             const qtarget *t, size_t k) {
    ND_UNUSED(k);
    ND_TRY(nd_sink_puts(s, "overlap,"));
    ND_TRY(csv_str(s, d->i.path, strlen(d->i.path)));
    ND_TRY(nd_sink_puts(s, ",,,"));
    ND_TRY(csv_u64(s, d->i.chars));
    ND_TRY(csv_u64(s, o->doc_in_target));
    ND_TRY(csv_share(s, o->doc_in_target, d->comparable));
    ND_TRY(csv_str(s, t->i.path, strlen(t->i.path)));
    ND_TRY(nd_sink_puts(s, ",,,"));
    ND_TRY(csv_u64(s, t->i.chars));
    ND_TRY(csv_u64(s, o->target_in_doc));
    ND_TRY(csv_share(s, o->target_in_doc, t->comparable));
    ND_TRY(nd_sink_u64(s, o->matches));
    return nd_sink_puts(s, ",,,\n");
}

static nd_status csv_match(nd_sink *s, const qdoc *d, const nd_query_paragraph_info *p,
                           const nd_query_match_info *m, const qtarget *t, size_t k) {
    ND_UNUSED(k);
    ND_TRY(nd_sink_puts(s, "match,"));
    ND_TRY(csv_str(s, d->i.path, strlen(d->i.path)));
    ND_TRY(csv_u64(s, p->line));
    ND_TRY(csv_u64(s, p->offset));
    ND_TRY(csv_u64(s, p->length));
    ND_TRY(csv_u64(s, p->chars));
    ND_TRY(nd_sink_puts(s, ",,"));
    ND_TRY(csv_str(s, t->i.path, strlen(t->i.path)));
    ND_TRY(csv_u64(s, m->line));
    ND_TRY(csv_u64(s, m->offset));
    ND_TRY(csv_u64(s, m->length));
    ND_TRY(csv_u64(s, m->chars));
    ND_TRY(nd_sink_puts(s, ",,,"));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(m->similarity, 4), 4));
    ND_TRY(nd_sink_putc(s, ','));
    ND_TRY(csv_str(s, p->text, p->text_len));
    ND_TRY(nd_sink_csv_field(s, m->text, m->text_len));
    return nd_sink_putc(s, '\n');
}

static const qvisit csv_visit = {csv_doc, csv_overlap, NULL, csv_match, NULL};

/* ------------------------------------------------------------------------ */
/* HTML                                                                      */
/* ------------------------------------------------------------------------ */

static const char html_css[] =
    "body{font:15px/1.45 system-ui,sans-serif;color:#1d2330;background:#f6f7f9;"
    "margin:0;padding:24px}\n"
    "h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:0 0 6px}\n"
    ".muted{color:#5b6475}.total{font-size:18px;margin:8px 0 12px}\n"
    "section{background:#fff;border:1px solid #dde2ea;border-radius:6px;"
    "padding:12px 16px;margin:0 0 16px}\n"
    "table{border-collapse:collapse;width:100%;margin:0 0 12px}"
    "td,th{border-top:1px solid #dde2ea;padding:6px 8px;vertical-align:top;text-align:left}\n"
    "td.num{text-align:right;white-space:nowrap}\n"
    "td.loc{white-space:nowrap;font-family:ui-monospace,monospace;font-size:13px}\n"
    "td.txt{white-space:pre-wrap;word-break:break-word;width:45%}\n";

static nd_status html_loc(nd_sink *s, const char *path, uint32_t line) {
    ND_TRY(nd_sink_html(s, path, strlen(path)));
    ND_TRY(nd_sink_putc(s, ':'));
    return nd_sink_u64(s, line);
}

static nd_status html_doc(nd_sink *s, const nd_query *q, size_t di, const qdoc *d) {
    ND_UNUSED(q);
    ND_UNUSED(di);
    ND_TRY(nd_sink_puts(s, "<section>\n<h2>"));
    ND_TRY(nd_sink_html(s, d->i.path, strlen(d->i.path)));
    ND_TRY(nd_sink_puts(s, "</h2>\n<div class=\"muted\">"));
    ND_TRY(nd_sink_u64(s, d->i.paragraphs));
    ND_TRY(nd_sink_puts(s, d->i.paragraphs == 1 ? " paragraph, " : " paragraphs, "));
    ND_TRY(nd_sink_u64(s, d->i.chars));
    ND_TRY(nd_sink_puts(s, " characters</div>\n<div class=\"total\"><b>"));
    ND_TRY(nd_sink_percent(s, d->i.matched_chars, d->comparable));
    ND_TRY(nd_sink_puts(s, "</b> of it near-duplicates indexed paragraphs ("));
    ND_TRY(nd_sink_u64(s, d->i.matched_chars));
    ND_TRY(nd_sink_puts(s, " of "));
    ND_TRY(nd_sink_u64(s, d->comparable));
    return nd_sink_puts(s, " comparable characters)</div>\n");
}

static nd_status html_overlap(nd_sink *s, const qdoc *d, const nd_query_overlap_info *o,
                              const qtarget *t, size_t k) {
    if (k == 0)
        ND_TRY(nd_sink_puts(s, "<table>\n<tr><th>indexed document</th><th>characters</th>"
                               "<th>of the query in it</th><th>of it in the query</th>"
                               "<th>matches</th></tr>\n"));
    ND_TRY(nd_sink_puts(s, "<tr><td class=\"loc\">"));
    ND_TRY(nd_sink_html(s, t->i.path, strlen(t->i.path)));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"num\">"));
    ND_TRY(nd_sink_u64(s, t->i.chars));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"num\">"));
    ND_TRY(nd_sink_percent(s, o->doc_in_target, d->comparable));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"num\">"));
    ND_TRY(nd_sink_percent(s, o->target_in_doc, t->comparable));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"num\">"));
    ND_TRY(nd_sink_u64(s, o->matches));
    return nd_sink_puts(s, "</td></tr>\n");
}

static nd_status html_overlaps_end(nd_sink *s, size_t n) {
    return nd_sink_puts(s, n ? "</table>\n" : "<p>No indexed paragraph near-duplicates it.</p>\n");
}

static nd_status html_match(nd_sink *s, const qdoc *d, const nd_query_paragraph_info *p,
                            const nd_query_match_info *m, const qtarget *t, size_t k) {
    if (k == 0)
        ND_TRY(nd_sink_puts(s, "<table>\n<tr><th>query paragraph</th><th></th>"
                               "<th>indexed paragraph</th><th></th>"
                               "<th>similarity</th></tr>\n"));
    ND_TRY(nd_sink_puts(s, "<tr><td class=\"loc\">"));
    ND_TRY(html_loc(s, d->i.path, p->line));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"txt\">"));
    ND_TRY(nd_sink_html(s, p->text, p->text_len));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"loc\">"));
    ND_TRY(html_loc(s, t->i.path, m->line));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"txt\">"));
    ND_TRY(nd_sink_html(s, m->text, m->text_len));
    ND_TRY(nd_sink_puts(s, "</td><td class=\"num\">"));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(m->similarity, 4), 4));
    return nd_sink_puts(s, "</td></tr>\n");
}

static nd_status html_doc_end(nd_sink *s, size_t n) {
    if (n) ND_TRY(nd_sink_puts(s, "</table>\n"));
    return nd_sink_puts(s, "</section>\n");
}

static const qvisit html_visit = {html_doc, html_overlap, html_overlaps_end, html_match,
                                  html_doc_end};

static nd_status write_html(const nd_query *q, nd_sink *s) {
    double thr = 0;
    ND_TRY(nd_query_threshold(q, &thr));
    ND_TRY(nd_sink_puts(s, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                           "<title>neardup query</title>\n<style>\n"));
    ND_TRY(nd_sink_puts(s, html_css));
    ND_TRY(nd_sink_puts(s, "</style>\n</head>\n<body>\n<h1>neardup query</h1>\n"
                           "<div class=\"muted\">paragraphs with an indexed near-duplicate of "
                           "exact Jaccard at least "));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(thr, 4), 4));
    ND_TRY(nd_sink_puts(s, "</div>\n"));
    if (nd_query_document_count(q) == 0)
        ND_TRY(nd_sink_puts(s, "<p>No query document was read.</p>\n"));
    ND_TRY(query_walk(q, &html_visit, s));
    return nd_sink_puts(s, "</body>\n</html>\n");
}

nd_status nd_query_write(const nd_query *q, nd_format format, const nd_write_options *wo,
                         nd_write_fn fn, void *user) {
    nd_sink sink = {0};
    nd_status st;
    ND_UNUSED(wo);
    if (!q || !fn ||
        (format != ND_FORMAT_TEXT && format != ND_FORMAT_JSONL && format != ND_FORMAT_CSV &&
         format != ND_FORMAT_HTML))
        return ND_ERR_INVALID;
    ND_CHECK(nd_sink_open(&sink, fn, user));
    switch (format) {
    case ND_FORMAT_TEXT: st = query_walk(q, &text_visit, &sink); break;
    case ND_FORMAT_JSONL: st = query_walk(q, &jsonl_visit, &sink); break;
    case ND_FORMAT_CSV:
        st = nd_sink_puts(&sink, csv_header);
        if (st == ND_OK) st = query_walk(q, &csv_visit, &sink);
        break;
    default: st = write_html(q, &sink); break;
    }
    ND_CHECK(st);
    ND_CHECK(nd_sink_flush(&sink));
out:
    nd_sink_release(&sink);
    return st;
}
