/*
 * clean.c - a deduplicated copy of the corpus (`neardup clean`).
 *
 * Plan.  For every cluster of the report one paragraph is kept and the
 * others are removed, within the scope asked for:
 *   all     every member except the kept one;
 *   cross   the members that lie in another document than the kept one
 *           (repeats inside the kept paragraph's document stay);
 *   within  per document: all members of the cluster in that document except
 *           one (other documents are not touched).
 * The kept paragraph is the earliest by path (bytes, strcmp), then document
 * index, then offset ("first"), or the one with most normalised characters,
 * ties broken the same way ("longest").  For `within` the choice is made
 * among the members in that document.
 *
 * Spans.  A removed paragraph takes its own line terminator (LF, CRLF or CR)
 * with it; when it starts the file or follows a blank line, it also takes the
 * blank lines after it, so "A\n\nB\n\nC\n" without B is "A\n\nC\n" and not
 * "A\n\n\nC\n", while "A\nB\n\nC\n" without B keeps its blank line.  Spans
 * never overlap (a paragraph's bytes belong to no other paragraph and the
 * blank lines after it to no paragraph).  Everything outside the spans is
 * copied byte for byte.
 *
 * The log records, for every span, its offset in the original document and
 * its exact bytes, so the input is the cleaned file with each span inserted
 * back at its offset, in order (tests/test_clean.c proves it).
 *
 * Safety of the writer (nd_clean_write_tree): all checks run before the
 * first byte is written; the whole tree is written into a temporary sibling
 * of the output directory, DIR.neardup-tmp.XXXXXX, every file fsync'ed, and
 * renamed to DIR at the end, after the log (LOG.neardup-tmp.XXXXXX, renamed
 * to LOG), so DIR is absent or complete, and complete only with its log.
 * nd_clean_cancel stops the writing and removes the temporaries; what a
 * killed process leaves is found by nd_clean_leftovers and never reused
 * (the order and what each step leaves: above nd_clean_write_tree).
 *
 * Inputs that change.  The report keeps no input bytes (input.c, "Bytes"):
 * the plan and the writer read each document again, whole, with read()
 * (nd_reader_whole: the same file - device, inode, size, modification time -
 * before and after the read) and check every paragraph against the hash
 * taken when it was split.  A document that fails is left out: its removals
 * are dropped from the plan, no cleaned copy of it is written (an existing
 * one is removed), and it is reported once as ND_ERR_CHANGED through the
 * scanner's diag callback - so the cleaned tree never holds a mix of old and
 * new bytes.  A removal whose kept paragraph no longer reads back is dropped
 * too, so no text loses its last copy.
 *
 * Rows.  The plan and the writer read paragraphs by run id through
 * nd_report_row, never the report's tables: the clusters' members (to
 * choose and log), and every paragraph of a document checked when it is
 * read again (its ids from the per-document counts, d_paragraphs).  So a
 * sparse report (report.h; neardup-mpi's rank 0), which holds the
 * members' rows only, cleans as a full one: it reads the others back from
 * its rows file, in id order, a block at a time.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "nd_archive.h"
#include "nd_internal.h"
#include "report.h"
#include "text.h"
#include "write.h"
#include "xxh.h"

/* What and where nd_clean_write_tree failed (the plan's last failure). */
typedef struct nd_clean_failure {
    nd_clean_error what;
    const char *path; /* fail_path, or "" */
    int sys_errno;
} nd_clean_failure;

struct nd_clean_plan {
    const nd_report *r;
    nd_clean_options opt;
    nd_removal_info *rm;
    size_t nrm;
    uint64_t *doc_removed; /* per document: removed bytes */
    uint64_t *doc_first;   /* per document + 1: its first paragraph (run
                              id; the last entry the run's paragraphs) */
    char *fail_path;       /* the path named by the last failure */
    nd_clean_failure last; /* the last failure (nd_clean_error_kind ...) */
    atomic_int cancel;     /* set by nd_clean_cancel (a signal handler) */
    void (*progress)(void *user, uint64_t done, uint64_t total);
    void *progress_user;
};

void nd_clean_set_progress(nd_clean_plan *p, void (*fn)(void *user, uint64_t done, uint64_t total),
                           void *user) {
    if (!p) return;
    p->progress = fn;
    p->progress_user = user;
}

void nd_clean_cancel(nd_clean_plan *p) {
    if (p) atomic_store(&p->cancel, 1);
}

static int cancelled(const nd_clean_plan *p) { return atomic_load(&p->cancel) != 0; }

void nd_clean_options_default(nd_clean_options *co) {
    if (!co) return;
    co->keep = ND_KEEP_FIRST;
    co->scope = ND_SCOPE_ALL;
}

nd_status nd_keep_parse(const char *name, nd_keep *out) {
    if (!name || !out) return ND_ERR_INVALID;
    if (strcmp(name, "first") == 0)
        *out = ND_KEEP_FIRST;
    else if (strcmp(name, "longest") == 0)
        *out = ND_KEEP_LONGEST;
    else
        return ND_ERR_FORMAT;
    return ND_OK;
}

nd_status nd_scope_parse(const char *name, nd_scope *out) {
    if (!name || !out) return ND_ERR_INVALID;
    if (strcmp(name, "all") == 0)
        *out = ND_SCOPE_ALL;
    else if (strcmp(name, "cross") == 0)
        *out = ND_SCOPE_CROSS;
    else if (strcmp(name, "within") == 0)
        *out = ND_SCOPE_WITHIN;
    else
        return ND_ERR_FORMAT;
    return ND_OK;
}

void nd_clean_plan_free(nd_clean_plan *p) {
    if (!p) return;
    free(p->rm);
    free(p->doc_removed);
    free(p->doc_first);
    free(p->fail_path);
    free(p);
}

size_t nd_clean_removal_count(const nd_clean_plan *p) { return p ? p->nrm : 0; }

nd_status nd_clean_removal(const nd_clean_plan *p, size_t i, nd_removal_info *out) {
    if (!p || !out || i >= p->nrm) return ND_ERR_INVALID;
    *out = p->rm[i];
    return ND_OK;
}

uint64_t nd_clean_doc_removed_bytes(const nd_clean_plan *p, size_t doc) {
    if (!p || doc >= p->r->docs.n) return 0;
    return p->doc_removed[doc];
}

/* ------------------------------------------------------------------------ */
/* Planning                                                                   */
/* ------------------------------------------------------------------------ */

/* The path a document is ordered by: its file's (a record's container, so
 * that records keep their order in the file). */
static const char *order_path(const nd_report *r, uint32_t doc) {
    const nd_doc *d = &r->docs.docs[doc];
    return d->cont ? r->docs.conts[d->cont - 1].path : d->path;
}

/* Is doc a JSON Lines record (written back as JSON, its offsets those of
 * its decoded text)?  An archive member is written back as a file of its
 * own: its offsets are of its original bytes, as a plain document's. */
static int is_record(const nd_report *r, const nd_doc *d) {
    return d->cont && r->docs.conts[d->cont - 1].kind == ND_CONT_JSONL;
}

/* Is the paragraph of row x preferred over that of row y as the one to
 * keep? */
static int better(const nd_report *r, nd_keep keep, const nd_row *x, const nd_row *y) {
    if (keep == ND_KEEP_LONGEST && x->chars != y->chars) return x->chars > y->chars;
    if (x->doc != y->doc) {
        int c = strcmp(order_path(r, x->doc), order_path(r, y->doc));
        if (c) return c < 0;
        return x->doc < y->doc;
    }
    return x->off < y->off;
}

/* Length of a white-space character at p[0..n-1] as split.c defines blank
 * lines (ASCII space, tab, VT, FF; U+00A0, U+2000-U+200B, U+202F, U+205F,
 * U+3000, U+FEFF), or 0. */
static size_t blank_char(const uint8_t *p, size_t n) {
    if (p[0] == ' ' || p[0] == '\t' || p[0] == '\v' || p[0] == '\f') return 1;
    size_t adv;
    uint32_t cp = nd_utf8_next(p, n, &adv);
    if (cp == 0xA0 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x205F ||
        cp == 0x3000 || cp == 0xFEFF)
        return adv;
    return 0;
}

/* End of the line starting at i (index of its terminator or n). */
static size_t line_end(const uint8_t *d, size_t n, size_t i) {
    while (i < n && d[i] != '\n' && d[i] != '\r') i++;
    return i;
}

/* Index just past the terminator at i (i < n is a terminator). */
static size_t past_terminator(const uint8_t *d, size_t n, size_t i) {
    if (i >= n) return n;
    if (d[i] == '\r' && i + 1 < n && d[i + 1] == '\n') return i + 2;
    return i + 1;
}

static int is_blank(const uint8_t *d, size_t s, size_t e) {
    while (s < e) {
        size_t k = blank_char(d + s, e - s);
        if (!k) return 0;
        s += k;
    }
    return 1;
}

/* Does the line before offset `off` (which starts a line) hold only white
 * space?  Start of file counts as yes. */
static int after_blank(const uint8_t *d, size_t off) {
    if (off == 0) return 1;
    size_t e = off - 1; /* a terminator byte */
    if (d[e] == '\n' && e > 0 && d[e - 1] == '\r') e--;
    size_t s = e;
    while (s > 0 && d[s - 1] != '\n' && d[s - 1] != '\r') s--;
    return is_blank(d, s, e);
}

/* The span of the paragraph of row in its document's bytes d[0..n-1]. */
static void span_of(const uint8_t *d, size_t n, const nd_row *row, uint64_t *off, uint64_t *len) {
    size_t s = (size_t)row->off, e = s + row->len;
    int starts_line = s == 0 || d[s - 1] == '\n' || d[s - 1] == '\r';
    if (e < n && (d[e] == '\n' || d[e] == '\r')) {
        e = past_terminator(d, n, e);
        if (starts_line && after_blank(d, s)) {
            for (;;) {
                size_t le = line_end(d, n, e);
                if (e >= n || !is_blank(d, e, le)) break;
                e = past_terminator(d, n, le);
            }
        }
    }
    *off = s;
    *len = e - s;
}

static int removal_cmp(const void *x, const void *y) {
    const nd_removal_info *p = x, *q = y;
    if (p->doc != q->doc) return p->doc < q->doc ? -1 : 1;
    if (p->offset != q->offset) return p->offset < q->offset ? -1 : 1;
    return 0;
}

/* Records the removal of paragraph para (its row: row) for kept; its span
 * and similarity are filled in by finish_removals, document by document. */
static nd_status add_removal(nd_clean_plan *p, size_t *cap, uint32_t para, const nd_row *row,
                             uint32_t kept) {
    nd_removal_info *ri;
    ND_TRY(ND_GROW(p->rm, *cap, p->nrm + 1));
    ri = &p->rm[p->nrm];
    memset(ri, 0, sizeof *ri);
    ri->paragraph = para;
    ri->kept = kept;
    ri->doc = row->doc;
    ri->line = row->line;
    ri->offset = row->off;
    p->nrm++;
    return ND_OK;
}

#define CHECK_ROWS 128 /* rows load_doc reads at a time */

/* Reads document doc whole with rd and checks every paragraph against its
 * hash (rows read through nd_report_row: a sparse report's from its rows
 * file, in id order); ND_ERR_CHANGED (the document reported, once) if it is
 * not what was scanned. */
static nd_status load_doc(const nd_clean_plan *p, nd_reader *rd, size_t doc, const uint8_t **out) {
    const nd_report *r = p->r;
    nd_status st = nd_reader_whole(rd, doc, out);
    if (st == ND_OK && !r->docs.docs[doc].data) {
        nd_row rows[CHECK_ROWS];
        for (uint64_t q = p->doc_first[doc]; q < p->doc_first[doc + 1] && st == ND_OK;) {
            size_t n = (size_t)ND_MIN((uint64_t)CHECK_ROWS, p->doc_first[doc + 1] - q);
            ND_TRY(nd_report_rows(r, (size_t)q, n, rows));
            for (size_t k = 0; k < n; k++)
                if ((uint32_t)XXH3_64bits(*out + rows[k].off, rows[k].len) != rows[k].phash) {
                    st = ND_ERR_CHANGED;
                    break;
                }
            q += n;
        }
    }
    if (st == ND_ERR_CHANGED) nd_report_late_change(r, doc);
    return st;
}

/* Spans and similarities of the removals (sorted by document and offset),
 * each document read once; removals of a document that changed, or whose
 * kept paragraph no longer reads back, are dropped. */
static nd_status finish_removals(nd_clean_plan *p, nd_sketcher *sk) {
    const nd_report *r = p->r;
    nd_status st = ND_OK;
    nd_reader rd, rk;
    size_t n = 0;
    nd_reader_init(&rd, &r->docs);
    nd_reader_init(&rk, &r->docs);
    for (size_t i = 0; i < p->nrm;) {
        size_t doc = p->rm[i].doc, j = i;
        const uint8_t *d = NULL;
        while (j < p->nrm && p->rm[j].doc == doc) j++;
        st = load_doc(p, &rd, doc, &d);
        if (st == ND_ERR_CHANGED) {
            st = ND_OK;
            i = j;
            continue;
        }
        ND_CHECK(st);
        for (; i < j; i++) {
            nd_removal_info ri = p->rm[i];
            const uint8_t *kt = NULL;
            const nd_doc *dd = &r->docs.docs[doc];
            nd_row prow, krow;
            ND_CHECK(nd_report_row(r, ri.paragraph, &prow));
            ND_CHECK(nd_report_row(r, ri.kept, &krow));
            span_of(d, dd->size, &prow, &ri.offset, &ri.length);
            /* spans are found in the text read; a decoded document's are
             * given (and cut) in its original bytes, a record's in its
             * decoded field text (the record is written anew) */
            if (!is_record(r, dd)) {
                uint64_t s0 = ri.offset, e0 = ri.offset + ri.length;
                ri.offset = nd_doc_orig_off(dd, s0);
                ri.length = nd_doc_orig_off(dd, e0) - ri.offset;
            }
            st = nd_report_fetch_row(r, &rk, &krow, 0, &kt);
            if (st == ND_ERR_CHANGED) {
                nd_report_late_change(r, krow.doc);
                st = ND_OK;
                continue;
            }
            ND_CHECK(st);
            ND_CHECK(nd_sketcher_jaccard(sk, (const char *)d + prow.off, prow.len, (const char *)kt,
                                         krow.len, &ri.similarity));
            p->rm[n++] = ri;
        }
    }
    p->nrm = n;
out:
    nd_reader_release(&rd);
    nd_reader_release(&rk);
    return st;
}

nd_status nd_clean_plan_new(const nd_report *r, const nd_clean_options *co, nd_clean_plan **out) {
    nd_status st = ND_OK;
    nd_clean_plan *p = NULL;
    nd_sketcher *sk = NULL;
    nd_row *mr = NULL; /* the rows of a cluster's members */
    size_t cap = 0, mcap = 0;

    if (!r || !out) return ND_ERR_INVALID;
    if (co && ((unsigned)co->keep > ND_KEEP_LONGEST || (unsigned)co->scope > ND_SCOPE_WITHIN))
        return ND_ERR_INVALID;
    p = nd_calloc(1, sizeof *p);
    if (!p) return ND_ERR_NOMEM;
    p->r = r;
    atomic_init(&p->cancel, 0);
    if (co)
        p->opt = *co;
    else
        nd_clean_options_default(&p->opt);
    p->doc_removed = nd_calloc(r->docs.n ? r->docs.n : 1, sizeof *p->doc_removed);
    p->doc_first = nd_mallocn(r->docs.n + 1, sizeof *p->doc_first);
    if (!p->doc_removed || !p->doc_first) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    /* paragraphs are ordered by document: the counts place each one's */
    p->doc_first[0] = 0;
    for (size_t d = 0; d < r->docs.n; d++)
        p->doc_first[d + 1] = p->doc_first[d] + r->d_paragraphs[d];
    if (p->doc_first[r->docs.n] != nd_report_paragraph_count(r)) {
        st = ND_ERR_INTERNAL;
        goto out;
    }
    ND_CHECK(nd_sketcher_new(&r->opt, &sk));
    for (size_t c = 0; c < r->ncl; c++) {
        const uint32_t *m = r->cl_members + r->cl_start[c];
        size_t n = r->cl_start[c + 1] - r->cl_start[c];
        ND_CHECK(ND_GROW(mr, mcap, n));
        for (size_t i = 0; i < n; i++) ND_CHECK(nd_report_row(r, m[i], &mr[i]));
        if (p->opt.scope == ND_SCOPE_WITHIN) {
            /* members ascend by paragraph index, hence by document */
            for (size_t g = 0; g < n;) {
                size_t h = g + 1, best = g;
                while (h < n && mr[h].doc == mr[g].doc) {
                    if (better(r, p->opt.keep, &mr[h], &mr[best])) best = h;
                    h++;
                }
                for (size_t i = g; i < h; i++)
                    if (i != best) ND_CHECK(add_removal(p, &cap, m[i], &mr[i], m[best]));
                g = h;
            }
            continue;
        }
        size_t best = 0;
        for (size_t i = 1; i < n; i++)
            if (better(r, p->opt.keep, &mr[i], &mr[best])) best = i;
        for (size_t i = 0; i < n; i++) {
            if (i == best) continue;
            if (p->opt.scope == ND_SCOPE_CROSS && mr[i].doc == mr[best].doc) continue;
            ND_CHECK(add_removal(p, &cap, m[i], &mr[i], m[best]));
        }
    }
    if (p->nrm) qsort(p->rm, p->nrm, sizeof *p->rm, removal_cmp);
    ND_CHECK(finish_removals(p, sk));
    for (size_t i = 0; i < p->nrm; i++) p->doc_removed[p->rm[i].doc] += p->rm[i].length;
    *out = p;
    p = NULL;
out:
    free(mr);
    nd_sketcher_free(sk);
    nd_clean_plan_free(p);
    return st;
}

/* ------------------------------------------------------------------------ */
/* The log                                                                    */
/* ------------------------------------------------------------------------ */

static int valid_utf8(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t adv;
        if (nd_utf8_next(s + i, n - i, &adv) == ND_UTF8_INVALID) return 0;
        i += adv;
    }
    return 1;
}

static nd_status put_base64(nd_sink *s, const uint8_t *d, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n) v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n) v |= d[i + 2];
        char out[4] = {tab[(v >> 18) & 63], tab[(v >> 12) & 63],
                       i + 1 < n ? tab[(v >> 6) & 63] : '=', i + 2 < n ? tab[v & 63] : '='};
        ND_TRY(nd_sink_write(s, out, 4));
    }
    return ND_OK;
}

/* Is document doc left out of the cleaned tree (found changed)? */
static int left_out(const nd_report *r, size_t doc) {
    return atomic_load(&r->docs.changed[doc]) != ND_DOC_SAME;
}

/* Is record doc left out of the cleaned copy (drop_empty, and its text,
 * not empty before, became empty)? */
static int dropped(const nd_clean_plan *p, size_t doc) {
    const nd_doc *d = &p->r->docs.docs[doc];
    return p->opt.drop_empty && is_record(p->r, d) && d->size > 0 && p->doc_removed[doc] == d->size;
}

/* Container c (of the report's doctab) was found changed when read again:
 * all its records are left out, and the file is reported once. */
static void cont_late_change(const nd_report *r, const nd_container *c) {
    int first = 0;
    for (size_t k = c->first; k < c->first + c->n; k++)
        if (nd_doctab_take_changed(&r->docs, k)) first = 1;
    if (!first || !r->diag) return;
    nd_diag dg = {.path = c->path, .status = ND_ERR_CHANGED};
    r->diag(r->diag_user, &dg);
}

/* Is any record of container c left out (it was found changed)? */
static int cont_left_out(const nd_report *r, const nd_container *c) {
    for (size_t k = c->first; k < c->first + c->n; k++)
        if (left_out(r, k)) return 1;
    return 0;
}

/* A container's bytes, read again when asked for a record of another one. */
typedef struct cont_cache {
    uint32_t cont; /* container + 1, or 0 */
    nd_status st;
    uint8_t *buf;
    size_t len;
} cont_cache;

static nd_status cont_bytes(const nd_report *r, cont_cache *cc, uint32_t cont) {
    if (cc->cont != cont) {
        free(cc->buf);
        cc->buf = NULL;
        cc->len = 0;
        cc->cont = cont;
        cc->st =
            nd_container_read(&r->docs.conts[cont - 1], r->opt.max_file_size, &cc->buf, &cc->len);
        if (cc->st == ND_ERR_CHANGED || cc->st == ND_ERR_GZIP) {
            cont_late_change(r, &r->docs.conts[cont - 1]);
            cc->st = ND_ERR_CHANGED;
        }
    }
    return cc->st;
}

/* "path":..., and for a record "path":FILE,"record":N,"name":...; `pre` is
 * "" or "kept_". */
static nd_status put_where(nd_sink *s, const nd_report *r, const nd_doc *d, const char *pre) {
    ND_TRY(nd_sink_puts(s, pre[0] ? ",\"" : "\""));
    ND_TRY(nd_sink_puts(s, pre));
    ND_TRY(nd_sink_puts(s, "path\":"));
    if (!is_record(r, d)) return nd_sink_json_string(s, d->path, strlen(d->path));
    const char *cp = r->docs.conts[d->cont - 1].path;
    ND_TRY(nd_sink_json_string(s, cp, strlen(cp)));
    ND_TRY(nd_sink_puts(s, ",\""));
    ND_TRY(nd_sink_puts(s, pre));
    ND_TRY(nd_sink_puts(s, "record\":"));
    ND_TRY(nd_sink_u64(s, d->part_no));
    ND_TRY(nd_sink_puts(s, ",\""));
    ND_TRY(nd_sink_puts(s, pre));
    ND_TRY(nd_sink_puts(s, "name\":"));
    return nd_sink_json_string(s, d->path, strlen(d->path));
}

nd_status nd_clean_write_log(const nd_clean_plan *p, nd_write_fn fn, void *user) {
    nd_sink sink = {0};
    nd_sink *s = &sink;
    nd_status st;
    nd_reader rd;
    if (!p || !fn) return ND_ERR_INVALID;
    cont_cache cc = {0, ND_OK, NULL, 0};
    nd_reader_init(&rd, &p->r->docs);
    ND_CHECK(nd_sink_open(s, fn, user));
    for (size_t i = 0; i < p->nrm; i++) {
        const nd_removal_info *ri = &p->rm[i];
        const nd_report *r = p->r;
        const nd_doc *d = &r->docs.docs[ri->doc];
        const uint8_t *bytes = NULL;
        nd_row prow, krow;
        /* the span is read again; a document left out, or one whose
         * paragraph no longer reads back, has no records */
        if (left_out(r, ri->doc)) continue;
        ND_CHECK(nd_report_row(r, ri->paragraph, &prow));
        ND_CHECK(nd_report_row(r, ri->kept, &krow));
        const nd_doc *kd = &r->docs.docs[krow.doc];
        if (is_record(r, d)) /* a record: its decoded text, from the private spool */
            st = nd_reader_get(&rd, ri->doc, ri->offset, (size_t)ri->length, 0, &bytes);
        else if (d->map.n) /* decoded: the original bytes, from the private spool */
            st = nd_reader_orig_get(&rd, ri->doc, ri->offset, (size_t)ri->length, &bytes);
        else
            st = nd_reader_get(&rd, ri->doc, ri->offset, (size_t)ri->length, 0, &bytes);
        if (st == ND_OK && !d->data && !d->map.n &&
            (uint32_t)XXH3_64bits(bytes, prow.len) != prow.phash)
            st = ND_ERR_CHANGED;
        if (st == ND_ERR_CHANGED || st == ND_ERR_INVALID) {
            nd_report_late_change(r, ri->doc);
            continue;
        }
        ND_CHECK(st);
        ND_CHECK(nd_sink_putc(s, '{'));
        ND_CHECK(put_where(s, r, d, ""));
        ND_CHECK(nd_sink_puts(s, ",\"line\":"));
        ND_CHECK(nd_sink_u64(s, ri->line));
        ND_CHECK(nd_sink_puts(s, ",\"offset\":"));
        ND_CHECK(nd_sink_u64(s, ri->offset));
        ND_CHECK(nd_sink_puts(s, ",\"length\":"));
        ND_CHECK(nd_sink_u64(s, ri->length));
        if (valid_utf8(bytes, (size_t)ri->length)) {
            ND_CHECK(nd_sink_puts(s, ",\"text\":"));
            ND_CHECK(nd_sink_json_string(s, (const char *)bytes, (size_t)ri->length));
        } else {
            ND_CHECK(nd_sink_puts(s, ",\"base64\":\""));
            ND_CHECK(put_base64(s, bytes, (size_t)ri->length));
            ND_CHECK(nd_sink_putc(s, '"'));
        }
        ND_CHECK(put_where(s, r, kd, "kept_"));
        ND_CHECK(nd_sink_puts(s, ",\"kept_line\":"));
        ND_CHECK(nd_sink_u64(s, krow.line));
        ND_CHECK(nd_sink_puts(s, ",\"kept_offset\":"));
        ND_CHECK(nd_sink_u64(s, is_record(r, kd) ? krow.off : nd_doc_orig_off(kd, krow.off)));
        ND_CHECK(nd_sink_puts(s, ",\"similarity\":"));
        ND_CHECK(nd_sink_fixed(s, nd_unit_units(ri->similarity, 4), 4));
        ND_CHECK(nd_sink_puts(s, "}\n"));
        /* after the last removal of a record left out: the record itself */
        if ((i + 1 == p->nrm || p->rm[i + 1].doc != ri->doc) && dropped(p, ri->doc)) {
            st = cont_bytes(r, &cc, d->cont);
            if (st == ND_ERR_CHANGED) {
                st = ND_OK;
                continue;
            }
            ND_CHECK(st);
            if (d->part_off + d->part_len > cc.len) continue; /* (not the file scanned) */
            ND_CHECK(nd_sink_putc(s, '{'));
            ND_CHECK(put_where(s, r, d, ""));
            ND_CHECK(nd_sink_puts(s, ",\"dropped\":"));
            size_t e = (size_t)(d->part_off + d->part_len); /* with its terminator */
            if (e < cc.len && cc.buf[e] == '\r') e++;
            if (e < cc.len && cc.buf[e] == '\n') e++;
            ND_CHECK(nd_sink_json_string(s, (const char *)cc.buf + d->part_off,
                                         e - (size_t)d->part_off));
            ND_CHECK(nd_sink_puts(s, "}\n"));
        }
    }
    ND_CHECK(nd_sink_flush(s));
out:
    free(cc.buf);
    nd_sink_release(s);
    nd_reader_release(&rd);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Writing the tree                                                           */
/* ------------------------------------------------------------------------ */

static nd_status fail_at(nd_clean_plan *p, nd_clean_failure *f, nd_clean_error what,
                         const char *path, int err, nd_status st) {
    free(p->fail_path);
    p->fail_path = nd_strdup(path ? path : "");
    if (f) {
        f->what = what;
        f->path = p->fail_path ? p->fail_path : "";
        f->sys_errno = err;
    }
    return st;
}

/* a + "/" + b, malloc'ed. */
static char *join(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    int slash = la > 0 && a[la - 1] == '/';
    char *s = malloc(la + lb + 2);
    if (s) snprintf(s, la + lb + 2, "%s%s%s", a, slash ? "" : "/", b);
    return s;
}

/* The canonical absolute form of path, which need not exist: realpath of
 * its longest existing prefix plus the remaining components. */
static char *canonical(const char *path) {
    char *work = nd_strdup(path), *res = NULL, *rest = NULL;
    if (!work) return NULL;
    for (;;) {
        char *rp = realpath(work[0] ? work : ".", NULL);
        if (rp) {
            if (!rest) {
                res = rp;
            } else {
                res = join(rp, rest);
                free(rp);
            }
            break;
        }
        /* drop the last component into rest */
        size_t n = strlen(work);
        while (n > 1 && work[n - 1] == '/') work[--n] = '\0';
        char *slash = strrchr(work, '/');
        const char *last = slash ? slash + 1 : work;
        char *nr = rest ? join(last, rest) : nd_strdup(last);
        free(rest);
        rest = nr;
        if (!rest) break;
        if (slash == work)
            work[1] = '\0';
        else if (slash)
            *slash = '\0';
        else
            work[0] = '\0';
    }
    free(work);
    free(rest);
    return res;
}

/* Is `inner` the directory `outer` or inside it (canonical paths)? */
static int is_within(const char *inner, const char *outer) {
    size_t n = strlen(outer);
    if (strncmp(inner, outer, n) != 0) return 0;
    return inner[n] == '\0' || inner[n] == '/' || (n > 0 && outer[n - 1] == '/');
}

/* The output path below out_dir of document `path`, found under input
 * argument `arg`, or NULL if the document does not come from arg. */
static const char *relative_to(const char *path, const char *arg) {
    size_t n = strlen(arg);
    if (strcmp(path, arg) == 0) {
        const char *base = strrchr(arg, '/');
        return base ? base + 1 : arg;
    }
    if (n == 0 || strncmp(path, arg, n) != 0) return NULL;
    if (arg[n - 1] != '/' && path[n] != '/') return NULL;
    path += n;
    while (*path == '/') path++;
    return *path ? path : NULL;
}

static int mkdirs(char *dir) {
    struct stat sb;
    if (stat(dir, &sb) == 0) return S_ISDIR(sb.st_mode) ? 0 : ENOTDIR;
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        int rc = mkdirs(dir);
        *slash = '/';
        if (rc) return rc;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return errno;
    return 0;
}

/* An output that is gzip-compressed or not: the cleaned copy of a gzip
 * input is gzip data again. */
typedef struct zout {
    nd_write_fn fn; /* where the bytes go (nd_fd_write; an archive member) */
    void *user;
    int gz, zinit;
    z_stream z;
    unsigned char *buf;
} zout;

#define ZOUT_BUF ((size_t)1 << 16)

static nd_status zout_open_fn(zout *o, nd_write_fn fn, void *user, int gz) {
    memset(o, 0, sizeof *o);
    o->fn = fn;
    o->user = user;
    o->gz = gz;
    if (!gz) return ND_OK;
    o->buf = malloc(ZOUT_BUF);
    if (!o->buf || deflateInit2(&o->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                                Z_DEFAULT_STRATEGY) != Z_OK)
        return ND_ERR_NOMEM;
    o->zinit = 1;
    return ND_OK;
}

static nd_status zout_open(zout *o, nd_fd_out *fo, int gz) {
    return zout_open_fn(o, nd_fd_write, fo, gz);
}

/* Writes p[0..n-1]; `last` ends the output (the gzip trailer). */
static nd_status zout_write(zout *o, const uint8_t *p, size_t n, int last) {
    if (!o->gz) return n && o->fn(o->user, p, n) != 0 ? ND_ERR_IO : ND_OK;
    /* chunks above 4 GiB go through in several deflate calls */
    size_t left = n;
    do {
        uInt part = left > UINT_MAX ? UINT_MAX : (uInt)left;
        o->z.next_in = (Bytef *)(uintptr_t)(p + (n - left));
        o->z.avail_in = part;
        left -= part;
        int flush = last && left == 0 ? Z_FINISH : Z_NO_FLUSH;
        int zr;
        do {
            o->z.next_out = o->buf;
            o->z.avail_out = (uInt)ZOUT_BUF;
            zr = deflate(&o->z, flush);
            if (zr == Z_STREAM_ERROR) return ND_ERR_INTERNAL;
            size_t have = ZOUT_BUF - o->z.avail_out;
            if (have && o->fn(o->user, o->buf, have) != 0) return ND_ERR_IO;
        } while (o->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    } while (left > 0);
    return ND_OK;
}

static void zout_close(zout *o) {
    if (o->zinit) deflateEnd(&o->z);
    free(o->buf);
    memset(o, 0, sizeof *o);
}

/* The cleaned bytes of document doc, whose (original) bytes are data:
 * everything outside the plan's spans, gzip-compressed when the input was,
 * written through fn (ND_ERR_IO when it fails). */
static nd_status write_cleaned(const nd_clean_plan *p, uint32_t doc, const uint8_t *data,
                               size_t first, nd_write_fn fn, void *fo) {
    const nd_doc *d = &p->r->docs.docs[doc];
    nd_status st = ND_OK;
    zout z;
    size_t pos = 0, i = first, total = (size_t)nd_doc_orig_size(d);

    ND_CHECK(zout_open_fn(&z, fn, fo, d->gzip));
    for (;;) {
        size_t stop = i < p->nrm && p->rm[i].doc == doc ? (size_t)p->rm[i].offset : total;
        if (cancelled(p)) {
            st = ND_ERR_CANCELLED;
            goto out;
        }
        int last = stop == total;
        ND_CHECK(zout_write(&z, data + pos, stop - pos, last));
        if (last) break;
        pos = stop + (size_t)p->rm[i].length;
        i++;
    }
out:
    zout_close(&z);
    return st;
}

/* Copies the (gzip) file of document d unchanged; ND_ERR_CHANGED unless it
 * is the file loaded (device, inode, modification time) before and after. */
static nd_status copy_file(const nd_clean_plan *p, const nd_doc *d, nd_fd_out *fo, int *err) {
    char buf[1 << 16];
    struct stat sb;
    int fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    nd_status st = ND_OK;
    if (fd < 0) return ND_ERR_CHANGED;
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_dev != d->dev || (uint64_t)sb.st_ino != d->ino ||
        (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec != d->mtime_ns) {
        (void)close(fd);
        return ND_ERR_CHANGED;
    }
    for (;;) {
        if (cancelled(p)) {
            st = ND_ERR_CANCELLED;
            break;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            *err = errno;
            st = ND_ERR_IO;
            break;
        }
        if (n == 0) break;
        if (nd_fd_write(fo, buf, (size_t)n) != 0) {
            *err = fo->err;
            st = ND_ERR_IO;
            break;
        }
    }
    if (st == ND_OK &&
        (fstat(fd, &sb) != 0 ||
         (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec != d->mtime_ns))
        st = ND_ERR_CHANGED;
    (void)close(fd);
    return st;
}

typedef struct doc_ctx {
    const nd_clean_plan *p;
    nd_reader *rd;
    uint32_t doc;
    size_t first; /* first removal of the document, or nrm */
} doc_ctx;

/* The document's bytes are read again, whole, and checked (load_doc), so
 * what is written is exactly what was scanned; ND_ERR_CHANGED otherwise. */
static nd_status fill_doc(void *ctx, nd_fd_out *fo, int *err) {
    doc_ctx *c = ctx;
    const nd_report *r = c->p->r;
    const nd_doc *d = &r->docs.docs[c->doc];
    const uint8_t *data = NULL;
    size_t len = d->size;
    if (cancelled(c->p)) return ND_ERR_CANCELLED;
    if (c->p->doc_removed[c->doc] == 0 && d->gzip) return copy_file(c->p, d, fo, err);
    /* a decoded document is written from its original bytes, kept in the
     * private spool since it was loaded (nothing else can change them) */
    if (d->map.n)
        ND_TRY(nd_reader_orig_whole(c->rd, c->doc, &data, &len));
    else
        ND_TRY(load_doc(c->p, c->rd, c->doc, &data));
    nd_status st = ND_OK;
    if (c->p->doc_removed[c->doc] == 0) {
        if (len && nd_fd_write(fo, data, len) != 0) st = ND_ERR_IO;
    } else {
        st = write_cleaned(c->p, c->doc, data, c->first, nd_fd_write, fo);
    }
    if (st == ND_ERR_IO) *err = fo->err;
    return st;
}

typedef struct cont_ctx {
    const nd_clean_plan *p;
    nd_reader *rd;
    uint32_t cont;       /* container index */
    const size_t *first; /* per document: its first removal, or nrm */
} cont_ctx;

/* The cleaned field text of record doc (text[0..n-1], decoded) as a JSON
 * string, into mb. */
static nd_status cleaned_json(const nd_clean_plan *p, size_t doc, size_t first, const uint8_t *text,
                              size_t n, nd_membuf *mb) {
    nd_status st = ND_OK;
    nd_membuf cut = {NULL, 0, 0};
    nd_sink sink = {0};
    size_t pos = 0;
    for (size_t i = first; i < p->nrm && p->rm[i].doc == doc; i++) {
        size_t s0 = (size_t)p->rm[i].offset;
        if (s0 > n || s0 < pos) {
            st = ND_ERR_INTERNAL;
            goto out;
        }
        if (nd_membuf_append(&cut, text + pos, s0 - pos) != 0) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        pos = s0 + (size_t)p->rm[i].length;
    }
    if (pos > n || nd_membuf_append(&cut, text + pos, n - pos) != 0) {
        st = pos > n ? ND_ERR_INTERNAL : ND_ERR_NOMEM;
        goto out;
    }
    mb->len = 0;
    ND_CHECK(nd_sink_open(&sink, nd_membuf_append, mb));
    ND_CHECK(nd_sink_json_string(&sink, cut.buf ? cut.buf : "", cut.len));
    ND_CHECK(nd_sink_flush(&sink));
out:
    nd_sink_release(&sink);
    free(cut.buf);
    return st;
}

/* A JSON Lines file written back: its bytes read again (checked to be the
 * file scanned), every line copied except the records that lost
 * paragraphs, whose field's JSON string is replaced by the cleaned text's,
 * and the records dropped (drop_empty) with their line terminator.
 * ND_ERR_CHANGED if the file is not the one scanned. */
static nd_status fill_container(void *ctx, nd_fd_out *fo, int *err) {
    cont_ctx *c = ctx;
    const nd_clean_plan *p = c->p;
    const nd_report *r = p->r;
    const nd_container *ct = &r->docs.conts[c->cont];
    nd_status st = ND_OK;
    uint8_t *buf = NULL;
    size_t len = 0, pos = 0;
    nd_membuf js = {NULL, 0, 0};
    zout z;
    memset(&z, 0, sizeof z);
    if (cancelled(p)) return ND_ERR_CANCELLED;
    st = nd_container_read(ct, r->opt.max_file_size, &buf, &len);
    if (st == ND_ERR_GZIP) st = ND_ERR_CHANGED; /* (same identity, other bytes) */
    ND_CHECK(st);
    ND_CHECK(zout_open(&z, fo, ct->gzip));
    for (size_t doc = ct->first; doc < ct->first + ct->n; doc++) {
        const nd_doc *d = &r->docs.docs[doc];
        const uint8_t *text = NULL;
        if (p->doc_removed[doc] == 0) continue; /* copied as it is */
        if (cancelled(p)) {
            st = ND_ERR_CANCELLED;
            goto out;
        }
        if (d->part_off < pos || d->part_off + d->part_len > len || d->src_off < d->part_off ||
            d->src_off + d->src_len > d->part_off + d->part_len) {
            st = ND_ERR_CHANGED; /* (cannot be: the file is the one scanned) */
            goto out;
        }
        ND_CHECK(zout_write(&z, buf + pos, (size_t)d->part_off - pos, 0));
        if (dropped(p, doc)) { /* the line and its terminator */
            pos = (size_t)(d->part_off + d->part_len);
            if (pos < len && buf[pos] == '\r') pos++;
            if (pos < len && buf[pos] == '\n') pos++;
            continue;
        }
        ND_CHECK(zout_write(&z, buf + d->part_off, (size_t)(d->src_off - d->part_off), 0));
        ND_CHECK(nd_reader_whole(c->rd, doc, &text));
        ND_CHECK(cleaned_json(p, doc, c->first[doc], text, d->size, &js));
        ND_CHECK(zout_write(&z, (const uint8_t *)js.buf, js.len, 0));
        pos = (size_t)(d->src_off + d->src_len);
    }
    ND_CHECK(zout_write(&z, buf + pos, len - pos, 1));
out:
    if (st == ND_ERR_IO) *err = fo->err;
    if (st == ND_ERR_NOMEM) *err = ENOMEM;
    zout_close(&z);
    free(js.buf);
    free(buf);
    return st;
}

/* An archive: written again whole (archive.c), its member documents with
 * removals replaced by their cleaned bytes, every other entry copied from
 * the archive, which must still be the file loaded (device, inode, size,
 * modification time, before and after, and each member document's name at
 * its place); ND_ERR_CHANGED otherwise, ND_ERR_ARCHIVE (c->why) when
 * libarchive cannot read or write it. */
typedef struct archive_ctx {
    const nd_clean_plan *p;
    nd_reader *rd;
    const nd_container *af;
    size_t doc1;         /* its member documents are [cur, doc1) */
    size_t cur;          /* the next member document */
    const size_t *first; /* first removal of each document, or nrm */
    char why[256];
} archive_ctx;

static int same_archive(const nd_container *af, int fd) {
    struct stat sb;
    return fstat(fd, &sb) == 0 && (uint64_t)sb.st_dev == af->dev &&
           (uint64_t)sb.st_ino == af->ino && (uint64_t)sb.st_size == af->size &&
           (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec == af->mtime_ns;
}

static nd_status archive_choose(void *ctx, const nd_archive_member *m, int *replace,
                                uint64_t *size) {
    archive_ctx *c = ctx;
    const nd_report *r = c->p->r;
    *replace = 0;
    if (c->cur >= c->doc1 || r->docs.docs[c->cur].part_no != m->index) return ND_OK;
    const nd_doc *d = &r->docs.docs[c->cur];
    size_t alen = strlen(c->af->path);
    /* the member document here must be this entry: else the archive changed */
    if (strncmp(d->path, c->af->path, alen) != 0 || strncmp(d->path + alen, "//", 2) != 0 ||
        strcmp(d->path + alen + 2, m->name) != 0)
        return ND_ERR_CHANGED;
    uint64_t removed = c->p->doc_removed[c->cur];
    if (removed && !left_out(r, c->cur)) {
        *replace = 1;
        *size = nd_doc_orig_size(d) - removed;
    } else {
        c->cur++; /* copied as it is in the archive */
    }
    return ND_OK;
}

static int archive_put_fn(void *user, const void *buf, size_t len) {
    return nd_archive_put(user, buf, len) == ND_OK ? 0 : EIO;
}

static nd_status archive_put(void *ctx, const nd_archive_member *m, nd_archive_writer *w) {
    archive_ctx *c = ctx;
    size_t doc = c->cur++, len = 0;
    const nd_doc *d = &c->p->r->docs.docs[doc];
    const uint8_t *data = NULL;
    ND_UNUSED(m);
    if (d->map.n)
        ND_TRY(nd_reader_orig_whole(c->rd, doc, &data, &len));
    else
        ND_TRY(load_doc(c->p, c->rd, doc, &data));
    return write_cleaned(c->p, (uint32_t)doc, data, c->first[doc], archive_put_fn, w);
}

static int archive_cancelled(void *ctx) { return cancelled(((archive_ctx *)ctx)->p); }

static nd_status fill_archive(void *ctx, nd_fd_out *fo, int *err) {
    archive_ctx *c = ctx;
    nd_status st;
    int fd = open(c->af->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return ND_ERR_CHANGED;
    if (!same_archive(c->af, fd)) {
        (void)close(fd);
        return ND_ERR_CHANGED;
    }
    nd_archive_src src = {fd, NULL, 0};
    nd_archive_edit ed = {archive_choose, archive_put, c, archive_cancelled};
    st = nd_archive_rewrite(&src, &c->af->archive, &ed, nd_fd_write, fo, c->why, sizeof c->why);
    if ((st == ND_OK || st == ND_ERR_ARCHIVE) && !same_archive(c->af, fd)) st = ND_ERR_CHANGED;
    (void)close(fd);
    if (st == ND_ERR_IO) *err = fo->err ? fo->err : EIO;
    return st;
}

/* Archive af is not in the cleaned copy: said once, with the archive's
 * path (its member documents are marked reported). */
static void archive_left_out(const nd_report *r, const nd_container *af, size_t doc0, size_t doc1,
                             nd_status why, const char *words) {
    char detail[320];
    for (size_t i = doc0; i < doc1; i++) (void)nd_doctab_take_changed(&r->docs, i);
    if (!r->diag) return;
    snprintf(detail, sizeof detail, "%s%sleft out of the cleaned copy", words ? words : "",
             words && *words ? "; " : "");
    nd_diag dg = {.path = af->path, .status = why, .detail = why == ND_ERR_ARCHIVE ? detail : NULL};
    r->diag(r->diag_user, &dg);
}

static nd_status fill_log(void *ctx, nd_fd_out *fo, int *err) {
    nd_status st = nd_clean_write_log(ctx, nd_fd_write, fo);
    if (st == ND_ERR_IO) *err = fo->err;
    return st;
}

/* ------------------------------------------------------------------------ */
/* The atomic tree                                                            */
/* ------------------------------------------------------------------------ */

#define TMP_MARK ".neardup-tmp."
#define TMP_XLEN 6 /* the XXXXXX of mkdtemp/mkstemp */

/* The name temporary siblings of path are derived from: path without
 * trailing slashes, or its canonical form when that ends in "." or ".."
 * (or is "/"), whose sibling would be inside it. */
static char *sibling_base(const char *path) {
    char *s = nd_strdup(path);
    if (!s) return NULL;
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/') s[--n] = '\0';
    const char *slash = strrchr(s, '/');
    const char *base = slash ? slash + 1 : s;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(s, "/") == 0) {
        char *c = canonical(s);
        free(s);
        s = c;
        if (s && strcmp(s, "/") == 0) { /* the root has no sibling */
            free(s);
            errno = EINVAL;
            return NULL;
        }
    }
    return s;
}

/* "<base>.neardup-tmp.XXXXXX", malloc'ed, for mkdtemp/mkstemp. */
static char *tmp_template(const char *base) {
    size_t n = strlen(base) + sizeof TMP_MARK + TMP_XLEN;
    char *t = malloc(n);
    if (t) snprintf(t, n, "%s" TMP_MARK "XXXXXX", base);
    return t;
}

/* The directory holding base ("." for a bare name), malloc'ed. */
static char *parent_of(const char *base) {
    const char *slash = strrchr(base, '/');
    if (!slash) return nd_strdup(".");
    if (slash == base) return nd_strdup("/");
    size_t n = (size_t)(slash - base);
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, base, n);
        d[n] = '\0';
    }
    return d;
}

static void sync_path(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)fsync(fd);
    (void)close(fd);
}

/* Removes path and, for a directory, everything below it (symbolic links are
 * removed, never followed).  Returns 0 or an errno. */
static int remove_tree(const char *path) {
    struct stat sb;
    int rc = 0;
    if (lstat(path, &sb) != 0) return errno == ENOENT ? 0 : errno;
    if (!S_ISDIR(sb.st_mode)) return unlink(path) == 0 ? 0 : errno;
    DIR *d = opendir(path);
    if (!d) return errno;
    for (;;) {
        struct dirent *de;
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno) rc = errno;
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *child = join(path, de->d_name);
        if (!child) {
            rc = ENOMEM;
            break;
        }
        int crc = remove_tree(child);
        free(child);
        if (crc && !rc) rc = crc;
    }
    (void)closedir(d);
    if (rmdir(path) != 0 && !rc) rc = errno;
    return rc;
}

/* Writes a new file at path (which must not exist) with fill, gives it mode
 * and fsyncs it; on failure nothing is left at path. */
static nd_status write_new(const char *path, unsigned mode, nd_fill_fn fill, void *ctx, int *err) {
    nd_fd_out fo = {-1, 0};
    nd_status st = ND_OK;
    *err = 0;
    fo.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fo.fd < 0) {
        *err = errno;
        return ND_ERR_IO;
    }
    st = fill(ctx, &fo, err);
    if (st == ND_OK && (fchmod(fo.fd, (mode_t)mode) != 0 || fsync(fo.fd) != 0)) {
        st = ND_ERR_IO;
        *err = errno;
    }
    if (close(fo.fd) != 0 && st == ND_OK) {
        st = ND_ERR_IO;
        *err = errno;
    }
    if (st != ND_OK) {
        if (*err == 0)
            *err = st == ND_ERR_NOMEM ? ENOMEM : st == ND_ERR_IO ? (fo.err ? fo.err : EIO) : 0;
        (void)unlink(path);
    }
    return st;
}

typedef struct leftover_list {
    char **paths;
    size_t n, cap;
} leftover_list;

static int str_cmp(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Adds to l every "<path>.neardup-tmp.XXXXXX" next to path. */
static nd_status find_leftovers(const char *path, leftover_list *l) {
    nd_status st = ND_OK;
    char *base = sibling_base(path), *dir = NULL;
    DIR *d = NULL;
    if (!base) return errno == EINVAL ? ND_OK : ND_ERR_NOMEM;
    dir = parent_of(base);
    if (!dir) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    const char *slash = strrchr(base, '/');
    const char *name = slash ? slash + 1 : base;
    size_t nlen = strlen(name), mlen = strlen(TMP_MARK);
    d = opendir(dir);
    if (!d) goto out; /* no parent yet: no leftovers */
    for (;;) {
        struct dirent *de = readdir(d);
        if (!de) break;
        const char *e = de->d_name;
        if (strlen(e) != nlen + mlen + TMP_XLEN || strncmp(e, name, nlen) != 0 ||
            strncmp(e + nlen, TMP_MARK, mlen) != 0)
            continue;
        ND_CHECK(ND_GROW(l->paths, l->cap, l->n + 1));
        /* named as the caller named path: "out.neardup-tmp.X" for "out" */
        l->paths[l->n] = slash ? join(dir, e) : nd_strdup(e);
        if (!l->paths[l->n]) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        l->n++;
    }
out:
    if (d) (void)closedir(d);
    free(dir);
    free(base);
    return st;
}

nd_status nd_clean_leftovers(const char *out_dir, const char *log_path,
                             void (*fn)(void *user, const char *path), void *user) {
    leftover_list l = {NULL, 0, 0};
    nd_status st = ND_OK;
    if (!fn) return ND_ERR_INVALID;
    if (out_dir && *out_dir) ND_CHECK(find_leftovers(out_dir, &l));
    if (log_path && *log_path) ND_CHECK(find_leftovers(log_path, &l));
    if (l.n) qsort(l.paths, l.n, sizeof *l.paths, str_cmp);
    for (size_t i = 0; i < l.n; i++)
        if (i == 0 || strcmp(l.paths[i], l.paths[i - 1]) != 0) fn(user, l.paths[i]);
out:
    for (size_t i = 0; i < l.n; i++) free(l.paths[i]);
    free(l.paths);
    return st;
}

/* Is `dir` empty?  1 yes, 0 no, -1 with errno. */
static int dir_is_empty(const char *dir) {
    DIR *d = opendir(dir);
    int empty = 1;
    if (!d) return -1;
    for (;;) {
        struct dirent *de = readdir(d);
        if (!de) break;
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
            empty = 0;
            break;
        }
    }
    (void)closedir(d);
    return empty;
}

/* With force, an existing output directory is replaced as a whole - so it
 * may hold only what this run writes (a previous cleaned copy): the target
 * files (sorted paths in `allowed`) and directories.  Returns ND_OK, or
 * fails naming the first other entry. */
static nd_status check_replaceable(nd_clean_plan *p, const char *dir, char **allowed,
                                   size_t nallowed, nd_clean_failure *fail) {
    nd_status st = ND_OK;
    DIR *d = opendir(dir);
    if (!d) return fail_at(p, fail, ND_CLEAN_ERR_IO, dir, errno, ND_ERR_IO);
    for (;;) {
        struct dirent *de;
        struct stat sb;
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno) st = fail_at(p, fail, ND_CLEAN_ERR_IO, dir, errno, ND_ERR_IO);
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        char *child = join(dir, de->d_name);
        if (!child) {
            st = ND_ERR_NOMEM;
            break;
        }
        if (lstat(child, &sb) != 0) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, child, errno, ND_ERR_IO);
        } else if (S_ISDIR(sb.st_mode)) {
            st = check_replaceable(p, child, allowed, nallowed, fail);
        } else if (!S_ISREG(sb.st_mode) ||
                   !bsearch(&child, allowed, nallowed, sizeof *allowed, str_cmp)) {
            st = fail_at(p, fail, ND_CLEAN_ERR_FOREIGN, child, 0, ND_ERR_INVALID);
        }
        free(child);
        if (st != ND_OK) break;
    }
    (void)closedir(d);
    return st;
}

typedef struct target {
    char *path;      /* below out_dir, as the caller named out_dir; NULL for a
                   record (its file is the container's target) */
    const char *rel; /* the part below out_dir (inside path) */
    size_t doc;      /* targets < nd: the document; after: nd + container */
} target;

/* The file document doc was read from: an archive member's archive, or the
 * document's own path. */
static const char *doc_file(const nd_report *r, size_t doc) {
    const nd_doc *d = &r->docs.docs[doc];
    return d->cont ? r->docs.conts[d->cont - 1].path : d->path;
}

/* Is path (which may not exist) one of the input documents' files? */
static int is_input_file(const nd_report *r, const struct stat *in_ids, const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) return 0;
    for (size_t i = 0; i < r->docs.n; i++)
        if (in_ids[i].st_ino == sb.st_ino && in_ids[i].st_dev == sb.st_dev &&
            in_ids[i].st_nlink != 0)
            return 1;
    return 0;
}

/* Refuses dir if it is (inside) an input directory. */
static nd_status check_dir(nd_clean_plan *p, const char *dir, char *const *in_dirs,
                           const char *const *inputs, size_t ninputs, nd_clean_failure *fail) {
    char *canon = canonical(dir);
    if (!canon) return fail_at(p, fail, ND_CLEAN_ERR_IO, dir, errno ? errno : ENOMEM, ND_ERR_IO);
    for (size_t i = 0; i < ninputs; i++) {
        if (in_dirs[i] && is_within(canon, in_dirs[i])) {
            free(canon);
            return fail_at(p, fail, ND_CLEAN_ERR_INPUT_DIR, inputs[i], 0, ND_ERR_INVALID);
        }
    }
    free(canon);
    return ND_OK;
}

/* The log's path below out_dir if it lies inside it (then it is written into
 * the tree and appears with it), else NULL; malloc'ed. */
static char *log_inside(const char *out_dir, const char *log_path) {
    char *cd = canonical(out_dir), *cl = canonical(log_path), *rel = NULL;
    if (cd && cl && is_within(cl, cd)) {
        const char *r = cl + strlen(cd);
        while (*r == '/') r++;
        if (*r) rel = nd_strdup(r);
    }
    free(cd);
    free(cl);
    return rel;
}

/*
 * The order of nd_clean_write_tree, what a reader sees at each step, and what
 * an interruption at that step leaves:
 *   1. checks; nothing written.
 *   2. the whole tree is written into DIR.neardup-tmp.XXXXXX (mkdtemp) next to
 *      DIR, every file fsync'ed; a log inside DIR goes into it too.
 *   3. a log outside DIR is written to LOG.neardup-tmp.XXXXXX (mkstemp) next
 *      to LOG, fsync'ed, and renamed to LOG.
 *   4. the temporary tree is renamed to DIR (rename(2) of a directory onto a
 *      missing name or an empty directory is atomic).  With force and an
 *      existing DIR: DIR is first renamed to another temporary sibling, the
 *      new tree renamed to DIR, then the old one removed.
 * So whenever DIR is the new tree, LOG is complete.  A cancellation
 * (nd_clean_cancel) or a failure at 2 or 3 removes the temporary tree and
 * file, and DIR and LOG are untouched; after a kill (SIGKILL, power loss) the
 * temporary siblings stay, under the names nd_clean_leftovers finds, and are
 * never reused.  A kill between 3 and 4 leaves LOG complete and DIR missing
 * (the new tree is then the leftover).
 */
nd_clean_error nd_clean_error_kind(const nd_clean_plan *p) {
    return p ? p->last.what : ND_CLEAN_ERR_NONE;
}

const char *nd_clean_error_path(const nd_clean_plan *p) {
    return p && p->last.path ? p->last.path : "";
}

int nd_clean_sys_errno(const nd_clean_plan *p) { return p ? p->last.sys_errno : 0; }

nd_status nd_clean_write_tree(nd_clean_plan *p, const char *const *inputs, size_t ninputs,
                              const char *out_dir, const char *log_path, int force) {
    nd_status st = ND_OK;
    const nd_report *r;
    target *tg = NULL;
    char **in_dirs = NULL, **allowed = NULL;
    char *base = NULL, *tmp_dir = NULL, *old_dir = NULL, *log_rel = NULL, *log_tmp = NULL;
    char *parent = NULL, *log_tree_path = NULL;
    struct stat *ids = NULL;
    size_t nd, nt, *first = NULL, nallowed = 0;
    uint64_t total_bytes = 0, done_bytes = 0;
    int err = 0, dir_exists = 0, dir_empty = 1, log_fd = -1;
    unsigned dmode = 0777 & ~nd_process_umask();
    nd_reader rd;

    if (!p) return ND_ERR_INVALID;
    nd_clean_failure *fail = &p->last;
    fail->what = ND_CLEAN_ERR_NONE;
    fail->path = "";
    fail->sys_errno = 0;
    if ((out_dir && !*out_dir) || (!out_dir && !log_path) || (ninputs && !inputs))
        return ND_ERR_INVALID;
    r = p->r;
    nd = out_dir ? r->docs.n : 0; /* no out_dir: the log alone */
    /* targets: the documents, then the containers (files of records) */
    nt = nd + (out_dir ? r->docs.nconts : 0);
    nd_reader_init(&rd, &r->docs);
    tg = nd_calloc(nt ? nt : 1, sizeof *tg);
    in_dirs = nd_calloc(ninputs ? ninputs : 1, sizeof *in_dirs);
    ids = nd_calloc(r->docs.n ? r->docs.n : 1, sizeof *ids);
    first = nd_mallocn(nd ? nd : 1, sizeof *first);
    allowed = nd_calloc(nt + 1, sizeof *allowed);
    if (!tg || !in_dirs || !ids || !first || !allowed) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    /* the input directories, canonical */
    for (size_t i = 0; i < ninputs; i++) {
        struct stat sb;
        if (strcmp(inputs[i], "-") != 0 && stat(inputs[i], &sb) == 0 && S_ISDIR(sb.st_mode)) {
            in_dirs[i] = realpath(inputs[i], NULL);
            if (!in_dirs[i]) {
                st = fail_at(p, fail, ND_CLEAN_ERR_IO, inputs[i], errno, ND_ERR_IO);
                goto out;
            }
        }
    }
    if (out_dir) ND_CHECK(check_dir(p, out_dir, in_dirs, inputs, ninputs, fail));
    if (log_path) {
        char *ld = nd_strdup(log_path);
        char *slash = ld ? strrchr(ld, '/') : NULL;
        if (!ld) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        if (slash) slash[slash == ld ? 1 : 0] = '\0';
        st = check_dir(p, slash ? ld : ".", in_dirs, inputs, ninputs, fail);
        free(ld);
        if (st != ND_OK) goto out;
    }
    /* the input files as loaded (their paths may be gone by now: a changed
     * file is left out below) */
    for (size_t i = 0; i < r->docs.n; i++) {
        const char *path = doc_file(r, i);
        if (strcmp(path, "-") == 0) {
            st = fail_at(p, fail, ND_CLEAN_ERR_STDIN, path, 0, ND_ERR_INVALID);
            goto out;
        }
        if (i > 0 && r->docs.docs[i].cont && r->docs.docs[i].cont == r->docs.docs[i - 1].cont) {
            ids[i] = ids[i - 1]; /* the same container: one stat() for all its parts */
            continue;
        }
        if (stat(path, &ids[i]) != 0 || (uint64_t)ids[i].st_dev != r->docs.docs[i].dev ||
            (uint64_t)ids[i].st_ino != r->docs.docs[i].ino) {
            memset(&ids[i], 0, sizeof ids[i]);
            ids[i].st_dev = (dev_t)r->docs.docs[i].dev;
            ids[i].st_ino = (ino_t)r->docs.docs[i].ino;
            ids[i].st_mode = 0644;
        }
        if (ids[i].st_nlink == 0) ids[i].st_nlink = 1;
    }
    /* targets (documents and containers each in input order) */
    for (size_t i = 0, arg = 0, carg = 0; i < nt; i++) {
        const char *path = i < nd ? r->docs.docs[i].path : r->docs.conts[i - nd].path;
        const char *rel = NULL;
        size_t *a = i < nd ? &arg : &carg;
        tg[i].doc = i;
        if (i < nd && r->docs.docs[i].cont) continue; /* a record */
        while (*a < ninputs && !(rel = relative_to(path, inputs[*a]))) (*a)++;
        if (!rel) { /* not from the inputs given: keep its base name */
            const char *b = strrchr(path, '/');
            rel = b ? b + 1 : path;
            *a = 0;
        }
        tg[i].path = join(out_dir, rel);
        if (!tg[i].path) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        tg[i].rel = tg[i].path + strlen(tg[i].path) - strlen(rel);
        allowed[nallowed++] = tg[i].path;
    }
    if (out_dir && log_path) {
        log_rel = log_inside(out_dir, log_path);
        if (log_rel) {
            log_tree_path = join(out_dir, log_rel);
            if (!log_tree_path) {
                st = ND_ERR_NOMEM;
                goto out;
            }
            allowed[nallowed++] = log_tree_path;
        }
    }
    qsort(allowed, nallowed, sizeof *allowed, str_cmp);
    for (size_t i = 1; i < nallowed; i++) {
        if (strcmp(allowed[i], allowed[i - 1]) == 0) {
            st = fail_at(p, fail, ND_CLEAN_ERR_COLLISION, allowed[i], 0, ND_ERR_INVALID);
            goto out;
        }
    }
    for (size_t i = 0; i <= nt; i++) {
        const char *t = i < nt ? tg[i].path : log_path;
        if (!t) continue;
        if (is_input_file(r, ids, t)) {
            st = fail_at(p, fail, ND_CLEAN_ERR_INPUT_FILE, t, 0, ND_ERR_INVALID);
            goto out;
        }
        if (i == nt && log_path) {
            for (size_t k = 0; k < nt; k++) {
                if (tg[k].path && strcmp(tg[k].path, log_path) == 0) {
                    st = fail_at(p, fail, ND_CLEAN_ERR_COLLISION, log_path, 0, ND_ERR_INVALID);
                    goto out;
                }
            }
        }
    }
    /* the output directory: missing, empty, or (with force) a previous
     * cleaned copy that is replaced as a whole */
    if (out_dir) {
        struct stat sb;
        if (lstat(out_dir, &sb) == 0) {
            if (!S_ISDIR(sb.st_mode)) {
                st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, ENOTDIR, ND_ERR_IO);
                goto out;
            }
            dir_exists = 1;
            dir_empty = dir_is_empty(out_dir);
            if (dir_empty < 0) {
                st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, errno, ND_ERR_IO);
                goto out;
            }
        } else if (errno != ENOENT) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, errno, ND_ERR_IO);
            goto out;
        }
        if (dir_exists && !dir_empty) {
            if (!force) {
                const char *shown = out_dir;
                for (size_t i = 0; i < nallowed; i++) {
                    if (lstat(allowed[i], &sb) == 0) {
                        shown = allowed[i];
                        break;
                    }
                }
                st = fail_at(p, fail, ND_CLEAN_ERR_EXISTS, shown, 0, ND_ERR_INVALID);
                goto out;
            }
            ND_CHECK(check_replaceable(p, out_dir, allowed, nallowed, fail));
        }
    }
    if (log_path && !log_rel) {
        struct stat sb;
        if (lstat(log_path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                st = fail_at(p, fail, ND_CLEAN_ERR_IO, log_path, EISDIR, ND_ERR_IO);
                goto out;
            }
            if (!force) {
                st = fail_at(p, fail, ND_CLEAN_ERR_EXISTS, log_path, 0, ND_ERR_INVALID);
                goto out;
            }
        }
    }

    /* 2. the tree, in a temporary sibling of out_dir */
    if (out_dir) {
        base = sibling_base(out_dir);
        if (!base) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, errno, ND_ERR_IO);
            goto out;
        }
        parent = parent_of(base);
        tmp_dir = tmp_template(base);
        if (!parent || !tmp_dir) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        err = mkdirs(parent);
        if (err) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, err, ND_ERR_IO);
            goto out;
        }
        if (!mkdtemp(tmp_dir)) {
            err = errno;
            tmp_dir[0] = '\0'; /* nothing to remove */
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, err, ND_ERR_IO);
            goto out;
        }
        if (chmod(tmp_dir, (mode_t)dmode) != 0) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, errno, ND_ERR_IO);
            goto out;
        }
    }
    for (size_t i = 0; i < nd; i++) first[i] = p->nrm;
    for (size_t i = p->nrm; i-- > 0;)
        if (p->rm[i].doc < nd) first[p->rm[i].doc] = i;
    for (size_t i = 0; i < nt; i++)
        total_bytes += i < nd ? r->docs.docs[i].size : r->docs.conts[i - nd].size;
    if (p->progress && nt) p->progress(p->progress_user, 0, total_bytes);
    for (size_t i = 0; i < nt; i++) {
        if (!tg[i].path) continue; /* a record: written with its file */
        const nd_container *ct = i < nd ? NULL : &r->docs.conts[i - nd];
        char *path = join(tmp_dir, tg[i].rel);
        char *slash = path ? strrchr(path, '/') : NULL;
        doc_ctx ctx = {p, &rd, (uint32_t)i, i < nd ? first[i] : 0};
        cont_ctx cctx = {p, &rd, (uint32_t)(i - nd), first};
        unsigned mode = 0644;
        /* an archive (archive.c) is written again as an archive */
        int is_arch = ct && ct->kind == ND_CONT_ARCHIVE;
        archive_ctx actx;
        memset(&actx, 0, sizeof actx);
        if (is_arch)
            actx = (archive_ctx){.p = p,
                                 .rd = &rd,
                                 .af = ct,
                                 .doc1 = ct->first + ct->n,
                                 .cur = ct->first,
                                 .first = first};
        if (!path) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        if (cancelled(p)) {
            free(path);
            st = ND_ERR_CANCELLED;
            goto out;
        }
        err = 0;
        *slash = '\0';
        err = mkdirs(path);
        *slash = '/';
        if (ct) {
            struct stat sb;
            if (stat(ct->path, &sb) == 0 && (uint64_t)sb.st_dev == ct->dev &&
                (uint64_t)sb.st_ino == ct->ino)
                mode = (unsigned)sb.st_mode & 07777;
        } else {
            mode = (unsigned)ids[i].st_mode & 07777;
        }
        if (is_arch && !err && ct->damaged) /* damage met when it was read */
            st = ND_ERR_ARCHIVE;
        else if (!err && !(ct ? cont_left_out(r, ct) : left_out(r, i)))
            st = is_arch ? write_new(path, mode, fill_archive, &actx, &err)
                 : ct    ? write_new(path, mode, fill_container, &cctx, &err)
                         : write_new(path, mode, fill_doc, &ctx, &err);
        else
            st = err ? ND_ERR_IO : ND_ERR_CHANGED;
        free(path);
        done_bytes += ct ? ct->size : r->docs.docs[i].size;
        if (is_arch && (st == ND_ERR_CHANGED || st == ND_ERR_ARCHIVE)) { /* left out, said */
            archive_left_out(r, ct, ct->first, ct->first + ct->n, st,
                             ct->damaged ? "damaged when it was read" : actx.why);
            st = ND_OK;
        }
        if (st == ND_ERR_CHANGED) { /* left out, reported */
            if (ct)
                cont_late_change(r, ct);
            else
                nd_report_late_change(r, i);
            st = ND_OK;
        }
        if (st == ND_ERR_CANCELLED) goto out;
        if (st != ND_OK) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, tg[i].path, err, st);
            goto out;
        }
        if (p->progress) p->progress(p->progress_user, done_bytes, total_bytes);
    }
    if (log_rel) { /* inside the tree: it appears with it */
        char *path = join(tmp_dir, log_rel);
        char *slash = path ? strrchr(path, '/') : NULL;
        if (!path) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        *slash = '\0';
        err = mkdirs(path);
        *slash = '/';
        st = err ? ND_ERR_IO : write_new(path, 0666 & ~nd_process_umask(), fill_log, p, &err);
        free(path);
        if (st != ND_OK) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, log_path, err, st);
            goto out;
        }
    }
    /* 3. a log outside the tree: complete before the tree appears */
    if (log_path && !log_rel) {
        char *lbase = sibling_base(log_path);
        nd_fd_out fo = {-1, 0};
        if (!lbase || !(log_tmp = tmp_template(lbase))) {
            free(lbase);
            st = ND_ERR_NOMEM;
            goto out;
        }
        free(lbase);
        log_fd = mkstemp(log_tmp);
        if (log_fd < 0) {
            err = errno;
            log_tmp[0] = '\0';
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, log_path, err, ND_ERR_IO);
            goto out;
        }
        fo.fd = log_fd;
        err = 0;
        st = fill_log(p, &fo, &err);
        if (st == ND_OK &&
            (fchmod(log_fd, (mode_t)(0666 & ~nd_process_umask())) != 0 || fsync(log_fd) != 0)) {
            st = ND_ERR_IO;
            err = errno;
        }
        if (close(log_fd) != 0 && st == ND_OK) {
            st = ND_ERR_IO;
            err = errno;
        }
        log_fd = -1;
        if (st != ND_OK) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, log_path, err ? err : EIO, st);
            goto out;
        }
    }
    if (cancelled(p)) {
        st = ND_ERR_CANCELLED;
        goto out;
    }
    if (tmp_dir) sync_path(tmp_dir);
    if (log_tmp) {
        if (rename(log_tmp, log_path) != 0) {
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, log_path, errno, ND_ERR_IO);
            goto out;
        }
        log_tmp[0] = '\0'; /* renamed */
        {
            char *lbase = sibling_base(log_path), *ldir = lbase ? parent_of(lbase) : NULL;
            if (ldir) sync_path(ldir);
            free(ldir);
            free(lbase);
        }
    }
    /* 4. the tree appears at once */
    if (tmp_dir) {
        if (dir_exists && !dir_empty) { /* force: move the old copy aside */
            old_dir = tmp_template(base);
            if (!old_dir) {
                st = ND_ERR_NOMEM;
                goto out;
            }
            if (!mkdtemp(old_dir)) {
                err = errno;
                free(old_dir);
                old_dir = NULL;
                st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, err, ND_ERR_IO);
                goto out;
            }
            if (rename(out_dir, old_dir) != 0) { /* onto the empty directory */
                err = errno;
                (void)rmdir(old_dir);
                free(old_dir);
                old_dir = NULL;
                st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, err, ND_ERR_IO);
                goto out;
            }
        }
        if (rename(tmp_dir, out_dir) != 0) {
            err = errno;
            if (old_dir && rename(old_dir, out_dir) == 0) { /* put it back */
                free(old_dir);
                old_dir = NULL;
            }
            st = fail_at(p, fail, ND_CLEAN_ERR_IO, out_dir, err, ND_ERR_IO);
            goto out;
        }
        tmp_dir[0] = '\0'; /* renamed */
        sync_path(parent);
        if (old_dir) (void)remove_tree(old_dir); /* a failure leaves a named leftover */
    }
out:
    if (log_fd >= 0) (void)close(log_fd);
    if (log_tmp && log_tmp[0]) (void)unlink(log_tmp);
    if (tmp_dir && tmp_dir[0]) (void)remove_tree(tmp_dir);
    if (tg)
        for (size_t i = 0; i < nt; i++) free(tg[i].path);
    free(log_tree_path);
    free(allowed); /* its strings are tg's and log_tree_path */
    free(tg);
    if (in_dirs)
        for (size_t i = 0; i < ninputs; i++) free(in_dirs[i]);
    free(in_dirs);
    free(ids);
    free(first);
    free(base);
    free(parent);
    free(tmp_dir);
    free(old_dir);
    free(log_rel);
    free(log_tmp);
    nd_reader_release(&rd);
    return st;
}
