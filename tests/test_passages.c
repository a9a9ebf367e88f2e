/* test_passages.c - corpus-wide passages: winnowing and the fingerprint
 * stage's seeds, against a naive search for shared runs. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"
#include "input.h"
#include "nd_internal.h"
#include "stage.h"
#include "text.h"
#include "support.h"
#include "winnow.h"

/* --- a corpus of in-memory documents and the context to run stages on --- */

typedef struct corpus {
    nd_doctab docs;
    nd_exec x;
} corpus;

static void corpus_add(corpus *c, const char *name, const char *text) {
    cr_assert_eq(nd_input_add_buffer(&c->docs, name, text, strlen(text)), ND_OK);
}

static void corpus_exec(corpus *c, unsigned threads) {
    memset(&c->x, 0, sizeof c->x);
    c->x.threads = threads;
    cr_assert_eq(nd_pool_new(threads, &c->x.pool), ND_OK);
    c->x.wk = calloc(threads, sizeof *c->x.wk);
    cr_assert_not_null(c->x.wk);
    nd_options o; /* the exact check's shinglers: the default options */
    nd_options_default(&o);
    for (unsigned t = 0; t < threads; t++) {
        nd_reader_init(&c->x.wk[t].rd, &c->docs);
        nd_reader_init(&c->x.wk[t].rb, &c->docs);
        nd_shingler_init(&c->x.wk[t].sa, &o);
        nd_shingler_init(&c->x.wk[t].sb, &o);
    }
}

static void corpus_exec_release(corpus *c) {
    for (unsigned t = 0; t < c->x.threads; t++) {
        nd_reader_release(&c->x.wk[t].rd);
        nd_reader_release(&c->x.wk[t].rb);
        nd_shingler_release(&c->x.wk[t].sa);
        nd_shingler_release(&c->x.wk[t].sb);
    }
    free(c->x.wk);
    nd_pool_free(c->x.pool);
    memset(&c->x, 0, sizeof c->x);
}

/* Where the fingerprint stage keeps the normalised texts in the next runs:
 * nowhere (the alignment normalises them again: no spill file can be made
 * in a directory that does not exist), in memory, or in its spill files. */
enum { KEEP_NONE, KEEP_MEMORY, KEEP_SPILL };
static int keep_mode;
/* The fingerprints kept in memory (nd_fingerprint_in.fp_bytes; 0: all). */
static uint64_t fp_cap;

static void fingerprints(corpus *c, unsigned threads, unsigned min_passage, unsigned common,
                         nd_fingerprint_out *out) {
    corpus_exec(c, threads);
    nd_fingerprint_in in = {.docs = &c->docs,
                            .keep_bytes = keep_mode == KEEP_MEMORY ? UINT64_MAX : 0,
                            .fp_bytes = fp_cap,
                            .tmpdir = keep_mode == KEEP_NONE ? "/nonexistent/neardup-test" : NULL,
                            .norm_flags = ND_NORM_ALL,
                            .min_passage = min_passage,
                            .common_docs = common};
    cr_assert_eq(nd_stage_fingerprint(&c->x, &in, out), ND_OK);
    for (size_t d = 0; d < out->ndocs; d++)
        if (out->doc_chars[d])
            cr_assert_eq(out->texts[d].kept,
                         keep_mode == KEEP_MEMORY  ? 1
                         : keep_mode == KEEP_SPILL ? 2
                                                   : 0,
                         "document %zu kept as %d in mode %d", d, out->texts[d].kept, keep_mode);
    corpus_exec_release(c);
}

static void fingerprint_out_release(nd_fingerprint_out *o) { nd_fingerprint_out_release(o); }

/* --- random CJK text: characters the normalisation keeps as they are --- */

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 33) % n;
}

/* n code points from U+4E00 + [0, alphabet), as UTF-8, into buf. */
static void random_cjk(uint32_t *cp, size_t n, uint32_t alphabet) {
    for (size_t i = 0; i < n; i++) cp[i] = 0x4E00 + rnd(alphabet);
}

static char *utf8_of(const uint32_t *cp, size_t n) {
    char *s = malloc(3 * n + 1), *o = s;
    cr_assert_not_null(s);
    for (size_t i = 0; i < n; i++) {
        *o++ = (char)(0xE0 | cp[i] >> 12);
        *o++ = (char)(0x80 | (cp[i] >> 6 & 0x3F));
        *o++ = (char)(0x80 | (cp[i] & 0x3F));
    }
    *o = '\0';
    return s;
}

/* Is there a seed of (a, b) on diagonal pa - pb inside [pa, pa + len)? */
static int has_seed(const nd_fingerprint_out *o, uint32_t a, uint32_t b, uint32_t pa, uint32_t pb,
                    size_t len) {
    for (size_t i = 0; i < o->nseeds; i++) {
        const nd_seed *s = &o->seeds[i];
        if (s->a == a && s->b == b && (int64_t)s->pa - s->pb == (int64_t)pa - pb && s->pa >= pa &&
            s->pa < pa + len)
            return 1;
    }
    return 0;
}

/* The packed map (text.h, nd_pmap: a text's usual step and span once,
 * the exceptions apart) gives every character's begin, end, step and span
 * as the raw map it was packed from, for maps with few exceptions (one
 * usual pair), many (random pairs) and groups cut short, and its size is
 * read back from its header; the first character of a group may be an
 * exception by its span alone. */
Test(pmap, gives_the_raw_maps_offsets) {
    for (int round = 0; round < 60; round++) {
        size_t n = 1 + rnd(round < 10 ? 130 : 900);
        nd_map_off *beg = malloc(n * sizeof *beg), *end = malloc(n * sizeof *end);
        size_t at = rnd(1000);
        unsigned mode = (unsigned)round % 3; /* 0: one usual pair, 1: some, 2: random */
        for (size_t i = 0; i < n; i++) {
            unsigned step = 3, span = 3;
            if (mode == 2 || (mode == 1 && rnd(4) == 0) || (mode == 0 && rnd(40) == 0)) {
                step = rnd(9);
                span = 1 + rnd(6);
            }
            at += i == 0 ? 0 : step;
            beg[i] = (nd_map_off)at;
            end[i] = (nd_map_off)(at + span);
        }
        void *raw_block = malloc(nd_cmap_bytes(n));
        nd_cmap raw;
        cr_assert(nd_cmap_fill(beg, end, n, raw_block, &raw), "round %d", round);
        uint64_t *block = malloc((nd_pmap_max_bytes(n) + 7) / 8 * 8);
        size_t bytes = nd_pmap_pack(&raw, n, block);
        cr_assert_leq(bytes, nd_pmap_max_bytes(n));
        cr_assert_eq(nd_pmap_size(block, n), bytes, "round %d", round);
        nd_pmap p;
        nd_pmap_at(block, n, &p);
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq(nd_pmap_beg(&p, i), beg[i], "round %d char %zu", round, i);
            cr_assert_eq(nd_pmap_end(&p, i), end[i], "round %d char %zu", round, i);
            cr_assert_eq(nd_pmap_len(&p, i), end[i] - beg[i], "round %d char %zu", round, i);
            cr_assert_eq(nd_pmap_adv(&p, i), i ? beg[i] - beg[i - 1] : 0, "round %d char %zu",
                         round, i);
        }
        if (mode == 0 && n >= 64) /* few exceptions: well under the raw map's 2 a character */
            cr_assert_lt(bytes, n, "round %d: %zu bytes for %zu characters", round, bytes, n);
        free(block);
        free(raw_block);
        free(beg);
        free(end);
    }
}

/* The compact map (text.h, nd_cmap) gives every character's begin and end
 * offsets as the arrays it was made from, across blocks of 64, for random
 * steps and spans below 255 (expansions: steps of 0); a step or a span of
 * 255 makes it refuse. */
Test(cmap, gives_the_offsets_it_was_made_from) {
    for (int round = 0; round < 40; round++) {
        size_t n = 1 + rnd(700);
        nd_map_off *beg = malloc(n * sizeof *beg), *end = malloc(n * sizeof *end);
        size_t at = rnd(1000);
        for (size_t i = 0; i < n; i++) {
            at += i == 0 ? 0 : rnd(5) == 0 ? 0 : rnd(round % 2 ? 254 : 6);
            beg[i] = (nd_map_off)at;
            end[i] = (nd_map_off)(at + rnd(round % 3 ? 4 : 254) + 1);
        }
        void *block = malloc(nd_cmap_bytes(n));
        nd_cmap m;
        cr_assert(nd_cmap_fill(beg, end, n, block, &m), "round %d", round);
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq(nd_cmap_beg(&m, i), beg[i], "round %d char %zu", round, i);
            cr_assert_eq(nd_cmap_end(&m, i), end[i], "round %d char %zu", round, i);
        }
        nd_cmap again;
        nd_cmap_at(block, n, &again);
        cr_assert_eq(nd_cmap_beg(&again, n - 1), beg[n - 1]);
        if (n > 1) { /* a step of 255, then a span of 255 */
            size_t i = 1 + rnd((uint32_t)n - 1);
            for (size_t j = i; j < n; j++) beg[j] += 255, end[j] += 255;
            cr_assert_not(nd_cmap_fill(beg, end, n, block, &m));
            for (size_t j = i; j < n; j++) beg[j] -= 255, end[j] -= 255;
            end[i] = beg[i] + 255;
            cr_assert_not(nd_cmap_fill(beg, end, n, block, &m));
        }
        free(block);
        free(beg);
        free(end);
    }
}

/* Pieces of text for nd_norm_chars_cmapped: Han, ASCII words, spaces,
 * fullwidth and traditional forms, a pinyin annotation, expansions (U+FB03
 * "ffi", U+3392 "MHz"), a combining mark (the general path), invalid bytes,
 * and runs of 300 spaces or a 300-byte dropped run (a step of 255 or more:
 * the wide map); some texts are expansions only, so the output outgrows
 * its first size. */
static const char *const cmap_piece[] = {"\xe6\x96\x87\xe6\x9c\xac",
                                         "Early settlers ",
                                         " ",
                                         "\xef\xbc\xa1\xef\xbd\x82",
                                         "\xe6\x85\x8b(t\xc3\xa0i)",
                                         "\xef\xac\x83",
                                         "\xe3\x8e\x92",
                                         "e\xcc\x81",
                                         "\xff\xfe",
                                         "\xe9\x80\x99\xe5\x80\x8b",
                                         ",.;!",
                                         "\xe3\x80\x82"};

/* nd_norm_chars_cmapped gives what nd_norm_chars_mapped and nd_cmap_fill
 * give: the same code points, and the compact map with the same offsets
 * when it can be made, else the same wide offsets - for every set of flags
 * (the single-pass path and the general one), on random mixes of pieces. */
Test(cmap, cmapped_normaliser_is_mapped_then_packed) {
    static char buf[40000];
    for (int round = 0; round < 300; round++) {
        size_t n = 0, np = 1 + rnd(round % 4 ? 400 : 3000);
        const int gaps = round % 5 == 0, slow = round % 7 == 0;
        for (size_t k = 0; k < np && n + 400 < sizeof buf; k++) {
            uint32_t r = rnd(sizeof cmap_piece / sizeof *cmap_piece);
            if (round % 13 == 5) r = 5 + rnd(2); /* expansions only: the output grows */
            if (gaps && rnd(50) == 0) {
                memset(buf + n, rnd(2) ? ' ' : '-', 300);
                n += 300;
                continue;
            }
            if (!slow && r == 7) continue; /* keep most texts on the single pass */
            size_t l = strlen(cmap_piece[r]);
            memcpy(buf + n, cmap_piece[r], l);
            n += l;
        }
        unsigned flags = round % 3 == 2 ? (ND_NORM_ALL & ~ND_NORM_T2S) : ND_NORM_ALL;
        if (round % 11 == 3) flags &= ~ND_NORM_STRIP;
        nd_norm a, b;
        nd_norm_init(&a, flags);
        nd_norm_init(&b, flags);
        uint32_t *ca = NULL, *cb = NULL;
        nd_map_off *ba = NULL, *ea = NULL, *bb = NULL, *eb = NULL;
        void *cm = NULL;
        size_t na = 0, nb = 0;
        cr_assert_eq(nd_norm_chars_mapped(&a, (const uint8_t *)buf, n, &ca, &ba, &ea, &na), ND_OK);
        cr_assert_eq(nd_norm_chars_cmapped(&b, (const uint8_t *)buf, n, &cb, &cm, &bb, &eb, &nb),
                     ND_OK);
        cr_assert_eq(na, nb, "round %d", round);
        if (na) cr_assert(memcmp(ca, cb, na * sizeof *ca) == 0, "round %d", round);
        void *block = na ? malloc(nd_cmap_bytes(na)) : NULL;
        nd_cmap m, got;
        int packs = na && nd_cmap_fill(ba, ea, na, block, &m);
        cr_assert_eq(packs, cm != NULL, "round %d: compact %d, expected %d", round, cm != NULL,
                     packs);
        cr_assert_eq(bb == NULL, packs || !na, "round %d", round);
        if (packs) {
            cr_assert(memcmp(cm, block, nd_cmap_bytes(na)) == 0, "round %d", round);
            nd_cmap_at(cm, nb, &got);
            for (size_t i = 0; i < nb; i++) {
                cr_assert_eq(nd_cmap_beg(&got, i), ba[i], "round %d char %zu", round, i);
                cr_assert_eq(nd_cmap_end(&got, i), ea[i], "round %d char %zu", round, i);
            }
        } else if (na) {
            cr_assert(memcmp(ba, bb, na * sizeof *ba) == 0, "round %d", round);
            cr_assert(memcmp(ea, eb, na * sizeof *ea) == 0, "round %d", round);
        }
        free(block);
        free(ca);
        free(cb);
        free(ba);
        free(ea);
        free(bb);
        free(eb);
        free(cm);
        nd_norm_release(&a);
        nd_norm_release(&b);
    }
}

Test(winnow, params_guarantee_min_passage) {
    unsigned k, w;
    nd_winnow_params(50, &k, &w);
    cr_assert_eq(k, 15);
    cr_assert_eq(w + k - 1, 50);
    nd_winnow_params(8, &k, &w);
    cr_assert_eq(k, 8);
    cr_assert_eq(w, 1);
}

/* nd_winnow selects, in every window of w k-gram hashes, the rightmost
 * minimum, recording consecutive equal selections once: checked against a
 * naive window scan over all hashes (nd_winnow with w = 1 selects every
 * k-gram), on random text over small alphabets (many equal hashes: ties)
 * and window sizes around the block boundaries. */
Test(winnow, selection_is_the_naive_rightmost_minimum) {
    static uint32_t cp[3000];
    uint64_t *all = NULL, *hash = NULL, *scratch = NULL;
    uint32_t *apos = NULL, *pos = NULL;
    size_t acap = 0, cap = 0, scap = 0;
    for (int round = 0; round < 60; round++) {
        size_t n = 1 + rnd(3000);
        uint32_t alpha = round % 3 == 0 ? 2 : round % 3 == 1 ? 5 : 5000;
        for (size_t i = 0; i < n; i++) cp[i] = 0x4E00 + rnd(alpha);
        unsigned k = 1 + rnd(15), w = 1 + rnd(round % 2 ? 8 : 60);
        size_t na = 0, nw = 0;
        cr_assert_eq(nd_winnow(cp, n, k, 1, &all, &apos, &acap, &na, &scratch, &scap), ND_OK);
        cr_assert_eq(nd_winnow(cp, n, k, w, &hash, &pos, &cap, &nw, &scratch, &scap), ND_OK);
        if (n < (size_t)k + w - 1) {
            cr_assert_eq(nw, 0);
            continue;
        }
        cr_assert_eq(na, n - k + 1);
        size_t j = 0, last = SIZE_MAX;
        for (size_t e = w - 1; e < na; e++) { /* the window [e - w + 1, e] */
            size_t best = e - w + 1;
            for (size_t q = e - w + 1; q <= e; q++)
                if (all[q] <= all[best]) best = q;
            if (best == last) continue;
            last = best;
            cr_assert_lt(j, nw, "round %d: fewer selections than the naive scan", round);
            cr_assert_eq(pos[j], best,
                         "round %d (n %zu, k %u, w %u): selection %zu at %u, naive %zu", round, n,
                         k, w, j, pos[j], best);
            cr_assert_eq(hash[j], all[best]);
            j++;
        }
        cr_assert_eq(j, nw, "round %d: %zu selections, naive %zu", round, nw, j);
    }
    free(all);
    free(apos);
    free(hash);
    free(pos);
    free(scratch);
}

/* The k-gram hashes (nd_winnow with w = 1 gives every one): the rolling
 * hash, computed two characters at a time in two chains, against the
 * polynomial of each k-gram computed on its own (sum of c_j MUL^(k-1-j)
 * mod 2^64, then the splitmix64 finaliser of winnow.c), for every length n
 * from k to k + 9 (both ends of the two-step loop) and longer texts, with
 * large code points (multiplies that wrap). */
static uint64_t naive_kgram_hash(const uint32_t *c, unsigned k) {
    uint64_t v = 0;
    for (unsigned j = 0; j < k; j++) v = v * UINT64_C(0x100000001b3) + c[j];
    uint64_t z = v ^ UINT64_C(0x6e64636d70);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

Test(winnow, kgram_hashes_are_the_polynomial_of_each_kgram) {
    static uint32_t cp[600];
    uint64_t *all = NULL, *scratch = NULL;
    uint32_t *pos = NULL;
    size_t cap = 0, scap = 0;
    for (int round = 0; round < 200; round++) {
        unsigned k = 1 + rnd(15);
        size_t n = round < 100 ? k + (size_t)(round % 10) : k + rnd(580);
        for (size_t i = 0; i < n; i++) cp[i] = round % 2 ? 0x4E00 + rnd(50) : rnd(0x110000);
        size_t na = 0;
        cr_assert_eq(nd_winnow(cp, n, k, 1, &all, &pos, &cap, &na, &scratch, &scap), ND_OK);
        cr_assert_eq(na, n - k + 1);
        for (size_t i = 0; i < na; i++) {
            cr_assert_eq(pos[i], i);
            cr_assert_eq(all[i], naive_kgram_hash(cp + i, k), "round %d (n %zu, k %u): k-gram %zu",
                         round, n, k, i);
        }
    }
    free(all);
    free(pos);
    free(scratch);
}

/* Every maximal run of at least T equal characters shared by two places of
 * a small random corpus (found naively, all pairs of positions) has a seed
 * on its diagonal, inside the run; and every seed lies on such a run (its
 * k-gram is equal in both places).  With T = 50 the pairs of one seed
 * whose contexts differ on both sides are dropped (nd_winnow_ctx): the
 * runs must keep their seeds all the same, and some seeds must go. */
static void check_runs_have_seeds(unsigned T, uint32_t plant_max, size_t min_runs) {
    enum { NDOC = 6, LEN = 700 };
    static uint32_t cp[NDOC][LEN];
    corpus c;
    memset(&c, 0, sizeof c);
    /* a small alphabet makes chance repeats of a few characters; planted
     * runs of 20 to plant_max characters make real ones, across and within
     * documents */
    for (int d = 0; d < NDOC; d++) random_cjk(cp[d], LEN, 40);
    for (int r = 0; r < 30; r++) {
        int a = (int)rnd(NDOC), b = (int)rnd(NDOC);
        uint32_t len = 20 + rnd(plant_max - 19), pa = rnd(LEN - len), pb = rnd(LEN - len);
        memmove(&cp[b][pb], &cp[a][pa], len * sizeof **cp);
    }
    char *text[NDOC];
    char name[16];
    for (int d = 0; d < NDOC; d++) {
        text[d] = utf8_of(cp[d], LEN);
        snprintf(name, sizeof name, "d%d", d);
        corpus_add(&c, name, text[d]);
    }
    nd_fingerprint_out o;
    fingerprints(&c, 1, T, 100, &o);
    for (int d = 0; d < NDOC; d++) cr_assert_eq(o.doc_chars[d], LEN);
    unsigned k, w;
    nd_winnow_params(T, &k, &w);
    size_t runs = 0;
    for (uint32_t a = 0; a < NDOC; a++)
        for (uint32_t b = a; b < NDOC; b++)
            for (int64_t diag = -(LEN - 1); diag < LEN; diag++) {
                /* places pa = pb + diag along the diagonal */
                size_t run = 0;
                for (int64_t pb = 0; pb <= LEN; pb++) {
                    int64_t pa = pb + diag;
                    int eq = pb < LEN && pa >= 0 && pa < LEN && (a != b || pa < pb) &&
                             cp[a][pa] == cp[b][pb];
                    if (eq) {
                        run++;
                        continue;
                    }
                    /* a run ends at pb - 1: [pb - run, pb) in b */
                    if (run >= T && (a != b || pb - run >= pb - run + diag + (int64_t)k)) {
                        uint32_t sb = (uint32_t)(pb - (int64_t)run), sa = (uint32_t)(sb + diag);
                        runs++;
                        cr_expect(has_seed(&o, a, b, sa, sb, run),
                                  "no seed for the run of %zu at d%u:%u and d%u:%u", run, a, sa, b,
                                  sb);
                    }
                    run = 0;
                }
            }
    cr_assert_gt(runs, min_runs, "the planted runs were found naively (%zu)", runs);
    if (T >= 50) { /* fewer seeds than pairs of places of a selected k-gram */
        uint64_t *hash[NDOC] = {NULL}, *scratch = NULL;
        uint32_t *pos[NDOC] = {NULL};
        size_t cap[NDOC] = {0}, cnt[NDOC] = {0}, scap = 0, pairs = 0;
        nd_norm nm; /* the stage's text: some of these characters fold (T2S) */
        nd_norm_init(&nm, ND_NORM_ALL);
        for (int d = 0; d < NDOC; d++) {
            const uint32_t *nc = NULL;
            size_t nn = 0;
            cr_assert_eq(nd_norm_chars(&nm, (const uint8_t *)text[d], strlen(text[d]), &nc, &nn),
                         ND_OK);
            cr_assert_eq(
                nd_winnow(nc, nn, k, w, &hash[d], &pos[d], &cap[d], &cnt[d], &scratch, &scap),
                ND_OK);
        }
        nd_norm_release(&nm);
        for (int a = 0; a < NDOC; a++)
            for (int b = a; b < NDOC; b++)
                for (size_t i = 0; i < cnt[a]; i++)
                    for (size_t j = 0; j < cnt[b]; j++)
                        pairs += hash[a][i] == hash[b][j] && (a != b || pos[b][j] >= pos[a][i] + k);
        cr_assert_lt(o.nseeds, pairs, "no lone seed dropped (%zu seeds, %zu pairs)", o.nseeds,
                     pairs);
        for (int d = 0; d < NDOC; d++) {
            free(hash[d]);
            free(pos[d]);
        }
        free(scratch);
    }
    for (size_t i = 0; i < o.nseeds; i++) {
        const nd_seed *s = &o.seeds[i];
        cr_assert(s->a < s->b || (s->a == s->b && s->pa + k <= s->pb));
        cr_expect_eq(memcmp(&cp[s->a][s->pa], &cp[s->b][s->pb], k * sizeof **cp), 0,
                     "seed %zu is not an equal k-gram (a hash collision kept)", i);
        if (i) { /* sorted by (a, b, diagonal, pa) */
            const nd_seed *p = &o.seeds[i - 1];
            int64_t dp = (int64_t)p->pa - p->pb, ds = (int64_t)s->pa - s->pb;
            cr_assert(p->a < s->a || (p->a == s->a &&
                                      (p->b < s->b || (p->b == s->b &&
                                                       (dp < ds || (dp == ds && p->pa < s->pa))))));
        }
    }
    /* the same seeds for any thread count */
    for (unsigned t = 2; t <= 3; t++) {
        nd_fingerprint_out o2;
        fingerprints(&c, t, T, 100, &o2);
        cr_assert_eq(o2.nseeds, o.nseeds);
        cr_assert_eq(memcmp(o2.seeds, o.seeds, o.nseeds * sizeof *o.seeds), 0);
        cr_assert_eq(o2.fingerprints, o.fingerprints);
        fingerprint_out_release(&o2);
    }
    /* and with every task's fingerprints spilled (a cap of one byte), read
     * back bucket by bucket by the grouping; or kept in memory after all
     * when no spill file can be made (KEEP_NONE: its tmpdir does not
     * exist) */
    cr_assert_eq(o.fp_spilled, 0);
    for (int mode = KEEP_NONE; mode <= KEEP_SPILL; mode += KEEP_SPILL) {
        nd_fingerprint_out o2;
        int saved = keep_mode;
        keep_mode = mode;
        fp_cap = 1;
        fingerprints(&c, 2, T, 100, &o2);
        fp_cap = 0;
        keep_mode = saved;
        cr_assert_eq(o2.nseeds, o.nseeds);
        cr_assert_eq(memcmp(o2.seeds, o.seeds, o.nseeds * sizeof *o.seeds), 0);
        cr_assert_eq(o2.fingerprints, o.fingerprints);
        cr_assert_eq(o2.fp_spilled, mode == KEEP_SPILL ? o.fingerprints * sizeof(nd_fp) : 0,
                     "mode %d: %llu bytes spilled for %llu fingerprints", mode,
                     (unsigned long long)o2.fp_spilled, (unsigned long long)o.fingerprints);
        fingerprint_out_release(&o2);
    }
    fingerprint_out_release(&o);
    nd_doctab_release(&c.docs);
    for (int d = 0; d < NDOC; d++) free(text[d]);
}

Test(fingerprint, every_shared_run_of_min_passage_has_a_seed) { check_runs_have_seeds(24, 60, 15); }

Test(fingerprint, every_shared_run_has_a_seed_when_lone_seeds_are_dropped) {
    check_runs_have_seeds(50, 90, 8);
}

/* A pair of documents sharing one run of exactly min_passage (50)
 * characters has often one seed: the lone seed must stay (its contexts
 * agree on a side), or the passage is lost.  Runs planted between pairs of
 * documents of random text over a large alphabet (no chance repeats). */
Test(fingerprint, a_pair_of_one_run_of_min_passage_keeps_its_lone_seed) {
    enum { NDOC = 60, LEN = 300, RUNS = 30, T = 50 };
    static uint32_t cp[NDOC][LEN];
    corpus c;
    memset(&c, 0, sizeof c);
    for (int d = 0; d < NDOC; d++) random_cjk(cp[d], LEN, 3000);
    uint32_t pl[RUNS][4];
    for (int r = 0; r < RUNS; r++) { /* documents 2r and 2r + 1: one run each */
        uint32_t a = (uint32_t)(2 * r), b = a + 1, pa = rnd(LEN - T), pb = rnd(LEN - T);
        memcpy(&cp[b][pb], &cp[a][pa], T * sizeof **cp);
        pl[r][0] = a, pl[r][1] = b, pl[r][2] = pa, pl[r][3] = pb;
    }
    char *text[NDOC];
    char name[16];
    for (int d = 0; d < NDOC; d++) {
        text[d] = utf8_of(cp[d], LEN);
        snprintf(name, sizeof name, "d%02d", d);
        corpus_add(&c, name, text[d]);
    }
    nd_fingerprint_out o;
    fingerprints(&c, 2, T, 100, &o);
    size_t lone = 0;
    for (int r = 0; r < RUNS; r++) {
        size_t n = 0;
        for (size_t i = 0; i < o.nseeds; i++)
            n += o.seeds[i].a == pl[r][0] && o.seeds[i].b == pl[r][1];
        lone += n == 1;
        cr_expect(has_seed(&o, pl[r][0], pl[r][1], pl[r][2], pl[r][3], T),
                  "no seed for the run of d%u:%u and d%u:%u", pl[r][0], pl[r][2], pl[r][1],
                  pl[r][3]);
    }
    cr_assert_gt(lone, 3, "pairs of one seed: %zu", lone);
    fingerprint_out_release(&o);
    nd_doctab_release(&c.docs);
    for (int d = 0; d < NDOC; d++) free(text[d]);
}

/* A run in more than common_docs documents is common text: no seeds, and
 * counted; in exactly common_docs documents it pairs them all. */
Test(fingerprint, common_text_gives_no_seeds) {
    enum { NDOC = 5, LEN = 300, RUN = 60 };
    uint32_t cp[LEN], shared[RUN];
    random_cjk(shared, RUN, 3000);
    for (unsigned common = NDOC - 1; common <= NDOC; common++) {
        corpus c;
        memset(&c, 0, sizeof c);
        char *text[NDOC];
        for (int d = 0; d < NDOC; d++) {
            random_cjk(cp, LEN, 3000); /* a large alphabet: no chance repeats */
            memcpy(cp + 100, shared, sizeof shared);
            text[d] = utf8_of(cp, LEN);
            corpus_add(&c,
                       d == 0   ? "a"
                       : d == 1 ? "b"
                       : d == 2 ? "c"
                       : d == 3 ? "d"
                                : "e",
                       text[d]);
        }
        nd_fingerprint_out o;
        fingerprints(&c, 2, 30, common, &o);
        if (common < NDOC) {
            cr_assert_eq(o.nseeds, 0, "common text made %zu seeds", o.nseeds);
            cr_assert_gt(o.common, 0);
        } else {
            cr_assert_eq(o.common, 0);
            for (uint32_t a = 0; a < NDOC; a++)
                for (uint32_t b = a + 1; b < NDOC; b++)
                    cr_assert(has_seed(&o, a, b, 100, 100, RUN), "d%u and d%u not paired", a, b);
        }
        fingerprint_out_release(&o);
        nd_doctab_release(&c.docs);
        for (int d = 0; d < NDOC; d++) free(text[d]);
    }
}

/* A passage repeated inside one document pairs with itself; a periodic
 * run does not pair overlapping places. */
Test(fingerprint, repeats_inside_one_document) {
    enum { LEN = 400, RUN = 50 };
    uint32_t cp[LEN];
    random_cjk(cp, LEN, 3000);
    memcpy(cp + 300, cp + 20, RUN * sizeof *cp);
    for (int i = 150; i < 250; i++) cp[i] = 0x4E00 + (uint32_t)(i % 2); /* ababab... */
    char *text = utf8_of(cp, LEN);
    corpus c;
    memset(&c, 0, sizeof c);
    corpus_add(&c, "self", text);
    nd_fingerprint_out o;
    fingerprints(&c, 1, 30, 100, &o);
    unsigned k, w;
    nd_winnow_params(30, &k, &w);
    cr_assert(has_seed(&o, 0, 0, 20, 300, RUN), "the repeat inside the document has no seed");
    for (size_t i = 0; i < o.nseeds; i++) {
        cr_assert_eq(o.seeds[i].a, 0);
        cr_assert_geq(o.seeds[i].pb, o.seeds[i].pa + k, "overlapping places paired");
    }
    fingerprint_out_release(&o);
    nd_doctab_release(&c.docs);
    free(text);
}

/* Seeds come out sorted by (a, b, diagonal pa - pb, pa), each once, also
 * for a pair of many seeds (two documents repeating the same lines: a
 * fingerprint found p times in one and q in the other gives p x q seeds,
 * which are sorted by the radix sort from ND_SEED_RADIX_MIN of a pair on)
 * and whatever the thread count. */
Test(fingerprint, seeds_sorted_by_pair_diagonal_and_place) {
    enum { LINE = 40, REPS = 30, GAP = 25 };
    uint32_t line[LINE], *doc[2];
    random_cjk(line, LINE, 3000);
    for (int d = 0; d < 2; d++) { /* the line REPS times between random text */
        doc[d] = malloc((size_t)REPS * (LINE + GAP) * sizeof *doc[d]);
        cr_assert_not_null(doc[d]);
        for (int r = 0; r < REPS; r++) {
            memcpy(doc[d] + r * (LINE + GAP), line, sizeof line);
            random_cjk(doc[d] + r * (LINE + GAP) + LINE, GAP, 3000);
        }
    }
    size_t first = 0;
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        corpus c;
        memset(&c, 0, sizeof c);
        char *t0 = utf8_of(doc[0], (size_t)REPS * (LINE + GAP));
        char *t1 = utf8_of(doc[1], (size_t)REPS * (LINE + GAP));
        corpus_add(&c, "a", t0);
        corpus_add(&c, "b", t1);
        nd_fingerprint_out o;
        fingerprints(&c, threads, 30, 100, &o);
        size_t pair01 = 0;
        for (size_t i = 0; i < o.nseeds; i++) {
            pair01 += o.seeds[i].a == 0 && o.seeds[i].b == 1;
            if (i == 0) continue;
            const nd_seed *p = &o.seeds[i - 1], *q = &o.seeds[i];
            int64_t dp = (int64_t)p->pa - p->pb, dq = (int64_t)q->pa - q->pb;
            int less = p->a != q->a   ? p->a < q->a
                       : p->b != q->b ? p->b < q->b
                       : dp != dq     ? dp < dq
                                      : p->pa < q->pa;
            cr_assert(less, "seeds %zu and %zu out of order (%u %u %u %u / %u %u %u %u)", i - 1, i,
                      p->a, p->b, p->pa, p->pb, q->a, q->b, q->pa, q->pb);
        }
        cr_assert_geq(pair01, 256, "only %zu seeds of the pair: the radix sort was not used",
                      pair01);
        if (threads == 1)
            first = o.nseeds;
        else
            cr_assert_eq(o.nseeds, first);
        fingerprint_out_release(&o);
        nd_doctab_release(&c.docs);
        free(t0);
        free(t1);
    }
    free(doc[0]);
    free(doc[1]);
}

/* Normalisation applies: a copy in Traditional script and full width still
 * seeds with its Simplified original. */
Test(fingerprint, folded_scripts_share_seeds) {
    corpus c;
    memset(&c, 0, sizeof c);
    corpus_add(&c, "simplified",
               "开头不同的句子。我们坚持把意识形态工作同业务工作同部署同落实同检查同考核纳入年终绩"
               "效考核的主要内容。");
    corpus_add(&c, "traditional",
               "我們堅持把意識形態工作同業務工作同部署同落實同檢查同考核納入年終績效考核的主要內容"
               "。後面也不同。");
    nd_fingerprint_out o;
    fingerprints(&c, 1, 30, 100, &o);
    cr_assert_gt(o.nseeds, 0);
    cr_assert_eq(o.seeds[0].a, 0);
    cr_assert_eq(o.seeds[0].b, 1);
    fingerprint_out_release(&o);
    nd_doctab_release(&c.docs);
}

/* --- step 2: pairwise passages, against compare on the same two texts --- */

static void align_corpus(corpus *c, unsigned threads, unsigned min_passage, unsigned max_gap,
                         nd_align_out *out) {
    nd_fingerprint_out fo;
    fingerprints(c, threads, min_passage, 100, &fo);
    corpus_exec(c, threads);
    nd_align_in in = {.docs = &c->docs,
                      .norm_flags = ND_NORM_ALL,
                      .min_passage = min_passage,
                      .max_gap = max_gap,
                      .threshold = 0.8, /* as compare's default */
                      .seeds = fo.seeds,
                      .nseeds = fo.nseeds,
                      .texts = fo.texts};
    cr_assert_eq(nd_stage_align(&c->x, &in, out), ND_OK);
    corpus_exec_release(c);
    fingerprint_out_release(&fo);
}

static const char *WORDS[] = {"river",   "stone",  "quiet",  "morning", "letter",
                              "garden",  "north",  "window", "silver",  "market",
                              "lamp",    "harbor", "winter", "paper",   "bridge",
                              "orchard", "candle", "meadow", "thunder", "velvet"};

/* n random words (with a few commas and full stops) appended to buf. */
static void words(char *buf, size_t cap, size_t n) {
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, cap - l, "%s%s", WORDS[rnd(20)],
                 rnd(9) == 0   ? ". "
                 : rnd(7) == 0 ? ", "
                               : " ");
    }
}

Test(align, pairs_of_a_two_document_corpus_are_what_compare_finds) {
    static char a[16384], b[16384];
    for (int round = 0; round < 12; round++) {
        a[0] = b[0] = '\0';
        words(a, sizeof a, 150);
        if (round % 4 == 3) { /* 300 dropped bytes: a map that is not compact */
            size_t l = strlen(a);
            memset(a + l, ' ', 300);
            a[l + 300] = '\0';
            words(a, sizeof a, 20);
        }
        words(b, sizeof b, 60);
        /* b copies a stretch of a with a few words changed */
        size_t from = strlen(a) / 3, len = 200 + rnd(300), l = strlen(b);
        memcpy(b + l, a + from, len);
        b[l + len] = '\0';
        for (int e = 0; e < 3; e++) b[l + 20 + rnd((uint32_t)len - 40)] = 'x';
        words(b, sizeof b, 40);
        if (round % 3 == 2) { /* and a repeat inside b */
            l = strlen(b);
            memcpy(b + l, b + 5, 120);
            b[l + 120] = '\0';
        }
        corpus c;
        memset(&c, 0, sizeof c);
        corpus_add(&c, "a.txt", a);
        corpus_add(&c, "b.txt", b);
        nd_align_out o;
        /* the texts kept by the fingerprints in memory or in their spill
         * files, or normalised again: the same */
        keep_mode = round / 4 == 0 ? KEEP_MEMORY : round / 4 == 1 ? KEEP_SPILL : KEEP_NONE;
        align_corpus(&c, 1 + (unsigned)round % 3, 30, 8, &o);
        nd_compare *cmp = NULL;
        cr_assert_eq(nd_compare_buffers("a.txt", a, strlen(a), "b.txt", b, strlen(b), NULL, &cmp),
                     ND_OK);
        size_t np = nd_compare_passage_count(cmp), k = 0;
        cr_assert_gt(np, 0);
        for (size_t i = 0; i < o.n; i++) {
            const nd_pair_passage *p = &o.ps[i];
            if (p->a != 0 || p->b != 1) continue; /* the repeat inside b */
            cr_assert_lt(k, np, "more passages than compare finds");
            nd_passage_info pi;
            cr_assert_eq(nd_compare_passage(cmp, k++, &pi), ND_OK);
            cr_expect_eq(p->a_char, pi.side[0].start_char);
            cr_expect_eq(p->a_chars, pi.side[0].chars);
            cr_expect_eq(p->b_char, pi.side[1].start_char);
            cr_expect_eq(p->b_chars, pi.side[1].chars);
            cr_expect_eq(p->a_off, pi.side[0].offset);
            cr_expect_eq(p->a_len, pi.side[0].length);
            cr_expect_eq(p->b_off, pi.side[1].offset);
            cr_expect_eq(p->b_len, pi.side[1].length);
            cr_expect_eq(p->matched, pi.matched_chars);
            cr_expect_eq(p->fragments, pi.fragments);
        }
        cr_assert_eq(k, np, "round %d: %zu passages, compare finds %zu", round, k, np);
        if (round % 3 == 2) { /* the repeat inside b: one passage (1, 1) */
            int self = 0;
            for (size_t i = 0; i < o.n; i++)
                if (o.ps[i].a == 1 && o.ps[i].b == 1) {
                    self = 1;
                    cr_assert_leq(o.ps[i].a_off + o.ps[i].a_len, o.ps[i].b_off,
                                  "a repeat overlaps itself");
                }
            cr_assert(self, "round %d: the repeat inside b was not found", round);
        }
        nd_compare_free(cmp);
        free(o.ps);
        nd_doctab_release(&c.docs);
    }
}

/* The extension reads texts kept 1, 2 or 4 bytes a code point
 * (stage_fingerprint.c narrows them): for every pair of widths it finds
 * the fragments it finds over 4-byte copies, and each is a maximal exact
 * match (checked naively), in the order (a, b, length descending) also
 * when there are many (sorted by the radix sort from 256); seeds whose
 * k-grams differ (hash collisions) are dropped at every width.  Random texts over a 3-letter alphabet, so that
 * there are many matches, with one wide character in some rounds (a text
 * keeps the narrowest width that holds all its code points). */
Test(align, extension_is_the_same_for_every_width) {
    static const uint32_t wide[3] = {0x7A, 0x4E2D, 0x20000}; /* fits 1, 2, 4 bytes */
    static const unsigned widths[3] = {1, 2, 4};
    enum { N = 400, K = 4 };
    static uint32_t a32[N], b32[N];
    static uint8_t a8[N], b8[N];
    static uint16_t a16[N], b16[N];
    size_t tried = 0, expected = 0, most = 0;
    for (int round = 0; round < 27; round++) {
        for (size_t i = 0; i < N; i++) a32[i] = 'a' + rnd(3), b32[i] = 'a' + rnd(3);
        unsigned wa = (unsigned)round % 3, wb = (unsigned)round / 3 % 3;
        expected += (3 - wa) * (3 - wb);
        a32[rnd(N)] = wide[wa]; /* the widest code point of each text */
        b32[rnd(N)] = wide[wb];
        for (size_t i = 0; i < N; i++) {
            a8[i] = (uint8_t)a32[i], b8[i] = (uint8_t)b32[i];
            a16[i] = (uint16_t)a32[i], b16[i] = (uint16_t)b32[i];
        }
        /* seeds: every place where K characters agree, sorted as required */
        nd_align_seed *sd = malloc((size_t)N * N * sizeof *sd);
        cr_assert_not_null(sd);
        size_t ns = 0;
        for (size_t x = 0; x + K <= N; x++)
            for (size_t y = 0; y + K <= N; y++)
                if ((memcmp(a32 + x, b32 + y, K * sizeof *a32) == 0 && rnd(4) == 0) ||
                    rnd(2000) == 0) /* and some collisions, which must be dropped */
                    sd[ns++] = (nd_align_seed){x, y};
        nd_align_sort_seeds(sd, ns);
        nd_align_text r4a = {.cps = a32, .width = 4, .n = N},
                      r4b = {.cps = b32, .width = 4, .n = N};
        nd_align_frag *ref = NULL, *got = NULL;
        size_t rcap = 0, gcap = 0, nref = 0, ngot = 0;
        cr_assert_eq(nd_align_extend_into(&r4a, &r4b, 0, K, sd, ns, &ref, &rcap, &nref), ND_OK);
        cr_assert_gt(nref, 0);
        most = nref > most ? nref : most;
        for (size_t f = 1; f < nref; f++) /* by (a, b, length descending) */
            cr_assert(ref[f - 1].a != ref[f].a   ? ref[f - 1].a < ref[f].a
                      : ref[f - 1].b != ref[f].b ? ref[f - 1].b < ref[f].b
                                                 : ref[f - 1].len > ref[f].len,
                      "fragments %zu and %zu out of order", f - 1, f);
        for (size_t f = 0; f < nref; f++) { /* maximal exact matches */
            const nd_align_frag *g = &ref[f];
            cr_assert_geq(g->len, K);
            for (size_t i = 0; i < g->len; i++) cr_assert_eq(a32[g->a + i], b32[g->b + i]);
            cr_assert(g->a == 0 || g->b == 0 || a32[g->a - 1] != b32[g->b - 1]);
            cr_assert(g->a + g->len == N || g->b + g->len == N ||
                      a32[g->a + g->len] != b32[g->b + g->len]);
        }
        /* every width that holds each text */
        for (unsigned ia = wa; ia < 3; ia++)
            for (unsigned ib = wb; ib < 3; ib++) {
                const void *pa = ia == 0 ? (const void *)a8 : ia == 1 ? (const void *)a16 : a32;
                const void *pb = ib == 0 ? (const void *)b8 : ib == 1 ? (const void *)b16 : b32;
                nd_align_text ta = {.cps = pa, .width = widths[ia], .n = N},
                              tb = {.cps = pb, .width = widths[ib], .n = N};
                cr_assert_eq(nd_align_extend_into(&ta, &tb, 0, K, sd, ns, &got, &gcap, &ngot),
                             ND_OK);
                cr_assert_eq(ngot, nref, "widths %u, %u: %zu fragments, not %zu", widths[ia],
                             widths[ib], ngot, nref);
                for (size_t f = 0; f < nref; f++)
                    cr_assert(got[f].a == ref[f].a && got[f].b == ref[f].b &&
                                  got[f].len == ref[f].len,
                              "widths %u, %u: fragment %zu differs", widths[ia], widths[ib], f);
                for (size_t i = 0; i < N; i++) cr_assert_eq(nd_align_cp(&ta, i), a32[i]);
                tried++;
            }
        free(sd);
        free(ref);
        free(got);
    }
    cr_assert_eq(tried, expected, "%zu width pairs tried, not %zu", tried, expected);
    cr_assert_geq(most, 256, "at most %zu fragments: the radix sort of many was not tried", most);
}

/* The fingerprint stage keeps each text in the narrowest width that holds
 * its code points (1: ASCII and Latin-1, 2: the rest of the BMP, 4: beyond),
 * in memory and in its spill file, and passages across texts of different
 * widths are found (the copy below is in all three). */
Test(align, kept_texts_are_narrow_and_passages_cross_widths) {
    static const char *const extra[3] = {"plain words only", "\xe4\xb8\xad\xe6\x96\x87",
                                         "\xf0\xa0\x80\x80"}; /* 中文, U+20000 */
    char buf[3][4096];
    char shared[2048] = "";
    words(shared, sizeof shared, 40);
    for (int mode = KEEP_MEMORY; mode <= KEEP_SPILL; mode++) {
        corpus c;
        memset(&c, 0, sizeof c);
        for (int d = 0; d < 3; d++) {
            buf[d][0] = '\0';
            words(buf[d], sizeof buf[d], 30);
            size_t l = strlen(buf[d]);
            snprintf(buf[d] + l, sizeof buf[d] - l, " %s %s ", extra[d], shared);
            words(buf[d], sizeof buf[d], 30);
            char name[16];
            snprintf(name, sizeof name, "%d.txt", d);
            corpus_add(&c, name, buf[d]);
        }
        keep_mode = mode;
        nd_fingerprint_out fo;
        fingerprints(&c, 2, 50, 100, &fo);
        for (int d = 0; d < 3; d++)
            cr_assert_eq(fo.texts[d].width,
                         d == 0   ? 1
                         : d == 1 ? 2
                                  : 4,
                         "document %d width %u", d, fo.texts[d].width);
        fingerprint_out_release(&fo);
        nd_align_out o;
        align_corpus(&c, 2, 50, 8, &o);
        int seen[3][3] = {{0}};
        for (size_t i = 0; i < o.n; i++)
            if (o.ps[i].a_chars >= strlen(shared) / 2) seen[o.ps[i].a][o.ps[i].b] = 1;
        cr_assert(seen[0][1] && seen[0][2] && seen[1][2], "mode %d: a pair of widths missed", mode);
        free(o.ps);
        nd_doctab_release(&c.docs);
    }
    keep_mode = KEEP_NONE;
}

/* --- step 3: records --- */

static void records(corpus *c, unsigned min_passage, unsigned common, nd_passage_out *out) {
    nd_align_out ao;
    align_corpus(c, 2, min_passage, 8, &ao);
    nd_passage_in in = {.ps = ao.ps, .n = ao.n, .common_docs = common};
    cr_assert_eq(nd_stage_passage(&in, out), ND_OK);
    free(ao.ps);
}

/* CJK text of n characters from a large alphabet (no chance repeats). */
static char *cjk(size_t n) {
    uint32_t *cp = malloc(n * sizeof *cp);
    random_cjk(cp, n, 5000);
    char *s = utf8_of(cp, n);
    free(cp);
    return s;
}

static char *cat3(const char *x, const char *y, const char *z) {
    size_t n = strlen(x) + strlen(y) + strlen(z) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%s%s%s", x, y, z);
    return s;
}

Test(passage, one_record_per_passage_with_all_its_places) {
    char *p = cjk(80), *f[6], *doc[6];
    for (int d = 0; d < 6; d++) f[d] = cjk(60);
    /* the passage in documents 0, 2, 3 and 5; 1 and 4 share nothing */
    for (int d = 0; d < 6; d++) {
        char *g = cjk(50);
        doc[d] = d == 1 || d == 4 ? cat3(f[d], g, "") : cat3(f[d], p, g);
        free(g);
    }
    for (unsigned common = 3; common <= 4; common++) {
        corpus c;
        memset(&c, 0, sizeof c);
        for (int d = 0; d < 6; d++) corpus_add(&c, d % 2 ? "odd" : "even", doc[d]);
        nd_passage_out o;
        records(&c, 30, common, &o);
        cr_assert_eq(o.nrec, 1, "%zu records", o.nrec);
        const nd_passage_record *r = &o.rec[0];
        cr_assert_eq(r->nloc, 4);
        cr_assert_eq(r->docs, 4);
        uint32_t want[4] = {0, 2, 3, 5};
        for (int i = 0; i < 4; i++) {
            cr_assert_eq(r->loc[i].doc, want[i]);
            cr_assert_eq(r->loc[i].off, 60 * 3, "the passage starts after 60 characters");
            cr_assert_eq(r->loc[i].len, 80 * 3);
            cr_assert_eq(r->loc[i].chars, 80);
        }
        cr_assert_eq(r->chars, 80);
        cr_assert_float_eq(r->similarity, 1.0, 1e-12);
        cr_assert_eq(r->common, common < 4, "common_docs %u", common);
        nd_passage_out_release(&o);
        nd_doctab_release(&c.docs);
    }
    for (int d = 0; d < 6; d++) {
        free(f[d]);
        free(doc[d]);
    }
    free(p);
}

/* A sentence of a paragraph that A and B share, copied alone into E, is its
 * own record {A, B, E}; it does not join the paragraph's record {A, B}. */
Test(passage, a_sentence_of_a_shared_paragraph_is_its_own_record) {
    char *s1 = cjk(40), *s2 = cjk(40), *s3 = cjk(40), *pa = cat3(s1, s2, s3);
    char *ga = cjk(30), *gb = cjk(30), *ge = cjk(30), *he = cjk(30);
    char *a = cat3(ga, pa, ""), *b = cat3(gb, pa, ""), *e = cat3(ge, s2, he);
    corpus c;
    memset(&c, 0, sizeof c);
    corpus_add(&c, "a", a);
    corpus_add(&c, "b", b);
    corpus_add(&c, "e", e);
    nd_passage_out o;
    records(&c, 30, 100, &o);
    cr_assert_eq(o.nrec, 2, "%zu records", o.nrec);
    /* largest first: the paragraph in A and B */
    cr_assert_eq(o.rec[0].nloc, 2);
    cr_assert_eq(o.rec[0].chars, 120);
    cr_assert_eq(o.rec[0].loc[0].doc, 0);
    cr_assert_eq(o.rec[0].loc[1].doc, 1);
    cr_assert_eq(o.rec[1].nloc, 3);
    cr_assert_eq(o.rec[1].chars, 40);
    for (uint32_t d = 0; d < 3; d++) {
        cr_assert_eq(o.rec[1].loc[d].doc, d);
        cr_assert_eq(o.rec[1].loc[d].len, 40 * 3);
    }
    cr_assert_eq(o.rec[1].loc[0].off, (30 + 40) * 3);
    cr_assert_eq(o.rec[1].loc[2].off, 30 * 3);
    nd_passage_out_release(&o);
    nd_doctab_release(&c.docs);
    char *all[] = {s1, s2, s3, pa, ga, gb, ge, he, a, b, e};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

/* Two places of one document are two locations of the record. */
Test(passage, a_repeat_inside_a_document_is_two_places) {
    char *p = cjk(50), *x = cjk(40), *y = cjk(40), *z = cjk(40), *u = cjk(40), *v = cjk(40);
    char *d0a = cat3(x, p, y), *d0 = cat3(d0a, p, z), *d1 = cat3(u, p, v);
    corpus c;
    memset(&c, 0, sizeof c);
    corpus_add(&c, "twice", d0);
    corpus_add(&c, "once", d1);
    nd_passage_out o;
    records(&c, 30, 100, &o);
    cr_assert_eq(o.nrec, 1, "%zu records", o.nrec);
    cr_assert_eq(o.rec[0].nloc, 3);
    cr_assert_eq(o.rec[0].docs, 2);
    cr_assert_eq(o.rec[0].loc[0].doc, 0);
    cr_assert_eq(o.rec[0].loc[0].off, 40 * 3);
    cr_assert_eq(o.rec[0].loc[1].doc, 0);
    cr_assert_eq(o.rec[0].loc[1].off, (40 + 50 + 40) * 3);
    cr_assert_eq(o.rec[0].loc[2].doc, 1);
    cr_assert_eq(o.rec[0].loc[2].off, 40 * 3);
    nd_passage_out_release(&o);
    nd_doctab_release(&c.docs);
    char *all[] = {p, x, y, z, u, v, d0a, d0, d1};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}
