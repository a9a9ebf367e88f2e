/*
 * report.c - statistics of the report model and its read-only accessors.
 *
 * Shares are measured in normalised characters (what the comparison sees), so
 * markup, white space and punctuation do not inflate or dilute them:
 *   - a document's "elsewhere" characters are those of its paragraphs whose
 *     cluster has a member in another document;
 *   - its "within" characters are those of paragraphs that repeat an earlier
 *     paragraph of the same document (the first copy is not counted);
 *   - for a document pair (a, b), a_in_b counts a's characters in paragraphs
 *     whose cluster also has a member in b, and b_in_a the other way round;
 *   - the corpus's duplicated characters are those of every cluster member
 *     but the first, i.e. what keeping one copy of each cluster would remove.
 *
 * Common text.  A cluster spanning D documents touches D(D-1)/2 document
 * pairs.  Navigation lines, licences and templates span thousands of
 * documents, and would turn the pair list into a quadratic list of tiny
 * overlaps that says nothing about copying.  Clusters in more than
 * opt.common_docs documents are therefore counted as common text: they still
 * count in the duplicated and found-elsewhere shares and are listed as
 * clusters, but add nothing to document-pair overlaps.  This keeps the
 * overlap stage linear in the number of (cluster, document) memberships.
 */
#include "report.h"

#include <string.h>

#include "nd_internal.h"

/* One (document pair, cluster) contribution before reduction. */
typedef struct ov_item {
    uint64_t key; /* a << 32 | b */
    uint64_t a_chars, b_chars;
} ov_item;

static int ov_item_cmp(const void *x, const void *y) {
    const ov_item *a = x, *b = y;
    return a->key < b->key ? -1 : a->key > b->key;
}

static double ov_rank(const nd_report *r, const nd_overlap_info *o) {
    double sa = r->d_chars[o->a] ? (double)o->a_in_b / (double)r->d_chars[o->a] : 0.0;
    double sb = r->d_chars[o->b] ? (double)o->b_in_a / (double)r->d_chars[o->b] : 0.0;
    return sa > sb ? sa : sb;
}

/* qsort has no context argument; the comparison needs the document sizes, so
 * ranks are computed first and sorted together with the records. */
typedef struct ov_ranked {
    double rank;
    nd_overlap_info o;
} ov_ranked;

static int ov_ranked_cmp(const void *x, const void *y) {
    const ov_ranked *a = x, *b = y;
    if (a->rank != b->rank) return a->rank > b->rank ? -1 : 1;
    if (a->o.a != b->o.a) return a->o.a < b->o.a ? -1 : 1;
    if (a->o.b != b->o.b) return a->o.b < b->o.b ? -1 : 1;
    return 0;
}

nd_status nd_report_finish(nd_report *r) {
    nd_status st = ND_OK;
    size_t nd = r->docs.n, np = r->pt.n;
    ov_item *items = NULL;
    size_t nitems = 0, items_cap = 0;
    uint32_t *cdocs = NULL;  /* distinct documents of one cluster */
    uint64_t *cchars = NULL; /* their characters in that cluster */
    ov_ranked *ranked = NULL;

    r->d_paragraphs = nd_calloc(nd ? nd : 1, sizeof *r->d_paragraphs);
    r->d_chars = nd_calloc(nd ? nd : 1, sizeof *r->d_chars);
    r->d_elsewhere = nd_calloc(nd ? nd : 1, sizeof *r->d_elsewhere);
    r->d_within = nd_calloc(nd ? nd : 1, sizeof *r->d_within);
    cdocs = nd_mallocn(nd ? nd : 1, sizeof *cdocs);
    cchars = nd_mallocn(nd ? nd : 1, sizeof *cchars);
    if (!r->d_paragraphs || !r->d_chars || !r->d_elsewhere || !r->d_within || !cdocs ||
        !cchars) {
        st = ND_ERR_NOMEM;
        goto out;
    }

    nd_summary *s = &r->sum;
    s->files = nd;
    s->paragraphs = np;
    for (size_t i = 0; i < nd; i++) s->bytes += r->docs.docs[i].size;
    for (size_t i = 0; i < np; i++) {
        r->d_paragraphs[r->pt.doc[i]]++;
        r->d_chars[r->pt.doc[i]] += r->chars[i];
        s->chars += r->chars[i];
        if (r->chars[i] < r->opt.min_chars) s->short_paragraphs++;
    }
    s->clusters = r->ncl;
    s->common_docs = r->opt.common_docs;

    for (size_t c = 0; c < r->ncl; c++) {
        const uint32_t *m = r->cl_members + r->cl_start[c];
        size_t size = r->cl_start[c + 1] - r->cl_start[c];
        s->clustered_paragraphs += size;
        uint64_t total = 0;
        /* members ascend by id, hence by document: group consecutive ones */
        size_t ndocs = 0;
        for (size_t k = 0; k < size; k++) {
            uint32_t p = m[k];
            uint32_t d = r->pt.doc[p];
            total += r->chars[p];
            if (k > 0) s->duplicated_chars += r->chars[p];
            if (ndocs && cdocs[ndocs - 1] == d) {
                cchars[ndocs - 1] += r->chars[p];
                r->d_within[d] += r->chars[p];
            } else {
                cdocs[ndocs] = d;
                cchars[ndocs] = r->chars[p];
                ndocs++;
            }
        }
        r->cl_docs[c] = ndocs;
        r->cl_chars[c] = total;
        if (ndocs < 2) continue;
        for (size_t k = 0; k < ndocs; k++) r->d_elsewhere[cdocs[k]] += cchars[k];
        if (r->opt.common_docs && ndocs > r->opt.common_docs) {
            s->common_clusters++; /* common text: no document-pair records */
            continue;
        }
        size_t need = nitems + ndocs * (ndocs - 1) / 2;
        ND_CHECK(ND_GROW(items, items_cap, need));
        for (size_t x = 0; x < ndocs; x++)
            for (size_t y = x + 1; y < ndocs; y++)
                items[nitems++] = (ov_item){(uint64_t)cdocs[x] << 32 | cdocs[y], cchars[x],
                                            cchars[y]};
    }

    if (nitems) qsort(items, nitems, sizeof *items, ov_item_cmp);
    size_t nov = 0;
    for (size_t i = 0; i < nitems; i++)
        if (i == 0 || items[i].key != items[i - 1].key) nov++;
    if (nov) {
        if (!(ranked = nd_mallocn(nov, sizeof *ranked)) ||
            !(r->ov = nd_mallocn(nov, sizeof *r->ov))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        size_t k = 0;
        for (size_t i = 0; i < nitems; i++) {
            if (i == 0 || items[i].key != items[i - 1].key) {
                ranked[k++].o = (nd_overlap_info){.a = (uint32_t)(items[i].key >> 32),
                                                  .b = (uint32_t)items[i].key};
            }
            nd_overlap_info *o = &ranked[k - 1].o;
            o->a_in_b += items[i].a_chars;
            o->b_in_a += items[i].b_chars;
            o->clusters++;
        }
        for (size_t i = 0; i < nov; i++) ranked[i].rank = ov_rank(r, &ranked[i].o);
        qsort(ranked, nov, sizeof *ranked, ov_ranked_cmp);
        for (size_t i = 0; i < nov; i++) r->ov[i] = ranked[i].o;
        r->nov = nov;
    }
out:
    free(items);
    free(cdocs);
    free(cchars);
    free(ranked);
    return st;
}

void nd_report_free(nd_report *r) {
    if (!r) return;
    nd_doctab_release(&r->docs);
    nd_paratab_release(&r->pt);
    free(r->chars);
    free(r->cluster);
    free(r->sim);
    free(r->d_paragraphs);
    free(r->d_chars);
    free(r->d_elsewhere);
    free(r->d_within);
    free(r->cl_start);
    free(r->cl_members);
    free(r->cl_docs);
    free(r->cl_chars);
    free(r->ov);
    free(r);
}

nd_status nd_report_summary(const nd_report *r, nd_summary *out) {
    if (!r || !out) return ND_ERR_INVALID;
    *out = r->sum;
    return ND_OK;
}

size_t nd_report_document_count(const nd_report *r) { return r ? r->docs.n : 0; }

nd_status nd_report_document(const nd_report *r, size_t i, nd_document_info *out) {
    if (!r || !out || i >= r->docs.n) return ND_ERR_INVALID;
    const nd_doc *d = &r->docs.docs[i];
    *out = (nd_document_info){
        .path = d->path,
        .bytes = d->size,
        .paragraphs = r->d_paragraphs[i],
        .chars = r->d_chars[i],
        .elsewhere_chars = r->d_elsewhere[i],
        .within_chars = r->d_within[i],
        .split = d->split,
        .gzip = d->gzip,
    };
    return ND_OK;
}

size_t nd_report_paragraph_count(const nd_report *r) { return r ? r->pt.n : 0; }

nd_status nd_report_paragraph(const nd_report *r, size_t i, nd_paragraph_info *out) {
    if (!r || !out || i >= r->pt.n) return ND_ERR_INVALID;
    *out = (nd_paragraph_info){
        .doc = r->pt.doc[i],
        .line = r->pt.line[i],
        .offset = r->pt.off[i],
        .length = r->pt.len[i],
        .chars = r->chars[i],
        .cluster = r->cluster[i],
        .similarity = r->sim[i],
    };
    return ND_OK;
}

nd_status nd_report_paragraph_text(const nd_report *r, size_t i, const char **text,
                                   size_t *len) {
    if (!r || !text || !len || i >= r->pt.n) return ND_ERR_INVALID;
    const nd_doc *d = &r->docs.docs[r->pt.doc[i]];
    *text = d->data ? (const char *)d->data + r->pt.off[i] : "";
    *len = r->pt.len[i];
    return ND_OK;
}

size_t nd_report_cluster_count(const nd_report *r) { return r ? r->ncl : 0; }

nd_status nd_report_cluster(const nd_report *r, size_t i, nd_cluster_info *out) {
    if (!r || !out || i >= r->ncl) return ND_ERR_INVALID;
    *out = (nd_cluster_info){
        .size = r->cl_start[i + 1] - r->cl_start[i],
        .documents = r->cl_docs[i],
        .chars = r->cl_chars[i],
        .members = r->cl_members + r->cl_start[i],
    };
    return ND_OK;
}

size_t nd_report_overlap_count(const nd_report *r) { return r ? r->nov : 0; }

nd_status nd_report_overlap(const nd_report *r, size_t i, nd_overlap_info *out) {
    if (!r || !out || i >= r->nov) return ND_ERR_INVALID;
    *out = r->ov[i];
    return ND_OK;
}
