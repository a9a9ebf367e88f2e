/* test_cluster.c - union-find: components and smallest-id representatives. */
#include <criterion/criterion.h>

#include "cluster.h"

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
