/*
 * winnow.c - winnowing fingerprints (Schleimer, Wilkerson and Aiken,
 * "Winnowing: Local Algorithms for Document Fingerprinting", SIGMOD 2003).
 *
 * Every k-gram of normalised characters is hashed with a rolling
 * polynomial hash (multiplier 2^40 + 2^8 + 0xb3, the FNV-64 prime), finalised
 * with the splitmix64 mixer so that minima are uniformly placed; in every
 * window of w consecutive k-gram hashes the minimum is selected (the
 * rightmost one on ties, "robust winnowing", so a run of equal hashes - a
 * repeated character - selects few), and consecutive windows that select
 * the same k-gram record it once.  The guarantee: any common substring of at
 * least t = w + k - 1 characters contains a whole window, hence a selected
 * k-gram of the same hash in both documents.  nd_winnow_params sets
 * t = min_passage, k = min(t, 15), w = t - k + 1: 15 characters make a
 * k-gram that is rarely common by chance in either script (a Chinese
 * phrase, two or three English words), and the density is about 2 / (w + 1)
 * fingerprints per character.  The windows' minima come from blocks of
 * w hashes, each block's running minima from its start and from its end
 * (van Herk / Gil-Werman: a window is the end of one block and the start
 * of the next), and the windows that end in a block are selected right
 * after its minima, while they are in the cache (not in a third pass over
 * the document).
 *
 * Speed.  The work is a few dependency chains, so the code is laid out to
 * run several at once.  The hash: the terms t_i = c_i - MUL^k c_{i-k} do
 * not depend on the chain and are computed first, vectorised (ND_CLONES:
 * AVX-512's 64-bit multiply where the CPU has it), as is the splitmix64
 * finaliser afterwards; what is left, v_i = v_{i-1} MUL + t_i, runs as two
 * chains in one loop, from the first k-gram and from the middle one (each
 * started by Horner's rule: the same values mod 2^64).  The minima: each
 * running minimum is a compare and masks (x <= min as all ones or zero,
 * the index and the value replaced by xor and and: GCC compiled the
 * conditional expression of the index into a branch taken at random, at
 * each new minimum), with the minimum's value in a register, and two whole
 * blocks are done in one loop - four chains, from the start and the end of
 * each; the selection between a window's two candidates is a mask too.
 * bench/winnow_bench (20,000-character texts, k 15, w 36, both builds
 * alternated on the shared 2-core VM; bench/README.md, round 13): Chinese
 * 6.3-12.1 -> 4.3-5.6 ns a character (best rounds), English 5.7-6.3 ->
 * 3.1-3.2, the fingerprints' checksums equal.  (Earlier layouts, kept
 * apart: a monotone deque, whose pops are a branch taken at random, and
 * keeping the minimum and scanning the window again when it left, which
 * mispredicted about once per new minimum and per rescan, were slower
 * than the blocks.)
 *
 * Used by compare (compare.c) and the
 * corpus-wide passages (stage_fingerprint.c): the same hash of the same
 * k-gram in both.  For the latter, nd_winnow_ctx also gives each selected
 * k-gram 15 bits of the hashes of the k-grams before and after it, so
 * that two places can be told unable to share a run reaching k characters
 * beyond their k-gram without reading their texts (stage_fingerprint.c,
 * "Lone seeds").
 */
#include "winnow.h"

#include "nd_internal.h"

#define ND_WINNOW_K_MAX 15u
#define ND_WINNOW_MUL   UINT64_C(0x100000001b3)

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void nd_winnow_params(unsigned min_passage, unsigned *k, unsigned *w) {
    *k = min_passage < ND_WINNOW_K_MAX ? min_passage : ND_WINNOW_K_MAX;
    *w = min_passage - *k + 1;
}

/* The context of the k-gram at `at` of the m k-gram hashes h[]: the k-grams
 * just before it and just after it, 16 bits each (nd_winnow_ctx). */
static inline uint32_t context(const uint64_t *h, size_t m, size_t at, unsigned k) {
    uint32_t left = at >= k ? 0x8000u | (uint32_t)(h[at - k] >> 49) : 0;
    uint32_t right = at + k < m ? 0x8000u | (uint32_t)(h[at + k] >> 49) : 0;
    return left << 16 | right;
}

/* The terms of the rolling hash: h[i + 1 - k] = c_i - topm c_{i-k} (mod
 * 2^64) for k <= i < n, h[0] left alone.  No chain: vectorised (AVX-512's
 * 64-bit multiply where the CPU has it, ND_CLONES). */
ND_CLONES static void roll_terms(const uint32_t *restrict c, size_t n, unsigned k, uint64_t topm,
                                 uint64_t *restrict h) {
    for (size_t i = k; i < n; i++) h[i + 1 - k] = (uint64_t)c[i] - topm * c[i - k];
}

/* h[i] = mix64(h[i] ^ salt) for the m hashes: vectorised likewise. */
ND_CLONES static void mix_all(uint64_t *restrict h, size_t m, uint64_t salt) {
    for (size_t i = 0; i < m; i++) h[i] = mix64(h[i] ^ salt);
}

/* The polynomials of the m k-grams of c (k-gram j at h[j]), with the
 * chain v_j = v_{j-1} MUL + t_j run as two independent chains, from the
 * first k-gram and from k-gram m / 2 (each started by Horner's rule: the
 * same values mod 2^64), the terms t_j precomputed in h by roll_terms. */
static void roll_all(const uint32_t *c, size_t n, unsigned k, uint64_t topm, uint64_t *h) {
    const size_t m = n - k + 1, half = m / 2;
    uint64_t v = 0, u = 0;
    roll_terms(c, n, k, topm, h);
    for (size_t i = 0; i < k; i++) {
        v = v * ND_WINNOW_MUL + c[i];
        u = u * ND_WINNOW_MUL + c[half + i];
    }
    h[0] = v;
    h[half] = u; /* (half may be 0: then u is v) */
    size_t j = 1, q = half + 1;
    for (; j < half; j++, q++) {
        v = v * ND_WINNOW_MUL + h[j];
        u = u * ND_WINNOW_MUL + h[q];
        h[j] = v;
        h[q] = u;
    }
    for (; q < m; q++) {
        u = u * ND_WINNOW_MUL + h[q];
        h[q] = u;
    }
}

/* One step of a running minimum (index *b, value *v): x at index i
 * replaces it when take is all ones (a mask: GCC compiled the conditional
 * expression of the index into a branch taken at random, at each new
 * minimum). */
static inline void min_step(uint64_t *b, uint64_t *v, uint64_t x, size_t i, uint64_t take) {
    *b ^= (*b ^ i) & take;
    *v ^= (*v ^ x) & take;
}

nd_status nd_winnow(const uint32_t *cps, size_t n, unsigned k, unsigned w, uint64_t **hash,
                    uint32_t **pos, size_t *cap, size_t *count, uint64_t **scratch,
                    size_t *scratch_cap) {
    return nd_winnow_ctx(cps, n, k, w, hash, pos, NULL, cap, count, scratch, scratch_cap);
}

nd_status nd_winnow_ctx(const uint32_t *cps, size_t n, unsigned k, unsigned w, uint64_t **hash,
                        uint32_t **pos, uint32_t **ctx, size_t *cap, size_t *count,
                        uint64_t **scratch, size_t *scratch_cap) {
    if (k == 0 || w == 0 || n < (size_t)k + w - 1) return ND_OK;
    size_t m = n - k + 1;                        /* k-grams */
    if (m > UINT32_MAX) return ND_ERR_TOO_LARGE; /* positions are 32-bit */
    /* scratch: the m hashes, then the blocks' prefix and suffix minima;
     * nothing in it is kept from one call to the next, so it grows by a
     * new block, not a realloc that would copy (and fault in) the old one */
    if (2 * m > *scratch_cap) {
        free(*scratch);
        *scratch = NULL;
        *scratch_cap = 0;
        ND_TRY(ND_GROW(*scratch, *scratch_cap, 2 * m));
    }
    uint64_t *h = *scratch;
    uint32_t *pre = (uint32_t *)(void *)(h + m), *suf = pre + m;
    /* the hash of the k-gram ending at i: v_i = (v_{i-1} - top c_{i-k}) MUL
     * + c_i = v_{i-1} MUL + t_i, t_i = c_i - top MUL c_{i-k}: t_i does not
     * depend on v, so the loop's chain is one multiply and one add (mod
     * 2^64: the same values) */
    const uint64_t salt = UINT64_C(0x6e64636d70);
    uint64_t top = 1;
    for (unsigned i = 1; i < k; i++) top *= ND_WINNOW_MUL;
    roll_all(cps, n, k, top * ND_WINNOW_MUL, h);
    mix_all(h, m, salt);
    /* the rightmost minimum of every window of w hashes (van Herk / Gil and
     * Werman): the hashes cut into blocks of w, each block's running
     * minimum from its start (pre) and from its end (suf), the rightmost on
     * ties; a window [s, s + w - 1] is the end of s's block and the start of
     * the next, so its minimum is one of suf[s] and pre[s + w - 1], the
     * latter on a tie (it is to the right).  Selects and conditional moves
     * without a branch taken at random, where keeping the minimum and
     * scanning the window again when it left mispredicted about once per
     * new minimum and per rescan. */
    size_t last = SIZE_MAX;
    for (size_t b0 = 0, e; b0 < m; b0 = e) {
        e = b0 + w < m ? b0 + w : m;
        /* each minimum's value in a register (the dependency from one
         * k-gram to the next is a compare and a move, not a load), and
         * the chains of two whole blocks - four: from the start and from
         * the end of each - in one loop, so that they overlap */
        if (e + w <= m) {
            const size_t f = e + w;
            uint64_t pb = b0, pv = h[b0], sb = e - 1, sv = h[e - 1];
            uint64_t qb = e, qv = h[e], tb = f - 1, tv = h[f - 1];
            for (size_t j = 0; j < w; j++) {
                const size_t i = b0 + j, r = e - 1 - j, i2 = e + j, r2 = f - 1 - j;
                const uint64_t x = h[i], y = h[r], x2 = h[i2], y2 = h[r2];
                min_step(&pb, &pv, x, i, -(uint64_t)(x <= pv));
                min_step(&sb, &sv, y, r, -(uint64_t)(y < sv));
                min_step(&qb, &qv, x2, i2, -(uint64_t)(x2 <= qv));
                min_step(&tb, &tv, y2, r2, -(uint64_t)(y2 < tv));
                pre[i] = (uint32_t)pb;
                suf[r] = (uint32_t)sb;
                pre[i2] = (uint32_t)qb;
                suf[r2] = (uint32_t)tb;
            }
            e = f;
        } else {
            uint64_t pb = b0, pv = h[b0], sb = e - 1, sv = h[e - 1];
            for (size_t j = 0; j < e - b0; j++) {
                const size_t i = b0 + j, r = e - 1 - j;
                const uint64_t x = h[i], y = h[r];
                min_step(&pb, &pv, x, i, -(uint64_t)(x <= pv));
                min_step(&sb, &sv, y, r, -(uint64_t)(y < sv));
                pre[i] = (uint32_t)pb;
                suf[r] = (uint32_t)sb;
            }
        }
        /* the windows [i - w + 1, i] that end in these blocks, while
         * their minima and the last block's are in the cache */
        for (size_t i = b0 > w - 1 ? b0 : w - 1; i < e; i++) {
            uint32_t x = suf[i + 1 - w], y = pre[i];
            const size_t at = x ^ ((x ^ y) & -(size_t)(h[y] <= h[x])); /* (a mask) */
            if (at == last) continue;
            last = at;
            if (*count == *cap) {
                size_t c1 = *cap, c2 = *cap, c3 = *cap;
                ND_TRY(ND_GROW(*hash, c1, *count + 1));
                ND_TRY(ND_GROW(*pos, c2, *count + 1));
                if (ctx)
                    ND_TRY(ND_GROW(*ctx, c3, *count + 1));
                else
                    c3 = c2;
                *cap = ND_MIN(c1, ND_MIN(c2, c3));
            }
            (*hash)[*count] = h[at];
            (*pos)[*count] = (uint32_t)at;
            if (ctx) (*ctx)[*count] = context(h, m, at, k);
            (*count)++;
        }
    }
    return ND_OK;
}
