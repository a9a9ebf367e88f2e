/*
 * stage_split.c - stage 1: documents into paragraphs, sketched on the way
 * (stage.h).
 *
 * In: the options (split mode, max_paragraph_bytes), the temporary
 * directory, the sketch parameters and the memory limit.  Out: the
 * documents' split modes (and changed files marked), the paragraph table in
 * (document, offset) order with a 32-bit hash of each paragraph's bytes,
 * per document the paragraphs cut at max_paragraph_bytes; and, when the
 * split sketched everything ("fused"), every paragraph's characters, state
 * and exact key and the band keys staged per range.
 *
 * Bytes (input.c, "Bytes").  Each document is read whole with read() into
 * the worker's reader buffer, checked with fstat before and after (a
 * document over ND_WHOLE_MAX, 64 MiB, is copied to a private unlinked file
 * under the temporary directory and mapped from there, so the buffers stay
 * bounded); a document that changed gives no paragraphs and is marked.
 * Later stages read paragraphs again with pread() and check them against
 * the hash kept here.
 *
 * Threads.  Tasks = ranges of whole documents (about 64 per thread,
 * balanced by bytes); each fills its own paragraph table, and a second job
 * copies the tables to their places in range order (prefix sums of their
 * sizes), so paragraph ids are those of a sequential split.  (One huge
 * document is one task; the stages after this one are split by paragraph.)
 *
 * Fused.  Each task also sketches its paragraphs while the document is in
 * its buffer (nd_sketch_paragraph), staging characters, states and exact
 * keys per range (copied into place by the join) and band keys per range,
 * band-major, which the LSH tasks gather band by band.  The input is then
 * read once: with a separate sketch stage it was read twice, and on the 1 GB
 * corpus that cost 8% (1 thread; 6.46 s with the input mapped, 7.00 s
 * reading twice).  The tasks stop sketching, and out->fused stays 0 so the
 * driver runs the sketch stage, when the band keys would not fit the memory
 * limit (the spilled path), or when one range holds more than
 * 1 / (2 x threads) of the input (a big document would be sketched by one
 * thread).  64 ranges per thread rather than 16 keep the fused tasks short
 * (~40 ms on the 1 GB corpus), so the stage's tail, one thread finishing
 * the last range, is short too.
 */
#include <string.h>

#include "nd_internal.h"
#include "split.h"
#include "stage.h"

typedef struct split_work {
    nd_exec *x;
    const nd_split_in *in;
    nd_split_out *out;
    size_t *range_start;            /* nranges + 1 document indices */
    nd_paratab *range_pt;           /* per range: its paragraphs */
    uint32_t **range_ph;            /* per range: its paragraphs' hashes */
    int fusing;                     /* the split tasks sketch too */
    atomic_int fuse_off;            /* set when the sketched rows outgrow the limit */
    atomic_uint_fast64_t fuse_rows; /* rows sketched by the split tasks */
} split_work;

/* Fused: sketches paragraphs [n0, pt->n) of range t from the document's
 * bytes, into the range's staging (row-major band keys in the worker's
 * rowkeys).  Stops (and says so through fuse_off) once the rows sketched by
 * all tasks would not fit in the memory limit in memory. */
static nd_status fuse_sketch(split_work *w, size_t t, nd_worker *k, const nd_paratab *pt, size_t n0,
                             const uint8_t *data) {
    nd_range_sketch *s = &w->out->rsk[t];
    unsigned bands = w->in->sk.bands;
    size_t n = pt->n, cap = s->cap;
    uint64_t row_bytes = (uint64_t)bands * sizeof(uint32_t) + 16u * w->x->threads;
    uint64_t rows = atomic_fetch_add(&w->fuse_rows, (uint64_t)(n - n0)) + (n - n0);
    if (rows * row_bytes > w->in->limit) atomic_store(&w->fuse_off, 1);
    if (atomic_load(&w->fuse_off)) return ND_OK;
    if (n > cap) {
        size_t c1 = cap, c2 = cap;
        ND_TRY(ND_GROW(s->chars, cap, n));
        ND_TRY(ND_GROW(s->state, c1, n));
        ND_TRY(ND_GROW(s->ekey, c2, n));
        s->cap = cap;
    }
    ND_TRY(ND_GROW(k->rowkeys, k->rowkeys_cap, n * bands));
    for (size_t i = n0; i < n; i++) {
        uint32_t *keys = k->rowkeys + i * bands;
        ND_TRY(nd_sketch_paragraph(&w->in->sk, k, data + pt->off[i], pt->len[i], &s->chars[i],
                                   &s->state[i], &s->ekey[i], keys));
        if (s->state[i] != ND_PARA_REP) memset(keys, 0, bands * sizeof *keys);
    }
    s->n = n;
    return ND_OK;
}

/* Splits range t's documents, each read whole into the worker's buffer and
 * checked to be the file loaded (nd_reader_whole; a changed file is marked
 * and gives no paragraphs), and hashes every paragraph's bytes, which later
 * stages check when they read them again (nd_report_fetch). */
static nd_status split_task(void *ctx, size_t t, unsigned worker) {
    split_work *w = ctx;
    const nd_options *opt = w->in->opt;
    nd_doctab *docs = w->in->docs;
    nd_paratab *pt = &w->range_pt[t];
    nd_reader *rd = &w->x->wk[worker].rd;
    size_t ph_cap = 0;
    uint64_t bytes = 0;
    pt->max_len = opt->max_paragraph_bytes;
    for (size_t d = w->range_start[t]; d < w->range_start[t + 1]; d++) {
        nd_doc *doc = &docs->docs[d];
        nd_split_mode used = ND_SPLIT_LINE;
        const uint8_t *data = NULL;
        size_t n0 = pt->n;
        nd_status st = nd_reader_whole_private(rd, d, w->in->tmpdir, &data);
        if (st == ND_ERR_CHANGED) {
            (void)nd_doctab_mark_changed(docs, d);
            w->out->doc_ncut[d] = 0;
            continue;
        }
        ND_TRY(st);
        ND_TRY(nd_split_document(pt, (uint32_t)d, data, doc->size, opt->split, &used));
        w->out->doc_split[d] = (unsigned char)used;
        ND_TRY(ND_GROW(w->range_ph[t], ph_cap, pt->n ? pt->n : 1));
        for (size_t i = n0; i < pt->n; i++)
            w->range_ph[t][i] = (uint32_t)XXH3_64bits(data + pt->off[i], pt->len[i]);
        if (w->fusing) ND_TRY(fuse_sketch(w, t, &w->x->wk[worker], pt, n0, data));
        w->out->doc_ncut[d] = pt->ncut;
        w->out->doc_cutline[d] = pt->cut_line;
        bytes += doc->size;
    }
    if (w->fusing && !atomic_load(&w->fuse_off)) {
        /* the range's band keys, band-major */
        nd_range_sketch *s = &w->out->rsk[t];
        const uint32_t *rk = w->x->wk[worker].rowkeys;
        unsigned bands = w->in->sk.bands;
        size_t n = pt->n;
        if (!(s->bk = nd_mallocn(n ? n * bands : 1, sizeof *s->bk))) return ND_ERR_NOMEM;
        for (size_t i = 0; i < n; i++)
            for (unsigned j = 0; j < bands; j++) s->bk[j * n + i] = rk[i * bands + j];
        s->n = n;
        s->done = 1;
    }
    nd_exec_done(w->x, worker, bytes);
    return ND_OK;
}

/* Copies range t's paragraph table to its place in the whole table (starting
 * at range_base[t]) and frees it. */
static nd_status split_join_task(void *ctx, size_t t, unsigned worker) {
    split_work *w = ctx;
    nd_split_out *o = w->out;
    nd_paratab *pt = o->pt, *s = &w->range_pt[t];
    size_t at = o->range_base[t];
    ND_UNUSED(worker);
    if (s->n) { /* s->doc etc. may be NULL: no memcpy from NULL */
        memcpy(pt->doc + at, s->doc, s->n * sizeof *pt->doc);
        memcpy(pt->off + at, s->off, s->n * sizeof *pt->off);
        memcpy(pt->len + at, s->len, s->n * sizeof *pt->len);
        memcpy(pt->line + at, s->line, s->n * sizeof *pt->line);
        memcpy(o->phash + at, w->range_ph[t], s->n * sizeof *o->phash);
        if (w->fusing) {
            nd_range_sketch *k = &o->rsk[t];
            memcpy(o->chars + at, k->chars, s->n * sizeof *o->chars);
            memcpy(o->state + at, k->state, s->n * sizeof *o->state);
            memcpy(o->ekey + at, k->ekey, s->n * sizeof *o->ekey);
        }
    }
    if (w->fusing) { /* the band keys stay, for the LSH stage */
        nd_range_sketch *k = &o->rsk[t];
        free(k->chars);
        free(k->state);
        free(k->ekey);
        k->chars = NULL;
        k->state = NULL;
        k->ekey = NULL;
    }
    free(w->range_ph[t]);
    w->range_ph[t] = NULL;
    nd_paratab_release(s);
    return ND_OK;
}

static void split_work_release(split_work *w, size_t nr) {
    if (w->range_pt)
        for (size_t i = 0; i < nr; i++) nd_paratab_release(&w->range_pt[i]);
    free(w->range_pt);
    if (w->range_ph)
        for (size_t i = 0; i < nr; i++) free(w->range_ph[i]);
    free(w->range_ph);
    free(w->range_start);
}

nd_status nd_stage_split(nd_exec *x, const nd_split_in *in, nd_split_out *out) {
    nd_status st = ND_OK;
    size_t nd = in->docs->n, nr = 0;
    split_work wk, *w = &wk;
    memset(w, 0, sizeof *w);
    w->x = x;
    w->in = in;
    w->out = out;
    w->fusing = in->fuse;
    atomic_init(&w->fuse_off, 0);
    atomic_init(&w->fuse_rows, 0);
    out->fused = 0;
    uint64_t target = x->input_bytes / ((uint64_t)x->threads * 64) + 1;
    if (target < (UINT64_C(1) << 20)) target = UINT64_C(1) << 20;
    w->range_start = nd_mallocn(nd + 1, sizeof *w->range_start);
    out->doc_ncut = nd_calloc(nd ? nd : 1, sizeof *out->doc_ncut);
    out->doc_cutline = nd_calloc(nd ? nd : 1, sizeof *out->doc_cutline);
    out->doc_split = nd_calloc(nd ? nd : 1, sizeof *out->doc_split);
    if (!w->range_start || !out->doc_ncut || !out->doc_cutline || !out->doc_split) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    uint64_t acc = 0, most = 0;
    size_t d0 = in->doc_end ? ND_MIN(in->doc_first, in->doc_end) : 0; /* a share */
    size_t d1 = in->doc_end ? ND_MIN(in->doc_end, nd) : nd;
    w->range_start[0] = d0;
    for (size_t d = d0; d < d1; d++) {
        acc += in->docs->docs[d].size;
        if (acc >= target || d + 1 == d1) {
            w->range_start[++nr] = d + 1;
            most = ND_MAX(most, acc);
            acc = 0;
        }
    }
    out->nranges = nr;
    /* sketching by ranges needs ranges small enough to share out: a range
     * holding a large part of the input (one big document) leaves the
     * other threads idle, so such a run sketches by paragraphs instead */
    if (x->threads > 1 && most * 2 * x->threads > x->input_bytes) w->fusing = 0;
    w->range_pt = nd_calloc(nr ? nr : 1, sizeof *w->range_pt);
    w->range_ph = nd_calloc(nr ? nr : 1, sizeof *w->range_ph);
    if (!w->range_pt || !w->range_ph ||
        (w->fusing && !(out->rsk = nd_calloc(nr ? nr : 1, sizeof *out->rsk)))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    nd_exec_begin(x, ND_STAGE_SPLIT, x->input_bytes);
    ND_CHECK(nd_exec_run(x, nr, split_task, w));
    if (w->fusing) { /* every range sketched within the limit, or none kept */
        int all = !atomic_load(&w->fuse_off);
        for (size_t i = 0; i < nr && all; i++) all = out->rsk[i].done;
        if (!all) {
            for (size_t i = 0; i < nr; i++) nd_range_sketch_release(&out->rsk[i]);
            free(out->rsk);
            out->rsk = NULL;
            w->fusing = 0;
        }
    }
    for (unsigned i = 0; i < x->threads; i++) {
        free(x->wk[i].rowkeys);
        x->wk[i].rowkeys = NULL;
        x->wk[i].rowkeys_cap = 0;
    }

    if (!(out->range_base = nd_mallocn(nr + 1, sizeof *out->range_base))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    size_t n = 0;
    for (size_t i = 0; i < nr; i++) {
        out->range_base[i] = n;
        n += w->range_pt[i].n;
    }
    out->range_base[nr] = n;
    if (n >= UINT32_MAX) {
        st = ND_ERR_INVALID;
        goto out;
    }
    nd_paratab *pt = out->pt;
    size_t n1 = n ? n : 1;
    pt->doc = nd_mallocn(n1, sizeof *pt->doc);
    pt->off = nd_mallocn(n1, sizeof *pt->off);
    pt->len = nd_mallocn(n1, sizeof *pt->len);
    pt->line = nd_mallocn(n1, sizeof *pt->line);
    out->phash = nd_mallocn(n1, sizeof *out->phash);
    if (!pt->doc || !pt->off || !pt->len || !pt->line || !out->phash) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    if (w->fusing) {
        out->chars = nd_mallocn(n1, sizeof *out->chars);
        out->state = nd_mallocn(n1, sizeof *out->state);
        out->ekey = nd_mallocn(n1, sizeof *out->ekey);
        if (!out->chars || !out->state || !out->ekey) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
    pt->cap = n1;
    pt->max_len = in->opt->max_paragraph_bytes;
    ND_CHECK(nd_exec_run(x, nr, split_join_task, w));
    pt->n = n;
    out->fused = w->fusing;
    /* whole documents are not needed any more: later stages read ranges */
    for (unsigned i = 0; i < x->threads; i++) nd_reader_shrink(&x->wk[i].rd);
out:
    split_work_release(w, nr);
    return st;
}
