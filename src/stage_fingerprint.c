/*
 * stage_fingerprint.c - passages, step 1: where two places of the corpus
 * may share a passage (stage.h).  Issue 14's first stage; the extension into
 * maximal passages, the records and the reports build on its output.
 *
 * What.  A passage is a run of at least min_passage normalised characters
 * (the scan's normalisation: script and width folding, pinyin, punctuation,
 * case) that appears in two or more places, across documents or inside one,
 * wherever paragraph boundaries fall.  This stage finds the seeds: pairs of
 * places (document, character position) that begin the same selected
 * k-gram.  Every shared run of min_passage characters holds at least one
 * seed on its diagonal (winnow.c's guarantee), so the next stage, which
 * extends seeds against the text, can find every passage from them alone.
 *
 * How.  Each document is read whole (nd_reader_whole_private, as the split
 * reads it: checked to be the file loaded; one that changed is marked and
 * gives nothing), normalised with its source map (nd_norm_chars_mapped) and
 * winnowed (nd_winnow_params: k = min(t, 15), w = t - k + 1 for
 * t = min_passage), on the pool's threads, a range of whole documents per
 * task, each task into its own arrays.  The fingerprints - about 2 / (w + 1)
 * per character, 16 bytes each in the sort - are then sorted by hash
 * (nd_sort_key32 over (hash, index), stable, so equal hashes keep document
 * and position order) and grouped:
 *   - a hash repeated more than ND_FP_MAX_OCC times in one document (a
 *     separator line, a repeated word) is dropped for that document, as
 *     compare does, so a degenerate document cannot make quadratic work;
 *   - a hash found in more than common_docs documents is common text
 *     (boilerplate, a licence header): counted, and given no seeds, so that
 *     boilerplate never causes quadratic work either;
 *   - otherwise every pair of its places gives a seed (a, pa, b, pb) with
 *     (a, pa) < (b, pb); two places in one document must not overlap
 *     (pb >= pa + k), so a run like "abababab" does not pair with itself.
 * Seeds are sorted by (a, b, diagonal pa - pb, pa): the order in which the
 * extension walks them (on one diagonal, a seed inside a match already
 * extended is skipped in O(1), as in compare.c), and a pure function of the
 * input - the same for any thread count.
 *
 * Not yet: the fingerprints live in memory (16 bytes each, plus 16 of sort
 * scratch, about 0.1-0.2 bytes per input byte for the default t = 50); they
 * are to spill under the memory limit like the band keys, and the sort to
 * partition by hash across threads like stage_exact.c.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "nd_internal.h"
#include "stage.h"
#include "text.h"
#include "winnow.h"

#define ND_FP_MAX_OCC 64u          /* places of one hash in one document */
#define ND_FP_TASK_BYTES (1u << 20) /* input bytes per task, at least */

/* One task's fingerprints, in document and position order. */
typedef struct fp_part {
    uint64_t *hash;
    uint32_t *pos, *doc;
    size_t n, cap, doc_cap;
} fp_part;

typedef struct fp_work {
    atomic_uint_fast64_t kept; /* bytes of normalised texts kept */
    nd_exec *x;
    const nd_fingerprint_in *in;
    nd_fingerprint_out *out;
    size_t *range;  /* nranges + 1 first documents */
    fp_part *part;  /* per range */
    unsigned k, w;
} fp_work;

static void fp_part_release(fp_part *p) {
    free(p->hash);
    free(p->pos);
    free(p->doc);
    memset(p, 0, sizeof *p);
}

static nd_status fp_task(void *ctx, size_t t, unsigned worker) {
    fp_work *v = ctx;
    const nd_fingerprint_in *in = v->in;
    fp_part *p = &v->part[t];
    nd_reader *rd = &v->x->wk[worker].rd;
    nd_status st = ND_OK;
    nd_norm nm;
    uint32_t *cps = NULL;
    size_t *beg = NULL, *end = NULL, nch = 0;
    uint64_t *scratch = NULL, bytes = 0;
    size_t scap = 0;
    nd_norm_init(&nm, in->norm_flags);
    for (size_t d = v->range[t]; d < v->range[t + 1]; d++) {
        const uint8_t *data = NULL;
        size_t size = in->docs->docs[d].size;
        bytes += size;
        st = nd_reader_whole_private(rd, d, in->tmpdir, &data);
        if (st == ND_ERR_CHANGED) { /* marked; it gives no fingerprints */
            (void)nd_doctab_mark_changed(in->docs, d);
            st = ND_OK;
            continue;
        }
        ND_CHECK(st);
        ND_CHECK(nd_norm_chars_mapped(&nm, data, size, &cps, &beg, &end, &nch));
        v->out->doc_chars[d] = nch;
        size_t n0 = p->n, cap = p->cap;
        if (nch > UINT32_MAX) nch = UINT32_MAX; /* positions are 32-bit */
        ND_CHECK(nd_winnow(cps, nch, v->k, v->w, &p->hash, &p->pos, &cap, &p->n, &scratch,
                           &scap));
        p->cap = cap;
        ND_CHECK(ND_GROW(p->doc, p->doc_cap, p->n ? p->n : 1));
        for (size_t i = n0; i < p->n; i++) p->doc[i] = (uint32_t)d;
        /* kept for the alignment when there is room (which ones does not
         * change the result: a text not kept is normalised again there) */
        uint64_t need = (uint64_t)nch * (sizeof *cps + 2 * sizeof *beg);
        if (atomic_fetch_add(&v->kept, need) + need <= in->keep_bytes) {
            v->out->texts[d] = (nd_norm_text){cps, beg, end, nch, 1};
        } else {
            free(cps);
            free(beg);
            free(end);
        }
        cps = NULL;
        beg = end = NULL;
    }
    nd_exec_done(v->x, worker, bytes);
out:
    free(cps);
    free(beg);
    free(end);
    free(scratch);
    nd_norm_release(&nm);
    return st;
}

/* Seeds of one pair of documents: by diagonal, then position in a. */
static int seed_diag_cmp(const void *x, const void *y) {
    const nd_seed *s = x, *t = y;
    int64_t ds = (int64_t)s->pa - s->pb, dt = (int64_t)t->pa - t->pb;
    if (ds != dt) return ds < dt ? -1 : 1;
    if (s->pa != t->pa) return s->pa < t->pa ? -1 : 1;
    return 0;
}

/* Sorts the seeds by (a, b, diagonal, pa): a radix sort by the pair, then
 * each pair's seeds (a few dozen, typically) by diagonal - a quarter of the
 * comparisons of one qsort of all of them. */
static nd_status sort_seeds(nd_fingerprint_out *out) {
    size_t n = out->nseeds;
    nd_key32 *kv = NULL, *tmp = NULL;
    nd_seed *sorted = NULL;
    nd_status st = ND_OK;
    if (n < 2) return ND_OK;
    if (n > UINT32_MAX) return ND_ERR_INVALID;
    kv = nd_mallocn(n, sizeof *kv);
    tmp = nd_mallocn(n, sizeof *tmp);
    sorted = nd_mallocn(n, sizeof *sorted);
    if (!kv || !tmp || !sorted) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        kv[i] = (nd_key32){.key = (uint64_t)out->seeds[i].a << 32 | out->seeds[i].b,
                           .val = (uint32_t)i};
    nd_sort_key32(kv, tmp, n);
    for (size_t i = 0; i < n; i++) sorted[i] = out->seeds[kv[i].val];
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && kv[j].key == kv[i].key) j++;
        if (j - i > 1) qsort(sorted + i, j - i, sizeof *sorted, seed_diag_cmp);
        i = j;
    }
    free(out->seeds);
    out->seeds = sorted;
    out->seed_cap = n;
    sorted = NULL;
out:
    free(kv);
    free(tmp);
    free(sorted);
    return st;
}

/* The seeds of one group of places sharing a hash: g[0..n-1] are indices
 * into doc/pos, in (document, position) order. */
static nd_status group_seeds(const nd_key32 *g, size_t n, const uint32_t *doc,
                             const uint32_t *pos, unsigned k, nd_fingerprint_out *out) {
    for (size_t i = 0; i < n; i++) {
        uint32_t a = doc[g[i].val], pa = pos[g[i].val];
        for (size_t j = i + 1; j < n; j++) {
            uint32_t b = doc[g[j].val], pb = pos[g[j].val];
            if (a == b && pb < pa + k) continue; /* overlapping places */
            ND_TRY(ND_GROW(out->seeds, out->seed_cap, out->nseeds + 1));
            out->seeds[out->nseeds++] = (nd_seed){a, b, pa, pb};
        }
    }
    return ND_OK;
}

/* Groups the sorted fingerprints kv[0..n-1] by hash into seeds. */
static nd_status make_seeds(const nd_key32 *kv, size_t n, const uint32_t *doc,
                            const uint32_t *pos, const nd_fingerprint_in *in, unsigned k,
                            nd_fingerprint_out *out) {
    nd_key32 *keep = NULL;
    size_t cap = 0;
    nd_status st = ND_OK;
    for (size_t s = 0; s < n;) {
        size_t e = s + 1;
        while (e < n && kv[e].key == kv[s].key) e++;
        /* documents of the group, each at most ND_FP_MAX_OCC places */
        size_t ndocs = 0, m = 0;
        ND_CHECK(ND_GROW(keep, cap, e - s));
        for (size_t i = s; i < e;) {
            size_t j = i + 1;
            while (j < e && doc[kv[j].val] == doc[kv[i].val]) j++;
            ndocs++;
            if (j - i <= ND_FP_MAX_OCC)
                for (size_t q = i; q < j; q++) keep[m++] = kv[q];
            i = j;
        }
        if (ndocs > in->common_docs)
            out->common++;
        else if (m > 1)
            ND_CHECK(group_seeds(keep, m, doc, pos, k, out));
        s = e;
    }
out:
    free(keep);
    return st;
}

nd_status nd_stage_fingerprint(nd_exec *x, const nd_fingerprint_in *in, nd_fingerprint_out *out) {
    nd_status st = ND_OK;
    size_t nd = in->docs->n, nr = 0, total = 0;
    fp_work v = {.x = x, .in = in, .out = out};
    nd_key32 *kv = NULL, *tmp = NULL;
    uint32_t *doc = NULL, *pos = NULL;
    memset(out, 0, sizeof *out);
    nd_winnow_params(in->min_passage, &v.k, &v.w);
    atomic_init(&v.kept, 0);
    if (!(out->doc_chars = nd_calloc(nd ? nd : 1, sizeof *out->doc_chars))) return ND_ERR_NOMEM;
    if (!(out->texts = nd_calloc(nd ? nd : 1, sizeof *out->texts))) return ND_ERR_NOMEM;
    out->ndocs = nd;
    if (!(v.range = nd_mallocn(nd + 1, sizeof *v.range))) return ND_ERR_NOMEM;
    /* ranges of whole documents, about 16 per thread, at least 1 MiB each */
    uint64_t all = 0, acc = 0;
    for (size_t d = 0; d < nd; d++) all += in->docs->docs[d].size;
    uint64_t target = ND_MAX(all / ((uint64_t)x->threads * 16) + 1, (uint64_t)ND_FP_TASK_BYTES);
    v.range[0] = 0;
    for (size_t d = 0; d < nd; d++) {
        acc += in->docs->docs[d].size;
        if (acc >= target || d + 1 == nd) {
            v.range[++nr] = d + 1;
            acc = 0;
        }
    }
    if (!(v.part = nd_calloc(nr ? nr : 1, sizeof *v.part))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    nd_exec_begin(x, ND_STAGE_PASSAGE, all);
    ND_CHECK(nd_exec_run(x, nr, fp_task, &v));
    for (size_t t = 0; t < nr; t++) total += v.part[t].n;
    out->fingerprints = total;
    if (total > UINT32_MAX) {
        st = ND_ERR_INVALID;
        goto out;
    }
    kv = nd_mallocn(total ? total : 1, sizeof *kv);
    tmp = nd_mallocn(total ? total : 1, sizeof *tmp);
    doc = nd_mallocn(total ? total : 1, sizeof *doc);
    pos = nd_mallocn(total ? total : 1, sizeof *pos);
    if (!kv || !tmp || !doc || !pos) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t t = 0, i = 0; t < nr; t++) {
        fp_part *p = &v.part[t];
        for (size_t j = 0; j < p->n; j++, i++) {
            kv[i] = (nd_key32){.key = p->hash[j], .val = (uint32_t)i};
            doc[i] = p->doc[j];
            pos[i] = p->pos[j];
        }
        fp_part_release(p);
    }
    nd_sort_key32(kv, tmp, total); /* (hash, index): places stay in order */
    free(tmp);
    tmp = NULL;
    ND_CHECK(make_seeds(kv, total, doc, pos, in, v.k, out));
    ND_CHECK(sort_seeds(out));
out:
    if (v.part)
        for (size_t t = 0; t < nr; t++) fp_part_release(&v.part[t]);
    free(v.part);
    free(v.range);
    free(kv);
    free(tmp);
    free(doc);
    free(pos);
    return st;
}

void nd_norm_texts_free(nd_norm_text *t, size_t n) {
    if (!t) return;
    for (size_t i = 0; i < n; i++) {
        free(t[i].cps);
        free(t[i].beg);
        free(t[i].end);
    }
    free(t);
}
