/*
 * write_text.c - the "text" format: a report for a person at a terminal.
 *
 * Layout (every line ends with "\n"; sections are separated by one blank
 * line; `top` caps the rows of sections 2-5, 0 = no cap, and a capped
 * section ends with "  … and N more"):
 *
 *   neardup report
 *     files        4 read, 0 inputs skipped
 *     paragraphs   8 (0 below --min-chars, not compared)
 *     clustered    5 paragraphs in 2 clusters
 *     duplicated   37.5% of comparable characters (240 of 640)
 *                  removable, keeping the first copy of each cluster
 *     common text  2 clusters in more than 100 documents, left out of ...
 *     LSH          threshold 0.80, num_perm 128, 9 bands x 13 rows, shingle 5
 *
 *   Documents with the most text found elsewhere
 *     elsewhere %  within %  paragraphs  path
 *           50.0%      0.0%           2  a.txt
 *
 *   Document pairs with the most overlap
 *      50.0% of a.txt appears in c.txt   100.0% of c.txt appears in a.txt   (1 cluster)
 *
 *   Repetition within documents
 *     within %  paragraphs repeated  path
 *        33.3%                    1  d.txt
 *
 *   Largest clusters
 *     path:line, Jaccard similarity to the first member, text
 *   #0  3 paragraphs in 3 documents
 *     a.txt:1  1.0000  alpha bravo charlie delta echo foxtrot…
 *     b.txt:2  1.0000  alpha bravo charlie delta echo foxtrot…
 *
 *   Copied passages                                   (with --passages)
 *   #0  120 characters in 3 places, 2 documents
 *     a.txt:4  In the morning the river was quiet and the stones…
 *     a.txt:9  In the morning the river was quiet and the stones…
 *     b.txt:1  In the morning the river was quiet and the stones…
 *
 * (the "common text" line only when there are such clusters; it ends with
 * "document pairs (--common-docs)").  Shares are
 * percentages with one decimal, rounded half up from exact integers.
 * Section 2 lists documents with text found in other documents, by that
 * share descending (ties: input order); "within" is the share repeated
 * inside the document itself.  Section 3 follows the report's order of
 * overlaps.  Section 4 lists documents that repeat their own paragraphs, by
 * share descending; "repeated" counts paragraphs whose cluster has an
 * earlier member in the same document (with --passages: places of a passage
 * after its first in the document).  Section 5 shows the largest
 * clusters, at most 10 members each: path:line, the Jaccard similarity to
 * the representative (the first member) and a preview of `preview`
 * characters of the original text, "…" when cut (spaces before the "…"
 * are dropped).  When there are no
 * clusters, sections 2-5 are replaced by one line, "No repeated paragraphs
 * found at threshold 0.80." (with --passages only section 5 is: sections
 * 2-4 then come from the passages).  Section 6, only with --passages, lists the
 * copied passages largest first, at most 10 places each (path:line and a
 * preview), with their similarity when below 1 and "(common text)" when in
 * more than common_docs documents.  Columns are aligned by display width (East
 * Asian wide characters count 2); previews are printed with control
 * characters as spaces and invalid UTF-8 as U+FFFD, and start after the
 * text's leading white space; paths with every control character and
 * invalid byte escaped as \xNN (nd_sink_name, as the diagnostics do).
 * Lines fit `width` columns (100 unless nd_report_write_width gives the
 * terminal's): previews are cut to fit, a document pair too wide for one
 * line takes two; paths are never cut.
 */
#include "write.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nd_internal.h"

#define MAX_MEMBERS_SHOWN 10
#define ELLIPSIS          "\xE2\x80\xA6" /* U+2026 */

/* ------------------------------------------------------------------------ */
/* Small formatting helpers                                                   */
/* ------------------------------------------------------------------------ */

/* num/den as a percentage with one decimal, e.g. "41.2%", into buf. */
static size_t fmt_pct(char *buf, size_t size, uint64_t num, uint64_t den) {
    uint64_t pm = nd_share_units(num, den, 3); /* per mille, write.c's rule */
    int n = snprintf(buf, size, "%" PRIu64 ".%" PRIu64 "%%", pm / 10, pm % 10);
    return n < 0 ? 0 : (size_t)n;
}

static size_t fmt_u64(char *buf, size_t size, uint64_t v) {
    int n = snprintf(buf, size, "%" PRIu64, v);
    return n < 0 ? 0 : (size_t)n;
}

/* str right-aligned in `width` columns (str is ASCII). */
static nd_status put_right(nd_sink *s, const char *str, size_t len, size_t width) {
    if (len < width) ND_TRY(nd_sink_repeat(s, ' ', width - len));
    return nd_sink_write(s, str, len);
}

static nd_status put_pct(nd_sink *s, uint64_t num, uint64_t den, size_t width) {
    char buf[32];
    size_t len = fmt_pct(buf, sizeof buf, num, den);
    return put_right(s, buf, len, width);
}

static nd_status put_num(nd_sink *s, uint64_t v, size_t width) {
    char buf[32];
    size_t len = fmt_u64(buf, sizeof buf, v);
    return put_right(s, buf, len, width);
}

/* A path for the terminal, padded with spaces to `width` columns. */
static nd_status put_path(nd_sink *s, const char *path, size_t width) {
    size_t len = path ? strlen(path) : 0;
    ND_TRY(nd_sink_name(s, path ? path : "", len));
    size_t w = nd_wr_name_width(path ? path : "", len);
    return w < width ? nd_sink_repeat(s, ' ', width - w) : ND_OK;
}

static size_t path_width(const char *path) {
    return path ? nd_wr_name_width(path, strlen(path)) : 0;
}

/* Threshold with 2 to 4 decimals: 0.8 -> "0.80", 0.825 -> "0.825". */
static nd_status put_threshold(nd_sink *s, double threshold) {
    uint64_t u = nd_unit_units(threshold, 4);
    char buf[8];
    size_t n = 4;
    for (size_t i = 4; i > 0; i--) {
        buf[i - 1] = (char)('0' + (int)(u % 10));
        u /= 10;
    }
    while (n > 2 && buf[n - 1] == '0') n--;
    ND_TRY(nd_sink_u64(s, u));
    ND_TRY(nd_sink_putc(s, '.'));
    return nd_sink_write(s, buf, n);
}

static nd_status put_more(nd_sink *s, size_t more) {
    if (more == 0) return ND_OK;
    ND_TRY(nd_sink_puts(s, "  " ELLIPSIS " and "));
    ND_TRY(nd_sink_u64(s, more));
    return nd_sink_puts(s, " more\n");
}

static size_t cap_rows(size_t n, unsigned top) { return top == 0 || n < top ? n : top; }

/* ------------------------------------------------------------------------ */
/* Section 1: totals                                                          */
/* ------------------------------------------------------------------------ */

static nd_status section_totals(nd_sink *s, const nd_summary *sm, uint64_t comparable) {
    ND_TRY(nd_sink_puts(s, "neardup report\n"));
    ND_TRY(nd_sink_puts(s, "  files        "));
    ND_TRY(nd_sink_u64(s, sm->files));
    ND_TRY(nd_sink_puts(s, " read, "));
    ND_TRY(nd_sink_u64(s, sm->skipped));
    ND_TRY(nd_sink_puts(s, sm->skipped == 1 ? " input skipped\n  split        "
                                            : " inputs skipped\n  split        "));
    ND_TRY(nd_sink_u64(s, sm->split_line));
    ND_TRY(nd_sink_puts(s, sm->split_line == 1 ? " file by lines, " : " files by lines, "));
    ND_TRY(nd_sink_u64(s, sm->split_blank));
    ND_TRY(nd_sink_puts(s, " at blank lines\n  paragraphs   "));
    ND_TRY(nd_sink_u64(s, sm->paragraphs));
    ND_TRY(nd_sink_puts(s, " ("));
    ND_TRY(nd_sink_u64(s, sm->short_paragraphs));
    ND_TRY(nd_sink_puts(s, " below --min-chars, not compared)\n  clustered    "));
    ND_TRY(nd_sink_u64(s, sm->clustered_paragraphs));
    ND_TRY(nd_sink_puts(s, sm->clustered_paragraphs == 1 ? " paragraph in " : " paragraphs in "));
    ND_TRY(nd_sink_u64(s, sm->clusters));
    ND_TRY(nd_sink_puts(s, sm->clusters == 1 ? " cluster\n" : " clusters\n"));
    ND_TRY(nd_sink_puts(s, "  duplicated   "));
    ND_TRY(put_pct(s, sm->duplicated_chars, comparable, 0));
    ND_TRY(nd_sink_puts(s, " of comparable characters ("));
    ND_TRY(nd_sink_u64(s, sm->duplicated_chars));
    ND_TRY(nd_sink_puts(s, " of "));
    ND_TRY(nd_sink_u64(s, comparable));
    ND_TRY(
        nd_sink_puts(s, ")\n               removable, keeping the first copy of each cluster\n"));
    if (sm->common_clusters) {
        ND_TRY(nd_sink_puts(s, "  common text  "));
        ND_TRY(nd_sink_u64(s, sm->common_clusters));
        ND_TRY(nd_sink_puts(s, sm->common_clusters == 1 ? " cluster" : " clusters"));
        ND_TRY(nd_sink_puts(s, " in more than "));
        ND_TRY(nd_sink_u64(s, sm->common_docs));
        ND_TRY(nd_sink_puts(s, " documents, left out of document pairs (--common-docs)\n"));
    }
    if (sm->passages) {
        ND_TRY(nd_sink_puts(s, "  passages     "));
        ND_TRY(nd_sink_u64(s, sm->passage_records));
        ND_TRY(nd_sink_puts(s, sm->passage_records == 1 ? " copied passage of "
                                                        : " copied passages of "));
        ND_TRY(nd_sink_u64(s, sm->min_passage));
        ND_TRY(nd_sink_puts(s, "+ characters"));
        if (sm->common_passages) {
            ND_TRY(nd_sink_puts(s, ", "));
            ND_TRY(nd_sink_u64(s, sm->common_passages));
            ND_TRY(nd_sink_puts(s, " of them common text"));
        }
        ND_TRY(nd_sink_puts(s, "\n"));
    }
    ND_TRY(nd_sink_puts(s, "  LSH          threshold "));
    ND_TRY(put_threshold(s, sm->threshold));
    ND_TRY(nd_sink_puts(s, ", num_perm "));
    ND_TRY(nd_sink_u64(s, sm->num_perm));
    ND_TRY(nd_sink_puts(s, ", "));
    ND_TRY(nd_sink_u64(s, sm->bands));
    ND_TRY(nd_sink_puts(s, " bands x "));
    ND_TRY(nd_sink_u64(s, sm->rows));
    ND_TRY(nd_sink_puts(s, " rows, shingle "));
    ND_TRY(nd_sink_u64(s, sm->shingle));
    return nd_sink_puts(s, "\n");
}

/* ------------------------------------------------------------------------ */
/* Ranking documents by a share                                               */
/* ------------------------------------------------------------------------ */

typedef struct ranked {
    size_t doc;
    uint64_t num, den; /* the share num/den */
} ranked;

static int ranked_cmp(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    int c = nd_ratio_cmp(b->num, b->den, a->num, a->den); /* descending */
    if (c) return c;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

/* Documents with a non-zero elsewhere share (within = 0) or within share
 * (within = 1), best first.  *out is malloc'ed (NULL when *n is 0). */
static nd_status rank_documents(const nd_report *r, int within, ranked **out, size_t *n) {
    size_t ndocs = nd_report_document_count(r), k = 0;
    ranked *v = NULL;
    nd_status st = ND_OK;
    *out = NULL;
    *n = 0;
    if (ndocs == 0) return ND_OK;
    v = nd_mallocn(ndocs, sizeof *v);
    if (!v) return ND_ERR_NOMEM;
    for (size_t i = 0; i < ndocs; i++) {
        nd_document_info d;
        ND_CHECK(nd_report_document(r, i, &d));
        uint64_t num = within ? d.within_chars : d.elsewhere_chars;
        if (num == 0) continue;
        v[k].doc = i;
        v[k].num = num;
        v[k].den = nd_wr_comparable(r, i);
        k++;
    }
    if (k > 1) qsort(v, k, sizeof *v, ranked_cmp);
    *out = v;
    *n = k;
    v = NULL;
out:
    free(v);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Section 2: documents with text found elsewhere                              */
/* ------------------------------------------------------------------------ */

static nd_status section_elsewhere(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    ranked *v = NULL;
    size_t n = 0;
    nd_status st;
    ND_CHECK(nd_sink_puts(s, "\nDocuments with the most text found elsewhere\n"));
    ND_CHECK(rank_documents(r, 0, &v, &n));
    if (n == 0) {
        ND_CHECK(nd_sink_puts(s, "  (none)\n"));
        goto out;
    }
    ND_CHECK(nd_sink_puts(s, "  elsewhere %  within %  paragraphs  path\n"));
    size_t shown = cap_rows(n, wo->top);
    for (size_t i = 0; i < shown; i++) {
        nd_document_info d;
        ND_CHECK(nd_report_document(r, v[i].doc, &d));
        ND_CHECK(nd_sink_puts(s, "  "));
        ND_CHECK(put_pct(s, d.elsewhere_chars, v[i].den, 11));
        ND_CHECK(nd_sink_puts(s, "  "));
        ND_CHECK(put_pct(s, d.within_chars, v[i].den, 8));
        ND_CHECK(nd_sink_puts(s, "  "));
        ND_CHECK(put_num(s, d.paragraphs, 10));
        ND_CHECK(nd_sink_puts(s, "  "));
        ND_CHECK(put_path(s, d.path, 0));
        ND_CHECK(nd_sink_putc(s, '\n'));
    }
    ND_CHECK(put_more(s, n - shown));
out:
    free(v);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Section 3: document pairs                                                  */
/* ------------------------------------------------------------------------ */

static nd_status section_pairs(const nd_report *r, const nd_write_options *wo, size_t width,
                               nd_sink *s) {
    size_t n = nd_report_overlap_count(r);
    size_t shown = cap_rows(n, wo->top), wa = 0, wb = 0;
    nd_summary sm;
    ND_TRY(nd_report_summary(r, &sm));
    ND_TRY(nd_sink_puts(s, "\nDocument pairs with the most overlap\n"));
    if (n == 0) return nd_sink_puts(s, "  (none)\n");
    for (size_t i = 0; i < shown; i++) {
        nd_overlap_info o;
        nd_document_info da, db;
        ND_TRY(nd_report_overlap(r, i, &o));
        ND_TRY(nd_report_document(r, o.a, &da));
        ND_TRY(nd_report_document(r, o.b, &db));
        wa = ND_MAX(wa, path_width(da.path));
        wb = ND_MAX(wb, path_width(db.path));
    }
    for (size_t i = 0; i < shown; i++) {
        nd_overlap_info o;
        nd_document_info da, db;
        ND_TRY(nd_report_overlap(r, i, &o));
        ND_TRY(nd_report_document(r, o.a, &da));
        ND_TRY(nd_report_document(r, o.b, &db));
        ND_TRY(nd_sink_puts(s, "  "));
        ND_TRY(put_pct(s, o.a_in_b, nd_wr_comparable(r, o.a), 6));
        ND_TRY(nd_sink_puts(s, " of "));
        ND_TRY(put_path(s, da.path, wa));
        ND_TRY(nd_sink_puts(s, " appears in "));
        ND_TRY(put_path(s, db.path, wb));
        /* both directions on one line when they fit, else on two */
        if (2 + 6 + 4 + wa + 12 + wb + 3 + 6 + 4 + wb + 12 + wa + 16 <= width) {
            ND_TRY(nd_sink_puts(s, "   "));
        } else {
            ND_TRY(nd_sink_puts(s, "\n  "));
        }
        ND_TRY(put_pct(s, o.b_in_a, nd_wr_comparable(r, o.b), 6));
        ND_TRY(nd_sink_puts(s, " of "));
        ND_TRY(put_path(s, db.path, wb));
        ND_TRY(nd_sink_puts(s, " appears in "));
        ND_TRY(put_path(s, da.path, wa));
        ND_TRY(nd_sink_puts(s, "   ("));
        ND_TRY(nd_sink_u64(s, o.clusters));
        if (sm.passages) /* the overlaps come from the passages */
            ND_TRY(nd_sink_puts(s, o.clusters == 1 ? " passage)\n" : " passages)\n"));
        else
            ND_TRY(nd_sink_puts(s, o.clusters == 1 ? " cluster)\n" : " clusters)\n"));
    }
    return put_more(s, n - shown);
}

/* ------------------------------------------------------------------------ */
/* Section 4: repetition within documents                                     */
/* ------------------------------------------------------------------------ */

/* repeated[d] = paragraphs of document d whose cluster has an earlier member
 * in d (with passages on: places of passages with an earlier place in d).  Cluster members are ascending paragraph indices and paragraphs are
 * ordered by document, so a member repeats one of its own document exactly
 * when the member before it belongs to the same document. */
static nd_status count_repeated(const nd_report *r, uint64_t *repeated) {
    nd_summary sum;
    ND_TRY(nd_report_summary(r, &sum));
    if (sum.passages) { /* the within share comes from passages: so do these,
                           each place of a passage after its first in d */
        for (size_t k = 0; k < nd_report_passage_count(r); k++) {
            nd_passage_record_info pi;
            uint32_t prev_doc = UINT32_MAX;
            ND_TRY(nd_report_passage(r, k, &pi));
            if (pi.common) continue;
            for (size_t j = 0; j < pi.places; j++) {
                nd_passage_place pl;
                ND_TRY(nd_report_passage_place(r, k, j, &pl));
                if (pl.doc == prev_doc) repeated[pl.doc]++;
                prev_doc = pl.doc;
            }
        }
        return ND_OK;
    }
    size_t nclusters = nd_report_cluster_count(r);
    for (size_t k = 0; k < nclusters; k++) {
        nd_cluster_info c;
        uint32_t prev_doc = UINT32_MAX;
        ND_TRY(nd_report_cluster(r, k, &c));
        for (size_t m = 0; m < c.size; m++) {
            nd_paragraph_info p;
            ND_TRY(nd_report_paragraph(r, c.members[m], &p));
            if (p.doc == prev_doc) repeated[p.doc]++;
            prev_doc = p.doc;
        }
    }
    return ND_OK;
}

static nd_status section_within(const nd_report *r, const nd_write_options *wo, nd_sink *s) {
    ranked *v = NULL;
    uint64_t *repeated = NULL;
    size_t n = 0, ndocs = nd_report_document_count(r);
    nd_status st;
    ND_CHECK(nd_sink_puts(s, "\nRepetition within documents\n"));
    ND_CHECK(rank_documents(r, 1, &v, &n));
    if (n == 0) {
        ND_CHECK(nd_sink_puts(s, "  (none)\n"));
        goto out;
    }
    repeated = nd_calloc(ndocs, sizeof *repeated);
    if (!repeated) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(count_repeated(r, repeated));
    ND_CHECK(nd_sink_puts(s, "  within %  paragraphs repeated  path\n"));
    size_t shown = cap_rows(n, wo->top);
    for (size_t i = 0; i < shown; i++) {
        nd_document_info d;
        ND_CHECK(nd_report_document(r, v[i].doc, &d));
        ND_CHECK(nd_sink_puts(s, "  "));
        ND_CHECK(put_pct(s, d.within_chars, v[i].den, 8));
        ND_CHECK(nd_sink_puts(s, "  "));
        ND_CHECK(put_num(s, repeated[v[i].doc], 19));
        ND_CHECK(nd_sink_puts(s, "  "));
        ND_CHECK(put_path(s, d.path, 0));
        ND_CHECK(nd_sink_putc(s, '\n'));
    }
    ND_CHECK(put_more(s, n - shown));
out:
    free(v);
    free(repeated);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Section 5: largest clusters                                                */
/* ------------------------------------------------------------------------ */

/* Display width of "path:line". */
static size_t location_width(const char *path, uint32_t line) {
    char buf[32];
    return path_width(path) + 1 + fmt_u64(buf, sizeof buf, line);
}

/* "  path:line", padded to width. */
static nd_status put_location(nd_sink *s, const char *path, uint32_t line, size_t width) {
    size_t w = location_width(path, line);
    ND_TRY(nd_sink_puts(s, "  "));
    ND_TRY(put_path(s, path, 0));
    ND_TRY(nd_sink_putc(s, ':'));
    ND_TRY(nd_sink_u64(s, line));
    return w < width ? nd_sink_repeat(s, ' ', width - w) : ND_OK;
}

/* Length of the white space (ASCII, no-break and ideographic spaces) that
 * starts s[0..n-1]: a preview starts at the text. */
static size_t leading_space(const char *str, size_t n) {
    const unsigned char *p = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t adv;
        uint32_t cp = nd_wr_utf8_next(p + i, n - i, &adv);
        if (!(cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xA0 || cp == 0x3000)) break;
        i += adv;
    }
    return i;
}

/* "  " and the first `preview` characters of text after its leading white
 * space, "…" when cut (spaces before it dropped), in at most `cols` display
 * columns ("  " and "…" included); nothing when preview is 0 or fewer than
 * 8 columns are left. */
static nd_status put_preview_text(nd_sink *s, const char *text, size_t len, unsigned preview,
                                  size_t cols) {
    int cut;
    if (preview == 0 || cols < 8) return ND_OK;
    size_t skip = leading_space(text, len);
    text += skip;
    len -= skip;
    len = nd_wr_fit_preview(text, len, preview, cols - 2, 1, &cut); /* "  " and "…" */
    while (cut && len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t')) len--;
    ND_TRY(nd_sink_puts(s, "  "));
    ND_TRY(nd_sink_text(s, text, len));
    return cut ? nd_sink_puts(s, ELLIPSIS) : ND_OK;
}

/* "\n… and N more clusters" after a capped section. */
static nd_status put_more_blocks(nd_sink *s, size_t more, const char *one, const char *many) {
    if (more == 0) return ND_OK;
    ND_TRY(nd_sink_puts(s, "\n" ELLIPSIS " and "));
    ND_TRY(nd_sink_u64(s, more));
    ND_TRY(nd_sink_puts(s, more == 1 ? one : many));
    return nd_sink_putc(s, '\n');
}

static nd_status cluster_block(const nd_report *r, const nd_write_options *wo, size_t width,
                               size_t k, nd_sink *s) {
    nd_cluster_info c;
    size_t width_loc = 0;
    ND_TRY(nd_report_cluster(r, k, &c));
    size_t shown = ND_MIN(c.size, (size_t)MAX_MEMBERS_SHOWN);
    ND_TRY(nd_sink_putc(s, '#'));
    ND_TRY(nd_sink_u64(s, k));
    ND_TRY(nd_sink_puts(s, "  "));
    ND_TRY(nd_sink_u64(s, c.size));
    ND_TRY(nd_sink_puts(s, " paragraphs in "));
    ND_TRY(nd_sink_u64(s, c.documents));
    ND_TRY(nd_sink_puts(s, c.documents == 1 ? " document\n" : " documents\n"));
    for (size_t m = 0; m < shown; m++) {
        nd_paragraph_info p;
        nd_document_info d;
        ND_TRY(nd_report_paragraph(r, c.members[m], &p));
        ND_TRY(nd_report_document(r, p.doc, &d));
        width_loc = ND_MAX(width_loc, location_width(d.path, p.line));
    }
    for (size_t m = 0; m < shown; m++) {
        nd_paragraph_info p;
        nd_document_info d;
        const char *text = "";
        size_t len = 0;
        ND_TRY(nd_report_paragraph(r, c.members[m], &p));
        ND_TRY(nd_report_document(r, p.doc, &d));
        ND_TRY(put_location(s, d.path, p.line, width_loc));
        ND_TRY(nd_sink_puts(s, "  "));
        ND_TRY(nd_sink_fixed(s, nd_unit_units(m == 0 ? 1.0 : p.similarity, 4), 4));
        if (wo->preview) ND_TRY(nd_report_paragraph_text(r, c.members[m], &text, &len));
        /* "  " location "  " similarity (6) */
        size_t used = 2 + ND_MAX(width_loc, location_width(d.path, p.line)) + 2 + 6;
        ND_TRY(put_preview_text(s, text, len, wo->preview, width > used ? width - used : 0));
        ND_TRY(nd_sink_putc(s, '\n'));
    }
    return put_more(s, c.size - shown);
}

static nd_status section_clusters(const nd_report *r, const nd_write_options *wo, size_t width,
                                  nd_sink *s) {
    size_t n = nd_report_cluster_count(r);
    size_t shown = cap_rows(n, wo->top);
    ND_TRY(nd_sink_puts(s, "\nLargest clusters\n"
                           "  path:line, Jaccard similarity to the first member, text\n"));
    for (size_t k = 0; k < shown; k++) {
        if (k) ND_TRY(nd_sink_putc(s, '\n'));
        ND_TRY(cluster_block(r, wo, width, k, s));
    }
    return put_more_blocks(s, n - shown, " more cluster", " more clusters");
}

/* ------------------------------------------------------------------------ */
/* Section 6: copied passages (--passages)                                    */
/* ------------------------------------------------------------------------ */

static nd_status passage_block(const nd_report *r, const nd_write_options *wo, size_t cols,
                               size_t i, nd_sink *s) {
    nd_passage_record_info pi;
    size_t width = 0;
    ND_TRY(nd_report_passage(r, i, &pi));
    size_t shown = ND_MIN(pi.places, (size_t)MAX_MEMBERS_SHOWN);
    ND_TRY(nd_sink_putc(s, '#'));
    ND_TRY(nd_sink_u64(s, i));
    ND_TRY(nd_sink_puts(s, "  "));
    ND_TRY(nd_sink_u64(s, pi.chars));
    ND_TRY(nd_sink_puts(s, " characters in "));
    ND_TRY(nd_sink_u64(s, pi.places));
    ND_TRY(nd_sink_puts(s, " places, "));
    ND_TRY(nd_sink_u64(s, pi.documents));
    ND_TRY(nd_sink_puts(s, pi.documents == 1 ? " document" : " documents"));
    if (pi.similarity < 1.0) {
        ND_TRY(nd_sink_puts(s, ", similarity "));
        ND_TRY(nd_sink_fixed(s, nd_unit_units(pi.similarity, 4), 4));
    }
    ND_TRY(nd_sink_puts(s, pi.common ? " (common text)\n" : "\n"));
    for (size_t j = 0; j < shown; j++) {
        nd_passage_place p;
        nd_document_info d;
        ND_TRY(nd_report_passage_place(r, i, j, &p));
        ND_TRY(nd_report_document(r, p.doc, &d));
        width = ND_MAX(width, location_width(d.path, p.line));
    }
    for (size_t j = 0; j < shown; j++) {
        nd_passage_place p;
        nd_document_info d;
        const char *text = "";
        size_t len = 0;
        ND_TRY(nd_report_passage_place(r, i, j, &p));
        ND_TRY(nd_report_document(r, p.doc, &d));
        ND_TRY(put_location(s, d.path, p.line, wo->preview ? width : 0));
        if (wo->preview) ND_TRY(nd_report_passage_text(r, i, j, &text, &len));
        size_t used = 2 + ND_MAX(width, location_width(d.path, p.line));
        ND_TRY(put_preview_text(s, text, len, wo->preview, cols > used ? cols - used : 0));
        ND_TRY(nd_sink_putc(s, '\n'));
    }
    return put_more(s, pi.places - shown);
}

static nd_status section_passages(const nd_report *r, const nd_write_options *wo, size_t width,
                                  nd_sink *s) {
    size_t n = nd_report_passage_count(r);
    size_t shown = cap_rows(n, wo->top);
    ND_TRY(nd_sink_puts(s, "\nCopied passages\n"));
    if (n == 0) return nd_sink_puts(s, "  none of --min-passage characters or more\n");
    for (size_t i = 0; i < shown; i++) {
        if (i) ND_TRY(nd_sink_putc(s, '\n'));
        ND_TRY(passage_block(r, wo, width, i, s));
    }
    return put_more_blocks(s, n - shown, " more passage", " more passages");
}

nd_status nd_write_text(const nd_report *r, const nd_write_options *wo, unsigned width,
                        nd_sink *s) {
    nd_summary sm;
    ND_TRY(nd_report_summary(r, &sm));
    ND_TRY(section_totals(s, &sm, nd_wr_comparable_total(r)));
    int clusters = nd_report_cluster_count(r) > 0;
    if (clusters || sm.passages) { /* with passages, sections 2-4 are theirs */
        ND_TRY(section_elsewhere(r, wo, s));
        ND_TRY(section_pairs(r, wo, width, s));
        ND_TRY(section_within(r, wo, s));
    }
    if (clusters) {
        ND_TRY(section_clusters(r, wo, width, s));
    } else {
        ND_TRY(nd_sink_puts(s, "\nNo repeated paragraphs found at threshold "));
        ND_TRY(put_threshold(s, sm.threshold));
        ND_TRY(nd_sink_puts(s, ".\n"));
    }
    return sm.passages ? section_passages(r, wo, width, s) : ND_OK;
}
