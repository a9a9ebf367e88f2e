/*
 * sort.c - LSD radix sorts for the pipeline's plain-data arrays.
 *
 * Band keys, candidate pairs and exact-duplicate keys are 64-bit values that
 * are grouped by sorting rather than by hash maps: sorting is deterministic,
 * cache-friendly, spills to disk naturally (sorted runs) and is O(n) with a
 * radix sort.  Both sorts make 8 passes of 8 bits over the key, skipping a
 * pass when every key has the same byte there (common for small ids).
 *
 * LSH band entries are (32-bit key << 32 | paragraph id), produced in id
 * order; a stable sort on the high half alone orders them completely, and
 * with 11-bit digits that is three passes over 8-byte words (2048 counters
 * per pass stay in L1) instead of eight passes over 16-byte records: the
 * radix sorts' share of a scan fell from 12% to about 3%.
 *
 * At millions of entries (a band of a 1 GB corpus is 2.2 million, 17 MB)
 * each of those three passes scatters over an array far larger than the
 * caches, and the band sort grew 18x for 10x the input.  From 1.5 million
 * entries (ND_MSD_MIN, the measured crossover: 24 vs 29 ms at 2.2 million,
 * 76 vs 87 ms at 4.4 million, but 10 vs 9 ms at 1 million) the sort is
 * therefore most-significant digit first: one stable scatter on the
 * key's top 11 bits makes 2048 buckets of about n/2048 entries (the keys are
 * hashes); each bucket, a few KiB, is then finished in the L1 cache by one
 * counting pass on its next log2(size) bits and an insertion sort that has
 * almost nothing left to do.  (Two LSD passes per bucket over the remaining
 * 21 bits were 2x slower than the global LSD sort: 3072 counters to clear
 * for every few hundred entries.)  Every pass is stable, so the result is the same as the LSD
 * sort's: ascending keys, equal keys in their input order.
 */
#include <string.h>

#include "introsort.h"
#include "nd_internal.h"

/* One counting pass per byte, ping-ponging between v and tmp; returns the
 * buffer that holds the result after `passes` swaps. */
#define ND_RADIX_BODY(TYPE, KEYOF)                                                                 \
    size_t count[8][256];                                                                          \
    memset(count, 0, sizeof count);                                                                \
    for (size_t i = 0; i < n; i++) {                                                               \
        uint64_t k = KEYOF(v[i]);                                                                  \
        for (int b = 0; b < 8; b++) count[b][(k >> (8 * b)) & 0xff]++;                             \
    }                                                                                              \
    TYPE *src = v, *dst = tmp;                                                                     \
    for (int b = 0; b < 8; b++) {                                                                  \
        size_t *c = count[b];                                                                      \
        int trivial = 0;                                                                           \
        for (int d = 0; d < 256; d++)                                                              \
            if (c[d] == n) trivial = 1;                                                            \
        if (trivial) continue;                                                                     \
        size_t sum = 0;                                                                            \
        for (int d = 0; d < 256; d++) {                                                            \
            size_t t = c[d];                                                                       \
            c[d] = sum;                                                                            \
            sum += t;                                                                              \
        }                                                                                          \
        for (size_t i = 0; i < n; i++) dst[c[(KEYOF(src[i]) >> (8 * b)) & 0xff]++] = src[i];       \
        TYPE *t = src;                                                                             \
        src = dst;                                                                                 \
        dst = t;                                                                                   \
    }                                                                                              \
    if (src != v) memcpy(v, src, n * sizeof *v);

#define ND_HI_BITS    11
#define ND_HI_BUCKETS (1u << ND_HI_BITS)

#define ND_KEY_OF_KEY32(x) ((x).key)
#define ND_KEY_OF_U64(x)   (x)
#define ND_HI32_OF_U64(x)  ((uint32_t)((x) >> 32))

/* Three stable 11-bit counting passes over the 32-bit digit KEY32OF(v[i]),
 * skipping a pass whose digit is the same everywhere (2048 counters per
 * pass stay in L1). */
#define ND_RADIX11_BODY(TYPE, KEY32OF)                                                             \
    size_t count[3][ND_HI_BUCKETS];                                                                \
    memset(count, 0, sizeof count);                                                                \
    for (size_t i = 0; i < n; i++) {                                                               \
        uint32_t k = KEY32OF(v[i]);                                                                \
        count[0][k & (ND_HI_BUCKETS - 1)]++;                                                       \
        count[1][(k >> ND_HI_BITS) & (ND_HI_BUCKETS - 1)]++;                                       \
        count[2][k >> (2 * ND_HI_BITS)]++;                                                         \
    }                                                                                              \
    TYPE *src = v, *dst = tmp;                                                                     \
    for (int b = 0; b < 3; b++) {                                                                  \
        size_t *c = count[b], sum = 0;                                                             \
        int trivial = 0;                                                                           \
        for (unsigned d = 0; d < ND_HI_BUCKETS; d++)                                               \
            if (c[d] == n) trivial = 1;                                                            \
        if (trivial) continue;                                                                     \
        for (unsigned d = 0; d < ND_HI_BUCKETS; d++) {                                             \
            size_t t = c[d];                                                                       \
            c[d] = sum;                                                                            \
            sum += t;                                                                              \
        }                                                                                          \
        const int sh = ND_HI_BITS * b;                                                             \
        for (size_t i = 0; i < n; i++)                                                             \
            dst[c[(KEY32OF(src[i]) >> sh) & (ND_HI_BUCKETS - 1)]++] = src[i];                      \
        TYPE *t = src;                                                                             \
        src = dst;                                                                                 \
        dst = t;                                                                                   \
    }                                                                                              \
    if (src != v) memcpy(v, src, n * sizeof *v);

/* Makes v ordered by val, stably (four 8-bit passes), unless it is: callers
 * normally append in val order, so the passes are skipped. */
static void sort_vals(nd_key32 *v, nd_key32 *tmp, size_t n) {
    int sorted_vals = 1;
    for (size_t i = 1; i < n && sorted_vals; i++)
        if (v[i].val < v[i - 1].val) sorted_vals = 0;
    if (!sorted_vals) {
        /* Four 8-bit passes over val make the input val-ordered. */
        size_t c[256];
        for (int b = 0; b < 4; b++) {
            memset(c, 0, sizeof c);
            for (size_t i = 0; i < n; i++) c[(v[i].val >> (8 * b)) & 0xff]++;
            size_t sum = 0;
            for (size_t d = 0; d < 256; d++) {
                size_t t = c[d];
                c[d] = sum;
                sum += t;
            }
            for (size_t i = 0; i < n; i++) tmp[c[(v[i].val >> (8 * b)) & 0xff]++] = v[i];
            memcpy(v, tmp, n * sizeof *v);
        }
    }
}

void nd_sort_key32(nd_key32 *v, nd_key32 *tmp, size_t n) {
    if (n < 2) return;
    sort_vals(v, tmp, n);
    ND_RADIX_BODY(nd_key32, ND_KEY_OF_KEY32)
}

void nd_sort_u64(uint64_t *v, uint64_t *tmp, size_t n) {
    if (n < 2) return;
    ND_RADIX_BODY(uint64_t, ND_KEY_OF_U64)
}

/* Fingerprints that share the top `top` bits of their hash (one bucket of
 * stage_fingerprint.c): one stable counting pass from src into dst on the
 * next b bits, 2^b ~ n (at most 2^ND_FP_SORT_BITS), then a stable insertion
 * sort by the whole hash that has about n/4 inversions left to undo.  The
 * 8-bit LSD sort of 24-byte records (seven passes: the top byte is the
 * bucket's) did the same in seven scatters of buckets larger than L2. */
static void insertion_fp(nd_fp *v, size_t n) {
    for (size_t i = 1; i < n; i++) {
        nd_fp x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1].hash > x.hash; j--) v[j] = v[j - 1];
        v[j] = x;
    }
}

void nd_sort_fp_top(const nd_fp *src, nd_fp *dst, size_t n, unsigned top, uint32_t *count) {
    unsigned b = 1;
    if (n == 0) return;
    if (n > UINT32_MAX || top >= 63) { /* (never: buckets are far smaller) */
        memcpy(dst, src, n * sizeof *dst);
        insertion_fp(dst, n);
        return;
    }
    while (b < ND_FP_SORT_BITS && b < 64 - top && ((size_t)1 << b) < n) b++;
    const int sh = 64 - (int)top - (int)b;
    const uint32_t mask = (1u << b) - 1;
    memset(count, 0, ((size_t)mask + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++) count[(src[i].hash >> sh) & mask]++;
    uint32_t sum = 0;
    for (uint32_t d = 0; d <= mask; d++) {
        uint32_t t = count[d];
        count[d] = sum;
        sum += t;
    }
    for (size_t i = 0; i < n; i++) dst[count[(src[i].hash >> sh) & mask]++] = src[i];
    insertion_fp(dst, n);
}

/* Stable insertion sort of v[0..n-1] by the high 32 bits. */
static void insertion_hi32(uint64_t *v, size_t n) {
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && (v[j - 1] >> 32) > (x >> 32); j--) v[j] = v[j - 1];
        v[j] = x;
    }
}

/* One stable counting pass of src[0..n-1] into dst by (x >> sh) & mask. */
static void counting_pass(const uint64_t *src, uint64_t *dst, size_t n, int sh, uint32_t mask,
                          uint32_t *count) {
    memset(count, 0, ((size_t)mask + 1) * sizeof *count);
    for (size_t i = 0; i < n; i++) count[(src[i] >> sh) & mask]++;
    uint32_t sum = 0;
    for (uint32_t d = 0; d <= mask; d++) {
        uint32_t t = count[d];
        count[d] = sum;
        sum += t;
    }
    for (size_t i = 0; i < n; i++) dst[count[(src[i] >> sh) & mask]++] = src[i];
}

#define ND_MSD_MIN      ((size_t)3 << 19) /* from here on (12 MiB), MSD first */
#define ND_BUCKET_SMALL 48                /* insertion sort up to this size */

/* The MSD path: a stable scatter on the top 11 bits (53..63) over the whole
 * array, then inside each bucket of m entries one stable counting pass on
 * the next b bits, 2^b ~ m, and an insertion sort that has about m/4
 * inversions left to undo (entries that share those b bits). */
static void sort_hi32_msd(uint64_t *v, uint64_t *tmp, size_t n) {
    uint32_t count[ND_HI_BUCKETS], first[ND_HI_BUCKETS + 1];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++) count[v[i] >> 53]++;
    uint32_t sum = 0;
    for (unsigned d = 0; d < ND_HI_BUCKETS; d++) {
        first[d] = sum;
        sum += count[d];
        count[d] = first[d];
    }
    first[ND_HI_BUCKETS] = sum;
    for (size_t i = 0; i < n; i++) tmp[count[v[i] >> 53]++] = v[i];
    uint32_t local[1u << 12];
    for (unsigned d = 0; d < ND_HI_BUCKETS; d++) {
        size_t s = first[d], m = first[d + 1] - s;
        if (m > ND_BUCKET_SMALL) {
            unsigned b = 1;
            while (b < 12 && ((size_t)1 << b) < m) b++;
            counting_pass(tmp + s, v + s, m, 53 - (int)b, (1u << b) - 1, local);
        } else {
            memcpy(v + s, tmp + s, m * sizeof *v);
        }
        insertion_hi32(v + s, m);
    }
}

void nd_sort_hi32_tail(uint64_t *v, uint64_t *tmp, size_t n, unsigned top) {
    uint32_t local[1u << 12];
    if (n > ND_BUCKET_SMALL && top < 32) {
        unsigned b = 1;
        while (b < 12 && b < 32 - top && ((size_t)1 << b) < n) b++;
        memcpy(tmp, v, n * sizeof *v);
        counting_pass(tmp, v, n, 64 - (int)top - (int)b, (1u << b) - 1, local);
    }
    insertion_hi32(v, n);
}

void nd_sort_hi32(uint64_t *v, uint64_t *tmp, size_t n) {
    if (n < 2) return;
    for (size_t i = 1; i < n; i++)
        if ((uint32_t)v[i] < (uint32_t)v[i - 1]) {
            nd_sort_u64(v, tmp, n);
            return;
        }
    if (n >= ND_MSD_MIN && n <= UINT32_MAX) {
        sort_hi32_msd(v, tmp, n);
        return;
    }
    ND_RADIX11_BODY(uint64_t, ND_HI32_OF_U64)
}

#define ND_U64_LESS(x, y) ((x) < (y))
ND_INTROSORT(u64_introsort, uint64_t, ND_U64_LESS)

void nd_sort_u64_inplace(uint64_t *v, size_t n) { u64_introsort(v, n); }
