/* test_index.c - the persistent index (nd_index_*, src/index.c; issue 15):
 * a query finds exactly the pairs a brute-force exact Jaccard over the
 * scan's paragraphs finds, with the similarity the scan's verification
 * gives; options stored and a mismatch refused with both values; re-adding
 * an unchanged file changes nothing, a changed one is indexed again,
 * removal drops every row; the check passes on a good index and fails on
 * one damaged through SQL; results stay exact after the indexed files are
 * deleted.  Corpora are generated here (deterministic word soup with
 * planted near-copies). */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "neardup.h"
#include "support.h"

#define ND_STR_(x)       #x
#define ND_STR(x)        ND_STR_(x)
/* The segments' band of owner entries with the default 18 bands: after
 * them and the exact keys' band. */
#define ND_TEST_OWN_BAND 19

static const char *const words[] = {
    "harbour", "lantern", "keeper", "winter", "stone",  "river",   "meadow", "copper",
    "window",  "letter",  "garden", "silver", "bridge", "orchard", "candle", "valley",
    "thunder", "pillow",  "market", "anchor", "forest", "mirror",  "shadow", "ladder",
    "basket",  "feather", "island", "kettle", "marble", "needle",  "parcel", "quarry",
    "ribbon",  "saddle",  "timber", "velvet", "wagon",  "yellow",  "zephyr", "amber"};
#define NWORDS (sizeof words / sizeof *words)

static uint64_t rng = 1;
static uint32_t next_rand(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* A paragraph of n random words (with a word count of the 64-bit values
 * the tokeniser gives, every word is one token). */
static void para(char *buf, size_t size, unsigned n) {
    size_t at = 0;
    for (unsigned i = 0; i < n; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? " " : "",
                               words[next_rand() % NWORDS]);
    snprintf(buf + at, size - at, ".");
}

/* Replaces the word starting after the k-th space of s by "edited". */
static void edit_word(const char *s, unsigned k, char *out, size_t size) {
    const char *p = s;
    for (unsigned i = 0; i < k && p; i++) p = strchr(p + 1, ' ');
    cr_assert_not_null(p);
    const char *e = strchr(p + 1, ' ');
    cr_assert_not_null(e);
    snprintf(out, size, "%.*s edited%s", (int)(p - s), s, e);
}

static char planted[2048], planted_b[2048], planted_q[2048];

/* in/a.txt and in/b.txt: 6 random paragraphs each, b holding a copy of
 * a's third paragraph with one word edited; q.txt: a copy with two words
 * edited, between paragraphs of its own. */
static void setup(void) {
    char p[2048], file[16384];
    nd_test_tmp_make("index");
    cr_assert_eq(mkdir(nd_test_tmp_at("in"), 0777), 0);
    rng = 88172645463325252ull;
    size_t at = 0;
    for (int i = 0; i < 6; i++) {
        para(p, sizeof p, 120);
        if (i == 2) memcpy(planted, p, strlen(p) + 1);
        at += (size_t)snprintf(file + at, sizeof file - at, "%s\n\n", p);
    }
    nd_test_tmp_put("in/a.txt", file, at);
    edit_word(planted, 60, planted_b, sizeof planted_b);
    at = 0;
    for (int i = 0; i < 6; i++) {
        para(p, sizeof p, 100);
        at += (size_t)snprintf(file + at, sizeof file - at, "%s\n\n", i == 4 ? planted_b : p);
    }
    nd_test_tmp_put("in/b.txt", file, at);
    char tmp[2048];
    edit_word(planted, 30, tmp, sizeof tmp);
    edit_word(tmp, 90, planted_q, sizeof planted_q);
    para(p, sizeof p, 80);
    at = (size_t)snprintf(file, sizeof file, "A short title\n\n%s\n\n%s\n\n", p, planted_q);
    para(p, sizeof p, 70);
    at += (size_t)snprintf(file + at, sizeof file - at, "%s\n", p);
    nd_test_tmp_put("q.txt", file, at);
}

TestSuite(index, .init = setup, .fini = nd_test_tmp_remove);

/* Runs sql on the database rel of the test's directory, behind the
 * library's back (a tampered or older index). */
static void db_exec(const char *rel, const char *sql) {
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(nd_test_tmp_at(rel), &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sql);
    sqlite3_close(db);
}

static nd_index *create(const char *db, const nd_options *o) {
    nd_index *idx = NULL;
    nd_status st = nd_index_open(nd_test_tmp_at(db), o, 1, &idx);
    cr_assert_eq(st, ND_OK, "create: %s: %s", nd_strerror(st), nd_index_errmsg(idx));
    st = nd_index_add(idx, nd_test_tmp_at("in"), NULL);
    cr_assert_eq(st, ND_OK, "add: %s: %s", nd_strerror(st), nd_index_errmsg(idx));
    return idx;
}

static nd_query *query(nd_index *idx, const char *rel) {
    nd_query *q = NULL;
    nd_status st = nd_index_query(idx, nd_test_tmp_at(rel), &q);
    cr_assert_eq(st, ND_OK, "query: %s: %s", nd_strerror(st), nd_index_errmsg(idx));
    return q;
}

/* One (query paragraph, indexed paragraph) pair with its similarity. */
typedef struct pair {
    uint32_t qline;
    char path[512];
    uint32_t line;
    double sim;
} pair;

static size_t query_pairs(const nd_query *q, pair *out, size_t cap) {
    size_t n = 0;
    for (size_t i = 0; i < nd_query_match_count(q); i++) {
        nd_query_match_info m;
        nd_query_paragraph_info p;
        nd_query_target_info t;
        cr_assert_eq(nd_query_match(q, i, &m), ND_OK);
        cr_assert_eq(nd_query_paragraph(q, m.paragraph, &p), ND_OK);
        cr_assert_eq(nd_query_target(q, m.target, &t), ND_OK);
        cr_assert_lt(n, cap);
        out[n].qline = p.line;
        snprintf(out[n].path, sizeof out[n].path, "%s", t.path);
        out[n].line = m.line;
        out[n].sim = m.similarity;
        n++;
    }
    return n;
}

/* The pairs a brute-force exact Jaccard over the scan's paragraphs gives:
 * every paragraph of q.txt against every paragraph of in/, both with at
 * least min_chars characters (the scan's clusterable ones), J >= 0.8;
 * and the scan's own similarity of q.txt's member where the scan clusters
 * it with an indexed representative. */
static size_t scan_pairs(pair *out, size_t cap, double *scan_sim, uint32_t *scan_qline) {
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    nd_sketcher *sk = NULL;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_tmp_at("in")), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_tmp_at("q.txt")), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    cr_assert_eq(nd_sketcher_new(NULL, &sk), ND_OK);
    size_t n = 0, np = nd_report_paragraph_count(r);
    uint32_t qdoc = (uint32_t)nd_report_document_count(r) - 1;
    *scan_sim = -1;
    for (size_t i = 0; i < np; i++) {
        nd_paragraph_info a, b;
        cr_assert_eq(nd_report_paragraph(r, i, &a), ND_OK);
        if (a.doc != qdoc || a.chars < 20) continue;
        if (a.cluster >= 0) {
            nd_cluster_info c;
            nd_paragraph_info rep;
            cr_assert_eq(nd_report_cluster(r, (size_t)a.cluster, &c), ND_OK);
            cr_assert_eq(nd_report_paragraph(r, c.members[0], &rep), ND_OK);
            if (rep.doc != qdoc) {
                *scan_sim = a.similarity;
                *scan_qline = a.line;
            }
        }
        const char *ta = NULL, *tb = NULL;
        size_t la = 0, lb = 0;
        cr_assert_eq(nd_report_paragraph_text(r, i, &ta, &la), ND_OK);
        for (size_t j = 0; j < np; j++) {
            cr_assert_eq(nd_report_paragraph(r, j, &b), ND_OK);
            if (b.doc == qdoc || b.chars < 20) continue;
            cr_assert_eq(nd_report_paragraph_text(r, j, &tb, &lb), ND_OK);
            double jac = 0;
            cr_assert_eq(nd_sketcher_jaccard(sk, ta, la, tb, lb, &jac), ND_OK);
            if (jac < 0.8) continue;
            nd_document_info d;
            cr_assert_eq(nd_report_document(r, b.doc, &d), ND_OK);
            cr_assert_lt(n, cap);
            out[n].qline = a.line;
            snprintf(out[n].path, sizeof out[n].path, "%s", d.path);
            out[n].line = b.line;
            out[n].sim = jac;
            n++;
        }
    }
    nd_sketcher_free(sk);
    nd_report_free(r);
    nd_scanner_free(sc);
    return n;
}

static int cmp_pair(const void *a, const void *b) {
    const pair *x = a, *y = b;
    if (x->qline != y->qline) return x->qline < y->qline ? -1 : 1;
    int c = strcmp(x->path, y->path);
    if (c) return c;
    return (x->line > y->line) - (x->line < y->line);
}

static void expect_same_pairs(pair *a, size_t na, pair *b, size_t nb) {
    qsort(a, na, sizeof *a, cmp_pair);
    qsort(b, nb, sizeof *b, cmp_pair);
    cr_assert_eq(na, nb, "%zu pairs from the index, %zu by brute force", na, nb);
    for (size_t i = 0; i < na; i++) {
        cr_expect_eq(a[i].qline, b[i].qline);
        cr_expect_str_eq(a[i].path, b[i].path);
        cr_expect_eq(a[i].line, b[i].line);
        cr_expect(a[i].sim == b[i].sim, "similarity %.17g, brute force %.17g", a[i].sim, b[i].sim);
    }
}

Test(index, query_matches_scan) {
    nd_index *idx = create("t.db", NULL);
    nd_query *q = query(idx, "q.txt");
    pair got[64], want[64];
    size_t ng = query_pairs(q, got, 64);
    double scan_sim = -1;
    uint32_t scan_qline = 0;
    size_t nw = scan_pairs(want, 64, &scan_sim, &scan_qline);
    cr_assert_geq(nw, 1, "the planted copy is not a near-duplicate");
    expect_same_pairs(got, ng, want, nw);
    /* the scan clusters q's copy under a's paragraph (the representative):
     * its similarity there is the index's for that pair */
    cr_assert_geq(scan_sim, 0.8);
    int seen = 0;
    for (size_t i = 0; i < ng; i++)
        if (got[i].qline == scan_qline && strstr(got[i].path, "in/a.txt")) {
            cr_expect(got[i].sim == scan_sim, "index %.17g, scan %.17g", got[i].sim, scan_sim);
            seen = 1;
        }
    cr_expect(seen, "no match of q.txt:%u in a.txt", scan_qline);
    /* shares: the query document's matched characters are its paragraph's */
    nd_query_doc_info d;
    cr_assert_eq(nd_query_document_count(q), 1);
    cr_assert_eq(nd_query_document(q, 0, &d), ND_OK);
    cr_expect_gt(d.matched_chars, 0);
    cr_expect_lt(d.matched_chars, d.chars);
    cr_expect_geq(nd_query_overlap_count(q), 1);
    /* texts: the query paragraph's are its bytes in q.txt, the match's the
     * indexed paragraph's, and their exact Jaccard is the similarity */
    size_t qlen = 0;
    char *qfile = nd_test_read_file(nd_test_tmp_at("q.txt"), &qlen);
    nd_sketcher *sk = NULL;
    cr_assert_eq(nd_sketcher_new(NULL, &sk), ND_OK);
    for (size_t i = 0; i < nd_query_paragraph_count(q); i++) {
        nd_query_paragraph_info p;
        cr_assert_eq(nd_query_paragraph(q, i, &p), ND_OK);
        if (!p.matches) {
            cr_expect_null(p.text);
            continue;
        }
        cr_assert_not_null(p.text);
        cr_assert_eq(p.text_len, p.length);
        cr_expect(memcmp(p.text, qfile + p.offset, p.length) == 0);
        for (size_t k = 0; k < p.matches; k++) {
            nd_query_match_info m;
            double jac = -1;
            cr_assert_eq(nd_query_match(q, p.first_match + k, &m), ND_OK);
            cr_assert_not_null(m.text);
            cr_assert_eq(nd_sketcher_jaccard(sk, p.text, p.text_len, m.text, m.text_len, &jac),
                         ND_OK);
            cr_expect(jac == m.similarity, "texts give %.17g, the match %.17g", jac, m.similarity);
        }
    }
    nd_sketcher_free(sk);
    free(qfile);
    nd_test_buf out = {0};
    cr_assert_eq(nd_query_write(q, ND_FORMAT_JSONL, NULL, nd_test_buf_write, &out), ND_OK);
    cr_expect(strstr(out.data, "\"type\":\"match\"") != NULL);
    free(out.data);
    nd_query_free(q);
    nd_index_close(idx);
}

Test(index, options_stored_and_mismatch_refused) {
    nd_options o;
    nd_options_default(&o);
    o.threshold = 0.75;
    nd_index_close(create("t.db", &o));
    nd_index *idx = NULL;
    /* stored options are used when none are given */
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), NULL, 0, &idx), ND_OK);
    nd_options got;
    cr_assert_eq(nd_index_options(idx, &got), ND_OK);
    cr_expect(got.threshold == 0.75);
    cr_expect_gt(got.bands, 0);
    nd_index_close(idx);
    /* other values are refused, naming the parameter and both values */
    o.threshold = 0.9;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), &o, 0, &idx), ND_ERR_MISMATCH);
    cr_expect_str_eq(nd_index_errmsg(idx), "the index was made with threshold 0.75, not 0.9");
    nd_index_close(idx);
    o.threshold = 0.75;
    o.shingle = 4;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), &o, 0, &idx), ND_ERR_MISMATCH);
    cr_expect_str_eq(nd_index_errmsg(idx), "the index was made with shingle 5, not 4");
    nd_index_close(idx);
    o.shingle = 5;
    o.norm_flags &= ~(unsigned)ND_NORM_CASEFOLD;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), &o, 0, &idx), ND_ERR_MISMATCH);
    cr_expect_str_eq(nd_index_errmsg(idx), "the index was made with norm_flags "
                                           "nfkc,casefold,t2s,pinyin,strip, not "
                                           "nfkc,t2s,pinyin,strip");
    nd_index_close(idx);
    /* the same values are fine; options that do not compare may differ */
    nd_options_default(&o);
    o.threshold = 0.75;
    o.threads = 3;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), &o, 0, &idx), ND_OK);
    nd_index_close(idx);
    /* create refuses an existing file; open refuses a missing one */
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), NULL, 1, &idx), ND_ERR_STATE);
    nd_index_close(idx);
    cr_assert_eq(nd_index_open(nd_test_tmp_at("none.db"), NULL, 0, &idx), ND_ERR_IO);
    cr_expect(strstr(nd_index_errmsg(idx), "none.db") != NULL);
    nd_index_close(idx);
    /* not an index; an index of another format */
    cr_assert_eq(nd_index_open(nd_test_tmp_at("q.txt"), NULL, 0, &idx), ND_ERR_FORMAT);
    nd_index_close(idx);
    db_exec("t.db", "UPDATE meta SET value = '99' WHERE key = 'format'");
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), NULL, 0, &idx), ND_ERR_MISMATCH);
    cr_expect(strstr(nd_index_errmsg(idx), "format 99") != NULL, "%s", nd_index_errmsg(idx));
    nd_index_close(idx);
    db_exec("t.db", "UPDATE meta SET value = '" ND_STR(
                        ND_INDEX_FORMAT) "' WHERE key = 'format';"
                                         "UPDATE meta SET value = '0.3.0' WHERE key = 'sketch'");
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), NULL, 0, &idx), ND_ERR_MISMATCH);
    cr_expect(strstr(nd_index_errmsg(idx), "sketches of version 0.3.0") != NULL, "%s",
              nd_index_errmsg(idx));
    nd_index_close(idx);
}

/* Every row of every table, in a fixed order, as text. */
static char *dump(const char *rel) {
    static const char *const sql[] = {
        "SELECT * FROM meta ORDER BY key",
        "SELECT * FROM files ORDER BY id",
        "SELECT * FROM docs ORDER BY id",
        "SELECT * FROM paras ORDER BY doc, off",
        "SELECT * FROM sets ORDER BY id",
        "SELECT * FROM dead ORDER BY sset",
        "SELECT * FROM segs ORDER BY id",
        "SELECT band, seg, lo, data FROM pages ORDER BY band, seg, lo"};
    sqlite3 *db = NULL;
    nd_test_buf out = {0};
    cr_assert_eq(sqlite3_open(nd_test_tmp_at(rel), &db), SQLITE_OK);
    for (size_t k = 0; k < sizeof sql / sizeof *sql; k++) {
        sqlite3_stmt *s = NULL;
        cr_assert_eq(sqlite3_prepare_v2(db, sql[k], -1, &s, NULL), SQLITE_OK);
        while (sqlite3_step(s) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(s); c++) {
                const void *b = sqlite3_column_blob(s, c);
                int n = sqlite3_column_bytes(s, c);
                if (b) nd_test_buf_write(&out, b, (size_t)n);
                nd_test_buf_write(&out, "|", 1);
            }
            nd_test_buf_write(&out, "\n", 1);
        }
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return out.data;
}

static nd_index_counts counts(nd_index *idx) {
    nd_index_counts c;
    cr_assert_eq(nd_index_counts_get(idx, &c), ND_OK);
    return c;
}

static long long db_int(const char *rel, const char *sql);

/* An add's exact keys are found by probes of the segments for its first
 * lookups and, past a number of them (64 here), from the segments' exact
 * keys read once: x.txt's 100 paragraphs and w.txt's 50 indexed (two
 * segments), y.txt - the same 150 in reverse order and 20 new ones - finds
 * each of the 150 by one way or the other (a miss would make a second
 * distinct paragraph of the same key). */
Test(index, add_finds_indexed_paragraphs) {
    enum { OLD = 150, NEW = 20, X = 100 };
    static char p[OLD + NEW][512];
    char *x = malloc(OLD * 520), *y = malloc((OLD + NEW) * 520);
    size_t nx = 0, nw = 0, ny = 0;
    cr_assert(x && y);
    for (int i = 0; i < OLD + NEW; i++) para(p[i], sizeof p[i], 40);
    for (int i = 0; i < X; i++) nx += (size_t)snprintf(x + nx, 520, "%s\n\n", p[i]);
    for (int i = OLD + NEW - 1; i >= 0; i--) ny += (size_t)snprintf(y + ny, 520, "%s\n\n", p[i]);
    cr_assert_eq(mkdir(nd_test_tmp_at("more"), 0777), 0);
    nd_test_tmp_put("more/x.txt", x, nx);
    nd_test_tmp_put("more/y.txt", y, ny);
    for (int i = X; i < OLD; i++) nw += (size_t)snprintf(x + nw, 520, "%s\n\n", p[i]);
    nd_test_tmp_put("more/w.txt", x, nw);
    nd_index *idx = NULL;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), NULL, 1, &idx), ND_OK);
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("more/x.txt"), NULL), ND_OK, "%s",
                 nd_index_errmsg(idx));
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("more/w.txt"), NULL), ND_OK, "%s",
                 nd_index_errmsg(idx));
    cr_expect_eq(counts(idx).distinct, OLD);
    cr_expect_eq(db_int("t.db", "SELECT count(*) FROM segs"), 2);
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("more/y.txt"), NULL), ND_OK, "%s",
                 nd_index_errmsg(idx));
    nd_index_counts c = counts(idx);
    cr_expect_eq(c.paragraphs, 2 * OLD + NEW);
    cr_expect_eq(c.distinct, OLD + NEW);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    nd_index_close(idx);
    free(x);
    free(y);
}

Test(index, readd_unchanged_changes_nothing) {
    nd_index *idx = create("t.db", NULL);
    nd_index_counts c = counts(idx);
    cr_expect_eq(c.files, 2);
    cr_expect_eq(c.documents, 2);
    cr_expect_eq(c.paragraphs, 12);
    cr_expect_eq(c.distinct, 12);
    char *before = dump("t.db");
    nd_index_add_info ai;
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("in"), &ai), ND_OK);
    cr_expect_eq(ai.files_unchanged, 2);
    cr_expect_eq(ai.files_new + ai.files_changed + ai.documents + ai.paragraphs, 0);
    char *after = dump("t.db");
    cr_expect_str_eq(before, after, "re-adding unchanged files changed the index");
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    free(before);
    free(after);
    nd_index_close(idx);
}

Test(index, changed_file_reindexed) {
    nd_index *idx = create("t.db", NULL);
    /* b.txt loses the planted copy and gains q's copy */
    char *b = nd_test_read_file(nd_test_tmp_at("in/b.txt"), NULL);
    char *at = strstr(b, planted_b), nb[16384];
    cr_assert_not_null(at);
    int len =
        snprintf(nb, sizeof nb, "%.*s%s%s", (int)(at - b), b, planted_q, at + strlen(planted_b));
    nd_test_tmp_put("in/b.txt", nb, (size_t)len);
    free(b);
    nd_index_add_info ai;
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("in"), &ai), ND_OK);
    cr_expect_eq(ai.files_changed, 1);
    cr_expect_eq(ai.files_unchanged, 1);
    cr_expect_eq(ai.documents, 1);
    cr_expect_eq(ai.paragraphs, 6);
    nd_index_counts c = counts(idx);
    cr_expect_eq(c.files, 2);
    cr_expect_eq(c.paragraphs, 12);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    /* q's copy is now in b.txt verbatim: similarity 1 */
    nd_query *q = query(idx, "q.txt");
    pair got[64];
    int exact = 0;
    for (size_t i = 0, n = query_pairs(q, got, 64); i < n; i++)
        exact |= strstr(got[i].path, "in/b.txt") && got[i].sim == 1.0;
    cr_expect(exact, "the re-indexed b.txt does not hold q's paragraph");
    nd_query_free(q);
    nd_index_close(idx);
}

Test(index, remove_drops_rows) {
    nd_index *idx = create("t.db", NULL);
    uint64_t n = 0;
    cr_assert_eq(nd_index_remove(idx, nd_test_tmp_at("in/a.txt"), &n), ND_OK);
    cr_expect_eq(n, 1);
    nd_index_counts c = counts(idx);
    cr_expect_eq(c.files, 1);
    cr_expect_eq(c.documents, 1);
    cr_expect_eq(c.paragraphs, 6);
    cr_expect_eq(c.distinct, 6);
    cr_expect_eq(c.band_keys, 6 * 18);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    nd_query *q = query(idx, "q.txt");
    for (size_t i = 0; i < nd_query_target_count(q); i++) {
        nd_query_target_info t;
        cr_assert_eq(nd_query_target(q, i, &t), ND_OK);
        cr_expect(strstr(t.path, "in/a.txt") == NULL, "a removed file still matches");
    }
    nd_query_free(q);
    /* a directory, given with a trailing slash: everything below it */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/", nd_test_tmp_at("in"));
    cr_assert_eq(nd_index_remove(idx, dir, &n), ND_OK);
    cr_expect_eq(n, 1);
    c = counts(idx);
    cr_expect_eq(c.files + c.documents + c.paragraphs + c.distinct + c.band_keys, 0);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    nd_index_close(idx);
}

/* A changed file's distinct paragraph that a new file of the same add
 * holds too stays (sets_reap decides at the end of the add, from the owner
 * entries of the add's own segment): a.txt loses its planted paragraph,
 * c.txt (after it in the walk) holds it verbatim. */
Test(index, set_reused_in_the_same_add_stays) {
    nd_index *idx = create("t.db", NULL);
    char *a = nd_test_read_file(nd_test_tmp_at("in/a.txt"), NULL);
    char *at = strstr(a, planted), na[16384];
    cr_assert_not_null(at);
    int len = snprintf(na, sizeof na, "%.*s%s", (int)(at - a), a, at + strlen(planted) + 2);
    nd_test_tmp_put("in/a.txt", na, (size_t)len);
    free(a);
    len = snprintf(na, sizeof na, "A title of its own\n\n%s\n", planted);
    nd_test_tmp_put("in/c.txt", na, (size_t)len);
    long long before = db_int("t.db", "SELECT count(*) FROM sets");
    nd_index_add_info ai;
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("in"), &ai), ND_OK, "%s", nd_index_errmsg(idx));
    cr_expect_eq(ai.files_changed, 1);
    cr_expect_eq(ai.files_new, 1);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    cr_expect_eq(db_int("t.db", "SELECT count(*) FROM sets"), before, "the set was made again");
    cr_expect_eq(db_int("t.db", "SELECT count(*) FROM dead"), 0);
    nd_query *q = query(idx, "q.txt");
    pair got[64];
    int in_c = 0;
    for (size_t i = 0, n = query_pairs(q, got, 64); i < n; i++) {
        cr_expect(strstr(got[i].path, "in/a.txt") == NULL, "a.txt lost the paragraph");
        in_c |= strstr(got[i].path, "in/c.txt") != NULL;
    }
    cr_expect(in_c, "c.txt's copy is not found");
    nd_query_free(q);
    nd_index_close(idx);
}

/* One add of more new distinct paragraphs than the writer's first table
 * of them holds (2,048 at a load of a half): 3,000 of them, then the first
 * 200 again, which are found after the table has grown (made again from
 * the list of new sets) - one distinct paragraph each, their copies'
 * owner entries beside theirs. */
Test(index, new_sets_table_grows) {
    enum { N = 3000, AGAIN = 200 };
    char(*p)[256] = malloc(N * sizeof *p);
    char *file = malloc((N + AGAIN) * 260);
    size_t at = 0;
    cr_assert(p && file);
    for (int i = 0; i < N; i++) {
        para(p[i], sizeof p[i], 12);
        at += (size_t)snprintf(file + at, 260, "%s\n\n", p[i]);
    }
    for (int i = 0; i < AGAIN; i++) at += (size_t)snprintf(file + at, 260, "%s\n\n", p[i]);
    nd_test_tmp_put("big.txt", file, at);
    free(p);
    free(file);
    nd_index *idx = NULL;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), NULL, 1, &idx), ND_OK);
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("big.txt"), NULL), ND_OK, "%s",
                 nd_index_errmsg(idx));
    nd_index_counts c = counts(idx);
    cr_expect_eq(c.paragraphs, N + AGAIN);
    cr_expect_eq(c.distinct, N);
    cr_expect_eq(db_int("t.db", "SELECT owners FROM segs"), N + AGAIN);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    nd_index_close(idx);
}

/* 48 files of some 20 KB in one add: batches of 256 KiB, 512 KiB, ...
 * (the first small, each next twice as large), every file indexed once,
 * in the order walked, as one index made file by file. */
Test(index, files_in_growing_batches) {
    enum { FILES = 48, PARAS = 24 };
    char p[2048], rel[64];
    char *file = malloc(PARAS * 2100);
    cr_assert_not_null(file);
    cr_assert_eq(mkdir(nd_test_tmp_at("many"), 0777), 0);
    for (int f = 0; f < FILES; f++) {
        size_t at = 0;
        for (int i = 0; i < PARAS; i++) {
            para(p, sizeof p, 120);
            at += (size_t)snprintf(file + at, 2100, "%s\n\n", p);
        }
        snprintf(rel, sizeof rel, "many/f%02d.txt", f);
        nd_test_tmp_put(rel, file, at);
    }
    free(file);
    nd_index *a = NULL, *b = NULL;
    nd_index_add_info ai;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("a.db"), NULL, 1, &a), ND_OK);
    cr_assert_eq(nd_index_add(a, nd_test_tmp_at("many"), &ai), ND_OK, "%s", nd_index_errmsg(a));
    cr_expect_eq(ai.files_new, FILES);
    cr_assert_eq(nd_index_open(nd_test_tmp_at("b.db"), NULL, 1, &b), ND_OK);
    for (int f = 0; f < FILES; f++) {
        snprintf(rel, sizeof rel, "many/f%02d.txt", f);
        cr_assert_eq(nd_index_add(b, nd_test_tmp_at(rel), NULL), ND_OK, "%s", nd_index_errmsg(b));
    }
    nd_index_counts ca = counts(a), cb = counts(b);
    cr_expect_eq(ca.files, FILES);
    cr_expect_eq(ca.paragraphs, FILES * PARAS);
    cr_expect_eq(ca.distinct, cb.distinct);
    cr_expect_eq(nd_index_check(a), ND_OK, "%s", nd_index_errmsg(a));
    cr_expect_eq(db_int("a.db", "SELECT count(*) FROM (SELECT d.id FROM docs d JOIN files f ON "
                                "f.id = d.file WHERE d.id = f.id)"),
                 FILES, "documents not in the order walked");
    nd_index_close(a);
    nd_index_close(b);
}

/* Owner entries: a merge drops those of documents gone (x.txt, a copy of
 * a.txt, keeps a's distinct paragraphs alive when a.txt is removed) and of
 * dead sets (b.txt's, removed next, which makes the segments merge into
 * one); x.txt's 6 are left, and queries find x.txt, not a.txt. */
Test(index, owner_entries_merged_away) {
    nd_index *idx = create("t.db", NULL);
    char *a = nd_test_read_file(nd_test_tmp_at("in/a.txt"), NULL);
    nd_test_tmp_put("x.txt", a, strlen(a));
    free(a);
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("x.txt"), NULL), ND_OK);
    cr_expect_eq(db_int("t.db", "SELECT count(*) FROM segs"), 2);
    cr_assert_eq(nd_index_remove(idx, nd_test_tmp_at("in/a.txt"), NULL), ND_OK);
    cr_expect_eq(db_int("t.db", "SELECT count(*) FROM dead"), 0);
    cr_assert_eq(nd_index_remove(idx, nd_test_tmp_at("in/b.txt"), NULL), ND_OK);
    cr_expect_eq(db_int("t.db", "SELECT count(*) FROM segs"), 1);
    cr_expect_eq(db_int("t.db", "SELECT sum(length(data)) / 16 FROM pages WHERE band = " ND_STR(
                                    ND_TEST_OWN_BAND)),
                 6);
    cr_expect_eq(db_int("t.db", "SELECT owners FROM segs"), 6);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    nd_query *q = query(idx, "q.txt");
    pair got[64];
    int in_x = 0;
    for (size_t i = 0, n = query_pairs(q, got, 64); i < n; i++) {
        cr_expect(strstr(got[i].path, "in/") == NULL, "a removed file matches: %s", got[i].path);
        in_x |= strstr(got[i].path, "x.txt") != NULL;
    }
    cr_expect(in_x, "x.txt's copy is not found");
    nd_query_free(q);
    nd_index_close(idx);
}

/* The check of a copy of a good index damaged by `sql`: ND_ERR_FORMAT with
 * a message holding `want`. */
static void damaged(const char *sql, const char *want) {
    nd_index *idx = create("d.db", NULL);
    cr_assert_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    nd_index_close(idx);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(nd_test_tmp_at("d.db"), &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_changes(db), 1, "%s changed %d rows", sql, sqlite3_changes(db));
    sqlite3_close(db);
    cr_assert_eq(nd_index_open(nd_test_tmp_at("d.db"), NULL, 0, &idx), ND_OK);
    cr_expect_eq(nd_index_check(idx), ND_ERR_FORMAT, "%s: the check passed", sql);
    cr_expect(strstr(nd_index_errmsg(idx), want) != NULL, "%s: '%s'", sql, nd_index_errmsg(idx));
    nd_index_close(idx);
    cr_assert_eq(unlink(nd_test_tmp_at("d.db")), 0);
    (void)unlink(nd_test_tmp_at("d.db-wal"));
    (void)unlink(nd_test_tmp_at("d.db-shm"));
}

Test(index, check_finds_damage) {
    damaged("DELETE FROM pages WHERE id = (SELECT min(id) FROM pages)", "band keys");
    damaged("UPDATE segs SET entries = entries + 1", "recorded");
    damaged("UPDATE pages SET data = substr(data, 9) || substr(data, 1, 8) "
            "WHERE id = (SELECT min(id) FROM pages)",
            "out of order");
    damaged("UPDATE pages SET seg = seg + 1 WHERE id = (SELECT max(id) FROM pages)",
            "segment that is not in the index");
    damaged("INSERT INTO dead VALUES(1)", "listed as dead");
    damaged("UPDATE sets SET text = CAST('other words here' AS BLOB) WHERE id = 3", "exact key");
    damaged("UPDATE sets SET ekey = zeroblob(16) WHERE id = 2", "exact key");
    damaged("UPDATE pages SET data = x'00000000' || substr(data, 5) "
            "WHERE id = (SELECT min(id) FROM pages)",
            "not its own");
    damaged("DELETE FROM docs WHERE id = 1", "paragraphs of a document");
    damaged("UPDATE paras SET chars = chars + 1 WHERE doc = 2 AND off = 0", "character count");
    damaged("DELETE FROM paras WHERE doc = 1 AND off = 0", "no paragraph uses");
    damaged("UPDATE files SET documents = 2 WHERE id = 1", "document or paragraph count");
    damaged("UPDATE docs SET comparable = comparable + 1 WHERE id = 1",
            "comparable character count");
    /* the last owner entry replaced by one of a set id above all (order and
     * count kept) */
    damaged("UPDATE pages SET data = substr(data, 1, length(data) - 16) || "
            "x'ffffff7f010000000000000000000000' "
            "WHERE band = " ND_STR(ND_TEST_OWN_BAND),
            "owner entry");
    damaged("UPDATE segs SET owners = owners + 1", "recorded");
}

Test(index, exact_after_files_deleted) {
    nd_index *idx = create("t.db", NULL);
    nd_query *q = query(idx, "q.txt");
    pair before[64], after[64];
    size_t nb = query_pairs(q, before, 64);
    cr_assert_geq(nb, 1);
    nd_query_free(q);
    cr_assert_eq(unlink(nd_test_tmp_at("in/a.txt")), 0);
    nd_test_tmp_put("in/b.txt", "something else entirely\n", 24);
    q = query(idx, "q.txt");
    size_t na = query_pairs(q, after, 64);
    expect_same_pairs(after, na, before, nb);
    nd_query_free(q);
    nd_index_close(idx);
}

/* Another writer holds the write lock with uncommitted changes: a query
 * reads the last committed state (WAL), a writer waits for the busy
 * timeout and fails with ND_ERR_BUSY and a message that says so, and
 * succeeds once the lock is released. */
Test(index, reader_beside_writer_and_busy_writer) {
    nd_index *idx = create("t.db", NULL);
    nd_query *q = query(idx, "q.txt");
    pair before[64], during[64];
    size_t nb = query_pairs(q, before, 64);
    cr_assert_geq(nb, 1);
    nd_query_free(q);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(nd_test_tmp_at("t.db"), &db), SQLITE_OK);
    cr_assert_eq(
        sqlite3_exec(db, "BEGIN IMMEDIATE; DELETE FROM paras; DELETE FROM pages", NULL, NULL, NULL),
        SQLITE_OK, "%s", sqlite3_errmsg(db));
    q = query(idx, "q.txt");
    size_t nd = query_pairs(q, during, 64);
    expect_same_pairs(during, nd, before, nb);
    nd_query_free(q);
    nd_index_set_busy_timeout(idx, 150);
    nd_index_add_info ai;
    nd_test_tmp_put("in/c.txt", planted_q, strlen(planted_q));
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("in"), &ai), ND_ERR_BUSY);
    cr_expect(strstr(nd_index_errmsg(idx), "is locked by another writer (waited 0.150 s)"), "%s",
              nd_index_errmsg(idx));
    uint64_t n = 0;
    cr_assert_eq(nd_index_remove(idx, nd_test_tmp_at("in/a.txt"), &n), ND_ERR_BUSY);
    cr_assert_eq(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cr_assert_eq(nd_index_add(idx, nd_test_tmp_at("in"), &ai), ND_OK, "%s", nd_index_errmsg(idx));
    cr_expect_eq(ai.files_new, 1);
    cr_expect_eq(ai.files_unchanged, 2);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    nd_index_close(idx);
}

/* Size on the bundled corpus (the figure in README "The index"). */
Test(index, size_on_seeds) {
    nd_index *idx = NULL;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("s.db"), NULL, 1, &idx), ND_OK);
    cr_assert_eq(nd_index_add(idx, getenv("ND_SEEDS"), NULL), ND_OK, "%s", nd_index_errmsg(idx));
    nd_index_counts c = counts(idx);
    cr_expect_eq(c.files, 5);
    cr_expect_eq(nd_index_check(idx), ND_OK, "%s", nd_index_errmsg(idx));
    cr_log_info("seeds: %llu paragraphs, %llu distinct, %llu band keys, %llu text bytes, "
                "%llu database bytes (%.0f a paragraph)",
                (unsigned long long)c.paragraphs, (unsigned long long)c.distinct,
                (unsigned long long)c.band_keys, (unsigned long long)c.text_bytes,
                (unsigned long long)c.db_bytes, (double)c.db_bytes / (double)c.paragraphs);
    nd_index_close(idx);
}

/* Rows of `sql` (one integer) in the index file rel. */
static long long db_int(const char *rel, const char *sql) {
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;
    cr_assert_eq(sqlite3_open(nd_test_tmp_at(rel), &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

/* A new index is built beside its path and appears there whole after its
 * first write (in WAL mode), or empty at close without one; the temporary
 * file is gone either way.  nd_index_add_paths of two paths gives what
 * two adds give, on one or three threads. */
Test(index, create_appears_after_first_write) {
    struct stat sb;
    nd_index *a = NULL, *b = NULL, *e = NULL;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("a.db"), NULL, 1, &a), ND_OK);
    cr_expect_neq(stat(nd_test_tmp_at("a.db"), &sb), 0, "no index before its first write");
    nd_index_set_threads(a, 1);
    char pa[512], pb[512];
    snprintf(pa, sizeof pa, "%s", nd_test_tmp_at("in/a.txt"));
    snprintf(pb, sizeof pb, "%s", nd_test_tmp_at("in/b.txt"));
    const char *paths[2] = {pa, pb};
    cr_assert_eq(nd_index_add_paths(a, paths, 2, NULL), ND_OK, "%s", nd_index_errmsg(a));
    cr_expect_eq(stat(nd_test_tmp_at("a.db"), &sb), 0, "the index after its first write");
    nd_index_counts ca = counts(a);
    cr_expect_eq(ca.files, 2);
    cr_expect_eq(nd_index_check(a), ND_OK, "%s", nd_index_errmsg(a));
    nd_index_close(a);
    cr_expect_eq(db_int("a.db", "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = "
                                "'wal'"),
                 1);
    cr_assert_eq(nd_index_open(nd_test_tmp_at("b.db"), NULL, 1, &b), ND_OK);
    nd_index_set_threads(b, 3);
    cr_assert_eq(nd_index_add(b, paths[0], NULL), ND_OK, "%s", nd_index_errmsg(b));
    cr_assert_eq(nd_index_add(b, paths[1], NULL), ND_OK, "%s", nd_index_errmsg(b));
    nd_index_counts cb = counts(b);
    cr_expect_eq(cb.paragraphs, ca.paragraphs);
    cr_expect_eq(cb.distinct, ca.distinct);
    cr_expect_eq(cb.band_keys, ca.band_keys);
    nd_index_close(b);
    cr_assert_eq(nd_index_open(nd_test_tmp_at("e.db"), NULL, 1, &e), ND_OK);
    nd_index_close(e);
    cr_assert_eq(nd_index_open(nd_test_tmp_at("e.db"), NULL, 0, &e), ND_OK, "%s",
                 nd_index_errmsg(e));
    cr_expect_eq(counts(e).files, 0);
    nd_index_close(e);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q '[.]new-'", nd_test_tmp_at("."));
    cr_expect_neq(system(cmd), 0, "no temporary file is left");
}

/* Band keys in segments: 24 files added one at a time (24 segments made,
 * merged as they come), then 4 removed one at a time (their entries left
 * behind as dead until a purge), give the check's approval and the same
 * counts and query results as one add of the 20 files left; the segments
 * stay at most log2 of the adds plus one; a paragraph every file holds is
 * one distinct paragraph. */
Test(index, segments_after_many_adds_and_removes) {
    char p[2048], file[8192], rel[64];
    cr_assert_eq(mkdir(nd_test_tmp_at("many"), 0777), 0);
    for (int f = 0; f < 24; f++) {
        size_t at = 0;
        for (int i = 0; i < 3; i++) {
            para(p, sizeof p, 60 + 10 * (unsigned)i);
            at += (size_t)snprintf(file + at, sizeof file - at, "%s\n\n", p);
        }
        /* every file holds the same paragraph: each add after the first
         * finds it indexed already, by its exact key in the segments */
        at += (size_t)snprintf(file + at, sizeof file - at, "%s\n\n", planted_b);
        if (f % 3 == 0) { /* a copy of q's planted paragraph, edited at word 40 + f */
            char e[2048];
            edit_word(planted_q, (unsigned)(40 + f), e, sizeof e);
            at += (size_t)snprintf(file + at, sizeof file - at, "%s\n", e);
        }
        snprintf(rel, sizeof rel, "many/f%02d.txt", f);
        nd_test_tmp_put(rel, file, at);
    }
    nd_index *a = NULL, *b = NULL;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("a.db"), NULL, 1, &a), ND_OK);
    for (int f = 0; f < 24; f++) {
        snprintf(rel, sizeof rel, "many/f%02d.txt", f);
        cr_assert_eq(nd_index_add(a, nd_test_tmp_at(rel), NULL), ND_OK, "%s", nd_index_errmsg(a));
        cr_expect_leq(db_int("a.db", "SELECT count(*) FROM segs"), 6, "after add %d", f);
    }
    cr_expect_eq(nd_index_check(a), ND_OK, "%s", nd_index_errmsg(a));
    for (int f = 0; f < 4; f++) { /* f00 and f03 held copies */
        snprintf(rel, sizeof rel, "many/f%02d.txt", f);
        cr_assert_eq(nd_index_remove(a, nd_test_tmp_at(rel), NULL), ND_OK);
        cr_expect_eq(nd_index_check(a), ND_OK, "%s", nd_index_errmsg(a));
        cr_assert_eq(unlink(nd_test_tmp_at(rel)), 0);
    }
    /* the removals left their entries behind, listed as dead */
    cr_expect_gt(db_int("a.db", "SELECT count(*) FROM dead"), 0);
    cr_assert_eq(nd_index_open(nd_test_tmp_at("b.db"), NULL, 1, &b), ND_OK);
    cr_assert_eq(nd_index_add(b, nd_test_tmp_at("many"), NULL), ND_OK, "%s", nd_index_errmsg(b));
    cr_expect_eq(db_int("b.db", "SELECT count(*) FROM segs"), 1);
    nd_index_counts ca = counts(a), cb = counts(b);
    cr_expect_eq(ca.paragraphs, cb.paragraphs);
    cr_expect_eq(ca.distinct, cb.distinct);
    cr_expect_eq(ca.distinct, 20 * 3 + 1 + 6, "20 x 3 random, the shared one, 6 copies");
    cr_expect_geq(ca.band_keys, cb.band_keys);
    nd_query *qa = query(a, "q.txt"), *qb = query(b, "q.txt");
    pair pa[64], pb[64];
    size_t na = query_pairs(qa, pa, 64), nb = query_pairs(qb, pb, 64);
    cr_expect_eq(nb, 6, "the copies in f06, f09 ... f21 are found");
    expect_same_pairs(pa, na, pb, nb);
    nd_query_free(qa);
    nd_query_free(qb);
    nd_index_close(a);
    nd_index_close(b);
}

/* ------------------------------------------------------------------------ */
/* scan --db: the report of the indexed corpus                               */
/* ------------------------------------------------------------------------ */

static const nd_format all_formats[] = {ND_FORMAT_TEXT, ND_FORMAT_JSONL, ND_FORMAT_JSON,
                                        ND_FORMAT_CSV, ND_FORMAT_HTML};

/* Report r in format f, with every paragraph and its text (jsonl/json). */
static char *render(const nd_report *r, nd_format f) {
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = ND_EMIT_PARAGRAPHS | ND_EMIT_TEXT;
    wo.top = 0;
    nd_test_buf out = {0};
    cr_assert_eq(nd_report_write(r, f, &wo, nd_test_buf_write, &out), ND_OK);
    return out.data ? out.data : calloc(1, 1);
}

/* The scan's report of dir (paths as given) with options o. */
static nd_report *scan_of(const char *dir, const nd_options *o) {
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(o, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, dir), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

static nd_report *db_scan(nd_index *idx) {
    nd_report *r = NULL;
    nd_status st = nd_index_scan(idx, NULL, &r);
    cr_assert_eq(st, ND_OK, "scan --db: %s: %s", nd_strerror(st), nd_index_errmsg(idx));
    return r;
}

/* The report of the corpus takes each paragraph's band keys from the
 * segments, where alone they are stored: one band of one segment gone, it
 * fails with the typed error instead of clustering with keys it lacks. */
Test(index, scan_db_needs_band_keys) {
    nd_index_close(create("t.db", NULL));
    db_exec("t.db", "DELETE FROM pages WHERE band = 1");
    nd_index *idx = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), NULL, 0, &idx), ND_OK);
    cr_expect_eq(nd_index_scan(idx, NULL, &r), ND_ERR_FORMAT);
    cr_expect(strstr(nd_index_errmsg(idx), "no band key in band 1") != NULL, "%s",
              nd_index_errmsg(idx));
    cr_expect_null(r);
    nd_index_close(idx);
}

/* The two reports are byte-identical in every format. */
static void expect_same_reports(const nd_report *scan, const nd_report *db, const char *when) {
    for (size_t i = 0; i < sizeof all_formats / sizeof *all_formats; i++) {
        char *a = render(scan, all_formats[i]), *b = render(db, all_formats[i]);
        size_t k = 0;
        while (a[k] && a[k] == b[k]) k++;
        cr_expect(a[k] == b[k],
                  "%s, format %d: the reports differ at byte %zu:\nscan: %.80s\n"
                  "db:   %.80s",
                  when, (int)all_formats[i], k, a + k, b + k);
        free(a);
        free(b);
    }
}

/* A corpus that has what a report shows besides clusters: in/ of setup,
 * and c.txt with a copy of a's planted paragraph whose bytes differ but
 * whose tokens do not (upper case, more punctuation: its preview is its
 * own), short paragraphs, CRLF lines, a GB18030 file, a gzip file and a
 * binary one (a skipped input). */
static void corpus_more(void) {
    char file[8192], up[2048];
    size_t n = strlen(planted), at;
    for (size_t i = 0; i < n; i++)
        up[i] = (char)(planted[i] >= 'a' && planted[i] <= 'z' ? planted[i] - 32 : planted[i]);
    up[n] = '\0';
    at = (size_t)snprintf(file, sizeof file, "Title\r\n\r\n%s!!\r\n\r\nok\r\n%s\r\n", up, planted);
    nd_test_tmp_put("in/c.txt", file, at);
    /* "中文段落，用于检验编码。" x3 in GB18030, then a short line */
    static const unsigned char gb[] = {
        0xd6, 0xd0, 0xce, 0xc4, 0xb6, 0xce, 0xc2, 0xe4, 0xa3, 0xac, 0xd3, 0xc3, 0xd3,
        0xda, 0xbc, 0xec, 0xd1, 0xe9, 0xb1, 0xe0, 0xc2, 0xeb, 0xa1, 0xa3, 0xd6, 0xd0,
        0xce, 0xc4, 0xb6, 0xce, 0xc2, 0xe4, 0xa3, 0xac, 0xd3, 0xc3, 0xd3, 0xda, 0xbc,
        0xec, 0xd1, 0xe9, 0xb1, 0xe0, 0xc2, 0xeb, 0xa1, 0xa3, 0xd6, 0xd0, 0xce, 0xc4,
        0xb6, 0xce, 0xc2, 0xe4, 0xa3, 0xac, 0xd3, 0xc3, 0xd3, 0xda, 0xbc, 0xec, 0xd1,
        0xe9, 0xb1, 0xe0, 0xc2, 0xeb, 0xa1, 0xa3, '\n', 0xb6, 0xcc, '\n'};
    memcpy(file, gb, sizeof gb);
    memcpy(file + sizeof gb, gb, sizeof gb);
    nd_test_tmp_put("in/d-gb.txt", file, 2 * sizeof gb);
    /* gzip of "<planted>\n" by zlib would need the library here; a stored
     * (uncompressed) deflate block is gzip all the same */
    {
        unsigned char gz[4096];
        size_t len = strlen(planted_b) + 1, k = 0;
        static const unsigned char head[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
        memcpy(gz, head, 10);
        k = 10;
        gz[k++] = 1; /* final stored block */
        gz[k++] = (unsigned char)(len & 0xff);
        gz[k++] = (unsigned char)(len >> 8);
        gz[k++] = (unsigned char)(~len & 0xff);
        gz[k++] = (unsigned char)((~len >> 8) & 0xff);
        memcpy(gz + k, planted_b, len - 1);
        gz[k + len - 1] = '\n';
        k += len;
        uint32_t crc = 0xffffffffu; /* CRC-32 of the data, bit by bit */
        for (size_t i = 0; i < len; i++) {
            crc ^= gz[15 + i];
            for (int b = 0; b < 8; b++) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        }
        crc = ~crc;
        for (int b = 0; b < 4; b++) gz[k++] = (unsigned char)(crc >> (8 * b));
        for (int b = 0; b < 4; b++) gz[k++] = (unsigned char)(len >> (8 * b));
        nd_test_tmp_put("in/e.txt.gz", gz, k);
    }
    nd_test_tmp_put("in/f.bin",
                    "\x7f"
                    "ELF\0\0\0binary",
                    14);
}

/* The report from the index is the scan's, byte for byte, in every format:
 * after create, after an add of new and changed files, after a remove (a
 * removed file appears nowhere), and after the indexed files are gone from
 * disk (the texts come from the index). */
Test(index, scan_db_matches_scan) {
    corpus_more();
    const char *in = nd_test_tmp_at("in");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", in);
    nd_index *idx = create("t.db", NULL);
    nd_report *a = scan_of(dir, NULL), *b = db_scan(idx);
    nd_summary sa, sb;
    cr_assert_eq(nd_report_summary(a, &sa), ND_OK);
    cr_assert_eq(nd_report_summary(b, &sb), ND_OK);
    cr_expect_eq(sa.files, 5); /* a, b, c, d-gb, e.gz; f.bin is skipped */
    cr_expect_gt(sa.clusters, 0);
    cr_expect_eq(nd_report_skipped_count(b), 1, "the binary file is a skipped input");
    expect_same_reports(a, b, "after create");
    nd_report_free(a);
    nd_report_free(b);

    /* a new file, a changed one */
    char p[2048], file[8192];
    para(p, sizeof p, 90);
    size_t at = (size_t)snprintf(file, sizeof file, "%s\n\n%s\n", p, planted_q);
    nd_test_tmp_put("in/a2.txt", file, at);
    at = (size_t)snprintf(file, sizeof file, "%s\n\nA new line, short.\n", planted);
    nd_test_tmp_put("in/b.txt", file, at);
    cr_assert_eq(nd_index_add(idx, dir, NULL), ND_OK, "%s", nd_index_errmsg(idx));
    a = scan_of(dir, NULL);
    b = db_scan(idx);
    expect_same_reports(a, b, "after add");
    nd_report_free(a);
    nd_report_free(b);

    /* a removed file */
    char rm[1100];
    snprintf(rm, sizeof rm, "%s/a.txt", dir);
    cr_assert_eq(unlink(rm), 0);
    uint64_t removed = 0;
    cr_assert_eq(nd_index_remove(idx, rm, &removed), ND_OK);
    cr_expect_eq(removed, 1);
    a = scan_of(dir, NULL);
    b = db_scan(idx);
    expect_same_reports(a, b, "after remove");
    char *j = render(b, ND_FORMAT_JSONL);
    cr_expect(strstr(j, "/a.txt\"") == NULL, "a removed file is in the report");
    free(j);
    nd_report_free(b);

    /* the files gone: the same report, from the index alone */
    char moved[1100];
    snprintf(moved, sizeof moved, "%s.moved", dir);
    cr_assert_eq(rename(dir, moved), 0);
    b = db_scan(idx);
    expect_same_reports(a, b, "with the files gone");
    nd_report_free(a);
    nd_report_free(b);
    nd_index_close(idx);
}

/* The index's comparison options are the report's; the caller's report
 * options (common_docs) apply; passages are refused. */
Test(index, scan_db_options) {
    nd_options o;
    nd_options_default(&o);
    o.threshold = 0.6;
    o.min_chars = 10;
    nd_index *idx = create("t.db", &o);
    nd_options ro;
    nd_options_default(&ro);
    ro.common_docs = 1;
    ro.threads = 2;
    nd_report *b = NULL;
    cr_assert_eq(nd_index_scan(idx, &ro, &b), ND_OK, "%s", nd_index_errmsg(idx));
    o.common_docs = 1;
    nd_report *a = scan_of(nd_test_tmp_at("in"), &o);
    expect_same_reports(a, b, "threshold 0.6, min_chars 10, common_docs 1");
    nd_summary sb;
    cr_assert_eq(nd_report_summary(b, &sb), ND_OK);
    cr_expect(sb.threshold == 0.6);
    nd_report_free(a);
    nd_report_free(b);
    ro.passages = 1;
    b = NULL;
    cr_expect_eq(nd_index_scan(idx, &ro, &b), ND_ERR_INVALID);
    cr_expect_null(b);
    cr_expect(strstr(nd_index_errmsg(idx), "passages") != NULL, "%s", nd_index_errmsg(idx));
    nd_index_close(idx);
}

/* An index of an older format is refused with the typed error: 2 (which
 * stored no paragraph's own text nor documents' comparable characters), 3
 * (whose sets held every band key a second time, in a column bkeys that
 * later formats do not have: a format-3 index, made here by adding the
 * column back, is not read as if it were a newer one) and 4 (which found
 * a distinct paragraph's paragraphs by an index paras_sset, made here,
 * and had no owner entries in its segments). */
Test(index, older_format_refused) {
    static const char *const older[] = {"2", "3", "4"};
    cr_assert_eq(ND_INDEX_FORMAT, 5);
    for (size_t k = 0; k < 3; k++) {
        char sql[128], want[128];
        nd_index_close(create("t.db", NULL));
        snprintf(sql, sizeof sql, "UPDATE meta SET value = '%s' WHERE key = 'format'", older[k]);
        db_exec("t.db", sql);
        if (k == 1) db_exec("t.db", "ALTER TABLE sets ADD COLUMN bkeys BLOB");
        if (k == 2) /* format 4: the paragraphs of a set by an index, no owner entries */
            db_exec("t.db", "CREATE INDEX paras_sset ON paras(sset) WHERE sset IS NOT NULL");
        nd_index *idx = NULL;
        cr_assert_eq(nd_index_open(nd_test_tmp_at("t.db"), NULL, 0, &idx), ND_ERR_MISMATCH);
        snprintf(want, sizeof want, "an index of format %s; this library reads format %d", older[k],
                 ND_INDEX_FORMAT);
        cr_expect(strstr(nd_index_errmsg(idx), want) != NULL, "%s", nd_index_errmsg(idx));
        nd_index_close(idx);
        cr_assert_eq(unlink(nd_test_tmp_at("t.db")), 0);
        (void)unlink(nd_test_tmp_at("t.db-wal"));
        (void)unlink(nd_test_tmp_at("t.db-shm"));
    }
}

/* A query's shares divide by comparable characters, the scan's report's
 * denominators: the query document's and each indexed document's are the
 * scan's nd_report_document_comparable (c.txt has short paragraphs, so
 * they are below its characters). */
Test(index, query_shares_over_comparable) {
    corpus_more();
    nd_index *idx = create("t.db", NULL);
    nd_report *r = scan_of(nd_test_tmp_at("in"), NULL);
    nd_query *q = query(idx, "in/c.txt");
    cr_assert_eq(nd_query_document_count(q), 1);
    nd_query_doc_info qd;
    uint64_t qc = 0, rc = 0;
    cr_assert_eq(nd_query_document(q, 0, &qd), ND_OK);
    cr_assert_eq(nd_query_document_comparable(q, 0, &qc), ND_OK);
    cr_assert_gt(nd_query_target_count(q), 0);
    int seen_c = 0;
    for (size_t d = 0; d < nd_report_document_count(r); d++) {
        nd_document_info di;
        cr_assert_eq(nd_report_document(r, d, &di), ND_OK);
        cr_assert_eq(nd_report_document_comparable(r, d, &rc), ND_OK);
        if (strcmp(di.path, qd.path) == 0) {
            seen_c = 1;
            cr_expect_eq(qc, rc, "query document: %llu comparable, the scan's %llu",
                         (unsigned long long)qc, (unsigned long long)rc);
            cr_expect_lt(qc, qd.chars, "c.txt's short paragraphs are not comparable");
        }
        for (size_t t = 0; t < nd_query_target_count(q); t++) {
            nd_query_target_info ti;
            uint64_t tc = 0;
            cr_assert_eq(nd_query_target(q, t, &ti), ND_OK);
            cr_assert_eq(nd_query_target_comparable(q, t, &tc), ND_OK);
            if (strcmp(ti.path, di.path) == 0)
                cr_expect_eq(tc, rc, "%s: %llu comparable, the scan's %llu", ti.path,
                             (unsigned long long)tc, (unsigned long long)rc);
        }
    }
    cr_expect(seen_c);
    uint64_t x;
    cr_expect_eq(nd_query_target_comparable(q, nd_query_target_count(q), &x), ND_ERR_INVALID);
    nd_query_free(q);
    nd_report_free(r);
    nd_index_close(idx);
}

/* A match's text is the indexed paragraph's own bytes, also when its
 * distinct paragraph was stored from another copy (c.txt's upper-case copy
 * of a.txt's planted paragraph has a.txt's tokens, not its bytes). */
Test(index, query_match_text_is_the_paragraphs_own) {
    corpus_more();
    nd_index *idx = create("t.db", NULL);
    nd_query *q = query(idx, "in/a.txt");
    size_t flen = 0;
    char *file = nd_test_read_file(nd_test_tmp_at("in/c.txt"), &flen);
    int seen = 0;
    for (size_t i = 0; i < nd_query_match_count(q); i++) {
        nd_query_match_info m;
        nd_query_target_info t;
        cr_assert_eq(nd_query_match(q, i, &m), ND_OK);
        cr_assert_eq(nd_query_target(q, m.target, &t), ND_OK);
        size_t n = strlen(t.path);
        if (n < 5 || strcmp(t.path + n - 5, "c.txt") != 0) continue;
        seen++;
        cr_assert_leq(m.offset + m.length, flen);
        cr_expect_eq(m.text_len, m.length);
        cr_expect(m.text_len == m.length && memcmp(m.text, file + m.offset, m.length) == 0,
                  "c.txt:%u: the match's text is not the paragraph's bytes", m.line);
    }
    cr_expect_eq(seen, 2, "a.txt's planted paragraph is in c.txt twice (upper case, as is)");
    free(file);
    nd_query_free(q);
    nd_index_close(idx);
}
