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

/* Brute-force objective with an independent integration (Simpson's rule). */
static double objective(double t, unsigned b, unsigned r) {
    const int n = 2000;
    double fp = 0, fn = 0;
    for (int i = 0; i <= n; i++) {
        double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
        double s1 = t * i / n, s2 = t + (1 - t) * i / n;
        fp += w * (1 - pow(1 - pow(s1, r), b));
        fn += w * pow(1 - pow(s2, r), b);
    }
    fp *= t / n / 3;
    fn *= (1 - t) / n / 3;
    return ND_LSH_FP_WEIGHT * fp + ND_LSH_FN_WEIGHT * fn;
}

Test(lsh, chosen_parameters_minimise_the_weighted_error) {
    double ts[] = {0.5, 0.7, 0.8, 0.9};
    unsigned ks[] = {64, 128, 256};
    for (size_t i = 0; i < 4; i++) {
        for (size_t j = 0; j < 3; j++) {
            unsigned b = 0, r = 0;
            cr_assert_eq(nd_lsh_params(ts[i], ks[j], &b, &r), ND_OK);
            cr_assert_leq(b * r, ks[j]);
            double chosen = objective(ts[i], b, r);
            for (unsigned rr = 1; rr <= ks[j]; rr++)
                for (unsigned bb = 1; bb * rr <= ks[j]; bb++)
                    cr_expect_leq(chosen, objective(ts[i], bb, rr) * (1 + 1e-3),
                                  "t=%.2f k=%u: %ux%u beats chosen %ux%u", ts[i], ks[j], bb,
                                  rr, b, r);
        }
    }
}

Test(lsh, default_parameters_favour_recall_at_the_threshold) {
    unsigned b = 0, r = 0;
    cr_assert_eq(nd_lsh_params(0.8, 128, &b, &r), ND_OK);
    cr_expect_eq(b, 18u);
    cr_expect_eq(r, 7u);
    cr_expect_gt(nd_lsh_probability(0.8, b, r), 0.98);
    cr_expect_gt(nd_lsh_probability(0.85, b, r), 0.998);
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
