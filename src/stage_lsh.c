/*
 * stage_lsh.c - stage 4: candidate pairs from the band keys (stage.h).
 *
 * In: the paragraphs' states (only ND_PARA_REP rows take part) and their
 * band keys, from one of three places: the ranges the fused split staged
 * (each band-major), one band-major batch of all rows, or runs spilled to
 * the temporary file, one per batch and band, each sorted.  Out: the
 * candidate pairs, ascending and distinct (a < b), and the errno of a
 * failed read of the spill.
 *
 * Threads: tasks = bands; each worker sorts its bands' entries in its own
 * buffers (lsh.c: singletons dropped first, grouped by the key's top bits
 * past two million rows) and collects pairs in its own array, deduplicated
 * whenever it grows by ND_PAIRS_COMPACT; the arrays are then sorted (tasks
 * = workers) and merged into one sorted, distinct array, so neither the
 * order of bands nor the thread count changes the result.  A spilled band
 * is k-way merged from its runs (spill.c), giving exactly the entries, in
 * exactly the order, of the in-memory sort.
 */
#include <errno.h>
#include <string.h>

#include "nd_internal.h"
#include "spill.h"
#include "stage.h"

/* Pairs of a worker are deduplicated whenever they pass this many, which
 * bounds them by the distinct candidates plus one band's worth. */
#define ND_PAIRS_COMPACT (UINT64_C(1) << 20)

static nd_status pairs_compact(nd_worker *k, size_t *mark) {
    if (k->pairs.n - *mark < ND_PAIRS_COMPACT) return ND_OK;
    ND_TRY(nd_pairs_finish(&k->pairs));
    *mark = k->pairs.n;
    return ND_OK;
}

typedef struct lsh_work {
    nd_exec *x;
    const nd_lsh_in *in;
    nd_lsh_out *out;
    atomic_int io_errno; /* errno of a failed read of the spill (first wins) */
} lsh_work;

static nd_status lsh_task_memory(const nd_lsh_in *in, unsigned j, nd_worker *k) {
    const uint32_t *keys = k->band;
    if (in->rsk) { /* band j gathered from the ranges' staged keys */
        for (size_t t = 0; t < in->nranges; t++) {
            const nd_range_sketch *s = &in->rsk[t];
            if (s->n)
                memcpy(k->band + in->range_base[t], s->bk + (size_t)j * s->n,
                       s->n * sizeof *k->band);
        }
    } else {
        keys = in->bkeys + (size_t)j * in->batch_rows;
    }
    /* only the representatives whose key may repeat: see lsh.h */
    size_t m = nd_lsh_band_sorted(keys, in->state, ND_PARA_REP, in->n, k->e, k->etmp, k->ecap);
    return nd_lsh_band_pairs(k->e, m, &k->pairs);
}

static nd_status lsh_task_spilled(lsh_work *lw, unsigned j, nd_worker *k) {
    const nd_lsh_in *in = lw->in;
    nd_status st = ND_OK;
    nd_run *runs = NULL;
    nd_merge mg;
    memset(&mg, 0, sizeof mg);
    if (!(runs = nd_mallocn(in->nbatches ? in->nbatches : 1, sizeof *runs))) return ND_ERR_NOMEM;
    for (size_t b = 0; b < in->nbatches; b++) runs[b] = in->runs[b * in->bands + j];
    ND_CHECK(nd_merge_init(&mg, in->spill, runs, in->nbatches, in->merge_buf));
    size_t m = 0;
    for (;;) {
        uint64_t v = 0;
        int more = 0;
        ND_CHECK(nd_merge_next(&mg, &v, &more));
        if (more && in->state && in->state[(uint32_t)v] != ND_PARA_REP) continue;
        if (m > 0 && (!more || (v >> 32) != (k->e[0] >> 32))) { /* a bucket ends */
            if (m > 1) ND_CHECK(nd_lsh_bucket_pairs(k->e, m, &k->pairs));
            m = 0;
        }
        if (!more) break;
        if (m == k->ecap) {
            size_t cap = k->ecap;
            ND_CHECK(ND_GROW(k->e, cap, m + 1));
            k->ecap = cap;
        }
        k->e[m++] = v;
    }
out:
    if (st == ND_ERR_IO) { /* the first failed read's errno, for the driver */
        int none = 0;
        atomic_compare_exchange_strong(&lw->io_errno, &none, errno ? errno : EIO);
    }
    nd_merge_release(&mg);
    free(runs);
    return st;
}

static nd_status lsh_task(void *ctx, size_t t, unsigned worker) {
    lsh_work *v = ctx;
    nd_worker *k = &v->x->wk[worker];
    size_t mark = 0;
    if (v->in->spill)
        ND_TRY(lsh_task_spilled(v, (unsigned)t, k));
    else
        ND_TRY(lsh_task_memory(v->in, (unsigned)t, k));
    ND_TRY(pairs_compact(k, &mark));
    nd_exec_done(v->x, worker, 1);
    return ND_OK;
}

/* Sorts and deduplicates worker t's pairs (any worker may run it). */
static nd_status lsh_finish_task(void *ctx, size_t t, unsigned worker) {
    nd_exec *x = ctx;
    ND_UNUSED(worker);
    return nd_pairs_finish(&x->wk[t].pairs);
}

/* Merges the ascending, distinct a[0..na) and b[0..nb) into out, ascending
 * and distinct; returns its length. */
static size_t merge_distinct(const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                             uint64_t *out) {
    size_t i = 0, j = 0, n = 0;
    while (i < na && j < nb) {
        uint64_t x = a[i], y = b[j];
        out[n++] = x < y ? x : y;
        i += x <= y;
        j += y <= x;
    }
    while (i < na) out[n++] = a[i++];
    while (j < nb) out[n++] = b[j++];
    return n;
}

/* The candidate pairs: the union of the workers' pairs, each sorted and
 * deduplicated in parallel (lsh_finish_task), then merged two runs at a time
 * in log2(threads) rounds - the sorted, distinct array a sort of their
 * concatenation would give, with the sorting off the serial path. */
static nd_status lsh_merge(nd_exec *x, nd_pairs *out) {
    nd_status st = ND_OK;
    unsigned k = x->threads;
    size_t total = 0;
    uint64_t *a = NULL, *b = NULL;
    size_t *run = nd_mallocn((size_t)k + 1, sizeof *run);
    if (!run) return ND_ERR_NOMEM;
    ND_CHECK(nd_exec_run(x, k, lsh_finish_task, x));
    for (unsigned t = 0; t < k; t++) total += x->wk[t].pairs.n;
    a = nd_mallocn(total ? total : 1, sizeof *a);
    b = nd_mallocn(total ? total : 1, sizeof *b);
    if (!a || !b) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    run[0] = 0;
    for (unsigned t = 0; t < k; t++) {
        nd_pairs *p = &x->wk[t].pairs;
        if (p->n) memcpy(a + run[t], p->v, p->n * sizeof *p->v);
        run[t + 1] = run[t] + p->n;
        nd_pairs_release(p);
    }
    for (size_t nr = k; nr > 1; nr = (nr + 1) / 2) {
        size_t n = 0;
        for (size_t i = 0; i < nr; i += 2) {
            size_t s0 = run[i], s1 = run[ND_MIN(i + 1, nr)], s2 = run[ND_MIN(i + 2, nr)];
            run[i / 2] = n;
            n += merge_distinct(a + s0, s1 - s0, a + s1, s2 - s1, b + n);
        }
        run[(nr + 1) / 2] = n;
        uint64_t *t = a;
        a = b;
        b = t;
    }
    nd_pairs_release(out);
    out->v = a;
    out->n = run[1];
    out->cap = total ? total : 1;
    a = NULL;
out:
    free(run);
    free(a);
    free(b);
    return st;
}

nd_status nd_stage_lsh(nd_exec *x, const nd_lsh_in *in, nd_lsh_out *out) {
    lsh_work v = {.x = x, .in = in, .out = out};
    atomic_init(&v.io_errno, 0);
    out->io_errno = 0;
    nd_exec_begin(x, ND_STAGE_LSH, in->bands);
    if (in->ncl >= 2) {
        if (!in->spill)
            for (unsigned t = 0; t < x->threads; t++) {
                ND_TRY(nd_worker_entries(&x->wk[t], in->ncl + 1 + ND_LSH_SORTED_EXTRA));
                if (in->rsk) ND_TRY(ND_GROW(x->wk[t].band, x->wk[t].band_cap, in->n));
            }
        nd_status st = nd_exec_run(x, in->bands, lsh_task, &v);
        if (st == ND_ERR_IO) out->io_errno = atomic_load(&v.io_errno);
        ND_TRY(st);
    }
    /* the entry buffers are not needed any more */
    for (unsigned t = 0; t < x->threads; t++) {
        nd_worker *k = &x->wk[t];
        free(k->e);
        free(k->etmp);
        k->e = k->etmp = NULL;
        k->ecap = 0;
        free(k->band);
        k->band = NULL;
        k->band_cap = 0;
    }
    return lsh_merge(x, out->pairs);
}
