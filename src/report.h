/*
 * report.h - the report model (private).  Built once by the scan, through
 * the builder functions below (the only code that writes a report: the
 * scan's driver hands each box over as a stage makes it); every writer
 * renders the same model through the public accessors, so the formats
 * cannot disagree.
 */
#ifndef ND_REPORT_H
#define ND_REPORT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "neardup.h"
#include "pool.h"
#include "spill.h"
#include "split.h"

#define ND_SPAN_READERS 4    /* readers of passages' texts (span_text) */
#define ND_ROW_SLOTS    4    /* blocks of a sparse report's rows file */
#define ND_ROW_BLOCK    1024 /* rows a block */

/* One paragraph's row as a file or a message holds it (nd_row_pack),
 * ND_ROW_BYTES bytes in host byte order:
 *     0  u64 offset of the paragraph in its document's text
 *     8  u32 document id          12  u32 length in bytes
 *    16  u32 line                 20  u32 hash of its bytes (phash)
 *    24  u32 normalised chars     28  u8  state (ND_PARA_*), 3 zero bytes */
#define ND_ROW_BYTES 32u
typedef struct nd_row {
    uint64_t off;
    uint32_t doc, len, line, phash, chars;
    unsigned char state;
} nd_row;
void nd_row_pack(const nd_row *row, unsigned char *b);
void nd_row_unpack(const unsigned char *b, nd_row *row);

/* The paragraph counts of the report (per document and for the corpus),
 * which depend on each paragraph's document and characters alone: what
 * nd_report_finish counts over the paragraphs it holds, or, for a report
 * that holds only some of them (nd_report_set_sparse), what the producer
 * counted with nd_report_count over all of them, in any number of pieces
 * (sums). */
typedef struct nd_para_counts {
    size_t ndocs;
    uint64_t *d_paragraphs, *d_chars, *d_comparable; /* ndocs each */
    uint64_t chars, short_paragraphs, comparable;
} nd_para_counts;

/* Zeroed arrays for ndocs documents.  ND_ERR_NOMEM. */
nd_status nd_para_counts_init(nd_para_counts *c, size_t ndocs);
void nd_para_counts_release(nd_para_counts *c);
/* Adds n paragraphs (document doc[i], chars[i] characters) under opt. */
void nd_report_count(const nd_options *opt, const uint32_t *doc, const uint32_t *chars, size_t n,
                     nd_para_counts *c);

/* A report that holds only some paragraphs (a distributed run's rank 0:
 * the members of clusters), the others' rows being in a file. */
typedef struct nd_report_sparse {
    uint32_t *held;       /* per paragraph the report holds (its tables'
                             rows), its id in the run: ascending */
    size_t np_all;        /* the run's paragraphs */
    nd_spill rows;        /* every paragraph's row (nd_row_pack), at
                             id x ND_ROW_BYTES (fd -1: none) */
    nd_para_counts count; /* over all of them */
} nd_report_sparse;
void nd_report_sparse_release(nd_report_sparse *s);

struct nd_report {
    nd_options opt;
    nd_summary sum;
    nd_doctab docs;   /* owns the document bytes */
    nd_paratab pt;    /* paragraphs, ordered by (doc, offset) */
    uint32_t *phash;  /* per paragraph: low 32 bits of XXH3-64 of its
                              bytes as split (nd_report_fetch checks them) */
    uint32_t *chars;  /* per paragraph: normalised characters */
    int64_t *cluster; /* per paragraph: cluster index or -1 */
    double *sim;      /* per paragraph: Jaccard to representative */
    /* per document */
    uint64_t *d_paragraphs, *d_chars, *d_elsewhere, *d_within;
    uint64_t *d_comparable; /* chars a comparison can find elsewhere: of
                               paragraphs with at least min_chars (all of
                               them with passages) */
    nd_skiplist skips;      /* skipped inputs, in the order reported */
    uint64_t comparable;    /* the corpus's: of paragraphs with at least
                               min_chars, passages or not */
    /* clusters, in report order; members of cluster c are
     * cl_members[cl_start[c] .. cl_start[c+1]-1], ascending */
    size_t ncl;
    size_t *cl_start;
    uint32_t *cl_members;
    size_t *cl_docs;
    uint64_t *cl_chars;
    /* document pairs sharing at least one cluster, in report order */
    nd_overlap_info *ov;
    size_t nov;
    nd_timings timings;              /* filled by the scan (scan.c) */
    struct nd_passage_out *passages; /* copied passages (stage.h), or NULL */
    struct nd_pair_passage *pp;      /* pairwise passages (stage.h), npp of them */
    size_t npp;
    uint32_t *pp_lines;   /* 4 per pairwise passage: lines of a's first and
                              last byte, then b's */
    uint64_t *text_chars; /* per document: normalised characters of its
                              whole text (passages), or NULL */
    /* files found changed after the run are reported here (the scanner's
     * diag callback, copied by the run) */
    nd_diag_fn diag;
    void *diag_user;
    /* paragraph texts handed out by nd_report_paragraph_text: copies in
     * chunks that live as long as the report, made under text_lock */
    pthread_mutex_t text_lock;
    nd_reader text_rd;
    struct nd_text_chunk *text;
    /* passages' texts are read by any free one of these readers, each under
     * its own lock (text_lock then only guards the chunks): the JSON
     * writer's tasks ask for them at the same time */
    pthread_mutex_t span_lock[ND_SPAN_READERS];
    nd_reader span_rd[ND_SPAN_READERS];
    /* the last ND_ERR_IO of a call on the report (nd_report_sys_errno):
     * written by nd_report_io_error, any thread */
    atomic_int err_errno;
    char *_Atomic err_path;
    /* a sparse report (nd_report_set_sparse): pt, phash, chars, cluster
     * and sim hold the paragraphs held[0 .. pt.n), the cluster members
     * are run ids once nd_report_finish is done; NULL held: all of them */
    nd_report_sparse sp;
    /* blocks of sp.rows read back (para_row): block b in slot b % ND_ROW_SLOTS,
     * each under its own lock, so that the JSON writer's tasks, which ask
     * for consecutive paragraphs, read the file a block at a time */
    pthread_mutex_t row_lock[ND_ROW_SLOTS];
    uint64_t row_first[ND_ROW_SLOTS]; /* id of the block's first row */
    size_t row_n[ND_ROW_SLOTS];       /* rows in the slot (0: empty) */
    unsigned char *row_buf[ND_ROW_SLOTS];
};

/* Records the system error behind an ND_ERR_IO a call on r is about to
 * return (path copied, or NULL); returns ND_ERR_IO. */
nd_status nd_report_io_error(const nd_report *r, int err, const char *path);

/* --- The builder: the only functions that write a report.  The scan's
 * driver (scan.c) hands each box over as a stage makes it; ownership moves
 * with it.  Stages and writers only read a report. */

/* A new report of a run with options opt over *docs, which it takes (docs
 * is left empty); diag receives changes found after the run.  *out is owned
 * by the caller (nd_report_free).  ND_ERR_NOMEM. */
nd_status nd_report_begin(const nd_options *opt, nd_doctab *docs, nd_diag_fn diag, void *user,
                          nd_report **out);

/* The documents, for the stages that read them and mark changed ones (the
 * marks are atomic: any thread). */
nd_doctab *nd_report_doctab(nd_report *r);

/* Takes the paragraph table *pt (left empty) and phash (per paragraph the
 * low 32 bits of XXH3-64 of its bytes), and sets each document's split mode
 * from doc_split (one nd_split_mode per document; read, not taken). */
void nd_report_set_paragraphs(nd_report *r, nd_paratab *pt, uint32_t *phash,
                              const unsigned char *doc_split);

/* Makes r sparse (after nd_report_set_paragraphs with the held rows):
 * takes *s (left empty).  The clusters are then handed over in the held
 * rows' numbering; nd_report_finish counts nothing per paragraph that
 * s->count has, and turns the members into run ids; the accessors take
 * run ids, and read a paragraph that is not held from s->rows. */
void nd_report_set_sparse(nd_report *r, nd_report_sparse *s);

/* Takes chars: per paragraph its normalised characters. */
void nd_report_set_chars(nd_report *r, uint32_t *chars);

/* Takes the clusters: per paragraph cluster (index or -1) and sim, and the
 * ncl clusters' members (cl_start, cl_members as in nd_cluster_out); readies
 * the per-cluster totals nd_report_finish fills.  ND_ERR_NOMEM (the arrays
 * are taken all the same). */
nd_status nd_report_set_clusters(nd_report *r, int64_t *cluster, double *sim, size_t ncl,
                                 size_t *cl_start, uint32_t *cl_members);

/* The run's counts, and the parameters it compared with. */
void nd_report_set_summary(nd_report *r, size_t skipped, uint64_t candidate_pairs,
                           uint64_t verified_pairs, unsigned bands, unsigned rows);

/* Takes the copied passages (stage_passage.c; *po is left empty). */
nd_status nd_report_set_passages(nd_report *r, struct nd_passage_out *po);

/* Takes the pairwise passages ps[0..n-1] (stage_align.c's order), their
 * lines (4 per passage, see nd_report.pp_lines) and per document the
 * normalised characters of its text (text_chars).  Cannot fail. */
void nd_report_set_pair_passages(nd_report *r, struct nd_pair_passage *ps, size_t n,
                                 uint32_t *lines, uint64_t *text_chars);

/* The run's stage times and peak memory. */
void nd_report_set_timings(nd_report *r, const nd_timings *tm);

/* Points *out at paragraph p's bytes (see nd_reader_get; `ahead` as there),
 * read with rd and checked against r->phash.  ND_ERR_CHANGED (the document
 * is then marked changed) when they do not read back as they were split;
 * ND_ERR_NOMEM.  Any thread, each with its own reader. */
nd_status nd_report_fetch(const nd_report *r, nd_reader *rd, size_t p, size_t ahead,
                          const uint8_t **out);

/* Paragraph i of the run (a run id, as the clusters' members are): its row
 * (all but its state) - from the tables, or, for a paragraph a sparse
 * report does not hold, from its rows file, a block of ND_ROW_BLOCK rows
 * at a time (so that a caller walking consecutive ids reads the file in
 * blocks).
 * ND_ERR_INVALID past the run's paragraphs; ND_ERR_IO (recorded as the
 * report's, nd_report_sys_errno).  Any thread. */
nd_status nd_report_row(const nd_report *r, size_t i, nd_row *row);

/* A hint, for a writer about to read cluster k's members with
 * nd_report_paragraph: starts loading their rows into the cache (the
 * first ND_PREFETCH_MEMBERS of them; a sparse report's are not in
 * memory).  A writer calls it a couple of clusters ahead: the members of
 * a cluster lie anywhere in the tables, and on the 100 MB wrapped English
 * bench corpus the loads of their rows were a third of the jsonl writer's
 * samples.  Any thread; k past the clusters does nothing. */
#define ND_PREFETCH_MEMBERS 16
void nd_report_prefetch_cluster(const nd_report *r, size_t k);

/* Rows first .. first + n - 1 of the run into out[0 .. n) (as
 * nd_report_row; a full report's straight from its tables). */
nd_status nd_report_rows(const nd_report *r, size_t first, size_t n, nd_row *out);

/* nd_report_fetch for a row (nd_report_row): the paragraph's bytes, read
 * with rd and checked against row->phash. */
nd_status nd_report_fetch_row(const nd_report *r, nd_reader *rd, const nd_row *row, size_t ahead,
                              const uint8_t **out);

/* For the html writer's pair views (write_html.c): document doc's text as
 * read (decoded UTF-8 for a decoded document), its first min(size, max)
 * bytes, copied into *buf (grown as ND_GROW, *cap its size; the caller
 * frees it); *len its bytes, *size the whole text's.  A file changed since
 * the run gives *len 0 (reported once, as nd_report_passage_text does).
 * ND_ERR_NOMEM, ND_ERR_INVALID.  Any thread (the reads are under text_lock). */
nd_status nd_report_document_text(const nd_report *r, size_t doc, size_t max, char **buf,
                                  size_t *cap, size_t *len, uint64_t *size);

/* Place j of passage i as a span of its document's text as read (what
 * nd_report_document_text gives), not of the original file. */
nd_status nd_report_passage_span(const nd_report *r, size_t i, size_t j, uint64_t *off,
                                 uint64_t *len);

/* A document found changed after the run: reported once through r->diag as
 * ND_ERR_CHANGED (later calls for the same document do nothing). */
void nd_report_late_change(const nd_report *r, size_t doc);

/* Given r->docs, r->pt, r->chars, r->cluster and the cluster arrays, computes
 * the per-document shares, the overlaps and the summary's totals, on the
 * pool's threads (the result does not depend on their number).  cancel as
 * for nd_pool_run. */
/* Takes the skipped inputs' list (*l is left empty).  Cannot fail. */
void nd_report_set_skipped(nd_report *r, nd_skiplist *l);

nd_status nd_report_finish(nd_report *r, nd_pool *pool, const atomic_int *cancel);

#endif /* ND_REPORT_H */
