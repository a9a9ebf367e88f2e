/*
 * lsh.c - locality-sensitive hashing over MinHash signatures.
 *
 * Banding (Indyk & Motwani 1998; Leskovec, Rajaraman & Ullman, "Mining of
 * Massive Datasets", ch. 3).  A signature of k values is cut into b bands of
 * r rows (b*r <= k).  Two paragraphs become a candidate pair when all r values
 * of at least one band agree, which happens with probability
 *
 *     P(s) = 1 - (1 - s^r)^b        for Jaccard similarity s,
 *
 * an S-curve that rises around (1/b)^(1/r).
 *
 * Choosing b and r.  Every candidate is verified with the exact Jaccard of the
 * two shingle sets, so precision is decided by the verification and recall
 * by the LSH alone: a false positive costs one comparison, a false negative
 * is lost for good.  The choice is therefore a constrained one:
 *
 *     among all (b, r) with b * r <= k and P(t) >= ND_LSH_MIN_RECALL (0.995),
 *     take the one with the smallest  integral_0^t P(s) ds,
 *
 * the area under the S-curve below the threshold, which is proportional to
 * the expected number of candidates when pair similarities below t are
 * spread evenly (no corpus-specific prior is assumed).  For a given r the
 * area grows with b, so only the smallest b that meets the guarantee,
 * b(r) = ceil(ln(1 - 0.995) / ln(1 - t^r)), is a contender, and the search
 * is one pass over r (k evaluations of a 256-step midpoint integral; ties
 * keep the smaller r, so the choice is deterministic).  When no (b, r)
 * within k values reaches 0.995 (a very small k or threshold), the pair with
 * the highest P(t) is taken, and `neardup params` says the guarantee is not
 * met.  With k = 128 the guarantee holds for every threshold from 0.05 to
 * 1, e.g. t = 0.5: 40 x 3, t = 0.6: 22 x 3, t = 0.7: 20 x 4, t = 0.8: 18 x 6
 * (P(0.8) = 0.9958), t = 0.9: 11 x 9, t = 0.95: 8 x 14.
 *
 * Why a constraint and not a weighted sum.  Minimising
 * 0.01 * (false-positive area) + 0.99 * (false-negative area) chose 18 x 7
 * at t = 0.8, where P(0.8) = 0.986: on a planted 100 MB corpus every missed
 * pair (0.2-0.4% of the edited copies) had J between 0.80 and 0.87, and at
 * lower thresholds the weighted sum gave away even more (P(0.6) = 0.976
 * with 8 x 4 at t = 0.6).  A weighted sum trades recall for candidates at a
 * rate that depends on the threshold; a floor on P(t) states what the user
 * gets at every threshold, which is the promise the report can make.  The
 * model P(s) = 1 - (1 - s^r)^b treats the k values as independent MinHashes;
 * one-permutation hashing with densification is close to that (sketch.c), and
 * the bench measures recall on planted pairs at t = 0.8 and 0.6.
 *
 * Candidates.  A band key is the high 32 bits of the vector multiply-shift
 * hash of the band's r values x_0 .. x_{r-1} (32 bits each):
 * (c_j + sum a_i x_i) mod 2^64, with a fixed pseudo-random 64-bit a_i per
 * row position (nd_lsh_band_mul) and c_j = j x an odd constant, so that
 * equal rows in two bands give different keys (Dietzfelbinger et al.,
 * "A reliable randomized algorithm for the closest-pair problem", 1997;
 * Thorup, "High speed hashing for integers and strings", 2015, sec. 3:
 * two different vectors collide with probability at most 2 / 2^32 over
 * the choice of the a_i).  The signature values are already hash values,
 * so nothing more is needed of the band key than few collisions, and the
 * key's top bits, which the singleton filter and the grouped sort use, are
 * its best-mixed ones.  It replaced the high half of XXH3-64 over the
 * band's 4r bytes: six multiplies and adds a band instead of XXH3's 17-128
 * byte path (callgrind, the first 170 files of the one-paragraph-per-line
 * English bench corpus, 105,738 paragraphs: 612 -> 489 instructions a
 * paragraph for the 18 keys, the whole scan 791.2 M -> 777.6 M; wrapped
 * English, 180 files: 617.0 M -> 610.7 M).  32 bits (not 64) halve the largest per-paragraph array
 * of the scan (b = 18 keys: 72 instead of 144 bytes) and let a band entry be
 * one 64-bit word, (key << 32 | paragraph id), which sorts with three 11-bit
 * radix passes instead of eight 8-bit passes over 16-byte records.  The
 * price is chance collisions: n^2 / 2 pairs, each colliding with
 * probability at most 2^-31, so at most about n^2 / 2^32 per band, ~15
 * extra candidates per band for 250,000 paragraphs and ~3,700 for 4 million
 * (measured: 2,619 candidates against 2,613 with XXH3 on 52,716 English
 * paragraphs, 1,062 verified either way); each
 * costs one exact verification and none can change the result, since every
 * candidate is verified.  For each band the entries are sorted and runs of
 * equal keys are buckets; a bucket expands into pairs (ND_BUCKET_ALL_PAIRS).
 * All pairs from all bands are radix-sorted once more and deduplicated,
 * which gives the verifier its input in a deterministic order.  No hash map
 * is used anywhere, so the same keys give the same pairs in the same order
 * on any machine and with any number of threads, and sorted runs of entries
 * can be spilled to disk and merged (spill.c).  Bands are independent, so
 * the scan gives each thread its own bands and concatenates their pairs
 * before the final sort.
 *
 * Singletons.  Most band keys occur once (one-paragraph-per-line English,
 * 1.19 M paragraphs: 81 K candidate pairs over 18 bands), and an entry whose
 * key is unique makes no pair, so before a band is sorted
 * (nd_lsh_band_entries) a 2-bit table of "seen" and "seen again" flags,
 * indexed by the key's top bits, is filled from the keys, and only the
 * entries whose slot was seen twice are written and sorted: every entry of
 * a repeated key survives (it shares its slot with the other), in id order,
 * so the buckets and pairs are exactly those of all the entries.  The table
 * has at least 8 slots per row (2^24 slots, 4 MiB, for 1.19 M rows, where
 * an estimated 6% of the singletons survive by sharing a slot) and lives in
 * the sort's scratch buffer, so it costs no memory.  Measured on that corpus, 1 thread
 * (alternating runs against the unfiltered sort on a shared 2-core VM): the
 * LSH stage 0.19-0.22 s instead of 0.34-0.45 s, 1.20 G instructions instead
 * of 1.85 G.  Both passes were also written with AVX2, eight rows a step
 * (the table words and bits computed in vectors a group ahead, the second
 * pass's bits fetched with vpgatherdq): a third fewer instructions
 * (callgrind, 105,738 paragraphs: 87.7 M -> 46.5 M) but no faster on the
 * Zen 3 VM, where the passes wait on the table, not on instructions (LSH
 * stage, medians of five alternated runs, 1 thread: 1.19 M paragraphs 0.190
 * s scalar, 0.189 s with the table pass vectorised, 0.23 s with the
 * gathers too; 118 K paragraphs, the table in L2, 0.018 s against 0.019
 * s), so they are not kept.  Band keys: nd_lsh_band_keys has one unrolled copy per
 * common row count (3, 4, 6, 7, 9, 14), whose multipliers are constants.
 */
#include "lsh.h"

#include <math.h>
#include <string.h>

#include "nd_internal.h"

double nd_lsh_probability(double s, unsigned bands, unsigned rows) {
    if (s <= 0.0) return 0.0;
    if (s >= 1.0) return bands ? 1.0 : 0.0;
    return 1.0 - pow(1.0 - pow(s, (double)rows), (double)bands);
}

#define ND_LSH_STEPS 256

/* Midpoint-rule area under the S-curve on [0, t]. */
static double lsh_fp_area(double t, unsigned b, unsigned r) {
    const double h = t / ND_LSH_STEPS;
    double sum = 0.0;
    for (int i = 0; i < ND_LSH_STEPS; i++) sum += nd_lsh_probability((i + 0.5) * h, b, r);
    return sum * h;
}

/* The smallest b with P(t) >= ND_LSH_MIN_RECALL for r rows, or 0 when more
 * than max_b would be needed.  The closed form is corrected by one step
 * either way against rounding, so P itself decides. */
static unsigned lsh_min_bands(double t, unsigned r, unsigned max_b) {
    double tr = pow(t, (double)r);
    if (tr >= 1.0) return 1;
    if (!(tr > 0.0)) return 0;
    double need = ceil(log(1.0 - ND_LSH_MIN_RECALL) / log1p(-tr));
    if (!(need >= 1.0)) need = 1.0;
    if (need > (double)max_b + 1.0) return 0;
    unsigned b = (unsigned)need;
    while (b > 1 && nd_lsh_probability(t, b - 1, r) >= ND_LSH_MIN_RECALL) b--;
    while (b <= max_b && nd_lsh_probability(t, b, r) < ND_LSH_MIN_RECALL) b++;
    return b <= max_b ? b : 0;
}

nd_status nd_lsh_params(double threshold, unsigned num_perm, unsigned *bands, unsigned *rows) {
    if (!bands || !rows || num_perm == 0 || !(threshold > 0.0 && threshold <= 1.0))
        return ND_ERR_INVALID;
    double best_area = HUGE_VAL; /* not INFINITY: a float, -Wdouble-promotion with clang */
    unsigned bb = 0, br = 0;
    for (unsigned r = 1; r <= num_perm; r++) {
        unsigned b = lsh_min_bands(threshold, r, num_perm / r);
        if (b == 0) continue;
        double a = lsh_fp_area(threshold, b, r);
        if (a < best_area) {
            best_area = a;
            bb = b;
            br = r;
        }
    }
    if (bb == 0) { /* no (b, r) reaches the floor: the highest P(t) */
        double best_p = -1.0;
        for (unsigned r = 1; r <= num_perm; r++) {
            unsigned b = num_perm / r; /* P grows with b */
            double p = nd_lsh_probability(threshold, b, r);
            if (p > best_p) {
                best_p = p;
                bb = b;
                br = r;
            }
        }
    }
    *bands = bb;
    *rows = br;
    return ND_OK;
}

/* The multiplier of row position r in a band (nd_lsh_band_keys):
 * splitmix64's finaliser of r + 1, a fixed pseudo-random 64-bit number.
 * The first ND_BAND_MULS are written out (tests/test_lsh.c checks them
 * against this function), so that the unrolled loops below multiply by
 * constants. */
static inline uint64_t band_mul(unsigned r) {
    uint64_t z = (uint64_t)(r + 1) * UINT64_C(0x9E3779B97F4A7C15);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

#define ND_BAND_MULS 16
static const uint64_t band_muls[ND_BAND_MULS] = {
    UINT64_C(0xE220A8397B1DCDAF), UINT64_C(0x6E789E6AA1B965F4), UINT64_C(0x06C45D188009454F),
    UINT64_C(0xF88BB8A8724C81EC), UINT64_C(0x1B39896A51A8749B), UINT64_C(0x53CB9F0C747EA2EA),
    UINT64_C(0x2C829ABE1F4532E1), UINT64_C(0xC584133AC916AB3C), UINT64_C(0x3EE5789041C98AC3),
    UINT64_C(0xF3B8488C368CB0A6), UINT64_C(0x657EECDD3CB13D09), UINT64_C(0xC2D326E0055BDEF6),
    UINT64_C(0x8621A03FE0BBDB7B), UINT64_C(0x8E1F7555983AA92F), UINT64_C(0xB54E0F1600CC4D19),
    UINT64_C(0x84BB3F97971D80AB),
};

uint64_t nd_lsh_band_mul(unsigned r) { return r < ND_BAND_MULS ? band_muls[r] : band_mul(r); }

/* The offset of band j's keys: j times this (odd) number. */
#define ND_BAND_OFF UINT64_C(0xD1B54A32D192ED03)

#if defined(__GNUC__)
#define ND_UNROLL_16 _Pragma("GCC unroll 16")
#else
#define ND_UNROLL_16
#endif

/* keys of `bands` bands of R rows each, R a constant at each use: the
 * loop over the rows is unrolled and every multiplier is a constant. */
#define ND_BAND_KEYS(R)                                                                            \
    for (unsigned j = 0; j < bands; j++) {                                                         \
        const uint32_t *s = sig + (size_t)j * (R);                                                 \
        uint64_t h = (uint64_t)j * ND_BAND_OFF;                                                    \
        ND_UNROLL_16                                                                               \
        for (unsigned r = 0; r < (R); r++) h += band_muls[r] * s[r];                               \
        keys[j] = (uint32_t)(h >> 32);                                                             \
    }

void nd_lsh_band_keys(const uint32_t *sig, unsigned bands, unsigned rows, uint32_t *keys) {
    switch (rows) { /* the rows nd_lsh_params picks for k = 128, t = 0.5 ... 0.95 */
    case 3: ND_BAND_KEYS(3); return;
    case 4: ND_BAND_KEYS(4); return;
    case 6: ND_BAND_KEYS(6); return; /* the default threshold 0.8 */
    case 7: ND_BAND_KEYS(7); return;
    case 9: ND_BAND_KEYS(9); return;
    case 14: ND_BAND_KEYS(14); return;
    default: break;
    }
    uint64_t a[1024]; /* rows <= num_perm <= 1024 */
    for (unsigned r = 0; r < rows && r < 1024; r++) a[r] = nd_lsh_band_mul(r);
    for (unsigned j = 0; j < bands; j++) {
        const uint32_t *s = sig + (size_t)j * rows;
        uint64_t h = (uint64_t)j * ND_BAND_OFF;
        for (unsigned r = 0; r < rows; r++) h += a[r] * s[r];
        keys[j] = (uint32_t)(h >> 32);
    }
}

void nd_pairs_release(nd_pairs *p) {
    free(p->v);
    memset(p, 0, sizeof *p);
}

static nd_status pairs_push(nd_pairs *p, uint32_t a, uint32_t b) {
    if (p->n == p->cap) ND_TRY(ND_GROW(p->v, p->cap, p->n + 1));
    if (a > b) {
        uint32_t t = a;
        a = b;
        b = t;
    }
    p->v[p->n++] = (uint64_t)a << 32 | b;
    return ND_OK;
}

nd_status nd_pairs_finish(nd_pairs *p) {
    if (p->n < 2) return ND_OK;
    uint64_t *tmp = nd_mallocn(p->n, sizeof *tmp);
    if (!tmp) return ND_ERR_NOMEM;
    nd_sort_u64(p->v, tmp, p->n);
    free(tmp);
    size_t m = 1;
    for (size_t i = 1; i < p->n; i++)
        if (p->v[i] != p->v[m - 1]) p->v[m++] = p->v[i];
    p->n = m;
    return ND_OK;
}

size_t nd_pairs_find(const nd_pairs *p, uint64_t v) {
    size_t lo = nd_lower_u64(p->v, 0, p->n, v);
    return lo < p->n && p->v[lo] == v ? lo : SIZE_MAX;
}

nd_status nd_lsh_bucket_pairs(const uint64_t *run, size_t m, nd_pairs *out) {
    if (m <= ND_BUCKET_ALL_PAIRS) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = i + 1; j < m; j++)
                ND_TRY(pairs_push(out, (uint32_t)run[i], (uint32_t)run[j]));
        return ND_OK;
    }
    for (size_t i = 1; i < m; i++) {
        ND_TRY(pairs_push(out, (uint32_t)run[0], (uint32_t)run[i]));
        if (i > 1) ND_TRY(pairs_push(out, (uint32_t)run[i - 1], (uint32_t)run[i]));
    }
    return ND_OK;
}

nd_status nd_lsh_band_pairs(const uint64_t *e, size_t n, nd_pairs *out) {
    for (size_t s = 0; s < n;) {
        size_t t = s + 1;
        while (t < n && (e[t] >> 32) == (e[s] >> 32)) t++;
        if (t - s > 1) ND_TRY(nd_lsh_bucket_pairs(e + s, t - s, out));
        s = t;
    }
    return ND_OK;
}

/* The singleton filter's table: 2^lb slots of 2 bits (seen, seen again),
 * 32 a word, about 8 slots per entry but at most tab_words words; an
 * entry's slot is its key's top lb bits. */
static unsigned filter_bits(size_t n, size_t tab_words) {
    unsigned lb = 6;
    while (lb < 32 && ((size_t)1 << lb) < 8 * n && ((size_t)1 << (lb + 1)) / 32 <= tab_words) lb++;
    return lb;
}

static inline void filter_add(uint64_t *tab, uint64_t h, uint64_t on) {
    uint64_t bit = on << ((h & 31) * 2), x = tab[h >> 5];
    tab[h >> 5] = x | bit | (x & bit) << 1;
}

static inline uint64_t filter_again(const uint64_t *tab, uint64_t h) {
    return (tab[h >> 5] >> ((h & 31) * 2 + 1)) & 1;
}

/* The table is 4 MiB for a million rows: out of L2, every slot a cache
 * miss.  Both passes prefetch the slot of the entry ND_FILTER_AHEAD places
 * on, when the table is larger than ND_FILTER_PREFETCH (an L2 cache; a
 * smaller table is mostly hit, and the prefetches were 5 M more
 * instructions for 18 k paragraphs of Chinese).  Measured on 1.19 M random
 * keys x 18 bands (best of 15, 1 thread, shared VM): both passes 147 -> 110
 * ms; 8 to 16 ahead were alike, 4 and 64 slower. */
#define ND_FILTER_AHEAD    12
#define ND_FILTER_PREFETCH ((size_t)1 << 20)

/* How far the passes over n entries prefetch for a table of 2^lb slots:
 * all n when it is over ND_FILTER_PREFETCH bytes, else none. */
static inline size_t filter_prefetch_end(unsigned lb, size_t n) {
    return ((size_t)1 << lb) / 4 > ND_FILTER_PREFETCH ? n : 0;
}

static inline void filter_prefetch(const uint64_t *tab, uint64_t h) {
#if defined(__GNUC__)
    __builtin_prefetch(tab + (h >> 5));
#else
    (void)tab;
    (void)h;
#endif
}

size_t nd_lsh_drop_singletons(uint64_t *e, size_t n, uint64_t *tab, size_t tab_words) {
    if (n < ND_DROP_MIN || tab_words < 2) return n;
    const unsigned lb = filter_bits(n, tab_words);
    const int sh = 64 - (int)lb;
    memset(tab, 0, ((size_t)1 << lb) / 32 * sizeof *tab);
    const size_t pf = filter_prefetch_end(lb, n);
    for (size_t i = 0; i < n; i++) {
        if (i + ND_FILTER_AHEAD < pf) filter_prefetch(tab, e[i + ND_FILTER_AHEAD] >> sh);
        filter_add(tab, e[i] >> sh, 1);
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) { /* branch-free: most entries go */
        if (i + ND_FILTER_AHEAD < pf) filter_prefetch(tab, e[i + ND_FILTER_AHEAD] >> sh);
        e[m] = e[i];
        m += filter_again(tab, e[i] >> sh);
    }
    return m;
}

/* The two passes of nd_lsh_band_entries over a table of 2^(32 - sh) slots,
 * prefetching ND_FILTER_AHEAD entries on when `ahead` (a constant at each
 * call: each call is its own copy of the loops). */
static inline size_t band_filter(const uint32_t *keys, const unsigned char *state,
                                 unsigned char want, size_t np, uint64_t *e, uint64_t *tab, int sh,
                                 int ahead) {
    size_t m = 0;
    const size_t pf = np > ND_FILTER_AHEAD ? np - ND_FILTER_AHEAD : 0;
    for (size_t p = 0; p < np; p++) {
        if (ahead && p < pf) filter_prefetch(tab, keys[p + ND_FILTER_AHEAD] >> sh);
        if (state[p] == want) filter_add(tab, keys[p] >> sh, 1);
    }
    for (size_t p = 0; p < np; p++) {
        if (ahead && p < pf) filter_prefetch(tab, keys[p + ND_FILTER_AHEAD] >> sh);
        uint32_t on = state[p] == want;
        e[m] = (uint64_t)keys[p] << 32 | p;
        m += on & filter_again(tab, (keys[p] & (0u - on)) >> sh);
    }
    return m;
}

size_t nd_lsh_band_entries(const uint32_t *keys, const unsigned char *state, unsigned char want,
                           size_t np, uint64_t *e, uint64_t *tab, size_t tab_words) {
    size_t m = 0;
    if (np < ND_DROP_MIN || tab_words < 2) {
        for (size_t p = 0; p < np; p++) { /* e has room for one more */
            e[m] = (uint64_t)keys[p] << 32 | p;
            m += state[p] == want;
        }
        return m;
    }
    const unsigned lb = filter_bits(np, tab_words);
    const int sh = 32 - (int)lb;
    memset(tab, 0, ((size_t)1 << lb) / 32 * sizeof *tab);
    /* The other rows' keys may never have been written (the scan leaves
     * short paragraphs' rows alone), so they must not index the table: the
     * table pass skips them with a branch, the entry pass masks them to 0.
     * Performance: a branch-free table pass that sent them all to one slot
     * (a no-op update of word 0) made the LSH stage 0.27-0.28 s instead of
     * 0.19-0.22 s on 1.19 M English paragraphs, and one that hashed them
     * from p 0.58-0.69 s. */
    const size_t pf = filter_prefetch_end(lb, np);
    if (pf == 0) /* a table in cache: the loops without the prefetch's test */
        return band_filter(keys, state, want, np, e, tab, sh, 0);
    return band_filter(keys, state, want, np, e, tab, sh, 1);
}

/* Groups for nd_lsh_band_grouped: 2^bits groups of about ND_PART_ROWS rows
 * each, at most 2^ND_PART_MAX_BITS (256 scatter streams of one cache line
 * each stay in L1).  Measured (random keys, a tenth repeated, 40 bands, 1
 * thread, user seconds, shared VM): 1.19 M rows flat 0.29, grouped 0.40
 * (the flat table, 4 MiB, is mostly hit; the scatter's stores miss);
 * 2.4 M rows flat 1.25, grouped 0.93 (an 8 MiB table misses); 1,024
 * groups were no faster than 256.  Hence grouped from ND_GROUPED_MIN rows,
 * where the flat table would be 8 MiB. */
#define ND_PART_ROWS     2048
#define ND_PART_MAX_BITS 8
#define ND_GROUPED_MIN   ((size_t)1 << 21)

/* Drops the singletons of one group of n entries that share their key's top
 * pb bits, as nd_lsh_drop_singletons does with a table indexed by the bits
 * below those (the group's rows fit a table of a few KiB, in L1); keeps the
 * survivors in order in e and returns their number. */
static size_t group_drop(uint64_t *e, size_t n, unsigned pb, uint64_t *tab) {
    if (n < 2) return 0; /* a lone entry makes no pair */
    unsigned lb = 6;
    while (lb < 24 && ((size_t)1 << lb) < 8 * n) lb++;
    memset(tab, 0, ((size_t)1 << lb) / 32 * sizeof *tab);
    const int sh = 32 - (int)lb;
    for (size_t i = 0; i < n; i++)
        filter_add(tab, (uint32_t)((uint32_t)(e[i] >> 32) << pb) >> sh, 1);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        e[m] = e[i];
        m += filter_again(tab, (uint32_t)((uint32_t)(e[i] >> 32) << pb) >> sh);
    }
    return m;
}

size_t nd_lsh_band_grouped(const uint32_t *keys, const unsigned char *state, unsigned char want,
                           size_t np, uint64_t *e, uint64_t *tmp, size_t tmp_words) {
    unsigned pb = 0;
    size_t n = 0;
    while (pb < ND_PART_MAX_BITS && (np >> pb) > ND_PART_ROWS) pb++;
    for (size_t p = 0; p < np; p++) n += state[p] == want;
    /* the groups need their offsets and, for the largest group, its table
     * and sort scratch (at most n entries) */
    if (tmp_words < ((size_t)1 << pb) + 1 + n) { /* the flat filter, one sort */
        size_t m = nd_lsh_band_entries(keys, state, want, np, e, tmp, tmp_words);
        nd_sort_hi32(e, tmp, m);
        return m;
    }
    /* 1. rows per group (the key's top pb bits), 2. the entries scattered
     * to their groups in order of p, 3. each group filtered in L1 and its
     * survivors sorted, packed down after the previous group's. */
    const unsigned ng = 1u << pb, sh = 32 - pb;
    uint64_t *at = tmp; /* group starts, then ends */
    uint64_t *scratch = tmp + ng + 1;
    memset(at, 0, (ng + 1) * sizeof *at);
    for (size_t p = 0; p < np; p++)
        if (state[p] == want) at[(keys[p] >> sh) + 1]++;
    for (unsigned g = 0; g < ng; g++) at[g + 1] += at[g];
    for (size_t p = 0; p < np; p++)
        if (state[p] == want) e[at[keys[p] >> sh]++] = (uint64_t)keys[p] << 32 | p;
    /* at[g] is now the end of group g, the start of g + 1 */
    size_t m = 0, start = 0;
    for (unsigned g = 0; g < ng; g++) {
        size_t end = (size_t)at[g], k = group_drop(e + start, end - start, pb, scratch);
        if (k > 1) nd_sort_hi32_tail(e + start, scratch, k, pb);
        if (m != start && k) memmove(e + m, e + start, k * sizeof *e);
        m += k;
        start = end;
    }
    return m;
}

size_t nd_lsh_band_sorted(const uint32_t *keys, const unsigned char *state, unsigned char want,
                          size_t np, uint64_t *e, uint64_t *tmp, size_t tmp_words) {
    if (np >= ND_GROUPED_MIN) return nd_lsh_band_grouped(keys, state, want, np, e, tmp, tmp_words);
    size_t m = nd_lsh_band_entries(keys, state, want, np, e, tmp, tmp_words);
    nd_sort_hi32(e, tmp, m);
    return m;
}

nd_status nd_lsh_candidates(const uint32_t *keys, const uint32_t *ids, size_t n, unsigned bands,
                            nd_pairs *out) {
    nd_status st = ND_OK;
    uint64_t *e = NULL, *tmp = NULL;
    if (n < 2) return ND_OK;
    e = nd_mallocn(n, sizeof *e);
    tmp = nd_mallocn(n, sizeof *tmp);
    if (!e || !tmp) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (unsigned j = 0; j < bands; j++) {
        for (size_t i = 0; i < n; i++) e[i] = (uint64_t)keys[i * bands + j] << 32 | ids[i];
        size_t m = nd_lsh_drop_singletons(e, n, tmp, n);
        nd_sort_hi32(e, tmp, m);
        ND_CHECK(nd_lsh_band_pairs(e, m, out));
    }
    ND_CHECK(nd_pairs_finish(out));
out:
    free(e);
    free(tmp);
    return st;
}
