/*
 * scan.c - the scanner: gathers documents and runs the pipeline.
 *
 * Stages, each with plain-data input and output (so that they can be cut
 * into chunks for threads, spilled to disk, or sharded across ranks):
 *
 *   1. split      documents            -> paragraph table (doc, off, len, line)
 *   2. sketch     paragraph table      -> chars per paragraph; for paragraphs
 *                                         with >= min_chars characters: an
 *                                         exact key (XXH3-128 of the token
 *                                         values) and b band keys
 *   3. exact      exact keys           -> groups of identical paragraphs,
 *                                         joined in the union-find; only the
 *                                         first of each group goes on
 *   4. lsh        band keys            -> candidate pairs, sorted, distinct
 *   5. verify     candidate pairs      -> pairs with exact Jaccard >= t,
 *                                         joined in the union-find (shingle
 *                                         sets are recomputed from the text,
 *                                         never stored for the whole corpus)
 *   6. cluster    union-find           -> clusters: components of size >= 2,
 *                                         members ascending, representative =
 *                                         smallest id
 *   7. similarity clusters             -> exact Jaccard of each member to its
 *                                         representative
 *   8. report     all of the above     -> per-document shares, overlaps, totals
 *
 * Signatures exist only per paragraph, in a worker's scratch row: they are
 * reduced to band keys at once, which is all that later stages need.  Every
 * order is derived from paragraph ids, which are ordered by (document,
 * offset), and documents are in input order, so the report is a pure
 * function of the input and the options - not of the thread count, nor of
 * the memory limit.
 *
 * Threads (pool.c).  Stages 1, 2, 4, 5 and 7 are "parallel for" loops whose
 * tasks write into preallocated, disjoint slices; what is sequential is cheap
 * and runs in task order afterwards:
 *   split    tasks = ranges of whole documents (about 16 per thread, balanced
 *            by bytes); each fills its own paragraph table, and the tables are
 *            concatenated in range order, so paragraph ids are the same as a
 *            sequential split.  (One huge document is one task; splitting is
 *            ~5% of a scan, and the stages after it are split by paragraph.)
 *   sketch   tasks = 512 consecutive paragraphs; each worker has its own
 *            normaliser, shingle buffer and signature row and writes the
 *            paragraph's chars, exact key and band keys at the paragraph's own
 *            row; a sequential pass then numbers the clusterable paragraphs
 *            and compacts the rows in place (a row only moves down).
 *   lsh      tasks = bands; each worker sorts its bands' entries in its own
 *            buffers and collects pairs in its own array; the arrays are
 *            concatenated and radix-sorted, so the order of bands does not
 *            matter.
 *   verify   tasks = 64 consecutive candidate pairs; each writes one flag
 *            per pair; the unions are then done in pair order (the
 *            union-find's root is the smallest id anyway, so the components
 *            do not depend on the order).  Sets are rebuilt from the text
 *            (the current `a` is kept); a per-worker LRU memo of the last 8
 *            `b` sets was tried and gave nothing (100 MB and 1 GB).
 *   cluster  similarities: tasks = 64 clusters, each writing its members'
 *            similarity.
 * tests/test_threads.c checks that reports are byte-identical for 1, 2 and
 * 3 threads, and the CLI test compares --threads 1 and 2.
 *
 * Band keys are stored band-major (all rows of band 0, then band 1, ...):
 * an LSH task reads its band as one contiguous array.  Row-major, every
 * band's pass strided over all the keys (72 bytes apart), which was cheap
 * while they fitted in the cache (100 MB corpus: 0.11 s) and not after
 * (1 GB: 1.6 s, 14x for 10x the input).
 *
 * Memory (nd_options.memory_limit, default a quarter of physical RAM).  What
 * grows with the corpus is, per paragraph: the paragraph table and report
 * arrays (48 bytes), the exact key (16), the ids and the union-find (12),
 * and the band keys, b 32-bit keys (72 bytes for b = 18), plus during LSH a
 * sort buffer of 16 bytes per paragraph per thread.  The band keys and the
 * LSH buffers are what the limit bounds: when they would exceed it, the
 * paragraphs are sketched in batches whose keys fit, each batch's keys are
 * sorted per band and appended to a temporary file as runs, and the LSH stage
 * k-way merges each band's runs (spill.c) - giving exactly the entries, in
 * exactly the order, of the in-memory sort, hence the same report
 * (tests/test_spill.c).  Measured peak RSS without spilling: see
 * bench/README.md (about 190 bytes per paragraph with 2 threads).
 *
 * Cancellation and progress.  nd_scanner_cancel() sets a lock-free atomic
 * flag that the pool polls before every task and the scan checks between
 * stages; the run then frees everything and returns ND_ERR_CANCELLED.  The
 * temporary file is unlinked when created, so there is nothing to remove.
 * The progress callback is only ever called on the caller's thread (worker
 * 0 of the pool), after its own tasks, from counters the workers update.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "cluster.h"
#include "input.h"
#include "lsh.h"
#include "nd_internal.h"
#include "pool.h"
#include "report.h"
#include "sketch.h"
#include "spill.h"
#include "split.h"

struct nd_scanner {
    nd_options opt;
    nd_doctab docs;
    nd_input_cfg in;
    int ran;
    char *tmpdir;
    nd_progress_fn progress;
    void *progress_user;
    atomic_int cancel;
    double read_seconds; /* time spent in add_path / add_buffer */
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

nd_status nd_scanner_new(const nd_options *opt, nd_scanner **out) {
    nd_scanner *sc;
    if (!out) return ND_ERR_INVALID;
    if (!(sc = nd_calloc(1, sizeof *sc))) return ND_ERR_NOMEM;
    if (opt)
        sc->opt = *opt;
    else
        nd_options_default(&sc->opt);
    nd_status st = nd_options_check(&sc->opt, NULL, 0);
    if (st != ND_OK) {
        free(sc);
        return st;
    }
    sc->in.max_file_size = sc->opt.max_file_size;
    sc->in.threads = nd_pool_resolve_threads(sc->opt.threads);
    atomic_init(&sc->cancel, 0);
    *out = sc;
    return ND_OK;
}

void nd_scanner_free(nd_scanner *sc) {
    if (!sc) return;
    nd_doctab_release(&sc->docs);
    free(sc->tmpdir);
    free(sc);
}

void nd_scanner_set_diag(nd_scanner *sc, nd_diag_fn fn, void *user) {
    if (!sc) return;
    sc->in.diag = fn;
    sc->in.user = user;
}

nd_status nd_scanner_set_tmpdir(nd_scanner *sc, const char *dir) {
    if (!sc) return ND_ERR_INVALID;
    char *copy = NULL;
    if (dir && !(copy = nd_strdup(dir))) return ND_ERR_NOMEM;
    free(sc->tmpdir);
    sc->tmpdir = copy;
    return ND_OK;
}

void nd_scanner_set_progress(nd_scanner *sc, nd_progress_fn fn, void *user) {
    if (!sc) return;
    sc->progress = fn;
    sc->progress_user = user;
}

void nd_scanner_cancel(nd_scanner *sc) {
    if (sc) atomic_store_explicit(&sc->cancel, 1, memory_order_relaxed);
}

nd_status nd_scanner_add_path(nd_scanner *sc, const char *path) {
    if (!sc || !path) return ND_ERR_INVALID;
    if (sc->ran) return ND_ERR_STATE;
    double t0 = now_seconds();
    nd_status st = nd_input_add_path(&sc->docs, &sc->in, path);
    sc->read_seconds += now_seconds() - t0;
    return st;
}

nd_status nd_scanner_add_buffer(nd_scanner *sc, const char *name, const void *data,
                                size_t len) {
    if (!sc) return ND_ERR_INVALID;
    if (sc->ran) return ND_ERR_STATE;
    double t0 = now_seconds();
    nd_status st = nd_input_add_buffer(&sc->docs, name, data, len);
    sc->read_seconds += now_seconds() - t0;
    return st;
}

size_t nd_scanner_skipped(const nd_scanner *sc) { return sc ? sc->in.skipped : 0; }

nd_status nd_report_timings(const nd_report *r, nd_timings *out) {
    if (!r || !out) return ND_ERR_INVALID;
    *out = r->timings;
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* The run                                                                   */
/* ------------------------------------------------------------------------ */

/* Private state of one worker thread. */
typedef struct scan_worker {
    nd_shingler sa, sb;
    uint32_t *sig;
    uint64_t *e, *etmp; /* LSH entries and sort scratch */
    size_t ecap;
    nd_pairs pairs;
} scan_worker;

#define ND_SKETCH_TASK 512 /* paragraphs per sketch task */
#define ND_VERIFY_TASK 64  /* pairs per verify task */
#define ND_SIM_TASK 64     /* clusters per similarity task */
#define ND_MIN_BATCH 64    /* fewest paragraphs per spilled batch */

/* Working arrays of one run.  "idx" numbers the clusterable paragraphs
 * (>= min_chars characters) in paragraph order; pid is the paragraph id. */
typedef struct scan_work {
    nd_report *r;
    nd_scanner *sc;
    nd_pool *pool;
    unsigned threads;
    scan_worker *wk;
    unsigned bands, rows;
    nd_minhash mh;
    /* split */
    size_t nranges;
    size_t *range_start; /* nranges + 1 document indices */
    nd_paratab *range_pt;
    size_t *doc_ncut;
    uint32_t *doc_cutline;
    /* sketch */
    size_t ncl;            /* clusterable paragraphs */
    uint32_t *pid;         /* idx -> paragraph id */
    uint32_t *idx_of;      /* paragraph id -> idx, or UINT32_MAX */
    XXH128_hash_t *ekey;   /* paragraph id, then (compacted) idx -> exact key */
    uint32_t *bkeys;       /* bands x rows band keys (band-major: band j of
                              row r at j * batch_rows + r) */
    unsigned char *ok;     /* per row of the batch: clusterable */
    size_t batch0, batch1; /* paragraphs of the current batch */
    size_t batch_rows;     /* rows of bkeys */
    int spilling;
    nd_spill spill;
    nd_run *runs;          /* nbatches x bands */
    size_t nbatches, runs_cap;
    size_t merge_buf;      /* values per run buffer in a merge */
    /* later stages */
    unsigned char *is_rep; /* idx -> first of its exact group */
    nd_uf uf;              /* over paragraph ids */
    nd_pairs pairs;
    unsigned char *pass;   /* per candidate pair: verified */
    /* progress */
    nd_stage stage;
    atomic_uint_fast64_t done;
    uint64_t total;
    uint64_t input_bytes;
} scan_work;

static void report_progress(scan_work *w) {
    if (!w->sc->progress) return;
    nd_progress p = {.stage = w->stage,
                     .done = atomic_load_explicit(&w->done, memory_order_relaxed),
                     .total = w->total,
                     .input_bytes = w->input_bytes};
    w->sc->progress(w->sc->progress_user, &p);
}

static void stage_begin(scan_work *w, nd_stage st, uint64_t total) {
    w->stage = st;
    atomic_store(&w->done, 0);
    w->total = total;
    report_progress(w);
}

/* Counts work done by a task; worker 0 (the caller's thread) reports. */
static void task_done(scan_work *w, unsigned worker, uint64_t units) {
    atomic_fetch_add_explicit(&w->done, units, memory_order_relaxed);
    if (worker == 0) report_progress(w);
}

static nd_status check_cancel(scan_work *w) {
    return atomic_load(&w->sc->cancel) ? ND_ERR_CANCELLED : ND_OK;
}

static void work_release(scan_work *w) {
    if (w->wk) {
        for (unsigned t = 0; t < w->threads; t++) {
            scan_worker *k = &w->wk[t];
            nd_shingler_release(&k->sa);
            nd_shingler_release(&k->sb);
            free(k->sig);
            free(k->e);
            free(k->etmp);
            nd_pairs_release(&k->pairs);
        }
        free(w->wk);
    }
    nd_pool_free(w->pool);
    nd_minhash_release(&w->mh);
    if (w->range_pt)
        for (size_t i = 0; i < w->nranges; i++) nd_paratab_release(&w->range_pt[i]);
    free(w->range_pt);
    free(w->range_start);
    free(w->doc_ncut);
    free(w->doc_cutline);
    free(w->pid);
    free(w->idx_of);
    free(w->ekey);
    free(w->bkeys);
    free(w->ok);
    free(w->runs);
    nd_spill_close(&w->spill);
    free(w->is_rep);
    nd_uf_release(&w->uf);
    nd_pairs_release(&w->pairs);
    free(w->pass);
}

static const uint8_t *para_text(const nd_report *r, size_t p) {
    const nd_doc *d = &r->docs.docs[r->pt.doc[p]];
    return d->data + r->pt.off[p];
}

/* --- 1. split ------------------------------------------------------------ */

static nd_status split_task(void *ctx, size_t t, unsigned worker) {
    scan_work *w = ctx;
    nd_report *r = w->r;
    nd_paratab *pt = &w->range_pt[t];
    uint64_t bytes = 0;
    pt->max_len = r->opt.max_paragraph_bytes;
    for (size_t d = w->range_start[t]; d < w->range_start[t + 1]; d++) {
        nd_doc *doc = &r->docs.docs[d];
        nd_split_mode used = ND_SPLIT_LINE;
        ND_TRY(nd_split_document(pt, (uint32_t)d, doc->data, doc->size, r->opt.split,
                                 &used));
        doc->split = (unsigned char)used;
        w->doc_ncut[d] = pt->ncut;
        w->doc_cutline[d] = pt->cut_line;
        bytes += doc->size;
    }
    task_done(w, worker, bytes);
    return ND_OK;
}

/* Splits every document; a document with paragraphs cut at
 * max_paragraph_bytes gets one notice (status ND_OK) through the diag, in
 * document order, on the caller's thread. */
static nd_status stage_split(scan_work *w) {
    nd_report *r = w->r;
    size_t nd = r->docs.n;
    uint64_t target = w->input_bytes / ((uint64_t)w->threads * 16) + 1;
    if (target < (UINT64_C(1) << 20)) target = UINT64_C(1) << 20;
    w->range_start = nd_mallocn(nd + 1, sizeof *w->range_start);
    w->doc_ncut = nd_calloc(nd ? nd : 1, sizeof *w->doc_ncut);
    w->doc_cutline = nd_calloc(nd ? nd : 1, sizeof *w->doc_cutline);
    if (!w->range_start || !w->doc_ncut || !w->doc_cutline) return ND_ERR_NOMEM;
    size_t nr = 0;
    uint64_t acc = 0;
    w->range_start[0] = 0;
    for (size_t d = 0; d < nd; d++) {
        acc += r->docs.docs[d].size;
        if (acc >= target || d + 1 == nd) {
            w->range_start[++nr] = d + 1;
            acc = 0;
        }
    }
    w->nranges = nr;
    if (!(w->range_pt = nd_calloc(nr ? nr : 1, sizeof *w->range_pt))) return ND_ERR_NOMEM;
    stage_begin(w, ND_STAGE_SPLIT, w->input_bytes);
    ND_TRY(nd_pool_run(w->pool, nr, split_task, w, &w->sc->cancel));

    size_t n = 0;
    for (size_t i = 0; i < nr; i++) n += w->range_pt[i].n;
    if (n >= UINT32_MAX) return ND_ERR_INVALID;
    nd_paratab *pt = &r->pt;
    size_t n1 = n ? n : 1;
    pt->doc = nd_mallocn(n1, sizeof *pt->doc);
    pt->off = nd_mallocn(n1, sizeof *pt->off);
    pt->len = nd_mallocn(n1, sizeof *pt->len);
    pt->line = nd_mallocn(n1, sizeof *pt->line);
    if (!pt->doc || !pt->off || !pt->len || !pt->line) return ND_ERR_NOMEM;
    pt->cap = n1;
    pt->max_len = r->opt.max_paragraph_bytes;
    for (size_t i = 0; i < nr; i++) {
        nd_paratab *s = &w->range_pt[i];
        if (s->n == 0) { /* s->doc etc. may be NULL: no memcpy from NULL */
            nd_paratab_release(s);
            continue;
        }
        memcpy(pt->doc + pt->n, s->doc, s->n * sizeof *pt->doc);
        memcpy(pt->off + pt->n, s->off, s->n * sizeof *pt->off);
        memcpy(pt->len + pt->n, s->len, s->n * sizeof *pt->len);
        memcpy(pt->line + pt->n, s->line, s->n * sizeof *pt->line);
        pt->n += s->n;
        nd_paratab_release(s);
    }
    const nd_input_cfg *in = &w->sc->in;
    for (size_t d = 0; d < nd && in->diag; d++) {
        if (!w->doc_ncut[d]) continue;
        char detail[160];
        snprintf(detail, sizeof detail,
                 "%zu paragraph%s longer than %u bytes (--max-paragraph-bytes) "
                 "cut into pieces, the first at line %u",
                 w->doc_ncut[d], w->doc_ncut[d] == 1 ? "" : "s",
                 (unsigned)r->opt.max_paragraph_bytes, (unsigned)w->doc_cutline[d]);
        nd_diag dg = {.path = r->docs.docs[d].path, .status = ND_OK, .detail = detail};
        in->diag(in->user, &dg);
    }
    return ND_OK;
}

/* --- 2. sketch ----------------------------------------------------------- */

static nd_status sketch_task(void *ctx, size_t t, unsigned worker) {
    scan_work *w = ctx;
    nd_report *r = w->r;
    scan_worker *k = &w->wk[worker];
    size_t p0 = w->batch0 + t * ND_SKETCH_TASK;
    size_t p1 = ND_MIN(p0 + ND_SKETCH_TASK, w->batch1);
    uint64_t bytes = 0;
    for (size_t p = p0; p < p1; p++) {
        uint64_t *h = NULL;
        const uint64_t *tok = NULL;
        size_t nh = 0, nc = 0, nt = 0, row = p - w->batch0;
        bytes += r->pt.len[p];
        ND_TRY(nd_shingler_run(&k->sa, para_text(r, p), r->pt.len[p], &h, &nh, &nc, &tok,
                               &nt));
        r->chars[p] = nc > UINT32_MAX ? UINT32_MAX : (uint32_t)nc;
        w->ok[row] = 0;
        if (nc < r->opt.min_chars || nh == 0) continue;
        w->ok[row] = 1;
        w->ekey[p] = XXH3_128bits_withSeed(tok, nt * sizeof *tok, r->opt.seed);
        nd_minhash_reset(&w->mh, k->sig);
        nd_minhash_update(&w->mh, h, nh, k->sig);
        nd_minhash_finish(&w->mh, k->sig);
        uint32_t keys[1024]; /* bands <= num_perm <= 1024 */
        nd_lsh_band_keys(k->sig, w->bands, w->rows, keys);
        for (unsigned j = 0; j < w->bands; j++) w->bkeys[j * w->batch_rows + row] = keys[j];
    }
    task_done(w, worker, bytes);
    return ND_OK;
}

/* Worker buffers for n LSH entries. */
static nd_status worker_entries(scan_worker *k, size_t n) {
    if (n <= k->ecap) return ND_OK;
    size_t cap = k->ecap;
    ND_TRY(ND_GROW(k->e, cap, n));
    cap = k->ecap;
    ND_TRY(ND_GROW(k->etmp, cap, n));
    k->ecap = cap;
    return ND_OK;
}

/* Sorts the current batch's band keys per band and appends them as runs. */
static nd_status spill_batch(scan_work *w) {
    size_t rows = w->batch1 - w->batch0;
    scan_worker *k = &w->wk[0];
    ND_TRY(worker_entries(k, rows ? rows : 1));
    if (w->nbatches * w->bands + w->bands > w->runs_cap)
        ND_TRY(ND_GROW(w->runs, w->runs_cap, (w->nbatches + 1) * w->bands));
    for (unsigned j = 0; j < w->bands; j++) {
        size_t m = 0;
        for (size_t row = 0; row < rows; row++)
            if (w->ok[row])
                k->e[m++] = (uint64_t)w->bkeys[j * w->batch_rows + row] << 32 |
                            (uint32_t)(w->batch0 + row);
        nd_sort_hi32(k->e, k->etmp, m);
        nd_run *run = &w->runs[w->nbatches * w->bands + j];
        run->n = m;
        ND_TRY(nd_spill_append(&w->spill, k->e, m, &run->off));
    }
    w->nbatches++;
    return ND_OK;
}

static nd_status stage_sketch(scan_work *w) {
    nd_report *r = w->r;
    size_t np = r->pt.n;
    uint64_t para_bytes = 0;
    for (size_t p = 0; p < np; p++) para_bytes += r->pt.len[p];
    stage_begin(w, ND_STAGE_SKETCH, para_bytes);
    for (size_t b0 = 0; b0 < np || (b0 == 0 && np == 0); b0 += w->batch_rows) {
        if (np == 0) break;
        w->batch0 = b0;
        w->batch1 = ND_MIN(np, b0 + w->batch_rows);
        size_t ntasks = (w->batch1 - b0 + ND_SKETCH_TASK - 1) / ND_SKETCH_TASK;
        ND_TRY(nd_pool_run(w->pool, ntasks, sketch_task, w, &w->sc->cancel));
        /* number the clusterable paragraphs; rows and keys only move down */
        for (size_t p = b0; p < w->batch1; p++) {
            size_t row = p - b0;
            w->idx_of[p] = UINT32_MAX;
            if (!w->ok[row]) continue;
            size_t i = w->ncl++;
            w->pid[i] = (uint32_t)p;
            w->idx_of[p] = (uint32_t)i;
            w->ekey[i] = w->ekey[p];
            if (!w->spilling && i != row)
                for (unsigned j = 0; j < w->bands; j++)
                    w->bkeys[j * w->batch_rows + i] = w->bkeys[j * w->batch_rows + row];
        }
        if (w->spilling) ND_TRY(spill_batch(w));
    }
    return ND_OK;
}

/* --- 3. exact duplicates ------------------------------------------------- */

/* Groups identical paragraphs (equal 128-bit exact keys): joins each to the
 * first of its group and marks only that first one as representative. */
static nd_status stage_exact(scan_work *w) {
    nd_status st = ND_OK;
    size_t n = w->ncl;
    nd_key32 *kv = nd_mallocn(n ? n : 1, sizeof *kv);
    nd_key32 *tmp = nd_mallocn(n ? n : 1, sizeof *tmp);
    if (!kv || !tmp) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) kv[i] = (nd_key32){.key = w->ekey[i].low64, .val = (uint32_t)i};
    nd_sort_key32(kv, tmp, n);
    for (size_t i = 0; i < n; i++) w->is_rep[i] = 1;
    for (size_t s = 0; s < n;) {
        size_t e = s + 1;
        while (e < n && kv[e].key == kv[s].key) e++;
        /* within a run of equal low halves (ascending idx), join each member
         * to the first earlier one with the same high half */
        for (size_t k = s + 1; k < e; k++) {
            uint32_t ik = kv[k].val;
            for (size_t j = s; j < k; j++) {
                uint32_t ij = kv[j].val;
                if (w->is_rep[ij] && w->ekey[ij].high64 == w->ekey[ik].high64) {
                    w->is_rep[ik] = 0;
                    nd_uf_union(&w->uf, w->pid[ij], w->pid[ik]);
                    break;
                }
            }
        }
        s = e;
    }
out:
    free(kv);
    free(tmp);
    return st;
}

/* --- 4. LSH -------------------------------------------------------------- */

/* Pairs of a worker are deduplicated whenever they pass this many, which
 * bounds them by the distinct candidates plus one band's worth. */
#define ND_PAIRS_COMPACT (UINT64_C(1) << 20)

static nd_status pairs_compact(scan_worker *k, size_t *mark) {
    if (k->pairs.n - *mark < ND_PAIRS_COMPACT) return ND_OK;
    ND_TRY(nd_pairs_finish(&k->pairs));
    *mark = k->pairs.n;
    return ND_OK;
}

static nd_status lsh_task_memory(scan_work *w, unsigned j, scan_worker *k) {
    size_t m = 0;
    for (size_t i = 0; i < w->ncl; i++)
        if (w->is_rep[i]) k->e[m++] = (uint64_t)w->bkeys[j * w->batch_rows + i] << 32 | w->pid[i];
    nd_sort_hi32(k->e, k->etmp, m);
    return nd_lsh_band_pairs(k->e, m, &k->pairs);
}

static nd_status lsh_task_spilled(scan_work *w, unsigned j, scan_worker *k) {
    nd_status st = ND_OK;
    nd_run *runs = NULL;
    nd_merge mg;
    memset(&mg, 0, sizeof mg);
    if (!(runs = nd_mallocn(w->nbatches ? w->nbatches : 1, sizeof *runs))) return ND_ERR_NOMEM;
    for (size_t b = 0; b < w->nbatches; b++) runs[b] = w->runs[b * w->bands + j];
    ND_CHECK(nd_merge_init(&mg, &w->spill, runs, w->nbatches, w->merge_buf));
    size_t m = 0;
    for (;;) {
        uint64_t v = 0;
        int more = 0;
        ND_CHECK(nd_merge_next(&mg, &v, &more));
        if (more) {
            uint32_t idx = w->idx_of[(uint32_t)v];
            if (!w->is_rep[idx]) continue;
        }
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
    nd_merge_release(&mg);
    free(runs);
    return st;
}

static nd_status lsh_task(void *ctx, size_t t, unsigned worker) {
    scan_work *w = ctx;
    scan_worker *k = &w->wk[worker];
    size_t mark = 0;
    if (w->spilling)
        ND_TRY(lsh_task_spilled(w, (unsigned)t, k));
    else
        ND_TRY(lsh_task_memory(w, (unsigned)t, k));
    ND_TRY(pairs_compact(k, &mark));
    task_done(w, worker, 1);
    return ND_OK;
}

static nd_status stage_lsh(scan_work *w) {
    stage_begin(w, ND_STAGE_LSH, w->bands);
    if (w->ncl >= 2) {
        if (!w->spilling)
            for (unsigned t = 0; t < w->threads; t++)
                ND_TRY(worker_entries(&w->wk[t], w->ncl));
        ND_TRY(nd_pool_run(w->pool, w->bands, lsh_task, w, &w->sc->cancel));
    }
    /* the entry buffers are not needed any more */
    for (unsigned t = 0; t < w->threads; t++) {
        scan_worker *k = &w->wk[t];
        free(k->e);
        free(k->etmp);
        k->e = k->etmp = NULL;
        k->ecap = 0;
    }
    size_t n = 0;
    for (unsigned t = 0; t < w->threads; t++) n += w->wk[t].pairs.n;
    ND_TRY(ND_GROW(w->pairs.v, w->pairs.cap, n ? n : 1));
    for (unsigned t = 0; t < w->threads; t++) {
        nd_pairs *p = &w->wk[t].pairs;
        if (p->n) memcpy(w->pairs.v + w->pairs.n, p->v, p->n * sizeof *p->v);
        w->pairs.n += p->n;
        nd_pairs_release(p);
    }
    return nd_pairs_finish(&w->pairs);
}

/* --- 5. verify ----------------------------------------------------------- */

static nd_status verify_task(void *ctx, size_t t, unsigned worker) {
    scan_work *w = ctx;
    nd_report *r = w->r;
    scan_worker *k = &w->wk[worker];
    size_t i0 = t * ND_VERIFY_TASK, i1 = ND_MIN(i0 + ND_VERIFY_TASK, w->pairs.n);
    uint32_t cur = UINT32_MAX;
    uint64_t *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0;
    for (size_t i = i0; i < i1; i++) {
        uint32_t a = (uint32_t)(w->pairs.v[i] >> 32), b = (uint32_t)w->pairs.v[i];
        if (a != cur) {
            ND_TRY(nd_shingler_set(&k->sa, para_text(r, a), r->pt.len[a], &sa, &na));
            cur = a;
        }
        ND_TRY(nd_shingler_set(&k->sb, para_text(r, b), r->pt.len[b], &sb, &nb));
        w->pass[i] = nd_hashset_jaccard(sa, na, sb, nb) >= r->opt.threshold;
    }
    task_done(w, worker, i1 - i0);
    return ND_OK;
}

static nd_status stage_verify(scan_work *w, uint64_t *verified) {
    size_t n = w->pairs.n;
    stage_begin(w, ND_STAGE_VERIFY, n);
    if (!(w->pass = nd_calloc(n ? n : 1, 1))) return ND_ERR_NOMEM;
    ND_TRY(nd_pool_run(w->pool, (n + ND_VERIFY_TASK - 1) / ND_VERIFY_TASK, verify_task, w,
                       &w->sc->cancel));
    uint64_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        if (!w->pass[i]) continue;
        nd_uf_union(&w->uf, (uint32_t)(w->pairs.v[i] >> 32), (uint32_t)w->pairs.v[i]);
        ok++;
    }
    *verified = ok;
    return ND_OK;
}

/* --- 6. clusters, 7. similarities ---------------------------------------- */

typedef struct root_count {
    uint32_t root, count;
} root_count;

static int root_count_cmp(const void *x, const void *y) {
    const root_count *a = x, *b = y;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return a->root < b->root ? -1 : a->root > b->root;
}

static nd_status stage_cluster(scan_work *w) {
    nd_status st = ND_OK;
    nd_report *r = w->r;
    size_t np = r->pt.n;
    uint32_t *count = nd_calloc(np ? np : 1, sizeof *count);
    uint32_t *cl_of_root = NULL;
    root_count *roots = NULL;
    size_t *fill = NULL;
    if (!count) return ND_ERR_NOMEM;
    for (size_t i = 0; i < w->ncl; i++) count[nd_uf_find(&w->uf, w->pid[i])]++;
    size_t ncl = 0, nmem = 0;
    for (size_t p = 0; p < np; p++)
        if (count[p] >= 2) {
            ncl++;
            nmem += count[p];
        }
    roots = nd_mallocn(ncl ? ncl : 1, sizeof *roots);
    cl_of_root = nd_mallocn(np ? np : 1, sizeof *cl_of_root);
    r->cl_start = nd_calloc(ncl + 1, sizeof *r->cl_start);
    r->cl_members = nd_mallocn(nmem ? nmem : 1, sizeof *r->cl_members);
    r->cl_docs = nd_calloc(ncl ? ncl : 1, sizeof *r->cl_docs);
    r->cl_chars = nd_calloc(ncl ? ncl : 1, sizeof *r->cl_chars);
    fill = nd_mallocn(ncl ? ncl : 1, sizeof *fill);
    if (!roots || !cl_of_root || !r->cl_start || !r->cl_members || !r->cl_docs ||
        !r->cl_chars || !fill) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    size_t k = 0;
    for (size_t p = 0; p < np; p++)
        if (count[p] >= 2) roots[k++] = (root_count){(uint32_t)p, count[p]};
    qsort(roots, ncl, sizeof *roots, root_count_cmp);
    for (size_t c = 0; c < ncl; c++) {
        cl_of_root[roots[c].root] = (uint32_t)c;
        r->cl_start[c + 1] = r->cl_start[c] + roots[c].count;
        fill[c] = r->cl_start[c];
    }
    for (size_t i = 0; i < w->ncl; i++) { /* idx ascending = paragraph ascending */
        uint32_t p = w->pid[i], root = nd_uf_find(&w->uf, p);
        if (count[root] < 2) continue;
        uint32_t c = cl_of_root[root];
        r->cl_members[fill[c]++] = p;
        r->cluster[p] = c;
    }
    r->ncl = ncl;
out:
    free(count);
    free(cl_of_root);
    free(roots);
    free(fill);
    return st;
}

static nd_status similarity_task(void *ctx, size_t t, unsigned worker) {
    scan_work *w = ctx;
    nd_report *r = w->r;
    scan_worker *wk = &w->wk[worker];
    size_t c0 = t * ND_SIM_TASK, c1 = ND_MIN(c0 + ND_SIM_TASK, r->ncl);
    for (size_t c = c0; c < c1; c++) {
        const uint32_t *m = r->cl_members + r->cl_start[c];
        size_t size = r->cl_start[c + 1] - r->cl_start[c];
        uint32_t rep = m[0];
        const XXH128_hash_t *krep = &w->ekey[w->idx_of[rep]];
        uint64_t *sa = NULL, *sb = NULL;
        size_t na = 0, nb = 0;
        int have_rep_set = 0;
        r->sim[rep] = 1.0;
        for (size_t k = 1; k < size; k++) {
            const XXH128_hash_t *km = &w->ekey[w->idx_of[m[k]]];
            if (XXH128_isEqual(*krep, *km)) {
                r->sim[m[k]] = 1.0;
                continue;
            }
            if (!have_rep_set) {
                ND_TRY(nd_shingler_set(&wk->sa, para_text(r, rep), r->pt.len[rep], &sa, &na));
                have_rep_set = 1;
            }
            ND_TRY(nd_shingler_set(&wk->sb, para_text(r, m[k]), r->pt.len[m[k]], &sb, &nb));
            r->sim[m[k]] = nd_hashset_jaccard(sa, na, sb, nb);
        }
    }
    task_done(w, worker, c1 - c0);
    return ND_OK;
}

static nd_status stage_similarity(scan_work *w) {
    size_t n = w->r->ncl;
    return nd_pool_run(w->pool, (n + ND_SIM_TASK - 1) / ND_SIM_TASK, similarity_task, w,
                       &w->sc->cancel);
}

/* --- the run ------------------------------------------------------------- */

static uint64_t default_memory_limit(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0) return UINT64_C(1) << 30;
    return (uint64_t)pages * (uint64_t)size / 4;
}

/* Decides between the in-memory path and batches spilled to disk. */
static nd_status plan_memory(scan_work *w, uint64_t limit) {
    size_t np = w->r->pt.n;
    /* per row: band keys, the ok flag; during LSH: entries + scratch per
     * thread (in memory) */
    uint64_t row_keys = (uint64_t)w->bands * sizeof *w->bkeys + 1;
    uint64_t in_memory = (uint64_t)np * (row_keys + 16u * w->threads);
    w->spilling = in_memory > limit;
    if (!w->spilling) {
        w->batch_rows = np ? np : 1;
        return ND_OK;
    }
    /* a batch: keys + its sort buffers (16 bytes per row) */
    uint64_t rows = limit / (row_keys + 16u);
    if (rows < ND_MIN_BATCH) rows = ND_MIN_BATCH;
    w->batch_rows = (size_t)ND_MIN(rows, (uint64_t)np);
    size_t nb = (np + w->batch_rows - 1) / w->batch_rows;
    /* merge buffers: nb runs per band, one band per thread at a time */
    uint64_t per = limit / ((uint64_t)w->threads * nb * sizeof(uint64_t));
    w->merge_buf = (size_t)ND_MAX(ND_MIN(per, (uint64_t)1 << 16), (uint64_t)64);
    int e = 0;
    nd_status st = nd_spill_open(&w->spill, w->sc->tmpdir, &e);
    return st;
}

nd_status nd_scanner_run(nd_scanner *sc, nd_report **out) {
    nd_status st = ND_OK;
    nd_report *r = NULL;
    scan_work w;
    double t_start = now_seconds(), t0 = t_start, t1;
    memset(&w, 0, sizeof w);
    w.spill.fd = -1;
    if (!sc || !out) return ND_ERR_INVALID;
    if (sc->ran) return ND_ERR_STATE;
    sc->ran = 1;

    if (!(r = nd_calloc(1, sizeof *r))) return ND_ERR_NOMEM;
    r->opt = sc->opt;
    r->docs = sc->docs; /* the report owns the documents from here on */
    memset(&sc->docs, 0, sizeof sc->docs);
    w.r = r;
    w.sc = sc;
    atomic_init(&w.done, 0);
    for (size_t d = 0; d < r->docs.n; d++) w.input_bytes += r->docs.docs[d].size;
    nd_timings *tm = &r->timings;
    tm->stage[ND_STAGE_READ] = sc->read_seconds;
    tm->memory_limit = r->opt.memory_limit ? r->opt.memory_limit : default_memory_limit();
#define ND_LAP(stage_)                                                         \
    do {                                                                       \
        t1 = now_seconds();                                                    \
        tm->stage[stage_] += t1 - t0;                                          \
        t0 = t1;                                                               \
        ND_CHECK(check_cancel(&w));                                            \
    } while (0)

    if (r->opt.bands) {
        w.bands = r->opt.bands;
        w.rows = r->opt.rows;
    } else {
        ND_CHECK(nd_lsh_params(r->opt.threshold, r->opt.num_perm, &w.bands, &w.rows));
    }
    w.threads = nd_pool_resolve_threads(r->opt.threads);
    tm->threads = w.threads;
    ND_CHECK(nd_pool_new(w.threads, &w.pool));
    if (!(w.wk = nd_calloc(w.threads, sizeof *w.wk))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (unsigned t = 0; t < w.threads; t++) {
        nd_shingler_init(&w.wk[t].sa, &r->opt);
        nd_shingler_init(&w.wk[t].sb, &r->opt);
        if (!(w.wk[t].sig = nd_mallocn(r->opt.num_perm, sizeof *w.wk[t].sig))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
    ND_CHECK(nd_minhash_init(&w.mh, r->opt.num_perm, r->opt.seed));

    ND_CHECK(check_cancel(&w));
    ND_CHECK(stage_split(&w));
    ND_LAP(ND_STAGE_SPLIT);

    size_t np = r->pt.n;
    size_t n1 = np ? np : 1;
    ND_CHECK(plan_memory(&w, tm->memory_limit));
    r->chars = nd_mallocn(n1, sizeof *r->chars);
    r->cluster = nd_mallocn(n1, sizeof *r->cluster);
    r->sim = nd_calloc(n1, sizeof *r->sim);
    w.pid = nd_mallocn(n1, sizeof *w.pid);
    w.idx_of = nd_mallocn(n1, sizeof *w.idx_of);
    w.ekey = nd_mallocn(n1, sizeof *w.ekey);
    w.bkeys = nd_mallocn(w.batch_rows, (size_t)w.bands * sizeof *w.bkeys);
    w.ok = nd_mallocn(w.batch_rows, 1);
    if (!r->chars || !r->cluster || !r->sim || !w.pid || !w.idx_of || !w.ekey ||
        !w.bkeys || !w.ok) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t p = 0; p < np; p++) r->cluster[p] = -1;
    ND_CHECK(nd_uf_init(&w.uf, np));

    ND_CHECK(stage_sketch(&w));
    free(w.ok);
    w.ok = NULL;
    ND_LAP(ND_STAGE_SKETCH);
    stage_begin(&w, ND_STAGE_EXACT, 0);
    if (!(w.is_rep = nd_mallocn(w.ncl ? w.ncl : 1, 1))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(stage_exact(&w));
    ND_LAP(ND_STAGE_EXACT);
    ND_CHECK(stage_lsh(&w));
    free(w.bkeys);
    w.bkeys = NULL;
    tm->spill_runs = w.spilling ? (uint64_t)w.nbatches * w.bands : 0;
    tm->spill_bytes = w.spill.size;
    nd_spill_close(&w.spill);
    ND_LAP(ND_STAGE_LSH);
    uint64_t verified = 0;
    ND_CHECK(stage_verify(&w, &verified));
    ND_LAP(ND_STAGE_VERIFY);
    stage_begin(&w, ND_STAGE_CLUSTER, 0);
    ND_CHECK(stage_cluster(&w));
    w.total = r->ncl;
    ND_CHECK(stage_similarity(&w));
    ND_LAP(ND_STAGE_CLUSTER);

    stage_begin(&w, ND_STAGE_REPORT, 0);
    nd_summary *s = &r->sum;
    s->skipped = sc->in.skipped;
    s->candidate_pairs = w.pairs.n;
    s->verified_pairs = verified;
    s->bands = w.bands;
    s->rows = w.rows;
    s->num_perm = r->opt.num_perm;
    s->shingle = r->opt.shingle;
    s->threshold = r->opt.threshold;
    ND_CHECK(nd_report_finish(r));
    ND_LAP(ND_STAGE_REPORT);
    tm->total = now_seconds() - t_start + sc->read_seconds;
    *out = r;
    r = NULL;
out:
#undef ND_LAP
    work_release(&w);
    nd_report_free(r);
    return st;
}
