/*
 * lsh.h - band keys and candidate pairs (private).
 */
#ifndef ND_LSH_H
#define ND_LSH_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* Buckets with more members than this are not expanded into all pairs but
 * into a star (first member to every other) plus a chain (each member to the
 * next): 2m pairs instead of m^2/2, and the same connected components when
 * the members are similar, which sharing a whole band makes near-certain. */
#define ND_BUCKET_ALL_PAIRS 64

/* keys[j] = XXH3_64bits_withSeed(sig + j*rows, rows*4, j) for j < bands. */
void nd_lsh_band_keys(const uint32_t *sig, unsigned bands, unsigned rows,
                      uint64_t *keys);

/* A growable array of pairs packed as (a << 32 | b), a < b. */
typedef struct nd_pairs {
    uint64_t *v;
    size_t n, cap;
} nd_pairs;

void nd_pairs_release(nd_pairs *p);

/* Candidate pairs among n items: keys is n x bands (row-major) band keys and
 * ids[i] the paragraph id of row i.  Appends to *out, which ends sorted and
 * duplicate-free. */
nd_status nd_lsh_candidates(const uint64_t *keys, const uint32_t *ids, size_t n,
                            unsigned bands, nd_pairs *out);

#endif /* ND_LSH_H */
