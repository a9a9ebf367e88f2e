/*
 * stage_align.c - passages, step 2: the seeds of each pair of documents
 * extended into passages (stage.h).
 *
 * In: the documents, the normalisation, min_passage and max_gap, and the
 * seeds of stage_fingerprint.c, sorted by (a, b, diagonal, pa).  Out: every
 * passage two places share, pair by pair: its span in both documents in
 * normalised characters and in bytes of the text read (decoded text for a
 * decoded document; nd_doc_orig_off turns them into original offsets), its
 * matched characters and fragments; sorted by (a, b, position in a).
 *
 * Each pair's seeds go through align.c, the code compare uses: extended to
 * maximal exact matches, chained across edits of up to max_gap characters,
 * kept with min_passage matched characters.  So the passages of a corpus of
 * two documents are exactly those `compare A B` finds (tests/test_passages.c
 * checks it), and a pair of places inside one document (a == b) never
 * overlaps itself.
 *
 * Threads: tasks = runs of seeds with the same first document a, so a is
 * read and normalised once per task; each b of the run is read and
 * normalised in turn (nd_reader_whole_private, checked; a document that
 * changed is marked and its passages left out).  Each task writes its own
 * array; the arrays are joined in task order, so the output does not depend
 * on the thread count.
 */
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "nd_internal.h"
#include "stage.h"
#include "text.h"
#include "winnow.h"

/* A document's normalised text and its map to bytes. */
typedef struct norm_doc {
    size_t doc;            /* SIZE_MAX: none */
    nd_align_text t;       /* its code points (1, 2 or 4 bytes each when kept)
                           and map (compact when kept so) */
    uint32_t *cps;         /* owned: the code points, */
    nd_map_off *beg, *end; /* and the map, normalised here */
    int ok;                /* 0: it no longer reads back */
} norm_doc;

typedef struct align_part {
    nd_pair_passage *ps;
    size_t n, cap;
} align_part;

typedef struct align_work {
    nd_exec *x;
    const nd_align_in *in;
    size_t *task;     /* ntasks + 1 first seeds */
    align_part *part; /* per task */
    unsigned k;
} align_work;

static void norm_doc_release(norm_doc *d) {
    free(d->cps);
    free(d->beg);
    free(d->end);
    memset(d, 0, sizeof *d);
    d->doc = SIZE_MAX;
}

static nd_status norm_doc_load(norm_doc *d, size_t doc, const nd_align_in *in, nd_reader *rd,
                               nd_norm *nm) {
    const uint8_t *data = NULL;
    norm_doc_release(d);
    d->doc = doc;
    if (in->texts && in->texts[doc].kept) { /* normalised by the fingerprints */
        const nd_norm_text *t = &in->texts[doc];
        d->t = (nd_align_text){
            .cps = t->cps, .width = t->width, .beg = t->beg, .end = t->end, .n = t->n};
        if (t->cmap) nd_pmap_at(t->cmap, t->n, &d->t.cm);
        d->ok = 1;
        return ND_OK;
    }
    size_t n = 0;
    nd_status st = nd_reader_whole_private(rd, doc, in->tmpdir, &data);
    if (st == ND_ERR_CHANGED) {
        (void)nd_doctab_mark_changed(in->docs, doc);
        return ND_OK; /* d->ok stays 0 */
    }
    ND_TRY(st);
    ND_TRY(nd_norm_chars_mapped(nm, data, in->docs->docs[doc].size, &d->cps, &d->beg, &d->end, &n));
    d->t = (nd_align_text){.cps = d->cps, .width = 4, .beg = d->beg, .end = d->end, .n = n};
    d->ok = 1;
    return ND_OK;
}

/* The exact check of a pair's passages (nd_align_check): the two sides'
 * bytes read again (pread of the span, through the worker's two readers)
 * and shingled by the worker's shinglers, as the verification does. */
typedef struct pair_check {
    nd_worker *wk;
    nd_doctab *docs;
    size_t a, b;
    int changed; /* a side no longer reads back (its document is marked) */
} pair_check;

static nd_status pair_jaccard(void *ctx, size_t a_off, size_t a_len, size_t b_off, size_t b_len,
                              double *j) {
    pair_check *pc = ctx;
    const uint8_t *ta = NULL, *tb = NULL;
    uint64_t *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0;
    nd_status st = nd_reader_get(&pc->wk->rd, pc->a, a_off, a_len, 0, &ta);
    if (st == ND_ERR_CHANGED) (void)nd_doctab_mark_changed(pc->docs, pc->a);
    if (st == ND_OK &&
        (st = nd_reader_get(&pc->wk->rb, pc->b, b_off, b_len, 0, &tb)) == ND_ERR_CHANGED)
        (void)nd_doctab_mark_changed(pc->docs, pc->b);
    if (st == ND_ERR_CHANGED) pc->changed = 1;
    ND_TRY(st);
    ND_TRY(nd_shingler_set(&pc->wk->sa, ta, a_len, &sa, &na));
    ND_TRY(nd_shingler_set(&pc->wk->sb, tb, b_len, &sb, &nb));
    *j = nd_hashset_jaccard(sa, na, sb, nb);
    return ND_OK;
}

/* A task's buffers, reused from pair to pair (most pairs share one short
 * fragment by chance, and allocating per pair was a tenth of the stage). */
typedef struct align_scratch {
    nd_align_seed *sd;
    size_t sd_cap;
    nd_align_frag *fr;
    size_t fr_cap;
} align_scratch;

/* The passages of one pair (a, b) from its seeds s[0..n-1]; none when a
 * side no longer reads back for the exact check. */
static nd_status align_pair(const align_work *v, nd_worker *wk, const norm_doc *A,
                            const norm_doc *B, const nd_seed *s, size_t n, align_scratch *sc,
                            align_part *p) {
    nd_status st = ND_OK;
    pair_check pc = {wk, v->in->docs, A->doc, B->doc, 0};
    const nd_align_check chk = {v->in->threshold, pair_jaccard, &pc};
    nd_align_chain_info *ch = NULL;
    size_t nfr = 0, nch = 0;
    ND_TRY(ND_GROW(sc->sd, sc->sd_cap, n));
    for (size_t i = 0; i < n; i++) sc->sd[i] = (nd_align_seed){s[i].pa, s[i].pb};
    const nd_align_text *ta = &A->t, *tb = &B->t;
    ND_TRY(nd_align_extend_into(ta, tb, A->doc == B->doc, v->k, sc->sd, n, &sc->fr, &sc->fr_cap,
                                &nfr));
    st = nd_align_chain(sc->fr, nfr, v->in->max_gap, v->in->min_passage, ta, tb,
                        v->in->threshold > 0 ? &chk : NULL, &ch, &nch, NULL, NULL);
    if (st == ND_ERR_CHANGED && pc.changed) { /* marked: its passages are left out */
        st = ND_OK;
        goto out;
    }
    ND_CHECK(st);
    for (size_t i = 0; i < nch; i++) {
        const nd_align_chain_info *c = &ch[i];
        ND_CHECK(ND_GROW(p->ps, p->cap, p->n + 1));
        p->ps[p->n++] = (nd_pair_passage){
            .a = (uint32_t)A->doc,
            .b = (uint32_t)B->doc,
            .a_char = c->a0,
            .a_chars = c->ae - c->a0,
            .b_char = c->b0,
            .b_chars = c->be - c->b0,
            .a_off = nd_align_beg(ta, c->a0),
            .a_len = nd_align_end(ta, c->ae - 1) - nd_align_beg(ta, c->a0),
            .b_off = nd_align_beg(tb, c->b0),
            .b_len = nd_align_end(tb, c->be - 1) - nd_align_beg(tb, c->b0),
            .matched = c->matched,
            .fragments = c->nfrag,
        };
    }
out:
    free(ch);
    return st;
}

static nd_status align_task(void *ctx, size_t t, unsigned worker) {
    align_work *v = ctx;
    const nd_seed *seeds = v->in->seeds;
    nd_reader *rd = &v->x->wk[worker].rd;
    norm_doc A = {.doc = SIZE_MAX}, B = {.doc = SIZE_MAX};
    align_scratch sc = {0};
    nd_status st = ND_OK;
    nd_norm nm;
    nd_norm_init(&nm, v->in->norm_flags);
    size_t s0 = v->task[t], s1 = v->task[t + 1];
    ND_CHECK(norm_doc_load(&A, seeds[s0].a, v->in, rd, &nm));
    for (size_t i = s0; i < s1;) {
        size_t j = i + 1;
        while (j < s1 && seeds[j].b == seeds[i].b) j++;
        if (A.ok) {
            const norm_doc *b = &A;
            if (seeds[i].b != seeds[i].a) {
                ND_CHECK(norm_doc_load(&B, seeds[i].b, v->in, rd, &nm));
                b = &B;
            }
            if (b->ok)
                ND_CHECK(
                    align_pair(v, &v->x->wk[worker], &A, b, seeds + i, j - i, &sc, &v->part[t]));
        }
        i = j;
    }
    nd_exec_done(v->x, worker, s1 - s0);
out:
    norm_doc_release(&A);
    norm_doc_release(&B);
    nd_norm_release(&nm);
    free(sc.sd);
    free(sc.fr);
    return st;
}

nd_status nd_stage_align(nd_exec *x, const nd_align_in *in, nd_align_out *out) {
    nd_status st = ND_OK;
    align_work v = {.x = x, .in = in};
    size_t nt = 0, total = 0;
    unsigned w;
    memset(out, 0, sizeof *out);
    nd_winnow_params(in->min_passage, &v.k, &w);
    /* tasks: runs of seeds with the same first document */
    if (!(v.task = nd_mallocn(in->nseeds + 1, sizeof *v.task))) return ND_ERR_NOMEM;
    for (size_t i = 0; i < in->nseeds; i++)
        if (i == 0 || in->seeds[i].a != in->seeds[i - 1].a) v.task[nt++] = i;
    v.task[nt] = in->nseeds;
    if (!(v.part = nd_calloc(nt ? nt : 1, sizeof *v.part))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    nd_exec_begin(x, ND_STAGE_PASSAGE, in->nseeds);
    ND_CHECK(nd_exec_run(x, nt, align_task, &v));
    for (size_t t = 0; t < nt; t++) total += v.part[t].n;
    if (total) {
        if (!(out->ps = nd_mallocn(total, sizeof *out->ps))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        for (size_t t = 0; t < nt; t++) {
            if (v.part[t].n) memcpy(out->ps + out->n, v.part[t].ps, v.part[t].n * sizeof *out->ps);
            out->n += v.part[t].n;
        }
    }
out:
    if (v.part)
        for (size_t t = 0; t < nt; t++) free(v.part[t].ps);
    free(v.part);
    free(v.task);
    return st;
}
