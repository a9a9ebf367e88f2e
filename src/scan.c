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
 * Threads (pool.c).  Every stage is made of "parallel for" loops whose
 * tasks write into preallocated, disjoint slices; what is sequential is cheap
 * (it grows with the tasks, the candidate pairs or the clusters, not with the
 * paragraphs) and runs in task order afterwards:
 *   split    tasks = ranges of whole documents (about 64 per thread, balanced
 *            by bytes); each fills its own paragraph table, and a second job
 *            copies the tables to their places in range order (prefix sums
 *            of their sizes), so paragraph ids are the same as a sequential
 *            split.  (One huge document is one task; splitting is ~5% of a
 *            scan, and the stages after it are split by paragraph.)
 *            Fused: each task also sketches its paragraphs while the
 *            document is in its buffer (sketch_one), staging chars, state
 *            and exact keys per range (copied into place by the join) and
 *            band keys per range, band-major, which the LSH tasks gather
 *            band by band.  The input is then read once: with a separate
 *            sketch stage it was read twice, and on the 1 GB corpus that
 *            cost 8% (1 thread; 6.46 s for main with its mapped input,
 *            7.00 s reading twice).  The split tasks stop sketching, and
 *            the run falls back to the separate stage, when the band keys
 *            would not fit the memory limit (the spilled path), or when one
 *            range holds more than 1 / (2 x threads) of the input (a big
 *            document would be sketched by one thread).  64 ranges per
 *            thread rather than 16 keep the fused tasks short (~40 ms on
 *            the 1 GB corpus), so the stage's tail, one thread finishing
 *            the last range, is short too.
 *   sketch   (when not fused) tasks = 512 consecutive paragraphs; each
 *            worker has its own
 *            normaliser, shingle buffer and signature row and writes the
 *            paragraph's chars, state (short or clusterable), exact key and
 *            band keys at the paragraph's own row.  Nothing is compacted
 *            afterwards: later stages skip the rows of short paragraphs (a
 *            serial compaction of 18 band keys per row was 0.08 s of a 1 GB
 *            scan, and the skipped rows are about 8% of them).
 *   exact    partitions of the key space (stage_exact.c).
 *   lsh      tasks = bands; each worker sorts its bands' entries in its own
 *            buffers and collects pairs in its own array; the arrays are
 *            sorted (tasks = workers) and merged into one sorted, distinct
 *            array, so the order of bands does not matter.
 *   verify   tasks = 64 consecutive candidate pairs; each writes one flag
 *            per pair; the unions are then done in pair order (the
 *            union-find's root is the smallest id anyway, so the components
 *            do not depend on the order).  Sets are rebuilt from the text
 *            (the current `a` is kept); a per-worker LRU memo of the last 8
 *            `b` sets was tried and gave nothing (100 MB and 1 GB).
 *   cluster  read-only root finds by chunks of paragraphs, then tasks = 64
 *            clusters, each writing its members and their similarity (see
 *            stage_cluster).  The verification keeps each candidate pair's
 *            Jaccard (8 bytes a pair), and a member that was a candidate
 *            with its representative takes it from there (binary search in
 *            the sorted pairs) instead of rebuilding both shingle sets:
 *            clustering of one-paragraph-per-line English (1.19 M
 *            paragraphs) takes 0.055-0.076 s and 0.05 G instructions in
 *            the similarity tasks, against 0.135 s and 0.61 G rebuilding
 *            every set; Chinese (0.24 M) 0.009 s against 0.032 s (1 thread,
 *            alternating runs).
 *   report   nd_report_finish (report.c) runs on the same pool.
 * tests/test_threads.c checks that reports are byte-identical for 1, 2 and
 * 3 threads, and the CLI test compares --threads 1 and 2; tests/test_parallel.c
 * does the same, and checks the report against a naive recomputation, on a
 * corpus large enough for several chunks and key partitions.
 *
 * Bytes (input.c, "Bytes").  No document's bytes stay in memory and
 * nothing is mapped, so a file that changes during the run cannot fault.
 * The split tasks read each document whole into their worker's reader
 * buffer (checked with fstat before and after; a document over
 * ND_WHOLE_MAX, 64 MiB, is copied to a private unlinked file under
 * --tmpdir and mapped from there instead, so the buffers stay bounded) and
 * keep a 32-bit hash of every paragraph (nd_report.phash); the buffers are
 * freed after the split.
 * Fused, the split tasks sketch from those buffers; otherwise the sketch
 * tasks read their paragraphs again with pread() in windows of up to 1 MiB
 * (ND_SKETCH_AHEAD).  The texts of the paragraphs in candidate
 * pairs are read once, in file order, before the verification (stage_texts),
 * which, like the similarities, takes them from there; nd_report_fetch
 * checks each read against its hash.  A paragraph
 * that does not read back is left out (short, unverified, similarity 0) and
 * its file reported once, after the stages, in document order.
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
#include "sketch.h"
#include "spill.h"
#include "split.h"
#include "stage.h"
#include "xxh.h"

struct nd_scanner {
    nd_options opt;
    nd_doctab docs;
    nd_input_cfg in;
    int ran;
    char *tmpdir;
    char **walk_rules[2]; /* owned patterns by nd_walk_rule (in.include and in.exclude point here) */
    nd_progress_fn progress;
    void *progress_user;
    atomic_int cancel;
    double read_seconds; /* time spent in add_path / add_buffer */
    int err_errno;  /* the last ND_ERR_IO: its errno (nd_scanner_sys_errno) */
    char *err_path; /* and the file or directory it concerned, or NULL */
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
        "read", "split", "sketch", "exact", "lsh", "verify", "cluster", "report"};
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
    sc->in.threads = nd_pool_resolve_threads(sc->opt.threads);
    atomic_init(&sc->cancel, 0);
    *out = sc;
    return ND_OK;
}

void nd_scanner_free(nd_scanner *sc) {
    if (!sc) return;
    nd_doctab_release(&sc->docs);
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
    if (rule == ND_WALK_INCLUDE) sc->in.include = (const char *const *)grown;
    else sc->in.exclude = (const char *const *)grown;
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

#define ND_SKETCH_TASK 512 /* paragraphs per sketch task */
#define ND_MIN_BATCH 64    /* fewest paragraphs per spilled batch */

/* Working arrays of one run, all indexed by paragraph id. */
typedef struct scan_work {
    nd_report *r;
    nd_scanner *sc;
    nd_exec x;             /* pool, workers, cancel, progress */
    unsigned bands, rows;
    nd_minhash mh;
    /* split */
    size_t nranges;
    size_t *range_start; /* nranges + 1 document indices */
    size_t *range_base;  /* nranges + 1 first paragraph ids */
    nd_paratab *range_pt;
    uint32_t **range_ph;   /* per range: its paragraphs' hashes */
    size_t *doc_ncut;
    uint32_t *doc_cutline;
    /* sketch */
    unsigned char *state;  /* paragraph id -> ND_PARA_* */
    size_t ncl;            /* clusterable paragraphs (counted by nd_stage_exact) */
    XXH128_hash_t *ekey;   /* paragraph id -> exact key (clusterable ones) */
    uint32_t *bkeys;       /* bands x batch_rows band keys (band-major: band j
                              of paragraph batch0 + r at j * batch_rows + r;
                              unset for short paragraphs) */
    size_t batch0, batch1; /* paragraphs of the current batch */
    size_t batch_rows;     /* rows of bkeys */
    int spilling;
    /* fused split and sketch (the essay: Threads, split, "Fused") */
    int fusing;              /* the split tasks sketch too */
    atomic_int fuse_off;     /* set when the sketched rows outgrow the limit */
    atomic_uint_fast64_t fuse_rows; /* rows sketched by the split tasks */
    uint64_t limit;          /* the memory limit (plan_memory) */
    nd_range_sketch *rsk;    /* per range: its sketch, staged */
    nd_spill spill;
    nd_run *runs;          /* nbatches x bands */
    size_t nbatches, runs_cap;
    size_t merge_buf;      /* values per run buffer in a merge */
    /* later stages */
    nd_uf uf;              /* over paragraph ids */
    nd_pairs pairs;
    unsigned char *pass;   /* per candidate pair: verified */
    double *jac;           /* per candidate pair: its exact Jaccard */
    nd_texts texts;        /* of the paragraphs in candidate pairs */
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
    if (w->range_pt)
        for (size_t i = 0; i < w->nranges; i++) nd_paratab_release(&w->range_pt[i]);
    free(w->range_pt);
    if (w->range_ph)
        for (size_t i = 0; i < w->nranges; i++) free(w->range_ph[i]);
    free(w->range_ph);
    free(w->range_start);
    free(w->range_base);
    free(w->doc_ncut);
    free(w->doc_cutline);
    free(w->state);
    free(w->ekey);
    free(w->bkeys);
    if (w->rsk)
        for (size_t i = 0; i < w->nranges; i++) nd_range_sketch_release(&w->rsk[i]);
    free(w->rsk);
    free(w->runs);
    nd_spill_close(&w->spill);
    nd_uf_release(&w->uf);
    nd_pairs_release(&w->pairs);
    free(w->pass);
    free(w->jac);
    nd_texts_release(&w->texts);
}

/* --- 1. split ------------------------------------------------------------ */

/* Sketches one paragraph's text: its normalised characters and state, and
 * for a clusterable one its exact key and w->bands band keys. */
static nd_status sketch_one(scan_work *w, nd_worker *k, const uint8_t *text, size_t len,
                            uint32_t *chars, unsigned char *state, XXH128_hash_t *ekey,
                            uint32_t *keys) {
    const nd_options *o = &w->r->opt;
    uint64_t *h = NULL;
    const uint64_t *tok = NULL;
    size_t nh = 0, nc = 0, nt = 0;
    *chars = 0;
    *state = ND_PARA_SHORT;
    ND_TRY(nd_shingler_run(&k->sa, text, len, &h, &nh, &nc, &tok, &nt));
    *chars = nc > UINT32_MAX ? UINT32_MAX : (uint32_t)nc;
    if (nc < o->min_chars || nh == 0) return ND_OK;
    *state = ND_PARA_REP;
    *ekey = XXH3_128bits_withSeed(tok, nt * sizeof *tok, o->seed);
    nd_minhash_reset(&w->mh, k->sig);
    nd_minhash_update(&w->mh, h, nh, k->sig);
    nd_minhash_finish(&w->mh, k->sig);
    nd_lsh_band_keys(k->sig, w->bands, w->rows, keys);
    return ND_OK;
}

/* Fused: sketches paragraphs [n0, pt->n) of range t from the document's
 * bytes, into the range's staging (row-major band keys in the worker's
 * rowkeys).  Stops (and says so through fuse_off) once the rows sketched by
 * all tasks would not fit in the memory limit in memory. */
static nd_status fuse_sketch(scan_work *w, size_t t, nd_worker *k, const nd_paratab *pt,
                             size_t n0, const uint8_t *data) {
    nd_range_sketch *s = &w->rsk[t];
    size_t n = pt->n, cap = s->cap;
    uint64_t row_bytes = (uint64_t)w->bands * sizeof(uint32_t) + 16u * w->x.threads;
    uint64_t rows = atomic_fetch_add(&w->fuse_rows, (uint64_t)(n - n0)) + (n - n0);
    if (rows * row_bytes > w->limit) atomic_store(&w->fuse_off, 1);
    if (atomic_load(&w->fuse_off)) return ND_OK;
    if (n > cap) {
        size_t c1 = cap, c2 = cap;
        ND_TRY(ND_GROW(s->chars, cap, n));
        ND_TRY(ND_GROW(s->state, c1, n));
        ND_TRY(ND_GROW(s->ekey, c2, n));
        s->cap = cap;
    }
    ND_TRY(ND_GROW(k->rowkeys, k->rowkeys_cap, n * w->bands));
    for (size_t i = n0; i < n; i++) {
        uint32_t *keys = k->rowkeys + i * w->bands;
        ND_TRY(sketch_one(w, k, data + pt->off[i], pt->len[i], &s->chars[i], &s->state[i],
                          &s->ekey[i], keys));
        if (s->state[i] != ND_PARA_REP) memset(keys, 0, w->bands * sizeof *keys);
    }
    s->n = n;
    return ND_OK;
}

/* Splits range t's documents, each read whole into the worker's buffer and
 * checked to be the file loaded (nd_reader_whole; a changed file is marked
 * and gives no paragraphs), and hashes every paragraph's bytes, which later
 * stages check when they read them again (nd_report_fetch). */
static nd_status split_task(void *ctx, size_t t, unsigned worker) {
    scan_work *w = ctx;
    nd_report *r = w->r;
    nd_paratab *pt = &w->range_pt[t];
    nd_reader *rd = &w->x.wk[worker].rd;
    size_t ph_cap = 0;
    uint64_t bytes = 0;
    pt->max_len = r->opt.max_paragraph_bytes;
    for (size_t d = w->range_start[t]; d < w->range_start[t + 1]; d++) {
        nd_doc *doc = &r->docs.docs[d];
        nd_split_mode used = ND_SPLIT_LINE;
        const uint8_t *data = NULL;
        size_t n0 = pt->n;
        nd_status st = nd_reader_whole_private(rd, d, w->sc->tmpdir, &data);
        if (st == ND_ERR_CHANGED) {
            (void)nd_doctab_mark_changed(&r->docs, d);
            w->doc_ncut[d] = 0;
            continue;
        }
        ND_TRY(st);
        ND_TRY(nd_split_document(pt, (uint32_t)d, data, doc->size, r->opt.split, &used));
        doc->split = (unsigned char)used;
        ND_TRY(ND_GROW(w->range_ph[t], ph_cap, pt->n ? pt->n : 1));
        for (size_t i = n0; i < pt->n; i++)
            w->range_ph[t][i] = (uint32_t)XXH3_64bits(data + pt->off[i], pt->len[i]);
        if (w->fusing) ND_TRY(fuse_sketch(w, t, &w->x.wk[worker], pt, n0, data));
        w->doc_ncut[d] = pt->ncut;
        w->doc_cutline[d] = pt->cut_line;
        bytes += doc->size;
    }
    if (w->fusing && !atomic_load(&w->fuse_off)) {
        /* the range's band keys, band-major */
        nd_range_sketch *s = &w->rsk[t];
        const uint32_t *rk = w->x.wk[worker].rowkeys;
        size_t n = pt->n;
        if (!(s->bk = nd_mallocn(n ? n * w->bands : 1, sizeof *s->bk))) return ND_ERR_NOMEM;
        for (size_t i = 0; i < n; i++)
            for (unsigned j = 0; j < w->bands; j++) s->bk[j * n + i] = rk[i * w->bands + j];
        s->n = n;
        s->done = 1;
    }
    nd_exec_done(&w->x, worker, bytes);
    return ND_OK;
}

/* Copies range t's paragraph table to its place in the whole table (starting
 * at range_base[t]) and frees it. */
static nd_status split_join_task(void *ctx, size_t t, unsigned worker) {
    scan_work *w = ctx;
    nd_paratab *pt = &w->r->pt, *s = &w->range_pt[t];
    size_t at = w->range_base[t];
    ND_UNUSED(worker);
    if (s->n) { /* s->doc etc. may be NULL: no memcpy from NULL */
        memcpy(pt->doc + at, s->doc, s->n * sizeof *pt->doc);
        memcpy(pt->off + at, s->off, s->n * sizeof *pt->off);
        memcpy(pt->len + at, s->len, s->n * sizeof *pt->len);
        memcpy(pt->line + at, s->line, s->n * sizeof *pt->line);
        memcpy(w->r->phash + at, w->range_ph[t], s->n * sizeof *w->r->phash);
        if (w->fusing) {
            nd_range_sketch *k = &w->rsk[t];
            memcpy(w->r->chars + at, k->chars, s->n * sizeof *w->r->chars);
            memcpy(w->state + at, k->state, s->n * sizeof *w->state);
            memcpy(w->ekey + at, k->ekey, s->n * sizeof *w->ekey);
        }
    }
    if (w->fusing) { /* the band keys stay, for the LSH stage */
        nd_range_sketch *k = &w->rsk[t];
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

/* Splits every document; a document with paragraphs cut at
 * max_paragraph_bytes gets one notice (status ND_OK) through the diag, in
 * document order, on the caller's thread. */
static nd_status stage_split(scan_work *w) {
    nd_report *r = w->r;
    size_t nd = r->docs.n;
    uint64_t target = w->x.input_bytes / ((uint64_t)w->x.threads * 64) + 1;
    if (target < (UINT64_C(1) << 20)) target = UINT64_C(1) << 20;
    w->range_start = nd_mallocn(nd + 1, sizeof *w->range_start);
    w->doc_ncut = nd_calloc(nd ? nd : 1, sizeof *w->doc_ncut);
    w->doc_cutline = nd_calloc(nd ? nd : 1, sizeof *w->doc_cutline);
    if (!w->range_start || !w->doc_ncut || !w->doc_cutline) return ND_ERR_NOMEM;
    size_t nr = 0;
    uint64_t acc = 0, most = 0;
    w->range_start[0] = 0;
    for (size_t d = 0; d < nd; d++) {
        acc += r->docs.docs[d].size;
        if (acc >= target || d + 1 == nd) {
            w->range_start[++nr] = d + 1;
            most = ND_MAX(most, acc);
            acc = 0;
        }
    }
    w->nranges = nr;
    /* sketching by ranges needs ranges small enough to share out: a range
     * holding a large part of the input (one big document) leaves the
     * other threads idle, so such a run sketches by paragraphs instead */
    if (w->x.threads > 1 && most * 2 * w->x.threads > w->x.input_bytes) w->fusing = 0;
    if (!(w->range_pt = nd_calloc(nr ? nr : 1, sizeof *w->range_pt))) return ND_ERR_NOMEM;
    if (!(w->range_ph = nd_calloc(nr ? nr : 1, sizeof *w->range_ph))) return ND_ERR_NOMEM;
    if (w->fusing && !(w->rsk = nd_calloc(nr ? nr : 1, sizeof *w->rsk))) return ND_ERR_NOMEM;
    nd_exec_begin(&w->x, ND_STAGE_SPLIT, w->x.input_bytes);
    ND_TRY(nd_exec_run(&w->x, nr, split_task, w));
    if (w->fusing) { /* every range sketched within the limit, or none kept */
        int all = !atomic_load(&w->fuse_off);
        for (size_t i = 0; i < nr && all; i++) all = w->rsk[i].done;
        if (!all) {
            for (size_t i = 0; i < nr; i++) nd_range_sketch_release(&w->rsk[i]);
            free(w->rsk);
            w->rsk = NULL;
            w->fusing = 0;
        }
    }
    for (unsigned i = 0; i < w->x.threads; i++) {
        free(w->x.wk[i].rowkeys);
        w->x.wk[i].rowkeys = NULL;
        w->x.wk[i].rowkeys_cap = 0;
    }

    if (!(w->range_base = nd_mallocn(nr + 1, sizeof *w->range_base))) return ND_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < nr; i++) {
        w->range_base[i] = n;
        n += w->range_pt[i].n;
    }
    w->range_base[nr] = n;
    if (n >= UINT32_MAX) return ND_ERR_INVALID;
    nd_paratab *pt = &r->pt;
    size_t n1 = n ? n : 1;
    pt->doc = nd_mallocn(n1, sizeof *pt->doc);
    pt->off = nd_mallocn(n1, sizeof *pt->off);
    pt->len = nd_mallocn(n1, sizeof *pt->len);
    pt->line = nd_mallocn(n1, sizeof *pt->line);
    r->phash = nd_mallocn(n1, sizeof *r->phash);
    if (!pt->doc || !pt->off || !pt->len || !pt->line || !r->phash) return ND_ERR_NOMEM;
    if (w->fusing) {
        r->chars = nd_mallocn(n1, sizeof *r->chars);
        w->state = nd_mallocn(n1, sizeof *w->state);
        w->ekey = nd_mallocn(n1, sizeof *w->ekey);
        if (!r->chars || !w->state || !w->ekey) return ND_ERR_NOMEM;
    }
    pt->cap = n1;
    pt->max_len = r->opt.max_paragraph_bytes;
    ND_TRY(nd_exec_run(&w->x, nr, split_join_task, w));
    pt->n = n;
    /* whole documents are not needed any more: later stages read ranges */
    for (unsigned i = 0; i < w->x.threads; i++) nd_reader_shrink(&w->x.wk[i].rd);
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
    nd_worker *k = &w->x.wk[worker];
    size_t p0 = w->batch0 + t * ND_SKETCH_TASK;
    size_t p1 = ND_MIN(p0 + ND_SKETCH_TASK, w->batch1);
    uint64_t bytes = 0;
    size_t last = p0; /* the task's last paragraph in the document of p */
    for (size_t p = p0; p < p1; p++) {
        size_t row = p - w->batch0;
        const uint8_t *text = NULL;
        uint32_t keys[1024]; /* bands <= num_perm <= 1024 */
        bytes += r->pt.len[p];
        r->chars[p] = 0;
        w->state[p] = ND_PARA_SHORT;
        if (last < p || r->pt.doc[last] != r->pt.doc[p])
            for (last = p; last + 1 < p1 && r->pt.doc[last + 1] == r->pt.doc[p];) last++;
        /* read ahead to the end of that paragraph, no further */
        uint64_t ahead = r->pt.off[last] + r->pt.len[last] - (r->pt.off[p] + r->pt.len[p]);
        if (ahead > ND_SKETCH_AHEAD) ahead = ND_SKETCH_AHEAD;
        nd_status st = nd_report_fetch(r, &k->rd, p, (size_t)ahead, &text);
        if (st == ND_ERR_CHANGED) continue; /* left out; the file is reported */
        ND_TRY(st);
        ND_TRY(sketch_one(w, k, text, r->pt.len[p], &r->chars[p], &w->state[p], &w->ekey[p],
                          keys));
        if (w->state[p] != ND_PARA_REP) continue;
        for (unsigned j = 0; j < w->bands; j++) w->bkeys[j * w->batch_rows + row] = keys[j];
    }
    nd_exec_done(&w->x, worker, bytes);
    return ND_OK;
}

/* Sorts the current batch's band keys per band and appends them as runs. */
static nd_status spill_batch(scan_work *w) {
    size_t rows = w->batch1 - w->batch0;
    nd_worker *k = &w->x.wk[0];
    ND_TRY(nd_worker_entries(k, rows ? rows : 1));
    if (w->nbatches * w->bands + w->bands > w->runs_cap)
        ND_TRY(ND_GROW(w->runs, w->runs_cap, (w->nbatches + 1) * w->bands));
    for (unsigned j = 0; j < w->bands; j++) {
        size_t m = 0;
        for (size_t row = 0; row < rows; row++)
            if (w->state[w->batch0 + row] == ND_PARA_REP)
                k->e[m++] = (uint64_t)w->bkeys[j * w->batch_rows + row] << 32 |
                            (uint32_t)(w->batch0 + row);
        nd_sort_hi32(k->e, k->etmp, m);
        nd_run *run = &w->runs[w->nbatches * w->bands + j];
        run->n = m;
        if (nd_spill_append(&w->spill, k->e, m, &run->off) != ND_OK)
            return scanner_io_error(w->sc, errno ? errno : EIO, scanner_tmpdir(w->sc));
    }
    w->nbatches++;
    return ND_OK;
}

static nd_status stage_sketch(scan_work *w) {
    nd_report *r = w->r;
    size_t np = r->pt.n;
    uint64_t para_bytes = 0;
    for (size_t p = 0; p < np; p++) para_bytes += r->pt.len[p];
    nd_exec_begin(&w->x, ND_STAGE_SKETCH, para_bytes);
    for (size_t b0 = 0; b0 < np || (b0 == 0 && np == 0); b0 += w->batch_rows) {
        if (np == 0) break;
        w->batch0 = b0;
        w->batch1 = ND_MIN(np, b0 + w->batch_rows);
        size_t ntasks = (w->batch1 - b0 + ND_SKETCH_TASK - 1) / ND_SKETCH_TASK;
        ND_TRY(nd_exec_run(&w->x, ntasks, sketch_task, w));
        if (w->spilling) ND_TRY(spill_batch(w));
    }
    return ND_OK;
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
    r->diag = sc->in.diag;
    r->diag_user = sc->in.user;
    ND_CHECK(nd_report_text_init(r));
    w.r = r;
    w.sc = sc;
    atomic_init(&w.x.done, 0);
    w.x.cancel = &sc->cancel;
    w.x.progress = sc->progress;
    w.x.progress_user = sc->progress_user;
    for (size_t d = 0; d < r->docs.n; d++) w.x.input_bytes += r->docs.docs[d].size;
    nd_timings *tm = &r->timings;
    tm->stage[ND_STAGE_READ] = sc->read_seconds;
    tm->peak_rss[ND_STAGE_READ] = peak_rss_bytes();
    tm->memory_limit = r->opt.memory_limit ? r->opt.memory_limit : default_memory_limit();
#define ND_LAP(stage_)                                                         \
    do {                                                                       \
        t1 = now_seconds();                                                    \
        tm->stage[stage_] += t1 - t0;                                          \
        tm->peak_rss[stage_] = peak_rss_bytes();                               \
        t0 = t1;                                                               \
        ND_CHECK(nd_exec_check(&w.x));                                            \
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
        nd_reader_init(&w.x.wk[t].rd, &r->docs);
        nd_reader_init(&w.x.wk[t].rb, &r->docs);
        nd_shingler_init(&w.x.wk[t].sa, &r->opt);
        nd_shingler_init(&w.x.wk[t].sb, &r->opt);
        if (!(w.x.wk[t].sig = nd_mallocn(r->opt.num_perm, sizeof *w.x.wk[t].sig))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    }
    ND_CHECK(nd_minhash_init(&w.mh, r->opt.num_perm, r->opt.seed));

    ND_CHECK(nd_exec_check(&w.x));
    w.limit = tm->memory_limit;
    w.fusing = 1; /* falls back to a separate sketch stage when too large */
    atomic_init(&w.fuse_off, 0);
    atomic_init(&w.fuse_rows, 0);
    ND_CHECK(stage_split(&w));
    ND_LAP(ND_STAGE_SPLIT);

    size_t np = r->pt.n;
    size_t n1 = np ? np : 1;
    ND_CHECK(plan_memory(&w, tm->memory_limit));
    if (w.fusing && w.spilling) { /* cannot happen (same bound); be safe */
        for (size_t i = 0; i < w.nranges; i++) nd_range_sketch_release(&w.rsk[i]);
        free(w.rsk);
        w.rsk = NULL;
        w.fusing = 0;
    }
    if (!r->chars) r->chars = nd_mallocn(n1, sizeof *r->chars);
    r->cluster = nd_mallocn(n1, sizeof *r->cluster);
    r->sim = nd_calloc(n1, sizeof *r->sim);
    if (!w.state) w.state = nd_mallocn(n1, sizeof *w.state);
    if (!w.ekey) w.ekey = nd_mallocn(n1, sizeof *w.ekey);
    if (!w.fusing) w.bkeys = nd_mallocn(w.batch_rows, (size_t)w.bands * sizeof *w.bkeys);
    if (!r->chars || !r->cluster || !r->sim || !w.state || !w.ekey ||
        (!w.fusing && !w.bkeys)) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(nd_uf_init(&w.uf, np));

    if (w.fusing)
        nd_exec_begin(&w.x, ND_STAGE_SKETCH, 0); /* done by the split tasks */
    else
        ND_CHECK(stage_sketch(&w));
    ND_LAP(ND_STAGE_SKETCH);
    nd_exec_begin(&w.x, ND_STAGE_EXACT, 0);
    nd_exact_in exin = {.n = np, .ekey = w.ekey};
    nd_exact_out exout = {.state = w.state, .uf = &w.uf};
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
    st = nd_stage_lsh(&w.x, &lin, &lout);
    if (st == ND_ERR_IO) /* reading the spilled runs back */
        st = scanner_io_error(sc, lout.io_errno, scanner_tmpdir(sc));
    ND_CHECK(st);
    free(w.bkeys);
    w.bkeys = NULL;
    if (w.rsk)
        for (size_t i = 0; i < w.nranges; i++) nd_range_sketch_release(&w.rsk[i]);
    tm->spill_runs = w.spilling ? (uint64_t)w.nbatches * w.bands : 0;
    tm->spill_bytes = w.spill.size;
    nd_spill_close(&w.spill);
    ND_LAP(ND_STAGE_LSH);
    nd_verify_in vin = {.r = r, .pairs = &w.pairs, .limit = tm->memory_limit};
    nd_verify_out vout = {.texts = &w.texts, .uf = &w.uf};
    st = nd_stage_verify(&w.x, &vin, &vout);
    w.pass = vout.pass; /* owned by the run from here */
    w.jac = vout.jac;
    ND_CHECK(st);
    uint64_t verified = vout.verified;
    ND_LAP(ND_STAGE_VERIFY);
    nd_exec_begin(&w.x, ND_STAGE_CLUSTER, 0);
    nd_cluster_in cin = {.r = r, .uf = &w.uf, .pairs = &w.pairs, .jac = w.jac,
                         .ekey = w.ekey, .texts = &w.texts};
    nd_cluster_out cout = {.cluster = r->cluster, .sim = r->sim};
    st = nd_stage_cluster(&w.x, &cin, &cout);
    r->ncl = cout.ncl; /* the report owns them from here */
    r->cl_start = cout.cl_start;
    r->cl_members = cout.cl_members;
    ND_CHECK(st);
    r->cl_docs = nd_calloc(r->ncl ? r->ncl : 1, sizeof *r->cl_docs);
    r->cl_chars = nd_calloc(r->ncl ? r->ncl : 1, sizeof *r->cl_chars);
    if (!r->cl_docs || !r->cl_chars) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_LAP(ND_STAGE_CLUSTER);

    nd_exec_begin(&w.x, ND_STAGE_REPORT, 0);
    /* files found changed by any stage, once each, in document order */
    nd_doctab_report_changed(&r->docs, &sc->in);
    nd_summary *s = &r->sum;
    s->skipped = sc->in.skipped;
    s->candidate_pairs = w.pairs.n;
    s->verified_pairs = verified;
    s->bands = w.bands;
    s->rows = w.rows;
    s->num_perm = r->opt.num_perm;
    s->shingle = r->opt.shingle;
    s->threshold = r->opt.threshold;
    ND_CHECK(nd_report_finish(r, w.x.pool, &sc->cancel));
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
