/*
 * stage.h - what the stages of a scan share (private): the pool and its
 * workers' scratch, cancellation and progress (nd_exec), and the states a
 * paragraph goes through.
 *
 * A stage is one file (stage_exact.c, stage_verify.c, ...) with one entry
 * point, nd_stage_NAME(nd_exec *, const nd_NAME_in *, nd_NAME_out *): the
 * input struct lists everything the stage reads, the output struct
 * everything it writes, and the stage touches nothing else.  The driver
 * (scan.c) owns the arrays and wires one stage's output to the next one's
 * input, so the index and the distributed run can call the same stages on
 * boxes they load or receive (../shared/DESIGN.md).  Tasks of a stage run
 * on x->pool and write into disjoint, preallocated slices, so no result
 * depends on the thread count.
 */
#ifndef ND_STAGE_H
#define ND_STAGE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster.h"
#include "input.h"
#include "lsh.h"
#include "neardup.h"
#include "nd_internal.h"
#include "pool.h"
#include "sketch.h"
#include "spill.h"
#include "split.h"
#include "xxh.h"

/* Bytes read ahead while sketching or fetching texts. */
#define ND_SKETCH_AHEAD ((size_t)1 << 20)

/* What the sketch and exact stages know of a paragraph. */
enum {
    ND_PARA_SHORT = 0, /* fewer than min_chars characters: never clustered */
    ND_PARA_REP = 1,   /* clusterable, and the first of its exact group */
    ND_PARA_COPY = 2   /* clusterable, an exact copy of an earlier paragraph */
};

/* Private scratch of one worker thread, reused by every stage. */
typedef struct nd_worker {
    nd_reader rd; /* bytes of paragraphs (input.h): documents, sketch
                     windows, verification's first members */
    nd_reader rb; /* verification's second members, exactly */
    nd_shingler sa, sb;
    uint32_t *sig;
    uint32_t *band; /* one band's keys gathered from the ranges (fused) */
    size_t band_cap;
    uint32_t *rowkeys; /* a range's band keys, row-major, while it is split */
    size_t rowkeys_cap;
    uint64_t *e, *etmp; /* LSH entries and sort scratch */
    size_t ecap;
    nd_pairs pairs;
} nd_worker;

/* How a stage runs: threads, their scratch, cancellation, progress. */
typedef struct nd_exec {
    nd_pool *pool;
    unsigned threads;
    nd_worker *wk;            /* threads workers */
    const atomic_int *cancel; /* non-zero: stop (ND_ERR_CANCELLED) */
    nd_progress_fn progress;  /* called on worker 0 only, or NULL */
    void *progress_user;
    nd_stage stage;
    atomic_uint_fast64_t done;
    uint64_t total;
    uint64_t input_bytes;
} nd_exec;

/* Starts counting progress of stage st towards total units. */
void nd_exec_begin(nd_exec *x, nd_stage st, uint64_t total);
/* Counts work done by a task; worker 0 (the caller's thread) reports. */
void nd_exec_done(nd_exec *x, unsigned worker, uint64_t units);
/* ND_ERR_CANCELLED once cancelled, else ND_OK. */
nd_status nd_exec_check(const nd_exec *x);
/* nd_pool_run on x's pool with x's cancel flag. */
nd_status nd_exec_run(nd_exec *x, size_t ntasks, nd_task_fn fn, void *ctx);
/* Worker k's LSH entry buffers hold at least n entries. */
nd_status nd_worker_entries(nd_worker *k, size_t n);

/* A range's sketch, staged by its split task (fused path): per paragraph of
 * the range, in range order; band keys band-major (band j of row i at
 * j * n + i) once the task is done. */
typedef struct nd_range_sketch {
    const uint32_t *bk; /* bands x n keys, band-major (in the split's bk_store) */
    size_t n;
    int done; /* every document of the range sketched */
} nd_range_sketch;

/* Frees the ranges and the blocks their keys live in (nd_split_out's rsk,
 * bk_store and nbk_store, or a driver's copies of them) and zeroes them. */
void nd_split_keys_release(nd_range_sketch **rsk, uint32_t ***bk_store, unsigned *nbk_store);

/* What nd_sketch_paragraph needs besides the text. */
typedef struct nd_sketch_params {
    const nd_options *opt; /* min_chars, seed (and the shingler's options) */
    const nd_minhash *mh;
    unsigned bands, rows;
} nd_sketch_params;

/* Sketches one paragraph's text with worker k's scratch: *chars its
 * normalised characters, *state ND_PARA_SHORT or ND_PARA_REP, and for a
 * clusterable one *ekey its exact key and keys[0 .. bands - 1] its band
 * keys.  ND_ERR_NOMEM. */
nd_status nd_sketch_paragraph(const nd_sketch_params *sp, nd_worker *k, const uint8_t *text,
                              size_t len, uint32_t *chars, unsigned char *state,
                              XXH128_hash_t *ekey, uint32_t *keys);

/* --- 1. split (stage_split.c) --- */
typedef struct nd_split_in {
    const nd_options *opt; /* split, max_paragraph_bytes */
    nd_doctab *docs;       /* the documents (read; one that changed is
                               marked, an atomic flag of the input layer) */
    const char *tmpdir;    /* private copies of documents over ND_WHOLE_MAX */
    nd_sketch_params sk;   /* for the fused sketch */
    int fuse;              /* sketch while splitting, when it fits */
    uint64_t limit;        /* the memory limit */
    /* Only documents [doc_first, doc_end) (doc_end 0: all of them), as one
     * rank of a distributed run splits its share (src/mpi/mpi_scan.c): the
     * paragraphs keep their global document ids, the per-document arrays
     * stay zero outside the share. */
    size_t doc_first, doc_end;
    /* And of document doc_first only the paragraphs from its cut point at
     * or after byte first_at (nd_split_cut; 0: from its start), of document
     * doc_end - 1 only those before its cut point at or after byte end_at
     * (0: to its end): one large document cut across ranks. */
    uint64_t first_at, end_at;
    /* 1: such a piece is read alone (split_piece in stage_split.c) - not
     * the whole document - its auto split mode decided from the document's
     * first bytes (nd_split_detect_prefix), its lines numbered from the
     * piece's first line (the caller adds the lines before it). */
    int pieces;
} nd_split_in;

typedef struct nd_split_out {
    nd_paratab *pt;           /* filled: paragraphs in (document, offset) order */
    uint32_t *phash;          /* allocated: per paragraph, the low 32 bits of
                               XXH3-64 of its bytes */
    size_t *doc_ncut;         /* allocated: per document, paragraphs cut at
                               max_paragraph_bytes, */
    uint32_t *doc_cutline;    /* and the line of the first cut */
    unsigned char *doc_split; /* allocated: per document, its nd_split_mode */
    int fused;                /* 1: every paragraph is sketched, and: */
    uint32_t *chars;          /* allocated: per paragraph, characters */
    unsigned char *state;     /* allocated: ND_PARA_SHORT or ND_PARA_REP */
    XXH128_hash_t *ekey;      /* allocated: exact keys (REP rows) */
    nd_range_sketch *rsk;     /* allocated: nranges ranges' band keys, */
    uint32_t **bk_store;      /* allocated: which live in these nbk_store blocks */
    unsigned nbk_store;
    size_t *range_base; /* allocated: nranges + 1 first paragraph ids */
    size_t nranges;
    uint32_t end_lines; /* in->pieces and end_at: the lines of the piece of
                           document doc_end - 1 */
} nd_split_out;

nd_status nd_stage_split(nd_exec *x, const nd_split_in *in, nd_split_out *out);
/* Frees every array *out owns (the ranges' sketches too) and zeroes it; the
 * paragraph table out->pt is the caller's and is left as it is.  NULL is
 * accepted. */
void nd_split_out_release(nd_split_out *out);

/* --- 2. sketch (stage_sketch.c), when the split did not --- */
typedef struct nd_sketch_in {
    const nd_report *r; /* paragraph table and documents (texts) */
    nd_sketch_params sk;
    size_t batch_rows; /* paragraphs per batch (all, without spill) */
    nd_spill *spill;   /* batches' runs go here, or NULL: one batch */
} nd_sketch_in;

typedef struct nd_sketch_out {
    uint32_t *chars;      /* n, preallocated */
    unsigned char *state; /* n, preallocated */
    XXH128_hash_t *ekey;  /* n, preallocated */
    uint32_t *bkeys;      /* bands x batch_rows, preallocated: band j of
                               the batch's row i at j * batch_rows + i */
    nd_run *runs;         /* with a spill: nbatches x bands runs */
    size_t nbatches, runs_cap;
    int io_errno; /* after ND_ERR_IO: the failed write's errno */
} nd_sketch_out;

nd_status nd_stage_sketch(nd_exec *x, const nd_sketch_in *in, nd_sketch_out *out);

/* --- 3. exact duplicates (stage_exact.c) --- */
typedef struct nd_exact_in {
    size_t n;                  /* paragraphs */
    const XXH128_hash_t *ekey; /* n exact keys (read where state is REP) */
} nd_exact_in;

typedef struct nd_exact_out {
    unsigned char *state; /* n states: in SHORT or REP; out REP becomes COPY
                             for every paragraph with an earlier equal key */
    nd_uf *uf;            /* over the n paragraphs, all singletons: each copy
                             is linked under its group's first paragraph */
    size_t ncl;           /* clusterable paragraphs (REP on entry) */
} nd_exact_out;

nd_status nd_stage_exact(nd_exec *x, const nd_exact_in *in, nd_exact_out *out);

/* --- 5. verify (stage_verify.c) --- */

/* The texts of the paragraphs in candidate pairs, copied once in file
 * order; need == NULL when they did not fit (each is then read when
 * needed). */
typedef struct nd_texts {
    uint32_t *need;    /* paragraph id -> index among them, or UINT32_MAX */
    uint32_t *id;      /* index -> paragraph id, ascending */
    uint64_t *off;     /* index -> offset of its text in bytes */
    unsigned char *ok; /* index -> its text read back as it was split */
    size_t n;
    uint8_t *bytes;
} nd_texts;

void nd_texts_release(nd_texts *t);
/* Paragraph p's text: from t's copies, else read with rd (nd_report_fetch).
 * ND_ERR_CHANGED when it no longer reads back as it was split. */
nd_status nd_texts_get(const nd_texts *t, const nd_report *r, nd_reader *rd, uint32_t p,
                       const uint8_t **out);

typedef struct nd_verify_in {
    const nd_report *r;    /* paragraph table, documents, opt.threshold */
    const nd_pairs *pairs; /* candidate pairs, ascending, distinct */
    uint64_t limit;        /* memory limit: texts are kept below limit / 4 */
} nd_verify_in;

typedef struct nd_verify_out {
    nd_texts *texts;     /* filled (empty on entry) */
    unsigned char *pass; /* allocated: per pair, Jaccard >= threshold */
    double *jac;         /* allocated: per pair, its exact Jaccard */
    nd_uf *uf;           /* the verified pairs are joined in it */
    uint64_t verified;   /* pairs that passed */
} nd_verify_out;

nd_status nd_stage_verify(nd_exec *x, const nd_verify_in *in, nd_verify_out *out);

/* --- 6. clusters, 7. similarities (stage_cluster.c) --- */
typedef struct nd_cluster_in {
    const nd_report *r;        /* paragraph table, documents, opt */
    const nd_uf *uf;           /* the final forest over all paragraphs */
    const nd_pairs *pairs;     /* candidate pairs, ascending */
    const double *jac;         /* their exact Jaccard */
    const XXH128_hash_t *ekey; /* exact keys (of clusterable paragraphs), or
                                   NULL when every member's similarity to
                                   its representative is among the pairs
                                   (a front's, scan_hook.h) */
    const nd_texts *texts;     /* from the verify stage */
} nd_cluster_in;

typedef struct nd_cluster_out {
    int64_t *cluster;     /* uf->n, preallocated: cluster index or -1 */
    double *sim;          /* uf->n, preallocated: Jaccard to the
                             representative (members only) */
    size_t ncl;           /* clusters, in report order: size descending,
                             then representative ascending */
    size_t *cl_start;     /* allocated, ncl + 1 */
    uint32_t *cl_members; /* allocated: cluster c is cl_members[cl_start[c]
                             .. cl_start[c + 1] - 1], representative first,
                             then ascending */
} nd_cluster_out;

nd_status nd_stage_cluster(nd_exec *x, const nd_cluster_in *in, nd_cluster_out *out);

/* --- 4. LSH (stage_lsh.c) --- */
typedef struct nd_lsh_in {
    size_t n;                   /* paragraphs */
    const unsigned char *state; /* n states: REP rows take part (NULL with
                                    a spill: every entry of the runs does) */
    size_t ncl;                 /* clusterable paragraphs (nd_exact_out) */
    unsigned bands;
    /* the band keys, from exactly one of: */
    const nd_range_sketch *rsk; /* nranges staged ranges (fused split), */
    const size_t *range_base;   /* first paragraph of each range */
    size_t nranges;
    const uint32_t *bkeys; /* or one batch: band j of paragraph p at */
    size_t batch_rows;     /* bkeys[j * batch_rows + p] (n rows), */
    const nd_spill *spill; /* or runs in the spill (not NULL: these) */
    const nd_run *runs;    /* nbatches x bands, batch-major */
    size_t nbatches;
    size_t merge_buf; /* values per run buffer in a merge */
} nd_lsh_in;

typedef struct nd_lsh_out {
    nd_pairs *pairs; /* replaced by the candidate pairs, ascending, distinct */
    int io_errno;    /* after ND_ERR_IO: the failed read's errno */
} nd_lsh_out;

nd_status nd_stage_lsh(nd_exec *x, const nd_lsh_in *in, nd_lsh_out *out);

/* --- passages, 1: fingerprints and seeds (stage_fingerprint.c) --- */

/* Two places that begin the same selected k-gram: documents a <= b and
 * character positions in their normalised text; a == b: pa + k <= pb. */
typedef struct nd_seed {
    uint32_t a, b;
    uint32_t pa, pb;
} nd_seed;

/* A document's normalised text and its map (nd_norm_chars_mapped), kept
 * between the passage stages so that no document is normalised twice: in
 * memory while keep_bytes allow, else in the stage's private spill files,
 * mapped read-only. */
typedef struct nd_norm_text {
    const void *cps; /* n code points, width bytes each: 1 when they
                              are all below 256, 2 below 65,536, else 4 */
    unsigned char width;
    nd_map_off *beg, *end; /* the map, or NULL when it is compact: */
    void *cmap;            /* the nd_cmap block (nd_cmap_at), or NULL */
    size_t n;
    int kept;      /* 0: not kept (normalise it again), 1: the
                              arrays are in nd_fingerprint_out.arenas, 2:
                              they point into a mapping of its maps */
    unsigned file; /* kept == 2: the worker's spill file ... */
    uint64_t off;  /* ... and the byte offset in it, */
    int compact;   /* ... and whether the map there is compact */
} nd_norm_text;

/* A read-only mapping of a spill file of normalised texts. */
typedef struct nd_text_map {
    void *base;
    size_t len;
} nd_text_map;

/* The stage's buckets of fingerprints: by the top 8 bits of the hash. */
#define ND_FP_BUCKET_SHIFT 56
#define ND_FP_BUCKETS      (1u << (64 - ND_FP_BUCKET_SHIFT))

/* A distributed run of the stage (neardup-mpi, src/mpi/mpi_scan.c): each
 * process fingerprints its own documents, and the stage hands what the
 * grouping and the alignment need from one process to another through these
 * exchanges, which every process calls, in this order, with its status so
 * far (a process that failed still calls them, with nothing to give, so
 * that no process waits for it; each returns the first failure of any
 * process, or ND_OK).  What they return is allocated (malloc) and the
 * stage frees it. */
typedef struct nd_fp_exchange {
    void *user;
    /* This process's fingerprints, bucket b at fp[start[b] .. start[b + 1]
     * - 1] in document and position order, to the processes that group
     * bucket b; *got receives those of the buckets this process groups from
     * the *nsrc processes in document order (the fingerprints of a process
     * with earlier documents first), source k's bucket b at got[gstart[k x
     * (ND_FP_BUCKETS + 1) + b] ..  gstart[k x (ND_FP_BUCKETS + 1) + b + 1]
     * - 1] (*gstart allocated too). */
    nd_status (*fingerprints)(void *user, nd_status st, const nd_fp *fp, const size_t *start,
                              nd_fp **got, size_t **gstart, size_t *nsrc);
    /* The seeds this process's buckets gave (one[i]: seed i's flag, as the
     * stage keeps it), each to the process that aligns its pair; *got and
     * *got_one receive this process's (*ngot), in any order. */
    nd_status (*seeds)(void *user, nd_status st, const nd_seed *s, const uint8_t *one, size_t n,
                       nd_seed **got, uint8_t **got_one, size_t *ngot);
} nd_fp_exchange;

typedef struct nd_fingerprint_in {
    nd_doctab *docs;            /* the documents (read; one that changed is marked) */
    uint64_t fp_bytes;          /* fingerprints kept in memory up to this many
                                   bytes (0: all); a task's others go to its
                                   worker's spill file in tmpdir, read back
                                   bucket by bucket by the grouping */
    uint64_t keep_bytes;        /* normalised texts kept in memory up to this
                              many bytes; the others go to spill files in
                              tmpdir (or, if none can be written, are
                              normalised again where needed) */
    const char *tmpdir;         /* private copies of documents over ND_WHOLE_MAX */
    unsigned norm_flags;        /* ND_NORM_*, as the scan normalises */
    unsigned min_passage;       /* shortest passage, normalised characters (>= 1) */
    unsigned common_docs;       /* a k-gram in more documents is common text */
    int query_only;             /* 1: seeds only for pairs of two documents of
                              which one is a query document (nd_doc.query,
                              nd_scanner_add_query_path); 0: every pair */
    const nd_fp_exchange *xchg; /* NULL: one process fingerprints every
                              document.  Else a distributed run: this one
                              fingerprints documents [doc_first, doc_end),
                              its seeds are those the exchange gives it, and
                              it also keeps the texts of the other documents
                              they name (doc_chars stays 0 for those) */
    size_t doc_first, doc_end;
} nd_fingerprint_in;

/* Whether the fingerprint stage makes seeds for documents a and b: with
 * query_only, only a pair of two different documents of which at least one
 * is a query document (one document checked against a corpus), so no work
 * is spent on pairs the caller will not show.  A pair's seeds do not depend
 * on which other pairs are kept, so its passages are those of a full run. */
static inline int nd_fp_pair_wanted(const nd_fingerprint_in *in, uint32_t a, uint32_t b) {
    return !in->query_only || (a != b && (in->docs->docs[a].query || in->docs->docs[b].query));
}

typedef struct nd_fingerprint_out {
    uint64_t *doc_chars; /* allocated: per document, normalised characters */
    nd_norm_text *texts; /* allocated: per document, its normalised text */
    nd_text_map *maps;   /* allocated: per worker, its spill file mapped
                              (base NULL: none) */
    nd_arena *arenas;    /* allocated: per worker, the texts it kept in
                              memory (nmaps of them) */
    size_t nmaps;
    size_t ndocs;   /* documents (entries of doc_chars and texts) */
    nd_seed *seeds; /* allocated: sorted by (a, b, pa - pb, pa) */
    size_t nseeds, seed_cap;
    uint64_t fingerprints; /* selected k-grams in all documents */
    uint64_t fp_spilled;   /* bytes of them written to spill files */
    uint64_t common;       /* distinct k-grams given no seeds as common text */
} nd_fingerprint_out;

/* The input of a scan's fingerprint stage over docs with options o (the
 * scan's temporary directory and memory limit: a quarter of it for the
 * kept texts; query_only when a document is a query document); xchg NULL. */
void nd_fingerprint_in_init(nd_fingerprint_in *fi, nd_doctab *docs, const nd_options *o,
                            const char *tmpdir, uint64_t memory_limit);

nd_status nd_stage_fingerprint(nd_exec *x, const nd_fingerprint_in *in, nd_fingerprint_out *out);
/* Frees and unmaps everything *out holds (it may be partly filled). */
void nd_fingerprint_out_release(nd_fingerprint_out *out);

/* --- passages, 2: seeds extended into pairwise passages (stage_align.c) --- */

/* A passage two places share: documents a <= b, spans in normalised
 * characters and in bytes of the text read (decoded text for a decoded
 * document). */
typedef struct nd_pair_passage {
    uint32_t a, b;
    uint64_t a_char, a_chars, b_char, b_chars;
    uint64_t a_off, a_len, b_off, b_len;
    uint64_t matched; /* characters in its exact fragments */
    uint32_t fragments;
    uint32_t pad_; /* 0: the rows go between processes as u64s (mpi_scan.c),
                      every byte written */
} nd_pair_passage;

typedef struct nd_align_in {
    nd_doctab *docs; /* the documents (read; one that changed is marked) */
    const char *tmpdir;
    unsigned norm_flags;  /* as for nd_stage_fingerprint */
    unsigned min_passage; /* as for nd_stage_fingerprint */
    unsigned max_gap;     /* fragments this close in both texts chain */
    double threshold;     /* a passage whose sides' token-shingle Jaccard
                              (the workers' shinglers) is below it is cut at
                              its widest gaps (nd_align_chain); 0: no check */
    const nd_seed *seeds; /* nd_fingerprint_out's seeds, in its order */
    size_t nseeds;
    const nd_norm_text *texts; /* nd_fingerprint_out's kept texts, or NULL */
} nd_align_in;

typedef struct nd_align_out {
    nd_pair_passage *ps; /* allocated: sorted by (a, b, a_char) */
    size_t n;
} nd_align_out;

/* The input of a scan's align stage: fi's documents and normalisation, o's
 * gap and threshold, fo's seeds and kept texts (which it points to). */
void nd_align_in_init(nd_align_in *ai, const nd_fingerprint_in *fi, const nd_options *o,
                      const nd_fingerprint_out *fo);

nd_status nd_stage_align(nd_exec *x, const nd_align_in *in, nd_align_out *out);

/* --- passages, 3: records (stage_passage.c) --- */

/* One place of a passage: bytes [off, off + len) of the text read. */
typedef struct nd_passage_loc {
    uint32_t doc;
    uint32_t line; /* 1-based line of off (nd_passage_lines) */
    uint64_t off, len;
    uint64_t chars; /* normalised characters */
} nd_passage_loc;

typedef struct nd_passage_record {
    nd_passage_loc *loc; /* nloc places, by (document, offset); into
                            nd_passage_out.loc */
    size_t nloc;
    uint32_t docs;     /* distinct documents among them */
    uint64_t chars;    /* normalised characters (its longest place) */
    double similarity; /* lowest matched / longer side over its pairs */
    int common;        /* in more than common_docs documents */
} nd_passage_record;

typedef struct nd_passage_in {
    const nd_pair_passage *ps; /* nd_align_out's passages, in its order */
    size_t n;
    unsigned common_docs;
    size_t ndocs; /* documents (0: no per-document counts) */
} nd_passage_in;

/* What two documents share in passages that are not common text. */
typedef struct nd_passage_overlap {
    uint32_t a, b;   /* a < b */
    uint64_t a_in_b; /* characters of a inside passages shared with b
                               (the union of their spans) */
    uint64_t b_in_a;
    uint64_t passages; /* pairwise passages between them */
} nd_passage_overlap;

typedef struct nd_passage_out {
    nd_passage_record *rec; /* allocated: chars descending, then first place */
    size_t nrec;
    nd_passage_loc *loc; /* allocated: every record's places */
    size_t nloc;
    nd_passage_overlap *ov; /* allocated: by (a, b) */
    size_t nov;
    uint64_t *elsewhere; /* allocated (ndocs > 0): per document, its
                               normalised characters inside passages it
                               shares with other documents ... */
    uint64_t *within;    /* ... and inside later copies of its own
                               passages; common text left out of both */
} nd_passage_out;

/* Serial: the work is proportional to the pairwise passages. */
nd_status nd_stage_passage(const nd_passage_in *in, nd_passage_out *out);
void nd_passage_out_release(nd_passage_out *o);

/* Sets the line of every place, reading each document with places once
 * (worker 0's reader; a document that changed is marked, its places keep
 * line 0).  ND_ERR_NOMEM, or a read error. */
nd_status nd_passage_lines(nd_exec *x, nd_doctab *docs, const char *tmpdir, nd_passage_out *o);

#endif /* ND_STAGE_H */
