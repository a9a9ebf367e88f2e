/*
 * test_util.c - util.c's helpers: the arena (nd_arena), which keeps the
 * passage stage's normalised texts.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "nd_internal.h"

/* A block's bytes, all derived from its index, so that a block written over
 * by another (overlapping blocks, a chunk reused) is seen. */
static uint8_t fill_byte(size_t block, size_t i) { return (uint8_t)(block * 131u + i * 7u + 1u); }

Test(arena, blocks_aligned_distinct_and_kept) {
    nd_arena a;
    nd_arena_init(&a, 1u << 16); /* small chunks: many of them */
    enum { N = 3000 };
    static uint8_t *blk[N];
    static size_t len[N];
    uint64_t asked = 0;
    for (size_t b = 0; b < N; b++) {
        /* sizes from 0 to over a chunk (those get mappings of their own) */
        len[b] = b % 97 == 0 ? (size_t)70000 + b : (b * 2654435761u) % 5000;
        blk[b] = nd_arena_alloc(&a, len[b]);
        cr_assert_not_null(blk[b], "block %zu", b);
        cr_assert_eq((uintptr_t)blk[b] % 64, 0, "block %zu not 64-byte aligned", b);
        for (size_t i = 0; i < len[b]; i++) blk[b][i] = fill_byte(b, i);
        asked += len[b];
    }
    for (size_t b = 0; b < N; b++)
        for (size_t i = 0; i < len[b]; i++)
            cr_assert_eq(blk[b][i], fill_byte(b, i), "block %zu byte %zu overwritten", b, i);
    /* zero-byte blocks are distinct too */
    for (size_t b = 1; b < N; b++)
        if (len[b] == 0 && len[b - 1] == 0) cr_assert_neq(blk[b], blk[b - 1]);
    cr_assert_geq(a.used, asked);
    cr_assert_geq(a.mapped, a.used);
    nd_arena_release(&a);
    cr_assert_null(a.head);
    cr_assert_eq(a.used, 0);
    cr_assert_eq(a.mapped, 0);
}

Test(arena, big_block_keeps_the_current_chunk) {
    nd_arena a;
    nd_arena_init(&a, 1u << 16);
    uint8_t *x = nd_arena_alloc(&a, 100);
    cr_assert_not_null(x);
    uint64_t mapped = a.mapped;
    uint8_t *big = nd_arena_alloc(&a, 1u << 20); /* over a chunk: its own mapping */
    cr_assert_not_null(big);
    memset(big, 0xAB, 1u << 20);
    uint8_t *y = nd_arena_alloc(&a, 100);
    /* the next small block comes from the same chunk as x, right after it */
    cr_assert_eq(y, x + 128, "small blocks after a big one left their chunk");
    cr_assert_eq(a.mapped, mapped + (((1u << 20) + 64 + 4095) / 4096) * 4096);
    cr_assert_eq(big[(1u << 20) - 1], 0xAB);
    nd_arena_release(&a);
}

Test(arena, empty_and_refused) {
    nd_arena a;
    nd_arena_init(&a, 0);
    cr_assert_eq(a.chunk, (size_t)64 << 20);
    nd_arena_release(&a); /* nothing mapped: nothing to do */
    cr_assert_null(nd_arena_alloc(&a, SIZE_MAX - 10), "an impossible size must fail");
    cr_assert_eq(a.mapped, 0);
    nd_arena_release(&a);
}
