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
 * fingerprints per character.  The window's minimum is kept and found
 * again by a scan of the window only when it leaves it, about every w / 2
 * k-grams (a monotone deque did the same in O(1) amortised, but its
 * pops are a branch taken at random: English passages, 10 MB, callgrind
 * 490 M -> 414 M instructions in nd_winnow; the passage stage of the 100
 * MB English bench corpus, 1 thread, median of 3: 5.02 -> 4.40 s).
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
#define ND_WINNOW_MUL UINT64_C(0x100000001b3)

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
    size_t m = n - k + 1; /* k-grams */
    ND_TRY(ND_GROW(*scratch, *scratch_cap, m));
    uint64_t *h = *scratch;
    uint64_t top = 1, v = 0;
    for (unsigned i = 1; i < k; i++) top *= ND_WINNOW_MUL;
    /* the first k - 1 characters, then a k-gram a character without tests
     * (callgrind: the two tests were a third of the loop) */
    for (size_t i = 0; i + 1 < k; i++) v = v * ND_WINNOW_MUL + cps[i];
    v = v * ND_WINNOW_MUL + cps[k - 1];
    h[0] = mix64(v ^ UINT64_C(0x6e64636d70));
    for (size_t i = k; i < n; i++) {
        v = (v - top * cps[i - k]) * ND_WINNOW_MUL + cps[i];
        h[i + 1 - k] = mix64(v ^ UINT64_C(0x6e64636d70));
    }
    /* the window's minimum (the rightmost on ties) is kept, and found again
     * by a scan of the window only when it leaves it: a new k-gram replaces
     * it when not larger (rarely: a predictable branch), and a minimum
     * lives about w / 2 steps, so a scan of w costs about 2 a k-gram */
    size_t at = 0, last = SIZE_MAX;
    uint64_t best = UINT64_MAX;
    for (size_t i = 0; i < m; i++) {
        if (i >= w && at == i - w) { /* the minimum leaves: scan the window */
            at = i - w + 1;
            best = h[at];
            for (size_t j = at + 1; j <= i; j++)
                if (h[j] <= best) {
                    best = h[j];
                    at = j;
                }
        } else if (h[i] <= best) {
            best = h[i];
            at = i;
        }
        if (i + 1 >= w && at != last) {
            last = at;
            if (*count == *cap) {
                size_t c1 = *cap, c2 = *cap, c3 = *cap;
                ND_TRY(ND_GROW(*hash, c1, *count + 1));
                ND_TRY(ND_GROW(*pos, c2, *count + 1));
                if (ctx) ND_TRY(ND_GROW(*ctx, c3, *count + 1));
                else c3 = c2;
                *cap = ND_MIN(c1, ND_MIN(c2, c3));
            }
            (*hash)[*count] = best;
            (*pos)[*count] = (uint32_t)at;
            if (ctx) (*ctx)[*count] = context(h, m, at, k);
            (*count)++;
        }
    }
    return ND_OK;
}
