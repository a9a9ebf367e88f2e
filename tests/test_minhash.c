/* test_minhash.c - shingles, one-permutation MinHash against a slow reference
 * and against exact Jaccard, sets. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>
#include <xxhash.h>

#include "nd_internal.h"
#include "sketch.h"
#include "support.h"

/* A slow, independent reference of the signature format (sketch.c): bin
 * from the high half of each shingle hash, value from its low half; then
 * every empty bin i takes the value of the first non-empty bin in its probe
 * order, written out here in full: i first, then the other bins shuffled by
 * Fisher-Yates (splitmix64 from the state mix(probe + i), the index drawn at
 * step t being 1 + ((r >> 32) * t >> 32)). */
static uint64_t ref_mix(uint64_t h) {
    h ^= h >> 27;
    h *= UINT64_C(0x3c79ac492ba7b653);
    h ^= h >> 33;
    h *= UINT64_C(0x1c69b3f74ac4ae35);
    h ^= h >> 27;
    return h;
}

static uint64_t ref_probe_seed(uint64_t seed) {
    uint64_t state = seed ^ UINT64_C(0x6d696e6861736821);
    return nd_splitmix64(&state);
}

/* sig = raw densified: each empty bin walks its whole probe order. */
static void ref_densify(uint64_t seed, unsigned k, const uint32_t *raw, uint32_t *sig) {
    uint64_t probe = ref_probe_seed(seed);
    unsigned *order = malloc(k * sizeof *order), filled = 0;
    for (unsigned i = 0; i < k; i++) filled += raw[i] != UINT32_MAX;
    for (unsigned i = 0; i < k; i++) {
        sig[i] = raw[i];
        if (raw[i] != UINT32_MAX || filled == 0) continue;
        order[0] = i;
        for (unsigned t = 1, b = 0; t < k; t++, b++) order[t] = b == i ? ++b : b;
        uint64_t st = ref_mix(probe + i);
        for (unsigned t = k - 1; t >= 2; t--) {
            unsigned u = 1 + (unsigned)(((nd_splitmix64(&st) >> 32) * t) >> 32);
            unsigned v = order[t];
            order[t] = order[u];
            order[u] = v;
        }
        unsigned steps = 0;
        for (unsigned t = 0; raw[order[t]] == UINT32_MAX; t++) steps++;
        cr_assert_leq(steps, k - filled, "a permutation ends within k - F + 1 entries");
        sig[i] = raw[order[steps]];
    }
    free(order);
}

static void ref_signature(uint64_t seed, unsigned k, const uint64_t *x, size_t n, uint32_t *sig) {
    uint32_t *raw = malloc(k * sizeof *raw);
    for (unsigned i = 0; i < k; i++) raw[i] = UINT32_MAX;
    for (size_t j = 0; j < n; j++) {
        uint64_t h = x[j];
        unsigned bin = (unsigned)(((h >> 32) * (uint64_t)k) >> 32);
        uint32_t v = (uint32_t)h;
        if (v == UINT32_MAX) v = UINT32_MAX - 1;
        if (v < raw[bin]) raw[bin] = v;
    }
    ref_densify(seed, k, raw, sig);
    free(raw);
}

/* k = 7 (rows padded), 100, 128 (the constant-trip-count column loop), 256
 * (the largest byte table), 257 and 1000 (16-bit tables); n from 0 to 1000,
 * so that both ways of densifying (column minimum for few full bins, walks
 * for many) run. */
static void fast_path_matches_reference(int simd) {
    unsigned ks[] = {1, 7, 100, 128, 256, 257, 1000};
    size_t ns[] = {0, 1, 2, 3, 5, 40, 100, 300, 1000};
    uint64_t x[1000];
    uint64_t st = 42;
    for (size_t j = 0; j < 1000; j++) x[j] = nd_splitmix64(&st);
    x[0] = UINT64_MAX; /* extreme inputs */
    x[1] = 0;
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        for (size_t u = 0; u < sizeof ns / sizeof *ns; u++) {
            unsigned k = ks[t];
            size_t n = ns[u];
            nd_minhash mh;
            cr_assert_eq(nd_minhash_init(&mh, k, 1234), ND_OK);
            mh.simd = mh.simd && simd;
            uint32_t *fast = malloc(k * sizeof *fast), *slow = malloc(k * sizeof *slow);
            nd_minhash_reset(&mh, fast);
            nd_minhash_update(&mh, x, n / 2, fast); /* two calls: the update is a fold */
            nd_minhash_update(&mh, x + n / 2, n - n / 2, fast);
            nd_minhash_finish(&mh, fast);
            ref_signature(1234, k, x, n, slow);
            cr_expect_arr_eq(fast, slow, k * sizeof *fast, "k=%u n=%zu", k, n);
            free(fast);
            free(slow);
            nd_minhash_release(&mh);
        }
    }
}

/* With the AVX2 paths of nd_minhash_finish where the CPU has them, and
 * with the portable paths only. */
Test(minhash, fast_path_matches_reference) { fast_path_matches_reference(1); }
Test(minhash, fast_path_matches_reference_portable) { fast_path_matches_reference(0); }

/* nd_minhash_sketch (reset + update + finish of the bins [0, need)) gives
 * the reference's values on those bins, for sets small enough to take its
 * sparse path and larger, every way of densifying, with and without AVX2. */
static void sketch_matches_reference(int simd) {
    unsigned ks[] = {1, 7, 100, 128, 256, 257};
    size_t ns[] = {0, 1, 2, 3, 5, 17, 39, 40, 41, 100, 300};
    unsigned needs[] = {1, 5, 8, 100, 108, 112, 127, 128, 257, 5000};
    uint64_t x[300];
    uint64_t st = 4242;
    for (size_t j = 0; j < 300; j++) x[j] = nd_splitmix64(&st);
    x[0] = UINT64_MAX;
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        unsigned k = ks[t];
        nd_minhash mh;
        cr_assert_eq(nd_minhash_init(&mh, k, 77), ND_OK);
        mh.simd = mh.simd && simd;
        uint32_t *fast = malloc(k * sizeof *fast), *slow = malloc(k * sizeof *slow);
        for (size_t u = 0; u < sizeof ns / sizeof *ns; u++) {
            for (size_t v = 0; v < sizeof needs / sizeof *needs; v++) {
                size_t n = ns[u];
                unsigned need = needs[v] < k ? needs[v] : k;
                nd_minhash_sketch(&mh, x, n, needs[v], fast);
                ref_signature(77, k, x, n, slow);
                cr_expect_arr_eq(fast, slow, need * sizeof *fast, "k=%u n=%zu need=%u", k, n,
                                 needs[v]);
            }
        }
        free(fast);
        free(slow);
        nd_minhash_release(&mh);
    }
}

Test(minhash, sketch_matches_reference) { sketch_matches_reference(1); }
Test(minhash, sketch_matches_reference_portable) { sketch_matches_reference(0); }

/* Every number F of full bins from 1 to k - 1 (random patterns), value for
 * value against the reference. */
static void every_number_of_full_bins(int simd) {
    unsigned ks[] = {7, 100, 128, 256, 300};
    uint64_t st = 99;
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        unsigned k = ks[t];
        nd_minhash mh;
        cr_assert_eq(nd_minhash_init(&mh, k, ND_DEFAULT_SEED), ND_OK);
        mh.simd = mh.simd && simd;
        uint32_t *raw = malloc(k * sizeof *raw), *fast = malloc(k * sizeof *fast),
                 *slow = malloc(k * sizeof *slow);
        for (unsigned F = 1; F < k; F++) {
            for (unsigned i = 0; i < k; i++) raw[i] = UINT32_MAX;
            for (unsigned c = 0; c < F;) {
                unsigned b = (unsigned)(nd_splitmix64(&st) % k);
                if (raw[b] != UINT32_MAX) continue;
                raw[b] = (uint32_t)(nd_splitmix64(&st) % UINT32_MAX);
                c++;
            }
            memcpy(fast, raw, k * sizeof *fast);
            nd_minhash_finish(&mh, fast);
            ref_densify(ND_DEFAULT_SEED, k, raw, slow);
            cr_assert_arr_eq(fast, slow, k * sizeof *fast, "k=%u F=%u", k, F);
        }
        free(raw);
        free(fast);
        free(slow);
        nd_minhash_release(&mh);
    }
}

Test(minhash, every_number_of_full_bins_matches_reference) { every_number_of_full_bins(1); }
Test(minhash, every_number_of_full_bins_matches_reference_portable) {
    every_number_of_full_bins(0);
}

/* The estimator against exact Jaccard, for pairs of sets of 3 to 1000
 * shingles: equal and unequal sizes, nested sets, J from 0.05 to 0.9.  Each
 * configuration is sketched T times with fresh random sets.  k independent
 * MinHashes would give eq ~ Binomial(k, J), i.e. an estimate with mean J
 * and variance s2 = J(1 - J) / k.  Checked, per configuration:
 *   bias:   |mean - J| <= 4 sqrt(max(s2, mse) / T): 4 standard errors of
 *           the mean (binomial, or the measured spread where that is wider;
 *           about 1 in 16000 false alarms per check);
 *   spread: 0.5 <= mean((est - J)^2) / s2 <= 1.25 when |A u B| >= 64,
 *           <= 2.0 below.  Were the estimate binomial, T times the ratio
 *           would be chi-square with T degrees of freedom: sd of the ratio
 *           sqrt(2 / T) = 0.045 for T = 1000, so 1.25 is more than 5 sd
 *           above 1.  One-permutation hashing differs from k independent
 *           MinHashes in two known ways, hence the wider band: when
 *           |A u B| is a few times k the bins partition the union (sampling
 *           without replacement: tighter, 0.71 measured at |A u B| = 300);
 *           when it is small, two union elements sharing a bin (probability
 *           about |A u B|^2 / 2k) moves the estimate by about 1 / F of the
 *           F full bins (wider: 1.6-1.7 measured at |A u B| = 4 to 7, 1.5 at
 *           15, 1.3 at 50; densification by i.i.d. probe sequences
 *           measured the same, as the argument in sketch.c predicts).
 * The seed and the sets are fixed, so the test is deterministic. */
Test(minhash, estimator_is_unbiased_with_binomial_spread) {
    enum { K = 128, T = 1000 };
    static const struct {
        unsigned na, nb, c;
    } cfg[] = {
        {3, 3, 2},        {3, 5, 2},        {4, 4, 1},         {5, 8, 4},         {8, 8, 6},
        {10, 10, 5},      {12, 30, 12},     {20, 20, 18},      {20, 60, 10},      {40, 40, 30},
        {50, 100, 40},    {64, 64, 32},     {100, 100, 90},    {100, 300, 90},    {200, 200, 100},
        {150, 1000, 150}, {500, 1000, 450}, {1000, 1000, 800}, {1000, 1000, 100}, {3, 1000, 3},
    };
    nd_minhash mh;
    cr_assert_eq(nd_minhash_init(&mh, K, ND_DEFAULT_SEED), ND_OK);
    static uint64_t a[1000], b[1000];
    uint64_t st = 7;
    for (size_t q = 0; q < sizeof cfg / sizeof *cfg; q++) {
        unsigned na = cfg[q].na, nb = cfg[q].nb, c = cfg[q].c;
        double j = (double)c / (double)(na + nb - c), s2 = j * (1 - j) / K;
        double sum = 0, sq = 0;
        for (int t = 0; t < T; t++) {
            for (unsigned i = 0; i < na; i++) a[i] = nd_splitmix64(&st);
            for (unsigned i = 0; i < nb; i++) b[i] = i < c ? a[i] : nd_splitmix64(&st);
            uint32_t sa[K], sb[K];
            nd_minhash_reset(&mh, sa);
            nd_minhash_reset(&mh, sb);
            nd_minhash_update(&mh, a, na, sa);
            nd_minhash_update(&mh, b, nb, sb);
            nd_minhash_finish(&mh, sa);
            nd_minhash_finish(&mh, sb);
            int eq = 0;
            for (int i = 0; i < K; i++) eq += sa[i] == sb[i];
            double e = (double)eq / K - j;
            sum += e;
            sq += e * e;
        }
        double bias = sum / T, ratio = sq / T / s2;
        double bound = 4 * sqrt((ratio > 1 ? ratio : 1) * s2 / T);
        cr_log_info("|A| %4u |B| %4u |AnB| %4u  J %.3f  bias %+.5f (bound %.5f)  mse/binomial %.3f",
                    na, nb, c, j, bias, bound, ratio);
        cr_expect(fabs(bias) <= bound, "|A| %u |B| %u c %u: bias %f", na, nb, c, bias);
        double hi = na + nb - c >= 64 ? 1.25 : 2.0;
        cr_expect(ratio >= 0.5 && ratio <= hi, "|A| %u |B| %u c %u: mse / binomial %f", na, nb, c,
                  ratio);
    }
    /* the extremes are exact: equal sets agree everywhere, disjoint ones
     * (almost surely) nowhere */
    for (unsigned n = 3; n <= 1000; n = n * 3 + 1) {
        for (unsigned i = 0; i < n; i++) a[i] = nd_splitmix64(&st), b[i] = nd_splitmix64(&st);
        uint32_t sa[K], sa2[K], sb[K];
        nd_minhash_reset(&mh, sa);
        nd_minhash_reset(&mh, sa2);
        nd_minhash_reset(&mh, sb);
        nd_minhash_update(&mh, a, n, sa);
        nd_minhash_update(&mh, a, n, sa2);
        nd_minhash_update(&mh, b, n, sb);
        nd_minhash_finish(&mh, sa);
        nd_minhash_finish(&mh, sa2);
        nd_minhash_finish(&mh, sb);
        int eq = 0;
        for (int i = 0; i < K; i++) eq += sa[i] == sb[i];
        cr_expect_arr_eq(sa, sa2, sizeof sa);
        cr_expect_eq(eq, 0, "n %u", n);
    }
    nd_minhash_release(&mh);
}

Test(minhash, empty_input_leaves_signature_at_max) {
    nd_minhash mh;
    cr_assert_eq(nd_minhash_init(&mh, 16, 1), ND_OK);
    uint32_t sig[16];
    nd_minhash_reset(&mh, sig);
    nd_minhash_update(&mh, NULL, 0, sig);
    nd_minhash_finish(&mh, sig);
    for (int i = 0; i < 16; i++) cr_expect_eq(sig[i], UINT32_MAX);
    nd_minhash_release(&mh);
}

/* Reference of the shingle hash (sketch.c): up to 6 tokens below 2^21 are
 * packed bit by bit, token j at bits 21j.., into 16 little-endian bytes; up
 * to 6 tokens with a wider one are folded bit by bit, bit b of token j to
 * bit 64 (j / 3) + (b + 21 (j % 3)) mod 64, xored, and bit 127 flipped;
 * longer windows are hashed as their 8-byte little-endian token values. */
static uint64_t ref_shingle(const uint64_t *t, size_t m, uint64_t seed) {
    int small = m <= 6;
    for (size_t j = 0; j < m; j++) small &= t[j] < (UINT64_C(1) << 21);
    if (!small && m <= 6) {
        uint8_t b[16] = {0};
        for (size_t j = 0; j < m; j++)
            for (unsigned bit = 0; bit < 64; bit++)
                if (t[j] >> bit & 1) {
                    unsigned to = 64 * (unsigned)(j / 3) + (bit + 21 * (unsigned)(j % 3)) % 64;
                    b[to / 8] ^= (uint8_t)(1u << (to % 8));
                }
        b[15] ^= 0x80;
        return XXH3_64bits_withSeed(b, 16, seed);
    }
    if (!small) {
        uint8_t b[8 * 16] = {0};
        for (size_t j = 0; j < m; j++)
            for (int i = 0; i < 8; i++) b[8 * j + (size_t)i] = (uint8_t)(t[j] >> (8 * i));
        return XXH3_64bits_withSeed(b, 8 * m, seed);
    }
    uint8_t b[16] = {0};
    for (unsigned bit = 0; bit < 128; bit++) {
        size_t j = bit / 21;
        if (j < m && (t[j] >> (bit % 21) & 1)) b[bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
    return XXH3_64bits_withSeed(b, 16, seed);
}

Test(shingle, windows_of_small_tokens_are_packed_into_16_bytes) {
    uint64_t tok[7] = {1, 2, 3, 0x1FFFFF, 0x4e2d, 0x10FFFF, 7}, out[7];
    size_t n = nd_shingle_hashes(tok, 7, 5, 99, out);
    cr_assert_eq(n, 3u);
    for (size_t i = 0; i < 3; i++)
        cr_expect_eq(out[i], ref_shingle(tok + i, 5, 99), "window %zu", i);
    /* the packing is what the reference says, not the 40-byte form */
    cr_expect_neq(out[0], XXH3_64bits_withSeed(tok, 40, 99));
}

Test(shingle, windows_with_a_word_token_are_folded_into_16_bytes) {
    uint64_t tok[6] = {0x4e2d, UINT64_C(1) << 63 | 12345, 0x6587, 3, 4, 5}, out[6];
    cr_assert_eq(nd_shingle_hashes(tok, 6, 5, 7, out), 2u);
    cr_expect_eq(out[0], ref_shingle(tok, 5, 7));
    cr_expect_eq(out[1], ref_shingle(tok + 1, 5, 7));
    /* by hand: lanes t0 ^ rotl(t1, 21) ^ rotl(t2, 42) and t3 ^ rotl(t4, 21) ^ 2^63 */
    uint8_t b[16];
    uint64_t lo =
        0x4e2d ^ ((UINT64_C(12345) << 21) | (UINT64_C(1) << 20)) ^ (UINT64_C(0x6587) << 42);
    uint64_t hi = 3 ^ (UINT64_C(4) << 21) ^ (UINT64_C(1) << 63);
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(lo >> (8 * i));
        b[8 + i] = (uint8_t)(hi >> (8 * i));
    }
    cr_expect_eq(out[0], XXH3_64bits_withSeed(b, 16, 7));
    tok[1] = UINT64_C(1) << 21; /* one bit too wide to pack */
    cr_assert_eq(nd_shingle_hashes(tok, 6, 5, 7, out), 2u);
    cr_expect_eq(out[0], ref_shingle(tok, 5, 7));
    /* windows that differ only in code-point tokens never fold alike */
    uint64_t a[5] = {UINT64_C(1) << 63 | 99, 1, 1 << 14, 8, 9},
             c[5] = {UINT64_C(1) << 63 | 99, 1, 1, 8, 9};
    uint64_t ha, hc;
    nd_shingle_hashes(a, 5, 5, 7, &ha);
    nd_shingle_hashes(c, 5, 5, 7, &hc);
    cr_expect_neq(ha, hc);
}

Test(shingle, other_window_sizes_follow_the_same_rule) {
    uint64_t tok[9] = {11, 12, 13, 14, 15, 16, 17, 18, 19}, out[9];
    for (unsigned w = 1; w <= 8; w++) {
        size_t n = nd_shingle_hashes(tok, 9, w, 3, out);
        cr_assert_eq(n, 9 - w + 1);
        for (size_t i = 0; i < n; i++)
            cr_expect_eq(out[i], ref_shingle(tok + i, w, 3), "w %u window %zu", w, i);
    }
}

/* Long runs (the AVX2 path takes four windows at a time; a group holding a
 * wide token falls back), every window checked against the reference, at
 * every start offset so that groups and the scalar tail shift. */
Test(shingle, long_runs_of_mixed_tokens_match_the_reference_window_by_window) {
    enum { N = 2000 };
    static uint64_t tok[N], out[N];
    uint64_t st = 77;
    for (size_t i = 0; i < N; i++) {
        uint64_t r = nd_splitmix64(&st);
        tok[i] = r % 23 == 0   ? (r | UINT64_C(1) << 63) /* word token */
                 : r % 29 == 0 ? UINT64_C(1) << 21       /* just too wide */
                               : 1 + r % 0x1FFFFF;
    }
    for (int simd = 0; simd < 2; simd++) { /* the portable loop, then AVX2 where there */
        for (size_t off = 0; off < 9; off++) {
            size_t n = nd_shingle_hashes_simd(tok + off, N - off, 5, 12345, simd, out);
            cr_assert_eq(n, N - off - 4);
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(out[i], ref_shingle(tok + off + i, 5, 12345),
                             "simd %d offset %zu window %zu", simd, off, i);
        }
    }
}

Test(shingle, short_paragraph_gets_one_shingle_of_all_tokens) {
    uint64_t tok[3] = {0x4e2d, 0x6587, 0x5b57}, out[1];
    cr_assert_eq(nd_shingle_hashes(tok, 3, 5, 7, out), 1u);
    cr_expect_eq(out[0], ref_shingle(tok, 3, 7));
    cr_expect_eq(nd_shingle_hashes(tok, 0, 5, 7, out), 0u);
    /* shorter windows never pack like longer ones: no token is 0 */
    uint64_t four[4] = {0x4e2d, 0x6587, 0x5b57, 0x4e00}, h4;
    cr_assert_eq(nd_shingle_hashes(four, 4, 5, 7, &h4), 1u);
    cr_expect_neq(h4, out[0]);
}

Test(shingle, exactly_w_tokens_give_one_window) {
    uint64_t tok[5] = {1, 2, 3, 4, 5}, out[1];
    cr_assert_eq(nd_shingle_hashes(tok, 5, 5, 0, out), 1u);
    cr_expect_eq(out[0], ref_shingle(tok, 5, 0));
}

Test(hashset, make_sorts_sets_of_every_size) {
    size_t sizes[] = {2, 17, 100, 2047, 2048, 5000};
    for (size_t t = 0; t < 6; t++) {
        size_t n = sizes[t];
        uint64_t *v = malloc(n * sizeof *v), *tmp = malloc(n * sizeof *tmp), st = n;
        for (size_t i = 0; i < n; i++) v[i] = nd_splitmix64(&st) % (n / 2 + 1); /* repeats */
        size_t m = nd_hashset_make(v, tmp, n);
        for (size_t i = 1; i < m; i++) cr_expect_lt(v[i - 1], v[i], "n=%zu i=%zu", n, i);
        free(v);
        free(tmp);
    }
}

Test(hashset, make_sorts_and_removes_repeats) {
    uint64_t v[200], tmp[200];
    for (int i = 0; i < 200; i++) v[i] = (uint64_t)(199 - i) % 50 * 1000003u;
    size_t n = nd_hashset_make(v, tmp, 200);
    cr_assert_eq(n, 50u);
    for (size_t i = 0; i < n; i++) cr_expect_eq(v[i], i * 1000003u);
}

Test(hashset, jaccard_is_exact) {
    uint64_t a[] = {1, 2, 3, 4}, b[] = {3, 4, 5, 6, 7, 8};
    cr_expect_eq(nd_hashset_intersection(a, 4, b, 6), 2u);
    cr_expect_float_eq(nd_hashset_jaccard(a, 4, b, 6), 2.0 / 8.0, 1e-12);
    cr_expect_float_eq(nd_hashset_jaccard(a, 4, a, 4), 1.0, 1e-12);
    cr_expect_float_eq(nd_hashset_jaccard(a, 0, b, 0), 0.0, 1e-12);
}

Test(sketcher, jaccard_of_text_and_its_copy_is_one_and_of_strangers_low) {
    nd_sketcher *sk = NULL;
    cr_assert_eq(nd_sketcher_new(NULL, &sk), ND_OK);
    const char *a = "严格落实意识形态工作责任制，牢牢把握意识形态工作主动权";
    const char *b = "嚴格落實意識形態(tài)工作責任制,牢牢把握意識形態(tài)工作主動權(quán)";
    const char *c = "The quick brown fox jumps over the lazy dog again and again";
    double j = -1;
    cr_assert_eq(nd_sketcher_jaccard(sk, a, strlen(a), b, strlen(b), &j), ND_OK);
    cr_expect_float_eq(j, 1.0, 1e-12, "Traditional+pinyin copy: J = %f", j);
    cr_assert_eq(nd_sketcher_jaccard(sk, a, strlen(a), c, strlen(c), &j), ND_OK);
    cr_expect_float_eq(j, 0.0, 1e-12);
    nd_sketcher_free(sk);
}

Test(sketcher, signature_equals_minhash_of_shingle_set) {
    nd_sketcher *sk = NULL;
    cr_assert_eq(nd_sketcher_new(NULL, &sk), ND_OK);
    const char *t = "按照守土有责、守土负责、守土尽责的要求";
    uint64_t *set = NULL;
    size_t n = 0;
    cr_assert_eq(nd_sketcher_shingles(sk, t, strlen(t), &set, &n), ND_OK);
    cr_assert_gt(n, 0u);
    uint32_t sig[128], ref[128];
    cr_assert_eq(nd_sketcher_signature(sk, t, strlen(t), sig), ND_OK);
    ref_signature(ND_DEFAULT_SEED, 128, set, n, ref);
    cr_expect_arr_eq(sig, ref, sizeof sig);
    free(set);
    nd_sketcher_free(sk);
}
