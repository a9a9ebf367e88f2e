/*
 * sketch.c - shingles and MinHash.
 *
 * What is estimated.  The Jaccard similarity J(A,B) = |A n B| / |A u B| of
 * two paragraphs' shingle sets.  A shingle is `w` consecutive tokens (default
 * 5; see text.h for tokens), hashed to 64 bits with XXH3-64 seeded with
 * opt.seed.  XXH3's input is 16 bytes for every window of at most 6 tokens:
 * when every token is below 2^21 (every CJK character and every
 * one-code-point token), the tokens packed 21 bits each (injective, since
 * no token is 0); otherwise - a window with a word token, which is a
 * 64-bit XXH3 value of the word (text.h) - the tokens folded into two
 * 64-bit lanes, token j rotated left by 21 (j mod 3) bits and xored into
 * lane j / 3, and the high lane xored with 2^63.  The fold keeps small
 * tokens in disjoint bit ranges, so two windows that differ only in
 * code-point tokens never fold alike; any other difference involves a
 * random 63-bit word value and collides with probability about 2^-63,
 * below the 2^-64 the 64-bit shingle hash already accepts per pair.  The
 * xored top bit keeps folded inputs apart from packed ones whenever the
 * high lane holds only code points (a packed high lane is below 2^41).
 * Windows of more than 6 tokens are hashed as their 64-bit values, 8w
 * bytes.  The 16-byte form takes XXH3's 9-16-byte path (one
 * 64x64->128-bit multiply) instead of the 17-128-byte one (four for w = 5):
 * shingle hashing was 1.6x cheaper for Chinese with packing, and English
 * windows (word tokens) cost XXH3's 40-byte path - 35 of the 51 million
 * instructions of shingle hashing on a 5.4 MB sample of one-sentence-per-line
 * English (callgrind) - until they were folded too.  A paragraph with fewer
 * than w tokens has one shingle made of all its tokens, so no paragraph with
 * text has an empty set.
 *
 * MinHash (Broder 1997).  For k independent hash functions h_i,
 * P[min h_i(A) = min h_i(B)] = J(A,B), so the share of equal signature
 * values estimates J with standard error sqrt(J(1-J)/k).  Computing k
 * functions per shingle was the single largest cost of a scan (39% of the
 * time with k = 128 multiply-shift functions, even auto-vectorised).
 *
 * One-permutation hashing (Li, Owen & Zhang 2012) needs ONE hash per
 * shingle, and the shingle hash x is already one: a seeded XXH3 value,
 * uniform on 64 bits.  Its high half picks the bin, bin = (hi32(x) * k) >>
 * 32 (Lemire's multiply-shift range reduction, no modulo), the low half is
 * the value, with UINT32_MAX folded to UINT32_MAX - 1 so that UINT32_MAX
 * means "empty bin".  Each bin keeps its minimum.  Two sets agree in a bin
 * that is non-empty for both with probability J (the minimum of the union in
 * that bin is equally likely to be any union element).
 *
 * Densification by random probe orders.  Many bins are empty: an English
 * paragraph of 10-60 words has 6-56 shingles (a word is one token) for
 * k = 128 bins.  Every empty bin i takes the value of the first non-empty
 * bin in its own probe order pi_i: i, then the other k - 1 bins in a
 * uniformly random order (Fisher-Yates with splitmix64, seeded from
 * splitmix64(seed ^ ND_MH_SALT) and i; probe_order() is the definition).
 * This is optimal densification (Shrivastava, "Optimal Densification for
 * Fast and Accurate Minwise Hashing", ICML 2017) with a random permutation
 * per bin in place of its i.i.d. probe sequence, which is what bounds the
 * cost (see also Mai et al., "On Densification for Minwise Hashing", UAI
 * 2019).
 *
 * Why the estimator J^ = #{i : sig_A[i] == sig_B[i]} / k is unbiased.  Take
 * bin i empty in A u B, and j* the first bin of pi_i that is non-empty in
 * A u B.  No bin before j* is non-empty for A or for B.  If the minimum of
 * the union in j* is in A n B (probability J), it is the minimum of A and of
 * B there, and both copy it: a match.  Otherwise it belongs to one set only:
 * that set copies it, the other set copies something else (a value of
 * another element; equal only on a 32-bit collision).  Bins non-empty in the
 * union match with probability J as above, so E[J^] = J.  The orders of
 * different bins are independent, so given which bins are full each empty
 * bin copies an independent, uniformly chosen full bin: the same joint law
 * as the i.i.d. sequence, hence the same variance.  That is close to k
 * independent MinHashes' J(1-J)/k when |A u B| is comparable to k or larger
 * (bins partition the union: 0.7-0.95x measured); for a handful of shingles
 * it is up to 1.7x (two union elements sharing a bin, probability about
 * |A u B|^2 / 2k, shifts the estimate by about 1/F), and the i.i.d. probes
 * measured the same.  tests/test_minhash.c states and checks these bounds
 * over sets of 3 to 1000 shingles and compares a slow reference (which
 * walks each whole permutation) value for value, for every F from 1 to
 * k - 1.  A set with no shingle keeps all UINT32_MAX.  This is the
 * signature format since 0.3.0, with the token values of 0.4.0 (text.h;
 * the golden vectors in tests/golden hold it).
 *
 * Cost bound.  With F >= 1 full bins, pi_i holds at most k - F empty bins,
 * i among them, so the first full bin is at most at position k - F: a walk
 * is bounded, with no hashing fallback.  Its expected length is that of the
 * first of F marked items in a random order of k - 1, k / (F + 1), so
 * (k - F) k / (F + 1) entries in all: k^2 / 2 for F = 1.  For few full bins
 * the same answer comes without walking: with pos_i(j) the position of bin
 * j in pi_i, bin i copies the full j of least pos_i(j), a minimum over the F
 * full columns of a k x k table.  The table holds, for k <= 256, the 16-bit
 * pos_i(j) << 8 | j, so the minimum's low byte names the bin (a full bin
 * names itself: position 0), and the column minimum is auto-vectorised (k /
 * 16 vpminuw per full bin with AVX2), followed by one vpgatherdd pass over
 * the k bins: O(F k / 16 + k) for any pattern.  Up to 32 full bins a second
 * table holds pos_i(j) << 8 and the index f of j among the full bins is
 * or-ed in, so the F values are looked up from four registers instead
 * (lookup_avx2).  For k = 128, the default, that case keeps the column
 * minimum itself in registers (sparse128_avx2: 7 registers of 16 keys for
 * the 112 bins LSH reads, so a full bin costs 7 vpor with a memory operand
 * and 7 vpminuw, and nothing of the minimum goes through memory; callgrind,
 * 105,738 one-per-line English paragraphs: densification 845 -> 518
 * instructions a paragraph, the scan 720.4 M -> 686.7 M; the same values),
 * and so does the untagged case up to where walking takes over
 * (dense128_avx2, its vpgatherdd straight from the registers: 180 files of
 * wrapped English, where a third of the paragraphs have 33-55 full bins,
 * the scan 542.7 M -> 528.9 M; 10 MB of Chinese 442.0 M -> 436.8 M).
 * nd_minhash_finish takes
 * whichever is expected cheaper, walking when (k - F) * 44 < F (F + 1), that
 * is F >= 56 for k = 128, where builds forced to one or the other cross
 * (forced walks 800 ticks at F = 48 and 625 at F = 64, forced columns 655
 * and 790; see below for the units).
 * Both give the same values, so every set size uses one scheme and any two
 * paragraphs are comparable.  Walks test 8 entries at a time without
 * branches against a byte per bin, and for k <= 128 with AVX2 the first 8
 * entries of four empty bins at once with byte shuffles (walk4_avx2, from
 * a k x 8 copy of the rows' first entries that stays in L1; the first 8
 * already hold a full bin with probability > 0.99 when F >= 56).
 * Worst case per signature for k = 128: 55 columns (440 vpminuw with AVX2)
 * or 72 walks of at most 72 entries.  Tables: k x k 16-bit keys and k rows
 * of k - 1 order entries (and their first 8 again), 49 KiB for k = 128
 * (16-bit positions and orders above k = 256: 4 MiB at the maximum
 * k = 1024), built once per nd_minhash.
 *
 * Measured (AMD EPYC Zen 3 VM shared with other work; TSC ticks, best of 7
 * repeats of the mean over 2000 random patterns, quiet-period runs): one
 * nd_minhash_finish with k = 128 and exactly F full bins:
 *
 *       F               1      4     16     32     48     64     96    127
 *   i.i.d. probes   68700  13200   2930   1180    760    570    370    186
 *   probe orders      270    302    435    605    776    565    341    141
 *
 * (i.i.d. probes: Shrivastava's sequence, its first 32 probes per bin from
 * a table, AVX2 byte shuffles for the first 8, hashing beyond),
 * and for reset + update + finish of n random shingle hashes: n = 1: 67,500 ->
 * 275; n = 10: 2,600 -> 380; n = 40: 990 -> 690; n = 80: 880 -> 870;
 * n = 1000: 3,000 -> 2,930.  Callgrind over 2.7 MB of English, one
 * paragraph per line (29,057 signatures): 18,600 -> 910 instructions per
 * nd_minhash_finish, the whole scan 1,063 M -> 554 M instructions; 3.3 MB of
 * the Chinese bench corpus (7,279 signatures): 2,740 -> 2,180 per
 * nd_minhash_finish, the whole scan 156.5 M -> 153.4 M.  The 32 KiB key
 * table does miss L1 on short Chinese paragraphs (248 k L1 read misses in
 * colmin over those 7,279 signatures, cachegrind model), and end to end the
 * Chinese scan measured the same as with i.i.d. probes (12 alternating
 * runs).
 *
 * Not taken, by measurement: Fast Similarity Sketching (Dahlgaard, Knudsen
 * & Thorup, FOCS 2017) re-hashes the whole set in rounds until every bin is
 * full (about k ln k element-rounds for small sets; a permutation phase
 * bounds it at 2k rounds).  Its estimator is better for tiny sets (mse
 * 0.45-0.6x binomial: it samples without replacement), but a scalar
 * prototype took 4,100-5,400 ticks per signature for n <= 80 and 12,400 for
 * n = 1000, ten times the above where English spends its time.  SuperMinHash
 * (Ertl 2017) draws O(k log k) random numbers per small set too and was not
 * tried.
 *
 * Speed of the update.  The bin-and-value loop is branch-free and
 * auto-vectorised into a scratch array; GCC's target_clones builds it (and
 * the column minimum) for x86-64-v4 (AVX-512), x86-64-v3 (AVX2) and
 * baseline x86-64 and the loader picks one at run time (an ifunc), so one
 * portable binary is fast everywhere.  The scatter-min that follows is
 * scalar and branch-free (a store per value).  Build with
 * -DND_VEC_REPORT=ON to see the loops vectorise.  Shingle hashes use an
 * inlined XXH3 (XXH_INLINE_ALL), which lets the compiler specialise it for
 * the fixed 16- or 40-byte input; the values are exactly those of
 * XXH3_64bits_withSeed.  The intrinsics paths (the bitmap of full bins, the
 * gather, walk4_avx2, shingles5_avx2) run only where __builtin_cpu_supports
 * says AVX2.
 *
 * Only what LSH reads.  The scan keeps no signature, only its band keys,
 * which read the first bands x rows bins (108 of 128 by default), so
 * nd_minhash_sketch densifies only those (rounded up to 8: 112), and for
 * sets of at most ND_MH_SPARSE shingles builds the bitmap of full bins
 * while binning instead of with a pass over the bins afterwards.  The
 * values of the bins it densifies are those of nd_minhash_finish (the
 * empty bins read full bins only, wherever they are).  Callgrind, the
 * first 170 files of the one-paragraph-per-line English bench corpus
 * (105,738 paragraphs): the scan 777.6 M -> 743.2 M instructions; 180
 * files of wrapped English 610.7 M -> 597.8 M; 10 MB of the Chinese
 * bench corpus, with the cheaper band keys of lsh.c, 453.6 M -> 446.5 M.
 *
 * Sets.  For exact verification a set is the sorted, duplicate-free array of
 * shingle hashes; intersection is a linear merge.  Sets of a paragraph are
 * small (median ~100), where an 8-pass radix sort spends more time on its
 * 16 KiB of counters than on the data, and a quicksort mispredicts half its
 * comparisons on random hashes (13% of a scan).  Below 4096 values the
 * hashes are distributed by their top bits into about n buckets (they are
 * uniform) and finished by an insertion sort that has almost nothing to do,
 * falling back to an introsort (introsort.h) if crafted input makes it move
 * too much; larger sets use the radix sort.
 */
#include "sketch.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h> /* baseline on x86-64: no run-time dispatch needed */
#endif
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "nd_internal.h"

/* The AVX2 paths of nd_minhash_finish (taken where mh->simd says so). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ND_FINISH_AVX2 1
#include <immintrin.h>
#endif

#define ND_MH_SALT  UINT64_C(0x6d696e6861736821) /* "minhash!" */
#define ND_MH_MAX_K 1024                         /* nd_options.num_perm is at most 1024 */
#define ND_MH_GROUP 8 /* probes tested at once; rows are padded to a multiple */
#ifndef ND_MH_WALK_COST
#define ND_MH_WALK_COST 44
#endif

/* The mixer: xor-shift-multiply (two rounds of the murmur3 finaliser's
 * shape with the moremur constants). */
static inline uint64_t mh_mix(uint64_t h) {
    h ^= h >> 27;
    h *= UINT64_C(0x3c79ac492ba7b653);
    h ^= h >> 33;
    h *= UINT64_C(0x1c69b3f74ac4ae35);
    h ^= h >> 27;
    return h;
}

/* Bin i's probe order: row[0] = i, then the other k - 1 bins (ascending,
 * then shuffled by Fisher-Yates over positions 1..k-1 with splitmix64 from
 * the state mh_mix(probe + i); the position drawn at step t = k-1 down to 2
 * is 1 + ((r >> 32) * t >> 32), uniform on [1, t] up to 2^-32). */
static void probe_order(uint64_t probe, unsigned i, unsigned k, uint16_t *row) {
    row[0] = (uint16_t)i;
    for (unsigned t = 1, b = 0; t < k; t++, b++) row[t] = (uint16_t)(b == i ? ++b : b);
    uint64_t st = mh_mix(probe + i);
    for (unsigned t = k - 1; t >= 2; t--) {
        unsigned u = 1 + (unsigned)(((nd_splitmix64(&st) >> 32) * t) >> 32);
        uint16_t v = row[t];
        row[t] = row[u];
        row[u] = v;
    }
}

nd_status nd_minhash_init(nd_minhash *mh, unsigned k, uint64_t seed) {
    nd_status st = ND_OK;
    uint16_t *row = NULL;
    memset(mh, 0, sizeof *mh);
    if (k == 0 || k > ND_MH_MAX_K) return ND_ERR_INVALID;
    uint64_t state = seed ^ ND_MH_SALT;
    mh->probe = nd_splitmix64(&state);
    mh->k = k;
#ifdef ND_FINISH_AVX2
    mh->simd = __builtin_cpu_supports("avx2");
#endif
    mh->stride = (k + ND_MH_GROUP - 1) / ND_MH_GROUP * ND_MH_GROUP; /* k - 1 entries + pads */
    void *perm = nd_mallocn((size_t)k * mh->stride, k <= 256 ? 1 : 2);
    void *col = nd_mallocn((size_t)k * k, sizeof(uint16_t));
    if (k <= 256) {
        mh->perm8 = perm;
        mh->key16 = col;
    } else {
        mh->perm16 = perm;
        mh->rank16 = col;
    }
    if (k <= 256) {
        mh->first8 = nd_mallocn((size_t)k, ND_MH_GROUP);
        mh->keyj16 = nd_mallocn((size_t)k * k, sizeof(uint16_t));
    }
    if (!perm || !col || (k <= 256 && (!mh->first8 || !mh->keyj16)) ||
        !(row = nd_mallocn(k, sizeof *row))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (unsigned i = 0; i < k; i++) {
        probe_order(mh->probe, i, k, row);
        for (unsigned t = 0; t < mh->stride; t++) { /* row[1..], padded with i */
            unsigned v = t + 1 < k ? row[t + 1] : i;
            if (k > 256) {
                mh->perm16[(size_t)i * mh->stride + t] = (uint16_t)v;
                continue;
            }
            mh->perm8[(size_t)i * mh->stride + t] = (uint8_t)v;
            if (t < ND_MH_GROUP) mh->first8[(size_t)i * ND_MH_GROUP + t] = (uint8_t)v;
        }
        for (unsigned t = 0; t < k; t++) { /* column row[t], entry i: t */
            if (k <= 256) {
                mh->key16[(size_t)row[t] * k + i] = (uint16_t)(t << 8);
                mh->keyj16[(size_t)row[t] * k + i] = (uint16_t)(t << 8 | row[t]);
            } else
                mh->rank16[(size_t)row[t] * k + i] = (uint16_t)t;
        }
    }
out:
    free(row);
    if (st != ND_OK) nd_minhash_release(mh);
    return st;
}

void nd_minhash_release(nd_minhash *mh) {
    free(mh->perm8);
    free(mh->first8);
    free(mh->key16);
    free(mh->keyj16);
    free(mh->perm16);
    free(mh->rank16);
    memset(mh, 0, sizeof *mh);
}

void nd_minhash_reset(const nd_minhash *mh, uint32_t *sig) {
    memset(sig, 0xFF, (size_t)mh->k * sizeof *sig); /* every word UINT32_MAX */
}

/* bin[j], val[j] of x[j]: the vectorised half of the update. */
ND_CLONES
static void oph_hash(unsigned k, const uint64_t *restrict x, size_t n, uint32_t *restrict bin,
                     uint32_t *restrict val) {
    for (size_t j = 0; j < n; j++) {
        uint64_t h = x[j];
        uint32_t v = (uint32_t)h;
        bin[j] = (uint32_t)(((h >> 32) * k) >> 32);
        val[j] = v - (v == UINT32_MAX);
    }
}

#define ND_MH_BLOCK 256

void nd_minhash_update(const nd_minhash *mh, const uint64_t *x, size_t n, uint32_t *sig) {
    uint32_t bin[ND_MH_BLOCK], val[ND_MH_BLOCK];
    while (n > 0) {
        size_t m = ND_MIN(n, (size_t)ND_MH_BLOCK);
        oph_hash(mh->k, x, m, bin, val);
        for (size_t j = 0; j < m; j++) { /* branch-free: a store every time */
            uint32_t cur = sig[bin[j]], v = val[j];
            sig[bin[j]] = v < cur ? v : cur;
        }
        x += m;
        n -= m;
    }
}

/* Column minimum: m[i] (i < n) = min over the nf full bins j = fl[f] of col[j][i] |
 * tag(f): tagged, with key16, the key (position of j in bin i's probe
 * order) << 8 | f, so the minimum names the first full bin of i's order by
 * its index f in fl, in the low byte; untagged, keyj16 names it by j
 * itself, and rank16 (k > 256) gives the position alone.  Auto-vectorised:
 * n / 16 vpminuw (and vpor) per full bin with AVX2. */
#define ND_COLMIN_BODY(kk, nn)                                                                     \
    for (unsigned f = 0; f < nf; f++) {                                                            \
        const uint16_t *c = col + (size_t)fl[f] * (kk);                                            \
        const uint16_t tag = (uint16_t)(tagged ? f : 0);                                           \
        for (unsigned i = 0; i < (nn); i++) {                                                      \
            uint16_t v = (uint16_t)(c[i] | tag);                                                   \
            m[i] = v < m[i] ? v : m[i];                                                            \
        }                                                                                          \
    }
ND_CLONES
static void colmin(const uint16_t *restrict col, unsigned k, unsigned n,
                   const uint16_t *restrict fl, unsigned nf, int tagged, uint16_t *restrict m) {
    memset(m, 0xFF, (size_t)n * sizeof *m);
    if (k == 128 && n == 112) { /* the default (18 x 6 bands): constant trip counts */
        ND_COLMIN_BODY(128, 112)
    } else if (k == 128 && n == 128) {
        ND_COLMIN_BODY(128, 128)
    } else {
        ND_COLMIN_BODY(k, n)
    }
}
#undef ND_COLMIN_BODY

/* Empty bin i by walking its probe order from entry t0 (a multiple of
 * ND_MH_GROUP) on, ND_MH_GROUP entries at a time (branch-free inside a
 * group, first hit by ctz).  The row holds the k - 1 other bins (its first
 * entry is order position 1), padded with i, which is empty; F >= 1 of them
 * are full, so the walk ends within k - F entries. */
static void probe8(const nd_minhash *mh, uint32_t *sig, const unsigned char *fb, unsigned i,
                   unsigned t0) {
    const uint8_t *p = mh->perm8 + (size_t)i * mh->stride;
    for (;; t0 += ND_MH_GROUP) {
        unsigned hit = 0;
        for (unsigned t = 0; t < ND_MH_GROUP; t++) hit |= (unsigned)fb[p[t0 + t]] << t;
        if (hit) {
            sig[i] = sig[p[t0 + (unsigned)__builtin_ctz(hit)]];
            return;
        }
    }
}

static void probe16(const nd_minhash *mh, uint32_t *sig, const unsigned char *fb, unsigned i) {
    const uint16_t *p = mh->perm16 + (size_t)i * mh->stride;
    for (unsigned t0 = 0;; t0 += ND_MH_GROUP) {
        unsigned hit = 0;
        for (unsigned t = 0; t < ND_MH_GROUP; t++) hit |= (unsigned)fb[p[t0 + t]] << t;
        if (hit) {
            sig[i] = sig[p[t0 + (unsigned)__builtin_ctz(hit)]];
            return;
        }
    }
}

/* Whether walking the probe orders is expected to be cheaper than the
 * column minimum with F of the k bins full: (k - F) walks of about
 * k / (F + 1) entries against F columns of k entries, with a walk's entry
 * ND_MH_WALK_COST times as dear as a column's.  Measured with k = 128 (see
 * the essay), the two cross between F = 48 and 64; the constant puts the
 * switch at F = 56.  Either way gives the same values; only the speed
 * differs. */
static inline int probing_is_cheaper(unsigned k, unsigned F) {
    return (uint64_t)(k - F) * ND_MH_WALK_COST < (uint64_t)F * (F + 1);
}

#ifdef ND_FINISH_AVX2

/* full[] (bit i: sig[i] is not UINT32_MAX), 8 bins per compare/movemask;
 * returns the number of full bins. */
__attribute__((target("avx2"))) static unsigned full_bits_avx2(const uint32_t *sig, unsigned k,
                                                               uint64_t *full) {
    const __m256i none = _mm256_set1_epi32(-1);
    unsigned nfull = 0;
    for (unsigned wd = 0, i0 = 0; i0 < k; wd++, i0 += 64) {
        unsigned i1 = ND_MIN(k, i0 + 64), i = i0;
        uint64_t f = 0;
        for (; i + 8 <= i1; i += 8) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(sig + i));
            unsigned e =
                (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(v, none)));
            f |= (uint64_t)(e ^ 0xFFu) << (i - i0);
        }
        for (; i < i1; i++) f |= (uint64_t)(sig[i] != UINT32_MAX) << (i - i0);
        full[wd] = f;
        nfull += (unsigned)__builtin_popcountll(f);
    }
    return nfull;
}

/* out[0..7] = the values named by the low five bits of the eight 16-bit
 * keys in half, from t0..t3 (32 values; t2 and t3 only when wide). */
__attribute__((target("avx2"), always_inline)) static inline void
lookup8_avx2(__m128i half, __m256i t0, __m256i t1, __m256i t2, __m256i t3, int wide,
             uint32_t *out) {
    const __m256i idx = _mm256_cvtepu16_epi32(half);
    const __m256 b3 = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));
    __m256 v = _mm256_blendv_ps(_mm256_castsi256_ps(_mm256_permutevar8x32_epi32(t0, idx)),
                                _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(t1, idx)), b3);
    if (wide) {
        __m256 hi = _mm256_blendv_ps(_mm256_castsi256_ps(_mm256_permutevar8x32_epi32(t2, idx)),
                                     _mm256_castsi256_ps(_mm256_permutevar8x32_epi32(t3, idx)), b3);
        v = _mm256_blendv_ps(v, hi, _mm256_castsi256_ps(_mm256_slli_epi32(idx, 27)));
    }
    _mm256_storeu_si256((__m256i *)(void *)out, _mm256_castps_si256(v));
}

/* sig[i] = val[m[i] & 0xFF] for every bin (k <= 256; val holds the values
 * of the nf <= 32 full bins, in fl order, padded to 32, and m[i] & 0xFF <
 * nf), eight at a time: val is four registers, looked up with vpermd by the
 * low three bits and the right one picked by bits 3 and 4 (vblendvps on the
 * bit moved to the top): 16 x 7 instructions for k = 128, where
 * gather_avx2's vpgatherdd cost ~12 cycles each on the measuring machine
 * (AMD EPYC, Zen 3), 190 per signature.  Measured with nd_minhash_finish
 * alone on 20,000 random patterns (best of 15, shared VM): F = 5-25 full
 * bins 210 -> 180 ns per signature, F = 17-32 255 -> 235 ns.  Short
 * paragraphs - English one per line - are where this step is most of the
 * densification; with more full bins the tag costs more in the column
 * minimum than it saves, so gather_avx2 stays. */
__attribute__((target("avx2"))) static void
lookup_avx2(uint32_t *sig, const uint16_t *m, unsigned k, const uint32_t *val, unsigned nf) {
    const __m256i *vv = (const __m256i *)(const void *)val;
    const __m256i t0 = _mm256_loadu_si256(vv), t1 = _mm256_loadu_si256(vv + 1);
    const __m256i t2 = _mm256_loadu_si256(vv + 2), t3 = _mm256_loadu_si256(vv + 3);
    unsigned i = 0;
    for (; i + 8 <= k; i += 8)
        lookup8_avx2(_mm_loadu_si128((const __m128i *)(const void *)(m + i)), t0, t1, t2, t3,
                     nf > 16, sig + i);
    for (; i < k; i++) sig[i] = val[m[i] & 0xFFu];
}

/* The k = 128, at most 32 full bins case of finish_bins in one pass with
 * the column minimum in registers: R = n8 / 16 registers of 16 keys (R = 7
 * for the default 112 bins, 8 for all 128), each full bin j (the f-th, from
 * the bitmap) or-ing its tag f into its key row and taking the minimum, then
 * the values looked up by f as lookup_avx2 does.  Same values as colmin +
 * lookup_avx2, without m in memory: the memset of m and a load and a store
 * of m per register and full bin (see the essay for the measurement). */
__attribute__((target("avx2"), always_inline)) static inline void
sparse128_body(const uint16_t *restrict key16, const uint64_t *full, uint32_t *sig,
               const unsigned R) {
    __m256i acc[8];
    _Alignas(32) uint32_t val[32];
    __m256i *const vv = (__m256i *)(void *)val; /* zeroed: the lookup reads all 32 */
    for (unsigned r = 0; r < 4; r++) _mm256_store_si256(vv + r, _mm256_setzero_si256());
    for (unsigned r = 0; r < R; r++) acc[r] = _mm256_set1_epi16(-1);
    unsigned f = 0;
    for (unsigned wd = 0; wd < 2; wd++)
        for (uint64_t b = full[wd]; b; b &= b - 1, f++) {
            const unsigned j = wd * 64 + (unsigned)__builtin_ctzll(b);
            const __m256i *c = (const __m256i *)(const void *)(key16 + (size_t)j * 128);
            const __m256i tag = _mm256_set1_epi16((short)f);
            val[f] = sig[j];
            for (unsigned r = 0; r < R; r++)
                acc[r] = _mm256_min_epu16(acc[r], _mm256_or_si256(_mm256_loadu_si256(c + r), tag));
        }
    const __m256i t0 = _mm256_load_si256(vv), t1 = _mm256_load_si256(vv + 1);
    const __m256i t2 = _mm256_load_si256(vv + 2), t3 = _mm256_load_si256(vv + 3);
    for (unsigned r = 0; r < R; r++) {
        lookup8_avx2(_mm256_castsi256_si128(acc[r]), t0, t1, t2, t3, f > 16, sig + 16 * r);
        lookup8_avx2(_mm256_extracti128_si256(acc[r], 1), t0, t1, t2, t3, f > 16, sig + 16 * r + 8);
    }
}

/* sparse128_body with R = 7 (bins [0, 112)) or 8 (all 128) as constants. */
__attribute__((target("avx2"))) static void
sparse128_avx2(const uint16_t *key16, const uint64_t *full, uint32_t *sig, unsigned n8) {
    if (n8 == 112)
        sparse128_body(key16, full, sig, 7);
    else
        sparse128_body(key16, full, sig, 8);
}

/* The values sig[key & 0xFF] of the eight 16-bit keys in half (the
 * untagged keys' low byte names a full bin), with one vpgatherdd. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
gather8_avx2(const uint32_t *sig, __m128i half) {
    const __m256i idx = _mm256_and_si256(_mm256_cvtepu16_epi32(half), _mm256_set1_epi32(0xFF));
    return _mm256_i32gather_epi32((const int *)(const void *)sig, idx, 4);
}

/* sig[i] = sig[m[i] & 0xFF] for every bin, eight at a time with vpgatherdd
 * (k <= 256; m from the untagged keys, whose low byte names the bin).  In
 * place: a gather reads only full bins (m[i] & 0xFF is always full, and i
 * itself when i is full), which no store changes. */
__attribute__((target("avx2"))) static void gather_avx2(uint32_t *sig, const uint16_t *m,
                                                        unsigned k) {
    unsigned i = 0;
    for (; i + 8 <= k; i += 8)
        _mm256_storeu_si256(
            (__m256i *)(void *)(sig + i),
            gather8_avx2(sig, _mm_loadu_si128((const __m128i *)(const void *)(m + i))));
    for (; i < k; i++) sig[i] = sig[m[i] & 0xFFu];
}

/* The k = 128 case of finish_bins with more full bins (up to where walking
 * is cheaper): as sparse128_body with the untagged keys, whose minimum's
 * low byte names the bin, and the values gathered (gather_avx2's step)
 * from the registers (see the essay for the measurement). */
__attribute__((target("avx2"), always_inline)) static inline void
dense128_body(const uint16_t *restrict keyj16, const uint64_t *full, uint32_t *sig,
              const unsigned R) {
    __m256i acc[8];
    for (unsigned r = 0; r < R; r++) acc[r] = _mm256_set1_epi16(-1);
    for (unsigned wd = 0; wd < 2; wd++)
        for (uint64_t b = full[wd]; b; b &= b - 1) {
            const unsigned j = wd * 64 + (unsigned)__builtin_ctzll(b);
            const __m256i *c = (const __m256i *)(const void *)(keyj16 + (size_t)j * 128);
            for (unsigned r = 0; r < R; r++)
                acc[r] = _mm256_min_epu16(acc[r], _mm256_loadu_si256(c + r));
        }
    for (unsigned r = 0; r < R; r++) {
        /* both gathers before the stores: they read full bins only, which
         * the stores leave as they are */
        const __m256i v0 = gather8_avx2(sig, _mm256_castsi256_si128(acc[r]));
        const __m256i v1 = gather8_avx2(sig, _mm256_extracti128_si256(acc[r], 1));
        _mm256_storeu_si256((__m256i *)(void *)(sig + 16 * r), v0);
        _mm256_storeu_si256((__m256i *)(void *)(sig + 16 * r + 8), v1);
    }
}

__attribute__((target("avx2"))) static void
dense128_avx2(const uint16_t *keyj16, const uint64_t *full, uint32_t *sig, unsigned n8) {
    if (n8 == 112)
        dense128_body(keyj16, full, sig, 7);
    else
        dense128_body(keyj16, full, sig, 8);
}

/* fb[i] = 1 if sig[i] is full, else 0, 32 bins per step (k <= 128; the
 * bytes up to 128 past k are 0). */
__attribute__((target("avx2"))) static void flags_avx2(const uint32_t *sig, unsigned k,
                                                       unsigned char *fb) {
    const __m256i none = _mm256_set1_epi32(-1), one = _mm256_set1_epi8(1);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    unsigned i = 0;
    for (; i + 32 <= k; i += 32) {
        const __m256i *p = (const __m256i *)(const void *)(sig + i);
        __m256i a = _mm256_cmpeq_epi32(_mm256_loadu_si256(p), none);
        __m256i b = _mm256_cmpeq_epi32(_mm256_loadu_si256(p + 1), none);
        __m256i c = _mm256_cmpeq_epi32(_mm256_loadu_si256(p + 2), none);
        __m256i d = _mm256_cmpeq_epi32(_mm256_loadu_si256(p + 3), none);
        __m256i e = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
        e = _mm256_permutevar8x32_epi32(e, order); /* undo the per-lane packing */
        _mm256_storeu_si256((__m256i *)(void *)(fb + i), _mm256_add_epi8(e, one));
    }
    for (; i < k; i++) fb[i] = sig[i] != UINT32_MAX;
    for (; i < 128; i++) fb[i] = 0;
}

/*
 * The first ND_MH_GROUP walk entries of four empty bins at once (k <= 128):
 * the 128 flag bytes fb[] are eight 16-byte tables, so vpshufb looks up 32
 * entries (4 bins x 8) in each, and a compare on the entry's high bits
 * keeps the right table; movemask gives 8 hit bits per bin.  About 40
 * instructions for four bins instead of ~25 per bin.  Bins without a hit in
 * the group go to miss[] (walked on by probe8 from entry 8).  Returns how
 * many of e[] were done (a multiple of 4).
 */
__attribute__((target("avx2"))) static unsigned walk4_avx2(const nd_minhash *mh, uint32_t *sig,
                                                           const unsigned char *fb,
                                                           const uint16_t *e, unsigned ne,
                                                           uint16_t *miss, unsigned *nmiss) {
    __m256i tabs[8];
    for (int b = 0; b < 8; b++)
        tabs[b] = _mm256_broadcastsi128_si256(
            _mm_loadu_si128((const __m128i *)(const void *)(fb + 16 * b)));
    const __m256i low4 = _mm256_set1_epi8(0x0F), zero = _mm256_setzero_si256();
    unsigned j = 0;
    for (; j + 4 <= ne; j += 4) {
        const uint8_t *r[4];
        uint64_t q[4];
        for (int u = 0; u < 4; u++) {
            r[u] = mh->first8 + (size_t)e[j + (unsigned)u] * ND_MH_GROUP;
            memcpy(&q[u], r[u], 8);
        }
        __m256i idx =
            _mm256_set_epi64x((long long)q[3], (long long)q[2], (long long)q[1], (long long)q[0]);
        __m256i lo = _mm256_and_si256(idx, low4);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(idx, 4), low4);
        __m256i hit = zero;
        for (int b = 0; b < 8; b++)
            hit = _mm256_or_si256(
                hit, _mm256_and_si256(_mm256_shuffle_epi8(tabs[b], lo),
                                      _mm256_cmpeq_epi8(hi, _mm256_set1_epi8((char)b))));
        unsigned m = (unsigned)_mm256_movemask_epi8(_mm256_cmpgt_epi8(hit, zero));
        for (unsigned u = 0; u < 4; u++) {
            unsigned bits = (m >> (8 * u)) & 0xFFu, i = e[j + u];
            if (bits)
                sig[i] = sig[r[u][__builtin_ctz(bits)]];
            else
                miss[(*nmiss)++] = (uint16_t)i;
        }
    }
    return j;
}
#endif

/* The portable full[] of full_bits_avx2. */
static unsigned full_bits(const uint32_t *sig, unsigned k, uint64_t *full) {
    unsigned nfull = 0;
    for (unsigned wd = 0, i0 = 0; i0 < k; wd++, i0 += 64) {
        unsigned i1 = ND_MIN(k, i0 + 64), i = i0;
        uint64_t f = 0;
#if defined(__SSE2__)
        const __m128i none = _mm_set1_epi32(-1);
        for (; i + 4 <= i1; i += 4) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(sig + i));
            unsigned e = (unsigned)_mm_movemask_ps(_mm_castsi128_ps(_mm_cmpeq_epi32(v, none)));
            f |= (uint64_t)(e ^ 0xFu) << (i - i0);
        }
#endif
        for (; i < i1; i++) f |= (uint64_t)(sig[i] != UINT32_MAX) << (i - i0);
        full[wd] = f;
        nfull += (unsigned)__builtin_popcountll(f);
    }
    return nfull;
}

/* The bins whose bit in full[] is clear (of k), ascending, into e[];
 * returns how many.  With the bits set instead, the full bins. */
static unsigned list_bins(const uint64_t *full, unsigned k, int set, uint16_t *e) {
    unsigned n = 0;
    for (unsigned wd = 0, nw = (k + 63) / 64; wd < nw; wd++) {
        uint64_t b = set ? full[wd] : ~full[wd];
        if (wd == nw - 1 && (k & 63)) b &= (UINT64_C(1) << (k & 63)) - 1;
        for (; b; b &= b - 1) e[n++] = (uint16_t)(wd * 64 + (unsigned)__builtin_ctzll(b));
    }
    return n;
}

/* nd_minhash_finish for the bins [0, need) only (need <= k), given the
 * bitmap of full bins (all k) and their count. */
static void finish_bins(const nd_minhash *mh, uint32_t *sig, const uint64_t *full, unsigned nfull,
                        unsigned need) {
    const unsigned k = mh->k;
    if (nfull == 0 || nfull == k) return;
#ifdef ND_FINISH_AVX2
    const int avx2 = mh->simd;
#endif
    /* Full bins never change, so reading sig[j] of a full j is the
     * undensified value whichever way the empty bins are done. */
    if (probing_is_cheaper(k, nfull)) {
        unsigned char fb[ND_MH_MAX_K]; /* full[] as one byte (0 or 1) per bin */
#ifdef ND_FINISH_AVX2
        if (avx2 && k <= 128)
            flags_avx2(sig, k, fb);
        else
#endif
            for (unsigned i = 0; i < k; i += 8) { /* 8 bits to 8 bytes: spread, test */
                uint64_t b = (full[i >> 6] >> (i & 63) & 0xFF) * UINT64_C(0x0101010101010101);
                b &= UINT64_C(0x8040201008040201);
                b = ((b + UINT64_C(0x7F7F7F7F7F7F7F7F)) | b) >> 7 & UINT64_C(0x0101010101010101);
                nd_store_le64(fb + i, b); /* byte t is bit t */
            }
        uint16_t e[ND_MH_MAX_K];
        unsigned ne = list_bins(full, need, 0, e), done = 0;
        if (!mh->perm8) {
            for (unsigned j = 0; j < ne; j++) probe16(mh, sig, fb, e[j]);
            return;
        }
#ifdef ND_FINISH_AVX2
        if (avx2 && k <= 128) {
            uint16_t miss[128];
            unsigned nmiss = 0; /* flags_avx2 zeroed fb[k..127]: all 128 are read */
            done = walk4_avx2(mh, sig, fb, e, ne, miss, &nmiss);
            for (unsigned j = 0; j < nmiss; j++) probe8(mh, sig, fb, miss[j], ND_MH_GROUP);
        }
#endif
        for (unsigned j = done; j < ne; j++) probe8(mh, sig, fb, e[j], 0);
        return;
    }
#ifdef ND_FINISH_AVX2
    if (avx2 && k == 128) { /* the bins [0, 112) or all */
        const unsigned n8 = need <= 112 ? 112 : 128;
        if (nfull <= 32)
            sparse128_avx2(mh->key16, full, sig, n8);
        else
            dense128_avx2(mh->keyj16, full, sig, n8);
        return;
    }
#endif
    uint16_t fl[ND_MH_MAX_K], e[ND_MH_MAX_K]; /* the full bins (nfull >= 1), the empty ones */
    fl[0] = 0;                                /* (GCC cannot see that list_bins writes it) */
    unsigned nf = list_bins(full, k, 1, fl), ne;
    uint16_t m[ND_MH_MAX_K];
    if (mh->perm8) {
#ifdef ND_FINISH_AVX2
        /* the bins [0, n8): need rounded up to the 8 bins a step of
         * lookup_avx2 or gather_avx2 writes (the bins past need get their
         * values too) */
        const unsigned n8 = ND_MIN(k, (need + 7) & ~7u);
        if (avx2 && nf <= 32) { /* keys tagged with f, values by f */
            colmin(mh->key16, k, n8, fl, nf, 1, m);
            _Alignas(32) uint32_t val[32] = {0};
            for (unsigned f = 0; f < nf; f++) val[f] = sig[fl[f]];
            lookup_avx2(sig, m, n8, val, nf);
            return;
        }
        if (avx2) {
            colmin(mh->keyj16, k, n8, fl, nf, 0, m); /* the low byte names the bin */
            gather_avx2(sig, m, n8);
            return;
        }
#endif
        colmin(mh->keyj16, k, need, fl, nf, 0, m);
        /* only the empty bins are written; they read full bins only */
        ne = list_bins(full, need, 0, e);
        for (unsigned j = 0; j < ne; j++) sig[e[j]] = sig[m[e[j]] & 0xFFu];
        return;
    }
    colmin(mh->rank16, k, need, fl, nf, 0, m);
    ne = list_bins(full, need, 0, e);
    for (unsigned j = 0; j < ne; j++) /* m[i] >= 1: i itself is empty */
        sig[e[j]] = sig[mh->perm16[(size_t)e[j] * mh->stride + m[e[j]] - 1]];
}

/* full[] (bit i: bin i is full) of all k bins; returns their count. */
static unsigned full_of(const nd_minhash *mh, const uint32_t *sig, uint64_t *full) {
#ifdef ND_FINISH_AVX2
    if (mh->simd) return full_bits_avx2(sig, mh->k, full);
#endif
    return full_bits(sig, mh->k, full);
}

void nd_minhash_finish(const nd_minhash *mh, uint32_t *sig) {
    uint64_t full[ND_MH_MAX_K / 64];
    unsigned nfull = full_of(mh, sig, full);
    finish_bins(mh, sig, full, nfull, mh->k);
}

/* Sets of up to this many shingles are binned by nd_minhash_sketch with
 * their full-bin bitmap built on the way (two registers for k <= 128)
 * instead of by a pass over the k bins afterwards (full_bits_avx2: about
 * 200 instructions for k = 128, what some 40 shingles' bits cost). */
#define ND_MH_SPARSE 40

void nd_minhash_sketch(const nd_minhash *mh, const uint64_t *x, size_t n, unsigned need,
                       uint32_t *sig) {
    const unsigned k = mh->k;
    uint64_t full[ND_MH_MAX_K / 64];
    unsigned nfull;
    if (need > k) need = k;
    nd_minhash_reset(mh, sig);
    if (k <= 128 && n <= ND_MH_SPARSE) {
        uint32_t bin[ND_MH_SPARSE], val[ND_MH_SPARSE];
        uint64_t f0 = 0, f1 = 0;
        nfull = 0; /* counted as bits are set (no popcnt in the baseline ISA) */
        oph_hash(k, x, n, bin, val);
        for (size_t j = 0; j < n; j++) {
            uint32_t b = bin[j], cur = sig[b], v = val[j];
            uint64_t bit = UINT64_C(1) << (b & 63), lo = b < 64 ? bit : 0, hi = bit ^ lo;
            sig[b] = v < cur ? v : cur;
            nfull += ((f0 & lo) | (f1 & hi)) == 0;
            f0 |= lo;
            f1 |= hi;
        }
        full[0] = f0;
        full[1] = f1;
    } else {
        nd_minhash_update(mh, x, n, sig);
        nfull = full_of(mh, sig, full);
    }
    finish_bins(mh, sig, full, nfull, need);
}

/* Token values below 2^21 (every CJK character and every one-code-point
 * token) fit in 21 bits, so a window of up to ND_PACK_MAX of them is packed
 * into 16 bytes, token j in bits 21j..21j+20 (little-endian 128-bit), and
 * hashed with XXH3's 9-16-byte path (one 64x64->128 multiply) instead of its
 * 17-128-byte path over 8w bytes (four multiplies for w = 5).  No token is 0
 * (U+0000 is a control character and dropped), so windows of different
 * lengths never pack alike, and a packed window (16 bytes) and an unpacked
 * one (8w bytes, w >= 3) are hashed from inputs of different lengths. */
#define ND_PACK_MAX  6u
#define ND_PACK_BITS 21u

#define ND_FOLD_FLAG (UINT64_C(1) << 63) /* xored into a folded window's high lane */

static inline uint64_t rotl64(uint64_t x, unsigned r) { return r ? x << r | x >> (64 - r) : x; }

/* XXH3 of the 16 little-endian bytes lo, hi. */
static inline uint64_t hash16(uint64_t lo, uint64_t hi, uint64_t seed) {
    uint8_t b[16];
    nd_store_le64(b, lo);
    nd_store_le64(b + 8, hi);
    return XXH3_64bits_withSeed(b, 16, seed);
}

static inline uint64_t shingle_hash(const uint64_t *t, unsigned m, uint64_t seed) {
    uint64_t any = 0;
    for (unsigned j = 0; j < m; j++) any |= t[j];
    if (m > ND_PACK_MAX) return XXH3_64bits_withSeed(t, (size_t)m * sizeof *t, seed);
    if (any >> ND_PACK_BITS) { /* a word token: folded */
        uint64_t f[2] = {0, ND_FOLD_FLAG};
        for (unsigned j = 0; j < m; j++) f[j / 3] ^= rotl64(t[j], ND_PACK_BITS * (j % 3));
        return hash16(f[0], f[1], seed);
    }
    uint64_t p[2] = {0, 0};
    for (unsigned j = 0; j < m; j++) {
        unsigned o = j * ND_PACK_BITS;
        if (o < 64) {
            p[0] |= t[j] << o;
            if (o + ND_PACK_BITS > 64) p[1] |= t[j] >> (64 - o);
        } else {
            p[1] |= t[j] << (o - 64);
        }
    }
    return hash16(p[0], p[1], seed);
}

/* One window of 5 tokens, packed or folded (see shingle_hash). */
static inline uint64_t shingle5(const uint64_t *t, uint64_t seed) {
    uint64_t t0 = t[0], t1 = t[1], t2 = t[2], t3 = t[3], t4 = t[4];
    if ((t0 | t1 | t2 | t3 | t4) >> ND_PACK_BITS)
        return hash16(t0 ^ rotl64(t1, 21) ^ rotl64(t2, 42), t3 ^ rotl64(t4, 21) ^ ND_FOLD_FLAG,
                      seed);
    return hash16(t0 | t1 << 21 | t2 << 42 | t3 << 63, t3 >> 1 | t4 << 20, seed);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ND_SHINGLE_AVX2 1
#include <immintrin.h>

/*
 * Four packed windows at once with AVX2: XXH3's 9-16-byte path computed in
 * 64-bit lanes, bit for bit (tests/test_minhash.c compares every window of
 * long random token runs with XXH3_64bits_withSeed).  AVX2 has no
 * 64x64->128 multiply, so the one XXH3 needs is built from four 32x32->64
 * ones (vpmuludq) and the avalanche's 64-bit multiply from three; that is
 * still about a third of the scalar instruction count, where the scalar loop
 * was bound by instructions, not by the multiplier's latency.  Each lane
 * takes the packed or the folded input by a blend on its own "wide" mask, so
 * mixed groups need no fallback.  Returns the number of windows done (a
 * multiple of 4).
 */
__attribute__((target("avx2"))) static size_t shingles5_avx2(const uint64_t *tok, size_t n,
                                                             uint64_t seed, uint64_t *out) {
    const uint8_t *sec = XXH3_kSecret;
    const uint64_t f1 = (XXH_readLE64(sec + 24) ^ XXH_readLE64(sec + 32)) + seed;
    const uint64_t f2 = (XXH_readLE64(sec + 40) ^ XXH_readLE64(sec + 48)) - seed;
    const __m256i bf1 = _mm256_set1_epi64x((long long)f1), bf2 = _mm256_set1_epi64x((long long)f2);
    const __m256i wide = _mm256_set1_epi64x(~(long long)((UINT64_C(1) << ND_PACK_BITS) - 1));
    const __m256i flag = _mm256_set1_epi64x((long long)ND_FOLD_FLAG);
    const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFFll), len16 = _mm256_set1_epi64x(16);
    const __m256i c_lo = _mm256_set1_epi64x(0x9E3779F9ll), c_hi = _mm256_set1_epi64x(0x16566791ll);
    const __m256i swap = _mm256_setr_epi8(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8, 7,
                                          6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256i *p = (const __m256i *)(const void *)(tok + i);
        __m256i t0 = _mm256_loadu_si256(p),
                t1 = _mm256_loadu_si256((const __m256i *)(const void *)(tok + i + 1)),
                t2 = _mm256_loadu_si256((const __m256i *)(const void *)(tok + i + 2)),
                t3 = _mm256_loadu_si256((const __m256i *)(const void *)(tok + i + 3)),
                t4 = _mm256_loadu_si256((const __m256i *)(const void *)(tok + i + 4));
        __m256i any =
            _mm256_or_si256(_mm256_or_si256(_mm256_or_si256(t0, t1), _mm256_or_si256(t2, t3)), t4);
        __m256i lo =
            _mm256_or_si256(_mm256_or_si256(t0, _mm256_slli_epi64(t1, 21)),
                            _mm256_or_si256(_mm256_slli_epi64(t2, 42), _mm256_slli_epi64(t3, 63)));
        __m256i hi = _mm256_or_si256(_mm256_srli_epi64(t3, 1), _mm256_slli_epi64(t4, 20));
        if (!_mm256_testz_si256(any, wide)) { /* some lane holds a word token: fold it */
            __m256i isw = _mm256_cmpeq_epi64(_mm256_and_si256(any, wide), _mm256_setzero_si256());
            __m256i r21_1 = _mm256_or_si256(_mm256_slli_epi64(t1, 21), _mm256_srli_epi64(t1, 43));
            __m256i r42_2 = _mm256_or_si256(_mm256_slli_epi64(t2, 42), _mm256_srli_epi64(t2, 22));
            __m256i r21_4 = _mm256_or_si256(_mm256_slli_epi64(t4, 21), _mm256_srli_epi64(t4, 43));
            __m256i flo = _mm256_xor_si256(_mm256_xor_si256(t0, r21_1), r42_2);
            __m256i fhi = _mm256_xor_si256(_mm256_xor_si256(t3, r21_4), flag);
            lo = _mm256_blendv_epi8(flo, lo, isw); /* isw: all ones where packed */
            hi = _mm256_blendv_epi8(fhi, hi, isw);
        }
        __m256i a = _mm256_xor_si256(lo, bf1), b = _mm256_xor_si256(hi, bf2);
        /* a * b as 128 bits, folded: lo64 ^ hi64 */
        __m256i ah = _mm256_srli_epi64(a, 32), bh = _mm256_srli_epi64(b, 32);
        __m256i p00 = _mm256_mul_epu32(a, b), p01 = _mm256_mul_epu32(a, bh);
        __m256i p10 = _mm256_mul_epu32(ah, b), p11 = _mm256_mul_epu32(ah, bh);
        __m256i mid = _mm256_add_epi64(
            _mm256_add_epi64(_mm256_srli_epi64(p00, 32), _mm256_and_si256(p01, low32)),
            _mm256_and_si256(p10, low32));
        __m256i plo = _mm256_or_si256(_mm256_and_si256(p00, low32), _mm256_slli_epi64(mid, 32));
        __m256i phi = _mm256_add_epi64(
            _mm256_add_epi64(p11, _mm256_srli_epi64(p01, 32)),
            _mm256_add_epi64(_mm256_srli_epi64(p10, 32), _mm256_srli_epi64(mid, 32)));
        __m256i acc = _mm256_add_epi64(_mm256_add_epi64(len16, _mm256_shuffle_epi8(a, swap)),
                                       _mm256_add_epi64(b, _mm256_xor_si256(plo, phi)));
        /* XXH3_avalanche: h ^= h >> 37; h *= 0x165667919E3779F9; h ^= h >> 32 */
        acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 37));
        __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(_mm256_srli_epi64(acc, 32), c_lo),
                                         _mm256_mul_epu32(acc, c_hi));
        acc = _mm256_add_epi64(_mm256_mul_epu32(acc, c_lo), _mm256_slli_epi64(cross, 32));
        acc = _mm256_xor_si256(acc, _mm256_srli_epi64(acc, 32));
        _mm256_storeu_si256((__m256i *)(void *)(out + i), acc);
    }
    return i;
}
#endif

/* Every window of w tokens; w == 5 (the default) gets loops where the
 * packing and the XXH3 lengths are constants, four windows at a time with
 * AVX2 where the CPU has it (checked at run time).  Same values either way. */
static void shingle_windows(const uint64_t *tok, size_t n, unsigned w, uint64_t seed, int simd,
                            uint64_t *out) {
    if (w == 5) {
        size_t i = 0;
#ifdef ND_SHINGLE_AVX2
        if (simd && __builtin_cpu_supports("avx2")) i = shingles5_avx2(tok, n, seed, out);
#else
        (void)simd;
#endif
        for (; i < n; i++) out[i] = shingle5(tok + i, seed);
        return;
    }
    for (size_t i = 0; i < n; i++) out[i] = shingle_hash(tok + i, w, seed);
}

size_t nd_shingle_hashes_simd(const uint64_t *tok, size_t ntok, unsigned w, uint64_t seed, int simd,
                              uint64_t *out) {
    if (ntok == 0) return 0;
    if (ntok < w) {
        out[0] = shingle_hash(tok, (unsigned)ntok, seed);
        return 1;
    }
    size_t n = ntok - w + 1;
    shingle_windows(tok, n, w, seed, simd, out);
    return n;
}

size_t nd_shingle_hashes(const uint64_t *tok, size_t ntok, unsigned w, uint64_t seed,
                         uint64_t *out) {
    return nd_shingle_hashes_simd(tok, ntok, w, seed, 1, out);
}

/* Moves h[i] down into the sorted h[0..i-1]; returns how far it moved. */
static inline size_t insert_u64(uint64_t *h, size_t i) {
    uint64_t v = h[i];
    size_t j = i;
    while (j > 0 && h[j - 1] > v) {
        h[j] = h[j - 1];
        j--;
    }
    h[j] = v;
    return i - j;
}

/* Sorts n < ND_BUCKET_MAX uniformly distributed hashes: one counting pass
 * on the top b bits (2^b >= n buckets, so about one value per bucket) into
 * tmp, then an insertion sort that has almost nothing left to move, copied
 * back to h.  O(n + 2^b); about 5x faster than the quicksort for paragraph
 * sized sets, whose branches on random data mispredict half the time. */
#define ND_BUCKET_MAX 4096
static void bucket_sort_u64(uint64_t *h, uint64_t *tmp, size_t n) {
    uint32_t cnt[ND_BUCKET_MAX + 1];
    unsigned b = 1;
    while (((size_t)1 << b) < n) b++;
    const unsigned shift = 64 - b;
    const size_t nb = (size_t)1 << b;
    memset(cnt, 0, (nb + 1) * sizeof *cnt);
    for (size_t i = 0; i < n; i++) cnt[(h[i] >> shift) + 1]++;
    for (size_t i = 1; i <= nb; i++) cnt[i] += cnt[i - 1];
    for (size_t i = 0; i < n; i++) tmp[cnt[h[i] >> shift]++] = h[i];
    size_t moves = 0, budget = 16 * n; /* crafted hashes cannot make it quadratic */
    for (size_t i = 1; i < n; i++) {
        moves += insert_u64(tmp, i);
        if (moves > budget) {
            nd_sort_u64_inplace(tmp, n);
            break;
        }
    }
    memcpy(h, tmp, n * sizeof *h);
}

size_t nd_hashset_make(uint64_t *h, uint64_t *tmp, size_t n) {
    if (n < 2) return n;
    if (n < ND_BUCKET_MAX)
        bucket_sort_u64(h, tmp, n);
    else
        nd_sort_u64(h, tmp, n);
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (h[i] != h[m - 1]) h[m++] = h[i];
    return m;
}

size_t nd_hashset_intersection(const uint64_t *a, size_t na, const uint64_t *b, size_t nb) {
    size_t i = 0, j = 0, c = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            c++;
            i++;
            j++;
        }
    }
    return c;
}

double nd_hashset_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb) {
    if (na == 0 && nb == 0) return 0.0;
    size_t inter = nd_hashset_intersection(a, na, b, nb);
    return (double)inter / (double)(na + nb - inter);
}

void nd_shingler_init(nd_shingler *s, const nd_options *opt) {
    memset(s, 0, sizeof *s);
    nd_norm_init(&s->norm, opt->norm_flags);
    s->w = opt->shingle;
    s->seed = opt->seed;
}

void nd_shingler_release(nd_shingler *s) {
    nd_norm_release(&s->norm);
    free(s->sh);
    free(s->tmp);
    memset(s, 0, sizeof *s);
}

nd_status nd_shingler_run(nd_shingler *s, const uint8_t *text, size_t len, uint64_t **hashes,
                          size_t *nhashes, size_t *nchars, const uint64_t **tokens, size_t *ntok) {
    const uint64_t *tok = NULL;
    size_t nt = 0, nc = 0;
    ND_TRY(nd_norm_tokens(&s->norm, text, len, &tok, &nt, &nc));
    size_t need = nt ? (nt >= s->w ? nt - s->w + 1 : 1) : 1;
    if (need > s->sh_cap) {
        size_t cap = s->sh_cap;
        ND_TRY(ND_GROW(s->sh, cap, need));
        cap = s->sh_cap;
        ND_TRY(ND_GROW(s->tmp, cap, need));
        s->sh_cap = cap;
    }
    *nhashes = nd_shingle_hashes(tok, nt, s->w, s->seed, s->sh);
    *hashes = s->sh;
    *nchars = nc;
    if (tokens) *tokens = tok;
    if (ntok) *ntok = nt;
    return ND_OK;
}

nd_status nd_shingler_set(nd_shingler *s, const uint8_t *text, size_t len, uint64_t **set,
                          size_t *nset) {
    uint64_t *h = NULL;
    size_t n = 0, nc = 0;
    ND_TRY(nd_shingler_run(s, text, len, &h, &n, &nc, NULL, NULL));
    *nset = nd_hashset_make(h, s->tmp, n);
    *set = h;
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Public sketcher                                                           */
/* ------------------------------------------------------------------------ */

struct nd_sketcher {
    nd_options opt;
    nd_shingler sh;
    nd_minhash mh;
};

nd_status nd_sketcher_new(const nd_options *opt, nd_sketcher **out) {
    nd_status st = ND_OK;
    nd_sketcher *sk = NULL;
    if (!out) return ND_ERR_INVALID;
    if (!(sk = nd_calloc(1, sizeof *sk))) return ND_ERR_NOMEM;
    if (opt)
        sk->opt = *opt;
    else
        nd_options_default(&sk->opt);
    ND_CHECK(nd_options_check(&sk->opt, NULL, 0));
    nd_shingler_init(&sk->sh, &sk->opt);
    ND_CHECK(nd_minhash_init(&sk->mh, sk->opt.num_perm, sk->opt.seed));
    *out = sk;
    sk = NULL;
out:
    nd_sketcher_free(sk);
    return st;
}

void nd_sketcher_free(nd_sketcher *sk) {
    if (!sk) return;
    nd_shingler_release(&sk->sh);
    nd_minhash_release(&sk->mh);
    free(sk);
}

nd_status nd_sketcher_normalize(nd_sketcher *sk, const char *text, size_t len, char **out,
                                size_t *out_len) {
    if (!sk || (!text && len) || !out || !out_len) return ND_ERR_INVALID;
    const uint32_t *cps = NULL;
    size_t n = 0;
    ND_TRY(nd_norm_chars(&sk->sh.norm, (const uint8_t *)text, len, &cps, &n));
    char *buf = nd_mallocn(n * 4 + 1, 1);
    if (!buf) return ND_ERR_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) o += nd_utf8_encode(cps[i], (uint8_t *)buf + o);
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return ND_OK;
}

nd_status nd_sketcher_shingles(nd_sketcher *sk, const char *text, size_t len, uint64_t **out,
                               size_t *count) {
    if (!sk || (!text && len) || !out || !count) return ND_ERR_INVALID;
    uint64_t *set = NULL;
    size_t n = 0;
    ND_TRY(nd_shingler_set(&sk->sh, (const uint8_t *)text, len, &set, &n));
    if (n == 0) {
        *out = NULL;
        *count = 0;
        return ND_OK;
    }
    uint64_t *copy = nd_mallocn(n, sizeof *copy);
    if (!copy) return ND_ERR_NOMEM;
    memcpy(copy, set, n * sizeof *copy);
    *out = copy;
    *count = n;
    return ND_OK;
}

nd_status nd_sketcher_signature(nd_sketcher *sk, const char *text, size_t len, uint32_t *sig) {
    if (!sk || (!text && len) || !sig) return ND_ERR_INVALID;
    uint64_t *h = NULL;
    size_t n = 0, nc = 0;
    ND_TRY(nd_shingler_run(&sk->sh, (const uint8_t *)text, len, &h, &n, &nc, NULL, NULL));
    nd_minhash_reset(&sk->mh, sig);
    nd_minhash_update(&sk->mh, h, n, sig);
    nd_minhash_finish(&sk->mh, sig);
    return ND_OK;
}

nd_status nd_sketcher_jaccard(nd_sketcher *sk, const char *a, size_t alen, const char *b,
                              size_t blen, double *out) {
    nd_status st = ND_OK;
    uint64_t *sa = NULL;
    size_t na = 0;
    if (!sk || (!a && alen) || (!b && blen) || !out) return ND_ERR_INVALID;
    ND_CHECK(nd_sketcher_shingles(sk, a, alen, &sa, &na));
    uint64_t *sb = NULL;
    size_t nb = 0;
    ND_CHECK(nd_shingler_set(&sk->sh, (const uint8_t *)b, blen, &sb, &nb));
    *out = nd_hashset_jaccard(sa, na, sb, nb);
out:
    free(sa);
    return st;
}
