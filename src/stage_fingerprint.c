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
 * gives nothing), normalised with its source map (nd_norm_chars_cmapped:
 * the map compact as it is written, below) and
 * winnowed (nd_winnow_params: k = min(t, 15), w = t - k + 1 for
 * t = min_passage), on the pool's threads, a range of whole documents per
 * task.  Each task puts its fingerprints - about 2 / (w + 1) per character,
 * (hash, document, position, context) records of 24 bytes - into its
 * worker's 256 buckets by the top byte of the hash, and copies them,
 * bucket after bucket, into one array of its own when it ends (buckets per
 * task, grown by doubling and freed by the grouping, made the peak
 * resident memory 50 MB higher on the 1 GB corpus), taken from its
 * worker's part arena (huge pages, unmapped at once after the grouping:
 * as a malloc each they were another 10 K of the 100 MB Chinese corpus's
 * page faults at 2 threads, 36-40 K -> 23-27 K).  Each bucket is then
 * gathered from the tasks' buckets in task order (so in document and
 * position order), sorted by hash (nd_sort_fp_top: one counting pass on
 * the next bits and an insertion sort; stable, so equal hashes keep
 * document and position order) and grouped, by its own task on the pool's
 * threads.  (A serial scatter of all tasks' fingerprints into one array
 * of buckets, then a seven-pass LSD radix sort of each bucket, was 8.4 %
 * of the 1 GB bench corpus's `scan --passages` CPU samples at 2 threads;
 * this is 4.4 %, none of it serial.  An earlier global sort of (hash,
 * index) keys looked documents and positions up at random and ran on one
 * thread.)  The groups:
 *   - a hash repeated more than ND_FP_MAX_OCC times in one document (a
 *     separator line, a repeated word) is dropped for that document, as
 *     compare does, so a degenerate document cannot make quadratic work;
 *   - a hash found in more than common_docs documents is common text
 *     (boilerplate, a licence header): counted, and given no seeds, so that
 *     boilerplate never causes quadratic work either;
 *   - otherwise every pair of its places gives a seed (a, pa, b, pb) with
 *     (a, pa) < (b, pb); two places in one document must not overlap
 *     (pb >= pa + k), so a run like "abababab" does not pair with itself.
 * Lone seeds.  Most pairs of documents of a large corpus share one chance
 * k-gram and nothing more: on the 1 GB bench corpus 4.58 M pairs had 7.04
 * M seeds, and their 6.16 M fragments averaged 24 characters.  A pair of
 * one seed has one fragment, a passage only if it reaches min_passage =
 * w + k - 1 characters, that is at least (w - 1) / 2 around the seed's
 * k-gram on one side - k or more when (w - 1) / 2 >= k (min_passage >=
 * 3k: the default 50 with k = 15).  So each fingerprint carries 15 bits of
 * the hashes of the k-grams just before and just after it (nd_winnow_ctx),
 * each seed whether its places agree on one of them, and a pair left with
 * one seed that agrees on neither is dropped when the seeds are sorted: it
 * could not give a passage (tests/test_passages.c plants lone runs of
 * exactly min_passage).  The 1 GB corpus keeps 3.43 M seeds of 7.04 M;
 * each dropped one was a read of two texts at places seldom in the caches
 * (the first compare of the extension was its costliest instruction).
 * The buckets' seeds are sorted by (a, b, diagonal pa - pb, pa): scattered
 * by a into ranges of documents, each range sorted by its own task on the
 * pool's threads - a radix sort by pair, then each pair's few seeds by
 * diagonal (one sort of all seeds on one thread was 1.1 s of the 1 GB
 * bench corpus's passage stage).  That is the order in which the extension
 * walks them (on one diagonal, a seed inside a match already extended is
 * skipped in O(1), as in compare.c); being a total order it is a pure
 * function of the input - the same for any thread count.
 *
 * The normalised texts.  The alignment needs each document's normalised
 * text and byte map again, once per pair of
 * documents it is in; normalising it again per pair was the whole cost of
 * the stage on a large corpus (1 GB: the alignment ran for more than ten
 * minutes).  So this stage keeps every text it made: in memory while
 * keep_bytes allow (scan: a quarter of the memory limit), copied into its
 * worker's arena (nd_arena, util.c: huge pages; as one malloc each, fresh
 * 4 KiB pages, the kept texts took 70 % of the run's page faults - 100 MB
 * Chinese bench corpus, 2 threads, 80-83 K faults, now 36-40 K, 0.2-0.5 s
 * less system time), the others in a
 * private spill file per worker (unlinked at creation; only neardup writes
 * it, so mapping it cannot fault the way a mapped input can), mapped
 * read-only once the stage ends; if no spill file can be written the text
 * is just not kept and is normalised again.  A kept text's code points are
 * as narrow as they fit - 1 byte each when all are below 256 (English,
 * most Latin text after case folding), 2 below 65,536 (Chinese, the rest of
 * the BMP), else 4 - and the extension compares them across widths
 * (align.c).  On this VM a fresh page costs more than the work done on it
 * (util.c, "Memory"), so the kept bytes are the stage's largest cost: with
 * 4-byte code points keep_text's page faults were 16 % of the 1 GB Chinese
 * corpus's `scan --passages` samples (2 threads); narrowed, the run took
 * 8.13 s instead of 9.40 (system time 4.27 s instead of 6.13, peak
 * resident 2.29 GB instead of 2.63), and the 100 MB English one 1.90 s
 * instead of 2.42 (0.65 GB instead of 0.89; medians of three alternated
 * runs, bench/README "Passages speed, round 4").  A kept map is packed
 * (nd_pmap, text.h) unless a step or a span reaches 255 bytes: the
 * normaliser writes a compact map (nd_cmap: the step from the last
 * character's begin and the span, a byte each, and every 64th begin
 * offset) directly, in one pass (no offsets of 8 bytes a character to
 * allocate, fault in and pack: callgrind on a 20 MB Chinese corpus, 1
 * thread, normalisation and packing 583 M -> 537 M instructions), and the
 * worker packs that into its scratch - the text's usual step and span
 * once, a bit per character, the others' pairs apart - and copies it
 * where the text is kept: about half a byte a character for Chinese and
 * 0.7 for the English bench text (2.06 compact), so a kept character takes
 * 2.5 bytes (Chinese) or 1.7 (English) with its code point, where it took
 * 4.1 and 3.1.  The offsets were 64-bit (20 bytes a character);
 * 32-bit ones (12) and then the compact map took the English 100 MB bench
 * corpus's peak resident memory with --passages from 1.84 to 1.23 to 0.76
 * GB (1 thread; system time 2.0 -> 1.0 s), the 1 GB Chinese one's from 4.2
 * to 2.6 GB (2 threads; system time 10.5 -> 4.7 s).  A document over 4 GiB
 * (ND_MAP_MAX), or of more than 2^32 normalised characters, gets no
 * fingerprints: it has no passages (its paragraphs are clustered as ever).
 *
 * Distributed (nd_fingerprint_in.xchg; neardup-mpi, src/mpi/mpi_scan.c).
 * Each process fingerprints its own documents, [doc_first, doc_end), as
 * above.  Its tasks' buckets are joined bucket by bucket (so each in
 * document order) and handed to the exchange, which gives every process
 * the fingerprints of the buckets it groups, from each process in document
 * order: gathered source after source, a bucket is what one process would
 * gather from its tasks, and its groups - hence its seeds and its common
 * k-grams - are the same.  The seeds a process's groups give go through
 * the second exchange to the process that aligns their pair; there they
 * are sorted as above, so the lone-seed rule sees all of a pair's seeds,
 * and the process keeps the texts of the documents they name that it did
 * not fingerprint (normalised once each, by the same tasks, keeping only:
 * keep_foreign), so the alignment reads each once.  Both exchanges are
 * called by every process, also after a failure (with nothing to give),
 * and return any process's failure to all.
 *
 * Memory.  The fingerprints, 24 bytes each, are kept in the tasks' parts
 * while in->fp_bytes allow (scan: a quarter of the memory limit, beside
 * the texts' quarter); past it a task appends its part, bucket after
 * bucket, to its worker's spill file (unlinked, in tmpdir), and the
 * grouping reads each bucket's slice of it back (part_slice), so the
 * grouping holds one bucket per worker (in two copies while it is sorted:
 * with the buckets spread, about 1/256 of the fingerprints each).  The
 * same seeds either way (tests/test_passages.c).  On the 1 GB Chinese
 * corpus under --memory 1G (2 threads) 603 MB of fingerprints and texts
 * went to spill files, with the same report.  Not yet: the seeds live in
 * memory (16 bytes, 48 while sorted; 3.4 M on the 1 GB corpus), and so
 * does what a distributed run receives for its buckets.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "introsort.h"
#include "nd_internal.h"
#include "spill.h"
#include "stage.h"
#include "text.h"
#include "winnow.h"

/* A selected k-gram's hash as the buckets and the groups see it:
 * multiplied by this odd constant, a bijection (equal hashes stay equal,
 * different ones different).  A selected hash is the smallest of a window
 * of w, so its top bits are mostly zeros - with w = 36 it lies in the
 * lowest 256th of the range 13 % of the time - and buckets by the raw top
 * byte were few and uneven: one bucket's task grouped 13 % of the
 * fingerprints (and each worker's two copies of the largest bucket it
 * sorted were that large: spread, the 1 GB Chinese corpus's `scan
 * --passages`, 2 threads, peaks at 1.63 GB instead of 1.82, with 3.8-4.2
 * s of system time instead of 4.7-6.6), and a distributed run, whose ranks
 * group ranges of buckets, gave one rank of two all of them (1.87 M seeds
 * on the 100 MB Chinese passages corpus, none to the other). */
#define ND_FP_SPREAD     UINT64_C(0x9E3779B97F4A7C15)
#define ND_FP_MAX_OCC    64u        /* places of one hash in one document */
#define ND_FP_TASK_BYTES (1u << 20) /* input bytes per task, at least */

/* One task's fingerprints, bucket (the top bits of the hash) after bucket,
 * each in document and position order: bucket b is fp[start[b] ..
 * start[b + 1] - 1].  fp is in its worker's part arena (fp_work.parts). */
typedef struct fp_part {
    nd_fp *fp;
    size_t start[ND_FP_BUCKETS + 1];
    int spilled;   /* 1: fp is NULL and the buckets are in the spill file */
    unsigned file; /* of worker `file` (fp_work.fpspill), */
    uint64_t off;  /* from this byte on, one after the other */
} fp_part;

/* A worker's buckets, filled by a task and copied into its part when it
 * ends (so they are allocated once per worker, not per task), and its
 * winnowing arrays. */
typedef struct fp_wk {
    nd_fp *b[ND_FP_BUCKETS];
    size_t n[ND_FP_BUCKETS], cap[ND_FP_BUCKETS];
    uint64_t *scratch, *hash;
    uint32_t *pos, *ctx;
    size_t scap, cap_fp;
    uint8_t *narrow; /* a spilled text's code points narrowed */
    size_t narrow_cap;
    uint64_t *packed; /* a text's map packed (nd_pmap) */
    size_t packed_cap;
} fp_wk;

typedef struct fp_work {
    atomic_uint_fast64_t kept; /* bytes of normalised texts kept */
    atomic_int spill_failed;   /* a spill file could not be written */
    nd_spill *spill;           /* per worker; fd -1 until first used */
    nd_exec *x;
    const nd_fingerprint_in *in;
    nd_fingerprint_out *out;
    size_t *range;                /* nranges + 1 first documents (list: first places in it) */
    const size_t *list;           /* NULL, or the documents the tasks take (keep_foreign) */
    int keep_only;                /* the tasks only keep the texts (keep_foreign) */
    fp_part *part;                /* per range */
    fp_wk *wk;                    /* per worker */
    nd_arena *parts;              /* per worker: its tasks' fp_part.fp, freed together
                        once grouped (huge pages, like the kept texts) */
    nd_spill *fpspill;            /* per worker: the parts past in->fp_bytes (fd -1
                           until first used) */
    atomic_uint_fast64_t fp_held; /* bytes of parts in memory */
    unsigned k, w;
} fp_work;

/* Forgets a part's fingerprints (their memory is the part arenas'). */
static void fp_part_release(fp_part *p) { memset(p, 0, sizeof *p); }

/* Unmaps the part arenas (every fp_part.fp). */
static void parts_release(fp_work *v, unsigned threads) {
    if (v->parts)
        for (unsigned k = 0; k < threads; k++) nd_arena_release(&v->parts[k]);
}

/* Bucket b of part p (m fingerprints) into dst: copied, or read back from
 * the spill file that holds it (ND_ERR_IO when that fails). */
static nd_status part_slice(const nd_spill *fpspill, const fp_part *p, size_t b, nd_fp *dst) {
    size_t m = p->start[b + 1] - p->start[b];
    if (!m) return ND_OK;
    if (!p->spilled) {
        memcpy(dst, p->fp + p->start[b], m * sizeof *dst);
        return ND_OK;
    }
    return nd_spill_read(&fpspill[p->file], p->off + (uint64_t)p->start[b] * sizeof *dst, dst,
                         m * sizeof *dst);
}

/* The task's buckets (the worker's, total fingerprints) into its part p:
 * in the worker's part arena while in->fp_bytes allow, else appended to the
 * worker's spill file (in memory after all when that cannot be written). */
static nd_status part_store(fp_work *v, unsigned worker, fp_wk *wk, fp_part *p, size_t total) {
    const uint64_t bytes = (uint64_t)total * sizeof *p->fp;
    const uint64_t cap = v->in->fp_bytes ? v->in->fp_bytes : UINT64_MAX;
    if (atomic_fetch_add(&v->fp_held, bytes) + bytes > cap && total) {
        nd_spill *sp = &v->fpspill[worker];
        int ok = sp->fd >= 0 || nd_spill_open(sp, v->in->tmpdir, NULL) == ND_OK;
        uint64_t first = sp->size, off = 0;
        for (size_t b = 0, at = 0; ok && b < ND_FP_BUCKETS; b++) {
            p->start[b] = at;
            if (wk->n[b])
                ok = nd_spill_write(sp, wk->b[b], wk->n[b] * sizeof *p->fp, &off) == ND_OK;
            at += wk->n[b];
        }
        if (ok) {
            atomic_fetch_sub(&v->fp_held, bytes);
            p->spilled = 1;
            p->file = worker;
            p->off = first;
            p->start[ND_FP_BUCKETS] = total;
            return ND_OK;
        }
        /* (a part written in part leaves bytes nothing points to) */
    }
    if (total > SIZE_MAX / sizeof *p->fp ||
        !(p->fp = nd_arena_alloc(&v->parts[worker], total * sizeof *p->fp)))
        return ND_ERR_NOMEM;
    for (size_t b = 0, at = 0; b < ND_FP_BUCKETS; b++) {
        p->start[b] = at;
        if (wk->n[b]) memcpy(p->fp + at, wk->b[b], wk->n[b] * sizeof *p->fp);
        at += wk->n[b];
    }
    p->start[ND_FP_BUCKETS] = total;
    return ND_OK;
}

static void fp_wk_release(fp_wk *k) {
    for (size_t b = 0; b < ND_FP_BUCKETS; b++) free(k->b[b]);
    free(k->scratch);
    free(k->hash);
    free(k->pos);
    free(k->ctx);
    free(k->narrow);
    free(k->packed);
    memset(k, 0, sizeof *k);
}

/* The narrowest width (1, 2 or 4 bytes) that holds every code point of
 * cps[0..n-1]. */
static unsigned char cp_width(const uint32_t *cps, size_t n) {
    uint32_t all = 0;
    for (size_t i = 0; i < n; i++) all |= cps[i];
    return all < 0x100 ? 1 : all < 0x10000 ? 2 : 4;
}

/* cps[0..n-1] into dst, width bytes each (cp_width's or wider). */
static void cp_store(void *dst, const uint32_t *cps, size_t n, unsigned width) {
    if (width == 4) {
        if (n) memcpy(dst, cps, n * sizeof *cps);
    } else if (width == 2) {
        uint16_t *d = dst;
        for (size_t i = 0; i < n; i++) d[i] = (uint16_t)cps[i];
    } else {
        uint8_t *d = dst;
        for (size_t i = 0; i < n; i++) d[i] = (uint8_t)cps[i];
    }
}

/* Bytes of a kept text's code points, padded to 8 (the map after them
 * stays aligned). */
static size_t cp_bytes(size_t n, unsigned width) { return (n * width + 7) / 8 * 8; }

/* Writes a normalised text to the worker's spill file - code points, width
 * bytes each (padded to 8 bytes), then the compact map (cmap, padded to 8
 * bytes) or else the begin and end offsets - and marks *t as spilled there.
 * buf is the worker's scratch for the narrowed code points.  On any failure
 * the text is simply not kept (the alignment normalises it again): the
 * spill only saves time. */
static void spill_text(fp_work *v, unsigned worker, const uint32_t *cps, unsigned char width,
                       const nd_map_off *beg, const nd_map_off *end, const void *pm, size_t mb,
                       size_t n, nd_norm_text *t) {
    static const uint8_t pad[8];
    nd_spill *sp = &v->spill[worker];
    fp_wk *wk = &v->wk[worker];
    uint64_t off, o;
    size_t cb = n * width;
    if (atomic_load(&v->spill_failed)) return;
    if (width < 4) { /* narrowed in the worker's scratch */
        if (ND_GROW(wk->narrow, wk->narrow_cap, cb) != ND_OK) goto fail;
        cp_store(wk->narrow, cps, n, width);
    }
    if (sp->fd < 0 && nd_spill_open(sp, v->in->tmpdir, NULL) != ND_OK) goto fail;
    if (nd_spill_write(sp, width < 4 ? (const void *)wk->narrow : (const void *)cps, cb, &off) !=
            ND_OK ||
        (cb % 8 && nd_spill_write(sp, pad, 8 - cb % 8, &o) != ND_OK))
        goto fail;
    if (pm) { /* packed (nd_pmap), mb bytes */
        if (nd_spill_write(sp, pm, mb, &o) != ND_OK ||
            (mb % 8 && nd_spill_write(sp, pad, 8 - mb % 8, &o) != ND_OK))
            goto fail;
    } else if (nd_spill_write(sp, beg, n * sizeof *beg, &o) != ND_OK ||
               nd_spill_write(sp, end, n * sizeof *end, &o) != ND_OK) {
        goto fail;
    }
    *t = (nd_norm_text){
        .n = n, .width = width, .kept = 2, .file = worker, .off = off, .compact = pm != NULL};
    return;
fail:
    atomic_store(&v->spill_failed, 1);
}

/* Copies a normalised text into the worker's arena (code points, width
 * bytes each, then the compact map or the begin and end offsets) and marks
 * *t as kept there: the arena's huge pages take the faults that the kept
 * mallocs took one 4 KiB page at a time, and the normaliser's blocks, freed
 * by the caller, are reused for the next document (util.c, "Arenas"). */
static nd_status keep_text(nd_arena *a, const uint32_t *cps, unsigned char width,
                           const nd_map_off *beg, const nd_map_off *end, const void *pm, size_t mb,
                           size_t n, nd_norm_text *t) {
    size_t cb = cp_bytes(n, width);
    uint8_t *p = nd_arena_alloc(a, cb + mb);
    if (!p) return ND_ERR_NOMEM;
    cp_store(p, cps, n, width);
    *t = (nd_norm_text){.cps = p, .width = width, .n = n, .kept = 1};
    if (pm) {
        if (mb) memcpy(p + cb, pm, mb);
        t->cmap = p + cb;
        t->compact = 1;
    } else {
        t->beg = (nd_map_off *)(void *)(p + cb);
        t->end = t->beg + n;
        if (n) {
            memcpy(t->beg, beg, n * sizeof *beg);
            memcpy(t->end, end, n * sizeof *end);
        }
    }
    return ND_OK;
}

/* Frees a document's normalised characters and maps and clears the
 * pointers. */
static void text_drop(uint32_t **cps, nd_map_off **beg, nd_map_off **end, void **cmap) {
    free(*cps);
    free(*beg);
    free(*end);
    free(*cmap);
    *cps = NULL;
    *beg = *end = NULL;
    *cmap = NULL;
}

static nd_status fp_task(void *ctx, size_t t, unsigned worker) {
    fp_work *v = ctx;
    const nd_fingerprint_in *in = v->in;
    fp_wk *wk = &v->wk[worker];
    nd_reader *rd = &v->x->wk[worker].rd;
    nd_status st = ND_OK;
    nd_norm nm;
    uint32_t *cps = NULL;
    nd_map_off *beg = NULL, *end = NULL;
    void *cmap = NULL;
    size_t nch = 0;
    uint64_t bytes = 0;
    nd_norm_init(&nm, in->norm_flags);
    for (size_t at = v->range[t]; at < v->range[t + 1]; at++) {
        const size_t d = v->list ? v->list[at] : at;
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
        st = nd_norm_chars_cmapped(&nm, data, size, &cps, &cmap, &beg, &end, &nch);
        if (st == ND_ERR_TOO_LARGE) { /* over ND_MAP_MAX bytes: no passages */
            st = ND_OK;
            continue;
        }
        ND_CHECK(st);
        if (nch > UINT32_MAX) { /* positions are 32-bit: no passages */
            text_drop(&cps, &beg, &end, &cmap);
            continue;
        }
        size_t nfp = 0;
        if (!v->keep_only) {
            v->out->doc_chars[d] = nch;
            ND_CHECK(nd_winnow_ctx(cps, nch, v->k, v->w, &wk->hash, &wk->pos, &wk->ctx, &wk->cap_fp,
                                   &nfp, &wk->scratch, &wk->scap));
        }
        for (size_t i = 0; i < nfp; i++) { /* into the worker's buckets */
            const uint64_t hm = wk->hash[i] * ND_FP_SPREAD;
            size_t b = hm >> ND_FP_BUCKET_SHIFT;
            if (wk->n[b] == wk->cap[b]) ND_CHECK(ND_GROW(wk->b[b], wk->cap[b], wk->n[b] + 1));
            wk->b[b][wk->n[b]++] = (nd_fp){hm, (uint32_t)d, wk->pos[i], wk->ctx[i], 0};
        }
        /* kept for the alignment, its map compact where it can be
         * (nd_cmap), its code points as narrow as they fit (cp_width): in
         * memory while there is room, else in the spill file (which ones
         * does not change the result) */
        const unsigned char width = cp_width(cps, nch);
        size_t mb = nch * 2 * sizeof(nd_map_off);
        if (cmap) { /* packed (nd_pmap) in the worker's scratch */
            nd_cmap raw;
            nd_cmap_at(cmap, nch, &raw);
            ND_CHECK(ND_GROW(wk->packed, wk->packed_cap, (nd_pmap_max_bytes(nch) + 7) / 8));
            mb = nd_pmap_pack(&raw, nch, wk->packed);
        }
        const void *pm = cmap ? wk->packed : NULL;
        uint64_t need = cp_bytes(nch, width) + (uint64_t)mb;
        if (atomic_fetch_add(&v->kept, need) + need <= in->keep_bytes) {
            ND_CHECK(keep_text(&v->out->arenas[worker], cps, width, beg, end, pm, mb, nch,
                               &v->out->texts[d]));
        } else if (nch) {
            spill_text(v, worker, cps, width, beg, end, pm, mb, nch, &v->out->texts[d]);
        }
        text_drop(&cps, &beg, &end, &cmap);
    }
    if (!v->keep_only) { /* the task's buckets, one after another into its part */
        size_t total = 0;
        for (size_t b = 0; b < ND_FP_BUCKETS; b++) total += wk->n[b];
        ND_CHECK(part_store(v, worker, wk, &v->part[t], total));
        for (size_t b = 0; b < ND_FP_BUCKETS; b++) wk->n[b] = 0;
    }
    nd_exec_done(v->x, worker, bytes);
out:
    for (size_t b = 0; b < ND_FP_BUCKETS; b++) wk->n[b] = 0; /* (after a failure) */
    text_drop(&cps, &beg, &end, &cmap);
    nd_norm_release(&nm);
    return st;
}

/* Seeds of one pair of documents: by diagonal, then position in a. */
/* Maps each worker's spill file read-only and points the spilled texts
 * into it; a file that cannot be mapped leaves its texts not kept. */
static void map_spilled(fp_work *v, nd_fingerprint_out *out) {
    for (unsigned k = 0; k < out->nmaps; k++) {
        nd_spill *sp = &v->spill[k];
        if (sp->fd >= 0 && sp->size > 0 && sp->size <= SIZE_MAX) {
            void *m = mmap(NULL, (size_t)sp->size, PROT_READ, MAP_SHARED, sp->fd, 0);
            if (m != MAP_FAILED) out->maps[k] = (nd_text_map){m, (size_t)sp->size};
        }
        nd_spill_close(sp); /* the mapping keeps the unlinked file */
    }
    for (size_t d = 0; d < out->ndocs; d++) {
        nd_norm_text *t = &out->texts[d];
        if (t->kept != 2) continue;
        const nd_text_map *m = &out->maps[t->file];
        const size_t cb = cp_bytes(t->n, t->width);
        /* the packed map's size is in its header (nd_pmap_head bytes) */
        size_t mb = t->compact ? nd_pmap_head(t->n) : 2 * t->n * sizeof(nd_map_off);
        if (!m->base || t->off > m->len || cb + mb > m->len - t->off) {
            *t = (nd_norm_text){0};
            continue;
        }
        uint8_t *p = (uint8_t *)m->base + t->off;
        if (t->compact && (mb = nd_pmap_size(p + cb, t->n)) > m->len - t->off - cb) {
            *t = (nd_norm_text){0};
            continue;
        }
        t->cps = p;
        if (t->compact) {
            t->cmap = p + cb;
        } else {
            t->beg = (nd_map_off *)(void *)(p + cb);
            t->end = t->beg + t->n;
        }
    }
}

/* A bucket's seeds and its count of common k-grams. */
typedef struct fp_bucket {
    nd_seed *seeds;
    uint8_t *one; /* per seed: its places may share k characters on a side */
    size_t n, cap, one_cap;
    uint64_t common;
} fp_bucket;

/* The seed sort: the seeds scattered by their first document into ranges
 * of documents, each range sorted by its own task. */
typedef struct sort_work {
    nd_seed *seeds; /* range after range */
    uint8_t *one;   /* per seed (nd_winnow_ctx_side of its places) */
    int drop;       /* drop pairs of one seed whose one[] is 0 */
    size_t *start;  /* nranges + 1 first seeds */
    size_t *kept;   /* per range: its seeds left */
    nd_key32 **kv;  /* per worker: keys, radix scratch, sorted seeds */
    nd_key32 **tmp;
    nd_seed **sorted;
    size_t *cap;
} sort_work;

/* The seeds s[0..n-1] of one pair by (diagonal, pa): one to three, mostly,
 * by insertion. */
/* One pair's seeds by diagonal (pa - pb), then pa.  Seeds equal in this
 * order are equal (one pair, one diagonal, one pa), so the order is total
 * and the sort (introsort.h) need not be stable. */
#define ND_SEED_DIAG_LESS(x, y)                                                                    \
    ((int64_t)(x).pa - (x).pb != (int64_t)(y).pa - (y).pb                                          \
         ? (int64_t)(x).pa - (x).pb < (int64_t)(y).pa - (y).pb                                     \
         : (x).pa < (y).pa)
ND_INTROSORT(sort_by_diag, nd_seed, ND_SEED_DIAG_LESS)

/* One pair's seeds s[0..n-1] by (diagonal, pa) with the radix sort, for a
 * pair of many seeds (two documents that repeat the same lines, where a
 * fingerprint found p times in one and q in the other gives p x q seeds:
 * one pair of the real Debian text of bench/README round 12 has 1.2 M, and
 * the introsort's comparisons of diagonals were 8.7 % of that run's
 * samples).  The key is (diagonal + 2^31) << 32 | pa, so both documents'
 * positions must be below 2^31 (else the introsort); kv and tmp have room
 * for n entries each (the range's pair keys, free again by now, and its
 * scratch).  The order is sort_by_diag's. */
#define ND_SEED_RADIX_MIN 256
static void sort_pair_radix(nd_seed *s, size_t n, nd_key32 *kv, nd_key32 *tmp) {
    for (size_t i = 0; i < n; i++)
        if ((s[i].pa | s[i].pb) >> 31) {
            sort_by_diag(s, n);
            return;
        }
    for (size_t i = 0; i < n; i++) {
        uint32_t diag = (uint32_t)((int64_t)s[i].pa - s[i].pb + ((int64_t)1 << 31));
        kv[i] = (nd_key32){.key = (uint64_t)diag << 32 | s[i].pa, .val = (uint32_t)i};
    }
    nd_sort_key32(kv, tmp, n);
    _Static_assert(sizeof(nd_seed) <= sizeof(nd_key32), "a seed fits in a key's place");
    nd_seed *out = (nd_seed *)(void *)tmp;
    for (size_t i = 0; i < n; i++) out[i] = s[kv[i].val];
    memcpy(s, out, n * sizeof *s);
}

/* Sorts one range's seeds by (a, b, diagonal, pa): a radix sort by the pair,
 * then each pair's seeds (one or two, typically) by diagonal - a quarter of
 * the comparisons of one qsort of all of them. */
static nd_status sort_range(void *ctx, size_t t, unsigned worker) {
    sort_work *g = ctx;
    nd_seed *sd = g->seeds + g->start[t];
    size_t n = g->start[t + 1] - g->start[t];
    g->kept[t] = n;
    if (n == 1 && g->drop && !g->one[g->start[t]]) g->kept[t] = 0;
    if (n < 2) return ND_OK;
    if (n > g->cap[worker]) {
        size_t c1 = g->cap[worker], c2 = c1, c3 = c1;
        ND_TRY(ND_GROW(g->kv[worker], c1, n));
        ND_TRY(ND_GROW(g->tmp[worker], c2, n));
        ND_TRY(ND_GROW(g->sorted[worker], c3, n));
        g->cap[worker] = ND_MIN(c1, ND_MIN(c2, c3));
    }
    nd_key32 *kv = g->kv[worker];
    nd_seed *sorted = g->sorted[worker];
    for (size_t i = 0; i < n; i++)
        kv[i] = (nd_key32){.key = (uint64_t)sd[i].a << 32 | sd[i].b, .val = (uint32_t)i};
    nd_sort_key32(kv, g->tmp[worker], n);
    const uint8_t *one = g->one + g->start[t];
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && kv[j].key == kv[i].key) j++;
        if (j - i == 1 && g->drop && !one[kv[i].val]) { /* no passage: see above */
            i = j;
            continue;
        }
        for (size_t q = i; q < j; q++) sorted[m + q - i] = sd[kv[q].val];
        if (j - i >= ND_SEED_RADIX_MIN)
            sort_pair_radix(sorted + m, j - i, kv + i, g->tmp[worker]);
        else if (j - i > 1)
            sort_by_diag(sorted + m, j - i);
        m += j - i;
        i = j;
    }
    memcpy(sd, sorted, m * sizeof *sd);
    g->kept[t] = m;
    return ND_OK;
}

/* The buckets' seeds, joined and sorted by (a, b, diagonal, pa) into
 * out->seeds: scattered in bucket order into ranges of first documents of
 * about the same number of seeds, and the ranges sorted on the pool's
 * threads (the one sort of all seeds on one thread was a tenth of the
 * passage stage on the 1 GB bench corpus).  The order is a total one
 * (seeds equal in it are equal), so it does not depend on the ranges. */
static nd_status sort_seeds(nd_exec *x, fp_bucket *bk, size_t nb, size_t ndocs, int drop,
                            nd_fingerprint_out *out) {
    nd_status st = ND_OK;
    sort_work g = {0};
    size_t ns = 0, nr = 0, *count = NULL, *rng = NULL;
    for (size_t b = 0; b < nb; b++) ns += bk[b].n;
    if (ns == 0) return ND_OK;
    if (ns > UINT32_MAX) return ND_ERR_INVALID;
    count = nd_calloc(ndocs + 1, sizeof *count);
    g.start = nd_mallocn(ndocs + 2, sizeof *g.start);
    g.kept = nd_mallocn(ndocs + 1, sizeof *g.kept);
    g.one = nd_mallocn(ns, 1);
    g.drop = drop;
    rng = nd_mallocn(ndocs + 1, sizeof *rng);
    out->seeds = nd_mallocn(ns, sizeof *out->seeds);
    g.kv = nd_calloc(x->threads, sizeof *g.kv);
    g.tmp = nd_calloc(x->threads, sizeof *g.tmp);
    g.sorted = nd_calloc(x->threads, sizeof *g.sorted);
    g.cap = nd_calloc(x->threads, sizeof *g.cap);
    if (!count || !g.start || !g.kept || !g.one || !rng || !out->seeds || !g.kv || !g.tmp ||
        !g.sorted || !g.cap) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    out->seed_cap = ns;
    for (size_t b = 0; b < nb; b++)
        for (size_t i = 0; i < bk[b].n; i++) count[bk[b].seeds[i].a]++;
    /* ranges of whole documents, about 16 per thread: rng[d] */
    size_t target = ns / ((size_t)x->threads * 16) + 1, acc = 0, at = 0;
    g.start[0] = 0;
    for (size_t d = 0; d < ndocs; d++) {
        rng[d] = nr;
        acc += count[d];
        if (acc >= target || d + 1 == ndocs) {
            at += acc;
            g.start[++nr] = at;
            acc = 0;
        }
    }
    size_t *pos = count; /* reused: the next free seed of each range */
    for (size_t r = 0; r < nr; r++) pos[r] = g.start[r];
    for (size_t b = 0; b < nb; b++) {
        for (size_t i = 0; i < bk[b].n; i++) {
            size_t to = pos[rng[bk[b].seeds[i].a]]++;
            out->seeds[to] = bk[b].seeds[i];
            g.one[to] = bk[b].one[i];
        }
        free(bk[b].seeds);
        free(bk[b].one);
        bk[b].seeds = NULL;
        bk[b].one = NULL;
    }
    g.seeds = out->seeds;
    ND_CHECK(nd_exec_run(x, nr, sort_range, &g));
    for (size_t r = 0; r < nr; r++) { /* the ranges' kept seeds, joined */
        if (g.kept[r] && out->nseeds != g.start[r])
            memmove(out->seeds + out->nseeds, out->seeds + g.start[r],
                    g.kept[r] * sizeof *out->seeds);
        out->nseeds += g.kept[r];
    }
out:
    if (g.kv)
        for (unsigned k = 0; k < x->threads; k++) {
            free(g.kv[k]);
            free(g.tmp[k]);
            free(g.sorted[k]);
        }
    free(g.kv);
    free(g.tmp);
    free(g.sorted);
    free(g.cap);
    free(g.kept);
    free(g.one);
    free(g.start);
    free(rng);
    free(count);
    return st;
}

/* The grouping: each bucket's fingerprints gathered from the tasks' parts
 * (in task order, so in document and position order), sorted by hash and
 * grouped by its own task. */
typedef struct group_work {
    const nd_fingerprint_in *in;
    fp_part *part; /* per fingerprint task */
    size_t nparts;
    const nd_spill *fpspill; /* the spilled parts' files */
    nd_fp **buf, **tmp;      /* per worker: the bucket gathered, then sorted */
    size_t *cap;
    uint32_t **count; /* per worker: the sort's counters */
    fp_bucket *bk;    /* per bucket */
    unsigned k;
} group_work;

/* The seeds of one group of places sharing a hash, g[0..n-1] in (document,
 * position) order. */
static nd_status group_seeds(const nd_fp *g, size_t n, unsigned k, const nd_fingerprint_in *in,
                             fp_bucket *o) {
    for (size_t i = 0; i < n; i++) {
        uint32_t a = g[i].doc, pa = g[i].pos;
        for (size_t j = i + 1; j < n; j++) {
            uint32_t b = g[j].doc, pb = g[j].pos;
            if (a == b && pb < pa + k) continue;        /* overlapping places */
            if (!nd_fp_pair_wanted(in, a, b)) continue; /* query runs: stage.h */
            if (o->n == o->cap || o->n == o->one_cap) { /* (not a call per seed) */
                ND_TRY(ND_GROW(o->seeds, o->cap, o->n + 1));
                ND_TRY(ND_GROW(o->one, o->one_cap, o->n + 1));
            }
            o->one[o->n] = (uint8_t)nd_winnow_ctx_side(g[i].ctx, g[j].ctx);
            o->seeds[o->n++] = (nd_seed){a, b, pa, pb};
        }
    }
    return ND_OK;
}

/* Groups the sorted fingerprints v[0..n-1] by hash into seeds. */
static nd_status make_seeds(const nd_fp *v, size_t n, const nd_fingerprint_in *in, unsigned k,
                            fp_bucket *o) {
    nd_fp *keep = NULL;
    size_t cap = 0;
    nd_status st = ND_OK;
    for (size_t s = 0; s < n;) {
        size_t e = s + 1;
        while (e < n && v[e].hash == v[s].hash) e++;
        /* documents of the group, each at most ND_FP_MAX_OCC places */
        size_t ndocs = 0, m = 0;
        ND_CHECK(ND_GROW(keep, cap, e - s));
        for (size_t i = s; i < e;) {
            size_t j = i + 1;
            while (j < e && v[j].doc == v[i].doc) j++;
            ndocs++;
            if (j - i <= ND_FP_MAX_OCC)
                for (size_t q = i; q < j; q++) keep[m++] = v[q];
            i = j;
        }
        if (ndocs > in->common_docs)
            o->common++;
        else if (m > 1)
            ND_CHECK(group_seeds(keep, m, k, in, o));
        s = e;
    }
out:
    free(keep);
    return st;
}

static nd_status group_task(void *ctx, size_t t, unsigned worker) {
    group_work *g = ctx;
    size_t n = 0, at = 0;
    for (size_t r = 0; r < g->nparts; r++) n += g->part[r].start[t + 1] - g->part[r].start[t];
    if (n > g->cap[worker]) {
        size_t c1 = g->cap[worker], c2 = c1;
        ND_TRY(ND_GROW(g->buf[worker], c1, n));
        ND_TRY(ND_GROW(g->tmp[worker], c2, n));
        g->cap[worker] = ND_MIN(c1, c2);
    }
    if (!g->count[worker] &&
        !(g->count[worker] = nd_mallocn((size_t)1 << ND_FP_SORT_BITS, sizeof **g->count)))
        return ND_ERR_NOMEM;
    nd_fp *buf = g->buf[worker], *sorted = g->tmp[worker];
    for (size_t r = 0; r < g->nparts; r++) { /* in task order */
        const fp_part *p = &g->part[r];
        ND_TRY(part_slice(g->fpspill, p, t, buf + at));
        at += p->start[t + 1] - p->start[t];
    }
    nd_sort_fp_top(buf, sorted, n, 64 - ND_FP_BUCKET_SHIFT, g->count[worker]);
    return make_seeds(sorted, n, g->in, g->k, &g->bk[t]);
}

/* Distributed: the seeds of this process's buckets, joined, to the
 * processes that align their pairs (nd_fp_exchange.seeds, called whatever
 * st says); *got the seeds this one aligns.  Frees the buckets' seeds. */
static nd_status seeds_trade(const fp_work *v, fp_bucket *bk, nd_status st, fp_bucket *got) {
    size_t n = 0;
    nd_seed *s = NULL;
    uint8_t *one = NULL;
    for (size_t b = 0; bk && b < ND_FP_BUCKETS; b++) n += bk[b].n;
    if (st == ND_OK &&
        (!(s = nd_mallocn(n ? n : 1, sizeof *s)) || !(one = nd_mallocn(n ? n : 1, 1))))
        st = ND_ERR_NOMEM;
    if (st != ND_OK) n = 0;
    for (size_t b = 0, at = 0; bk && b < ND_FP_BUCKETS; b++) {
        if (n && bk[b].n) {
            memcpy(s + at, bk[b].seeds, bk[b].n * sizeof *s);
            memcpy(one + at, bk[b].one, bk[b].n);
            at += bk[b].n;
        }
        free(bk[b].seeds);
        free(bk[b].one);
        bk[b] = (fp_bucket){0};
    }
    memset(got, 0, sizeof *got);
    const nd_fp_exchange *xc = v->in->xchg;
    st = xc->seeds(xc->user, st, s, one, n, &got->seeds, &got->one, &got->n);
    got->cap = got->one_cap = got->n;
    free(s);
    free(one);
    return st;
}

/* From the tasks' fingerprints to the sorted seeds: buckets gathered,
 * sorted and grouped on the pool's threads (no serial pass over all
 * fingerprints), their seeds joined in bucket order and sorted - the same
 * whatever the thread count.  Distributed, the seeds go through the
 * exchange first (seeds_trade), which a failure before it, here or st0
 * from earlier, still reaches. */
static nd_status group_all(nd_exec *x, fp_work *v, size_t nr, nd_fingerprint_out *out,
                           nd_status st0) {
    nd_status st = st0;
    group_work g = {.in = v->in, .k = v->k, .part = v->part, .nparts = nr, .fpspill = v->fpspill};
    fp_bucket mine = {0};
    uint64_t total = 0;
    for (size_t t = 0; v->part && t < nr; t++) total += v->part[t].start[ND_FP_BUCKETS];
    out->fingerprints = total;
    g.buf = nd_calloc(x->threads, sizeof *g.buf);
    g.tmp = nd_calloc(x->threads, sizeof *g.tmp);
    g.cap = nd_calloc(x->threads, sizeof *g.cap);
    g.count = nd_calloc(x->threads, sizeof *g.count);
    g.bk = nd_calloc(ND_FP_BUCKETS, sizeof *g.bk);
    if (st == ND_OK && (!g.buf || !g.tmp || !g.cap || !g.count || !g.bk)) st = ND_ERR_NOMEM;
    if (st == ND_OK) st = nd_exec_run(x, ND_FP_BUCKETS, group_task, &g);
    if (st == ND_OK) {
        for (size_t t = 0; t < nr; t++) fp_part_release(&v->part[t]);
        parts_release(v, x->threads);
        for (unsigned k = 0; k < x->threads; k++) {
            free(g.buf[k]);
            free(g.tmp[k]);
            g.buf[k] = g.tmp[k] = NULL;
        }
        for (size_t b = 0; b < ND_FP_BUCKETS; b++) out->common += g.bk[b].common;
    }
    if (v->in->xchg) st = seeds_trade(v, g.bk, st, &mine);
    ND_CHECK(st);
    /* a pair with one seed has one fragment, a passage only if it reaches
     * min_passage = w + k - 1 characters: k of them on one side of the
     * seed's k-gram when (w - 1) / 2 >= k, unless its contexts differ */
    const int drop = (v->w - 1) / 2 >= v->k;
    if (v->in->xchg)
        ND_CHECK(sort_seeds(x, &mine, 1, out->ndocs, drop, out));
    else
        ND_CHECK(sort_seeds(x, g.bk, ND_FP_BUCKETS, out->ndocs, drop, out));
out:
    free(mine.seeds);
    free(mine.one);
    if (g.buf)
        for (unsigned k = 0; k < x->threads; k++) free(g.buf[k]);
    if (g.tmp)
        for (unsigned k = 0; k < x->threads; k++) free(g.tmp[k]);
    if (g.count)
        for (unsigned k = 0; k < x->threads; k++) free(g.count[k]);
    if (g.bk)
        for (size_t b = 0; b < ND_FP_BUCKETS; b++) {
            free(g.bk[b].seeds);
            free(g.bk[b].one);
        }
    free(g.buf);
    free(g.tmp);
    free(g.cap);
    free(g.count);
    free(g.bk);
    return st;
}

/* The tasks' ranges of whole documents, about 16 per thread, at least 1
 * MiB each, over places [first, end) - documents, or with v->list the
 * documents it names: v->range[0 .. *nr]; the ranges' bytes in *bytes. */
static nd_status fp_ranges(fp_work *v, size_t first, size_t end, size_t *nr, uint64_t *bytes) {
    const nd_doctab *dt = v->in->docs;
    uint64_t all = 0, acc = 0;
    free(v->range);
    if (!(v->range = nd_mallocn(end - first + 1, sizeof *v->range))) return ND_ERR_NOMEM;
    for (size_t i = first; i < end; i++) all += dt->docs[v->list ? v->list[i] : i].size;
    uint64_t target = ND_MAX(all / ((uint64_t)v->x->threads * 16) + 1, (uint64_t)ND_FP_TASK_BYTES);
    *nr = 0;
    v->range[0] = first;
    for (size_t i = first; i < end; i++) {
        acc += dt->docs[v->list ? v->list[i] : i].size;
        if (acc >= target || i + 1 == end) {
            v->range[++*nr] = i + 1;
            acc = 0;
        }
    }
    *bytes = all;
    return ND_OK;
}

/* Distributed: the tasks' parts joined bucket by bucket (in task order, so
 * in document order) and handed to the exchange (nd_fp_exchange
 * .fingerprints, called whatever st says); the parts are then those of the
 * sources, pointing into *got. */
static nd_status fp_trade(fp_work *v, size_t *nr, nd_status st, nd_fp **got) {
    size_t start[ND_FP_BUCKETS + 1] = {0}, *gstart = NULL, nsrc = 0, total = 0;
    nd_fp *mine = NULL;
    for (size_t t = 0; st == ND_OK && t < *nr; t++) total += v->part[t].start[ND_FP_BUCKETS];
    if (st == ND_OK && !(mine = nd_mallocn(total ? total : 1, sizeof *mine))) st = ND_ERR_NOMEM;
    for (size_t b = 0, at = 0; st == ND_OK && b < ND_FP_BUCKETS; b++) {
        start[b] = at;
        for (size_t t = 0; st == ND_OK && t < *nr; t++) {
            const fp_part *p = &v->part[t];
            st = part_slice(v->fpspill, p, b, mine + at);
            at += p->start[b + 1] - p->start[b];
        }
        start[b + 1] = at;
    }
    if (st != ND_OK) memset(start, 0, sizeof start);
    for (size_t t = 0; v->part && t < *nr; t++) fp_part_release(&v->part[t]);
    parts_release(v, v->x->threads);
    const nd_fp_exchange *xc = v->in->xchg;
    st = xc->fingerprints(xc->user, st, mine, start, got, &gstart, &nsrc);
    free(mine);
    if (st == ND_OK) {
        fp_part *np = nd_calloc(nsrc ? nsrc : 1, sizeof *np);
        if (np) {
            free(v->part);
            v->part = np;
            *nr = nsrc;
            for (size_t k = 0; k < nsrc; k++) {
                np[k].fp = *got;
                memcpy(np[k].start, gstart + k * (ND_FP_BUCKETS + 1), sizeof np[k].start);
            }
        } else {
            st = ND_ERR_NOMEM;
        }
    }
    free(gstart);
    return st;
}

/* Distributed: the texts of the documents this process's seeds name that
 * it did not fingerprint, normalised once and kept as its own are (so the
 * alignment does not normalise one again for each pair it is in). */
static nd_status keep_foreign(fp_work *v, nd_fingerprint_out *out) {
    nd_status st = ND_OK;
    const nd_fingerprint_in *in = v->in;
    size_t nd = out->ndocs, n = 0, nr = 0;
    uint64_t bytes = 0;
    unsigned char *want = nd_calloc(nd ? nd : 1, 1);
    size_t *list = NULL;
    if (!want) return ND_ERR_NOMEM;
    for (size_t i = 0; i < out->nseeds; i++) {
        const nd_seed *sd = &out->seeds[i];
        if (sd->a < in->doc_first || sd->a >= in->doc_end) want[sd->a] = 1;
        if (sd->b < in->doc_first || sd->b >= in->doc_end) want[sd->b] = 1;
    }
    for (size_t d = 0; d < nd; d++) n += want[d];
    if (!n) goto out;
    if (!(list = nd_mallocn(n, sizeof *list))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t d = 0, k = 0; d < nd; d++)
        if (want[d]) list[k++] = d;
    v->list = list;
    v->keep_only = 1;
    ND_CHECK(fp_ranges(v, 0, n, &nr, &bytes));
    ND_CHECK(nd_exec_run(v->x, nr, fp_task, v));
out:
    v->list = NULL;
    free(list);
    free(want);
    return st;
}

nd_status nd_stage_fingerprint(nd_exec *x, const nd_fingerprint_in *in, nd_fingerprint_out *out) {
    nd_status st = ND_OK;
    size_t nd = in->docs->n, nr = 0;
    fp_work v = {.x = x, .in = in, .out = out};
    nd_fp *got = NULL; /* distributed: the fingerprints this process groups */
    memset(out, 0, sizeof *out);
    nd_winnow_params(in->min_passage, &v.k, &v.w);
    atomic_init(&v.kept, 0);
    /* failures before the exchanges still reach them (fp_trade), so that
     * no other process of a distributed run waits for this one */
    if (!(out->doc_chars = nd_calloc(nd ? nd : 1, sizeof *out->doc_chars)) ||
        !(out->texts = nd_calloc(nd ? nd : 1, sizeof *out->texts)))
        st = ND_ERR_NOMEM;
    out->ndocs = nd;
    size_t first = in->xchg ? ND_MIN(in->doc_first, nd) : 0;
    size_t end = in->xchg ? ND_MIN(ND_MAX(in->doc_end, first), nd) : nd;
    uint64_t all = 0;
    if (st == ND_OK) st = fp_ranges(&v, first, end, &nr, &all);
    if (st == ND_OK && (v.spill = nd_calloc(x->threads, sizeof *v.spill)))
        for (unsigned k = 0; k < x->threads; k++) v.spill[k].fd = -1;
    if (st == ND_OK && (v.fpspill = nd_calloc(x->threads, sizeof *v.fpspill)))
        for (unsigned k = 0; k < x->threads; k++) v.fpspill[k].fd = -1;
    if (st == ND_OK &&
        (!v.spill || !v.fpspill || !(v.part = nd_calloc(nr ? nr : 1, sizeof *v.part)) ||
         !(v.wk = nd_calloc(x->threads, sizeof *v.wk)) ||
         !(v.parts = nd_calloc(x->threads, sizeof *v.parts)) ||
         !(out->maps = nd_calloc(x->threads, sizeof *out->maps)) ||
         !(out->arenas = nd_calloc(x->threads, sizeof *out->arenas))))
        st = ND_ERR_NOMEM;
    if (st == ND_OK) {
        out->nmaps = x->threads;
        for (unsigned k = 0; k < x->threads; k++) {
            nd_arena_init(&out->arenas[k], 0);
            nd_arena_init(&v.parts[k], 0);
        }
        atomic_init(&v.spill_failed, 0);
        nd_exec_begin(x, ND_STAGE_PASSAGE, all);
        st = nd_exec_run(x, nr, fp_task, &v);
    }
    if (v.wk)
        for (unsigned k = 0; k < x->threads; k++) fp_wk_release(&v.wk[k]);
    if (in->xchg) st = fp_trade(&v, &nr, st, &got); /* reached after a failure too */
    ND_CHECK(group_all(x, &v, nr, out, st));        /* and its exchange */
    if (in->xchg) ND_CHECK(keep_foreign(&v, out));
    map_spilled(&v, out);
out:
    free(got);
    if (v.fpspill)
        for (unsigned k = 0; k < x->threads; k++) {
            out->fp_spilled += v.fpspill[k].size;
            nd_spill_close(&v.fpspill[k]);
        }
    free(v.fpspill);
    if (v.part)
        for (size_t t = 0; t < nr; t++) fp_part_release(&v.part[t]);
    free(v.part);
    parts_release(&v, x->threads);
    free(v.parts);
    free(v.range);
    if (v.spill)
        for (unsigned k = 0; k < x->threads; k++) nd_spill_close(&v.spill[k]);
    free(v.spill);
    if (v.wk)
        for (unsigned k = 0; k < x->threads; k++) fp_wk_release(&v.wk[k]);
    free(v.wk);
    return st;
}

void nd_fingerprint_out_release(nd_fingerprint_out *out) {
    if (out->arenas)
        for (size_t k = 0; k < out->nmaps; k++) nd_arena_release(&out->arenas[k]);
    if (out->maps)
        for (size_t k = 0; k < out->nmaps; k++)
            if (out->maps[k].base) (void)munmap(out->maps[k].base, out->maps[k].len);
    free(out->texts);
    free(out->maps);
    free(out->arenas);
    free(out->doc_chars);
    free(out->seeds);
    memset(out, 0, sizeof *out);
}
