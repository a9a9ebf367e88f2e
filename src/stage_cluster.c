/*
 * stage_cluster.c - stages 6 and 7: clusters and similarities (stage.h).
 *
 * In: the union-find after the exact and verify stages (read only), the
 * candidate pairs with their exact Jaccard, the exact keys, and the texts
 * box and paragraph table (to rebuild the sets the verification did not
 * compare).  Out: per paragraph its cluster (or -1) and its similarity to
 * the representative; the clusters in report order with their members.
 *
 * Similarities.  The verification keeps each candidate pair's Jaccard (8
 * bytes a pair), and a member that was a candidate with its representative
 * takes it from there (binary search in the sorted pairs) instead of
 * rebuilding both shingle sets: clustering of one-paragraph-per-line
 * English (1.19 M paragraphs) takes 0.055-0.076 s and 0.05 G instructions
 * in the similarity tasks, against 0.135 s and 0.61 G rebuilding every
 * set; Chinese (0.24 M) 0.009 s against 0.032 s (1 thread, alternating
 * runs).  An exact copy of the representative (equal exact keys) is 1.
 *
 * Clusters are the union-find's components of two or more paragraphs, in
 * report order: size descending, then representative (the root, which is
 * the smallest id) ascending; members ascend.  The forest no longer changes,
 * so roots are found read-only (nd_uf_root) in parallel.  A paragraph is
 * "linked" when it is not a root (parent != itself): exactly the members
 * other than the representatives, usually a small part of all paragraphs.
 *   count    tasks = ND_CLUSTER_TASK consecutive paragraphs; each sets its
 *            paragraphs' cluster to -1 and counts its linked ones;
 *   collect  the same tasks write (root << 32 | id) of their linked
 *            paragraphs at their own offsets (prefix sums of the counts), so
 *            the array is in id order;
 *   order    a stable sort by root makes one run per cluster, ids ascending
 *            in it, runs in root order; the runs are then stably sorted by
 *            size, descending, which is the report order;
 *   members  tasks = ND_SIM_TASK clusters; each writes its clusters' roots
 *            and runs into their slices of cl_members, sets its members'
 *            cluster, and computes their similarities (stage 7).
 * The serial sorts and the prefix sums grow with the linked paragraphs and
 * the clusters, not with the corpus.
 */
#include <string.h>

#include "nd_internal.h"
#include "report.h"
#include "stage.h"

#define ND_SIM_TASK     64 /* clusters per similarity task */
/* paragraphs per count and collect task (as ND_REPORT_PARAS in report.c:
 * at 65,536, 4 tasks on 237,716 paragraphs left a thread of 2 idle) */
#define ND_CLUSTER_TASK 16384

typedef struct cluster_work {
    nd_exec *ex;
    const nd_cluster_in *in;
    nd_cluster_out *out;
    size_t ntasks;
    size_t *off;  /* ntasks + 1: linked counts, then write positions */
    uint64_t *lk; /* linked paragraphs, root << 32 | id */
    size_t nlk;
    size_t *run;   /* nruns + 1 starts of the runs of lk */
    uint64_t *ord; /* per cluster: (UINT32_MAX - size) << 32 | run */
} cluster_work;

static nd_status cluster_count_task(void *ctx, size_t t, unsigned worker) {
    cluster_work *x = ctx;
    const uint32_t *parent = x->in->uf->parent;
    size_t p0 = t * ND_CLUSTER_TASK, p1 = ND_MIN(p0 + ND_CLUSTER_TASK, x->in->uf->n), n = 0;
    ND_UNUSED(worker);
    for (size_t p = p0; p < p1; p++) {
        x->out->cluster[p] = -1;
        n += parent[p] != p;
    }
    x->off[t] = n;
    return ND_OK;
}

static nd_status cluster_collect_task(void *ctx, size_t t, unsigned worker) {
    cluster_work *x = ctx;
    const nd_uf *uf = x->in->uf;
    size_t p0 = t * ND_CLUSTER_TASK, p1 = ND_MIN(p0 + ND_CLUSTER_TASK, uf->n);
    size_t k = x->off[t];
    ND_UNUSED(worker);
    for (size_t p = p0; p < p1; p++)
        if (uf->parent[p] != p) x->lk[k++] = (uint64_t)nd_uf_root(uf, (uint32_t)p) << 32 | p;
    return ND_OK;
}

/* Similarity of each member to the representative, members[0].
 * Performance: a member that was a candidate with the representative has
 * its Jaccard from the verification (the same sets, the same function, so
 * the same value); only the others have their shingle sets rebuilt. */
static nd_status cluster_similarity(const nd_cluster_in *in, double *sim, nd_worker *wk,
                                    const uint32_t *m, size_t size) {
    const nd_report *r = in->r;
    uint32_t rep = m[0];
    const XXH128_hash_t *krep = in->ekey ? &in->ekey[rep] : NULL;
    uint64_t *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0;
    int have_rep_set = 0; /* 1: built; -1: the text no longer reads back */
    const uint8_t *text = NULL;
    nd_status st;
    sim[rep] = 1.0;
    for (size_t k = 1; k < size; k++) {
        if (krep && XXH128_isEqual(*krep, in->ekey[m[k]])) {
            sim[m[k]] = 1.0;
            continue;
        }
        size_t at = nd_pairs_find(in->pairs, (uint64_t)rep << 32 | m[k]); /* rep < m[k] */
        if (at != SIZE_MAX) {
            sim[m[k]] = in->jac[at];
            continue;
        }
        /* a text that no longer reads back (its file changed) gives 0 */
        sim[m[k]] = 0;
        if (!have_rep_set) {
            st = nd_texts_get(in->texts, r, &wk->rd, rep, &text);
            have_rep_set = st == ND_OK ? 1 : -1;
            if (st != ND_ERR_CHANGED) ND_TRY(st);
            if (st == ND_OK) ND_TRY(nd_shingler_set(&wk->sa, text, r->pt.len[rep], &sa, &na));
        }
        if (have_rep_set < 0) continue;
        st = nd_texts_get(in->texts, r, &wk->rb, m[k], &text);
        if (st == ND_ERR_CHANGED) continue;
        ND_TRY(st);
        ND_TRY(nd_shingler_set(&wk->sb, text, r->pt.len[m[k]], &sb, &nb));
        sim[m[k]] = nd_hashset_jaccard(sa, na, sb, nb);
    }
    return ND_OK;
}

static nd_status cluster_members_task(void *ctx, size_t t, unsigned worker) {
    cluster_work *x = ctx;
    nd_cluster_out *o = x->out;
    size_t c0 = t * ND_SIM_TASK, c1 = ND_MIN(c0 + ND_SIM_TASK, o->ncl);
    for (size_t c = c0; c < c1; c++) {
        size_t g = (uint32_t)x->ord[c], i0 = x->run[g], i1 = x->run[g + 1];
        uint32_t *m = o->cl_members + o->cl_start[c];
        m[0] = (uint32_t)(x->lk[i0] >> 32);
        for (size_t i = i0; i < i1; i++) m[1 + i - i0] = (uint32_t)x->lk[i];
        size_t size = 1 + i1 - i0;
        for (size_t k = 0; k < size; k++) o->cluster[m[k]] = (int64_t)c;
        ND_TRY(cluster_similarity(x->in, o->sim, &x->ex->wk[worker], m, size));
    }
    nd_exec_done(x->ex, worker, c1 - c0);
    return ND_OK;
}

nd_status nd_stage_cluster(nd_exec *ex, const nd_cluster_in *in, nd_cluster_out *out) {
    nd_status st = ND_OK;
    size_t np = in->uf->n;
    uint64_t *tmp = NULL;
    cluster_work x;
    memset(&x, 0, sizeof x);
    x.ex = ex;
    x.in = in;
    x.out = out;
    out->ncl = 0;
    out->cl_start = NULL;
    out->cl_members = NULL;
    x.ntasks = (np + ND_CLUSTER_TASK - 1) / ND_CLUSTER_TASK;
    if (!(x.off = nd_mallocn(x.ntasks + 1, sizeof *x.off))) return ND_ERR_NOMEM;
    ND_CHECK(nd_exec_run(ex, x.ntasks, cluster_count_task, &x));
    size_t sum = 0;
    for (size_t t = 0; t < x.ntasks; t++) {
        size_t n = x.off[t];
        x.off[t] = sum;
        sum += n;
    }
    x.off[x.ntasks] = x.nlk = sum;
    x.lk = nd_mallocn(sum ? sum : 1, sizeof *x.lk);
    tmp = nd_mallocn(sum ? sum : 1, sizeof *tmp);
    x.run = nd_mallocn(sum + 1, sizeof *x.run);
    if (!x.lk || !tmp || !x.run) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(nd_exec_run(ex, x.ntasks, cluster_collect_task, &x));
    ND_CHECK(nd_exec_check(ex));

    /* runs of equal roots; low halves (ids) ascend, so the sort is stable */
    nd_sort_hi32(x.lk, tmp, x.nlk);
    size_t ncl = 0;
    for (size_t i = 0; i < x.nlk; i++)
        if (i == 0 || x.lk[i] >> 32 != x.lk[i - 1] >> 32) x.run[ncl++] = i;
    x.run[ncl] = x.nlk;
    /* runs in root order, hence ascending run numbers; sort by size (the
     * keys go to tmp, which holds nlk >= ncl values) */
    for (size_t g = 0; g < ncl; g++) {
        uint64_t size = 1 + x.run[g + 1] - x.run[g];
        tmp[g] = (UINT32_MAX - size) << 32 | g;
    }
    x.ord = tmp;
    tmp = NULL;
    if (!(tmp = nd_mallocn(ncl ? ncl : 1, sizeof *tmp))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    nd_sort_hi32(x.ord, tmp, ncl);

    out->cl_start = nd_calloc(ncl + 1, sizeof *out->cl_start);
    out->cl_members = nd_mallocn(x.nlk + ncl ? x.nlk + ncl : 1, sizeof *out->cl_members);
    if (!out->cl_start || !out->cl_members) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t c = 0; c < ncl; c++) {
        size_t g = (uint32_t)x.ord[c];
        out->cl_start[c + 1] = out->cl_start[c] + 1 + x.run[g + 1] - x.run[g];
    }
    out->ncl = ncl;
    ex->total = ncl;
    ND_CHECK(nd_exec_run(ex, (ncl + ND_SIM_TASK - 1) / ND_SIM_TASK, cluster_members_task, &x));
out:
    free(x.off);
    free(x.lk);
    free(x.run);
    free(x.ord);
    free(tmp);
    return st;
}
