/* test_compare_corpus.c - one document checked against a corpus (issue 14):
 * nd_scanner_add_query_path, the report's pairwise passages and
 * nd_report_write_query, on a small constructed corpus whose passages are
 * known: FILE against a document sharing two sentences, one sharing
 * nothing, a near copy in Traditional script, and a document that shares a
 * sentence with another corpus document only (a pair a query run must not
 * compute). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "neardup.h"
#include "support.h"

#define S1     "The harbour lights were counted every evening by the old keeper, who wrote them down."
#define S2     "Nothing in this sentence is found anywhere else; it is the query's own prose."
#define S3     "Between the two piers the water stayed calm, even in the worst storms of winter."
#define C_SIMP "这是一个关于态度和发展的简单句子，我们在此测试繁体和简体的转换是否正确无误。"
#define C_TRAD "這是一個關於態度(tài)和發展的簡單句子，我們在此測試繁體和簡體的轉換是否正確無誤。"
#define S4     "A sentence the two corpus documents share with each other, and never with the query."

static const char q_text[] = S1 " " S2 "\n" S3 "\n\n" C_SIMP "\n";
static const char a_text[] = "An opening line of its own, quite unlike anything else.\n" S1
                             "\nSome words between.  " S3 "\n" S4 "\n";
static const char b_text[] = "Mountains, valleys and the rivers between them: unrelated.\n";
static const char c_text[] = "前言不同的一行字。\n" C_TRAD "\n";
static const char d_text[] = "Another document entirely.\n" S4 "\n";

static void setup(void) {
    nd_test_tmp_make("cmpq");
    cr_assert_eq(mkdir(nd_test_tmp_at("corpus"), 0777), 0);
    nd_test_tmp_put("q.txt", q_text, strlen(q_text));
    nd_test_tmp_put("corpus/a.txt", a_text, strlen(a_text));
    nd_test_tmp_put("corpus/b.txt", b_text, strlen(b_text));
    nd_test_tmp_put("corpus/c.txt", c_text, strlen(c_text));
    nd_test_tmp_put("corpus/d.txt", d_text, strlen(d_text));
}

TestSuite(compare_corpus, .init = setup, .fini = nd_test_tmp_remove);

/* Normalised characters of s (the scan's normalisation). */
static uint64_t nchars(const char *s) {
    nd_sketcher *sk = NULL;
    char *out = NULL;
    size_t len = 0;
    uint64_t n = 0;
    cr_assert_eq(nd_sketcher_new(NULL, &sk), ND_OK);
    cr_assert_eq(nd_sketcher_normalize(sk, s, strlen(s), &out, &len), ND_OK);
    for (size_t i = 0; i < len; i++) n += ((unsigned char)out[i] & 0xC0) != 0x80;
    free(out);
    nd_sketcher_free(sk);
    return n;
}

/* A run over q.txt (as the query when query is set, else a plain document,
 * added first either way) or `first`, then the corpus directory. */
static nd_report *run(const char *first, int query) {
    nd_options o;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    nd_options_default(&o);
    o.passages = 1;
    o.min_passage = 30;
    o.threads = 2;
    cr_assert_eq(nd_scanner_new(&o, &sc), ND_OK);
    if (query)
        cr_assert_eq(nd_scanner_add_query_path(sc, nd_test_tmp_at(first)), ND_OK);
    else
        cr_assert_eq(nd_scanner_add_path(sc, nd_test_tmp_at(first)), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_tmp_at("corpus")), ND_OK);
    cr_assert_eq(nd_scanner_skipped(sc), 0);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

/* The index of the document whose path ends in tail. */
static uint32_t doc_of(const nd_report *r, const char *tail) {
    for (size_t d = 0; d < nd_report_document_count(r); d++) {
        nd_document_info di;
        cr_assert_eq(nd_report_document(r, d, &di), ND_OK);
        size_t n = strlen(di.path), t = strlen(tail);
        if (n >= t && strcmp(di.path + n - t, tail) == 0) return (uint32_t)d;
    }
    cr_assert_fail("no document %s", tail);
    return 0;
}

Test(compare_corpus, exact_passages) {
    nd_report *r = run("q.txt", 1);
    uint32_t q = doc_of(r, "q.txt"), a = doc_of(r, "a.txt"), c = doc_of(r, "c.txt");
    nd_document_info qi;
    cr_assert_eq(nd_report_document(r, q, &qi), ND_OK);
    cr_assert_eq(qi.query, 1);
    cr_assert_eq(qi.text_chars, nchars(q_text));
    for (size_t d = 0; d < nd_report_document_count(r); d++) {
        nd_document_info di;
        cr_assert_eq(nd_report_document(r, d, &di), ND_OK);
        cr_assert_eq(di.query, d == q);
    }
    /* a: S1 and S3, whole; c: the Chinese sentence, read through t2s and
     * without its pinyin; b and d: nothing (d shares S4 with a only) */
    cr_assert_eq(nd_report_pair_passage_count(r), 3);
    uint64_t s1 = nchars(S1), s2 = nchars(S2), s3 = nchars(S3), cs = nchars(C_SIMP);
    struct {
        uint32_t other;
        uint64_t qstart, chars, ostart;
        unsigned qline, oline;
    } want[3] = {
        {a, 0, s1, nchars("An opening line of its own, quite unlike anything else."), 1, 2},
        {a, s1 + s2, s3, nchars(a_text) - s3 - nchars(S4), 2, 3},
        {c, s1 + s2 + s3, cs, nchars("前言不同的一行字。"), 4, 2},
    };
    for (size_t i = 0; i < 3; i++) {
        nd_pair_passage_info pp;
        const char *t;
        size_t len;
        cr_assert_eq(nd_report_pair_passage(r, i, &pp), ND_OK);
        cr_assert_eq(pp.a, q, "passage %zu: a %u", i, pp.a);
        cr_assert_eq(pp.b, want[i].other, "passage %zu: b %u", i, pp.b);
        cr_assert_eq(pp.p.side[0].start_char, want[i].qstart, "passage %zu", i);
        cr_assert_eq(pp.p.side[0].chars, want[i].chars, "passage %zu", i);
        cr_assert_eq(pp.p.side[1].start_char, want[i].ostart, "passage %zu", i);
        cr_assert_eq(pp.p.side[1].chars, want[i].chars, "passage %zu", i);
        cr_assert_eq(pp.p.matched_chars, want[i].chars);
        cr_assert_eq(pp.p.side[0].line, want[i].qline, "passage %zu", i);
        cr_assert_eq(pp.p.side[1].line, want[i].oline, "passage %zu", i);
        /* token boundaries: whole words, the final '.' left out */
        cr_assert_eq(nd_report_pair_passage_text(r, i, 0, &t, &len), ND_OK);
        cr_assert_eq(memcmp(q_text + pp.p.side[0].text_offset, t, len), 0);
        if (i == 0) cr_assert(len == strlen(S1) - 1 && memcmp(t, S1, len) == 0);
    }
    nd_report_free(r);
}

Test(compare_corpus, shares_and_order) {
    nd_report *r = run("q.txt", 1);
    nd_test_buf b = {0};
    cr_assert_eq(nd_report_write_query(r, ND_FORMAT_JSONL, NULL, nd_test_buf_write, &b), ND_OK);
    char *out = b.data;
    uint64_t qc = nchars(q_text), s1 = nchars(S1), s3 = nchars(S3), cs = nchars(C_SIMP);
    uint64_t ac = nchars(a_text), cc = nchars(c_text);
    char line[512];
    snprintf(line, sizeof line,
             ",\"chars\":%llu,\"documents\":4,\"matching_documents\":2,\"found_chars\":%llu,",
             (unsigned long long)qc, (unsigned long long)(s1 + s3 + cs));
    cr_assert(strstr(out, line), "no %s in\n%s", line, out);
    /* a (S1 + S3 of q) before c (the Chinese sentence), as shares say */
    cr_assert(s1 + s3 > cs);
    char *ra = strstr(out, "{\"type\":\"match\",\"rank\":1,");
    char *rc = strstr(out, "{\"type\":\"match\",\"rank\":2,");
    cr_assert(ra && rc && !strstr(out, "\"rank\":3,\"path\""));
    cr_assert(strstr(ra, "/corpus/a.txt\"") < strstr(ra, "\n"));
    cr_assert(strstr(rc, "/corpus/c.txt\"") < strstr(rc, "\n"));
    snprintf(line, sizeof line, "\"chars\":%llu,\"query_in_doc_chars\":%llu,",
             (unsigned long long)ac, (unsigned long long)(s1 + s3));
    cr_assert(strstr(ra, line) && strstr(ra, line) < strstr(ra, "\n"), "no %s", line);
    snprintf(line, sizeof line, "\"chars\":%llu,\"query_in_doc_chars\":%llu,",
             (unsigned long long)cc, (unsigned long long)cs);
    cr_assert(strstr(rc, line) && strstr(rc, line) < strstr(rc, "\n"), "no %s", line);
    free(out);
    nd_report_free(r);
}

/* The query's passages are those a full run finds for the pairs with it,
 * and the full run has more (a-d): the query run really skips them. */
Test(compare_corpus, same_as_full_scan) {
    nd_report *rq = run("q.txt", 1), *rf = run("q.txt", 0);
    size_t nq = nd_report_pair_passage_count(rq), nf = nd_report_pair_passage_count(rf), k = 0;
    uint32_t q = doc_of(rf, "q.txt");
    int other_pairs = 0;
    cr_assert_eq(nd_report_document_count(rq), nd_report_document_count(rf));
    for (size_t i = 0; i < nf; i++) {
        nd_pair_passage_info f, g;
        cr_assert_eq(nd_report_pair_passage(rf, i, &f), ND_OK);
        if ((f.a == q) == (f.b == q)) {
            other_pairs++;
            continue;
        }
        cr_assert(k < nq, "the query run lacks full-run passage %zu", i);
        cr_assert_eq(nd_report_pair_passage(rq, k++, &g), ND_OK);
        cr_assert_eq(memcmp(&f, &g, sizeof f), 0, "pairwise passage %zu differs", i);
    }
    cr_assert_eq(k, nq);
    cr_assert_gt(other_pairs, 0, "the full run should find S4 between a and d");
    nd_report_free(rq);
    nd_report_free(rf);
}

/* FILE inside PATH: read once, as the query, never compared with itself. */
Test(compare_corpus, file_inside_path) {
    nd_report *r = run("corpus/a.txt", 1);
    uint32_t a = doc_of(r, "a.txt");
    cr_assert_eq(nd_report_document_count(r), 4); /* a, b, c, d */
    size_t n = nd_report_pair_passage_count(r);
    cr_assert_eq(n, 1); /* S4 with d */
    nd_pair_passage_info pp;
    cr_assert_eq(nd_report_pair_passage(r, 0, &pp), ND_OK);
    cr_assert_eq(pp.a, a);
    cr_assert_eq(pp.b, doc_of(r, "d.txt"));
    cr_assert_eq(pp.p.side[0].chars, nchars(S4));
    nd_report_free(r);
}

/* Without exactly one query document the query report is refused. */
Test(compare_corpus, needs_one_query) {
    nd_report *r = run("q.txt", 0);
    nd_test_buf b = {0};
    cr_assert_eq(nd_report_write_query(r, ND_FORMAT_TEXT, NULL, nd_test_buf_write, &b),
                 ND_ERR_STATE);
    cr_assert_eq(nd_report_write_query(r, ND_FORMAT_CSV, NULL, nd_test_buf_write, &b),
                 ND_ERR_INVALID);
    free(b.data);
    nd_report_free(r);
}
