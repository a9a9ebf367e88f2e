/*
 * scan.c - the scanner: gathers documents and runs the pipeline.
 *
 * Stages, each with plain-data input and output (so that they can later be
 * cut into chunks for threads, spilled to disk, or sharded across ranks):
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
 * Signatures exist only per paragraph, in a scratch row: they are reduced to
 * band keys at once, which is all that later stages (and a persistent index)
 * need.  Every order is derived from paragraph ids, which are ordered by
 * (document, offset), and documents are in input order, so the report is a
 * pure function of the input and the options.
 */
#include <string.h>
#include <xxhash.h>

#include "cluster.h"
#include "input.h"
#include "lsh.h"
#include "nd_internal.h"
#include "report.h"
#include "sketch.h"
#include "split.h"

struct nd_scanner {
    nd_options opt;
    nd_doctab docs;
    nd_input_cfg in;
    int ran;
};

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
    *out = sc;
    return ND_OK;
}

void nd_scanner_free(nd_scanner *sc) {
    if (!sc) return;
    nd_doctab_release(&sc->docs);
    free(sc);
}

void nd_scanner_set_diag(nd_scanner *sc, nd_diag_fn fn, void *user) {
    if (!sc) return;
    sc->in.diag = fn;
    sc->in.user = user;
}

nd_status nd_scanner_add_path(nd_scanner *sc, const char *path) {
    if (!sc || !path) return ND_ERR_INVALID;
    if (sc->ran) return ND_ERR_STATE;
    return nd_input_add_path(&sc->docs, &sc->in, path);
}

nd_status nd_scanner_add_buffer(nd_scanner *sc, const char *name, const void *data,
                                size_t len) {
    if (!sc) return ND_ERR_INVALID;
    if (sc->ran) return ND_ERR_STATE;
    return nd_input_add_buffer(&sc->docs, name, data, len);
}

size_t nd_scanner_skipped(const nd_scanner *sc) { return sc ? sc->in.skipped : 0; }

/* Working arrays of one run.  "idx" numbers the clusterable paragraphs
 * (>= min_chars characters) in paragraph order; pid is the paragraph id. */
typedef struct scan_work {
    unsigned bands, rows;
    size_t ncl;            /* clusterable paragraphs */
    uint32_t *pid;         /* idx -> paragraph id */
    uint32_t *idx_of;      /* paragraph id -> idx, or UINT32_MAX */
    XXH128_hash_t *ekey;   /* idx -> exact key */
    uint64_t *bkeys;       /* idx -> bands band keys (row-major) */
    unsigned char *is_rep; /* idx -> first of its exact group */
    nd_uf uf;              /* over paragraph ids */
    nd_pairs pairs;
    nd_shingler sa, sb;
    nd_minhash mh;
    uint32_t *sig;
} scan_work;

static void work_release(scan_work *w) {
    free(w->pid);
    free(w->idx_of);
    free(w->ekey);
    free(w->bkeys);
    free(w->is_rep);
    nd_uf_release(&w->uf);
    nd_pairs_release(&w->pairs);
    nd_shingler_release(&w->sa);
    nd_shingler_release(&w->sb);
    nd_minhash_release(&w->mh);
    free(w->sig);
}

static nd_status stage_split(nd_report *r) {
    for (size_t d = 0; d < r->docs.n; d++) {
        nd_doc *doc = &r->docs.docs[d];
        nd_split_mode used = ND_SPLIT_LINE;
        ND_TRY(nd_split_document(&r->pt, (uint32_t)d, doc->data, doc->size, r->opt.split,
                                 &used));
        doc->split = (unsigned char)used;
    }
    if (r->pt.n >= UINT32_MAX) return ND_ERR_INVALID;
    return ND_OK;
}

static const uint8_t *para_text(const nd_report *r, size_t p) {
    const nd_doc *d = &r->docs.docs[r->pt.doc[p]];
    return d->data + r->pt.off[p];
}

static nd_status stage_sketch(nd_report *r, scan_work *w) {
    size_t np = r->pt.n;
    for (size_t p = 0; p < np; p++) {
        uint64_t *h = NULL;
        const uint64_t *tok = NULL;
        size_t nh = 0, nc = 0, nt = 0;
        ND_TRY(nd_shingler_run(&w->sa, para_text(r, p), r->pt.len[p], &h, &nh, &nc, &tok,
                               &nt));
        r->chars[p] = nc > UINT32_MAX ? UINT32_MAX : (uint32_t)nc;
        w->idx_of[p] = UINT32_MAX;
        if (nc < r->opt.min_chars || nh == 0) continue;
        size_t i = w->ncl++;
        w->pid[i] = (uint32_t)p;
        w->idx_of[p] = (uint32_t)i;
        w->ekey[i] = XXH3_128bits_withSeed(tok, nt * sizeof *tok, r->opt.seed);
        nd_minhash_reset(&w->mh, w->sig);
        nd_minhash_update(&w->mh, h, nh, w->sig);
        nd_lsh_band_keys(w->sig, w->bands, w->rows, w->bkeys + i * w->bands);
    }
    return ND_OK;
}

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

static nd_status stage_lsh(scan_work *w) {
    /* Compact the representatives' rows to the front; pid is reused as the
     * id column (the rows keep their paragraph ids). */
    nd_status st = ND_OK;
    size_t nrep = 0;
    uint32_t *ids = nd_mallocn(w->ncl ? w->ncl : 1, sizeof *ids);
    if (!ids) return ND_ERR_NOMEM;
    for (size_t i = 0; i < w->ncl; i++) {
        if (!w->is_rep[i]) continue;
        if (nrep != i)
            memmove(w->bkeys + nrep * w->bands, w->bkeys + i * w->bands,
                    w->bands * sizeof *w->bkeys);
        ids[nrep++] = w->pid[i];
    }
    st = nd_lsh_candidates(w->bkeys, ids, nrep, w->bands, &w->pairs);
    free(ids);
    return st;
}

static nd_status stage_verify(nd_report *r, scan_work *w, uint64_t *verified) {
    uint32_t cur = UINT32_MAX;
    uint64_t *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0;
    uint64_t ok = 0;
    for (size_t i = 0; i < w->pairs.n; i++) {
        uint32_t a = (uint32_t)(w->pairs.v[i] >> 32), b = (uint32_t)w->pairs.v[i];
        if (a != cur) {
            ND_TRY(nd_shingler_set(&w->sa, para_text(r, a), r->pt.len[a], &sa, &na));
            cur = a;
        }
        ND_TRY(nd_shingler_set(&w->sb, para_text(r, b), r->pt.len[b], &sb, &nb));
        if (nd_hashset_jaccard(sa, na, sb, nb) >= r->opt.threshold) {
            nd_uf_union(&w->uf, a, b);
            ok++;
        }
    }
    *verified = ok;
    return ND_OK;
}

typedef struct root_count {
    uint32_t root, count;
} root_count;

static int root_count_cmp(const void *x, const void *y) {
    const root_count *a = x, *b = y;
    if (a->count != b->count) return a->count > b->count ? -1 : 1;
    return a->root < b->root ? -1 : a->root > b->root;
}

static nd_status stage_cluster(nd_report *r, scan_work *w) {
    nd_status st = ND_OK;
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

static nd_status stage_similarity(nd_report *r, scan_work *w) {
    for (size_t c = 0; c < r->ncl; c++) {
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
                ND_TRY(nd_shingler_set(&w->sa, para_text(r, rep), r->pt.len[rep], &sa, &na));
                have_rep_set = 1;
            }
            ND_TRY(nd_shingler_set(&w->sb, para_text(r, m[k]), r->pt.len[m[k]], &sb, &nb));
            r->sim[m[k]] = nd_hashset_jaccard(sa, na, sb, nb);
        }
    }
    return ND_OK;
}

nd_status nd_scanner_run(nd_scanner *sc, nd_report **out) {
    nd_status st = ND_OK;
    nd_report *r = NULL;
    scan_work w;
    memset(&w, 0, sizeof w);
    if (!sc || !out) return ND_ERR_INVALID;
    if (sc->ran) return ND_ERR_STATE;
    sc->ran = 1;

    if (!(r = nd_calloc(1, sizeof *r))) return ND_ERR_NOMEM;
    r->opt = sc->opt;
    r->docs = sc->docs; /* the report owns the documents from here on */
    memset(&sc->docs, 0, sizeof sc->docs);

    if (r->opt.bands) {
        w.bands = r->opt.bands;
        w.rows = r->opt.rows;
    } else {
        ND_CHECK(nd_lsh_params(r->opt.threshold, r->opt.num_perm, &w.bands, &w.rows));
    }

    ND_CHECK(stage_split(r));
    size_t np = r->pt.n;
    size_t n1 = np ? np : 1;
    r->chars = nd_mallocn(n1, sizeof *r->chars);
    r->cluster = nd_mallocn(n1, sizeof *r->cluster);
    r->sim = nd_calloc(n1, sizeof *r->sim);
    w.pid = nd_mallocn(n1, sizeof *w.pid);
    w.idx_of = nd_mallocn(n1, sizeof *w.idx_of);
    w.ekey = nd_mallocn(n1, sizeof *w.ekey);
    w.bkeys = nd_mallocn(n1, (size_t)w.bands * sizeof *w.bkeys);
    w.is_rep = nd_mallocn(n1, 1);
    w.sig = nd_mallocn(r->opt.num_perm, sizeof *w.sig);
    if (!r->chars || !r->cluster || !r->sim || !w.pid || !w.idx_of || !w.ekey ||
        !w.bkeys || !w.is_rep || !w.sig) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t p = 0; p < np; p++) r->cluster[p] = -1;
    nd_shingler_init(&w.sa, &r->opt);
    nd_shingler_init(&w.sb, &r->opt);
    ND_CHECK(nd_minhash_init(&w.mh, r->opt.num_perm, r->opt.seed));
    ND_CHECK(nd_uf_init(&w.uf, np));

    ND_CHECK(stage_sketch(r, &w));
    ND_CHECK(stage_exact(&w));
    ND_CHECK(stage_lsh(&w));
    uint64_t verified = 0;
    ND_CHECK(stage_verify(r, &w, &verified));
    ND_CHECK(stage_cluster(r, &w));
    ND_CHECK(stage_similarity(r, &w));

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
    *out = r;
    r = NULL;
out:
    work_release(&w);
    nd_report_free(r);
    return st;
}
