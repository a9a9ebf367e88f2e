/*
 * sketch.h - shingle hashes, shingle sets and MinHash signatures (private).
 */
#ifndef ND_SKETCH_H
#define ND_SKETCH_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"
#include "text.h"

/* One-permutation hashing with densification by random probe orders (see
 * sketch.c): the high 32 bits of each shingle hash x (already a seeded XXH3
 * value, uniform on 64 bits) pick one of k bins, the low 32 bits
 * (UINT32_MAX mapped to UINT32_MAX - 1) are the value, and each bin keeps
 * its minimum.  nd_minhash_finish() then gives every empty bin i the value
 * of the first full bin in i's probe order, a seeded random permutation of
 * the bins; the tables hold each order and its inverse. */
typedef struct nd_minhash {
    unsigned k;
    unsigned stride;  /* row length of perm: k rounded up to a multiple of 8 */
    uint64_t probe;   /* seed of the probe orders */
    uint8_t *perm8;   /* k <= 256: perm8[i * stride + t] = bin at position t + 1 of i's order */
    uint8_t *first8;  /* k <= 256: the first 8 entries of each perm8 row, k x 8 */
    uint16_t *key16;  /* k <= 256: key16[j * k + i] = (position of j in i's order) << 8 */
    uint16_t *keyj16; /* k <= 256: the same | j (derivable from key16 by an
                         or, but the column minimum runs over it: an and
                         per key cost 22% more instructions there) */
    uint16_t *perm16; /* k > 256: as perm8 */
    uint16_t *rank16; /* rank16[j * k + i] = position of j in i's order */
    int simd;         /* 1: nd_minhash_finish may take its AVX2 paths; set by
                         nd_minhash_init from the CPU, cleared by tests to
                         check the portable paths on an AVX2 machine */
} nd_minhash;

nd_status nd_minhash_init(nd_minhash *mh, unsigned k, uint64_t seed);
void nd_minhash_release(nd_minhash *mh);

/* sig[0..k-1] = UINT32_MAX (every bin empty). */
void nd_minhash_reset(const nd_minhash *mh, uint32_t *sig);

/* Folds n shingle hashes into the bins of sig (running minimum per bin); may
 * be called several times.  The x must be uniformly distributed hash values
 * (they are not mixed again).  The hash-and-bin loop is auto-vectorised and built
 * for x86-64-v4, v3 and baseline (run-time dispatch). */
void nd_minhash_update(const nd_minhash *mh, const uint64_t *x, size_t n, uint32_t *sig);

/* Densifies sig: every empty bin i takes the value of the first non-empty
 * bin in i's probe order (at most k - F + 1 steps with F non-empty bins).
 * A signature with no non-empty bin stays all UINT32_MAX.  Must be called
 * once after the last update. */
void nd_minhash_finish(const nd_minhash *mh, uint32_t *sig);

/* reset, update with x[0..n-1] and finish in one call, for bins [0, need)
 * only (need > k: all): sig[0..need-1] are those of the three calls, the
 * other bins hold their undensified values (LSH reads only bands x rows
 * bins; nd_sketch_paragraph).  Small sets skip the pass over the bins that
 * finds the full ones. */
void nd_minhash_sketch(const nd_minhash *mh, const uint64_t *x, size_t n, unsigned need,
                       uint32_t *sig);

/* Shingle hashes of a token sequence: one XXH3-64 (seeded) per window of w
 * tokens - of the window packed or folded into 16 bytes when w <= 6, of its
 * little-endian token values otherwise (sketch.c) - or of all tokens when
 * there are fewer than w.  out must hold max(ntok - w + 1, 1) values.
 * Returns the count (0 when ntok is 0). */
size_t nd_shingle_hashes(const uint64_t *tok, size_t ntok, unsigned w, uint64_t seed,
                         uint64_t *out);

/* nd_shingle_hashes with its AVX2 path (w = 5, four windows at a time)
 * allowed where the CPU has it (simd = 1) or not: tests compare the two. */
size_t nd_shingle_hashes_simd(const uint64_t *tok, size_t ntok, unsigned w, uint64_t seed, int simd,
                              uint64_t *out);

/* Sorts h[0..n-1] and drops repeats in place; tmp holds n values (radix
 * sort for large n, an insertion/quick sort for small n).  Returns
 * the number of distinct values. */
size_t nd_hashset_make(uint64_t *h, uint64_t *tmp, size_t n);

/* |A intersect B| for sorted distinct arrays. */
size_t nd_hashset_intersection(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/* Exact Jaccard of two sorted distinct sets; 0 when both are empty. */
double nd_hashset_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/* Per-thread state to go from paragraph bytes to tokens, shingles, sets and
 * signatures without allocating per paragraph. */
typedef struct nd_shingler {
    nd_norm norm;
    unsigned w;
    uint64_t seed;
    uint64_t *sh; /* shingle hashes of the last text */
    uint64_t *tmp;
    size_t sh_cap;
} nd_shingler;

void nd_shingler_init(nd_shingler *s, const nd_options *opt);
void nd_shingler_release(nd_shingler *s);

/* Normalises, tokenises and shingles text.  *hashes (valid until the next
 * call, owned by s) receives the shingle hashes in text order, unsorted;
 * *nchars the normalised characters, *tokens and *ntok the token values. */
nd_status nd_shingler_run(nd_shingler *s, const uint8_t *text, size_t len, uint64_t **hashes,
                          size_t *nhashes, size_t *nchars, const uint64_t **tokens, size_t *ntok);

/* Same, then sorts and deduplicates: *set is the shingle set. */
nd_status nd_shingler_set(nd_shingler *s, const uint8_t *text, size_t len, uint64_t **set,
                          size_t *nset);

#endif /* ND_SKETCH_H */
