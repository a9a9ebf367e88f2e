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

/* keys[j] = the high 32 bits of (j * 0xD1B54A32D192ED03 + sum over r < rows
 * of nd_lsh_band_mul(r) * sig[j*rows + r]) mod 2^64, for j < bands: the
 * vector multiply-shift hash of band j's rows (lsh.c). */
void nd_lsh_band_keys(const uint32_t *sig, unsigned bands, unsigned rows, uint32_t *keys);

/* The multiplier of row position r in nd_lsh_band_keys: splitmix64's
 * finaliser of r + 1. */
uint64_t nd_lsh_band_mul(unsigned r);

/* A growable array of pairs packed as (a << 32 | b), a < b. */
typedef struct nd_pairs {
    uint64_t *v;
    size_t n, cap;
} nd_pairs;

void nd_pairs_release(nd_pairs *p);

/* Sorts p and drops repeats. */
nd_status nd_pairs_finish(nd_pairs *p);

/* The index of pair v (a << 32 | b) in p, which must be finished
 * (ascending), or SIZE_MAX when it is not there: a binary search. */
size_t nd_pairs_find(const nd_pairs *p, uint64_t v);

/* Appends to *out the pairs of one bucket: run[0..m-1] are entries
 * (key << 32 | id) with one key and ascending ids (see ND_BUCKET_ALL_PAIRS). */
nd_status nd_lsh_bucket_pairs(const uint64_t *run, size_t m, nd_pairs *out);

/* Entries fewer than this are not filtered by nd_lsh_drop_singletons. */
#define ND_DROP_MIN 256

/* Keeps, in order, the entries e[0..n-1] (key << 32 | id) whose key may
 * occur more than once among them - every entry whose key does, and a few
 * whose key shares its top bits with another - and returns their number; a
 * band's buckets of two or more, hence its pairs, are the same as from all
 * n.  tab (tab_words words) is scratch for a 2-bit table. */
size_t nd_lsh_drop_singletons(uint64_t *e, size_t n, uint64_t *tab, size_t tab_words);

/* The entries (keys[p] << 32 | p), in order of p, of the rows p < np with
 * state[p] == want whose key may occur more than once among those rows (as
 * nd_lsh_drop_singletons, without making the entries that go); returns
 * their number.  e has room for one entry more than those rows; tab as
 * there. */
size_t nd_lsh_band_entries(const uint32_t *keys, const unsigned char *state, unsigned char want,
                           size_t np, uint64_t *e, uint64_t *tab, size_t tab_words);

/* The entries of nd_lsh_band_entries, sorted by key (ascending ids within a
 * key), as nd_sort_hi32 would leave them; returns their number.  From
 * about two million rows (where the filter's table outgrows the caches) by
 * nd_lsh_band_grouped.  e has room for one entry more than the rows with
 * state[p] == want; tmp (tmp_words entries) is scratch, at least that many
 * plus ND_LSH_SORTED_EXTRA for the grouped way (with less it takes the flat
 * filter: same result). */
#define ND_LSH_SORTED_EXTRA ((size_t)1 << 11)
size_t nd_lsh_band_sorted(const uint32_t *keys, const unsigned char *state, unsigned char want,
                          size_t np, uint64_t *e, uint64_t *tmp, size_t tmp_words);

/* The same entries, by scattering them first into groups by the key's top
 * bits, so that each group's singleton filter fits in L1 instead of one
 * table of many MiB (a cache miss per entry); the survivors' order is the
 * same (sorted), the few singletons that survive may differ. */
size_t nd_lsh_band_grouped(const uint32_t *keys, const unsigned char *state, unsigned char want,
                           size_t np, uint64_t *e, uint64_t *tmp, size_t tmp_words);

/* Appends the pairs of every bucket of a band's sorted entries. */
nd_status nd_lsh_band_pairs(const uint64_t *e, size_t n, nd_pairs *out);

/* Candidate pairs among n items: keys is n x bands (row-major) 32-bit band
 * keys and ids[i] the paragraph id of row i, ascending.  Appends to *out,
 * which ends sorted and duplicate-free.  (The scan runs the same steps per
 * band on its threads, or from spilled runs.) */
nd_status nd_lsh_candidates(const uint32_t *keys, const uint32_t *ids, size_t n, unsigned bands,
                            nd_pairs *out);

#endif /* ND_LSH_H */
