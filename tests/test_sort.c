/* test_sort.c - the radix sorts against a plain comparison sort: every size
 * class (insertion, LSD and the MSD path), duplicate keys
 * kept in input order, and inputs whose low halves are out of order.  The
 * MSD path starts at 1572864 entries (ND_MSD_MIN in sort.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "nd_internal.h"

/* Reference: sort by the high 32 bits, ties by input position (stable). */
typedef struct ref_item {
    uint64_t v;
    size_t pos;
} ref_item;

static int ref_cmp_hi(const void *x, const void *y) {
    const ref_item *a = x, *b = y;
    uint32_t ka = (uint32_t)(a->v >> 32), kb = (uint32_t)(b->v >> 32);
    if (ka != kb) return ka < kb ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

static int ref_cmp_u64(const void *x, const void *y) {
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* Band entries: key << 32 | id with ids ascending; keys random, or drawn
 * from `nkeys` distinct random values (few distinct keys = big buckets;
 * 0 = all random). */
static void make_entries(uint64_t *v, size_t n, uint64_t nkeys, uint64_t seed) {
    uint64_t st = seed, keys[1000];
    cr_assert_leq(nkeys, 1000);
    for (uint64_t i = 0; i < nkeys; i++) keys[i] = nd_splitmix64(&st) >> 32;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = nkeys ? keys[nd_splitmix64(&st) % nkeys] : nd_splitmix64(&st) >> 32;
        v[i] = key << 32 | (uint32_t)i;
    }
}

static void check_hi32(size_t n, uint64_t nkeys) {
    uint64_t *v = malloc((n ? n : 1) * sizeof *v), *tmp = malloc((n ? n : 1) * sizeof *tmp);
    ref_item *ref = malloc((n ? n : 1) * sizeof *ref);
    cr_assert(v && tmp && ref);
    make_entries(v, n, nkeys, n * 31 + nkeys);
    for (size_t i = 0; i < n; i++) ref[i] = (ref_item){v[i], i};
    qsort(ref, n, sizeof *ref, ref_cmp_hi);
    nd_sort_hi32(v, tmp, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(v[i], ref[i].v, "n %zu keys %llu: entry %zu", n, (unsigned long long)nkeys, i);
    free(v);
    free(tmp);
    free(ref);
}

Test(sort, hi32_orders_band_entries_by_key_then_id_at_every_size) {
    size_t sizes[] = {0, 1, 2, 47, 48, 49, 1000, 300000, 1572863, 1572864, 2000000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        check_hi32(sizes[i], 0);    /* random keys */
        check_hi32(sizes[i], 1000); /* buckets of ~n/1000 */
    }
}

Test(sort, hi32_handles_one_key_for_all_entries) {
    check_hi32(1600000, 1); /* one bucket holding everything: MSD path */
    check_hi32(5000, 1);
}

/* sort() of n random values (masked) against qsort. */
static void check_u64(void (*sort)(uint64_t *, uint64_t *, size_t), size_t n, uint64_t mask,
                      uint64_t seed) {
    uint64_t *v = malloc(n * sizeof *v), *tmp = malloc(n * sizeof *tmp),
             *ref = malloc(n * sizeof *ref);
    cr_assert(v && tmp && ref);
    uint64_t st = seed;
    for (size_t i = 0; i < n; i++) ref[i] = v[i] = nd_splitmix64(&st) & mask;
    qsort(ref, n, sizeof *ref, ref_cmp_u64);
    sort(v, tmp, n);
    cr_assert_arr_eq(v, ref, n * sizeof *v);
    free(v);
    free(tmp);
    free(ref);
}

/* Random low halves are out of order: a full sort of the 64-bit values. */
Test(sort, hi32_falls_back_when_low_halves_are_out_of_order) {
    check_u64(nd_sort_hi32, 150000, UINT64_MAX, 5);
}

Test(sort, u64_sorts_values_with_shared_bytes) {
    check_u64(nd_sort_u64, 70000, UINT64_C(0x00FF00000000FFFF), 9);
}

Test(sort, key32_orders_by_key_then_value) {
    enum { N = 5000 };
    nd_key32 v[N], tmp[N];
    uint64_t st = 3;
    for (size_t i = 0; i < N; i++)
        v[i] = (nd_key32){.key = nd_splitmix64(&st) % 50,
                          .val = (uint32_t)(nd_splitmix64(&st) % 100000)};
    nd_sort_key32(v, tmp, N);
    for (size_t i = 1; i < N; i++)
        cr_assert(v[i - 1].key < v[i].key || (v[i - 1].key == v[i].key && v[i - 1].val <= v[i].val),
                  "entry %zu", i);
}

/* nd_sort_fp_top (a bucket of stage_fingerprint.c: hashes that share their
 * top bits) against a stable comparison sort, at sizes below, at and above
 * 2^ND_FP_SORT_BITS (the counting pass's digits stop growing there), with
 * hashes drawn from few values (many equal ones: their input order, that
 * is document and position order, must stay) and with top 0 and 8. */
typedef struct ref_fp {
    nd_fp f;
    size_t pos;
} ref_fp;

static int ref_cmp_fp(const void *x, const void *y) {
    const ref_fp *a = x, *b = y;
    if (a->f.hash != b->f.hash) return a->f.hash < b->f.hash ? -1 : 1;
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

Test(sort, fp_top_orders_by_hash_keeping_input_order_of_equal_hashes) {
    static const size_t sizes[] = {1, 2, 3, 47, 1000, 65536, 65537, 200000};
    uint32_t *count = malloc(((size_t)1 << ND_FP_SORT_BITS) * sizeof *count);
    cr_assert_not_null(count);
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (unsigned top = 0; top <= 8; top += 8)
            for (int few = 0; few < 2; few++) {
                size_t n = sizes[si];
                nd_fp *src = malloc(n * sizeof *src), *dst = malloc(n * sizeof *dst);
                ref_fp *ref = malloc(n * sizeof *ref);
                cr_assert(src && dst && ref);
                for (size_t i = 0; i < n; i++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    uint64_t h = few ? (x % 97) * 0x9E3779B97F4A7C15u : x;
                    if (top) h = (h >> top) | (UINT64_C(0xA5) << 56); /* one bucket */
                    src[i] = (nd_fp){h, (uint32_t)(i / 7), (uint32_t)i, (uint32_t)(x >> 40), 0};
                    ref[i] = (ref_fp){src[i], i};
                }
                nd_sort_fp_top(src, dst, n, top, count);
                qsort(ref, n, sizeof *ref, ref_cmp_fp);
                for (size_t i = 0; i < n; i++)
                    cr_assert(dst[i].hash == ref[i].f.hash && dst[i].doc == ref[i].f.doc &&
                                  dst[i].pos == ref[i].f.pos && dst[i].ctx == ref[i].f.ctx,
                              "n %zu top %u few %d: entry %zu differs", n, top, few, i);
                free(src);
                free(dst);
                free(ref);
            }
    free(count);
}

/* The introsort (introsort.h): nd_sort_u64_inplace, and the template's
 * quicksort and heapsort halves on their own, against qsort on random,
 * sorted, reversed, organ-pipe, few-distinct and all-equal inputs of every
 * size class (insertion sort up to 16, partitions above). */
#include "introsort.h"

#define TEST_LESS(x, y) ((x) < (y))
ND_INTROSORT(test_introsort, uint64_t, TEST_LESS)

static void fill_pattern(uint64_t *v, size_t n, int kind, uint64_t *st) {
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: v[i] = nd_splitmix64(st); break;
        case 1: v[i] = i; break;
        case 2: v[i] = n - i; break;
        case 3: v[i] = i < n / 2 ? i : n - i; break;
        case 4: v[i] = nd_splitmix64(st) % 3; break;
        default: v[i] = 7; break;
        }
    }
}

Test(sort, introsort_matches_qsort_on_every_pattern_and_path) {
    size_t sizes[] = {0, 1, 2, 3, 15, 16, 17, 33, 100, 1000, 4097};
    uint64_t st = 99;
    uint64_t *v = malloc(4097 * sizeof *v), *w = malloc(4097 * sizeof *w);
    cr_assert(v && w);
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        for (int kind = 0; kind < 6; kind++) {
            for (int path = 0; path < 4; path++) {
                fill_pattern(v, n, kind, &st);
                memcpy(w, v, n * sizeof *v);
                qsort(w, n, sizeof *w, ref_cmp_u64);
                if (path == 0)
                    nd_sort_u64_inplace(v, n);
                else if (path == 3)
                    test_introsort(v, n);
                else if (path == 1)
                    test_introsort_rec(v, n, 64); /* quicksort only */
                else
                    test_introsort_heap(v, n);
                cr_expect_arr_eq(v, w, n * sizeof *v, "n %zu kind %d path %d", n, kind, path);
            }
        }
    }
    free(v);
    free(w);
}
