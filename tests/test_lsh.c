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
                                      "t=%.2f k=%u: %ux%u has fewer candidates than %ux%u", t,
                                      k, bb, rr, b, r);
        }
    }
}

Test(lsh, default_permutations_meet_the_floor_at_every_threshold) {
    for (int ti = 5; ti <= 100; ti++) {
        unsigned b = 0, r = 0;
        cr_assert_eq(nd_lsh_params(ti / 100.0, 128, &b, &r), ND_OK);
        cr_expect_geq(nd_lsh_probability(ti / 100.0, b, r), ND_LSH_MIN_RECALL,
                      "t=%.2f: %ux%u", ti / 100.0, b, r);
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
