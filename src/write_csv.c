/*
 * write_csv.c - the "csv" format (documented in write.c): RFC 4180 with LF
 * line ends, one row per cluster member; with passages (nd_options.passages)
 * a "kind" column in front and one more row per place of each passage.
 */
#include "write.h"

#include <string.h>

#include "nd_internal.h"
#include "report.h"

#define SIM_DECIMALS 4

static const char header[] =
    "cluster,size,member,path,doc,line,offset,length,chars,similarity,preview\n";

/* With passages: clusters and passages in one table a spreadsheet filters
 * on "kind" (see write.c). */
static const char header_passages[] =
    "kind,id,size,documents,member,path,doc,line,offset,length,chars,similarity,"
    "common,text\n";

static nd_status put_num(nd_sink *s, uint64_t v) {
    ND_TRY(nd_sink_u64(s, v));
    return nd_sink_putc(s, ',');
}

static nd_status put_path(nd_sink *s, const nd_report *r, size_t doc) {
    nd_document_info d;
    ND_TRY(nd_report_document(r, doc, &d));
    ND_TRY(nd_sink_csv_field(s, d.path ? d.path : "", d.path ? strlen(d.path) : 0));
    return nd_sink_putc(s, ',');
}

static nd_status put_sim(nd_sink *s, double sim) {
    ND_TRY(nd_sink_fixed(s, nd_unit_units(sim, SIM_DECIMALS), SIM_DECIMALS));
    return nd_sink_putc(s, ',');
}

static nd_status member_row(const nd_report *r, const nd_write_options *wo, int kinds, size_t k,
                            const nd_cluster_info *c, size_t m, nd_sink *s) {
    nd_paragraph_info p;
    const char *text;
    size_t len;
    int cut;
    ND_TRY(nd_report_paragraph(r, c->members[m], &p));
    ND_TRY(nd_report_paragraph_text(r, c->members[m], &text, &len));
    if (kinds) ND_TRY(nd_sink_puts(s, "cluster,"));
    ND_TRY(put_num(s, k));
    ND_TRY(put_num(s, c->size));
    if (kinds) ND_TRY(put_num(s, c->documents));
    ND_TRY(put_num(s, m));
    ND_TRY(put_path(s, r, p.doc));
    ND_TRY(put_num(s, p.doc));
    ND_TRY(put_num(s, p.line));
    ND_TRY(put_num(s, p.offset));
    ND_TRY(put_num(s, p.length));
    ND_TRY(put_num(s, p.chars));
    ND_TRY(put_sim(s, m == 0 ? 1.0 : p.similarity));
    if (kinds) ND_TRY(nd_sink_putc(s, ',')); /* common: clusters have none */
    len = nd_wr_prefix_chars(text, len, wo->preview, &cut);
    ND_TRY(nd_sink_csv_field(s, text, len));
    return nd_sink_putc(s, '\n');
}

/* Passage i: one row per place, each with the record's fields and its text
 * (the first place's, whole, as the jsonl "text"). */
static nd_status passage_rows(const nd_report *r, size_t i, nd_sink *s) {
    nd_passage_record_info pi;
    const char *text = NULL;
    size_t len = 0;
    ND_TRY(nd_report_passage(r, i, &pi));
    ND_TRY(nd_report_passage_text(r, i, 0, &text, &len));
    for (size_t j = 0; j < pi.places; j++) {
        nd_passage_place pl;
        ND_TRY(nd_report_passage_place(r, i, j, &pl));
        ND_TRY(nd_sink_puts(s, "passage,"));
        ND_TRY(put_num(s, i));
        ND_TRY(put_num(s, pi.places));
        ND_TRY(put_num(s, pi.documents));
        ND_TRY(put_num(s, j));
        ND_TRY(put_path(s, r, pl.doc));
        ND_TRY(put_num(s, pl.doc));
        ND_TRY(put_num(s, pl.line));
        ND_TRY(put_num(s, pl.offset));
        ND_TRY(put_num(s, pl.length));
        ND_TRY(put_num(s, pi.chars));
        ND_TRY(put_sim(s, pi.similarity));
        ND_TRY(nd_sink_puts(s, pi.common ? "true," : "false,"));
        ND_TRY(nd_sink_csv_field(s, text, len));
        ND_TRY(nd_sink_putc(s, '\n'));
    }
    return ND_OK;
}

nd_status nd_write_csv(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    nd_summary sm;
    ND_TRY(nd_report_summary(r, &sm));
    int kinds = sm.passages != 0;
    ND_TRY(nd_sink_puts(s, kinds ? header_passages : header));
    size_t n = nd_report_cluster_count(r);
    for (size_t k = 0; k < n; k++) {
        nd_cluster_info c;
        ND_TRY(nd_report_cluster(r, k, &c));
        nd_report_prefetch_cluster(r, k + 2);
        for (size_t m = 0; m < c.size; m++) ND_TRY(member_row(r, wo, kinds, k, &c, m, s));
    }
    if (!kinds) return ND_OK;
    for (size_t i = 0, np = nd_report_passage_count(r); i < np; i++) ND_TRY(passage_rows(r, i, s));
    return ND_OK;
}
