/*
 * write_csv.c - the "csv" format (documented in write.c): RFC 4180 with LF
 * line ends, one row per cluster member.
 */
#include "write.h"

#include <string.h>

#include "nd_internal.h"

#define SIM_DECIMALS 4

static const char header[] =
    "cluster,size,member,path,doc,line,offset,length,chars,similarity,preview\n";

static nd_status put_num(nd_sink *s, uint64_t v) {
    ND_TRY(nd_sink_u64(s, v));
    return nd_sink_putc(s, ',');
}

static nd_status member_row(const nd_report *r, const nd_write_options *wo,
                            size_t k, const nd_cluster_info *c, size_t m,
                            nd_sink *s) {
    nd_paragraph_info p;
    nd_document_info d;
    const char *text;
    size_t len;
    int cut;
    ND_TRY(nd_report_paragraph(r, c->members[m], &p));
    ND_TRY(nd_report_document(r, p.doc, &d));
    ND_TRY(nd_report_paragraph_text(r, c->members[m], &text, &len));
    ND_TRY(put_num(s, k));
    ND_TRY(put_num(s, c->size));
    ND_TRY(put_num(s, m));
    ND_TRY(nd_sink_csv_field(s, d.path ? d.path : "", d.path ? strlen(d.path) : 0));
    ND_TRY(nd_sink_putc(s, ','));
    ND_TRY(put_num(s, p.doc));
    ND_TRY(put_num(s, p.line));
    ND_TRY(put_num(s, p.offset));
    ND_TRY(put_num(s, p.length));
    ND_TRY(put_num(s, p.chars));
    ND_TRY(nd_sink_fixed(s, nd_unit_units(m == 0 ? 1.0 : p.similarity, SIM_DECIMALS),
                         SIM_DECIMALS));
    ND_TRY(nd_sink_putc(s, ','));
    len = nd_wr_prefix_chars(text, len, wo->preview, &cut);
    ND_TRY(nd_sink_csv_field(s, text, len));
    return nd_sink_putc(s, '\n');
}

nd_status nd_write_csv(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    ND_TRY(nd_sink_puts(s, header));
    size_t n = nd_report_cluster_count(r);
    for (size_t k = 0; k < n; k++) {
        nd_cluster_info c;
        ND_TRY(nd_report_cluster(r, k, &c));
        for (size_t m = 0; m < c.size; m++) ND_TRY(member_row(r, wo, k, &c, m, s));
    }
    return ND_OK;
}
