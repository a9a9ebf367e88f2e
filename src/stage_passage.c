/*
 * stage_passage.c - passages, step 3: pairwise passages grouped into
 * records, one per copied passage with all its places (stage.h).
 *
 * In: the pairwise passages of stage_align.c and common_docs.  Out: the
 * records, each with its locations (document, byte span of the text read,
 * normalised characters), sorted by (document, offset), and whether it is
 * common text; records ordered by size (characters, largest first), then
 * by their first location.
 *
 * Why records.  A paragraph copied into ten documents is 45 pairwise
 * passages; a reader wants one entry with ten places.  Every side of a
 * pairwise passage is a node (document, span); the two sides of a passage
 * are joined, and so are two nodes of one document whose spans are nearly
 * the same place: each covers at least ND_SAME_PLACE (95%) of the other.
 * Nearly, not roughly: a place is the union of its nodes, and every place
 * of a record should be a copy of every other (token-shingle Jaccard >=
 * the threshold, as each pairwise passage is, stage_align.c).  Two nodes
 * of 80% overlap make a place up to a quarter longer than the node another
 * document matched.  On the bench's planted corpora (bench/README
 * "Passages"), of the records of three or more places, 80% left about 10%
 * below J 0.8 against their first place (20 MB), 90% 2% and 95% 0.4-0.5%
 * (100 MB), with the same recall; 95% makes 2-6% more records than 90% (a
 * copy whose places ended a little apart in two pairs is two records).
 * The rule is symmetric and does not chain a sentence into the paragraph
 * around it: a sentence copied into C from a paragraph shared by A and B is
 * its own record {A, B, C} beside the record of the paragraph {A, B} (the
 * pairs A-C and B-C give the sentence's nodes in A and B).  A component's
 * locations are, per document, the union spans of its nodes that overlap
 * (two places of one document stay two locations when they are apart).
 *
 * Similarity: the lowest, over the pairwise passages of the record, of
 * matched characters over the longer side's characters - 1.0 for verbatim
 * copies, lower for edited ones.  Common text: a record with locations in
 * more than common_docs documents (boilerplate); it is reported as such and
 * kept out of document overlaps by the stages that use them.
 *
 * Overlaps.  Per pair of documents, the characters of each inside the
 * passages they share, common text left out (as clusters in more than
 * common_docs documents are left out of the clusters' overlaps): the union
 * of the spans of their pairwise passages, so a sentence copied twice is
 * counted once.
 *
 * Lines (nd_passage_lines): each place's 1-based line, counted in one
 * reading of its document.  The places are grouped by document with a
 * counting sort, and ranges of documents go to the pool's tasks, each
 * sorting its documents' few places by offset and reading them with its
 * worker's reader.  (A qsort of pointers to all places and the readings on
 * the caller's thread were a serial 3 % of the 1 GB bench corpus's
 * `scan --passages` CPU samples at 2 threads: 0.64-1.11 s of its wall
 * time, now 0.30-0.41 s.)
 *
 * The nodes' (component, index) keys are distinct, so they are sorted with
 * the radix sort (nd_sort_u64), and the overlaps' and covers' spans by a
 * counting sort on the document, then a sort of each document's run
 * (sort_spans; introsort.h, like the nodes and the places by offset, all
 * total orders): the same arrays, fewer comparisons
 * (pb-zh-100, 1 thread, callgrind: this stage 260 M -> 240 M -> 159 M
 * instructions; the 1 GB bench corpus, 2 threads: 0.42-0.43 s -> 0.30-0.37
 * s, three alternated runs).  It still runs on one thread.
 *
 * Deterministic: nodes are numbered in the order of the pairwise passages
 * (sorted by the align stage), components are labelled by their smallest
 * node (union-find with smallest roots), and every sort has a total order.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "introsort.h"
#include "nd_internal.h"
#include "stage.h"

#define ND_SAME_PLACE_NUM 19 /* a node covers 19/20 of the other */
#define ND_SAME_PLACE_DEN 20

typedef struct pnode {
    uint32_t doc;
    uint64_t off, end; /* bytes of the text read */
    uint64_t chars;
    uint32_t id; /* its index */
} pnode;

/* Nodes by (doc, off, end, id); ids are distinct, so the order is total
 * and the introsort (introsort.h) gives the one sorted array. */
#define ND_NODE_LESS(p, q)                                                                         \
    ((p).doc != (q).doc   ? (p).doc < (q).doc                                                      \
     : (p).off != (q).off ? (p).off < (q).off                                                      \
     : (p).end != (q).end ? (p).end < (q).end                                                      \
                          : (p).id < (q).id)
ND_INTROSORT(node_sort, pnode, ND_NODE_LESS)

/* p and q (one document) are the same place: each covers 19/20 of the other. */
static int same_place(const pnode *p, const pnode *q) {
    uint64_t lo = ND_MAX(p->off, q->off), hi = ND_MIN(p->end, q->end);
    if (hi <= lo) return 0;
    uint64_t ov = hi - lo;
    return ov * ND_SAME_PLACE_DEN >= (p->end - p->off) * ND_SAME_PLACE_NUM &&
           ov * ND_SAME_PLACE_DEN >= (q->end - q->off) * ND_SAME_PLACE_NUM;
}

static int record_cmp(const void *x, const void *y) {
    const nd_passage_record *p = x, *q = y;
    if (p->chars != q->chars) return p->chars > q->chars ? -1 : 1;
    const nd_passage_loc *a = p->loc, *b = q->loc;
    if (a->doc != b->doc) return a->doc < b->doc ? -1 : 1;
    if (a->off != b->off) return a->off < b->off ? -1 : 1;
    return p->nloc < q->nloc ? -1 : p->nloc > q->nloc;
}

/* A span of one document seen from another: (doc, other) and [s, e). */
typedef struct pspan {
    uint32_t doc, other;
    uint64_t s, e;
} pspan;

/* Spans by every field (doc, other, s, e): equal spans are equal bytes. */
#define ND_PSPAN_LESS(p, q)                                                                        \
    ((p).doc != (q).doc       ? (p).doc < (q).doc                                                  \
     : (p).other != (q).other ? (p).other < (q).other                                              \
     : (p).s != (q).s         ? (p).s < (q).s                                                      \
                              : (p).e < (q).e)
ND_INTROSORT(pspan_sort, pspan, ND_PSPAN_LESS)

/* Sorts sp[0..n-1] by ND_PSPAN_LESS: a counting sort by document, then
 * each document's run by pspan_sort - the same array as one sort of all of
 * them (the order is total), with the comparisons of runs of a document's
 * spans instead of all spans. */
static nd_status sort_spans(pspan *sp, size_t n) {
    nd_status st = ND_OK;
    uint32_t maxd = 0;
    size_t *first = NULL;
    pspan *tmp = NULL;
    if (n < 2) return ND_OK;
    for (size_t i = 0; i < n; i++) maxd = ND_MAX(maxd, sp[i].doc);
    if ((size_t)maxd > 4 * n + 1024) { /* (sparse documents: not from a scan) */
        pspan_sort(sp, n);
        return ND_OK;
    }
    first = nd_calloc((size_t)maxd + 2, sizeof *first);
    tmp = nd_mallocn(n, sizeof *tmp);
    if (!first || !tmp) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) first[sp[i].doc + 1]++;
    for (size_t d = 0; d <= maxd; d++) first[d + 1] += first[d];
    for (size_t i = 0; i < n; i++) tmp[first[sp[i].doc]++] = sp[i]; /* first[d]: end of d */
    for (size_t d = 0, at = 0; d <= maxd; d++) {
        size_t m = first[d] - at;
        pspan_sort(tmp + at, m);
        at = first[d];
    }
    memcpy(sp, tmp, n * sizeof *sp);
out:
    free(first);
    free(tmp);
    return st;
}

/* The length of the union of the spans sp[i..*next), the run of sorted
 * spans with sp[i]'s (doc, other). */
static uint64_t run_union(const pspan *sp, size_t n, size_t i, size_t *next) {
    uint64_t total = 0, cs = sp[i].s, ce = sp[i].e;
    size_t j = i;
    for (; j < n && sp[j].doc == sp[i].doc && sp[j].other == sp[i].other; j++) {
        if (sp[j].s > ce) {
            total += ce - cs;
            cs = sp[j].s;
            ce = sp[j].e;
        } else if (sp[j].e > ce) {
            ce = sp[j].e;
        }
    }
    *next = j;
    return total + (ce - cs);
}

/* The overlap of (a, b) in ov[0..n-1], sorted by (a, b); it is there. */
static nd_passage_overlap *find_overlap(nd_passage_overlap *ov, size_t n, uint32_t a, uint32_t b) {
    size_t lo = 0, hi = n;
    uint64_t want = (uint64_t)a << 32 | b;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (((uint64_t)ov[mid].a << 32 | ov[mid].b) <= want)
            lo = mid;
        else
            hi = mid;
    }
    return &ov[lo];
}

/* out->ov from the pairwise passages of two documents that are not common:
 * every span is listed from both sides, (doc, other, start), and each run of
 * one (doc, other) is a union.  Runs with doc < other come first in sorted
 * order and make the entries; the others fill in b_in_a. */
static nd_status overlaps(const nd_passage_in *in, const char *pair_common, nd_passage_out *out) {
    size_t n = 0;
    pspan *sp = nd_mallocn(2 * in->n + 1, sizeof *sp);
    if (!sp) return ND_ERR_NOMEM;
    for (size_t i = 0; i < in->n; i++) {
        const nd_pair_passage *p = &in->ps[i];
        if (p->a == p->b || pair_common[i]) continue;
        sp[n++] = (pspan){p->a, p->b, p->a_char, p->a_char + p->a_chars};
        sp[n++] = (pspan){p->b, p->a, p->b_char, p->b_char + p->b_chars};
    }
    if (sort_spans(sp, n) != ND_OK || !(out->ov = nd_mallocn(n / 2 + 1, sizeof *out->ov))) {
        free(sp);
        return ND_ERR_NOMEM;
    }
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0, j; i < n; i = j) {
            uint64_t total = run_union(sp, n, i, &j), count = j - i;
            if (pass == 0 && sp[i].doc < sp[i].other)
                out->ov[out->nov++] = (nd_passage_overlap){sp[i].doc, sp[i].other, total, 0, count};
            else if (pass == 1 && sp[i].doc > sp[i].other)
                find_overlap(out->ov, out->nov, sp[i].other, sp[i].doc)->b_in_a = total;
        }
    free(sp);
    return ND_OK;
}

/* out->elsewhere and out->within: per document, the union of its sides of
 * pairwise passages with other documents, and of the later sides of its
 * passages with itself (a repetition counts where it repeats, as a
 * paragraph's "again" does), common text left out. */
static nd_status doc_cover(const nd_passage_in *in, const char *pair_common, nd_passage_out *out) {
    size_t n = 0;
    pspan *sp = nd_mallocn(2 * in->n + 1, sizeof *sp);
    if (!sp) return ND_ERR_NOMEM;
    for (size_t i = 0; i < in->n; i++) {
        const nd_pair_passage *p = &in->ps[i];
        if (pair_common[i]) continue;
        if (p->a != p->b) { /* other = 0: found elsewhere */
            sp[n++] = (pspan){p->a, 0, p->a_char, p->a_char + p->a_chars};
            sp[n++] = (pspan){p->b, 0, p->b_char, p->b_char + p->b_chars};
        } else { /* other = 1: repeated within (the later place) */
            sp[n++] = (pspan){p->b, 1, p->b_char, p->b_char + p->b_chars};
        }
    }
    if (sort_spans(sp, n) != ND_OK) {
        free(sp);
        return ND_ERR_NOMEM;
    }
    for (size_t i = 0, j; i < n; i = j) {
        uint64_t total = run_union(sp, n, i, &j);
        if (sp[i].doc < in->ndocs) (sp[i].other ? out->within : out->elsewhere)[sp[i].doc] = total;
    }
    free(sp);
    return ND_OK;
}

void nd_passage_out_release(nd_passage_out *o) {
    free(o->rec);
    free(o->loc);
    free(o->ov);
    free(o->elsewhere);
    free(o->within);
    memset(o, 0, sizeof *o);
}

nd_status nd_stage_passage(const nd_passage_in *in, nd_passage_out *out) {
    nd_status st = ND_OK;
    size_t nn = 2 * in->n, nrec = 0;
    pnode *node = NULL;
    uint64_t *key = NULL;
    double *sim = NULL;
    char *pair_common = NULL;
    nd_uf uf;
    memset(&uf, 0, sizeof uf);
    memset(out, 0, sizeof *out);
    if (in->ndocs) {
        out->elsewhere = nd_calloc(in->ndocs, sizeof *out->elsewhere);
        out->within = nd_calloc(in->ndocs, sizeof *out->within);
        if (!out->elsewhere || !out->within) {
            nd_passage_out_release(out);
            return ND_ERR_NOMEM;
        }
    }
    if (in->n == 0) return ND_OK;
    if (nn > UINT32_MAX) {
        nd_passage_out_release(out);
        return ND_ERR_INVALID;
    }
    node = nd_mallocn(nn, sizeof *node);
    key = nd_mallocn(nn, sizeof *key);
    sim = nd_mallocn(nn, sizeof *sim);
    pair_common = nd_calloc(in->n, 1);
    if (!node || !key || !sim || !pair_common) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(nd_uf_init(&uf, nn));
    for (size_t i = 0; i < in->n; i++) {
        const nd_pair_passage *p = &in->ps[i];
        node[2 * i] = (pnode){p->a, p->a_off, p->a_off + p->a_len, p->a_chars, (uint32_t)(2 * i)};
        node[2 * i + 1] =
            (pnode){p->b, p->b_off, p->b_off + p->b_len, p->b_chars, (uint32_t)(2 * i + 1)};
        nd_uf_union(&uf, (uint32_t)(2 * i), (uint32_t)(2 * i + 1));
        uint64_t longer = ND_MAX(p->a_chars, p->b_chars);
        sim[2 * i] = sim[2 * i + 1] = longer ? (double)p->matched / (double)longer : 0;
    }
    /* nodes of one document by offset: each is compared with the nodes
     * after it that start before it ends (the only ones it can overlap) */
    node_sort(node, nn);
    for (size_t i = 0; i < nn; i++)
        for (size_t j = i + 1; j < nn && node[j].doc == node[i].doc && node[j].off < node[i].end;
             j++)
            if (same_place(&node[i], &node[j])) nd_uf_union(&uf, node[i].id, node[j].id);
    /* records: nodes grouped by component (its smallest node id), in
     * (document, offset) order inside */
    for (size_t i = 0; i < nn; i++) key[i] = (uint64_t)nd_uf_find(&uf, node[i].id) << 32 | i;
    { /* distinct keys: the radix sort gives the one order */
        uint64_t *tmp = nd_mallocn(nn, sizeof *tmp);
        if (!tmp) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        nd_sort_u64(key, tmp, nn);
        free(tmp);
    }
    for (size_t i = 0; i < nn; i++) nrec += i == 0 || key[i] >> 32 != key[i - 1] >> 32;
    out->rec = nd_calloc(nrec, sizeof *out->rec);
    out->loc = nd_mallocn(nn, sizeof *out->loc);
    if (!out->rec || !out->loc) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nn;) {
        size_t j = i + 1;
        while (j < nn && key[j] >> 32 == key[i] >> 32) j++;
        nd_passage_record *r = &out->rec[out->nrec++];
        r->loc = out->loc + out->nloc;
        r->similarity = 1.0;
        uint32_t ndocs = 0;
        for (size_t q = i; q < j; q++) {
            const pnode *p = &node[(uint32_t)key[q]];
            if (sim[p->id] < r->similarity) r->similarity = sim[p->id];
            nd_passage_loc *last = r->nloc ? &r->loc[r->nloc - 1] : NULL;
            if (last && last->doc == p->doc && p->off < last->off + last->len) {
                /* overlaps the location before it: one place */
                uint64_t end = ND_MAX(last->off + last->len, p->end);
                last->len = end - last->off;
                if (p->chars > last->chars) last->chars = p->chars;
                continue;
            }
            ndocs += !last || last->doc != p->doc;
            r->loc[r->nloc++] = (nd_passage_loc){p->doc, 0, p->off, p->end - p->off, p->chars};
        }
        out->nloc += r->nloc;
        r->docs = ndocs;
        r->common = ndocs > in->common_docs;
        for (size_t q = i; q < j; q++) pair_common[node[(uint32_t)key[q]].id / 2] = (char)r->common;
        for (size_t q = 0; q < r->nloc; q++) r->chars = ND_MAX(r->chars, r->loc[q].chars);
        i = j;
    }
    qsort(out->rec, out->nrec, sizeof *out->rec, record_cmp);
    ND_CHECK(overlaps(in, pair_common, out));
    if (in->ndocs) ND_CHECK(doc_cover(in, pair_common, out));
out:
    if (st != ND_OK) nd_passage_out_release(out);
    nd_uf_release(&uf);
    free(node);
    free(key);
    free(sim);
    free(pair_common);
    return st;
}

/* A place's offset and index, to sort one document's places. */
typedef struct loc_ref {
    uint64_t off;
    size_t i;
} loc_ref;

/* By offset, then index (distinct): a total order. */
#define ND_LOC_REF_LESS(p, q) ((p).off != (q).off ? (p).off < (q).off : (p).i < (q).i)
ND_INTROSORT(loc_ref_sort, loc_ref, ND_LOC_REF_LESS)

/* The line numbers: the places grouped by document (a counting sort), and
 * ranges of documents handed to the pool's tasks, each reading its
 * documents with its worker's reader. */
typedef struct lines_work {
    nd_exec *x;
    nd_doctab *docs;
    const char *tmpdir;
    nd_passage_out *o;
    loc_ref *ref;  /* places, document after document */
    size_t *first; /* per document + 1: its first place in ref */
    size_t *range; /* ntasks + 1 first documents */
} lines_work;

/* Document d's places ref[0..n-1], sorted by offset, get their lines: in
 * one reading of it, counting lines as the split does (LF, CRLF or a lone
 * CR; without CR - most text, one memchr proves it - memchr finds them). */
static nd_status doc_lines(lines_work *g, unsigned worker, size_t d, loc_ref *ref, size_t n) {
    const uint8_t *data = NULL;
    nd_status st = nd_reader_whole_private(&g->x->wk[worker].rd, d, g->tmpdir, &data);
    if (st == ND_ERR_CHANGED) {
        (void)nd_doctab_mark_changed(g->docs, d);
        return ND_OK;
    }
    ND_TRY(st);
    loc_ref_sort(ref, n); /* (by insertion below 17: most documents have a few places) */
    uint64_t at = 0, size = g->docs->docs[d].size;
    uint32_t line = 1;
    int cr = size > 0 && memchr(data, '\r', size) != NULL;
    for (size_t q = 0; q < n; q++) {
        uint64_t off = ND_MIN(ref[q].off, size);
        if (!cr) {
            const uint8_t *nl;
            while (at < off && (nl = memchr(data + at, '\n', off - at)) != NULL) {
                line++;
                at = (uint64_t)(nl - data) + 1;
            }
            at = ND_MAX(at, off);
        }
        for (; at < off; at++) {
            uint8_t c = data[at];
            if (c == '\n' || (c == '\r' && (at + 1 >= size || data[at + 1] != '\n'))) line++;
        }
        g->o->loc[ref[q].i].line = line;
    }
    return ND_OK;
}

static nd_status lines_task(void *ctx, size_t t, unsigned worker) {
    lines_work *g = ctx;
    for (size_t d = g->range[t]; d < g->range[t + 1]; d++) {
        size_t n = g->first[d + 1] - g->first[d];
        if (n) ND_TRY(doc_lines(g, worker, d, g->ref + g->first[d], n));
    }
    return ND_OK;
}

nd_status nd_passage_lines(nd_exec *x, nd_doctab *docs, const char *tmpdir, nd_passage_out *o) {
    nd_status st = ND_OK;
    size_t nd = docs->n, nr = 0;
    lines_work g = {.x = x, .docs = docs, .tmpdir = tmpdir, .o = o};
    if (o->nloc == 0) return ND_OK;
    g.ref = nd_mallocn(o->nloc, sizeof *g.ref);
    g.first = nd_calloc(nd + 2, sizeof *g.first);
    g.range = nd_mallocn(nd + 1, sizeof *g.range);
    if (!g.ref || !g.first || !g.range) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < o->nloc; i++) {
        if (o->loc[i].doc >= nd) { /* (never: places are of the corpus) */
            st = ND_ERR_INVALID;
            goto out;
        }
        g.first[o->loc[i].doc + 2]++;
    }
    for (size_t d = 0; d < nd; d++) g.first[d + 2] += g.first[d + 1];
    for (size_t i = 0; i < o->nloc; i++) /* first[d + 1]: the next free slot of d */
        g.ref[g.first[o->loc[i].doc + 1]++] = (loc_ref){o->loc[i].off, i};
    /* ranges of whole documents, about 16 per thread by the bytes read */
    uint64_t all = 0, acc = 0;
    for (size_t d = 0; d < nd; d++)
        if (g.first[d + 1] > g.first[d]) all += docs->docs[d].size + 1;
    uint64_t target = all / ((uint64_t)x->threads * 16) + 1;
    g.range[0] = 0;
    for (size_t d = 0; d < nd; d++) {
        if (g.first[d + 1] > g.first[d]) acc += docs->docs[d].size + 1;
        if (acc >= target || d + 1 == nd) {
            g.range[++nr] = d + 1;
            acc = 0;
        }
    }
    ND_CHECK(nd_exec_run(x, nr, lines_task, &g));
out:
    free(g.ref);
    free(g.first);
    free(g.range);
    return st;
}
