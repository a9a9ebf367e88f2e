/*
 * write_json.c - the "jsonl" and "json" formats (documented in write.c).
 *
 * Both formats share the record writers below; a record is written with a
 * leading "type" member for jsonl and without it for json.
 */
#include "write.h"

#include <string.h>

#include "nd_internal.h"

#define SHARE_DECIMALS 4

/* Opens a record: "{" and, for jsonl, the "type" member. */
static nd_status open_record(nd_sink *s, const char *type) {
    ND_TRY(nd_sink_putc(s, '{'));
    if (!type) return ND_OK;
    ND_TRY(nd_sink_puts(s, "\"type\":\""));
    ND_TRY(nd_sink_puts(s, type));
    return nd_sink_puts(s, "\",");
}

/* key is the literal text before the value, e.g. ",\"bytes\":". */
static nd_status put_u64(nd_sink *s, const char *key, uint64_t v) {
    ND_TRY(nd_sink_puts(s, key));
    return nd_sink_u64(s, v);
}

static nd_status put_share(nd_sink *s, const char *key, uint64_t num, uint64_t den) {
    ND_TRY(nd_sink_puts(s, key));
    return nd_sink_fixed(s, nd_ratio_units(num, den, SHARE_DECIMALS), SHARE_DECIMALS);
}

static nd_status put_unit(nd_sink *s, const char *key, double v) {
    ND_TRY(nd_sink_puts(s, key));
    return nd_sink_fixed(s, nd_unit_units(v, SHARE_DECIMALS), SHARE_DECIMALS);
}

static nd_status put_str(nd_sink *s, const char *key, const char *str) {
    ND_TRY(nd_sink_puts(s, key));
    if (!str) str = "";
    return nd_sink_json_string(s, str, strlen(str));
}

static const char *split_name(unsigned split) {
    switch (split) {
    case ND_SPLIT_LINE: return "line";
    case ND_SPLIT_BLANK: return "blank";
    default: return "auto";
    }
}

static nd_status summary_record(const nd_report *r, nd_sink *s, const char *type) {
    nd_summary sm;
    ND_TRY(nd_report_summary(r, &sm));
    ND_TRY(open_record(s, type));
    ND_TRY(put_u64(s, "\"files\":", sm.files));
    ND_TRY(put_u64(s, ",\"skipped\":", sm.skipped));
    ND_TRY(put_u64(s, ",\"bytes\":", sm.bytes));
    ND_TRY(put_u64(s, ",\"paragraphs\":", sm.paragraphs));
    ND_TRY(put_u64(s, ",\"short_paragraphs\":", sm.short_paragraphs));
    ND_TRY(put_u64(s, ",\"chars\":", sm.chars));
    ND_TRY(put_u64(s, ",\"clustered_paragraphs\":", sm.clustered_paragraphs));
    ND_TRY(put_u64(s, ",\"clusters\":", sm.clusters));
    ND_TRY(put_u64(s, ",\"duplicated_chars\":", sm.duplicated_chars));
    ND_TRY(put_share(s, ",\"duplicated_share\":", sm.duplicated_chars, sm.chars));
    ND_TRY(put_u64(s, ",\"candidate_pairs\":", sm.candidate_pairs));
    ND_TRY(put_u64(s, ",\"verified_pairs\":", sm.verified_pairs));
    ND_TRY(put_u64(s, ",\"common_clusters\":", sm.common_clusters));
    ND_TRY(put_unit(s, ",\"params\":{\"threshold\":", sm.threshold));
    ND_TRY(put_u64(s, ",\"num_perm\":", sm.num_perm));
    ND_TRY(put_u64(s, ",\"bands\":", sm.bands));
    ND_TRY(put_u64(s, ",\"rows\":", sm.rows));
    ND_TRY(put_u64(s, ",\"shingle\":", sm.shingle));
    ND_TRY(put_u64(s, ",\"common_docs\":", sm.common_docs));
    return nd_sink_puts(s, "}}");
}

static nd_status document_record(const nd_report *r, size_t i, nd_sink *s,
                                 const char *type) {
    nd_document_info d;
    ND_TRY(nd_report_document(r, i, &d));
    ND_TRY(open_record(s, type));
    ND_TRY(put_u64(s, "\"doc\":", i));
    ND_TRY(put_str(s, ",\"path\":", d.path));
    ND_TRY(put_u64(s, ",\"bytes\":", d.bytes));
    ND_TRY(put_u64(s, ",\"paragraphs\":", d.paragraphs));
    ND_TRY(put_u64(s, ",\"chars\":", d.chars));
    ND_TRY(put_u64(s, ",\"elsewhere_chars\":", d.elsewhere_chars));
    ND_TRY(put_share(s, ",\"elsewhere_share\":", d.elsewhere_chars, d.chars));
    ND_TRY(put_u64(s, ",\"within_chars\":", d.within_chars));
    ND_TRY(put_share(s, ",\"within_share\":", d.within_chars, d.chars));
    ND_TRY(put_str(s, ",\"split\":", split_name(d.split)));
    ND_TRY(nd_sink_puts(s, d.gzip ? ",\"gzip\":true" : ",\"gzip\":false"));
    return nd_sink_putc(s, '}');
}

static nd_status paragraph_record(const nd_report *r, size_t i, nd_sink *s,
                                  const char *type) {
    nd_paragraph_info p;
    nd_document_info d;
    ND_TRY(nd_report_paragraph(r, i, &p));
    ND_TRY(nd_report_document(r, p.doc, &d));
    ND_TRY(open_record(s, type));
    ND_TRY(put_u64(s, "\"id\":", i));
    ND_TRY(put_str(s, ",\"path\":", d.path));
    ND_TRY(put_u64(s, ",\"doc\":", p.doc));
    ND_TRY(put_u64(s, ",\"line\":", p.line));
    ND_TRY(put_u64(s, ",\"offset\":", p.offset));
    ND_TRY(put_u64(s, ",\"length\":", p.length));
    ND_TRY(put_u64(s, ",\"chars\":", p.chars));
    double sim = 0.0;
    if (p.cluster >= 0) {
        nd_cluster_info c;
        ND_TRY(nd_report_cluster(r, (size_t)p.cluster, &c));
        sim = c.members[0] == i ? 1.0 : p.similarity; /* the representative */
        ND_TRY(put_u64(s, ",\"cluster\":", (uint64_t)p.cluster));
    } else {
        ND_TRY(nd_sink_puts(s, ",\"cluster\":null"));
    }
    ND_TRY(put_unit(s, ",\"similarity\":", sim));
    return nd_sink_putc(s, '}');
}

static nd_status cluster_record(const nd_report *r, size_t k, nd_sink *s,
                                const char *type) {
    nd_cluster_info c;
    ND_TRY(nd_report_cluster(r, k, &c));
    ND_TRY(open_record(s, type));
    ND_TRY(put_u64(s, "\"id\":", k));
    ND_TRY(put_u64(s, ",\"size\":", c.size));
    ND_TRY(put_u64(s, ",\"documents\":", c.documents));
    ND_TRY(put_u64(s, ",\"chars\":", c.chars));
    ND_TRY(nd_sink_puts(s, ",\"members\":["));
    for (size_t m = 0; m < c.size; m++) {
        nd_paragraph_info p;
        nd_document_info d;
        ND_TRY(nd_report_paragraph(r, c.members[m], &p));
        ND_TRY(nd_report_document(r, p.doc, &d));
        if (m) ND_TRY(nd_sink_putc(s, ','));
        ND_TRY(put_u64(s, "{\"paragraph\":", c.members[m]));
        ND_TRY(put_str(s, ",\"path\":", d.path));
        ND_TRY(put_u64(s, ",\"doc\":", p.doc));
        ND_TRY(put_u64(s, ",\"line\":", p.line));
        ND_TRY(put_u64(s, ",\"offset\":", p.offset));
        ND_TRY(put_u64(s, ",\"length\":", p.length));
        ND_TRY(put_unit(s, ",\"similarity\":", m == 0 ? 1.0 : p.similarity));
        ND_TRY(nd_sink_putc(s, '}'));
    }
    return nd_sink_puts(s, "]}");
}

static nd_status overlap_record(const nd_report *r, size_t i, nd_sink *s,
                                const char *type) {
    nd_overlap_info o;
    nd_document_info da, db;
    ND_TRY(nd_report_overlap(r, i, &o));
    ND_TRY(nd_report_document(r, o.a, &da));
    ND_TRY(nd_report_document(r, o.b, &db));
    ND_TRY(open_record(s, type));
    ND_TRY(put_u64(s, "\"a\":", o.a));
    ND_TRY(put_u64(s, ",\"b\":", o.b));
    ND_TRY(put_str(s, ",\"path_a\":", da.path));
    ND_TRY(put_str(s, ",\"path_b\":", db.path));
    ND_TRY(put_u64(s, ",\"a_in_b_chars\":", o.a_in_b));
    ND_TRY(put_share(s, ",\"a_in_b_share\":", o.a_in_b, da.chars));
    ND_TRY(put_u64(s, ",\"b_in_a_chars\":", o.b_in_a));
    ND_TRY(put_share(s, ",\"b_in_a_share\":", o.b_in_a, db.chars));
    ND_TRY(put_u64(s, ",\"clusters\":", o.clusters));
    return nd_sink_putc(s, '}');
}

typedef nd_status (*record_fn)(const nd_report *r, size_t i, nd_sink *s,
                               const char *type);

/* The record kinds in output order; `emit_paragraphs` gates "paragraph". */
static const struct {
    const char *type;  /* jsonl "type" */
    const char *array; /* json member name */
    size_t (*count)(const nd_report *r);
    record_fn write;
} kinds[] = {
    {"document", "documents", nd_report_document_count, document_record},
    {"paragraph", "paragraphs", nd_report_paragraph_count, paragraph_record},
    {"cluster", "clusters", nd_report_cluster_count, cluster_record},
    {"overlap", "overlaps", nd_report_overlap_count, overlap_record},
};

nd_status nd_write_jsonl(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    ND_TRY(summary_record(r, s, "summary"));
    ND_TRY(nd_sink_putc(s, '\n'));
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (kinds[k].write == paragraph_record && !wo->emit_paragraphs) continue;
        size_t n = kinds[k].count(r);
        for (size_t i = 0; i < n; i++) {
            ND_TRY(kinds[k].write(r, i, s, kinds[k].type));
            ND_TRY(nd_sink_putc(s, '\n'));
        }
    }
    return ND_OK;
}

nd_status nd_write_json(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    ND_TRY(nd_sink_puts(s, "{\n  \"summary\": "));
    ND_TRY(summary_record(r, s, NULL));
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (kinds[k].write == paragraph_record && !wo->emit_paragraphs) continue;
        size_t n = kinds[k].count(r);
        ND_TRY(nd_sink_puts(s, ",\n  \""));
        ND_TRY(nd_sink_puts(s, kinds[k].array));
        ND_TRY(nd_sink_puts(s, n ? "\": [\n" : "\": []"));
        for (size_t i = 0; i < n; i++) {
            ND_TRY(nd_sink_puts(s, "    "));
            ND_TRY(kinds[k].write(r, i, s, NULL));
            ND_TRY(nd_sink_puts(s, i + 1 < n ? ",\n" : "\n  ]"));
        }
    }
    return nd_sink_puts(s, "\n}\n");
}
