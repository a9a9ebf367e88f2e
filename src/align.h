/*
 * align.h - passages between two normalised character streams, from seeds
 * (private; align.c).  Shared by compare (compare.c) and the corpus-wide
 * passages (stage_fingerprint.c and the stages after it).
 */
#ifndef ND_ALIGN_H
#define ND_ALIGN_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"
#include "text.h"

/* Two places, A[a..] and B[b..], that may begin a shared run. */
typedef struct nd_align_seed {
    uint64_t a, b;
} nd_align_seed;

/* An exact maximal match A[a .. a + len) == B[b .. b + len). */
typedef struct nd_align_frag {
    size_t a, b, len;
} nd_align_frag;

/* A passage: fragments chained across edits of at most max_gap
 * characters; spans [a0, ae) in A and [b0, be) in B. */
typedef struct nd_align_chain_info {
    size_t a0, b0, ae, be;
    uint64_t matched; /* characters in its fragments */
    uint32_t nfrag;
} nd_align_chain_info;

/* A normalised text and where each character came from (nd_norm_chars_mapped):
 * its n code points, width (1, 2 or 4) bytes each (a text kept narrow by
 * the fingerprint stage when its code points fit); character i was bytes
 * [beg[i], end[i]) of the text read, or, when beg is NULL, what the compact
 * map cm says (nd_pmap_beg, nd_pmap_end).  The extension reads cps, width
 * and n only. */
typedef struct nd_align_text {
    const void *cps;
    unsigned width;
    const nd_map_off *beg, *end;
    size_t n;
    nd_pmap cm;
} nd_align_text;

/* Code point i of t. */
static inline uint32_t nd_align_cp(const nd_align_text *t, size_t i) {
    return t->width == 4   ? ((const uint32_t *)t->cps)[i]
           : t->width == 2 ? ((const uint16_t *)t->cps)[i]
                           : ((const uint8_t *)t->cps)[i];
}

static inline size_t nd_align_beg(const nd_align_text *t, size_t i) {
    return t->beg ? t->beg[i] : nd_pmap_beg(&t->cm, i);
}

static inline size_t nd_align_end(const nd_align_text *t, size_t i) {
    return t->beg ? t->end[i] : nd_pmap_end(&t->cm, i);
}

/* The exact check of passages (nd_align_chain): jaccard(ctx, ...) puts in
 * *j the Jaccard similarity of the token-shingle sets of bytes [a_off,
 * a_off + a_len) of A's text and [b_off, b_off + b_len) of B's, as the
 * scan's verification measures paragraphs; its status (not ND_OK) ends
 * nd_align_chain with that status. */
typedef struct nd_align_check {
    double threshold;
    nd_status (*jaccard)(void *ctx, size_t a_off, size_t a_len, size_t b_off, size_t b_len,
                         double *j);
    void *ctx;
} nd_align_check;

/* Orders seeds by diagonal (a - b), then a: the order nd_align_extend
 * needs. */
void nd_align_sort_seeds(nd_align_seed *s, size_t n);

/* Every exact maximal match of at least k characters through the seeds
 * s[0..n-1] (sorted by nd_align_sort_seeds): a seed whose k characters
 * differ (a hash collision) is dropped, a seed inside a match already
 * found on its diagonal is skipped in O(1).  *frags (malloc'ed, *nfrags)
 * are sorted by (a, b, length descending).  With same != 0, A and B are one
 * text, every seed has a < b, and a match never overlaps itself (its A side
 * ends where its B side begins, at the latest).  ND_ERR_NOMEM. */
nd_status nd_align_extend(const uint32_t *A, size_t na, const uint32_t *B, size_t nb, int same,
                          unsigned k, const nd_align_seed *s, size_t n, nd_align_frag **frags,
                          size_t *nfrags);

/* The same between the code points of two texts of any widths (the maps
 * are not read) into the caller's buffer *buf of *cap fragments (grown as
 * needed, kept on failure), so that a caller aligning many pairs does not
 * allocate per pair. */
nd_status nd_align_extend_into(const nd_align_text *A, const nd_align_text *B, int same, unsigned k,
                               const nd_align_seed *s, size_t n, nd_align_frag **buf, size_t *cap,
                               size_t *nfrags);

/* Chains the fragments fr[0..n-1] (sorted as nd_align_extend gives them)
 * into passages across gaps and overlaps of at most max_gap characters in
 * both texts; keeps those with at least min_matched matched characters,
 * sorted by (a0, b0), into *out (malloc'ed, *nout).  cover_a and cover_b
 * (may be NULL) receive the size of the union of the kept passages'
 * fragments in A and in B.  With ta and tb (the two texts; both or
 * neither), a passage begins and ends on token boundaries in both: a word
 * of letters and digits is never cut, so a passage does not start with the
 * last letters of a word (characters are dropped from its ends, and it is
 * kept only if min_matched characters remain).  With chk (needs ta and tb),
 * a passage whose two sides' token-shingle Jaccard is below chk->threshold
 * is cut in two at its widest gap, and so on, until every piece passes, is
 * one exact fragment, or falls below min_matched (dropped).  ND_ERR_NOMEM,
 * or what chk->jaccard returned. */
nd_status nd_align_chain(const nd_align_frag *fr, size_t n, unsigned max_gap, unsigned min_matched,
                         const nd_align_text *ta, const nd_align_text *tb,
                         const nd_align_check *chk, nd_align_chain_info **out, size_t *nout,
                         uint64_t *cover_a, uint64_t *cover_b);

#endif /* ND_ALIGN_H */
