/*
 * scan_hook.h - the scan driver with its front replaced (private; for
 * programs of the project that link the library and use its internals, such
 * as neardup-mpi, src/mpi/).
 *
 * The front of a scan is stages 1 to 5 (split, sketch, exact, LSH,
 * verify) and the components of the union-find: documents in; paragraph
 * table, characters, states, each paragraph's cluster root and the
 * similarities the cluster stage would otherwise compute out.  A
 * distributed run computes them elsewhere (each rank splits and sketches
 * its share of the documents, groups its range of exact keys and band
 * keys, verifies the pairs of its paragraphs, and the components are
 * merged across ranks) and hands them to the same driver, which runs
 * stages 6 to 8 (cluster, passages, report) exactly as nd_scanner_run
 * does, so the report is the same.  With passages, a front may also find
 * the pairwise passages (the fingerprint and align stages, shared out
 * the same way), and the driver makes only their records.
 *
 * A front may also do stages 1 and 2 only (nd_front_out.sketched): the
 * index's report of its corpus (index.c, nd_index_scan) hands over the
 * stored paragraph table, characters, states, exact keys and band keys,
 * and the driver runs stages 3 to 8 on them as on the split's output.
 */
#ifndef ND_SCAN_HOOK_H
#define ND_SCAN_HOOK_H

#include "neardup.h"
#include "report.h"
#include "stage.h"

/* What a front hands to the rest of the run, for all of the run's
 * documents: the split's output (split.pt filled; split.phash, doc_ncut,
 * doc_cutline, doc_split, chars and state allocated, one entry per
 * paragraph or document; split.ekey NULL, split.fused 0, no ranges), with
 * the exact stage applied (state ND_PARA_COPY for every paragraph with an
 * earlier equal exact key); the clusters as the exact and verify stages
 * leave them in the union-find (link: each paragraph's smallest id of its
 * component, which is the union-find's root); and, for the cluster stage's
 * similarities, the pair (representative << 32 | member) of every member
 * with its similarity (1 for an exact copy of the representative) - the
 * exact keys, the candidate pairs and the verdicts stay with the front. */
typedef struct nd_front_out {
    nd_split_out split;
    uint32_t *link;          /* allocated: per paragraph, the smallest id of its
                          cluster (exact groups and verified pairs joined),
                          or itself when it is in none */
    size_t ncl;              /* clusterable paragraphs (REP or COPY) */
    nd_pairs pairs;          /* (representative << 32 | member), ascending: one
                          per member of a cluster */
    double *jac;             /* allocated: per pair, the member's similarity (what
                          the cluster stage would compute) */
    uint64_t candidates;     /* the LSH stage's candidate pairs, */
    uint64_t verified;       /* and those that passed the verification */
    nd_report_sparse sparse; /* held NULL: the arrays above are the whole
                          run's.  Else they are the rows of the paragraphs
                          sparse.held names (ascending run ids) - link and
                          pairs in that numbering - and the report is made
                          sparse (nd_report_set_sparse) with the rest */
    int stop;                /* 1: this process's part of the run ends here: the
                          run returns ND_OK with *out NULL (the arrays above
                          are then not read, only freed) */
    /* Or a front of stages 1 and 2 only (sketched 1; the index's report,
     * index.c): split as above and, as the sketch stage leaves them,
     * split.chars, split.state (ND_PARA_SHORT or ND_PARA_REP), split.ekey
     * (every REP row's exact key) and bkeys; link, pairs and jac stay
     * NULL, and the driver runs stages 3 to 8 (exact, LSH, verify,
     * cluster, report) on them exactly as nd_scanner_run does. */
    int sketched;
    uint32_t *bkeys;   /* allocated, sketched: band j of paragraph p at
                          bkeys[j * max(n, 1) + p] (n paragraphs) */
    nd_skiplist skips; /* inputs to report as skipped (moved to the report
                          and counted; any front) */
    /* With nd_options.passages, a front may find the pairwise passages too
     * (passaged 1): ps, sorted by (a, b, a_char) as nd_stage_align leaves
     * them, and doc_chars, each document's normalised characters as
     * nd_stage_fingerprint counts them (both allocated); the driver then
     * runs only the records stage (nd_stage_passage) and the lines on them.
     * passaged 0: the driver runs every passage stage itself. */
    int passaged;
    nd_pair_passage *ps;
    size_t nps;
    uint64_t *doc_chars;
} nd_front_out;

/* A front: fills *out from in (the split's input as the driver made it:
 * options, documents, sketch parameters, memory limit), on x's workers; r is
 * the run's report, holding the documents and nothing else yet (a front may
 * hand it paragraphs with nd_report_set_paragraphs to run nd_stage_sketch
 * on them; the driver replaces them).  Whatever it allocated in *out is
 * freed by the driver, also on error. */
typedef nd_status (*nd_front_fn)(void *user, nd_exec *x, nd_report *r, const nd_split_in *in,
                                 nd_front_out *out);

/* nd_scanner_run with stages 1-5 done by front(user, ...) instead of by
 * nd_stage_split, nd_stage_sketch, nd_stage_exact, nd_stage_lsh and
 * nd_stage_verify: each paragraph is linked under its link, and the
 * cluster stage finds every similarity it needs among the front's pairs
 * (it would read any other text itself: no texts box).  With sketched set,
 * stages 1-2 only: the driver runs exact, LSH and verify itself, the band
 * keys all in memory (no spill).  *out is NULL when the front set stop. */
nd_status nd_scanner_run_front(nd_scanner *sc, nd_front_fn front, void *user, nd_report **out);

#endif /* ND_SCAN_HOOK_H */
