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
 * Extension, merging and coverage: align.c (the same code the corpus-wide
 * passages use): equal fingerprints are extended to maximal exact matches,
 * fragments chained across edits of up to max_gap characters, a chain with
 * min_passage matched characters is a passage when its two places have a
 * token-shingle Jaccard of at least threshold (else it is cut at its
 * widest gaps: align.c's exact check, shingled here as a scan with the
 * same options would), and "x% of A appears in B" is the union of the
 * passages' fragments in A over A's characters.  A document over 4 GiB
 * (ND_MAP_MAX, the mapped text's 32-bit offsets) is refused, ND_ERR_TOO_LARGE.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "align.h"
#include "decode.h"
#include "input.h"
#include "nd_internal.h"
#include "sketch.h"
#include "text.h"
#include "write.h"
#include "winnow.h"
#include "write_html.h"

#define ND_CMP_MAX_OCC 64u

typedef struct cmp_doc {
    nd_doctab tab; /* owns the bytes (exactly one document) */
    const uint8_t *data;
    size_t size;
    uint32_t *cps;         /* normalised characters */
    nd_map_off *beg, *end; /* their source byte spans */
    size_t nch;
    size_t *lines; /* byte offset of the start of every line */
    size_t nlines;
    uint64_t covered;
} cmp_doc;

struct nd_compare {
    nd_compare_options opt;
    cmp_doc d[2];
    nd_passage_info *ps;
    size_t nps;
    atomic_int err_errno;    /* the last ND_ERR_IO of nd_compare_write: what
                             the write function returned (any thread) */
    nd_progress_fn progress; /* nd_compare_paths_progress, or NULL */
    void *progress_user;
};

/* Tells the progress callback (if any) `done` of `total` of a phase. */
static void tell(const nd_compare *c, nd_stage stage, uint64_t done, uint64_t total) {
    if (!c->progress) return;
    nd_progress p = {stage, done, total, (uint64_t)c->d[0].size + c->d[1].size};
    c->progress(c->progress_user, &p);
}

void nd_compare_options_default(nd_compare_options *co) {
    if (!co) return;
    co->min_passage = 30;
    co->max_gap = 16;
    co->threshold = 0.8;
    co->shingle = 5;
    co->norm_flags = ND_NORM_ALL;
    co->max_file_size = UINT64_C(1) << 30;
    memset(co->encoding, 0, sizeof co->encoding);
    memcpy(co->encoding, "auto", 5);
}

nd_status nd_compare_options_check(const nd_compare_options *co, char *msg, size_t msg_size) {
    const char *why = NULL;
    if (!co)
        why = "no options";
    else if (co->min_passage < 1 || co->min_passage > 100000)
        why = "min_passage must be between 1 and 100000";
    else if (co->max_gap > 100000)
        why = "max_gap must be between 0 and 100000";
    else if (!(co->threshold > 0.0 && co->threshold <= 1.0))
        why = "threshold must be in (0, 1]";
    else if (co->shingle < 1 || co->shingle > 64)
        why = "shingle must be between 1 and 64";
    else if (co->norm_flags & ~(unsigned)ND_NORM_ALL)
        why = "unknown normalisation flags";
    else if (co->max_file_size == 0)
        why = "max_file_size must be at least 1";
    else if (!memchr(co->encoding, '\0', sizeof co->encoding) || !nd_decode_name_ok(co->encoding))
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
        if (d->lines[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    return (uint32_t)(lo + 1);
}

/* Winnowing fingerprints of d (winnow.c): (hash, position) pairs into *fp
 * (malloc'ed), sorted by (hash, position). */
static nd_status winnow(const cmp_doc *d, unsigned k, unsigned w, nd_key32 **fp, size_t *nfp) {
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

/* Exact maximal matches (length >= k) reachable from equal fingerprints
 * (align.c), sorted by position in A. */
static nd_status find_fragments(const cmp_doc *A, const cmp_doc *B, unsigned k, unsigned w,
                                nd_align_frag **frags, size_t *nfrags) {
    nd_status st = ND_OK;
    nd_key32 *fa = NULL, *fb = NULL;
    size_t na = 0, nb = 0, npairs = 0, pcap = 0;
    nd_align_seed *pairs = NULL;

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
                    pairs[npairs].a = fa[x].val;
                    pairs[npairs].b = fb[y].val;
                    npairs++;
                }
            }
        }
        i = ie;
        j = je;
    }
    nd_align_sort_seeds(pairs, npairs);
    ND_CHECK(nd_align_extend(A->cps, A->nch, B->cps, B->nch, 0, k, pairs, npairs, frags, nfrags));
out:
    free(fa);
    free(fb);
    free(pairs);
    return st;
}

static int passage_cmp(const void *x, const void *y) {
    const nd_passage_info *p = x, *q = y;
    for (int s = 0; s < 2; s++) {
        if (p->side[s].start_char != q->side[s].start_char)
            return p->side[s].start_char < q->side[s].start_char ? -1 : 1;
    }
    if (p->side[0].chars != q->side[0].chars) return p->side[0].chars > q->side[0].chars ? -1 : 1;
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

/* The exact check of a passage (nd_align_check): both sides' bytes
 * shingled as a scan with the same options shingles paragraphs. */
typedef struct cmp_check {
    const nd_compare *c;
    nd_shingler sa, sb;
} cmp_check;

static nd_status cmp_jaccard(void *ctx, size_t a_off, size_t a_len, size_t b_off, size_t b_len,
                             double *j) {
    cmp_check *k = ctx;
    uint64_t *sa = NULL, *sb = NULL;
    size_t na = 0, nb = 0;
    ND_TRY(nd_shingler_set(&k->sa, k->c->d[0].data + a_off, a_len, &sa, &na));
    ND_TRY(nd_shingler_set(&k->sb, k->c->d[1].data + b_off, b_len, &sb, &nb));
    *j = nd_hashset_jaccard(sa, na, sb, nb);
    return ND_OK;
}

static nd_status run_compare(nd_compare *c) {
    nd_status st = ND_OK;
    nd_align_frag *fr = NULL;
    nd_align_chain_info *ch = NULL;
    size_t nfr = 0, nch = 0;
    const unsigned t = c->opt.min_passage, G = c->opt.max_gap;
    unsigned k, w;
    nd_winnow_params(t, &k, &w);
    nd_norm nm;
    nd_options so; /* the scan options the exact check's shingling takes */
    nd_options_default(&so);
    so.norm_flags = c->opt.norm_flags;
    so.shingle = c->opt.shingle;
    cmp_check ck = {.c = c};
    nd_shingler_init(&ck.sa, &so);
    nd_shingler_init(&ck.sb, &so);
    const nd_align_check chk = {c->opt.threshold, cmp_jaccard, &ck};

    nd_norm_init(&nm, c->opt.norm_flags);
    uint64_t total = (uint64_t)c->d[0].size + c->d[1].size;
    tell(c, ND_STAGE_SKETCH, 0, total); /* normalising, bytes of both */
    for (int i = 0; i < 2; i++) {
        cmp_doc *d = &c->d[i];
        ND_CHECK(nd_norm_chars_mapped(&nm, d->data, d->size, &d->cps, &d->beg, &d->end, &d->nch));
        ND_CHECK(index_lines(d));
        tell(c, ND_STAGE_SKETCH, i == 0 ? c->d[0].size : total, total);
    }
    tell(c, ND_STAGE_PASSAGE, 0, 0); /* fingerprints, extension, alignment */
    ND_CHECK(find_fragments(&c->d[0], &c->d[1], k, w, &fr, &nfr));
    nd_align_text ta = {
        .cps = c->d[0].cps, .width = 4, .beg = c->d[0].beg, .end = c->d[0].end, .n = c->d[0].nch};
    nd_align_text tb = {
        .cps = c->d[1].cps, .width = 4, .beg = c->d[1].beg, .end = c->d[1].end, .n = c->d[1].nch};
    ND_CHECK(nd_align_chain(fr, nfr, G, t, &ta, &tb, &chk, &ch, &nch, &c->d[0].covered,
                            &c->d[1].covered));
    if (nch == 0) goto out;
    /* Passages: chains with enough matched characters (all of them). */
    c->ps = nd_calloc(nch, sizeof *c->ps);
    if (!c->ps) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < nch; i++) {
        nd_passage_info *p = &c->ps[c->nps++];
        fill_side(&c->d[0], ch[i].a0, ch[i].ae, &p->side[0]);
        fill_side(&c->d[1], ch[i].b0, ch[i].be, &p->side[1]);
        p->matched_chars = ch[i].matched;
        p->fragments = ch[i].nfrag;
    }
    qsort(c->ps, c->nps, sizeof *c->ps, passage_cmp);
out:
    nd_norm_release(&nm);
    nd_shingler_release(&ck.sa);
    nd_shingler_release(&ck.sb);
    free(fr);
    free(ch);
    return st;
}

static nd_status compare_new(const nd_compare_options *co, nd_compare **out) {
    nd_compare *c;
    if (!out) return ND_ERR_INVALID;
    c = nd_calloc(1, sizeof *c);
    if (!c) return ND_ERR_NOMEM;
    if (co)
        c->opt = *co;
    else
        nd_compare_options_default(&c->opt);
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

nd_status nd_compare_buffers(const char *name_a, const void *a, size_t alen, const char *name_b,
                             const void *b, size_t blen, const nd_compare_options *co,
                             nd_compare **out) {
    nd_status st;
    nd_compare *c = NULL;
    if (!name_a || !name_b || (!a && alen) || (!b && blen) || !out) return ND_ERR_INVALID;
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
    nd_input_cfg cfg = {
        .max_file_size = co->max_file_size, .encoding = co->encoding, .diag = on_diag, .user = &cd};
    struct stat sb;
    if (strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        nd_diag dg = {path, ND_ERR_NOT_REGULAR, 0, "a directory; compare takes two files"};
        if (fn) fn(user, &dg);
        return ND_ERR_NOT_REGULAR;
    }
    ND_TRY(nd_input_add_path(&d->tab, &cfg, path));
    if (d->tab.n != 1 && d->tab.nconts) { /* an archive of several members */
        char what[96];
        snprintf(what, sizeof what, "holds %zu documents; compare takes two single documents",
                 d->tab.n);
        nd_diag dg = {path, ND_ERR_FORMAT, 0, what};
        if (fn) fn(user, &dg);
        return ND_ERR_FORMAT;
    }
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

nd_status nd_compare_paths(const char *path_a, const char *path_b, const nd_compare_options *co,
                           nd_diag_fn diag, void *user, nd_compare **out) {
    return nd_compare_paths_progress(path_a, path_b, co, diag, user, NULL, NULL, out);
}

nd_status nd_compare_paths_progress(const char *path_a, const char *path_b,
                                    const nd_compare_options *co, nd_diag_fn diag, void *user,
                                    nd_progress_fn progress, void *progress_user,
                                    nd_compare **out) {
    nd_status st, st_b;
    nd_compare *c = NULL;
    if (!path_a || !path_b || !out) return ND_ERR_INVALID;
    ND_CHECK(compare_new(co, &c));
    c->progress = progress;
    c->progress_user = progress_user;
    tell(c, ND_STAGE_READ, 0, 0);
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

nd_status nd_compare_document(const nd_compare *c, unsigned which, nd_compare_doc_info *out) {
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

nd_status nd_compare_document_text(const nd_compare *c, unsigned which, const char **text,
                                   size_t *len) {
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

void nd_compare_io_error(const nd_compare *c, int err) {
    /* the error field only: c is otherwise read-only */
    atomic_store(&((nd_compare *)(uintptr_t)c)->err_errno, err);
}

nd_status nd_compare_get_options(const nd_compare *c, nd_compare_options *out) {
    if (!c || !out) return ND_ERR_INVALID;
    *out = c->opt;
    return ND_OK;
}

int nd_compare_sys_errno(const nd_compare *c) { return c ? atomic_load(&c->err_errno) : 0; }
