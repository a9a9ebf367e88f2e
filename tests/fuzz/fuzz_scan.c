/*
 * fuzz_scan.c - the whole scan of 1-4 in-memory documents (nd_scanner_*).
 *
 * Checks the report against its documented contract (neardup.h):
 *   - totals: files, bytes, paragraphs, chars, clusters, clustered
 *     paragraphs and duplicated chars add up over documents, paragraphs and
 *     clusters; verified <= candidate pairs;
 *   - paragraphs: ordered by (document, offset), inside their document,
 *     non-overlapping, text pointer and length agree, line >= 1, chars
 *     equal to what the sketcher (the same normalisation) counts;
 *   - clusters: size >= 2, members ascending, every member points back to
 *     its cluster, chars >= min_chars, similarity in [0, 1], documents and
 *     chars as counted here, order by size descending then representative;
 *     paragraphs outside clusters have cluster -1;
 *   - identical clusterable paragraph texts are in the same cluster;
 *   - overlaps: a < b, shares within the documents' chars, documented order;
 *   - the report is the same with one and with two threads (JSON bytes).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_report.h"

/* max(a_in_b/chars(a), b_in_a/chars(b)) as a fraction num/den. */
static void overlap_key(const nd_report *r, const nd_overlap_info *o, uint64_t *num,
                        uint64_t *den) {
    nd_document_info da, db;
    FUZZ_CHECK(nd_report_document(r, o->a, &da) == ND_OK, "document");
    FUZZ_CHECK(nd_report_document(r, o->b, &db) == ND_OK, "document");
    /* a zero denominator counts as ratio 0 */
    uint64_t n1 = da.chars ? o->a_in_b : 0, d1 = da.chars ? da.chars : 1;
    uint64_t n2 = db.chars ? o->b_in_a : 0, d2 = db.chars ? db.chars : 1;
    if ((unsigned __int128)n1 * d2 >= (unsigned __int128)n2 * d1) {
        *num = n1;
        *den = d1;
    } else {
        *num = n2;
        *den = d2;
    }
}

static void check_report(const fuzz_docs *fd, const nd_report *r) {
    nd_summary sm;
    FUZZ_CHECK(nd_report_summary(r, &sm) == ND_OK, "summary");
    size_t nd = nd_report_document_count(r), np = nd_report_paragraph_count(r),
           nc = nd_report_cluster_count(r), no = nd_report_overlap_count(r);
    FUZZ_CHECK(nd == fd->n && sm.files == nd, "%zu documents, %zu given", nd, fd->n);
    FUZZ_CHECK(sm.paragraphs == np && sm.clusters == nc, "summary counts");
    FUZZ_CHECK(sm.verified_pairs <= sm.candidate_pairs, "verified > candidates");
    nd_document_info di;
    FUZZ_CHECK(nd_report_document(r, nd, &di) == ND_ERR_INVALID, "document out of range");

    uint64_t bytes = 0, chars = 0, shorts = 0;
    uint64_t *doc_chars = calloc(nd, sizeof *doc_chars), *doc_paras = calloc(nd, sizeof *doc_paras);
    size_t *csize = calloc(nc ? nc : 1, sizeof *csize);
    FUZZ_CHECK(doc_chars && doc_paras && csize, "calloc");
    nd_sketcher *sk = NULL;
    FUZZ_CHECK(nd_sketcher_new(&fd->opt, &sk) == ND_OK, "nd_sketcher_new");
    nd_paragraph_info prev = {0};
    for (size_t i = 0; i < np; i++) {
        nd_paragraph_info p;
        const char *text;
        size_t len;
        FUZZ_CHECK(nd_report_paragraph(r, i, &p) == ND_OK, "paragraph");
        FUZZ_CHECK(nd_report_paragraph_text(r, i, &text, &len) == ND_OK, "paragraph text");
        FUZZ_CHECK(p.doc < nd, "paragraph %zu in document %u", i, p.doc);
        FUZZ_CHECK(len == p.length && p.length > 0, "paragraph %zu length", i);
        FUZZ_CHECK(p.offset <= fd->len[p.doc] && p.length <= fd->len[p.doc] - p.offset,
                   "paragraph %zu outside its document", i);
        FUZZ_CHECK(memcmp(text, fd->data[p.doc] + p.offset, len) == 0,
                   "paragraph %zu text is not the document's bytes", i);
        FUZZ_CHECK(p.line >= 1, "line 0");
        FUZZ_CHECK(p.length <= fd->opt.max_paragraph_bytes, "paragraph %zu too long", i);
        if (i)
            FUZZ_CHECK(p.doc > prev.doc ||
                           (p.doc == prev.doc && p.offset >= prev.offset + prev.length),
                       "paragraph %zu out of order or overlapping", i);
        char *norm = NULL;
        size_t norm_len = 0, nchars = 0;
        FUZZ_CHECK(nd_sketcher_normalize(sk, text, len, &norm, &norm_len) == ND_OK, "normalize");
        for (size_t k = 0; k < norm_len; k++) nchars += ((unsigned char)norm[k] & 0xC0) != 0x80;
        free(norm);
        FUZZ_CHECK(nchars == p.chars, "paragraph %zu: %u chars, sketcher %zu", i, p.chars, nchars);
        if (p.chars < fd->opt.min_chars) shorts++;
        if (p.cluster >= 0) {
            FUZZ_CHECK((uint64_t)p.cluster < nc, "paragraph %zu in cluster %lld", i,
                       (long long)p.cluster);
            FUZZ_CHECK(p.chars >= fd->opt.min_chars, "short paragraph %zu clustered", i);
            FUZZ_CHECK(p.similarity >= 0.0 && p.similarity <= 1.0, "similarity %g", p.similarity);
            csize[p.cluster]++;
        } else {
            FUZZ_CHECK(p.cluster == -1 && p.similarity == 0.0, "paragraph %zu unclustered", i);
        }
        chars += p.chars;
        doc_chars[p.doc] += p.chars;
        doc_paras[p.doc]++;
        prev = p;
    }
    FUZZ_CHECK(nd_report_paragraph(r, np, &prev) == ND_ERR_INVALID, "paragraph out of range");
    FUZZ_CHECK(chars == sm.chars && shorts == sm.short_paragraphs, "chars or short counts");
    for (size_t d = 0; d < nd; d++) {
        FUZZ_CHECK(nd_report_document(r, d, &di) == ND_OK, "document");
        FUZZ_CHECK(strcmp(di.path, fd->name[d]) == 0, "document %zu name", d);
        FUZZ_CHECK(di.bytes == fd->len[d] && !di.gzip, "document %zu bytes", d);
        FUZZ_CHECK(di.paragraphs == doc_paras[d] && di.chars == doc_chars[d],
                   "document %zu paragraphs or chars", d);
        FUZZ_CHECK(di.elsewhere_chars <= di.chars && di.within_chars <= di.chars,
                   "document %zu shares", d);
        FUZZ_CHECK(di.split == ND_SPLIT_LINE || di.split == ND_SPLIT_BLANK, "split %u", di.split);
        bytes += di.bytes;
    }
    FUZZ_CHECK(bytes == sm.bytes, "bytes %llu vs %llu", (unsigned long long)bytes,
               (unsigned long long)sm.bytes);

    uint64_t clustered = 0, dup = 0;
    for (size_t k = 0; k < nc; k++) {
        nd_cluster_info c;
        FUZZ_CHECK(nd_report_cluster(r, k, &c) == ND_OK, "cluster");
        FUZZ_CHECK(c.size >= 2 && c.size == csize[k], "cluster %zu size %zu/%zu", k, c.size,
                   csize[k]);
        uint64_t cc = 0, rep_chars = 0;
        size_t docs = 0;
        uint32_t last_doc = UINT32_MAX;
        for (size_t m = 0; m < c.size; m++) {
            nd_paragraph_info p;
            FUZZ_CHECK(c.members[m] < np, "member out of range");
            FUZZ_CHECK(m == 0 || c.members[m] > c.members[m - 1], "members not ascending");
            FUZZ_CHECK(nd_report_paragraph(r, c.members[m], &p) == ND_OK, "paragraph");
            FUZZ_CHECK(p.cluster == (int64_t)k, "member of %zu says %lld", k, (long long)p.cluster);
            cc += p.chars;
            if (m == 0) rep_chars = p.chars;
            if (p.doc != last_doc) docs++; /* ascending ids -> ascending docs */
            last_doc = p.doc;
        }
        FUZZ_CHECK(cc == c.chars && docs == c.documents, "cluster %zu chars/documents", k);
        clustered += c.size;
        dup += cc - rep_chars;
        if (k) {
            nd_cluster_info pc;
            FUZZ_CHECK(nd_report_cluster(r, k - 1, &pc) == ND_OK, "cluster");
            FUZZ_CHECK(pc.size > c.size || (pc.size == c.size && pc.members[0] < c.members[0]),
                       "clusters out of order at %zu", k);
        }
    }
    FUZZ_CHECK(clustered == sm.clustered_paragraphs, "clustered paragraphs");
    FUZZ_CHECK(dup == sm.duplicated_chars, "duplicated chars %llu vs %llu", (unsigned long long)dup,
               (unsigned long long)sm.duplicated_chars);

    /* identical clusterable texts share a cluster (small reports only) */
    if (np <= 300) {
        for (size_t i = 0; i < np; i++) {
            nd_paragraph_info a;
            const char *ta;
            size_t la;
            FUZZ_CHECK(nd_report_paragraph(r, i, &a) == ND_OK, "paragraph");
            if (a.chars < fd->opt.min_chars) continue;
            FUZZ_CHECK(nd_report_paragraph_text(r, i, &ta, &la) == ND_OK, "text");
            uint64_t *sh = NULL;
            size_t nsh = 0;
            FUZZ_CHECK(nd_sketcher_shingles(sk, ta, la, &sh, &nsh) == ND_OK, "shingles");
            free(sh);
            if (nsh == 0) {
                FUZZ_CHECK(a.cluster == -1, "paragraph %zu without shingles clustered", i);
                continue;
            }
            for (size_t j = i + 1; j < np; j++) {
                nd_paragraph_info b;
                const char *tb;
                size_t lb;
                FUZZ_CHECK(nd_report_paragraph_text(r, j, &tb, &lb) == ND_OK, "text");
                if (lb != la || memcmp(ta, tb, la) != 0) continue;
                FUZZ_CHECK(nd_report_paragraph(r, j, &b) == ND_OK, "paragraph");
                FUZZ_CHECK(a.cluster >= 0 && a.cluster == b.cluster,
                           "identical paragraphs %zu and %zu not clustered together", i, j);
            }
        }
    }

    for (size_t i = 0; i < no; i++) {
        nd_overlap_info o;
        nd_document_info da, db;
        FUZZ_CHECK(nd_report_overlap(r, i, &o) == ND_OK, "overlap");
        FUZZ_CHECK(o.a < o.b && o.b < nd, "overlap %zu: %u, %u", i, o.a, o.b);
        FUZZ_CHECK(nd_report_document(r, o.a, &da) == ND_OK, "document");
        FUZZ_CHECK(nd_report_document(r, o.b, &db) == ND_OK, "document");
        FUZZ_CHECK(o.a_in_b <= da.chars && o.b_in_a <= db.chars && o.clusters >= 1,
                   "overlap %zu amounts", i);
        if (i) {
            nd_overlap_info q;
            uint64_t n1, d1, n2, d2;
            FUZZ_CHECK(nd_report_overlap(r, i - 1, &q) == ND_OK, "overlap");
            overlap_key(r, &q, &n1, &d1);
            overlap_key(r, &o, &n2, &d2);
            unsigned __int128 l = (unsigned __int128)n1 * d2, rr = (unsigned __int128)n2 * d1;
            FUZZ_CHECK(l > rr || (l == rr && (q.a < o.a || (q.a == o.a && q.b < o.b))),
                       "overlaps out of order at %zu", i);
        }
    }
    nd_sketcher_free(sk);
    free(doc_chars);
    free(doc_paras);
    free(csize);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_docs fd;
    if (size > (1u << 18)) return 0;
    fuzz_docs_parse(data, size, &fd);
    nd_report *r1 = fuzz_docs_scan(&fd, 1);
    check_report(&fd, r1);
    nd_report *r2 = fuzz_docs_scan(&fd, 2);
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = 1;
    fuzz_buf b1 = {0}, b2 = {0};
    fuzz_render(r1, ND_FORMAT_JSON, &wo, &b1);
    fuzz_render(r2, ND_FORMAT_JSON, &wo, &b2);
    FUZZ_CHECK(b1.n == b2.n && memcmp(b1.p, b2.p, b1.n) == 0,
               "one and two threads give different reports");
    free(b1.p);
    free(b2.p);
    nd_report_free(r1);
    nd_report_free(r2);
    return 0;
}
