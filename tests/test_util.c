/*
 * test_util.c - util.c's helpers: the arena (nd_arena), which keeps the
 * passage stage's normalised texts, and the large arrays' allocation.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
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

/* Large arrays (util.c, "Memory"): from 1 MiB nd_mallocn, nd_calloc and
 * nd_grow give blocks aligned to 2 MiB with room for whole huge pages;
 * nd_grow keeps the contents when it moves an array into such a block (a
 * copy, not realloc) and keeps the block when it already has the room;
 * nd_calloc's block reads as zeros even when it reuses memory just
 * written (an aligned block may come from the heap). */
Test(alloc, large_arrays_aligned_grown_and_cleared) {
    const size_t mib = (size_t)1 << 20;
    uint8_t *a = nd_mallocn(3 * mib + 5, 1);
    cr_assert_not_null(a);
    cr_assert_eq((uintptr_t)a % (2 * mib), 0, "nd_mallocn: not 2 MiB aligned");
    free(a);
    /* small arrays are left to malloc */
    uint32_t *v = NULL;
    size_t cap = 0;
    cr_assert_eq(ND_GROW(v, cap, 1000), ND_OK);
    for (uint32_t i = 0; i < 1000; i++) v[i] = i * 2654435761u;
    /* to 1 MiB (262,144 rows): moved into an aligned block of 2 MiB,
     * contents kept */
    cr_assert_eq(ND_GROW(v, cap, 200000), ND_OK);
    cr_assert_eq(cap, 262144);
    cr_assert_eq((uintptr_t)v % (2 * mib), 0, "nd_grow: not 2 MiB aligned");
    for (uint32_t i = 0; i < 1000; i++) cr_assert_eq(v[i], i * 2654435761u, "row %u", i);
    for (uint32_t i = 1000; i < 200000; i++) v[i] = i ^ 0x5A5A5A5Au;
    /* doubled to 2 MiB: the block has the room, the array stays */
    uint32_t *before = v;
    cr_assert_eq(ND_GROW(v, cap, 300000), ND_OK);
    cr_assert_eq(cap, 524288);
    cr_assert_eq(v, before, "nd_grow moved an array whose block had the room");
    /* to 4 MiB: moved again, every row kept */
    cr_assert_eq(ND_GROW(v, cap, 1000000), ND_OK);
    cr_assert_eq((uintptr_t)v % (2 * mib), 0);
    for (uint32_t i = 0; i < 1000; i++) cr_assert_eq(v[i], i * 2654435761u, "row %u", i);
    for (uint32_t i = 1000; i < 200000; i++) cr_assert_eq(v[i], i ^ 0x5A5A5A5Au, "row %u", i);
    free(v);
    /* calloc after memory was written and freed: zeros */
    for (int round = 0; round < 3; round++) {
        uint8_t *w = nd_mallocn(2 * mib, 1);
        cr_assert_not_null(w);
        memset(w, 0xAB, 2 * mib);
        free(w);
        uint64_t *z = nd_calloc(mib / 4, sizeof *z);
        cr_assert_not_null(z);
        cr_assert_eq((uintptr_t)z % (2 * mib), 0, "nd_calloc: not 2 MiB aligned");
        for (size_t i = 0; i < mib / 4; i++) cr_assert_eq(z[i], 0, "word %zu", i);
        free(z);
    }
}

/* nd_lower_u32 against a linear search: every x from below the first value
 * to past the last, over runs of equal values, and sub-ranges [lo, hi). */
Test(search, lower_u32_matches_a_linear_search) {
    uint32_t v[200];
    for (size_t i = 0; i < 200; i++) v[i] = (uint32_t)(i / 3 * 2 + 5);
    for (size_t lo = 0; lo <= 200; lo += 37)
        for (size_t hi = lo; hi <= 200; hi += 41)
            for (uint64_t x = 0; x < 150; x++) {
                size_t want = lo;
                while (want < hi && v[want] < x) want++;
                cr_assert_eq(nd_lower_u32(v, lo, hi, x), want, "[%zu, %zu) x %u", lo, hi,
                             (unsigned)x);
            }
    cr_assert_eq(nd_lower_u32(v, 0, 200, UINT64_C(1) << 32), 200);
}

/* nd_lower_u64 likewise, over values past 2^32 (key << 32 | id entries). */
Test(search, lower_u64_matches_a_linear_search) {
    uint64_t v[200];
    for (size_t i = 0; i < 200; i++) v[i] = (uint64_t)(i / 3 * 2 + 5) << 32 | (i % 3);
    for (size_t lo = 0; lo <= 200; lo += 37)
        for (size_t hi = lo; hi <= 200; hi += 41)
            for (uint64_t k = 0; k < 150; k++)
                for (uint64_t id = 0; id < 4; id += 3) {
                    uint64_t x = k << 32 | id;
                    size_t want = lo;
                    while (want < hi && v[want] < x) want++;
                    cr_assert_eq(nd_lower_u64(v, lo, hi, x), want, "[%zu, %zu) x %llx", lo, hi,
                                 (unsigned long long)x);
                }
    cr_assert_eq(nd_lower_u64(v, 0, 200, UINT64_MAX), 200);
}
