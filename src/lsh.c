/*
 * lsh.c - locality-sensitive hashing over MinHash signatures.
 *
 * Banding (Indyk & Motwani 1998; Leskovec, Rajaraman & Ullman, "Mining of
 * Massive Datasets", ch. 3).  A signature of k values is cut into b bands of
 * r rows (b*r <= k).  Two paragraphs become a candidate pair when all r values
 * of at least one band agree, which happens with probability
 *
 *     P(s) = 1 - (1 - s^r)^b        for Jaccard similarity s,
 *
 * an S-curve that rises around (1/b)^(1/r).
 *
 * Choosing b and r.  Every candidate is verified with the exact Jaccard of the
 * two shingle sets, so a false positive costs one comparison while a false
 * negative is lost for good.  We therefore minimise
 *
 *     W_fp * integral_0^t P(s) ds  +  W_fn * integral_t^1 (1 - P(s)) ds
 *
 * with W_fp = 0.01 and W_fn = 0.99 (ND_LSH_*_WEIGHT), i.e. a missed pair is
 * 99 times as bad as a wasted comparison.  Weights of 0.5/0.5 (datasketch's
 * default) put the threshold in the middle of the S-curve and miss about one
 * pair in six just above it; ours gives, for t = 0.8 and k = 128, b = 18 and
 * r = 7: P(0.80) = 0.986, P(0.85) = 0.999, P(0.70) = 0.79.  The integrals use
 * the midpoint rule with 256 steps; ties keep the first (r, b) in ascending
 * order, so the choice is deterministic.
 *
 * Candidates.  A band key is the high 32 bits of the XXH3-64 hash of the
 * band's r values.  32 bits (not 64) halve the largest per-paragraph array
 * of the scan (b = 18 keys: 72 instead of 144 bytes) and let a band entry be
 * one 64-bit word, (key << 32 | paragraph id), which sorts with three 11-bit
 * radix passes instead of eight 8-bit passes over 16-byte records.  The
 * price is chance collisions: about n^2 / 2^33 per band, i.e. ~7 extra
 * candidates per band for 250,000 paragraphs and ~1,000 for 4 million; each
 * costs one exact verification and none can change the result, since every
 * candidate is verified.  For each band the entries are sorted and runs of
 * equal keys are buckets; a bucket expands into pairs (ND_BUCKET_ALL_PAIRS).
 * All pairs from all bands are radix-sorted once more and deduplicated,
 * which gives the verifier its input in a deterministic order.  No hash map
 * is used anywhere, so the same keys give the same pairs in the same order
 * on any machine and with any number of threads, and sorted runs of entries
 * can be spilled to disk and merged (spill.c).  Bands are independent, so
 * the scan gives each thread its own bands and concatenates their pairs
 * before the final sort.
 */
#include "lsh.h"

#include <math.h>
#include <string.h>
#define XXH_INLINE_ALL /* band keys: inlined, specialised for the row count */
#include <xxhash.h>

#include "nd_internal.h"

double nd_lsh_probability(double s, unsigned bands, unsigned rows) {
    if (s <= 0.0) return 0.0;
    if (s >= 1.0) return bands ? 1.0 : 0.0;
    return 1.0 - pow(1.0 - pow(s, (double)rows), (double)bands);
}

#define ND_LSH_STEPS 256

/* The midpoint-rule areas of every (b, r) with b * r <= num_perm, without
 * calling pow() per point (the search visits ~700 pairs * 512 points for
 * k = 128, which took more time than sketching a small corpus): for each r,
 * s^r is taken once per point, and (1 - s^r)^b is carried from b - 1 to b by
 * one multiplication. */
nd_status nd_lsh_params(double threshold, unsigned num_perm, unsigned *bands,
                        unsigned *rows) {
    if (!bands || !rows || num_perm == 0 || !(threshold > 0.0 && threshold <= 1.0))
        return ND_ERR_INVALID;
    double best = HUGE_VAL; /* not INFINITY: a float, -Wdouble-promotion with clang */
    unsigned bb = 1, br = 1;
    const double hfp = threshold / ND_LSH_STEPS, hfn = (1.0 - threshold) / ND_LSH_STEPS;
    double s[2 * ND_LSH_STEPS], q[2 * ND_LSH_STEPS], qb[2 * ND_LSH_STEPS];
    for (int i = 0; i < ND_LSH_STEPS; i++) {
        s[i] = (i + 0.5) * hfp;                          /* below the threshold */
        s[ND_LSH_STEPS + i] = threshold + (i + 0.5) * hfn; /* above it */
    }
    for (unsigned r = 1; r <= num_perm; r++) {
        for (int i = 0; i < 2 * ND_LSH_STEPS; i++) {
            q[i] = 1.0 - pow(s[i], (double)r); /* P(no band matches) = q^b */
            qb[i] = 1.0;
        }
        for (unsigned b = 1; b * r <= num_perm; b++) {
            double fp = 0.0, fn = 0.0;
            for (int i = 0; i < ND_LSH_STEPS; i++) {
                qb[i] *= q[i];
                fp += 1.0 - qb[i];
            }
            for (int i = ND_LSH_STEPS; i < 2 * ND_LSH_STEPS; i++) {
                qb[i] *= q[i];
                fn += qb[i];
            }
            double e = ND_LSH_FP_WEIGHT * fp * hfp + ND_LSH_FN_WEIGHT * fn * hfn;
            if (e < best) {
                best = e;
                bb = b;
                br = r;
            }
        }
    }
    *bands = bb;
    *rows = br;
    return ND_OK;
}

void nd_lsh_band_keys(const uint32_t *sig, unsigned bands, unsigned rows,
                      uint32_t *keys) {
    if (rows == 7) { /* the default; a constant length lets XXH3 drop its dispatch */
        for (unsigned j = 0; j < bands; j++)
            keys[j] = (uint32_t)(XXH3_64bits_withSeed(sig + (size_t)j * 7, 28, j) >> 32);
        return;
    }
    for (unsigned j = 0; j < bands; j++)
        keys[j] = (uint32_t)(XXH3_64bits_withSeed(sig + (size_t)j * rows,
                                                  rows * sizeof *sig, j) >> 32);
}

void nd_pairs_release(nd_pairs *p) {
    free(p->v);
    memset(p, 0, sizeof *p);
}

static nd_status pairs_push(nd_pairs *p, uint32_t a, uint32_t b) {
    if (p->n == p->cap) ND_TRY(ND_GROW(p->v, p->cap, p->n + 1));
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    p->v[p->n++] = (uint64_t)a << 32 | b;
    return ND_OK;
}

nd_status nd_pairs_finish(nd_pairs *p) {
    if (p->n < 2) return ND_OK;
    uint64_t *tmp = nd_mallocn(p->n, sizeof *tmp);
    if (!tmp) return ND_ERR_NOMEM;
    nd_sort_u64(p->v, tmp, p->n);
    free(tmp);
    size_t m = 1;
    for (size_t i = 1; i < p->n; i++)
        if (p->v[i] != p->v[m - 1]) p->v[m++] = p->v[i];
    p->n = m;
    return ND_OK;
}

nd_status nd_lsh_bucket_pairs(const uint64_t *run, size_t m, nd_pairs *out) {
    if (m <= ND_BUCKET_ALL_PAIRS) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = i + 1; j < m; j++)
                ND_TRY(pairs_push(out, (uint32_t)run[i], (uint32_t)run[j]));
        return ND_OK;
    }
    for (size_t i = 1; i < m; i++) {
        ND_TRY(pairs_push(out, (uint32_t)run[0], (uint32_t)run[i]));
        if (i > 1) ND_TRY(pairs_push(out, (uint32_t)run[i - 1], (uint32_t)run[i]));
    }
    return ND_OK;
}

nd_status nd_lsh_band_pairs(const uint64_t *e, size_t n, nd_pairs *out) {
    for (size_t s = 0; s < n;) {
        size_t t = s + 1;
        while (t < n && (e[t] >> 32) == (e[s] >> 32)) t++;
        if (t - s > 1) ND_TRY(nd_lsh_bucket_pairs(e + s, t - s, out));
        s = t;
    }
    return ND_OK;
}

nd_status nd_lsh_candidates(const uint32_t *keys, const uint32_t *ids, size_t n,
                            unsigned bands, nd_pairs *out) {
    nd_status st = ND_OK;
    uint64_t *e = NULL, *tmp = NULL;
    if (n < 2) return ND_OK;
    e = nd_mallocn(n, sizeof *e);
    tmp = nd_mallocn(n, sizeof *tmp);
    if (!e || !tmp) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (unsigned j = 0; j < bands; j++) {
        for (size_t i = 0; i < n; i++) e[i] = (uint64_t)keys[i * bands + j] << 32 | ids[i];
        nd_sort_hi32(e, tmp, n);
        ND_CHECK(nd_lsh_band_pairs(e, n, out));
    }
    ND_CHECK(nd_pairs_finish(out));
out:
    free(e);
    free(tmp);
    return st;
}
