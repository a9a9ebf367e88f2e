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
 * of the next), computed with masks (x <= min as all ones or zero, the
 * index and the value each replaced by xor and and: GCC compiled the
 * conditional expressions of the index into a branch taken at random, at
 * each new minimum) and the minimum's value in a register, and the
 * windows that end in a block selected right after its minima, while they
 * are in the cache (not in a third pass over the document): against the
 * version with conditionals and three passes, both in one program on the
 * texts below, -10 to -16 % in three runs (the masks alone: -2 to -13 %,
 * median -5.5 %, in five); the rolling hash with the leaving character's
 * term computed apart from the chain, so the chain from one k-gram to the
 * next is a multiply and an add.  Both replace dependency chains and
 * branches taken at random by independent work: keeping the minimum and scanning
 * the window again when it left (itself faster than a monotone deque,
 * whose pops are such a branch) mispredicted about once per new minimum
 * and per rescan.  More instructions (callgrind, 20 MB Chinese corpus,
 * `scan --passages`, 1 thread: 280 M -> 341 M) but fewer cycles: 500
 * random 20,000-character Chinese texts, k 15, w 36, both versions in one
 * program, perf samples: 49.4 % old, 42.7 % new (-13 %; that new had the
 * hash in two interleaved chains, two characters a step, and the one
 * chain measured no slower in three more such runs: 45.2-45.9 % against
 * the two chains' 46.0-48.7 % - the hash is bound by its four multiplies
 * a character rather than by the chain).
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
    uint64_t top = 1, v = 0;
    for (unsigned i = 1; i < k; i++) top *= ND_WINNOW_MUL;
    const uint64_t topm = top * ND_WINNOW_MUL;
    for (size_t i = 0; i < k; i++) v = v * ND_WINNOW_MUL + cps[i];
    h[0] = mix64(v ^ salt);
    for (size_t i = k; i < n; i++) {
        v = v * ND_WINNOW_MUL + (cps[i] - topm * cps[i - k]);
        h[i + 1 - k] = mix64(v ^ salt);
    }
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
    for (size_t b0 = 0; b0 < m; b0 += w) {
        size_t e = b0 + w < m ? b0 + w : m;
        /* the minimum's value in a register: the dependency from one
         * k-gram to the next is a compare and a move, not a load; masks
         * (all ones or zero) rather than conditionals, which GCC compiled
         * into a branch taken at random for the index */
        uint64_t best = b0;
        uint64_t bv = h[b0];
        for (size_t i = b0; i < e; i++) {
            const uint64_t x = h[i];
            const uint64_t le = -(uint64_t)(x <= bv);
            best ^= (best ^ i) & le;
            bv ^= (bv ^ x) & le;
            pre[i] = (uint32_t)best;
        }
        best = e - 1;
        bv = h[e - 1];
        for (size_t i = e; i-- > b0;) {
            const uint64_t x = h[i];
            const uint64_t lt = -(uint64_t)(x < bv);
            best ^= (best ^ i) & lt;
            bv ^= (bv ^ x) & lt;
            suf[i] = (uint32_t)best;
        }
        /* the windows [i - w + 1, i] that end in this block, while its
         * minima and the last block's are in the cache */
        for (size_t i = b0 > w - 1 ? b0 : w - 1; i < e; i++) {
            uint32_t x = suf[i + 1 - w], y = pre[i];
            size_t at = h[y] <= h[x] ? y : x;
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
