/* test_lsh.c - S-curve, parameter choice, band keys and candidates. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "lsh.h"
#include "nd_internal.h"

Test(lsh, probability_is_the_s_curve_formula) {
    for (double s = 0.05; s < 1.0; s += 0.05)
        cr_expect_float_eq(nd_lsh_probability(s, 18, 7), 1 - pow(1 - pow(s, 7), 18), 1e-12);
    cr_expect_float_eq(nd_lsh_probability(0.0, 18, 7), 0.0, 1e-12);
    cr_expect_float_eq(nd_lsh_probability(1.0, 18, 7), 1.0, 1e-12);
}

/* Area under the S-curve below t by an independent integration (Simpson's
 * rule, 2000 intervals): proportional to the expected candidates. */
static double fp_area(double t, unsigned b, unsigned r) {
    const int n = 2000;
    double fp = 0;
    for (int i = 0; i <= n; i++) {
        double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
        fp += w * (1 - pow(1 - pow(t * i / n, r), b));
    }
    return fp * t / n / 3;
}

Test(lsh, chosen_parameters_meet_the_recall_floor_with_fewest_candidates) {
    unsigned ks[] = {64, 128, 256};
    for (int ti = 50; ti <= 95; ti += 5) {
        double t = ti / 100.0;
        for (size_t j = 0; j < 3; j++) {
            unsigned b = 0, r = 0, k = ks[j];
            cr_assert_eq(nd_lsh_params(t, k, &b, &r), ND_OK);
            cr_assert_leq(b * r, k);
            cr_expect_geq(nd_lsh_probability(t, b, r), ND_LSH_MIN_RECALL,
                          "t=%.2f k=%u: %ux%u misses the floor", t, k, b, r);
            double chosen = fp_area(t, b, r);
            /* brute force over every (b, r) that meets the floor */
            for (unsigned rr = 1; rr <= k; rr++)
                for (unsigned bb = 1; bb * rr <= k; bb++)
                    if (nd_lsh_probability(t, bb, rr) >= ND_LSH_MIN_RECALL)
                        cr_expect_leq(chosen, fp_area(t, bb, rr) * (1 + 1e-3),
                                      "t=%.2f k=%u: %ux%u has fewer candidates than %ux%u", t, k,
                                      bb, rr, b, r);
        }
    }
}

Test(lsh, default_permutations_meet_the_floor_at_every_threshold) {
    for (int ti = 5; ti <= 100; ti++) {
        unsigned b = 0, r = 0;
        cr_assert_eq(nd_lsh_params(ti / 100.0, 128, &b, &r), ND_OK);
        cr_expect_geq(nd_lsh_probability(ti / 100.0, b, r), ND_LSH_MIN_RECALL, "t=%.2f: %ux%u",
                      ti / 100.0, b, r);
    }
}

Test(lsh, default_parameters) {
    unsigned b = 0, r = 0;
    cr_assert_eq(nd_lsh_params(0.8, 128, &b, &r), ND_OK);
    cr_expect_eq(b, 18u);
    cr_expect_eq(r, 6u);
    cr_expect_float_eq(nd_lsh_probability(0.8, b, r), 0.99580, 1e-5);
    cr_assert_eq(nd_lsh_params(0.6, 128, &b, &r), ND_OK);
    cr_expect_eq(b, 22u);
    cr_expect_eq(r, 3u);
}

Test(lsh, unreachable_floor_takes_the_highest_probability) {
    unsigned b = 0, r = 0;
    /* k = 4 at t = 0.5: 4 x 1 gives 0.9375, the best there is */
    cr_assert_eq(nd_lsh_params(0.5, 4, &b, &r), ND_OK);
    cr_expect_eq(b, 4u);
    cr_expect_eq(r, 1u);
    cr_assert_eq(nd_lsh_params(1.0, 4, &b, &r), ND_OK); /* P(1) = 1 for any: fewest candidates */
    cr_expect_eq(b, 1u);
    cr_expect_eq(r, 4u);
}

Test(lsh, rejects_bad_threshold) {
    unsigned b, r;
    cr_expect_eq(nd_lsh_params(0.0, 128, &b, &r), ND_ERR_INVALID);
    cr_expect_eq(nd_lsh_params(1.5, 128, &b, &r), ND_ERR_INVALID);
    cr_expect_eq(nd_lsh_params(NAN, 128, &b, &r), ND_ERR_INVALID);
    cr_expect_eq(nd_lsh_params(0.8, 0, &b, &r), ND_ERR_INVALID);
}

Test(lsh, equal_band_gives_sorted_distinct_candidates) {
    /* 4 items, 2 bands: items 10 and 30 share band 0, 20 and 30 share band
     * 1, and 10/30 also share band 1 -> pairs (10,30) once, (20,30). */
    uint32_t keys[] = {
        /* id 30 */ 5, 9,
        /* id 10 */ 5, 9,
        /* id 20 */ 6, 9,
        /* id 40 */ 7, 8,
    };
    uint32_t ids[] = {30, 10, 20, 40};
    nd_pairs p = {0};
    cr_assert_eq(nd_lsh_candidates(keys, ids, 4, 2, &p), ND_OK);
    cr_assert_eq(p.n, 3u);
    cr_expect_eq(p.v[0], (uint64_t)10 << 32 | 20);
    cr_expect_eq(p.v[1], (uint64_t)10 << 32 | 30);
    cr_expect_eq(p.v[2], (uint64_t)20 << 32 | 30);
    nd_pairs_release(&p);
}

Test(lsh, huge_bucket_expands_to_star_and_chain_not_all_pairs) {
    enum { M = 1000 };
    uint32_t *keys = malloc(M * sizeof *keys);
    uint32_t *ids = malloc(M * sizeof *ids);
    for (uint32_t i = 0; i < M; i++) {
        keys[i] = 42;
        ids[i] = i;
    }
    nd_pairs p = {0};
    cr_assert_eq(nd_lsh_candidates(keys, ids, M, 1, &p), ND_OK);
    cr_expect_eq(p.n, 2u * M - 3u); /* star M-1 + chain M-2 */
    nd_pairs_release(&p);
    free(keys);
    free(ids);
}

Test(lsh, band_keys_depend_on_band_index_and_rows) {
    uint32_t sig[6] = {1, 2, 3, 1, 2, 3};
    uint32_t k[2];
    nd_lsh_band_keys(sig, 2, 3, k);
    cr_expect_neq(k[0], k[1]); /* same values, different band */
}

/* The pairs of one band's entries, sorted and deduplicated. */
static void band_pairs_of(uint64_t *e, uint64_t *tmp, size_t n, nd_pairs *p) {
    nd_sort_hi32(e, tmp, n);
    cr_assert_eq(nd_lsh_band_pairs(e, n, p), ND_OK);
    cr_assert_eq(nd_pairs_finish(p), ND_OK);
}

Test(lsh, dropping_singletons_keeps_every_repeated_key_in_order) {
    enum { N = 20000 };
    uint64_t *e = malloc(N * sizeof *e), *f = malloc(N * sizeof *f);
    uint64_t *tmp = malloc(N * sizeof *tmp);
    cr_assert(e && f && tmp);
    uint64_t x = 0x9E3779B97F4A7C15u;
    /* tab_words: the whole scratch, a small table (many slots shared), two words */
    size_t words[] = {N, 300, 2};
    for (int w = 0; w < 3; w++) {
        for (size_t i = 0; i < N; i++) { /* a third of the keys from 2000 values */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint32_t key = (uint32_t)(x >> 32);
            if (x % 3 == 0) key = (uint32_t)(x % 2000) * 2654435761u;
            e[i] = (uint64_t)key << 32 | (uint32_t)i;
        }
        memcpy(f, e, N * sizeof *e);
        size_t m = nd_lsh_drop_singletons(f, N, tmp, words[w]);
        if (w == 0) cr_expect_lt(m, (size_t)N / 2); /* two words: all slots shared */
        /* f[0..m) is a subsequence of e holding every entry of a key seen twice */
        size_t j = 0, kept_repeats = 0, repeats = 0;
        for (size_t i = 0; i < N && j <= m; i++)
            if (j < m && f[j] == e[i]) j++;
        cr_expect_eq(j, m, "kept entries are in their input order");
        static unsigned char kept_id[N];
        memset(kept_id, 0, sizeof kept_id);
        for (size_t k = 0; k < m; k++) kept_id[(uint32_t)f[k]] = 1;
        uint64_t *s = malloc(N * sizeof *s);
        cr_assert(s);
        memcpy(s, e, N * sizeof *e);
        nd_sort_hi32(s, tmp, N);
        for (size_t i = 0; i < N; i++) {
            int rep = (i > 0 && s[i] >> 32 == s[i - 1] >> 32) ||
                      (i + 1 < N && s[i] >> 32 == s[i + 1] >> 32);
            if (!rep) continue;
            repeats++;
            kept_repeats += kept_id[(uint32_t)s[i]];
        }
        cr_expect_eq(kept_repeats, repeats);
        nd_pairs all = {0}, kept = {0};
        band_pairs_of(e, tmp, N, &all);
        band_pairs_of(f, tmp, m, &kept);
        cr_assert_eq(kept.n, all.n);
        cr_expect_eq(memcmp(kept.v, all.v, all.n * sizeof *all.v), 0);
        nd_pairs_release(&all);
        nd_pairs_release(&kept);
        free(s);
    }
    free(e);
    free(f);
    free(tmp);
}

/* splitmix64's finaliser of r + 1, written again here. */
static uint64_t naive_band_mul(unsigned r) {
    uint64_t z = (uint64_t)(r + 1) * 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

Test(lsh, band_keys_are_the_vector_multiply_shift_for_every_row_count) {
    static uint32_t sig[1024], k[1024];
    for (unsigned i = 0; i < 1024; i++) sig[i] = i * 2654435761u ^ 0x5bd1e995u;
    for (unsigned r = 0; r < 1024; r++)
        cr_assert_eq(nd_lsh_band_mul(r), naive_band_mul(r), "multiplier %u", r);
    unsigned rows_list[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16, 17, 20, 64, 1024};
    for (size_t t = 0; t < sizeof rows_list / sizeof rows_list[0]; t++) {
        unsigned rows = rows_list[t], bands = 1024 / rows;
        nd_lsh_band_keys(sig, bands, rows, k);
        for (unsigned j = 0; j < bands; j++) {
            uint64_t h = (uint64_t)j * 0xD1B54A32D192ED03u;
            for (unsigned r = 0; r < rows; r++) h += naive_band_mul(r) * sig[j * rows + r];
            cr_expect_eq(k[j], (uint32_t)(h >> 32), "rows %u band %u", rows, j);
        }
    }
}

Test(lsh, band_entries_are_the_wanted_rows_without_singletons) {
    enum { N = 30000 };
    uint32_t *keys = malloc(N * sizeof *keys);
    unsigned char *state = malloc(N);
    uint64_t *e = malloc((N + 1) * sizeof *e), *f = malloc((N + 1) * sizeof *f);
    uint64_t *tab = malloc((N + 1) * sizeof *tab);
    cr_assert(keys && state && e && f && tab);
    uint64_t x = 0x2545F4914F6CDD1Du;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        keys[i] = x % 4 == 0 ? (uint32_t)(x % 3000) * 2654435761u : (uint32_t)(x >> 32);
        state[i] = (unsigned char)(x >> 20) % 3; /* want 1: a third of the rows */
    }
    size_t words[] = {N + 1, 500, 2, 1};
    for (int w = 0; w < 4; w++) {
        size_t n = 0;
        for (size_t p = 0; p < N; p++)
            if (state[p] == 1) f[n++] = (uint64_t)keys[p] << 32 | p;
        size_t m = nd_lsh_band_entries(keys, state, 1, N, e, tab, words[w]);
        if (w == 0) cr_expect_lt(m, n / 2);
        size_t j = 0; /* e[0..m) is a subsequence of f[0..n) */
        for (size_t i = 0; i < n; i++)
            if (j < m && e[j] == f[i]) j++;
        cr_expect_eq(j, m);
        nd_pairs all = {0}, kept = {0};
        band_pairs_of(f, tab, n, &all);
        band_pairs_of(e, tab, m, &kept);
        cr_assert_eq(kept.n, all.n);
        cr_expect_gt(all.n, 1000u);
        cr_expect_eq(memcmp(kept.v, all.v, all.n * sizeof *all.v), 0);
        nd_pairs_release(&all);
        nd_pairs_release(&kept);
    }
    free(keys);
    free(state);
    free(e);
    free(f);
    free(tab);
}

/* nd_lsh_band_grouped gives exactly the entries nd_lsh_band_entries keeps,
 * sorted by nd_sort_hi32 (the grouped way filters with other tables, so the
 * few singletons that survive differ: compared after dropping every key
 * that occurs once); keys spread, skewed into one group, all equal, and a
 * scratch too small for the groups. */
Test(lsh, band_grouped_is_the_filtered_sort) {
    enum { N = 200000 };
    uint32_t *keys = malloc(N * sizeof *keys);
    unsigned char *state = malloc(N);
    uint64_t *e = malloc((N + 1) * sizeof *e), *f = malloc((N + 1) * sizeof *f);
    uint64_t *tab = malloc((N + 1 + ND_LSH_SORTED_EXTRA) * sizeof *tab);
    cr_assert(keys && state && e && f && tab);
    for (int kind = 0; kind < 4; kind++) {
        uint64_t x = 0x9E3779B97F4A7C15u + (uint64_t)kind;
        for (size_t i = 0; i < N; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            uint32_t k = x % 5 == 0 ? (uint32_t)(x % 20000) * 2654435761u : (uint32_t)(x >> 32);
            if (kind == 1) k = (k & 0xFFFFu) | 0xABC00000u; /* one top-bit group */
            if (kind == 2) k = 77;
            keys[i] = k;
            state[i] = (unsigned char)((x >> 20) % 4 != 0); /* want 1: three quarters */
        }
        size_t words = kind == 3 ? N / 2 : N + 1 + ND_LSH_SORTED_EXTRA;
        size_t m = nd_lsh_band_grouped(keys, state, 1, N, e, tab, words);
        size_t n = nd_lsh_band_entries(keys, state, 1, N, f, tab, N + 1);
        nd_sort_hi32(f, tab, n);
        /* both sorted by (key, id): keep the keys that repeat, then compare */
        size_t a = 0, b = 0;
        for (size_t i = 0; i < m; i++) {
            cr_assert(i == 0 || e[i - 1] < e[i], "kind %d: not sorted at %zu", kind, i);
            if ((i > 0 && e[i - 1] >> 32 == e[i] >> 32) ||
                (i + 1 < m && e[i + 1] >> 32 == e[i] >> 32))
                e[a++] = e[i];
        }
        for (size_t i = 0; i < n; i++)
            if ((i > 0 && f[i - 1] >> 32 == f[i] >> 32) ||
                (i + 1 < n && f[i + 1] >> 32 == f[i] >> 32))
                f[b++] = f[i];
        cr_assert_eq(a, b, "kind %d: %zu repeated entries, want %zu", kind, a, b);
        cr_assert_gt(a, 1000u);
        cr_assert_eq(memcmp(e, f, a * sizeof *e), 0, "kind %d", kind);
    }
    free(keys);
    free(state);
    free(e);
    free(f);
    free(tab);
}
