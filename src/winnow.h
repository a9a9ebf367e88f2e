/*
 * winnow.h - winnowing fingerprints of a normalised character stream
 * (private; winnow.c).
 */
#ifndef ND_WINNOW_H
#define ND_WINNOW_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* The k-gram and window sizes that guarantee every shared run of at least
 * min_passage characters a shared fingerprint: k = min(min_passage, 15),
 * w = min_passage - k + 1. */
void nd_winnow_params(unsigned min_passage, unsigned *k, unsigned *w);

/* Robust winnowing of cps[0..n-1]: every k-gram is hashed (a rolling
 * polynomial hash, mixed), and of every window of w consecutive k-gram
 * hashes the minimum is selected, the rightmost on ties, each selected
 * k-gram once.  Appends (hash, position of its first character) to the
 * arrays *hash and *pos (grown with ND_GROW; *cap their capacity, *count
 * their length), in increasing position.  Nothing when n < k + w - 1.
 * scratch: 8 bytes per k-gram, grown likewise.  ND_ERR_NOMEM. */
nd_status nd_winnow(const uint32_t *cps, size_t n, unsigned k, unsigned w, uint64_t **hash,
                    uint32_t **pos, size_t *cap, size_t *count, uint64_t **scratch,
                    size_t *scratch_cap);

/* nd_winnow, and with every selected k-gram at position p its context in
 * *ctx (grown with the others; capacity *cap too): 16 bits for the k-gram
 * at p - k and 16 for the one at p + k, each a set top bit and 15 bits of
 * its hash, 0 where there is no such k-gram.  Two places whose contexts
 * differ on both sides (nd_winnow_ctx_side) cannot be inside one common run
 * that extends k or more characters to the left or to the right of their
 * k-gram. */
nd_status nd_winnow_ctx(const uint32_t *cps, size_t n, unsigned k, unsigned w, uint64_t **hash,
                        uint32_t **pos, uint32_t **ctx, size_t *cap, size_t *count,
                        uint64_t **scratch, size_t *scratch_cap);

/* May the places of contexts x and y share k characters on one side? */
static inline int nd_winnow_ctx_side(uint32_t x, uint32_t y) {
    const uint32_t lx = x >> 16, ly = y >> 16, rx = x & 0xFFFFu, ry = y & 0xFFFFu;
    return ((lx & 0x8000u) && lx == ly) || ((rx & 0x8000u) && rx == ry);
}

#endif /* ND_WINNOW_H */
