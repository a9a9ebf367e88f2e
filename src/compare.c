/*
 * compare.c - shared passages of two documents (`neardup compare A B`).
 *
 * The scan answers "which paragraphs are near-duplicates"; compare answers
 * "what exactly was copied from A into B", also when a copied sentence sits
 * inside a paragraph that is otherwise different.  It works on the
 * normalised text (nd_norm_chars_mapped: the same normalisation as the scan,
 * with a map from every normalised character back to its source bytes), so a
 * passage copied from Traditional into Simplified script, or re-punctuated,
 * is still found, and is reported at its lines in the original files.
 *
 * Fingerprints: winnowing (winnow.c, with nd_winnow_params' k and w for
 * t = min_passage), so every shared run of min_passage characters is found.
 * Hash values that occur more than ND_CMP_MAX_OCC times in a document
 * (boilerplate such as a repeated separator) are ignored, which bounds the
 * work at O(n log n) for any input.
 *
 * Extension: each pair of equal fingerprints is checked character by
 * character (hash collisions are discarded) and extended left and right to a
 * maximal exact match.  Pairs are processed by diagonal (pos_a - pos_b) and
 * position, so a pair inside a match already found is skipped in O(1), and
 * each maximal match is found exactly once.
 *
 * Merging: a lightly edited copy is a chain of exact fragments on nearby
 * diagonals separated by short gaps.  Fragments sorted by position in A are
 * chained when the next one starts at most max_gap characters after the
 * chain's end in both documents (overlaps of up to max_gap are trimmed off
 * the new fragment).  A chain is reported as a passage when its matched
 * characters reach min_passage.  Fragments shorter than min_passage are
 * found on a best-effort basis (when one of their k-grams was selected);
 * runs of min_passage characters always are.
 *
 * Coverage: "x% of A appears in B" is the union, over all passages, of the
 * matched fragments' characters in A, divided by A's normalised characters;
 * the same for B.  Computed exactly in integers; the output rounds.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "decode.h"
#include "input.h"
#include "nd_internal.h"
#include "text.h"
#include "write.h"
#include "winnow.h"
#include "write_html.h"

#define ND_CMP_MAX_OCC 64u

typedef struct cmp_frag {
    size_t a, b, len;
} cmp_frag;

typedef struct cmp_doc {
    nd_doctab tab;          /* owns the bytes (exactly one document) */
    const uint8_t *data;
    size_t size;
    uint32_t *cps;          /* normalised characters */
    size_t *beg, *end;      /* their source byte spans */
    size_t nch;
    size_t *lines;          /* byte offset of the start of every line */
    size_t nlines;
    uint64_t covered;
} cmp_doc;

struct nd_compare {
    nd_compare_options opt;
    cmp_doc d[2];
    nd_passage_info *ps;
    size_t nps;
    atomic_int err_errno; /* the last ND_ERR_IO of nd_compare_write: what
                             the write function returned (any thread) */
};

void nd_compare_options_default(nd_compare_options *co) {
    if (!co) return;
    co->min_passage = 30;
    co->max_gap = 8;
    co->norm_flags = ND_NORM_ALL;
    co->max_file_size = UINT64_C(1) << 30;
    memset(co->encoding, 0, sizeof co->encoding);
    memcpy(co->encoding, "auto", 5);
}

nd_status nd_compare_options_check(const nd_compare_options *co, char *msg,
                                   size_t msg_size) {
    const char *why = NULL;
    if (!co) why = "no options";
    else if (co->min_passage < 1 || co->min_passage > 100000)
        why = "min_passage must be between 1 and 100000";
    else if (co->max_gap > 100000)
        why = "max_gap must be between 0 and 100000";
    else if (co->norm_flags & ~(unsigned)ND_NORM_ALL)
        why = "unknown normalisation flags";
    else if (co->max_file_size == 0)
        why = "max_file_size must be at least 1";
    else if (!memchr(co->encoding, '\0', sizeof co->encoding) ||
             !nd_decode_name_ok(co->encoding))
        why = "encoding is not \"auto\" nor a name iconv can decode";
    if (!why) return ND_OK;
    if (msg && msg_size) {
        size_t n = strlen(why);
        if (n >= msg_size) n = msg_size - 1;
        memcpy(msg, why, n);
        msg[n] = '\0';
    }
    return ND_ERR_INVALID;
}

static void doc_release(cmp_doc *d) {
    nd_doctab_release(&d->tab);
    free(d->cps);
    free(d->beg);
    free(d->end);
    free(d->lines);
    memset(d, 0, sizeof *d);
}

void nd_compare_free(nd_compare *c) {
    if (!c) return;
    doc_release(&c->d[0]);
    doc_release(&c->d[1]);
    free(c->ps);
    free(c);
}

/* Line starts: lines end at LF, CRLF or a lone CR (as split.c counts). */
static nd_status index_lines(cmp_doc *d) {
    size_t cap = 0;
    ND_TRY(ND_GROW(d->lines, cap, 1));
    d->lines[0] = 0;
    d->nlines = 1;
    for (size_t i = 0; i < d->size; i++) {
        uint8_t c = d->data[i];
        if (c != '\n' && c != '\r') continue;
        if (c == '\r' && i + 1 < d->size && d->data[i + 1] == '\n') i++;
        if (i + 1 >= d->size) break; /* a final terminator starts no line */
        ND_TRY(ND_GROW(d->lines, cap, d->nlines + 1));
        d->lines[d->nlines++] = i + 1;
    }
    return ND_OK;
}

/* 1-based line of byte offset off. */
static uint32_t line_of(const cmp_doc *d, size_t off) {
    size_t lo = 0, hi = d->nlines; /* lines[lo] <= off < lines[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->lines[mid] <= off) lo = mid;
        else hi = mid;
    }
    return (uint32_t)(lo + 1);
}

/* Winnowing fingerprints of d (winnow.c): (hash, position) pairs into *fp
 * (malloc'ed), sorted by (hash, position). */
static nd_status winnow(const cmp_doc *d, unsigned k, unsigned w, nd_key32 **fp,
                        size_t *nfp) {
    nd_status st = ND_OK;
    uint64_t *hash = NULL, *scratch = NULL;
    uint32_t *pos = NULL;
    size_t cap = 0, n = 0, scap = 0;
    nd_key32 *out = NULL, *tmp = NULL;

    *fp = NULL;
    *nfp = 0;
    ND_CHECK(nd_winnow(d->cps, d->nch, k, w, &hash, &pos, &cap, &n, &scratch, &scap));
    if (n) {
        out = nd_mallocn(n, sizeof *out);
        tmp = nd_mallocn(n, sizeof *tmp);
        if (!out || !tmp) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++) out[i] = (nd_key32){.key = hash[i], .val = pos[i]};
        nd_sort_key32(out, tmp, n);
    }
    *fp = out;
    *nfp = n;
    out = NULL;
out:
    free(hash);
    free(pos);
    free(scratch);
    free(out);
    free(tmp);
    return st;
}

/* Candidate pair: diagonal-major order. */
typedef struct cmp_pair {
    uint64_t diag; /* pos_a - pos_b + nch_b, never negative */
    uint64_t a;
} cmp_pair;

static int pair_cmp(const void *x, const void *y) {
    const cmp_pair *p = x, *q = y;
    if (p->diag != q->diag) return p->diag < q->diag ? -1 : 1;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    return 0;
}

static int frag_cmp(const void *x, const void *y) {
    const cmp_frag *p = x, *q = y;
    if (p->a != q->a) return p->a < q->a ? -1 : 1;
    if (p->b != q->b) return p->b < q->b ? -1 : 1;
    if (p->len != q->len) return p->len > q->len ? -1 : 1;
    return 0;
}

/* Exact maximal matches (length >= k) reachable from equal fingerprints. */
static nd_status find_fragments(const cmp_doc *A, const cmp_doc *B, unsigned k,
                                unsigned w, cmp_frag **frags, size_t *nfrags) {
    nd_status st = ND_OK;
    nd_key32 *fa = NULL, *fb = NULL;
    size_t na = 0, nb = 0, npairs = 0, pcap = 0, fcap = 0, nf = 0;
    cmp_pair *pairs = NULL;
    cmp_frag *out = NULL;

    *frags = NULL;
    *nfrags = 0;
    ND_CHECK(winnow(A, k, w, &fa, &na));
    ND_CHECK(winnow(B, k, w, &fb, &nb));
    for (size_t i = 0, j = 0; i < na && j < nb;) {
        if (fa[i].key < fb[j].key) {
            i++;
            continue;
        }
        if (fb[j].key < fa[i].key) {
            j++;
            continue;
        }
        size_t ie = i, je = j;
        while (ie < na && fa[ie].key == fa[i].key) ie++;
        while (je < nb && fb[je].key == fb[j].key) je++;
        if (ie - i <= ND_CMP_MAX_OCC && je - j <= ND_CMP_MAX_OCC) {
            for (size_t x = i; x < ie; x++) {
                for (size_t y = j; y < je; y++) {
                    ND_CHECK(ND_GROW(pairs, pcap, npairs + 1));
                    pairs[npairs].diag = (uint64_t)fa[x].val + B->nch - fb[y].val;
                    pairs[npairs].a = fa[x].val;
                    npairs++;
                }
            }
        }
        i = ie;
        j = je;
    }
    if (npairs) qsort(pairs, npairs, sizeof *pairs, pair_cmp);
    {
        uint64_t cur_diag = UINT64_MAX;
        size_t cur_end = 0; /* end in A of the last match on cur_diag */
        for (size_t p = 0; p < npairs; p++) {
            size_t a = (size_t)pairs[p].a;
            size_t b = (size_t)(pairs[p].a + B->nch - pairs[p].diag);
            if (pairs[p].diag == cur_diag && a < cur_end) continue;
            if (memcmp(A->cps + a, B->cps + b, (size_t)k * sizeof *A->cps) != 0)
                continue; /* hash collision */
            size_t s = a, t = b, e = a + k, f = b + k;
            while (s > 0 && t > 0 && A->cps[s - 1] == B->cps[t - 1]) {
                s--;
                t--;
            }
            while (e < A->nch && f < B->nch && A->cps[e] == B->cps[f]) {
                e++;
                f++;
            }
            cur_diag = pairs[p].diag;
            cur_end = e;
            ND_CHECK(ND_GROW(out, fcap, nf + 1));
            out[nf].a = s;
            out[nf].b = t;
            out[nf].len = e - s;
            nf++;
        }
    }
    if (nf) qsort(out, nf, sizeof *out, frag_cmp);
    *frags = out;
    *nfrags = nf;
    out = NULL;
out:
    free(fa);
    free(fb);
    free(pairs);
    free(out);
    return st;
}

typedef struct cmp_chain {
    size_t a0, b0, ae, be; /* span in A and B */
    uint64_t matched;
    uint32_t nfrag;
    size_t first;          /* first trimmed fragment in the chain list */
} cmp_chain;

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

static int passage_cmp(const void *x, const void *y) {
    const nd_passage_info *p = x, *q = y;
    for (int s = 0; s < 2; s++) {
        if (p->side[s].start_char != q->side[s].start_char)
            return p->side[s].start_char < q->side[s].start_char ? -1 : 1;
    }
    if (p->side[0].chars != q->side[0].chars)
        return p->side[0].chars > q->side[0].chars ? -1 : 1;
    return 0;
}

static void fill_side(const cmp_doc *d, size_t c0, size_t c1, nd_passage_side *s) {
    size_t off = d->beg[c0], end = d->end[c1 - 1];
    const nd_doc *doc = &d->tab.docs[0];
    s->text_offset = off;
    s->text_length = end - off;
    s->offset = nd_doc_orig_off(doc, off); /* of the original bytes */
    s->length = nd_doc_orig_off(doc, end) - s->offset;
    s->line = line_of(d, off);
    s->end_line = line_of(d, end > off ? end - 1 : off);
    s->start_char = c0;
    s->chars = c1 - c0;
}

static nd_status run_compare(nd_compare *c) {
    nd_status st = ND_OK;
    cmp_frag *fr = NULL, *trim = NULL;
    cmp_chain *ch = NULL;
    size_t *chain_of = NULL, *active = NULL, *iv = NULL;
    size_t nfr = 0, nch = 0, chcap = 0, nact = 0;
    const unsigned t = c->opt.min_passage, G = c->opt.max_gap;
    unsigned k, w;
    nd_winnow_params(t, &k, &w);
    nd_norm nm;

    nd_norm_init(&nm, c->opt.norm_flags);
    for (int i = 0; i < 2; i++) {
        cmp_doc *d = &c->d[i];
        ND_CHECK(nd_norm_chars_mapped(&nm, d->data, d->size, &d->cps, &d->beg,
                                      &d->end, &d->nch));
        ND_CHECK(index_lines(d));
    }
    ND_CHECK(find_fragments(&c->d[0], &c->d[1], k, w, &fr, &nfr));
    if (nfr == 0) goto out;
    trim = nd_mallocn(nfr, sizeof *trim);
    chain_of = nd_mallocn(nfr, sizeof *chain_of);
    active = nd_mallocn(nfr, sizeof *active);
    if (!trim || !chain_of || !active) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    /* Chain fragments in A order (see the essay above). */
    for (size_t i = 0; i < nfr; i++) {
        cmp_frag f = fr[i];
        size_t best = SIZE_MAX, ov = 0;
        for (size_t x = 0; x < nact;) { /* retire chains left behind */
            if (ch[active[x]].ae + G < f.a) active[x] = active[--nact];
            else x++;
        }
        /* the oldest chain that f continues (active is in no fixed order) */
        for (size_t x = 0; x < nact; x++) {
            const cmp_chain *cc = &ch[active[x]];
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
            ch[nch].a0 = f.a;
            ch[nch].b0 = f.b;
            ch[nch].ae = f.a + f.len;
            ch[nch].be = f.b + f.len;
            ch[nch].matched = f.len;
            ch[nch].nfrag = 1;
            ch[nch].first = i;
            best = nch++;
            active[nact++] = best;
        } else {
            cmp_chain *cc = &ch[best];
            cc->ae = f.a + f.len;
            cc->be = f.b + f.len;
            cc->matched += f.len;
            cc->nfrag++;
        }
        chain_of[i] = best;
    }
    /* Passages: chains with enough matched characters. */
    {
        size_t n = 0;
        for (size_t i = 0; i < nch; i++)
            if (ch[i].matched >= t) n++;
        if (n == 0) goto out;
        c->ps = nd_calloc(n, sizeof *c->ps);
        if (!c->ps) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < nch; i++) {
            if (ch[i].matched < t) continue;
            nd_passage_info *p = &c->ps[c->nps++];
            fill_side(&c->d[0], ch[i].a0, ch[i].ae, &p->side[0]);
            fill_side(&c->d[1], ch[i].b0, ch[i].be, &p->side[1]);
            p->matched_chars = ch[i].matched;
            p->fragments = ch[i].nfrag;
        }
        qsort(c->ps, c->nps, sizeof *c->ps, passage_cmp);
    }
    /* Coverage: union of the kept chains' fragments, per document. */
    iv = nd_mallocn(nfr, 2 * sizeof *iv);
    if (!iv) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (int s = 0; s < 2; s++) {
        size_t n = 0;
        for (size_t i = 0; i < nfr; i++) {
            if (ch[chain_of[i]].matched < t) continue;
            size_t start = s == 0 ? trim[i].a : trim[i].b;
            iv[2 * n] = start;
            iv[2 * n + 1] = start + trim[i].len;
            n++;
        }
        c->d[s].covered = union_len(iv, n);
    }
out:
    nd_norm_release(&nm);
    free(fr);
    free(trim);
    free(ch);
    free(chain_of);
    free(active);
    free(iv);
    return st;
}

static nd_status compare_new(const nd_compare_options *co, nd_compare **out) {
    nd_compare *c;
    if (!out) return ND_ERR_INVALID;
    c = nd_calloc(1, sizeof *c);
    if (!c) return ND_ERR_NOMEM;
    if (co) c->opt = *co;
    else nd_compare_options_default(&c->opt);
    if (nd_compare_options_check(&c->opt, NULL, 0) != ND_OK) {
        free(c);
        return ND_ERR_INVALID;
    }
    *out = c;
    return ND_OK;
}

static void attach(cmp_doc *d) {
    d->data = d->tab.docs[0].data;
    d->size = d->tab.docs[0].size;
}

nd_status nd_compare_buffers(const char *name_a, const void *a, size_t alen,
                             const char *name_b, const void *b, size_t blen,
                             const nd_compare_options *co, nd_compare **out) {
    nd_status st;
    nd_compare *c = NULL;
    if (!name_a || !name_b || (!a && alen) || (!b && blen) || !out)
        return ND_ERR_INVALID;
    ND_CHECK(compare_new(co, &c));
    ND_CHECK(nd_input_add_buffer(&c->d[0].tab, name_a, a, alen));
    ND_CHECK(nd_input_add_buffer(&c->d[1].tab, name_b, b, blen));
    attach(&c->d[0]);
    attach(&c->d[1]);
    ND_CHECK(run_compare(c));
    *out = c;
    c = NULL;
out:
    nd_compare_free(c);
    return st;
}

/* Forwards the reader's reports and remembers the first status. */
typedef struct cmp_diag {
    nd_diag_fn fn;
    void *user;
    nd_status first;
} cmp_diag;

static void on_diag(void *user, const nd_diag *d) {
    cmp_diag *cd = user;
    /* a guessed encoding is a notice: the file is read */
    if (cd->first == ND_OK && d->status != ND_OK && d->status != ND_ERR_ENCODING)
        cd->first = d->status;
    if (cd->fn) cd->fn(cd->user, d);
}

static nd_status load_path(cmp_doc *d, const char *path, const nd_compare_options *co,
                           nd_diag_fn fn, void *user) {
    cmp_diag cd = {fn, user, ND_OK};
    /* decoded as the scanner decodes; offsets are mapped back (fill_side) */
    nd_input_cfg cfg = {.max_file_size = co->max_file_size, .encoding = co->encoding,
                        .diag = on_diag, .user = &cd};
    struct stat sb;
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        nd_diag dg = {path, ND_ERR_NOT_REGULAR, 0, "a directory; compare takes two files"};
        if (fn) fn(user, &dg);
        return ND_ERR_NOT_REGULAR;
    }
    ND_TRY(nd_input_add_path(&d->tab, &cfg, path));
    if (d->tab.n != 1) return cd.first != ND_OK ? cd.first : ND_ERR_IO;
    /* compare works on the whole text: read into the heap, checked to be the
     * file loaded (nothing is mapped, so a change cannot fault) */
    nd_status st = nd_doctab_own(&d->tab, 0);
    if (st == ND_ERR_CHANGED) {
        nd_diag dg = {.path = d->tab.docs[0].path, .status = ND_ERR_CHANGED};
        if (fn) fn(user, &dg);
    }
    ND_TRY(st);
    attach(d);
    return ND_OK;
}

nd_status nd_compare_paths(const char *path_a, const char *path_b,
                           const nd_compare_options *co, nd_diag_fn diag,
                           void *user, nd_compare **out) {
    nd_status st, st_b;
    nd_compare *c = NULL;
    if (!path_a || !path_b || !out) return ND_ERR_INVALID;
    ND_CHECK(compare_new(co, &c));
    /* both paths are tried, so every problem is reported at once */
    st = load_path(&c->d[0], path_a, &c->opt, diag, user);
    st_b = load_path(&c->d[1], path_b, &c->opt, diag, user);
    if (st == ND_OK) st = st_b;
    if (st != ND_OK) goto out;
    ND_CHECK(run_compare(c));
    *out = c;
    c = NULL;
out:
    nd_compare_free(c);
    return st;
}

nd_status nd_compare_document(const nd_compare *c, unsigned which,
                              nd_compare_doc_info *out) {
    if (!c || !out || which > 1) return ND_ERR_INVALID;
    const cmp_doc *d = &c->d[which];
    out->path = d->tab.docs[0].path;
    out->bytes = nd_doc_orig_size(&d->tab.docs[0]);
    out->encoding = nd_doc_encoding(&d->tab.docs[0]);
    out->chars = d->nch;
    out->covered_chars = d->covered;
    out->lines = d->size ? (uint32_t)d->nlines : 0;
    out->gzip = d->tab.docs[0].gzip;
    return ND_OK;
}

nd_status nd_compare_document_text(const nd_compare *c, unsigned which,
                                   const char **text, size_t *len) {
    if (!c || !text || !len || which > 1) return ND_ERR_INVALID;
    *text = c->d[which].data ? (const char *)c->d[which].data : "";
    *len = c->d[which].size;
    return ND_OK;
}

size_t nd_compare_passage_count(const nd_compare *c) { return c ? c->nps : 0; }

nd_status nd_compare_passage(const nd_compare *c, size_t i, nd_passage_info *out) {
    if (!c || !out || i >= c->nps) return ND_ERR_INVALID;
    *out = c->ps[i];
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Writers: text and jsonl (html is in write_html.c)                         */
/* ------------------------------------------------------------------------ */

static nd_status put_share(nd_sink *s, uint64_t num, uint64_t den) {
    return nd_sink_fixed(s, nd_ratio_units(num, den, 4), 4);
}

static nd_status put_percent(nd_sink *s, uint64_t num, uint64_t den) {
    ND_TRY(nd_sink_fixed(s, nd_ratio_units(num, den, 3), 1));
    return nd_sink_putc(s, '%');
}

static nd_status put_lines(nd_sink *s, const nd_passage_side *ps) {
    ND_TRY(nd_sink_u64(s, ps->line));
    if (ps->end_line != ps->line) {
        ND_TRY(nd_sink_putc(s, '-'));
        ND_TRY(nd_sink_u64(s, ps->end_line));
    }
    return ND_OK;
}

static nd_status write_text(const nd_compare *c, const nd_write_options *wo,
                            nd_sink *s) {
    nd_compare_doc_info di[2];
    const char *label[2] = {"A", "B"};
    size_t locw = 0;
    char num[64];
    for (unsigned i = 0; i < 2; i++) ND_TRY(nd_compare_document(c, i, &di[i]));
    /* width of the "path:lines" column, for alignment */
    for (size_t p = 0; p < c->nps; p++) {
        for (int i = 0; i < 2; i++) {
            const nd_passage_side *ps = &c->ps[p].side[i];
            int n = ps->end_line != ps->line
                        ? snprintf(num, sizeof num, ":%u-%u", (unsigned)ps->line,
                                   (unsigned)ps->end_line)
                        : snprintf(num, sizeof num, ":%u", (unsigned)ps->line);
            size_t wdt = nd_wr_text_width(di[i].path, strlen(di[i].path)) + (size_t)n;
            if (wdt > locw) locw = wdt;
        }
    }
    for (int i = 0; i < 2; i++) {
        ND_TRY(nd_sink_puts(s, label[i]));
        ND_TRY(nd_sink_puts(s, "  "));
        ND_TRY(nd_sink_text(s, di[i].path, strlen(di[i].path)));
        ND_TRY(nd_sink_puts(s, "  ("));
        ND_TRY(nd_sink_u64(s, di[i].chars));
        ND_TRY(nd_sink_puts(s, " characters"));
        if (strcmp(di[i].encoding, "utf-8") != 0) { /* decoded */
            ND_TRY(nd_sink_puts(s, ", read as "));
            ND_TRY(nd_sink_puts(s, di[i].encoding));
        }
        ND_TRY(nd_sink_puts(s, ")\n"));
    }
    ND_TRY(nd_sink_putc(s, '\n'));
    for (int i = 0; i < 2; i++) {
        ND_TRY(put_percent(s, di[i].covered_chars, di[i].chars));
        ND_TRY(nd_sink_puts(s, i == 0 ? " of A appears in B (" : " of B appears in A ("));
        ND_TRY(nd_sink_u64(s, di[i].covered_chars));
        ND_TRY(nd_sink_puts(s, " of "));
        ND_TRY(nd_sink_u64(s, di[i].chars));
        ND_TRY(nd_sink_puts(s, " characters)\n"));
    }
    ND_TRY(nd_sink_u64(s, c->nps));
    ND_TRY(nd_sink_puts(s, c->nps == 1 ? " shared passage" : " shared passages"));
    ND_TRY(nd_sink_puts(s, " of at least "));
    ND_TRY(nd_sink_u64(s, c->opt.min_passage));
    ND_TRY(nd_sink_puts(s, " characters\n"));
    for (size_t p = 0; p < c->nps; p++) {
        const nd_passage_info *pi = &c->ps[p];
        ND_TRY(nd_sink_puts(s, "\n#"));
        ND_TRY(nd_sink_u64(s, p + 1));
        ND_TRY(nd_sink_puts(s, "  "));
        ND_TRY(nd_sink_u64(s, pi->matched_chars));
        ND_TRY(nd_sink_puts(s, " matching characters"));
        if (pi->fragments > 1) {
            ND_TRY(nd_sink_puts(s, " in "));
            ND_TRY(nd_sink_u64(s, pi->fragments));
            ND_TRY(nd_sink_puts(s, " pieces"));
        }
        ND_TRY(nd_sink_putc(s, '\n'));
        for (int i = 0; i < 2; i++) {
            const nd_passage_side *ps = &pi->side[i];
            const char *text = (const char *)c->d[i].data + ps->text_offset;
            size_t len = (size_t)ps->text_length, shown = len, wdt;
            int cut = 0;
            ND_TRY(nd_sink_puts(s, "  "));
            ND_TRY(nd_sink_puts(s, label[i]));
            ND_TRY(nd_sink_puts(s, "  "));
            ND_TRY(nd_sink_text(s, di[i].path, strlen(di[i].path)));
            ND_TRY(nd_sink_putc(s, ':'));
            ND_TRY(put_lines(s, ps));
            wdt = nd_wr_text_width(di[i].path, strlen(di[i].path)) + 1 +
                  (size_t)(ps->end_line != ps->line
                               ? snprintf(num, sizeof num, "%u-%u", (unsigned)ps->line,
                                          (unsigned)ps->end_line)
                               : snprintf(num, sizeof num, "%u", (unsigned)ps->line));
            ND_TRY(nd_sink_repeat(s, ' ', locw - wdt + 2));
            if (wo->preview) shown = nd_wr_prefix_chars(text, len, wo->preview, &cut);
            ND_TRY(nd_sink_text(s, text, shown));
            if (cut) ND_TRY(nd_sink_puts(s, "..."));
            ND_TRY(nd_sink_putc(s, '\n'));
        }
    }
    return ND_OK;
}

static nd_status put_key(nd_sink *s, const char *key) {
    ND_TRY(nd_sink_putc(s, '"'));
    ND_TRY(nd_sink_puts(s, key));
    return nd_sink_puts(s, "\":");
}

static nd_status put_side_json(nd_sink *s, const nd_passage_side *ps) {
    ND_TRY(nd_sink_puts(s, "{\"line\":"));
    ND_TRY(nd_sink_u64(s, ps->line));
    ND_TRY(nd_sink_puts(s, ",\"end_line\":"));
    ND_TRY(nd_sink_u64(s, ps->end_line));
    ND_TRY(nd_sink_puts(s, ",\"offset\":"));
    ND_TRY(nd_sink_u64(s, ps->offset));
    ND_TRY(nd_sink_puts(s, ",\"length\":"));
    ND_TRY(nd_sink_u64(s, ps->length));
    ND_TRY(nd_sink_puts(s, ",\"start_char\":"));
    ND_TRY(nd_sink_u64(s, ps->start_char));
    ND_TRY(nd_sink_puts(s, ",\"chars\":"));
    ND_TRY(nd_sink_u64(s, ps->chars));
    return nd_sink_putc(s, '}');
}

static nd_status write_jsonl(const nd_compare *c, nd_sink *s) {
    nd_compare_doc_info di[2];
    for (unsigned i = 0; i < 2; i++) ND_TRY(nd_compare_document(c, i, &di[i]));
    ND_TRY(nd_sink_puts(s, "{\"type\":\"compare\",\"a\":"));
    ND_TRY(nd_sink_json_string(s, di[0].path, strlen(di[0].path)));
    ND_TRY(nd_sink_puts(s, ",\"b\":"));
    ND_TRY(nd_sink_json_string(s, di[1].path, strlen(di[1].path)));
    ND_TRY(nd_sink_puts(s, ",\"a_bytes\":"));
    ND_TRY(nd_sink_u64(s, di[0].bytes));
    ND_TRY(nd_sink_puts(s, ",\"b_bytes\":"));
    ND_TRY(nd_sink_u64(s, di[1].bytes));
    ND_TRY(nd_sink_puts(s, ",\"a_encoding\":"));
    ND_TRY(nd_sink_json_string(s, di[0].encoding, strlen(di[0].encoding)));
    ND_TRY(nd_sink_puts(s, ",\"b_encoding\":"));
    ND_TRY(nd_sink_json_string(s, di[1].encoding, strlen(di[1].encoding)));
    ND_TRY(nd_sink_puts(s, ",\"a_chars\":"));
    ND_TRY(nd_sink_u64(s, di[0].chars));
    ND_TRY(nd_sink_puts(s, ",\"b_chars\":"));
    ND_TRY(nd_sink_u64(s, di[1].chars));
    ND_TRY(nd_sink_puts(s, ",\"a_in_b_chars\":"));
    ND_TRY(nd_sink_u64(s, di[0].covered_chars));
    ND_TRY(nd_sink_puts(s, ",\"a_in_b_share\":"));
    ND_TRY(put_share(s, di[0].covered_chars, di[0].chars));
    ND_TRY(nd_sink_puts(s, ",\"b_in_a_chars\":"));
    ND_TRY(nd_sink_u64(s, di[1].covered_chars));
    ND_TRY(nd_sink_puts(s, ",\"b_in_a_share\":"));
    ND_TRY(put_share(s, di[1].covered_chars, di[1].chars));
    ND_TRY(nd_sink_puts(s, ",\"passages\":"));
    ND_TRY(nd_sink_u64(s, c->nps));
    ND_TRY(nd_sink_puts(s, ",\"min_passage\":"));
    ND_TRY(nd_sink_u64(s, c->opt.min_passage));
    ND_TRY(nd_sink_puts(s, ",\"max_gap\":"));
    ND_TRY(nd_sink_u64(s, c->opt.max_gap));
    ND_TRY(nd_sink_puts(s, "}\n"));
    for (size_t p = 0; p < c->nps; p++) {
        const nd_passage_info *pi = &c->ps[p];
        ND_TRY(nd_sink_puts(s, "{\"type\":\"passage\",\"id\":"));
        ND_TRY(nd_sink_u64(s, p));
        ND_TRY(nd_sink_puts(s, ",\"matched_chars\":"));
        ND_TRY(nd_sink_u64(s, pi->matched_chars));
        ND_TRY(nd_sink_puts(s, ",\"fragments\":"));
        ND_TRY(nd_sink_u64(s, pi->fragments));
        for (int i = 0; i < 2; i++) {
            ND_TRY(nd_sink_putc(s, ','));
            ND_TRY(put_key(s, i == 0 ? "a" : "b"));
            ND_TRY(put_side_json(s, &pi->side[i]));
        }
        for (int i = 0; i < 2; i++) {
            ND_TRY(nd_sink_putc(s, ','));
            ND_TRY(put_key(s, i == 0 ? "text_a" : "text_b"));
            ND_TRY(nd_sink_json_string(s, (const char *)c->d[i].data + pi->side[i].text_offset,
                                       (size_t)pi->side[i].text_length));
        }
        ND_TRY(nd_sink_puts(s, "}\n"));
    }
    return ND_OK;
}

nd_status nd_compare_write(const nd_compare *c, nd_format format,
                           const nd_write_options *wo, nd_write_fn fn,
                           void *user) {
    nd_write_options defaults;
    nd_sink sink = {0};
    nd_status st;
    if (!c || !fn) return ND_ERR_INVALID;
    if (format != ND_FORMAT_TEXT && format != ND_FORMAT_JSONL && format != ND_FORMAT_HTML)
        return ND_ERR_INVALID;
    if (!wo) {
        nd_write_options_default(&defaults);
        wo = &defaults;
    }
    ND_CHECK(nd_sink_open(&sink, fn, user));
    if (format == ND_FORMAT_TEXT) st = write_text(c, wo, &sink);
    else if (format == ND_FORMAT_JSONL) st = write_jsonl(c, &sink);
    else st = nd_write_compare_html(c, wo, &sink);
    if (st != ND_OK) goto out;
    ND_CHECK(nd_sink_flush(&sink));
out:
    if (st == ND_ERR_IO) /* the error fields only: c is otherwise read-only */
        atomic_store(&((nd_compare *)(uintptr_t)c)->err_errno, sink.sys_errno);
    nd_sink_release(&sink);
    return st;
}

int nd_compare_sys_errno(const nd_compare *c) { return c ? atomic_load(&c->err_errno) : 0; }
