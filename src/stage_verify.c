/*
 * stage_verify.c - stage 5: the exact Jaccard of every candidate pair
 * (stage.h).
 *
 * In: the report's paragraph table and documents (read, never written:
 * texts are fetched with nd_report_fetch, which checks them against the
 * paragraph hashes taken when they were split), the candidate pairs from
 * the LSH (ascending, distinct, a < b) and the memory limit.  Out: per
 * pair its exact Jaccard and whether it reaches opt.threshold, the verified
 * pairs joined in the union-find, their number, and the texts box below,
 * which the similarity stage reads too.
 *
 * Recall is decided by the LSH, precision here: a pair is joined only when
 * the Jaccard of its two shingle sets, rebuilt from the text (sets are never
 * stored for the whole corpus), reaches the threshold.
 *
 * Texts.  The texts of the paragraphs in candidate pairs are read in file
 * order before the verification.  Fetching each pair's texts on its own
 * cost a pread() per paragraph in pair order (about 1.5 microseconds each
 * on the bench machine: +0.045 s of 0.08 s verifying the 100 MB corpus);
 * read in id order, neighbours share one read (a window is extended to the
 * next needed paragraph of the document when the gap is at most
 * ND_TEXT_GAP bytes, up to ND_SKETCH_AHEAD).  The copies cost their bytes
 * (about 50 bytes per corpus paragraph on the bench corpus, after the band
 * keys are freed, so below the scan's peak); they are kept only when they
 * fit in a quarter of the memory limit, else each text is read when
 * needed.  Tasks = ND_TEXT_TASK needed paragraphs, each writing its own
 * slice.  A text that does not read back as it was split is marked, and its
 * pairs are left unverified (Jaccard 0).
 *
 * Threads.  Tasks = ND_VERIFY_TASK consecutive candidate pairs; each writes
 * one flag and one Jaccard per pair; the unions are then done in pair order
 * (the union-find's root is the smallest id anyway, so the components do
 * not depend on the order).  The current `a` set is kept across its pairs
 * (pairs are sorted by a); a per-worker LRU memo of the last 8 `b` sets
 * was tried and gave nothing (100 MB and 1 GB).
 */
#include <string.h>

#include "nd_internal.h"
#include "report.h"
#include "stage.h"

#define ND_TEXT_TASK   1024
#define ND_TEXT_GAP    ((uint64_t)4096)
#define ND_VERIFY_TASK 64 /* pairs per verify task */

void nd_texts_release(nd_texts *t) {
    free(t->need);
    free(t->id);
    free(t->off);
    free(t->ok);
    free(t->bytes);
    memset(t, 0, sizeof *t);
}

nd_status nd_texts_get(const nd_texts *t, const nd_report *r, nd_reader *rd, uint32_t p,
                       const uint8_t **out) {
    if (t->need && t->need[p] != UINT32_MAX) {
        uint32_t i = t->need[p];
        if (!t->ok[i]) return ND_ERR_CHANGED;
        *out = t->bytes + t->off[i];
        return ND_OK;
    }
    return nd_report_fetch(r, rd, p, 0, out);
}

typedef struct verify_work {
    nd_exec *x;
    const nd_verify_in *in;
    nd_verify_out *out;
} verify_work;

static nd_status texts_task(void *ctx, size_t t, unsigned worker) {
    verify_work *v = ctx;
    const nd_report *r = v->in->r;
    nd_texts *tx = v->out->texts;
    nd_reader *rd = &v->x->wk[worker].rd;
    size_t i0 = t * ND_TEXT_TASK, i1 = ND_MIN(i0 + ND_TEXT_TASK, tx->n), last = i0;
    for (size_t i = i0; i < i1; i++) {
        uint32_t p = tx->id[i];
        const uint8_t *text = NULL;
        if (last <= i) { /* a new window: to the last close neighbour */
            uint64_t start = r->pt.off[p];
            for (last = i; last + 1 < i1; last++) {
                uint32_t q = tx->id[last], n = tx->id[last + 1];
                if (r->pt.doc[n] != r->pt.doc[p] ||
                    r->pt.off[n] > r->pt.off[q] + r->pt.len[q] + ND_TEXT_GAP ||
                    r->pt.off[n] + r->pt.len[n] - start > ND_SKETCH_AHEAD)
                    break;
            }
            last++;
        }
        uint32_t q = tx->id[last - 1];
        uint64_t ahead = r->pt.off[q] + r->pt.len[q] - (r->pt.off[p] + r->pt.len[p]);
        nd_status st = nd_report_fetch(r, rd, p, (size_t)ahead, &text);
        tx->ok[i] = st == ND_OK;
        if (st == ND_ERR_CHANGED) continue;
        ND_TRY(st);
        if (r->pt.len[p]) memcpy(tx->bytes + tx->off[i], text, r->pt.len[p]);
    }
    return ND_OK;
}

/* Reads the texts of the paragraphs in candidate pairs, when they fit. */
static nd_status texts_read(verify_work *v) {
    const nd_report *r = v->in->r;
    const nd_pairs *pairs = v->in->pairs;
    nd_texts *tx = v->out->texts;
    size_t np = r->pt.n, m = 0;
    uint64_t total = 0;
    if (pairs->n == 0) return ND_OK;
    if (!(tx->need = nd_mallocn(np, sizeof *tx->need))) return ND_ERR_NOMEM;
    memset(tx->need, 0xff, np * sizeof *tx->need);
    for (size_t i = 0; i < pairs->n; i++) {
        tx->need[pairs->v[i] >> 32] = 0;
        tx->need[(uint32_t)pairs->v[i]] = 0;
    }
    for (size_t p = 0; p < np; p++) {
        if (tx->need[p] == UINT32_MAX) continue;
        m++;
        total += r->pt.len[p];
    }
    if (total > v->in->limit / 4) { /* too large to keep: read when needed */
        free(tx->need);
        tx->need = NULL;
        return ND_OK;
    }
    tx->id = nd_mallocn(m, sizeof *tx->id);
    tx->off = nd_mallocn(m + 1, sizeof *tx->off);
    tx->ok = nd_calloc(m, 1);
    tx->bytes = nd_mallocn(total ? total : 1, 1);
    if (!tx->id || !tx->off || !tx->ok || !tx->bytes) return ND_ERR_NOMEM;
    total = 0;
    for (size_t p = 0, i = 0; p < np; p++) {
        if (tx->need[p] == UINT32_MAX) continue;
        tx->need[p] = (uint32_t)i;
        tx->id[i] = (uint32_t)p;
        tx->off[i++] = total;
        total += r->pt.len[p];
    }
    tx->off[m] = total;
    tx->n = m;
    return nd_exec_run(v->x, (m + ND_TEXT_TASK - 1) / ND_TEXT_TASK, texts_task, v);
}

static nd_status verify_task(void *ctx, size_t t, unsigned worker) {
    verify_work *v = ctx;
    const nd_report *r = v->in->r;
    const nd_pairs *pairs = v->in->pairs;
    const nd_texts *tx = v->out->texts;
    double *jac = v->out->jac;
    unsigned char *pass = v->out->pass;
    nd_worker *k = &v->x->wk[worker];
    size_t i0 = t * ND_VERIFY_TASK, i1 = ND_MIN(i0 + ND_VERIFY_TASK, pairs->n);
    uint32_t cur = UINT32_MAX;
    uint64_t *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0;
    int a_ok = 0;
    for (size_t i = i0; i < i1; i++) {
        uint32_t a = (uint32_t)(pairs->v[i] >> 32), b = (uint32_t)pairs->v[i];
        const uint8_t *text = NULL;
        nd_status st;
        jac[i] = 0;
        pass[i] = 0;
        if (a != cur) { /* a paragraph that no longer reads back is not verified */
            cur = a;
            st = nd_texts_get(tx, r, &k->rd, a, &text);
            a_ok = st == ND_OK;
            if (st == ND_ERR_CHANGED) continue;
            ND_TRY(st);
            ND_TRY(nd_shingler_set(&k->sa, text, r->pt.len[a], &sa, &na));
        }
        if (!a_ok) continue;
        st = nd_texts_get(tx, r, &k->rb, b, &text);
        if (st == ND_ERR_CHANGED) continue;
        ND_TRY(st);
        ND_TRY(nd_shingler_set(&k->sb, text, r->pt.len[b], &sb, &nb));
        jac[i] = nd_hashset_jaccard(sa, na, sb, nb);
        pass[i] = jac[i] >= r->opt.threshold;
    }
    nd_exec_done(v->x, worker, i1 - i0);
    return ND_OK;
}

nd_status nd_stage_verify(nd_exec *x, const nd_verify_in *in, nd_verify_out *out) {
    verify_work v = {x, in, out};
    size_t n = in->pairs->n;
    ND_TRY(texts_read(&v));
    nd_exec_begin(x, ND_STAGE_VERIFY, n);
    if (!(out->pass = nd_calloc(n ? n : 1, 1))) return ND_ERR_NOMEM;
    if (!(out->jac = nd_mallocn(n ? n : 1, sizeof *out->jac))) return ND_ERR_NOMEM;
    ND_TRY(nd_exec_run(x, (n + ND_VERIFY_TASK - 1) / ND_VERIFY_TASK, verify_task, &v));
    uint64_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (!out->pass[i]) continue;
        nd_uf_union(out->uf, (uint32_t)(in->pairs->v[i] >> 32), (uint32_t)in->pairs->v[i]);
        ok++;
    }
    out->verified = ok;
    return ND_OK;
}
