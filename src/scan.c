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
 *                                         first of each group goes on (its
 *                                         state stays ND_PARA_REP)
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
 * Files.  Each stage is one file with an input and an output struct
 * (stage.h): stage_split.c (1, and 2 fused into it), stage_sketch.c (2 when
 * it is not), stage_exact.c (3), stage_lsh.c (4), stage_verify.c (5, with
 * the texts box it reads once), stage_cluster.c (6 and 7), report.c (8).
 * This file keeps the scanner handle and the driver, nd_scanner_run, which
 * owns the arrays, wires each stage's output to the next one's input, times
 * the stages, and decides between memory and spill (plan_memory).
 *
 * Threads (pool.c, nd_exec in stage.h).  Every stage is made of "parallel
 * for" loops whose tasks write into preallocated, disjoint slices; what is
 * sequential is cheap (it grows with the tasks, the candidate pairs or the
 * clusters, not with the paragraphs) and runs in task order afterwards.
 * How each stage cuts its work is told in its file.  tests/test_threads.c
 * checks that reports are byte-identical for 1, 2 and 3 threads, and the
 * CLI test compares --threads 1 and 2; tests/test_parallel.c does the same,
 * and checks the report against a naive recomputation, on a corpus large
 * enough for several chunks and key partitions.
 *
 * Bytes (input.c, "Bytes").  No document's bytes stay in memory and
 * nothing is mapped, so a file that changes during the run cannot fault.
 * The split reads each document whole into its worker's buffer and keeps a
 * 32-bit hash of every paragraph (nd_report.phash); every later read
 * (sketch windows, the verification's texts, similarities, previews, clean)
 * goes through nd_report_fetch, which checks it against that hash.  A
 * paragraph that does not read back is left out (short, unverified,
 * similarity 0) and its file reported once, after the stages, in document
 * order.
 *
 * Band keys are stored band-major (all rows of band 0, then band 1, ...):
 * an LSH task reads its band as one contiguous array.  Row-major, every
 * band's pass strided over all the keys (72 bytes apart), which was cheap
 * while they fitted in the cache (100 MB corpus: 0.11 s) and not after
 * (1 GB: 1.6 s, 14x for 10x the input).
 *
 * Memory (nd_options.memory_limit, default a quarter of physical RAM).  What
 * grows with the corpus is, per paragraph: the paragraph table and report
 * arrays (48 bytes), the exact key (16), the state and the union-find (5),
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
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "input.h"
#include "lsh.h"
#include "nd_internal.h"
#include "pool.h"
#include "report.h"
#include "scan_hook.h"
#include "sketch.h"
#include "spill.h"
#include "split.h"
#include "stage.h"
#include "xxh.h"

struct nd_scanner {
    nd_options opt;
    nd_doctab docs;
    nd_input_cfg in;
    nd_skiplist skips; /* in.skips: what the report's skipped records list */
    int ran;
    char *tmpdir;
    char *
        *walk_rules[2]; /* owned patterns by nd_walk_rule (in.include and in.exclude point here) */
    nd_progress_fn progress;
    void *progress_user;
    atomic_int cancel;
    double read_seconds; /* time spent in add_path / add_buffer */
    int err_errno;       /* the last ND_ERR_IO: its errno (nd_scanner_sys_errno) */
    char *err_path;      /* and the file or directory it concerned, or NULL */
};

/* Records the system error behind an ND_ERR_IO about to be returned (the
 * path is copied; if that fails, the error goes without it). */
static nd_status scanner_io_error(nd_scanner *sc, int err, const char *path) {
    free(sc->err_path);
    sc->err_path = path ? nd_strdup(path) : NULL;
    sc->err_errno = err;
    return ND_ERR_IO;
}

/* The directory of temporary files: --tmpdir, else $TMPDIR, else /tmp. */
static const char *scanner_tmpdir(const nd_scanner *sc) {
    const char *dir = sc->tmpdir;
    if (!dir || !*dir) dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    return dir;
}

int nd_scanner_sys_errno(const nd_scanner *sc) { return sc ? sc->err_errno : 0; }

const char *nd_scanner_error_path(const nd_scanner *sc) { return sc ? sc->err_path : NULL; }

const char *nd_stage_name(nd_stage stage) {
    static const char *const names[ND_STAGE_COUNT_] = {
        "read", "split", "sketch", "exact", "lsh", "verify", "cluster", "passage", "report"};
    return (unsigned)stage < ND_STAGE_COUNT_ ? names[stage] : "?";
}

/* Peak resident set size of the process so far, bytes (0 if unknown). */
static uint64_t peak_rss_bytes(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0 || ru.ru_maxrss < 0) return 0;
    return (uint64_t)ru.ru_maxrss * 1024u; /* Linux: kilobytes */
}

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
    sc->in.encoding = sc->opt.encoding; /* lives as long as the scanner */
    sc->in.jsonl_field = sc->opt.jsonl_field;
    sc->in.id_field = sc->opt.id_field;
    sc->in.threads = nd_pool_resolve_threads(sc->opt.threads);
    sc->in.skips = &sc->skips;
    atomic_init(&sc->cancel, 0);
    *out = sc;
    return ND_OK;
}

void nd_scanner_free(nd_scanner *sc) {
    if (!sc) return;
    nd_doctab_release(&sc->docs);
    nd_skiplist_release(&sc->skips);
    for (size_t i = 0; i < sc->in.ninclude; i++) free(sc->walk_rules[ND_WALK_INCLUDE][i]);
    for (size_t i = 0; i < sc->in.nexclude; i++) free(sc->walk_rules[ND_WALK_EXCLUDE][i]);
    free(sc->walk_rules[ND_WALK_INCLUDE]);
    free(sc->walk_rules[ND_WALK_EXCLUDE]);
    free(sc->tmpdir);
    free(sc->err_path);
    free(sc);
}

void nd_scanner_set_diag(nd_scanner *sc, nd_diag_fn fn, void *user) {
    if (!sc) return;
    sc->in.diag = fn;
    sc->in.user = user;
}

nd_status nd_scanner_add_walk_rule(nd_scanner *sc, nd_walk_rule rule, const char *pattern) {
    if (!sc || !pattern || !pattern[0] || (rule != ND_WALK_INCLUDE && rule != ND_WALK_EXCLUDE))
        return ND_ERR_INVALID;
    char ***list = &sc->walk_rules[rule];
    size_t *n = rule == ND_WALK_INCLUDE ? &sc->in.ninclude : &sc->in.nexclude;
    char *copy = nd_strdup(pattern);
    char **grown = copy ? realloc(*list, (*n + 1) * sizeof **list) : NULL;
    if (!grown) {
        free(copy);
        return ND_ERR_NOMEM;
    }
    grown[(*n)++] = copy;
    *list = grown;
    if (rule == ND_WALK_INCLUDE)
        sc->in.include = (const char *const *)grown;
    else
        sc->in.exclude = (const char *const *)grown;
    return ND_OK;
}

void nd_scanner_set_hidden(nd_scanner *sc, int hidden) {
    if (sc) sc->in.hidden = hidden != 0;
}

nd_status nd_scanner_set_tmpdir(nd_scanner *sc, const char *dir) {
    if (!sc) return ND_ERR_INVALID;
    char *copy = NULL;
    if (dir) { /* usable? checked now, before any input is read */
        nd_spill probe;
        int e = 0;
        if (nd_spill_open(&probe, dir, &e) != ND_OK) return scanner_io_error(sc, e, dir);
        nd_spill_close(&probe); /* (created unlinked: nothing is left) */
    }
    if (dir && !(copy = nd_strdup(dir))) return ND_ERR_NOMEM;
    free(sc->tmpdir);
    sc->tmpdir = copy;
    sc->in.tmpdir = copy; /* the spool of inflated gzip data and stdin */
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

nd_status nd_scanner_add_query_path(nd_scanner *sc, const char *path) {
    if (!sc || !path) return ND_ERR_INVALID;
    size_t n0 = sc->docs.n;
    nd_status st = nd_scanner_add_path(sc, path);
    for (size_t d = n0; d < sc->docs.n; d++) sc->docs.docs[d].query = 1;
    return st;
}

nd_status nd_scanner_add_buffer(nd_scanner *sc, const char *name, const void *data, size_t len) {
    if (!sc) return ND_ERR_INVALID;
    if (sc->ran) return ND_ERR_STATE;
    double t0 = now_seconds();
    nd_status st = nd_input_add_buffer(&sc->docs, name, data, len);
    sc->read_seconds += now_seconds() - t0;
    return st;
}

size_t nd_scanner_skipped(const nd_scanner *sc) { return sc ? sc->in.skipped : 0; }

/* ------------------------------------------------------------------------ */
/* The run                                                                   */
/* ------------------------------------------------------------------------ */

#define ND_SKETCH_TASK 512   /* paragraphs per sketch task */
#define ND_MIN_BATCH   64    /* fewest paragraphs per spilled batch */
#define ND_UF_TASK     16384 /* paragraphs per union-find reset task */

/* Makes paragraphs [t * ND_UF_TASK, ...) singletons of the union-find. */
static nd_status uf_reset_task(void *ctx, size_t t, unsigned worker) {
    nd_uf *uf = ctx;
    ND_UNUSED(worker);
    nd_uf_reset(uf, t * ND_UF_TASK, ND_MIN((t + 1) * ND_UF_TASK, uf->n));
    return ND_OK;
}

/* Working arrays of one run, all indexed by paragraph id. */
typedef struct scan_work {
    nd_report *r;
    nd_scanner *sc;
    nd_exec x; /* pool, workers, cancel, progress */
    unsigned bands, rows;
    nd_minhash mh;
    /* split: the paragraphs until the report takes them, the ranges'
     * staged sketches (fused), cut paragraphs */
    nd_paratab pt;
    uint32_t *phash;
    unsigned char *doc_split;
    uint32_t *chars; /* until the report takes them */
    int64_t *cluster;
    double *sim;
    size_t nranges;
    size_t *range_base;   /* nranges + 1 first paragraph ids */
    nd_range_sketch *rsk; /* per range: its sketch, staged */
    uint32_t **bk_store;  /* where the ranges' keys live */
    unsigned nbk_store;
    int fusing; /* the split sketched every paragraph */
    size_t *doc_ncut;
    uint32_t *doc_cutline;
    /* sketch */
    unsigned char *state; /* paragraph id -> ND_PARA_* */
    size_t ncl;           /* clusterable paragraphs (counted by nd_stage_exact) */
    XXH128_hash_t *ekey;  /* paragraph id -> exact key (clusterable ones) */
    uint32_t *bkeys;      /* bands x batch_rows band keys (unfused) */
    size_t batch_rows;    /* rows of bkeys */
    int spilling;
    nd_spill spill;
    nd_run *runs; /* nbatches x bands */
    size_t nbatches;
    size_t merge_buf; /* values per run buffer in a merge */
    /* later stages */
    nd_uf uf; /* over paragraph ids */
    nd_pairs pairs;
    unsigned char *pass;                       /* per candidate pair: verified */
    double *jac;                               /* per candidate pair: its exact Jaccard */
    nd_texts texts;                            /* of the paragraphs in candidate pairs */
    uint32_t *link;                            /* a front's clusters (scan_hook.h) */
    uint64_t front_candidates, front_verified; /* and its counts */
    uint64_t passage_spill;                    /* bytes the passage stages spilled */
    int front_passaged;                        /* and its pairwise passages */
    nd_pair_passage *front_ps;
    size_t front_nps;
    uint64_t *front_doc_chars;
} scan_work;

static void work_release(scan_work *w) {
    if (w->x.wk) {
        for (unsigned t = 0; t < w->x.threads; t++) {
            nd_worker *k = &w->x.wk[t];
            nd_reader_release(&k->rd);
            nd_reader_release(&k->rb);
            nd_shingler_release(&k->sa);
            nd_shingler_release(&k->sb);
            free(k->sig);
            free(k->band);
            free(k->rowkeys);
            free(k->e);
            free(k->etmp);
            nd_pairs_release(&k->pairs);
        }
        free(w->x.wk);
    }
    nd_pool_free(w->x.pool);
    nd_minhash_release(&w->mh);
    free(w->range_base);
    nd_paratab_release(&w->pt);
    free(w->phash);
    free(w->doc_split);
    free(w->chars);
    free(w->cluster);
    free(w->sim);
    free(w->doc_ncut);
    free(w->doc_cutline);
    free(w->state);
    free(w->ekey);
    free(w->bkeys);
    nd_split_keys_release(&w->rsk, &w->bk_store, &w->nbk_store);
    free(w->runs);
    nd_spill_close(&w->spill);
    nd_uf_release(&w->uf);
    nd_pairs_release(&w->pairs);
    free(w->pass);
    free(w->jac);
    nd_texts_release(&w->texts);
    free(w->link);
    free(w->front_ps);
    free(w->front_doc_chars);
}

/* --- the run ------------------------------------------------------------- */

/* The lines of the records' places (into po) and of the pairwise passages'
 * first and last bytes (*lines: 4 per passage, a's first and last, then
 * b's), in one reading of each document (nd_passage_lines). */
static nd_status passage_lines(scan_work *w, nd_doctab *docs, nd_passage_out *po,
                               const nd_align_out *ao, uint32_t **lines) {
    nd_status st = ND_OK;
    nd_passage_out all;
    memset(&all, 0, sizeof all);
    if (ao->n > (SIZE_MAX - po->nloc) / 4 - 1) return ND_ERR_NOMEM;
    size_t n = po->nloc + 4 * ao->n;
    all.loc = nd_mallocn(n ? n : 1, sizeof *all.loc);
    *lines = nd_mallocn(4 * ao->n + 1, sizeof **lines);
    if (!all.loc || !*lines) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    all.nloc = n;
    if (po->nloc) memcpy(all.loc, po->loc, po->nloc * sizeof *all.loc);
    for (size_t i = 0; i < ao->n; i++) {
        const nd_pair_passage *p = &ao->ps[i];
        nd_passage_loc *l = &all.loc[po->nloc + 4 * i];
        l[0] = (nd_passage_loc){.doc = p->a, .off = p->a_off};
        l[1] = (nd_passage_loc){.doc = p->a, .off = p->a_off + (p->a_len ? p->a_len - 1 : 0)};
        l[2] = (nd_passage_loc){.doc = p->b, .off = p->b_off};
        l[3] = (nd_passage_loc){.doc = p->b, .off = p->b_off + (p->b_len ? p->b_len - 1 : 0)};
    }
    ND_CHECK(nd_passage_lines(&w->x, docs, w->sc->tmpdir, &all));
    for (size_t i = 0; i < po->nloc; i++) po->loc[i].line = all.loc[i].line;
    for (size_t i = 0; i < 4 * ao->n; i++) (*lines)[i] = all.loc[po->nloc + i].line;
out:
    free(all.loc);
    return st;
}

/* Copied passages (nd_options.passages): fingerprints, pairwise passages,
 * records, their lines - the stages stage_fingerprint.c, stage_align.c and
 * stage_passage.c - handed to the report (after a front that found the
 * pairwise passages itself, scan_hook.h, the records and lines alone).  The fingerprints keep each
 * document's normalised text for the alignment (about 6 bytes a
 * character): in memory up to a quarter of the memory limit, the others in
 * private spill files in the scan's tmpdir. */
static nd_status run_passages(scan_work *w, nd_doctab *docs, uint64_t limit) {
    nd_status st = ND_OK;
    const nd_options *o = &w->r->opt;
    nd_fingerprint_out fo;
    nd_align_out ao;
    nd_passage_out po;
    memset(&fo, 0, sizeof fo);
    memset(&ao, 0, sizeof ao);
    memset(&po, 0, sizeof po);
    uint32_t *lines = NULL;
    nd_fingerprint_in fi;
    nd_fingerprint_in_init(&fi, docs, o, w->sc->tmpdir, limit);
    if (w->front_passaged) { /* a front found them (scan_hook.h) */
        ao.ps = w->front_ps;
        ao.n = w->front_nps;
        fo.doc_chars = w->front_doc_chars;
        w->front_ps = NULL;
        w->front_doc_chars = NULL;
    } else {
        ND_CHECK(nd_stage_fingerprint(&w->x, &fi, &fo));
        w->passage_spill = fo.fp_spilled; /* and the texts' files */
        for (size_t k = 0; k < fo.nmaps; k++) w->passage_spill += fo.maps[k].len;
        nd_align_in ai;
        nd_align_in_init(&ai, &fi, o, &fo);
        ND_CHECK(nd_stage_align(&w->x, &ai, &ao));
    }
    nd_passage_in pi = {.ps = ao.ps, .n = ao.n, .common_docs = fi.common_docs, .ndocs = docs->n};
    ND_CHECK(nd_stage_passage(&pi, &po));
    ND_CHECK(passage_lines(w, docs, &po, &ao, &lines));
    ND_CHECK(nd_report_set_passages(w->r, &po));
    nd_report_set_pair_passages(w->r, ao.ps, ao.n, lines, fo.doc_chars);
    ao.ps = NULL;
    lines = NULL;
    fo.doc_chars = NULL;
out:
    nd_fingerprint_out_release(&fo);
    free(ao.ps);
    free(lines);
    nd_passage_out_release(&po);
    return st;
}

/* A document with paragraphs cut at max_paragraph_bytes gets one notice
 * (status ND_OK) through the diag, in document order, on the caller's
 * thread. */
static void split_notices(const scan_work *w) {
    const nd_report *r = w->r;
    const nd_input_cfg *in = &w->sc->in;
    for (size_t d = 0; d < r->docs.n && in->diag; d++) {
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
}

static uint64_t default_memory_limit(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0) return UINT64_C(1) << 30;
    return (uint64_t)pages * (uint64_t)size / 4;
}

/* Decides between the in-memory path and batches spilled to disk. */
static nd_status plan_memory(scan_work *w, uint64_t limit) {
    size_t np = w->r->pt.n;
    /* per row: band keys; during LSH: entries + scratch per thread (in
     * memory) */
    uint64_t row_keys = (uint64_t)w->bands * sizeof *w->bkeys;
    uint64_t in_memory = (uint64_t)np * (row_keys + 16u * w->x.threads);
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
    uint64_t per = limit / ((uint64_t)w->x.threads * nb * sizeof(uint64_t));
    w->merge_buf = (size_t)ND_MAX(ND_MIN(per, (uint64_t)1 << 16), (uint64_t)64);
    int e = 0;
    nd_status st = nd_spill_open(&w->spill, w->sc->tmpdir, &e);
    if (st == ND_ERR_IO) return scanner_io_error(w->sc, e, scanner_tmpdir(w->sc));
    return st;
}

/* A front's clusters (scan_hook.h): each paragraph linked under its
 * component's smallest id, which the union-find would make its root. */
static void front_links(scan_work *w, size_t np, size_t ncl, nd_exact_out *exout) {
    for (size_t p = 0; p < np; p++)
        if (w->link[p] != p) nd_uf_link(exout->uf, w->link[p], (uint32_t)p);
    exout->ncl = ncl;
}

/* nd_scanner_run, or with stages 1-5 (or 1-2) done by front (scan_hook.h). */
static nd_status scanner_run(nd_scanner *sc, nd_front_fn front, void *user, nd_report **out) {
    nd_status st = ND_OK;
    nd_report *r = NULL;
    scan_work w;
    nd_report_sparse sparse; /* a front's (scan_hook.h); released at out */
    double t_start = now_seconds(), t0 = t_start, t1;
    memset(&w, 0, sizeof w);
    w.spill.fd = -1;
    memset(&sparse, 0, sizeof sparse);
    sparse.rows.fd = -1;
    if (!sc || !out) return ND_ERR_INVALID;
    if (sc->ran) return ND_ERR_STATE;
    sc->ran = 1;

    ND_TRY(nd_report_begin(&sc->opt, &sc->docs, sc->in.diag, sc->in.user, &r));
    w.r = r;
    w.sc = sc;
    atomic_init(&w.x.done, 0);
    w.x.cancel = &sc->cancel;
    w.x.progress = sc->progress;
    w.x.progress_user = sc->progress_user;
    nd_doctab *docs = nd_report_doctab(r);
    for (size_t d = 0; d < docs->n; d++) w.x.input_bytes += docs->docs[d].size;
    nd_timings timings, *tm = &timings;
    memset(tm, 0, sizeof *tm);
    tm->stage[ND_STAGE_READ] = sc->read_seconds;
    tm->peak_rss[ND_STAGE_READ] = peak_rss_bytes();
    tm->memory_limit = r->opt.memory_limit ? r->opt.memory_limit : default_memory_limit();
#define ND_LAP(stage_)                                                                             \
    do {                                                                                           \
        t1 = now_seconds();                                                                        \
        tm->stage[stage_] += t1 - t0;                                                              \
        tm->peak_rss[stage_] = peak_rss_bytes();                                                   \
        t0 = t1;                                                                                   \
        ND_CHECK(nd_exec_check(&w.x));                                                             \
    } while (0)

    if (r->opt.bands) {
        w.bands = r->opt.bands;
        w.rows = r->opt.rows;
    } else {
        ND_CHECK(nd_lsh_params(r->opt.threshold, r->opt.num_perm, &w.bands, &w.rows));
    }
    w.x.threads = nd_pool_resolve_threads(r->opt.threads);
    tm->threads = w.x.threads;
    ND_CHECK(nd_pool_new(w.x.threads, &w.x.pool));
    if (!(w.x.wk = nd_calloc(w.x.threads, sizeof *w.x.wk))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (unsigned t = 0; t < w.x.threads; t++) {
        nd_reader_init(&w.x.wk[t].rd, docs);
        nd_reader_init(&w.x.wk[t].rb, docs);
        nd_shingler_init(&w.x.wk[t].sa, &r->opt);
        nd_shingler_init(&w.x.wk[t].sb, &r->opt);
        if (!(w.x.wk[t].sig = nd_mallocn(r->opt.num_perm, sizeof *w.x.wk[t].sig))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
    ND_CHECK(nd_minhash_init(&w.mh, r->opt.num_perm, r->opt.seed));

    ND_CHECK(nd_exec_check(&w.x));
    nd_sketch_params skp = {.opt = &r->opt, .mh = &w.mh, .bands = w.bands, .rows = w.rows};
    nd_split_in spin = {.opt = &r->opt,
                        .docs = docs,
                        .tmpdir = sc->tmpdir,
                        .sk = skp,
                        .fuse = 1, /* falls back to the sketch stage when too large */
                        .limit = tm->memory_limit};
    nd_split_out spout = {.pt = &w.pt};
    int stop = 0, full = 0; /* full: a front did stages 1-5, not only 1-2 */
    size_t front_ncl = 0;
    if (front) { /* scan_hook.h: stages 1-5 (or 1-2) done elsewhere */
        nd_front_out fo;
        memset(&fo, 0, sizeof fo);
        fo.sparse.rows.fd = -1;
        fo.split.pt = &w.pt;
        st = front(user, &w.x, r, &spin, &fo);
        spout = fo.split;
        spout.fused = 0;
        w.link = fo.link;
        w.pairs = fo.pairs;
        w.jac = fo.jac;
        w.front_candidates = fo.candidates;
        w.front_verified = fo.verified;
        front_ncl = fo.ncl;
        sparse = fo.sparse;
        stop = fo.stop;
        full = !fo.sketched;
        w.bkeys = fo.bkeys;
        w.front_passaged = fo.passaged;
        w.front_ps = fo.ps;
        w.front_nps = fo.nps;
        w.front_doc_chars = fo.doc_chars;
        if (fo.skips.n) { /* the front's skipped inputs are the run's */
            nd_skiplist_release(&sc->skips);
            sc->skips = fo.skips;
            sc->in.skipped += fo.skips.n;
        } else {
            nd_skiplist_release(&fo.skips);
        }
    } else {
        st = nd_stage_split(&w.x, &spin, &spout);
    }
    w.phash = spout.phash; /* the run owns them from here */
    w.doc_split = spout.doc_split;
    w.chars = spout.chars;
    w.state = spout.state;
    w.ekey = spout.ekey;
    w.rsk = spout.rsk;
    w.bk_store = spout.bk_store;
    w.nbk_store = spout.nbk_store;
    w.range_base = spout.range_base;
    w.nranges = spout.nranges;
    w.fusing = spout.fused;
    w.doc_ncut = spout.doc_ncut;
    w.doc_cutline = spout.doc_cutline;
    ND_CHECK(st);
    if (stop) goto out; /* this process's part is done (no report) */
    nd_report_set_paragraphs(r, &w.pt, w.phash, w.doc_split); /* and the report */
    w.phash = NULL;
    if (sparse.held) nd_report_set_sparse(r, &sparse); /* the rows held are a front's part */
    split_notices(&w);
    ND_LAP(ND_STAGE_SPLIT);

    size_t np = r->pt.n;
    size_t n1 = np ? np : 1;
    if (!front)
        ND_CHECK(plan_memory(&w, tm->memory_limit));
    else if (!full) /* the front's band keys, all in memory */
        w.batch_rows = n1;
    if (w.fusing && w.spilling) { /* cannot happen (same bound); be safe */
        nd_split_keys_release(&w.rsk, &w.bk_store, &w.nbk_store);
        w.fusing = 0;
    }
    if (!w.chars) w.chars = nd_mallocn(n1, sizeof *w.chars);
    if (!w.state) w.state = nd_mallocn(n1, sizeof *w.state);
    if (!w.ekey && !full) w.ekey = nd_mallocn(n1, sizeof *w.ekey);
    if (!w.fusing && !front) w.bkeys = nd_mallocn(w.batch_rows, (size_t)w.bands * sizeof *w.bkeys);
    if (!w.chars || !w.state || (!w.ekey && !full) || (!w.fusing && !full && !w.bkeys)) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    /* the union-find's singletons made on the pool: 1 MB of fresh 4 KiB
     * pages for 237,716 paragraphs, 2.5 ms of faults on one thread */
    ND_CHECK(nd_uf_alloc(&w.uf, np));
    ND_CHECK(nd_exec_run(&w.x, (np + ND_UF_TASK - 1) / ND_UF_TASK, uf_reset_task, &w.uf));

    if (w.fusing || front) {
        nd_exec_begin(&w.x, ND_STAGE_SKETCH, 0); /* done by the split tasks (or the front) */
    } else {
        nd_sketch_in skin = {
            .r = r, .sk = skp, .batch_rows = w.batch_rows, .spill = w.spilling ? &w.spill : NULL};
        nd_sketch_out skout = {
            .chars = w.chars, .state = w.state, .ekey = w.ekey, .bkeys = w.bkeys};
        st = nd_stage_sketch(&w.x, &skin, &skout);
        w.runs = skout.runs;
        w.nbatches = skout.nbatches;
        if (st == ND_ERR_IO) st = scanner_io_error(sc, skout.io_errno, scanner_tmpdir(sc));
        ND_CHECK(st);
    }
    nd_report_set_chars(r, w.chars);
    w.chars = NULL;
    ND_LAP(ND_STAGE_SKETCH);
    nd_exec_begin(&w.x, ND_STAGE_EXACT, 0);
    nd_exact_in exin = {.n = np, .ekey = w.ekey};
    nd_exact_out exout = {.state = w.state, .uf = &w.uf};
    if (full) /* the front's clusters (scan_hook.h) */
        front_links(&w, np, front_ncl, &exout);
    else
        ND_CHECK(nd_stage_exact(&w.x, &exin, &exout));
    w.ncl = exout.ncl;
    ND_LAP(ND_STAGE_EXACT);
    nd_lsh_in lin = {.n = np,
                     .state = w.state,
                     .ncl = w.ncl,
                     .bands = w.bands,
                     .rsk = w.fusing ? w.rsk : NULL,
                     .range_base = w.range_base,
                     .nranges = w.nranges,
                     .bkeys = w.bkeys,
                     .batch_rows = w.batch_rows,
                     .spill = w.spilling ? &w.spill : NULL,
                     .runs = w.runs,
                     .nbatches = w.nbatches,
                     .merge_buf = w.merge_buf};
    nd_lsh_out lout = {.pairs = &w.pairs};
    st = full ? ND_OK : nd_stage_lsh(&w.x, &lin, &lout); /* a front made the pairs */
    if (st == ND_ERR_IO)                                 /* reading the spilled runs back */
        st = scanner_io_error(sc, lout.io_errno, scanner_tmpdir(sc));
    ND_CHECK(st);
    free(w.bkeys);
    w.bkeys = NULL;
    nd_split_keys_release(&w.rsk, &w.bk_store, &w.nbk_store);
    tm->spill_runs = w.spilling ? (uint64_t)w.nbatches * w.bands : 0;
    tm->spill_bytes = w.spill.size;
    nd_spill_close(&w.spill);
    ND_LAP(ND_STAGE_LSH);
    nd_verify_in vin = {.r = r, .pairs = &w.pairs, .limit = tm->memory_limit};
    nd_verify_out vout = {.texts = &w.texts, .uf = &w.uf};
    if (full) { /* the front verified (scan_hook.h) */
        vout.verified = w.front_verified;
    } else {
        st = nd_stage_verify(&w.x, &vin, &vout);
        w.pass = vout.pass; /* owned by the run from here */
        w.jac = vout.jac;
        ND_CHECK(st);
    }
    uint64_t verified = vout.verified;
    ND_LAP(ND_STAGE_VERIFY);
    nd_exec_begin(&w.x, ND_STAGE_CLUSTER, 0);
    /* allocated here, not with the other rows: in memory the band keys
     * have just left, so that they do not add to the peak */
    w.cluster = nd_mallocn(n1, sizeof *w.cluster);
    w.sim = nd_calloc(n1, sizeof *w.sim);
    if (!w.cluster || !w.sim) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    nd_cluster_in cin = {.r = r,
                         .uf = &w.uf,
                         .pairs = &w.pairs,
                         .jac = w.jac,
                         .ekey = full ? NULL : w.ekey,
                         .texts = &w.texts};
    nd_cluster_out cout = {.cluster = w.cluster, .sim = w.sim};
    st = nd_stage_cluster(&w.x, &cin, &cout);
    nd_status st2 = nd_report_set_clusters(r, w.cluster, w.sim, cout.ncl, cout.cl_start,
                                           cout.cl_members); /* the report owns them */
    w.cluster = NULL;
    w.sim = NULL;
    ND_CHECK(st);
    ND_CHECK(st2);
    ND_LAP(ND_STAGE_CLUSTER);

    if (r->opt.passages) ND_CHECK(run_passages(&w, docs, tm->memory_limit));
    tm->spill_bytes += w.passage_spill;
    ND_LAP(ND_STAGE_PASSAGE);

    nd_exec_begin(&w.x, ND_STAGE_REPORT, 0);
    /* files found changed by any stage, once each, in document order */
    nd_doctab_report_changed(docs, &sc->in);
    nd_report_set_summary(r, sc->in.skipped, full ? w.front_candidates : w.pairs.n, verified,
                          w.bands, w.rows);
    if (sc->skips.nomem) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    nd_report_set_skipped(r, &sc->skips); /* moves the list */
    ND_CHECK(nd_report_finish(r, w.x.pool, &sc->cancel));
    ND_LAP(ND_STAGE_REPORT);
    tm->total = now_seconds() - t_start + sc->read_seconds;
    nd_report_set_timings(r, tm);
    *out = r;
    r = NULL;
out:
#undef ND_LAP
    nd_report_sparse_release(&sparse);
    work_release(&w);
    nd_report_free(r);
    return st;
}

nd_status nd_scanner_run(nd_scanner *sc, nd_report **out) {
    return scanner_run(sc, NULL, NULL, out);
}

nd_status nd_scanner_run_front(nd_scanner *sc, nd_front_fn front, void *user, nd_report **out) {
    if (!front) return ND_ERR_INVALID;
    if (out) *out = NULL;
    return scanner_run(sc, front, user, out);
}
