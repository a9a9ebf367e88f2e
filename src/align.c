/*
 * align.c - passages between two normalised character streams, from seeds.
 *
 * Extension.  Each seed (two places whose k-grams hashed alike) is checked
 * character by character (hash collisions are dropped) and extended left
 * and right to a maximal exact match.  Seeds are walked by diagonal (a - b)
 * and position, so a seed inside a match already found on its diagonal is
 * skipped in O(1), and each maximal match is found exactly once.  Within
 * one text (same), a match stops before its A side runs into its B side,
 * so a periodic run ("abababab") does not match itself.
 *
 * Chaining.  A lightly edited copy is a chain of exact fragments on nearby
 * diagonals separated by short gaps.  Fragments sorted by position in A are
 * chained when the next one starts at most max_gap characters after the
 * chain's end in both texts (overlaps of up to max_gap are trimmed off the
 * new fragment), joining the oldest chain it continues.  A chain is a
 * passage when its matched characters reach min_matched, so fragments
 * that together fall short end the call at once (most pairs of documents
 * of a corpus share one short chance fragment; nd_align_extend_into lets
 * the caller keep one buffer for all of them).  Fragments shorter
 * than the winnowing guarantee are found on a best-effort basis (when one of
 * their k-grams was selected); runs of at least the guarantee always are.
 *
 * Whole words.  The normalised text has no spaces (they are stripped), so a
 * word boundary is read from the map to the source: between characters i - 1
 * and i when bytes were dropped between them (a space, punctuation: end[i -
 * 1] < beg[i]), or when either is a Han, kana or hangul character (each its
 * own token).  A passage whose start is not a boundary in both texts loses
 * characters until it is (a matching run began inside a word: "d. Early
 * settlers" becomes "Early settlers"), and likewise at its end; the first
 * and last fragments are trimmed with it, so coverage and matched counts
 * stay those of what is reported.
 *
 * The exact check (with an nd_align_check).  Chaining tolerates edits, but
 * a passage is reported as a copy, so its two places must be copies by
 * the scan's own measure: the token-shingle Jaccard of their texts, which
 * the caller computes from the bytes (the verification's shinglers), at
 * least the threshold.  A chain below it is cut at its widest gap - the
 * edit most likely to separate two copies - and each side, snapped to
 * tokens, is checked the same way; one exact fragment needs no check, and
 * a piece below min_matched is dropped.  Each edit in English costs up to
 * five 5-word shingles, so a short passage with one changed word falls
 * below 0.8 and is reported as its unedited parts; the bench's planted
 * passages (bench/README "Passages", 2026-12-07) took precision from 0.96
 * / 0.87 (Chinese / English) to 0.998, with max_gap raised from 8 to 16
 * (recall 0.996 / 1.000).  Only chains of several fragments are read
 * again: 2.6 % of the instructions of a Chinese --passages scan.
 *
 * Coverage: the union, over the kept passages, of their fragments in each
 * text - "x% of A appears in B" - computed exactly in integers.
 */
#include "align.h"

#include <stdlib.h>
#include <string.h>

#include "introsort.h"
#include "nd_internal.h"
#include "text.h"

/* Seeds by diagonal a - b (compared without overflow as p.a + q.b against
 * q.a + p.b), then a; fragments by a, b, then longest first.  Both orders
 * are total (elements equal in them are equal), so the sorts (introsort.h)
 * need not be stable. */
#define ND_SEED_LESS(p, q)                                                                         \
    ((p).a + (q).b != (q).a + (p).b ? (p).a + (q).b < (q).a + (p).b : (p).a < (q).a)
#define ND_FRAG_LESS(p, q)                                                                         \
    ((p).a != (q).a ? (p).a < (q).a : (p).b != (q).b ? (p).b < (q).b : (p).len > (q).len)
ND_INTROSORT(seed_sort, nd_align_seed, ND_SEED_LESS)
ND_INTROSORT(frag_sort, nd_align_frag, ND_FRAG_LESS)

void nd_align_sort_seeds(nd_align_seed *s, size_t n) { seed_sort(s, n); }

/* The extension of nd_align_extend_into over code points of types TA and
 * TB (one copy per pair of widths: the loops compare values, so a text kept
 * in 1 or 2 bytes a character matches one in 4).  The k-gram check is a
 * memcmp when the widths agree. */
#define ND_EXTEND_FN(name, TA, TB)                                                                 \
    static nd_status name(const TA *A, size_t na, const TB *B, size_t nb, int same, unsigned k,    \
                          const nd_align_seed *sd, size_t n, nd_align_frag **buf, size_t *cap,     \
                          size_t *nfrags) {                                                        \
        nd_align_frag *out = *buf;                                                                 \
        size_t nf = 0;                                                                             \
        uint64_t cur_a = UINT64_MAX, cur_b = 0; /* diagonal of the last match */                   \
        size_t cur_end = 0;                     /* its end in A */                                 \
        for (size_t p = 0; p < n; p++) {                                                           \
            size_t a = (size_t)sd[p].a, b = (size_t)sd[p].b;                                       \
            int on_diag = cur_a != UINT64_MAX && a + cur_b == cur_a + b;                           \
            if (on_diag && a < cur_end) continue; /* inside the last match */                      \
            if (a + k > na || b + k > nb || (same && a + k > b)) continue;                         \
            if (sizeof(TA) == sizeof(TB)) {                                                        \
                if (memcmp(A + a, B + b, (size_t)k * sizeof *A) != 0) continue; /* collision */    \
            } else {                                                                               \
                unsigned i = 0;                                                                    \
                while (i < k && A[a + i] == B[b + i]) i++;                                         \
                if (i < k) continue;                                                               \
            }                                                                                      \
            size_t s = a, t = b, e = a + k, f = b + k;                                             \
            while (s > 0 && t > 0 && A[s - 1] == B[t - 1]) {                                       \
                s--;                                                                               \
                t--;                                                                               \
            }                                                                                      \
            while (e < na && f < nb && A[e] == B[f] && (!same || e < t)) {                         \
                e++;                                                                               \
                f++;                                                                               \
            }                                                                                      \
            cur_a = a;                                                                             \
            cur_b = b;                                                                             \
            cur_end = e;                                                                           \
            if (nf >= *cap) {                                                                      \
                ND_TRY(ND_GROW(*buf, *cap, nf + 1));                                               \
                out = *buf;                                                                        \
            }                                                                                      \
            out[nf++] = (nd_align_frag){s, t, e - s};                                              \
        }                                                                                          \
        *nfrags = nf;                                                                              \
        return ND_OK;                                                                              \
    }

ND_EXTEND_FN(extend_1_1, uint8_t, uint8_t)
ND_EXTEND_FN(extend_1_2, uint8_t, uint16_t)
ND_EXTEND_FN(extend_1_4, uint8_t, uint32_t)
ND_EXTEND_FN(extend_2_1, uint16_t, uint8_t)
ND_EXTEND_FN(extend_2_2, uint16_t, uint16_t)
ND_EXTEND_FN(extend_2_4, uint16_t, uint32_t)
ND_EXTEND_FN(extend_4_1, uint32_t, uint8_t)
ND_EXTEND_FN(extend_4_2, uint32_t, uint16_t)
ND_EXTEND_FN(extend_4_4, uint32_t, uint32_t)

/* The fragments (*buf)[0..n-1] by (a, b, length descending), as frag_sort
 * orders them.  Many fragments (a pair of documents that repeat the same
 * lines: bench/README round 12) are sorted by the radix sort on a << 32 |
 * b instead: between two texts each maximal match is found once, so no two
 * fragments start at the same (a, b) and that key alone gives frag_sort's
 * order - checked after the sort, and frag_sort used where two do (or
 * within one text, where a match cut short by its own copy can be found
 * twice, past 2^32 characters, or without room for the keys).  The keys
 * and their scratch live past the fragments in the caller's buffer (grown
 * once, reused from pair to pair: on the real text a fresh block per sort
 * was 780 MB of allocations), and the fragments are put in key order in
 * place, cycle by cycle. */
#define ND_FRAG_RADIX_MIN 256
static void sort_frags(nd_align_frag **buf, size_t *cap, size_t n, int same) {
    nd_align_frag *f = *buf;
    int radix = n >= ND_FRAG_RADIX_MIN && n <= UINT32_MAX && !same;
    for (size_t i = 0; i < n && radix; i++) radix = (f[i].a | f[i].b) <= UINT32_MAX;
    const size_t keys = (2 * n * sizeof(nd_key32) + sizeof *f - 1) / sizeof *f;
    if (!radix || ND_GROW(*buf, *cap, n + keys) != ND_OK) {
        frag_sort(*buf, n);
        return;
    }
    f = *buf;
    nd_key32 *kv = (nd_key32 *)(void *)(f + n), *tmp = kv + n;
    for (size_t i = 0; i < n; i++)
        kv[i] = (nd_key32){.key = (uint64_t)f[i].a << 32 | (uint64_t)f[i].b, .val = (uint32_t)i};
    nd_sort_key32(kv, tmp, n);
    for (size_t i = 0; i < n; i++) { /* f[j] = old f[kv[j].val]; val = j marks j done */
        if (kv[i].val == i) continue;
        nd_align_frag hold = f[i];
        size_t j = i;
        for (;;) {
            size_t from = kv[j].val;
            kv[j].val = (uint32_t)j;
            if (from == i) {
                f[j] = hold;
                break;
            }
            f[j] = f[from];
            j = from;
        }
    }
    for (size_t i = 1; i < n; i++)
        if (f[i].a == f[i - 1].a && f[i].b == f[i - 1].b) { /* a tie: the lengths decide */
            frag_sort(f, n);
            break;
        }
}

/* A text's width as an index 0, 1, 2 (1, 2, 4 bytes a code point). */
static unsigned width_index(unsigned width) { return width == 1 ? 0 : width == 2 ? 1 : 2; }

nd_status nd_align_extend_into(const nd_align_text *A, const nd_align_text *B, int same, unsigned k,
                               const nd_align_seed *sd, size_t n, nd_align_frag **buf, size_t *cap,
                               size_t *nfrags) {
    const void *a = A->cps, *b = B->cps;
    nd_status st = ND_OK;
    *nfrags = 0;
#define ND_EXTEND_CALL(fn, TA, TB)                                                                 \
    fn((const TA *)a, A->n, (const TB *)b, B->n, same, k, sd, n, buf, cap, nfrags)
    switch (width_index(A->width) * 3 + width_index(B->width)) {
    case 0: st = ND_EXTEND_CALL(extend_1_1, uint8_t, uint8_t); break;
    case 1: st = ND_EXTEND_CALL(extend_1_2, uint8_t, uint16_t); break;
    case 2: st = ND_EXTEND_CALL(extend_1_4, uint8_t, uint32_t); break;
    case 3: st = ND_EXTEND_CALL(extend_2_1, uint16_t, uint8_t); break;
    case 4: st = ND_EXTEND_CALL(extend_2_2, uint16_t, uint16_t); break;
    case 5: st = ND_EXTEND_CALL(extend_2_4, uint16_t, uint32_t); break;
    case 6: st = ND_EXTEND_CALL(extend_4_1, uint32_t, uint8_t); break;
    case 7: st = ND_EXTEND_CALL(extend_4_2, uint32_t, uint16_t); break;
    default: st = ND_EXTEND_CALL(extend_4_4, uint32_t, uint32_t); break;
    }
#undef ND_EXTEND_CALL
    if (st == ND_OK) sort_frags(buf, cap, *nfrags, same);
    return st;
}

nd_status nd_align_extend(const uint32_t *A, size_t na, const uint32_t *B, size_t nb, int same,
                          unsigned k, const nd_align_seed *sd, size_t n, nd_align_frag **frags,
                          size_t *nfrags) {
    nd_align_frag *buf = NULL;
    size_t cap = 0;
    const nd_align_text ta = {.cps = A, .width = 4, .n = na}, tb = {.cps = B, .width = 4, .n = nb};
    nd_status st = nd_align_extend_into(&ta, &tb, same, k, sd, n, &buf, &cap, nfrags);
    if (st != ND_OK || *nfrags == 0) {
        free(buf);
        buf = NULL;
        *nfrags = 0;
    }
    *frags = buf;
    return st;
}

static int range_cmp(const void *x, const void *y) {
    const size_t *p = x, *q = y;
    if (p[0] != q[0]) return p[0] < q[0] ? -1 : 1;
    return p[1] < q[1] ? -1 : p[1] > q[1];
}

/* Size of the union of intervals iv[2i..2i+1] (sorted in place). */
static uint64_t union_len(size_t *iv, size_t n) {
    uint64_t total = 0;
    size_t cur_s = 0, cur_e = 0;
    int open = 0;
    if (n) qsort(iv, n, 2 * sizeof *iv, range_cmp);
    for (size_t i = 0; i < n; i++) {
        size_t s = iv[2 * i], e = iv[2 * i + 1];
        if (open && s <= cur_e) {
            if (e > cur_e) cur_e = e;
            continue;
        }
        if (open) total += cur_e - cur_s;
        cur_s = s;
        cur_e = e;
        open = 1;
    }
    if (open) total += cur_e - cur_s;
    return total;
}

/* Is there a token boundary before character i of t? */
static int boundary_before(const nd_align_text *t, size_t i) {
    if (i == 0 || i >= t->n) return 1;
    /* bytes dropped between them: end[i - 1] < beg[i], that is (compact)
     * len[i - 1] < beg[i] - beg[i - 1] */
    const int gap =
        t->beg ? t->end[i - 1] < t->beg[i] : nd_pmap_len(&t->cm, i - 1) < nd_pmap_adv(&t->cm, i);
    return gap || nd_is_cjk_token(nd_align_cp(t, i - 1)) || nd_is_cjk_token(nd_align_cp(t, i));
}

/* Trims chain c (fragments first..last of trim[], in order) to token
 * boundaries in both texts: returns 0 when nothing is left. */
static int snap_words(nd_align_chain_info *c, nd_align_frag *trim, const size_t *frag_of,
                      size_t nfrag, const nd_align_text *ta, const nd_align_text *tb) {
    size_t head = 0, tail = 0, len = c->ae - c->a0;
    while (head < len && !(boundary_before(ta, c->a0 + head) && boundary_before(tb, c->b0 + head)))
        head++;
    while (tail < len - head &&
           !(boundary_before(ta, c->ae - tail) && boundary_before(tb, c->be - tail)))
        tail++;
    if (head + tail >= len) return 0;
    /* drop the characters from the fragments at the ends */
    for (size_t k = 0, cut = head; k < nfrag && cut; k++) {
        nd_align_frag *f = &trim[frag_of[k]];
        size_t skip = f->a < c->a0 + head ? ND_MIN(f->len, c->a0 + head - f->a) : 0;
        f->a += skip;
        f->b += skip;
        f->len -= skip;
        c->matched -= skip;
        cut = f->len == 0 ? cut : 0;
    }
    for (size_t k = nfrag; k-- > 0;) {
        nd_align_frag *f = &trim[frag_of[k]];
        size_t keep_end = c->ae - tail;
        if (f->a + f->len <= keep_end) break;
        size_t drop = ND_MIN(f->len, f->a + f->len - ND_MAX(keep_end, f->a));
        f->len -= drop;
        c->matched -= drop;
    }
    c->a0 += head;
    c->b0 += head;
    c->ae -= tail;
    c->be -= tail;
    return 1;
}

/* The chain of the fragments frag_of[0..n-1] (in order; empty ones skipped). */
static nd_align_chain_info chain_of_frags(const nd_align_frag *trim, const size_t *frag_of,
                                          size_t n) {
    nd_align_chain_info c = {0, 0, 0, 0, 0, 0};
    int first = 1;
    for (size_t k = 0; k < n; k++) {
        const nd_align_frag *f = &trim[frag_of[k]];
        if (f->len == 0) continue;
        if (first) {
            c.a0 = f->a;
            c.b0 = f->b;
            first = 0;
        }
        c.ae = f->a + f->len;
        c.be = f->b + f->len;
        c.matched += f->len;
        c.nfrag++;
    }
    return c;
}

/* The exact check of one chain (its fragments frag_of[0..n-1], snapped):
 * kept whole when its sides' token-shingle Jaccard reaches the threshold
 * or it is one exact fragment, else cut at its widest gap (the larger of
 * the two texts' gaps; the first of equal ones) and each side checked the
 * same way, left before right, after snapping its new ends to tokens.
 * Pieces below min_matched are dropped.  Kept pieces are appended to
 * *kept and their fragments marked in keep[]. */
static nd_status check_chain(nd_align_frag *trim, size_t *frag_of, size_t n, unsigned min_matched,
                             const nd_align_text *ta, const nd_align_text *tb,
                             const nd_align_check *chk, size_t *stack, nd_align_chain_info **kept,
                             size_t *nkept, size_t *kcap, unsigned char *keep) {
    size_t top = 0;
    stack[top++] = 0;
    stack[top++] = n;
    while (top) {
        const size_t hi = stack[--top], lo = stack[--top];
        nd_align_chain_info c = chain_of_frags(trim, frag_of + lo, hi - lo);
        if (c.matched < min_matched || !snap_words(&c, trim, frag_of + lo, hi - lo, ta, tb) ||
            c.matched < min_matched)
            continue;
        double j = 1.0;
        if (c.nfrag > 1) {
            const size_t a0 = nd_align_beg(ta, c.a0), b0 = nd_align_beg(tb, c.b0);
            ND_TRY(chk->jaccard(chk->ctx, a0, nd_align_end(ta, c.ae - 1) - a0, b0,
                                nd_align_end(tb, c.be - 1) - b0, &j));
        }
        if (j >= chk->threshold || c.nfrag == 1) {
            ND_TRY(ND_GROW(*kept, *kcap, *nkept + 1));
            (*kept)[(*nkept)++] = c;
            for (size_t k = lo; k < hi; k++) keep[frag_of[k]] = 1;
            continue;
        }
        size_t cut = lo, widest = 0, prev = SIZE_MAX; /* cut after fragment cut */
        int found = 0;
        for (size_t k = lo; k < hi; k++) {
            const nd_align_frag *f = &trim[frag_of[k]];
            if (f->len == 0) continue;
            if (prev != SIZE_MAX) {
                const nd_align_frag *e = &trim[frag_of[prev]];
                size_t ga = f->a > e->a + e->len ? f->a - (e->a + e->len) : 0;
                size_t gb = f->b > e->b + e->len ? f->b - (e->b + e->len) : 0;
                if (!found || ND_MAX(ga, gb) > widest) {
                    widest = ND_MAX(ga, gb);
                    cut = prev;
                    found = 1;
                }
            }
            prev = k;
        }
        stack[top++] = cut + 1; /* right, checked after the left */
        stack[top++] = hi;
        stack[top++] = lo;
        stack[top++] = cut + 1;
    }
    return ND_OK;
}

static int chain_cmp(const void *x, const void *y) {
    const nd_align_chain_info *p = x, *q = y;
    if (p->a0 != q->a0) return p->a0 < q->a0 ? -1 : 1;
    if (p->b0 != q->b0) return p->b0 < q->b0 ? -1 : 1;
    if (p->ae != q->ae) return p->ae < q->ae ? -1 : 1;
    return p->be < q->be ? -1 : p->be > q->be;
}

nd_status nd_align_chain(const nd_align_frag *fr, size_t nfr, unsigned max_gap,
                         unsigned min_matched, const nd_align_text *ta, const nd_align_text *tb,
                         const nd_align_check *chk, nd_align_chain_info **out, size_t *nout,
                         uint64_t *cover_a, uint64_t *cover_b) {
    nd_status st = ND_OK;
    nd_align_frag *trim = NULL;
    nd_align_chain_info *ch = NULL, *kept = NULL;
    size_t *chain_of = NULL, *active = NULL, *iv = NULL, *frag_of = NULL, *start = NULL;
    size_t *stack = NULL;
    unsigned char *keep = NULL;
    size_t nch = 0, chcap = 0, nact = 0, nkept = 0, kcap = 0;
    const size_t G = max_gap;
    *out = NULL;
    *nout = 0;
    if (cover_a) *cover_a = 0;
    if (cover_b) *cover_b = 0;
    if (nfr == 0) return ND_OK;
    if (chk && !(ta && tb)) return ND_ERR_INVALID;
    { /* a chain's matched characters are at most all of them: most pairs of
       * a corpus share one short fragment by chance and end here */
        uint64_t all = 0;
        for (size_t i = 0; i < nfr; i++) all += fr[i].len;
        if (all < min_matched) return ND_OK;
    }
    trim = nd_mallocn(nfr, sizeof *trim);
    chain_of = nd_mallocn(nfr, sizeof *chain_of);
    active = nd_mallocn(nfr, sizeof *active);
    frag_of = nd_mallocn(nfr, sizeof *frag_of);
    keep = nd_calloc(nfr, 1);
    if (!trim || !chain_of || !active || !frag_of || !keep ||
        (chk && !(stack = nd_mallocn(nfr + 1, 4 * sizeof *stack)))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nfr; i++) {
        nd_align_frag f = fr[i];
        size_t best = SIZE_MAX, ov = 0;
        for (size_t x = 0; x < nact;) { /* retire chains left behind */
            if (ch[active[x]].ae + G < f.a)
                active[x] = active[--nact];
            else
                x++;
        }
        /* the oldest chain that f continues (active is in no fixed order) */
        for (size_t x = 0; x < nact; x++) {
            const nd_align_chain_info *cc = &ch[active[x]];
            if (active[x] >= best) continue;
            if (f.a + G < cc->ae || f.b + G < cc->be) continue; /* overlap > G */
            if (f.a > cc->ae + G || f.b > cc->be + G) continue; /* gap > G */
            if (f.b < cc->b0) continue;
            size_t o = 0;
            if (cc->ae > f.a) o = cc->ae - f.a;
            if (cc->be > f.b && cc->be - f.b > o) o = cc->be - f.b;
            if (o >= f.len) continue;
            best = active[x];
            ov = o;
        }
        f.a += ov;
        f.b += ov;
        f.len -= ov;
        trim[i] = f;
        if (best == SIZE_MAX) {
            ND_CHECK(ND_GROW(ch, chcap, nch + 1));
            ch[nch] = (nd_align_chain_info){f.a, f.b, f.a + f.len, f.b + f.len, f.len, 1};
            best = nch++;
            active[nact++] = best;
        } else {
            nd_align_chain_info *cc = &ch[best];
            cc->ae = f.a + f.len;
            cc->be = f.b + f.len;
            cc->matched += f.len;
            cc->nfrag++;
        }
        chain_of[i] = best;
    }
    /* each chain's fragments, in order: frag_of[start[c] .. start[c + 1]) */
    if (!(start = nd_calloc(nch + 1, sizeof *start))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nfr; i++) start[chain_of[i] + 1]++;
    for (size_t c = 0; c < nch; c++) start[c + 1] += start[c];
    for (size_t i = 0; i < nfr; i++) frag_of[start[chain_of[i]]++] = i;
    for (size_t c = nch; c > 0; c--) start[c] = start[c - 1];
    start[0] = 0;
    for (size_t c = 0; c < nch; c++) {
        const size_t *fo = frag_of + start[c], nf = start[c + 1] - start[c];
        if (ch[c].matched < min_matched) continue;
        if (chk) { /* snapped there, piece by piece */
            ND_CHECK(check_chain(trim, frag_of + start[c], nf, min_matched, ta, tb, chk, stack,
                                 &kept, &nkept, &kcap, keep));
            continue;
        }
        /* whole words: snapping only removes */
        if (ta && tb && (!snap_words(&ch[c], trim, fo, nf, ta, tb) || ch[c].matched < min_matched))
            continue;
        ND_CHECK(ND_GROW(kept, kcap, nkept + 1));
        kept[nkept++] = ch[c];
        for (size_t k = 0; k < nf; k++) keep[fo[k]] = 1;
    }
    if (nkept > 1) qsort(kept, nkept, sizeof *kept, chain_cmp);
    /* coverage: union of the kept chains' fragments, per text */
    if (!(iv = nd_mallocn(nfr, 2 * sizeof *iv))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (int s = 0; s < 2; s++) {
        uint64_t *cover = s == 0 ? cover_a : cover_b;
        size_t n = 0;
        if (!cover) continue;
        for (size_t i = 0; i < nfr; i++) {
            if (!keep[i] || trim[i].len == 0) continue;
            size_t at = s == 0 ? trim[i].a : trim[i].b;
            iv[2 * n] = at;
            iv[2 * n + 1] = at + trim[i].len;
            n++;
        }
        *cover = union_len(iv, n);
    }
    *out = kept;
    *nout = nkept;
    kept = NULL;
out:
    free(trim);
    free(ch);
    free(kept);
    free(chain_of);
    free(active);
    free(iv);
    free(frag_of);
    free(start);
    free(stack);
    free(keep);
    return st;
}
