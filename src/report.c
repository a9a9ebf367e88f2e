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
 * Every share divides by COMPARABLE characters, those a comparison could
 * find elsewhere: a paragraph below min_chars is counted in chars but never
 * compared, so counting it in the denominator would keep two byte-identical
 * files below 100% (issue 17).  With passages, which cross paragraph
 * boundaries, every character of a document is comparable; the corpus's
 * comparable characters, the denominator of the duplicated share (which
 * counts cluster members, passages or not), stay those of paragraphs of at
 * least min_chars.  The overlap ranking uses the shares the writers print.
 *
 * Common text.  A cluster spanning D documents touches D(D-1)/2 document
 * pairs.  Navigation lines, licences and templates span thousands of
 * documents, and would turn the pair list into a quadratic list of tiny
 * overlaps that says nothing about copying.  Clusters in more than
 * opt.common_docs documents are therefore counted as common text: they still
 * count in the duplicated and found-elsewhere shares and are listed as
 * clusters, but add nothing to document-pair overlaps.  This keeps the
 * overlap stage linear in the number of (cluster, document) memberships.
 *
 * Threads (pool.c).  nd_report_finish runs on the scan's pool, as three
 * "parallel for" jobs whose tasks write disjoint slices; partial sums go to
 * per-task slots, added up in task order:
 *   clusters   tasks = ND_REPORT_TASK clusters: each cluster's documents,
 *              characters and number of document-pair records, and per member
 *              whether an earlier member is in the same document ("again");
 *   documents  tasks = ranges of whole documents (paragraph chunks moved to
 *              document boundaries): paragraphs and characters, and - from
 *              each paragraph's cluster and "again" - its within and
 *              elsewhere characters, so that no two tasks add to the same
 *              document;
 *   records    tasks = ND_REPORT_TASK clusters, each writing its records at
 *              its own offset (prefix sums of the counts over the clusters).
 * The records are then reduced by document pair and ranked with two radix
 * sorts on one thread (finish_overlaps: 120,000 records and pairs on the 1 GB
 * benchmark corpus, about 0.03 s, where the two qsorts it replaces took 0.05 s).
 * The report order (rank, then a, then b) is a total order, so the result
 * depends neither on the order of the records nor on the thread count.
 *
 * Sparse reports (nd_report_set_sparse; neardup-mpi's rank 0).  A report
 * may hold the rows of some paragraphs only - the members of clusters,
 * which are what its statistics and writers read by id - numbered densely
 * in run-id order, with the paragraph counts that need every paragraph
 * (per document paragraphs, characters and comparable characters; the
 * corpus's characters, short paragraphs and comparable characters) given
 * by its producer, who counted them with nd_report_count (the function the
 * document tasks use) over all of them in pieces, and every row in a file.
 * The clusters come in the held numbering, so the tasks above read the held
 * rows directly; at the end nd_report_finish turns the members into run
 * ids.  The accessors take run ids: a held paragraph is found by binary
 * search, any other is read from the file (--emit-paragraphs), a block of
 * ND_ROW_BLOCK rows at a time into one of ND_ROW_SLOTS slots, each under
 * its own lock (the JSON writer's tasks ask for consecutive ids).
 */
#include "report.h"
#include "stage.h"

#include <errno.h>
#include <string.h>

#include "nd_internal.h"
#include "xxh.h"

/* A chunk of copied paragraph texts (nd_report_paragraph_text). */
struct nd_text_chunk {
    struct nd_text_chunk *next;
    size_t used, cap;
    uint8_t bytes[];
};

#define ND_TEXT_CHUNK ((size_t)1 << 16)

/* One (document pair, cluster) contribution before reduction. */
typedef struct ov_item {
    uint64_t key; /* a << 32 | b */
    uint64_t a_chars, b_chars;
    uint64_t count; /* clusters (1 an item) or passages */
} ov_item;

static double ov_rank(const nd_report *r, const nd_overlap_info *o) {
    const uint64_t *den = r->d_comparable;
    double sa = den[o->a] ? (double)o->a_in_b / (double)den[o->a] : 0.0;
    double sb = den[o->b] ? (double)o->b_in_a / (double)den[o->b] : 0.0;
    return sa > sb ? sa : sb;
}

#define ND_REPORT_TASK  256 /* clusters per task */
/* paragraphs per document task, about: small enough that 2 threads get
 * even shares (at 65,536 the 237,716 paragraphs of the 100 MB Chinese
 * bench corpus made 4 tasks, the last 0.6 of the others) */
#define ND_REPORT_PARAS 16384

/* Per-task partial sums, added up in task order. */
typedef struct finish_part {
    uint64_t chars, short_paragraphs, comparable;
    uint64_t clustered, duplicated, common;
    size_t max_docs; /* most documents of a cluster with records */
} finish_part;

/* Per-worker scratch: the distinct documents of one cluster and their
 * characters in it. */
typedef struct finish_scratch {
    uint32_t *docs;
    uint64_t *chars;
} finish_scratch;

typedef struct finish_work {
    nd_report *r;
    finish_part *part;
    unsigned char *again; /* per member: an earlier member is in its document */
    size_t *rec;          /* ncl + 1: records per cluster, then offsets */
    ov_item *items;
    finish_scratch *scr;
} finish_work;

/* Whether a cluster in `ndocs` documents gives document-pair records. */
static int cluster_has_records(const nd_report *r, size_t ndocs) {
    return ndocs >= 2 && !(r->opt.common_docs && ndocs > r->opt.common_docs);
}

static nd_status finish_cluster_task(void *ctx, size_t t, unsigned worker) {
    finish_work *x = ctx;
    nd_report *r = x->r;
    finish_part *fp = &x->part[t];
    size_t c0 = t * ND_REPORT_TASK, c1 = ND_MIN(c0 + ND_REPORT_TASK, r->ncl);
    ND_UNUSED(worker);
    for (size_t c = c0; c < c1; c++) {
        const uint32_t *m = r->cl_members + r->cl_start[c];
        size_t size = r->cl_start[c + 1] - r->cl_start[c], ndocs = 0;
        uint64_t total = 0;
        fp->clustered += size;
        /* members ascend by id, hence by document: count the runs */
        for (size_t k = 0; k < size; k++) {
            uint32_t p = m[k];
            total += r->chars[p];
            if (k > 0) fp->duplicated += r->chars[p];
            int same = k > 0 && r->pt.doc[m[k - 1]] == r->pt.doc[p];
            x->again[p] = (unsigned char)same;
            ndocs += !same;
        }
        r->cl_docs[c] = ndocs;
        r->cl_chars[c] = total;
        x->rec[c] = 0;
        if (ndocs < 2) continue;
        if (!cluster_has_records(r, ndocs)) {
            fp->common++; /* common text: no document-pair records */
            continue;
        }
        x->rec[c] = ndocs * (ndocs - 1) / 2;
        fp->max_docs = ND_MAX(fp->max_docs, ndocs);
    }
    return ND_OK;
}

/* The paragraphs of task t: a chunk of ND_REPORT_PARAS, moved forward to
 * document boundaries (pt.doc ascends), so that a document belongs to one
 * task; a document longer than a chunk leaves later tasks empty. */
static size_t doc_task_start(const nd_report *r, size_t t) {
    size_t np = r->pt.n, q = t * ND_REPORT_PARAS;
    if (q == 0 || q >= np) return ND_MIN(q, np);
    uint32_t d = r->pt.doc[q];
    if (r->pt.doc[q - 1] != d) return q;
    return nd_lower_u32(r->pt.doc, q, np, (uint64_t)d + 1); /* a later document's first */
}

/* One paragraph of document d with ch characters, counted: its document's
 * paragraphs, characters and comparable characters, and the corpus's
 * characters, short paragraphs and comparable characters. */
static inline void count_paragraph(const nd_options *o, uint32_t d, uint32_t ch, uint64_t *d_par,
                                   uint64_t *d_chars, uint64_t *d_comp, uint64_t *chars,
                                   uint64_t *shorts, uint64_t *comparable) {
    d_par[d]++;
    d_chars[d] += ch;
    *chars += ch;
    if (ch < o->min_chars) ++*shorts;
    if (ch >= o->min_chars) *comparable += ch;
    if (ch >= o->min_chars || o->passages) /* passages cross them */
        d_comp[d] += ch;
}

nd_status nd_para_counts_init(nd_para_counts *c, size_t ndocs) {
    size_t n1 = ndocs ? ndocs : 1;
    memset(c, 0, sizeof *c);
    c->ndocs = ndocs;
    c->d_paragraphs = nd_calloc(n1, sizeof *c->d_paragraphs);
    c->d_chars = nd_calloc(n1, sizeof *c->d_chars);
    c->d_comparable = nd_calloc(n1, sizeof *c->d_comparable);
    if (c->d_paragraphs && c->d_chars && c->d_comparable) return ND_OK;
    nd_para_counts_release(c);
    return ND_ERR_NOMEM;
}

void nd_para_counts_release(nd_para_counts *c) {
    free(c->d_paragraphs);
    free(c->d_chars);
    free(c->d_comparable);
    memset(c, 0, sizeof *c);
}

void nd_report_count(const nd_options *opt, const uint32_t *doc, const uint32_t *chars, size_t n,
                     nd_para_counts *c) {
    for (size_t i = 0; i < n; i++)
        count_paragraph(opt, doc[i], chars[i], c->d_paragraphs, c->d_chars, c->d_comparable,
                        &c->chars, &c->short_paragraphs, &c->comparable);
}

static nd_status finish_doc_task(void *ctx, size_t t, unsigned worker) {
    finish_work *x = ctx;
    nd_report *r = x->r;
    finish_part *fp = &x->part[t];
    size_t p0 = doc_task_start(r, t), p1 = doc_task_start(r, t + 1);
    int counted = r->sp.held != NULL; /* a sparse report's counts are given */
    ND_UNUSED(worker);
    for (size_t p = p0; p < p1; p++) {
        uint32_t d = r->pt.doc[p], ch = r->chars[p];
        if (!counted)
            count_paragraph(&r->opt, d, ch, r->d_paragraphs, r->d_chars, r->d_comparable,
                            &fp->chars, &fp->short_paragraphs, &fp->comparable);
        if (r->cluster[p] < 0) continue;
        if (x->again[p]) r->d_within[d] += ch;
        if (r->cl_docs[r->cluster[p]] >= 2) r->d_elsewhere[d] += ch;
    }
    return ND_OK;
}

static nd_status finish_record_task(void *ctx, size_t t, unsigned worker) {
    finish_work *x = ctx;
    nd_report *r = x->r;
    finish_scratch *s = &x->scr[worker];
    size_t c0 = t * ND_REPORT_TASK, c1 = ND_MIN(c0 + ND_REPORT_TASK, r->ncl);
    for (size_t c = c0; c < c1; c++) {
        if (x->rec[c + 1] == x->rec[c]) continue;
        const uint32_t *m = r->cl_members + r->cl_start[c];
        size_t size = r->cl_start[c + 1] - r->cl_start[c], ndocs = 0;
        for (size_t k = 0; k < size; k++) {
            uint32_t p = m[k], d = r->pt.doc[p];
            if (!x->again[p]) {
                s->docs[ndocs] = d;
                s->chars[ndocs++] = 0;
            }
            s->chars[ndocs - 1] += r->chars[p];
        }
        ov_item *it = x->items + x->rec[c];
        for (size_t a = 0; a < ndocs; a++)
            for (size_t b = a + 1; b < ndocs; b++)
                *it++ =
                    (ov_item){(uint64_t)s->docs[a] << 32 | s->docs[b], s->chars[a], s->chars[b], 1};
    }
    return ND_OK;
}

/* Reduces the records by document pair and puts the pairs in report order:
 * rank descending, then a, then b.  Both sorts are radix sorts of (key,
 * index): records by pair, then pairs - which come out in (a, b) order -
 * stably by rank, whose bits order like the value (ranks are shares in
 * [0, 1], never -0 or NaN).  That order is total, so it is the one any
 * comparison sort would give. */
static nd_status finish_overlaps(nd_report *r, const ov_item *items, size_t nitems) {
    nd_status st = ND_OK;
    nd_key32 *kv = nd_mallocn(nitems ? nitems : 1, sizeof *kv);
    nd_key32 *tmp = nd_mallocn(nitems ? nitems : 1, sizeof *tmp);
    nd_overlap_info *ov = NULL;
    if (!kv || !tmp) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nitems; i++) kv[i] = (nd_key32){.key = items[i].key, .val = (uint32_t)i};
    nd_sort_key32(kv, tmp, nitems);
    size_t nov = 0;
    for (size_t i = 0; i < nitems; i++)
        if (i == 0 || kv[i].key != kv[i - 1].key) nov++;
    if (!nov) goto out;
    if (!(ov = nd_mallocn(nov, sizeof *ov)) || !(r->ov = nd_mallocn(nov, sizeof *r->ov))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < nitems; i++) {
        const ov_item *it = &items[kv[i].val];
        if (i == 0 || kv[i].key != kv[i - 1].key)
            ov[k++] = (nd_overlap_info){.a = (uint32_t)(it->key >> 32), .b = (uint32_t)it->key};
        nd_overlap_info *o = &ov[k - 1];
        o->a_in_b += it->a_chars;
        o->b_in_a += it->b_chars;
        o->clusters += it->count;
    }
    for (size_t i = 0; i < nov; i++) {
        double rank = ov_rank(r, &ov[i]);
        uint64_t bits;
        memcpy(&bits, &rank, sizeof bits);
        kv[i] = (nd_key32){.key = ~bits, .val = (uint32_t)i};
    }
    nd_sort_key32(kv, tmp, nov);
    for (size_t i = 0; i < nov; i++) r->ov[i] = ov[kv[i].val];
    r->nov = nov;
out:
    free(kv);
    free(tmp);
    free(ov);
    return st;
}

nd_status nd_report_finish(nd_report *r, nd_pool *pool, const atomic_int *cancel) {
    nd_status st = ND_OK;
    size_t nd = r->docs.n, np = r->pt.n, ncl = r->ncl;
    unsigned threads = nd_pool_threads(pool);
    size_t ntc = (ncl + ND_REPORT_TASK - 1) / ND_REPORT_TASK;
    size_t ntd = (np + ND_REPORT_PARAS - 1) / ND_REPORT_PARAS;
    finish_work x;
    memset(&x, 0, sizeof x);
    x.r = r;

    if (r->sp.held && r->sp.count.ndocs == nd) { /* counted by the producer */
        r->d_paragraphs = r->sp.count.d_paragraphs;
        r->d_chars = r->sp.count.d_chars;
        r->d_comparable = r->sp.count.d_comparable;
        r->sp.count.d_paragraphs = r->sp.count.d_chars = r->sp.count.d_comparable = NULL;
    } else if (r->sp.held) {
        st = ND_ERR_INTERNAL;
        goto out;
    } else {
        r->d_paragraphs = nd_calloc(nd ? nd : 1, sizeof *r->d_paragraphs);
        r->d_chars = nd_calloc(nd ? nd : 1, sizeof *r->d_chars);
        r->d_comparable = nd_calloc(nd ? nd : 1, sizeof *r->d_comparable);
    }
    r->d_elsewhere = nd_calloc(nd ? nd : 1, sizeof *r->d_elsewhere);
    r->d_within = nd_calloc(nd ? nd : 1, sizeof *r->d_within);
    x.part = nd_calloc(ND_MAX(ntc, ntd) + 1, sizeof *x.part);
    x.again = nd_mallocn(np ? np : 1, 1);
    x.rec = nd_mallocn(ncl + 1, sizeof *x.rec);
    x.scr = nd_calloc(threads, sizeof *x.scr);
    if (!r->d_paragraphs || !r->d_chars || !r->d_elsewhere || !r->d_within || !r->d_comparable ||
        !x.part || !x.again || !x.rec || !x.scr) {
        st = ND_ERR_NOMEM;
        goto out;
    }

    nd_summary *s = &r->sum;
    s->files = nd;
    s->paragraphs = r->sp.held ? r->sp.np_all : np;
    for (size_t i = 0; i < nd; i++) {
        s->bytes += nd_doc_orig_size(&r->docs.docs[i]);
        if (r->docs.docs[i].split == ND_SPLIT_BLANK)
            s->split_blank++;
        else
            s->split_line++;
    }
    s->clusters = ncl;
    s->common_docs = r->opt.common_docs;

    ND_CHECK(nd_pool_run(pool, ntc, finish_cluster_task, &x, cancel));
    size_t max_docs = 0, nitems = 0;
    for (size_t t = 0; t < ntc; t++) {
        s->clustered_paragraphs += x.part[t].clustered;
        s->duplicated_chars += x.part[t].duplicated;
        s->common_clusters += x.part[t].common;
        max_docs = ND_MAX(max_docs, x.part[t].max_docs);
    }
    for (size_t c = 0; c < ncl; c++) {
        size_t n = x.rec[c];
        x.rec[c] = nitems;
        nitems += n;
        /* record indices are 32-bit in the sort; that many records would
         * need over 96 GB anyway */
        if (nitems > UINT32_MAX) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
    x.rec[ncl] = nitems;

    memset(x.part, 0, (ND_MAX(ntc, ntd) + 1) * sizeof *x.part);
    ND_CHECK(nd_pool_run(pool, ntd, finish_doc_task, &x, cancel));
    for (size_t t = 0; t < ntd; t++) {
        s->chars += x.part[t].chars;
        s->short_paragraphs += x.part[t].short_paragraphs;
        r->comparable += x.part[t].comparable;
    }
    if (r->sp.held) {
        s->chars = r->sp.count.chars;
        s->short_paragraphs = r->sp.count.short_paragraphs;
        r->comparable = r->sp.count.comparable;
    }

    if (nitems) {
        for (unsigned k = 0; k < threads; k++) {
            x.scr[k].docs = nd_mallocn(max_docs, sizeof *x.scr[k].docs);
            x.scr[k].chars = nd_mallocn(max_docs, sizeof *x.scr[k].chars);
            if (!x.scr[k].docs || !x.scr[k].chars) {
                st = ND_ERR_NOMEM;
                goto out;
            }
        }
        if (!(x.items = nd_mallocn(nitems, sizeof *x.items))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        ND_CHECK(nd_pool_run(pool, ntc, finish_record_task, &x, cancel));
    }
    if (r->passages) { /* overlaps from the passages, not the clusters */
        const nd_passage_out *po = r->passages;
        /* and so are a document's shares found elsewhere and repeated
         * within (at most its characters: the paragraphs' normalisation may
         * count a few less at their edges) */
        if (po->elsewhere && po->within)
            for (size_t d = 0; d < nd; d++) {
                r->d_elsewhere[d] = ND_MIN(po->elsewhere[d], r->d_chars[d]);
                r->d_within[d] = ND_MIN(po->within[d], r->d_chars[d]);
            }
        free(x.items);
        if (!(x.items = nd_mallocn(po->nov ? po->nov : 1, sizeof *x.items))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < po->nov; i++)
            x.items[i] = (ov_item){(uint64_t)po->ov[i].a << 32 | po->ov[i].b, po->ov[i].a_in_b,
                                   po->ov[i].b_in_a, po->ov[i].passages};
        nitems = po->nov;
    }
    ND_CHECK(finish_overlaps(r, x.items, nitems));
    if (r->sp.held) /* the members as run ids, for the accessors */
        for (size_t i = 0; i < r->cl_start[ncl]; i++)
            r->cl_members[i] = r->sp.held[r->cl_members[i]];
out:
    if (x.scr)
        for (unsigned k = 0; k < threads; k++) {
            free(x.scr[k].docs);
            free(x.scr[k].chars);
        }
    free(x.scr);
    free(x.part);
    free(x.again);
    free(x.rec);
    free(x.items);
    return st;
}

/* Readies the text accessor's lock and reader (after r->docs is set). */
static nd_status report_text_init(nd_report *r) {
    for (unsigned k = 0; k < ND_ROW_SLOTS; k++)
        if (pthread_mutex_init(&r->row_lock[k], NULL) != 0) {
            while (k--) pthread_mutex_destroy(&r->row_lock[k]);
            return ND_ERR_NOMEM;
        }
    for (unsigned k = 0; k < ND_SPAN_READERS; k++)
        if (pthread_mutex_init(&r->span_lock[k], NULL) != 0) {
            while (k--) pthread_mutex_destroy(&r->span_lock[k]);
            for (unsigned j = 0; j < ND_ROW_SLOTS; j++) pthread_mutex_destroy(&r->row_lock[j]);
            return ND_ERR_NOMEM;
        }
    if (pthread_mutex_init(&r->text_lock, NULL) != 0) {
        for (unsigned k = 0; k < ND_SPAN_READERS; k++) pthread_mutex_destroy(&r->span_lock[k]);
        for (unsigned k = 0; k < ND_ROW_SLOTS; k++) pthread_mutex_destroy(&r->row_lock[k]);
        return ND_ERR_NOMEM;
    }
    for (unsigned k = 0; k < ND_SPAN_READERS; k++) nd_reader_init(&r->span_rd[k], &r->docs);
    nd_reader_init(&r->text_rd, &r->docs); /* text_rd.dt set: the locks exist */
    return ND_OK;
}

nd_status nd_report_begin(const nd_options *opt, nd_doctab *docs, nd_diag_fn diag, void *user,
                          nd_report **out) {
    nd_report *r = nd_calloc(1, sizeof *r);
    if (!r) return ND_ERR_NOMEM;
    r->opt = *opt;
    r->docs = *docs; /* the report owns the documents from here on */
    memset(docs, 0, sizeof *docs);
    r->diag = diag;
    r->diag_user = user;
    r->sp.rows.fd = -1;
    nd_status st = report_text_init(r);
    if (st != ND_OK) {
        nd_report_free(r);
        return st;
    }
    *out = r;
    return ND_OK;
}

nd_doctab *nd_report_doctab(nd_report *r) { return &r->docs; }

void nd_report_set_paragraphs(nd_report *r, nd_paratab *pt, uint32_t *phash,
                              const unsigned char *doc_split) {
    nd_paratab_release(&r->pt);
    r->pt = *pt;
    memset(pt, 0, sizeof *pt);
    free(r->phash);
    r->phash = phash;
    for (size_t d = 0; d < r->docs.n && doc_split; d++) r->docs.docs[d].split = doc_split[d];
}

void nd_report_sparse_release(nd_report_sparse *s) {
    free(s->held);
    nd_spill_close(&s->rows);
    nd_para_counts_release(&s->count);
    memset(s, 0, sizeof *s);
    s->rows.fd = -1;
}

void nd_report_set_sparse(nd_report *r, nd_report_sparse *s) {
    nd_report_sparse_release(&r->sp);
    r->sp = *s;
    memset(s, 0, sizeof *s);
    s->rows.fd = -1;
}

void nd_row_pack(const nd_row *row, unsigned char *b) {
    uint32_t u[5] = {row->doc, row->len, row->line, row->phash, row->chars};
    memset(b, 0, ND_ROW_BYTES);
    memcpy(b, &row->off, 8);
    memcpy(b + 8, u, sizeof u);
    b[28] = row->state;
}

void nd_row_unpack(const unsigned char *b, nd_row *row) {
    uint32_t u[5];
    memcpy(&row->off, b, 8);
    memcpy(u, b + 8, sizeof u);
    row->doc = u[0];
    row->len = u[1];
    row->line = u[2];
    row->phash = u[3];
    row->chars = u[4];
    row->state = b[28];
}

void nd_report_set_chars(nd_report *r, uint32_t *chars) {
    free(r->chars);
    r->chars = chars;
}

nd_status nd_report_set_clusters(nd_report *r, int64_t *cluster, double *sim, size_t ncl,
                                 size_t *cl_start, uint32_t *cl_members) {
    free(r->cluster);
    free(r->sim);
    free(r->cl_start);
    free(r->cl_members);
    free(r->cl_docs);
    free(r->cl_chars);
    r->cluster = cluster;
    r->sim = sim;
    r->ncl = ncl;
    r->cl_start = cl_start;
    r->cl_members = cl_members;
    r->cl_docs = nd_calloc(ncl ? ncl : 1, sizeof *r->cl_docs);
    r->cl_chars = nd_calloc(ncl ? ncl : 1, sizeof *r->cl_chars);
    return r->cl_docs && r->cl_chars ? ND_OK : ND_ERR_NOMEM;
}

void nd_report_set_summary(nd_report *r, size_t skipped, uint64_t candidate_pairs,
                           uint64_t verified_pairs, unsigned bands, unsigned rows) {
    nd_summary *s = &r->sum;
    s->skipped = skipped;
    s->candidate_pairs = candidate_pairs;
    s->verified_pairs = verified_pairs;
    s->bands = bands;
    s->rows = rows;
    s->num_perm = r->opt.num_perm;
    s->shingle = r->opt.shingle;
    s->threshold = r->opt.threshold;
    s->passages = r->opt.passages;
    s->min_passage = r->opt.min_passage;
}

void nd_report_set_timings(nd_report *r, const nd_timings *tm) { r->timings = *tm; }

static const char *keep_text(nd_report *r, const uint8_t *bytes, size_t len);

nd_status nd_report_set_passages(nd_report *r, nd_passage_out *po) {
    nd_passage_out *kept = nd_calloc(1, sizeof *kept);
    if (!kept) {
        nd_passage_out_release(po);
        return ND_ERR_NOMEM;
    }
    *kept = *po;
    memset(po, 0, sizeof *po);

    r->sum.passage_records = kept->nrec;
    r->sum.common_passages = 0;
    for (size_t i = 0; i < kept->nrec; i++) r->sum.common_passages += kept->rec[i].common != 0;
    if (r->passages) nd_passage_out_release(r->passages);
    free(r->passages);
    r->passages = kept;
    return ND_OK;
}

size_t nd_report_passage_count(const nd_report *r) {
    return r && r->passages ? r->passages->nrec : 0;
}

nd_status nd_report_passage(const nd_report *r, size_t i, nd_passage_record_info *out) {
    if (!r || !out || i >= nd_report_passage_count(r)) return ND_ERR_INVALID;
    const nd_passage_record *p = &r->passages->rec[i];
    *out = (nd_passage_record_info){
        .places = p->nloc,
        .documents = p->docs,
        .chars = p->chars,
        .similarity = p->similarity,
        .common = p->common,
    };
    return ND_OK;
}

nd_status nd_report_passage_place(const nd_report *r, size_t i, size_t j, nd_passage_place *out) {
    if (!r || !out || i >= nd_report_passage_count(r) || j >= r->passages->rec[i].nloc)
        return ND_ERR_INVALID;
    const nd_passage_loc *l = &r->passages->rec[i].loc[j];
    const nd_doc *d = &r->docs.docs[l->doc];
    uint64_t off = nd_doc_orig_off(d, l->off); /* original bytes, as paragraphs' */
    *out = (nd_passage_place){
        .doc = l->doc,
        .line = l->line,
        .offset = off,
        .length = nd_doc_orig_off(d, l->off + l->len) - off,
        .chars = l->chars,
    };
    return ND_OK;
}

/* Bytes [off, off + n) of the text read of document doc, kept as long as
 * the report (see nd_report_passage_text).  Read by the first free reader
 * of span_rd, text_lock held only for the copy into the chunks: with one
 * reader under text_lock, the JSON writer's tasks took turns for every
 * passage's text (1 GB bench corpus, `scan --passages -f jsonl`, 2
 * threads, 201,655 records: the write 1.05-1.78 s, now 0.55-0.68 s, three
 * alternated runs). */
static nd_status span_text(const nd_report *r, uint32_t doc, uint64_t off, uint64_t n,
                           const char **text, size_t *len) {
    const nd_doc *d = &r->docs.docs[doc];
    if (d->data || n == 0) {
        *text = d->data ? (const char *)d->data + off : "";
        *len = (size_t)n;
        return ND_OK;
    }
    nd_report *w = (nd_report *)(uintptr_t)r; /* the locks, readers and chunks only */
    const uint8_t *bytes = NULL;
    const char *kept = NULL;
    unsigned k = 0; /* a free reader, else wait for the first */
    while (k < ND_SPAN_READERS && pthread_mutex_trylock(&w->span_lock[k]) != 0) k++;
    if (k == ND_SPAN_READERS) pthread_mutex_lock(&w->span_lock[k = 0]);
    nd_status st = nd_reader_get(&w->span_rd[k], doc, off, (size_t)n, 0, &bytes);
    if (st == ND_ERR_CHANGED) (void)nd_doctab_mark_changed(&w->docs, doc);
    if (st == ND_OK) {
        pthread_mutex_lock(&w->text_lock);
        if (!(kept = keep_text(w, bytes, (size_t)n))) st = ND_ERR_NOMEM;
        pthread_mutex_unlock(&w->text_lock);
    }
    pthread_mutex_unlock(&w->span_lock[k]);
    if (st == ND_ERR_CHANGED) {
        nd_report_late_change(r, doc);
        *text = "";
        *len = 0;
        return ND_OK;
    }
    if (st != ND_OK) return st;
    *text = kept;
    *len = (size_t)n;
    return ND_OK;
}

nd_status nd_report_passage_text(const nd_report *r, size_t i, size_t j, const char **text,
                                 size_t *len) {
    if (!r || !text || !len || i >= nd_report_passage_count(r) || j >= r->passages->rec[i].nloc)
        return ND_ERR_INVALID;
    const nd_passage_loc *l = &r->passages->rec[i].loc[j];
    return span_text(r, l->doc, l->off, l->len, text, len);
}

void nd_report_set_pair_passages(nd_report *r, nd_pair_passage *ps, size_t n, uint32_t *lines,
                                 uint64_t *text_chars) {
    free(r->pp);
    free(r->pp_lines);
    free(r->text_chars);
    r->pp = ps;
    r->npp = n;
    r->pp_lines = lines;
    r->text_chars = text_chars;
}

size_t nd_report_pair_passage_count(const nd_report *r) { return r ? r->npp : 0; }

/* One side of pairwise passage p: in document doc, normalised characters
 * [c, c + nc), bytes [off, off + len) of the text read, lines l[0], l[1]. */
static nd_passage_side pair_side(const nd_report *r, uint32_t doc, uint64_t c, uint64_t nc,
                                 uint64_t off, uint64_t len, const uint32_t *l) {
    const nd_doc *d = &r->docs.docs[doc];
    uint64_t o = nd_doc_orig_off(d, off); /* original bytes, as paragraphs' */
    return (nd_passage_side){
        .offset = o,
        .length = nd_doc_orig_off(d, off + len) - o,
        .text_offset = off,
        .text_length = len,
        .line = l[0],
        .end_line = l[1],
        .start_char = c,
        .chars = nc,
    };
}

nd_status nd_report_pair_passage(const nd_report *r, size_t i, nd_pair_passage_info *out) {
    if (!r || !out || i >= r->npp) return ND_ERR_INVALID;
    const nd_pair_passage *p = &r->pp[i];
    const uint32_t *l = &r->pp_lines[4 * i];
    memset(out, 0, sizeof *out);
    out->a = p->a;
    out->b = p->b;
    out->p.side[0] = pair_side(r, p->a, p->a_char, p->a_chars, p->a_off, p->a_len, l);
    out->p.side[1] = pair_side(r, p->b, p->b_char, p->b_chars, p->b_off, p->b_len, l + 2);
    out->p.matched_chars = p->matched;
    out->p.fragments = p->fragments;
    return ND_OK;
}

nd_status nd_report_pair_passage_text(const nd_report *r, size_t i, unsigned side,
                                      const char **text, size_t *len) {
    if (!r || !text || !len || i >= r->npp || side > 1) return ND_ERR_INVALID;
    const nd_pair_passage *p = &r->pp[i];
    return side == 0 ? span_text(r, p->a, p->a_off, p->a_len, text, len)
                     : span_text(r, p->b, p->b_off, p->b_len, text, len);
}

nd_status nd_report_document_text(const nd_report *r, size_t doc, size_t max, char **buf,
                                  size_t *cap, size_t *len, uint64_t *size) {
    if (!r || !buf || !cap || !len || !size || doc >= r->docs.n) return ND_ERR_INVALID;
    const nd_doc *d = &r->docs.docs[doc];
    size_t n = ND_MIN(d->size, max);
    *len = 0;
    *size = d->size;
    ND_TRY(ND_GROW(*buf, *cap, n + 1));
    if (d->data || n == 0) {
        if (n) memcpy(*buf, d->data, n);
        *len = n;
        return ND_OK;
    }
    nd_report *w = (nd_report *)(uintptr_t)r; /* the lock and the reader only */
    const uint8_t *bytes = NULL;
    pthread_mutex_lock(&w->text_lock);
    nd_status st = nd_reader_get(&w->text_rd, doc, 0, n, 0, &bytes);
    if (st == ND_ERR_CHANGED) (void)nd_doctab_mark_changed(&w->docs, doc);
    if (st == ND_OK) memcpy(*buf, bytes, n);
    pthread_mutex_unlock(&w->text_lock);
    if (st == ND_ERR_CHANGED) {
        nd_report_late_change(r, doc);
        return ND_OK;
    }
    if (st == ND_OK) *len = n;
    return st;
}

nd_status nd_report_passage_span(const nd_report *r, size_t i, size_t j, uint64_t *off,
                                 uint64_t *len) {
    if (!r || !off || !len || i >= nd_report_passage_count(r) || j >= r->passages->rec[i].nloc)
        return ND_ERR_INVALID;
    *off = r->passages->rec[i].loc[j].off;
    *len = r->passages->rec[i].loc[j].len;
    return ND_OK;
}

/* What nd_report_fetch does for a row of the table, for any row. */
nd_status nd_report_fetch_row(const nd_report *r, nd_reader *rd, const nd_row *row, size_t ahead,
                              const uint8_t **out) {
    uint32_t d = row->doc;
    size_t len = row->len;
    nd_status st = nd_reader_get(rd, d, row->off, len, ahead, out);
    if (st == ND_OK && !r->docs.docs[d].data && (uint32_t)XXH3_64bits(*out, len) != row->phash)
        st = ND_ERR_CHANGED;
    if (st == ND_ERR_CHANGED) (void)nd_doctab_mark_changed(&r->docs, d);
    return st;
}

nd_status nd_report_fetch(const nd_report *r, nd_reader *rd, size_t p, size_t ahead,
                          const uint8_t **out) {
    nd_row row = {
        .off = r->pt.off[p], .doc = r->pt.doc[p], .len = r->pt.len[p], .phash = r->phash[p]};
    return nd_report_fetch_row(r, rd, &row, ahead, out);
}

/* Row i of a sparse report's rows file, read a block at a time into the
 * block's slot. */
static nd_status file_row(const nd_report *r, size_t i, nd_row *row) {
    nd_report *w = (nd_report *)(uintptr_t)r; /* the slots only */
    uint64_t first = (uint64_t)i / ND_ROW_BLOCK * ND_ROW_BLOCK;
    unsigned k = (unsigned)(i / ND_ROW_BLOCK % ND_ROW_SLOTS);
    nd_status st = ND_OK;
    if (r->sp.rows.fd < 0) return ND_ERR_INTERNAL;
    pthread_mutex_lock(&w->row_lock[k]);
    if (!w->row_n[k] || w->row_first[k] != first) {
        size_t n = (size_t)ND_MIN((uint64_t)ND_ROW_BLOCK, r->sp.np_all - first);
        w->row_n[k] = 0;
        if (!w->row_buf[k] && !(w->row_buf[k] = nd_mallocn(ND_ROW_BLOCK, ND_ROW_BYTES)))
            st = ND_ERR_NOMEM;
        if (st == ND_OK)
            st = nd_spill_read(&r->sp.rows, first * ND_ROW_BYTES, w->row_buf[k], n * ND_ROW_BYTES);
        if (st == ND_OK) {
            w->row_first[k] = first;
            w->row_n[k] = n;
        }
    }
    if (st == ND_OK) nd_row_unpack(w->row_buf[k] + (i - first) * ND_ROW_BYTES, row);
    pthread_mutex_unlock(&w->row_lock[k]);
    return st;
}

/* Paragraph i of the run (a run id): its row, and *k its row in the tables
 * (i itself unless the report is sparse; SIZE_MAX for a paragraph a sparse
 * report does not hold, whose row is read from its file).  ND_ERR_IO. */
static nd_status para_row(const nd_report *r, size_t i, nd_row *row, size_t *k) {
    *k = i;
    if (r->sp.held) { /* the held row, else the file's */
        size_t lo = nd_lower_u32(r->sp.held, 0, r->pt.n, i);
        if (lo == r->pt.n || r->sp.held[lo] != i) {
            *k = SIZE_MAX;
            return file_row(r, i, row);
        }
        *k = lo;
    }
    *row = (nd_row){.off = r->pt.off[*k],
                    .doc = r->pt.doc[*k],
                    .len = r->pt.len[*k],
                    .line = r->pt.line[*k],
                    .phash = r->phash[*k],
                    .chars = r->chars[*k]};
    return ND_OK;
}

void nd_report_late_change(const nd_report *r, size_t doc) {
    if (!nd_doctab_take_changed(&r->docs, doc) || !r->diag) return;
    nd_diag dg = {.path = r->docs.docs[doc].path, .status = ND_ERR_CHANGED};
    r->diag(r->diag_user, &dg);
}

nd_status nd_report_io_error(const nd_report *r, int err, const char *path) {
    nd_report *w = (nd_report *)(uintptr_t)r; /* the error fields only */
    char *copy = path ? nd_strdup(path) : NULL;
    free(atomic_exchange(&w->err_path, copy));
    atomic_store(&w->err_errno, err);
    return ND_ERR_IO;
}

int nd_report_sys_errno(const nd_report *r) { return r ? atomic_load(&r->err_errno) : 0; }

const char *nd_report_error_path(const nd_report *r) {
    return r ? atomic_load(&((nd_report *)(uintptr_t)r)->err_path) : NULL;
}

void nd_report_free(nd_report *r) {
    if (!r) return;
    free(atomic_load(&r->err_path));
    if (r->text_rd.dt) {
        nd_reader_release(&r->text_rd);
        pthread_mutex_destroy(&r->text_lock);
        for (unsigned k = 0; k < ND_SPAN_READERS; k++) {
            nd_reader_release(&r->span_rd[k]);
            pthread_mutex_destroy(&r->span_lock[k]);
        }
        for (unsigned k = 0; k < ND_ROW_SLOTS; k++) pthread_mutex_destroy(&r->row_lock[k]);
    }
    for (unsigned k = 0; k < ND_ROW_SLOTS; k++) free(r->row_buf[k]);
    for (struct nd_text_chunk *c = r->text, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(r->phash);
    nd_report_sparse_release(&r->sp);
    nd_doctab_release(&r->docs);
    nd_paratab_release(&r->pt);
    free(r->chars);
    free(r->cluster);
    free(r->sim);
    free(r->d_paragraphs);
    free(r->d_chars);
    free(r->d_elsewhere);
    free(r->d_within);
    free(r->d_comparable);
    nd_skiplist_release(&r->skips);
    free(r->cl_start);
    free(r->cl_members);
    free(r->cl_docs);
    free(r->cl_chars);
    free(r->ov);
    if (r->passages) nd_passage_out_release(r->passages);
    free(r->passages);
    free(r->pp);
    free(r->pp_lines);
    free(r->text_chars);
    free(r);
}

nd_status nd_report_timings(const nd_report *r, nd_timings *out) {
    if (!r || !out) return ND_ERR_INVALID;
    *out = r->timings;
    return ND_OK;
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
        .bytes = nd_doc_orig_size(d),
        .paragraphs = r->d_paragraphs[i],
        .chars = r->d_chars[i],
        .elsewhere_chars = r->d_elsewhere[i],
        .within_chars = r->d_within[i],
        .split = d->split,
        .gzip = d->gzip,
        .encoding = nd_doc_encoding(d),
        .query = d->query,
        .text_chars = r->text_chars ? r->text_chars[i] : 0,
    };
    return ND_OK;
}

void nd_report_set_skipped(nd_report *r, nd_skiplist *l) {
    nd_skiplist_release(&r->skips);
    r->skips = *l;
    memset(l, 0, sizeof *l);
}

size_t nd_report_skipped_count(const nd_report *r) { return r ? r->skips.n : 0; }

nd_status nd_report_skipped(const nd_report *r, size_t i, nd_diag *out) {
    if (!r || !out || i >= r->skips.n) return ND_ERR_INVALID;
    const nd_skip *k = &r->skips.v[i];
    *out = (nd_diag){
        .path = k->path, .status = k->status, .sys_errno = k->sys_errno, .detail = k->detail};
    return ND_OK;
}

nd_status nd_report_document_comparable(const nd_report *r, size_t i, uint64_t *out) {
    if (!r || !out || i >= r->docs.n) return ND_ERR_INVALID;
    *out = r->d_comparable[i];
    return ND_OK;
}

nd_status nd_report_comparable_chars(const nd_report *r, uint64_t *out) {
    if (!r || !out) return ND_ERR_INVALID;
    *out = r->comparable;
    return ND_OK;
}

size_t nd_report_paragraph_count(const nd_report *r) {
    return r ? (r->sp.held ? r->sp.np_all : r->pt.n) : 0;
}

/* para_row for the public accessors: paragraph i of the run, which must
 * exist (ND_ERR_INVALID); a failed read of a sparse report's rows is
 * recorded as the report's I/O error. */
static nd_status para_row_checked(const nd_report *r, size_t i, nd_row *row, size_t *k) {
    if (i >= nd_report_paragraph_count(r)) return ND_ERR_INVALID;
    nd_status st = para_row(r, i, row, k);
    if (st == ND_ERR_IO) st = nd_report_io_error(r, errno ? errno : EIO, NULL);
    return st;
}

nd_status nd_report_row(const nd_report *r, size_t i, nd_row *row) {
    size_t k;
    if (!r || !row) return ND_ERR_INVALID;
    return para_row_checked(r, i, row, &k);
}

void nd_report_prefetch_cluster(const nd_report *r, size_t k) {
    if (k >= r->ncl || r->sp.held) return;
    const uint32_t *m = r->cl_members + r->cl_start[k];
    size_t n = ND_MIN(r->cl_start[k + 1] - r->cl_start[k], (size_t)ND_PREFETCH_MEMBERS);
    for (size_t i = 0; i < n; i++) {
        size_t p = m[i];
        __builtin_prefetch(&r->pt.off[p]);
        __builtin_prefetch(&r->pt.doc[p]);
        __builtin_prefetch(&r->pt.len[p]);
        __builtin_prefetch(&r->pt.line[p]);
        __builtin_prefetch(&r->phash[p]);
        __builtin_prefetch(&r->chars[p]);
        __builtin_prefetch(&r->cluster[p]);
        __builtin_prefetch(&r->sim[p]);
    }
}

nd_status nd_report_rows(const nd_report *r, size_t first, size_t n, nd_row *out) {
    if (!r || (n && !out) || first > nd_report_paragraph_count(r) ||
        n > nd_report_paragraph_count(r) - first)
        return ND_ERR_INVALID;
    if (r->sp.held) {
        for (size_t i = 0; i < n; i++) ND_TRY(nd_report_row(r, first + i, &out[i]));
        return ND_OK;
    }
    for (size_t i = 0, k = first; i < n; i++, k++)
        out[i] = (nd_row){.off = r->pt.off[k],
                          .doc = r->pt.doc[k],
                          .len = r->pt.len[k],
                          .line = r->pt.line[k],
                          .phash = r->phash[k],
                          .chars = r->chars[k]};
    return ND_OK;
}

nd_status nd_report_paragraph(const nd_report *r, size_t i, nd_paragraph_info *out) {
    if (!r || !out) return ND_ERR_INVALID;
    nd_row row;
    size_t k;
    ND_TRY(para_row_checked(r, i, &row, &k));
    /* a decoded document's paragraphs are given in its original bytes */
    const nd_doc *d = &r->docs.docs[row.doc];
    uint64_t off = nd_doc_orig_off(d, row.off);
    uint64_t end = nd_doc_orig_off(d, row.off + row.len);
    *out = (nd_paragraph_info){
        .doc = row.doc,
        .line = row.line,
        .offset = off,
        .length = (uint32_t)ND_MIN(end - off, (uint64_t)UINT32_MAX),
        .chars = row.chars,
        .cluster = k == SIZE_MAX ? -1 : r->cluster[k],
        .similarity = k == SIZE_MAX ? 0.0 : r->sim[k],
    };
    return ND_OK;
}

/* Copies bytes[0..len-1] into r's text chunks (under text_lock). */
static const char *keep_text(nd_report *r, const uint8_t *bytes, size_t len) {
    struct nd_text_chunk *c = r->text;
    if (!c || c->cap - c->used < len) {
        size_t cap = ND_MAX(len, ND_TEXT_CHUNK);
        if (cap > SIZE_MAX - sizeof *c || !(c = malloc(sizeof *c + cap))) return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = r->text;
        r->text = c;
    }
    uint8_t *at = c->bytes + c->used;
    memcpy(at, bytes, len);
    c->used += len;
    return (const char *)at;
}

/* The bytes of a file's paragraph are read again (nd_report_fetch) and
 * copied into chunks that live as long as the report, so the pointer stays
 * valid for the caller and other threads may ask at the same time; the copy
 * costs memory only for the texts asked for.  A paragraph that no longer
 * reads back as it was split gives "" (and its file is reported changed
 * once, through the scanner's diag callback). */
nd_status nd_report_paragraph_text(const nd_report *r, size_t i, const char **text, size_t *len) {
    if (!r || !text || !len) return ND_ERR_INVALID;
    nd_row row;
    size_t k;
    ND_TRY(para_row_checked(r, i, &row, &k));
    const nd_doc *d = &r->docs.docs[row.doc];
    if (d->data || row.len == 0) {
        *text = d->data ? (const char *)d->data + row.off : "";
        *len = row.len;
        return ND_OK;
    }
    nd_report *w = (nd_report *)(uintptr_t)r; /* the lock and the chunks only */
    const uint8_t *bytes = NULL;
    const char *kept = NULL;
    pthread_mutex_lock(&w->text_lock);
    nd_status st = nd_report_fetch_row(r, &w->text_rd, &row, 0, &bytes);
    if (st == ND_OK && !(kept = keep_text(w, bytes, row.len))) st = ND_ERR_NOMEM;
    pthread_mutex_unlock(&w->text_lock);
    if (st == ND_ERR_CHANGED) {
        nd_report_late_change(r, row.doc);
        *text = "";
        *len = 0;
        return ND_OK;
    }
    if (st != ND_OK) return st;
    *text = kept;
    *len = row.len;
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
