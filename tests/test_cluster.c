/* test_cluster.c - union-find: components and smallest-id representatives;
 * the exact stage's grouping. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "pool.h"
#include "stage.h"

Test(union_find, root_is_smallest_member_whatever_the_order) {
    nd_uf uf;
    cr_assert_eq(nd_uf_init(&uf, 10), ND_OK);
    cr_expect_eq(nd_uf_union(&uf, 9, 7), 1);
    cr_expect_eq(nd_uf_union(&uf, 7, 5), 1);
    cr_expect_eq(nd_uf_union(&uf, 5, 9), 0); /* already joined */
    cr_expect_eq(nd_uf_union(&uf, 8, 2), 1);
    cr_expect_eq(nd_uf_union(&uf, 9, 8), 1);
    for (uint32_t x = 0; x < 10; x++) {
        uint32_t want = (x == 2 || x == 5 || x == 7 || x == 8 || x == 9) ? 2 : x;
        cr_expect_eq(nd_uf_find(&uf, x), want, "find(%u)", x);
    }
    nd_uf_release(&uf);
}

Test(union_find, long_chain_is_one_component) {
    enum { N = 100000 };
    nd_uf uf;
    cr_assert_eq(nd_uf_init(&uf, N), ND_OK);
    for (uint32_t i = N - 1; i > 0; i--) nd_uf_union(&uf, i, i - 1);
    for (uint32_t i = 0; i < N; i += 997) cr_expect_eq(nd_uf_find(&uf, i), 0u);
    nd_uf_release(&uf);
}

/* The exact stage (stage_exact.c) against a naive grouping: it sorts by the
 * low 32 bits of the keys only, so the keys here share those bits across
 * groups that differ in the rest of the low half or in the high half, and
 * only equal 128-bit keys may be linked, each copy under its group's first
 * clusterable paragraph.  200,000 paragraphs make several chunks and
 * partitions; a tenth are short and never take part.  Runs at 1 and 2
 * threads. */
Test(exact_stage, links_only_equal_128_bit_keys_under_the_first) {
    enum { N = 200000, VALUES = 600 };
    XXH128_hash_t *key = malloc(N * sizeof *key);
    unsigned char *want = malloc(N), *state = malloc(N);
    uint32_t *first = malloc(VALUES * sizeof *first), *root = malloc(N * sizeof *root);
    cr_assert(key && want && state && first && root);
    for (unsigned threads = 1; threads <= 2; threads++) {
        uint64_t x = 0x9E3779B97F4A7C15u;
        for (size_t v = 0; v < VALUES; v++) first[v] = UINT32_MAX;
        for (uint32_t p = 0; p < N; p++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            unsigned v = (unsigned)(x % VALUES);
            /* low 32 bits from v % 20, the low half's top bit (and so the
             * partition) from v % 2, which v % 20 decides, its bits 40-41
             * from v % 60 / 20, the high half from v / 60: the keys of one
             * run of the sort differ in bits 40-41 or in the high half */
            key[p].low64 = (uint64_t)(v % 2) << 63 | (uint64_t)(v % 60 / 20) << 40 |
                           (uint32_t)((v % 20) * 0x9E3779B1u);
            key[p].high64 = v / 60;
            state[p] = x >> 60 == 0 ? ND_PARA_SHORT : ND_PARA_REP;
            want[p] = state[p];
            root[p] = p;
            if (state[p] != ND_PARA_REP) continue;
            if (first[v] == UINT32_MAX) {
                first[v] = p;
            } else {
                want[p] = ND_PARA_COPY;
                root[p] = first[v];
            }
        }
        nd_exec ex;
        memset(&ex, 0, sizeof ex);
        ex.threads = threads;
        cr_assert_eq(nd_pool_new(threads, &ex.pool), ND_OK);
        ex.wk = calloc(threads, sizeof *ex.wk);
        cr_assert_not_null(ex.wk);
        nd_uf uf;
        cr_assert_eq(nd_uf_init(&uf, N), ND_OK);
        nd_exact_in in = {.n = N, .ekey = key};
        nd_exact_out out = {.state = state, .uf = &uf};
        cr_assert_eq(nd_stage_exact(&ex, &in, &out), ND_OK);
        size_t ncl = 0;
        for (uint32_t p = 0; p < N; p++) {
            ncl += want[p] != ND_PARA_SHORT;
            cr_assert_eq(state[p], want[p], "paragraph %u: state %d, want %d (%u threads)", p,
                         state[p], want[p], threads);
            cr_assert_eq(nd_uf_find(&uf, p), root[p], "paragraph %u (%u threads)", p, threads);
        }
        cr_assert_eq(out.ncl, ncl);
        nd_uf_release(&uf);
        free(ex.wk);
        nd_pool_free(ex.pool);
    }
    free(key);
    free(want);
    free(state);
    free(first);
    free(root);
}
