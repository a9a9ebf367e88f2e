/*
 * stage.c - the execution context the stages share (stage.h).
 */
#include "stage.h"

#include <limits.h>
#include <string.h>

#include "nd_internal.h"

static void exec_report(nd_exec *x) {
    if (!x->progress) return;
    nd_progress p = {.stage = x->stage,
                     .done = atomic_load_explicit(&x->done, memory_order_relaxed),
                     .total = x->total,
                     .input_bytes = x->input_bytes};
    x->progress(x->progress_user, &p);
}

void nd_exec_begin(nd_exec *x, nd_stage st, uint64_t total) {
    x->stage = st;
    atomic_store(&x->done, 0);
    x->total = total;
    exec_report(x);
}

void nd_exec_done(nd_exec *x, unsigned worker, uint64_t units) {
    atomic_fetch_add_explicit(&x->done, units, memory_order_relaxed);
    if (worker == 0) exec_report(x);
}

nd_status nd_exec_check(const nd_exec *x) {
    return x->cancel && atomic_load(x->cancel) ? ND_ERR_CANCELLED : ND_OK;
}

nd_status nd_exec_run(nd_exec *x, size_t ntasks, nd_task_fn fn, void *ctx) {
    return nd_pool_run(x->pool, ntasks, fn, ctx, x->cancel);
}

nd_status nd_worker_entries(nd_worker *k, size_t n) {
    if (n <= k->ecap) return ND_OK;
    size_t cap = k->ecap;
    ND_TRY(ND_GROW(k->e, cap, n));
    cap = k->ecap;
    ND_TRY(ND_GROW(k->etmp, cap, n));
    k->ecap = cap;
    return ND_OK;
}

void nd_split_keys_release(nd_range_sketch **rsk, uint32_t ***bk_store, unsigned *nbk_store) {
    if (*bk_store)
        for (unsigned i = 0; i < *nbk_store; i++) free((*bk_store)[i]);
    free(*bk_store);
    free(*rsk);
    *bk_store = NULL;
    *nbk_store = 0;
    *rsk = NULL;
}

void nd_split_out_release(nd_split_out *o) {
    if (!o) return;
    nd_paratab *pt = o->pt;
    free(o->phash);
    free(o->doc_ncut);
    free(o->doc_cutline);
    free(o->doc_split);
    free(o->chars);
    free(o->state);
    free(o->ekey);
    nd_split_keys_release(&o->rsk, &o->bk_store, &o->nbk_store);
    free(o->range_base);
    memset(o, 0, sizeof *o);
    o->pt = pt;
}

void nd_fingerprint_in_init(nd_fingerprint_in *fi, nd_doctab *docs, const nd_options *o,
                            const char *tmpdir, uint64_t memory_limit) {
    int query_only = 0;
    for (size_t d = 0; d < docs->n && !query_only; d++) query_only = docs->docs[d].query;
    *fi = (nd_fingerprint_in){.docs = docs,
                              .query_only = query_only,
                              .keep_bytes = memory_limit / 4,
                              .fp_bytes = memory_limit / 4,
                              .tmpdir = tmpdir,
                              .norm_flags = o->norm_flags,
                              .min_passage = o->min_passage,
                              .common_docs = o->common_docs ? o->common_docs : UINT_MAX};
}

void nd_align_in_init(nd_align_in *ai, const nd_fingerprint_in *fi, const nd_options *o,
                      const nd_fingerprint_out *fo) {
    *ai = (nd_align_in){.docs = fi->docs,
                        .tmpdir = fi->tmpdir,
                        .norm_flags = fi->norm_flags,
                        .min_passage = fi->min_passage,
                        .max_gap = o->max_gap,
                        .threshold = o->threshold,
                        .seeds = fo->seeds,
                        .nseeds = fo->nseeds,
                        .texts = fo->texts};
}
