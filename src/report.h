/*
 * report.h - the report model (private).  Built once by the scan; every
 * writer renders the same model through the public accessors, so the formats
 * cannot disagree.
 */
#ifndef ND_REPORT_H
#define ND_REPORT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "input.h"
#include "neardup.h"
#include "pool.h"
#include "split.h"

struct nd_report {
    nd_options opt;
    nd_summary sum;
    nd_doctab docs;        /* owns the document bytes */
    nd_paratab pt;         /* paragraphs, ordered by (doc, offset) */
    uint32_t *chars;       /* per paragraph: normalised characters */
    int64_t *cluster;      /* per paragraph: cluster index or -1 */
    double *sim;           /* per paragraph: Jaccard to representative */
    /* per document */
    uint64_t *d_paragraphs, *d_chars, *d_elsewhere, *d_within;
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
    nd_timings timings; /* filled by the scan (scan.c) */
};

/* Given r->docs, r->pt, r->chars, r->cluster and the cluster arrays, computes
 * the per-document shares, the overlaps and the summary's totals, on the
 * pool's threads (the result does not depend on their number).  cancel as
 * for nd_pool_run. */
nd_status nd_report_finish(nd_report *r, nd_pool *pool, const atomic_int *cancel);

#endif /* ND_REPORT_H */
