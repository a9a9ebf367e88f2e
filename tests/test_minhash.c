/* test_minhash.c - shingles, MinHash against a slow 128-bit reference, sets. */
#include <criterion/criterion.h>
#include <string.h>
#include <xxhash.h>

#include "nd_internal.h"
#include "sketch.h"
#include "support.h"

/* The reference computes a*x+b exactly in 128 bits and reduces modulo 2^64
 * by hand, so any overflow mistake in the fast loop shows up as a mismatch. */
static uint32_t ref_h(uint64_t a, uint64_t b, uint64_t x) {
    __extension__ typedef unsigned __int128 u128;
    u128 full = (u128)a * x + b;
    uint64_t mod = (uint64_t)(full & (((u128)1 << 64) - 1));
    return (uint32_t)(mod >> 32);
}

static void ref_signature(uint64_t seed, unsigned k, const uint64_t *x, size_t n,
                          uint32_t *sig) {
    uint64_t state = seed ^ UINT64_C(0x6d696e6861736821);
    for (unsigned i = 0; i < k; i++) {
        uint64_t a = nd_splitmix64(&state) | 1u;
        uint64_t b = nd_splitmix64(&state);
        uint32_t m = UINT32_MAX;
        for (size_t j = 0; j < n; j++) {
            uint32_t v = ref_h(a, b, x[j]);
            if (v < m) m = v;
        }
        sig[i] = m;
    }
}

Test(minhash, fast_loop_matches_128_bit_reference) {
    unsigned ks[] = {1, 7, 128, 256, 1000};
    uint64_t x[300];
    uint64_t st = 42;
    for (size_t j = 0; j < 300; j++) x[j] = nd_splitmix64(&st);
    x[0] = UINT64_MAX; /* extreme inputs where a*x wraps */
    x[1] = 0;
    for (size_t t = 0; t < sizeof ks / sizeof *ks; t++) {
        unsigned k = ks[t];
        nd_minhash mh;
        cr_assert_eq(nd_minhash_init(&mh, k, 1234), ND_OK);
        uint32_t *fast = malloc(k * sizeof *fast), *slow = malloc(k * sizeof *slow);
        nd_minhash_reset(&mh, fast);
        nd_minhash_update(&mh, x, 150, fast); /* in two calls: the update is a fold */
        nd_minhash_update(&mh, x + 150, 150, fast);
        ref_signature(1234, k, x, 300, slow);
        cr_expect_arr_eq(fast, slow, k * sizeof *fast, "k=%u", k);
        free(fast);
        free(slow);
        nd_minhash_release(&mh);
    }
}

Test(minhash, estimate_tracks_exact_jaccard) {
    /* Sets with known overlap: |A|=|B|=1000, |A n B|=600 -> J = 600/1400. */
    enum { K = 512 };
    uint64_t a[1000], b[1000], st = 9;
    for (int i = 0; i < 1000; i++) a[i] = nd_splitmix64(&st);
    for (int i = 0; i < 600; i++) b[i] = a[i];
    for (int i = 600; i < 1000; i++) b[i] = nd_splitmix64(&st);
    nd_minhash mh;
    cr_assert_eq(nd_minhash_init(&mh, K, ND_DEFAULT_SEED), ND_OK);
    uint32_t sa[K], sb[K];
    nd_minhash_reset(&mh, sa);
    nd_minhash_reset(&mh, sb);
    nd_minhash_update(&mh, a, 1000, sa);
    nd_minhash_update(&mh, b, 1000, sb);
    int eq = 0;
    for (int i = 0; i < K; i++) eq += sa[i] == sb[i];
    double est = (double)eq / K, j = 600.0 / 1400.0;
    /* 4 standard errors: sqrt(J(1-J)/K) = 0.0219 */
    cr_expect(est > j - 0.088 && est < j + 0.088, "estimate %f vs %f", est, j);
    nd_minhash_release(&mh);
}

Test(minhash, empty_input_leaves_signature_at_max) {
    nd_minhash mh;
    cr_assert_eq(nd_minhash_init(&mh, 16, 1), ND_OK);
    uint32_t sig[16];
    nd_minhash_reset(&mh, sig);
    nd_minhash_update(&mh, NULL, 0, sig);
    for (int i = 0; i < 16; i++) cr_expect_eq(sig[i], UINT32_MAX);
    nd_minhash_release(&mh);
}

Test(shingle, windows_of_w_tokens_are_hashed_with_xxh3) {
    uint64_t tok[7] = {1, 2, 3, 4, 5, 6, 7}, out[7];
    size_t n = nd_shingle_hashes(tok, 7, 5, 99, out);
    cr_assert_eq(n, 3u);
    for (size_t i = 0; i < 3; i++)
        cr_expect_eq(out[i], XXH3_64bits_withSeed(tok + i, 5 * sizeof *tok, 99));
}

Test(shingle, short_paragraph_gets_one_shingle_of_all_tokens) {
    uint64_t tok[3] = {0x4e2d, 0x6587, 0x5b57}, out[1];
    cr_assert_eq(nd_shingle_hashes(tok, 3, 5, 7, out), 1u);
    cr_expect_eq(out[0], XXH3_64bits_withSeed(tok, 3 * sizeof *tok, 7));
    cr_expect_eq(nd_shingle_hashes(tok, 0, 5, 7, out), 0u);
}

Test(shingle, exactly_w_tokens_give_one_window) {
    uint64_t tok[5] = {1, 2, 3, 4, 5}, out[1];
    cr_assert_eq(nd_shingle_hashes(tok, 5, 5, 0, out), 1u);
    cr_expect_eq(out[0], XXH3_64bits_withSeed(tok, 40, 0));
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
