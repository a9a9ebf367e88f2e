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
 * passage when its matched characters reach min_matched.  Fragments shorter
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
 * Coverage: the union, over the kept passages, of their fragments in each
 * text - "x% of A appears in B" - computed exactly in integers.
 */
#include "align.h"

#include <stdlib.h>
#include <string.h>

#include "nd_internal.h"
#include "text.h"

static int seed_cmp(const void *x, const void *y) {
    const nd_align_seed *p = x, *q = y;
    /* diagonal a - b, compared without overflow as a + q->b vs q->a + b */
    uint64_t l = p->a + q->b, r = q->a + p->b;
    if (l != r) return l < r ? -1 : 1;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return 0;
}

void nd_align_sort_seeds(nd_align_seed *s, size_t n) {
    if (n > 1) qsort(s, n, sizeof *s, seed_cmp);
}

static int frag_cmp(const void *x, const void *y) {
    const nd_align_frag *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    if (p->len != q->len) return p->len > q->len ? -1 : 1;
    return 0;
}

nd_status nd_align_extend(const uint32_t *A, size_t na, const uint32_t *B, size_t nb, int same,
                          unsigned k, const nd_align_seed *sd, size_t n, nd_align_frag **frags,
                          size_t *nfrags) {
    nd_status st = ND_OK;
    nd_align_frag *out = NULL;
    size_t cap = 0, nf = 0;
    uint64_t cur_a = UINT64_MAX, cur_b = 0; /* diagonal of the last match */
    size_t cur_end = 0;                     /* its end in A */
    *frags = NULL;
    *nfrags = 0;
    for (size_t p = 0; p < n; p++) {
        size_t a = (size_t)sd[p].a, b = (size_t)sd[p].b;
        int on_diag = cur_a != UINT64_MAX && a + cur_b == cur_a + b;
        if (on_diag && a < cur_end) continue; /* inside the last match */
        if (a + k > na || b + k > nb || (same && a + k > b)) continue;
        if (memcmp(A + a, B + b, (size_t)k * sizeof *A) != 0) continue; /* collision */
        size_t s = a, t = b, e = a + k, f = b + k;
        while (s > 0 && t > 0 && A[s - 1] == B[t - 1]) {
            s--;
            t--;
        }
        while (e < na && f < nb && A[e] == B[f] && (!same || e < t)) {
            e++;
            f++;
        }
        cur_a = a;
        cur_b = b;
        cur_end = e;
        ND_CHECK(ND_GROW(out, cap, nf + 1));
        out[nf++] = (nd_align_frag){s, t, e - s};
    }
    if (nf > 1) qsort(out, nf, sizeof *out, frag_cmp);
    *frags = out;
    *nfrags = nf;
    out = NULL;
out:
    free(out);
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
    return t->end[i - 1] < t->beg[i] || nd_is_cjk_token(t->cps[i - 1]) ||
           nd_is_cjk_token(t->cps[i]);
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

nd_status nd_align_chain(const nd_align_frag *fr, size_t nfr, unsigned max_gap,
                         unsigned min_matched, const nd_align_text *ta, const nd_align_text *tb,
                         nd_align_chain_info **out, size_t *nout, uint64_t *cover_a,
                         uint64_t *cover_b) {
    nd_status st = ND_OK;
    nd_align_frag *trim = NULL;
    nd_align_chain_info *ch = NULL, *kept = NULL;
    size_t *chain_of = NULL, *active = NULL, *iv = NULL;
    size_t nch = 0, chcap = 0, nact = 0, nkept = 0;
    const size_t G = max_gap;
    *out = NULL;
    *nout = 0;
    if (cover_a) *cover_a = 0;
    if (cover_b) *cover_b = 0;
    if (nfr == 0) return ND_OK;
    trim = nd_mallocn(nfr, sizeof *trim);
    chain_of = nd_mallocn(nfr, sizeof *chain_of);
    active = nd_mallocn(nfr, sizeof *active);
    if (!trim || !chain_of || !active) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nfr; i++) {
        nd_align_frag f = fr[i];
        size_t best = SIZE_MAX, ov = 0;
        for (size_t x = 0; x < nact;) { /* retire chains left behind */
            if (ch[active[x]].ae + G < f.a) active[x] = active[--nact];
            else x++;
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
    if (ta && tb) { /* whole words: each chain's fragments, in order */
        size_t *frag_of = NULL, *start = NULL;
        if (!(frag_of = nd_mallocn(nfr, sizeof *frag_of)) ||
            !(start = nd_calloc(nch + 1, sizeof *start))) {
            free(frag_of);
            st = ND_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < nfr; i++) start[chain_of[i] + 1]++;
        for (size_t c = 0; c < nch; c++) start[c + 1] += start[c];
        for (size_t i = 0; i < nfr; i++) frag_of[start[chain_of[i]]++] = i;
        for (size_t c = nch; c > 0; c--) start[c] = start[c - 1];
        start[0] = 0;
        for (size_t c = 0; c < nch; c++)
            if (ch[c].matched >= min_matched && /* snapping only removes */
                !snap_words(&ch[c], trim, frag_of + start[c], start[c + 1] - start[c], ta, tb))
                ch[c].matched = 0; /* nothing left: not kept */
        free(frag_of);
        free(start);
    }
    for (size_t i = 0; i < nch; i++) nkept += ch[i].matched >= min_matched;
    if (nkept) {
        if (!(kept = nd_mallocn(nkept, sizeof *kept))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0, j = 0; i < nch; i++)
            if (ch[i].matched >= min_matched) kept[j++] = ch[i];
    }
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
            if (ch[chain_of[i]].matched < min_matched) continue;
            size_t start = s == 0 ? trim[i].a : trim[i].b;
            iv[2 * n] = start;
            iv[2 * n + 1] = start + trim[i].len;
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
    return st;
}
