/*
 * test_compare.c - shared passages of two documents (compare.c) and the
 * normaliser's map back to source bytes (nd_norm_chars_mapped).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neardup.h"
#include "support.h"
#include "text.h"

/* threshold 0: the default */
static nd_compare *cmp(const char *a, const char *b, unsigned min_passage, double threshold) {
    nd_compare_options co;
    nd_compare *c = NULL;
    nd_compare_options_default(&co);
    if (min_passage) co.min_passage = min_passage;
    if (threshold > 0) co.threshold = threshold;
    cr_assert_eq(nd_compare_buffers("a.txt", a, strlen(a), "b.txt", b, strlen(b), &co, &c), ND_OK);
    return c;
}

/* One word differs ("jumps"/"jumped"): its 5-word shingles differ, so the
 * sentence's two sides have token-shingle Jaccard 5/15; at threshold LOW the
 * edit is bridged, at the default (0.8) the passage is cut there. */
#define LOW 0.3
static const char *A_TEXT =
    "Intro line here.\n"
    "The quick brown fox jumps over the lazy dog near the river bank today.\n"
    "Something else entirely different is written in this line.\n";
static const char *B_TEXT =
    "Other start.\n"
    "He said that the quick brown fox jumped over the lazy dog near the river "
    "bank today, and left.\n"
    "Tail.\n";

/* ------------------------------------------------------------------------ */

Test(norm_mapped, gives_the_same_characters_as_nd_norm_chars) {
    static const char *const texts[] = {
        "Hello, World! 123",
        "態(tài)度很好，們說。",
        "ＦＵＬＬ　ｗｉｄｔｈ ﬁ",
        "e\xCC\x81t\xC3\xA9 cafe\xCC\x81 \xE1\x84\x80\xE1\x85\xA1",
        "bad \xFF\xE6\x97 bytes \xED\xA0\x80 end",
        "",
        "   \n\t  ",
    };
    nd_norm a, b;
    nd_norm_init(&a, ND_NORM_ALL);
    nd_norm_init(&b, ND_NORM_ALL);
    for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
        const uint8_t *s = (const uint8_t *)texts[t];
        size_t n = strlen(texts[t]), count_ref, count;
        const uint32_t *ref;
        uint32_t *cps;
        nd_map_off *beg, *end;
        cr_assert_eq(nd_norm_chars(&a, s, n, &ref, &count_ref), ND_OK);
        cr_assert_eq(nd_norm_chars_mapped(&b, s, n, &cps, &beg, &end, &count), ND_OK);
        cr_assert_eq(count, count_ref, "text %zu: %zu vs %zu characters", t, count, count_ref);
        for (size_t i = 0; i < count; i++) {
            cr_assert_eq(cps[i], ref[i], "text %zu char %zu", t, i);
            cr_assert_lt(beg[i], end[i]);
            cr_assert_leq(end[i], n);
            if (i) cr_assert_geq(beg[i], beg[i - 1]);
        }
        free(cps);
        free(beg);
        free(end);
    }
    nd_norm_release(&a);
    nd_norm_release(&b);
}

Test(norm_mapped, maps_each_character_to_its_source_bytes) {
    const char *s = "Ab 態(tài)，Ｃ";
    nd_norm nm;
    uint32_t *cps;
    nd_map_off *beg, *end;
    size_t n;
    nd_norm_init(&nm, ND_NORM_ALL);
    cr_assert_eq(nd_norm_chars_mapped(&nm, (const uint8_t *)s, strlen(s), &cps, &beg, &end, &n),
                 ND_OK);
    cr_assert_eq(n, 4); /* a b 态 c */
    cr_assert_eq(cps[0], 'a');
    cr_assert_eq(cps[2], 0x6001);
    cr_assert_eq(cps[3], 'c');
    cr_assert_eq(beg[0], 0);
    cr_assert_eq(end[0], 1);
    cr_assert_eq(beg[2], 3);
    cr_assert_eq(end[2], 6);
    cr_assert_eq(beg[3], 15); /* after "(tài)" (6 bytes) and "，" (3) */
    cr_assert_eq(end[3], 18);
    free(cps);
    free(beg);
    free(end);
    nd_norm_release(&nm);
}

Test(compare, finds_a_lightly_edited_sentence_inside_other_paragraphs) {
    nd_compare *c = cmp(A_TEXT, B_TEXT, 0, LOW);
    nd_compare_doc_info a, b;
    nd_passage_info p;
    cr_assert_eq(nd_compare_passage_count(c), 1);
    cr_assert_eq(nd_compare_passage(c, 0, &p), ND_OK);
    cr_assert_eq(p.side[0].line, 2);
    cr_assert_eq(p.side[0].end_line, 2);
    cr_assert_eq(p.side[0].offset, 17);
    cr_assert_eq(p.side[0].length, 69); /* "The quick ... today" */
    cr_assert_eq(p.side[1].line, 2);
    cr_assert_eq(p.side[1].offset, 26);
    cr_assert_eq(p.side[1].length, 70);
    cr_assert_eq(p.matched_chars, 55);
    cr_assert_eq(p.fragments, 2); /* "jumps" / "jumped" splits the run */
    cr_assert_eq(nd_compare_document(c, 0, &a), ND_OK);
    cr_assert_eq(nd_compare_document(c, 1, &b), ND_OK);
    cr_assert_str_eq(a.path, "a.txt");
    cr_assert_eq(a.chars, 118);
    cr_assert_eq(a.covered_chars, 55);
    cr_assert_eq(b.chars, 88);
    cr_assert_eq(b.covered_chars, 55);
    cr_assert_eq(a.lines, 3);
    nd_compare_free(c);
}

/* At the default threshold the edited sentence's two sides (Jaccard 1/3)
 * are not one passage: it is cut at the edit, and the part after it ("over
 * the lazy dog near the river bank today", 35 characters) is the passage;
 * the part before ("the quick brown fox jump", 19) is below min_passage. */
Test(compare, an_edited_sentence_below_the_threshold_is_cut_at_the_edit) {
    nd_compare *c = cmp(A_TEXT, B_TEXT, 0, 0);
    nd_compare_doc_info a;
    nd_passage_info p;
    cr_assert_eq(nd_compare_passage_count(c), 1);
    cr_assert_eq(nd_compare_passage(c, 0, &p), ND_OK);
    cr_assert_eq(p.fragments, 1);
    cr_assert_eq(p.matched_chars, 35);
    cr_assert_eq(p.side[0].offset, 17 + 26); /* "over ..." */
    cr_assert_eq(p.side[0].length, 43);
    cr_assert_eq(p.side[1].offset, 26 + 27);
    cr_assert_eq(p.side[1].length, 43);
    cr_assert_eq(nd_compare_document(c, 0, &a), ND_OK);
    cr_assert_eq(a.covered_chars, 35);
    nd_compare_free(c);
}

Test(compare, text_output_pairs_the_passages_with_path_and_line) {
    nd_compare *c = cmp(A_TEXT, B_TEXT, 0, LOW);
    nd_test_buf m = {0};
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.preview = 20;
    cr_assert_eq(nd_compare_write(c, ND_FORMAT_TEXT, &wo, nd_test_buf_write, &m), ND_OK);
    cr_assert_str_eq(m.data, "A  a.txt  (118 characters)\n"
                             "B  b.txt  (88 characters)\n"
                             "\n"
                             "46.6% of A appears in B (55 of 118 comparable characters)\n"
                             "62.5% of B appears in A (55 of 88 comparable characters)\n"
                             "1 shared passage of at least 30 characters\n"
                             "\n"
                             "#0  55 matching characters in 2 pieces\n"
                             "  A  a.txt:2  The quick brown fox ...\n"
                             "  B  b.txt:2  the quick brown fox ...\n");
    free(m.data);
    nd_compare_free(c);
}

Test(compare, text_previews_fit_the_width_given) {
    nd_compare *c = cmp(A_TEXT, B_TEXT, 0, LOW);
    nd_test_buf m = {0};
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.preview = 40;
    /* "  A  a.txt:2  " is 14 columns: 30 leave 16 for the preview with "..." */
    cr_assert_eq(nd_compare_write_width(c, ND_FORMAT_TEXT, &wo, 30, nd_test_buf_write, &m), ND_OK);
    cr_assert_not_null(strstr(m.data, "\n  A  a.txt:2  The quick bro...\n"), "%s", m.data);
    free(m.data);
    /* 0 is nd_compare_write's 100 columns: the 40 characters fit */
    nd_test_buf d = {0}, z = {0};
    cr_assert_eq(nd_compare_write(c, ND_FORMAT_TEXT, &wo, nd_test_buf_write, &d), ND_OK);
    cr_assert_eq(nd_compare_write_width(c, ND_FORMAT_TEXT, &wo, 0, nd_test_buf_write, &z), ND_OK);
    cr_assert_str_eq(d.data, z.data);
    cr_assert_null(strstr(d.data, "bro...\n"), "%s", d.data);
    free(d.data);
    free(z.data);
    nd_compare_free(c);
}

Test(compare, jsonl_has_a_summary_and_one_record_per_passage) {
    nd_compare *c = cmp(A_TEXT, B_TEXT, 0, LOW);
    nd_test_buf m = {0};
    cr_assert_eq(nd_compare_write(c, ND_FORMAT_JSONL, NULL, nd_test_buf_write, &m), ND_OK);
    cr_assert_str_eq(
        m.data,
        "{\"type\":\"compare\",\"a\":\"a.txt\",\"b\":\"b.txt\",\"a_bytes\":147,\"b_bytes\":114,"
        "\"a_encoding\":\"utf-8\",\"b_encoding\":\"utf-8\",\"a_chars\":118,\"b_chars\":88,\"a_in_b_"
        "chars\":55,\"a_in_b_share\":0.4661,"
        "\"b_in_a_chars\":55,\"b_in_a_share\":0.6250,\"passages\":1,\"min_passage\":30,"
        "\"max_gap\":16,\"threshold\":0.3000,\"shingle\":5}\n"
        "{\"type\":\"passage\",\"id\":0,\"matched_chars\":55,\"fragments\":2,"
        "\"a\":{\"line\":2,\"end_line\":2,\"offset\":17,\"length\":69,\"start_char\":13,"
        "\"chars\":56},\"b\":{\"line\":2,\"end_line\":2,\"offset\":26,\"length\":70,"
        "\"start_char\":20,\"chars\":57},"
        "\"text_a\":\"The quick brown fox jumps over the lazy dog near the river bank today\","
        "\"text_b\":\"the quick brown fox jumped over the lazy dog near the river bank "
        "today\"}\n");
    free(m.data);
    nd_compare_free(c);
}

Test(compare, identical_documents_are_fully_covered) {
    const char *t = "第一段文字内容在这里出现了。\n第二段是另外一些完全不同的句子，长度也足够。\n";
    nd_compare *c = cmp(t, t, 10, 0);
    nd_compare_doc_info a;
    nd_passage_info p;
    cr_assert_eq(nd_compare_passage_count(c), 1);
    cr_assert_eq(nd_compare_passage(c, 0, &p), ND_OK);
    cr_assert_eq(p.side[0].line, 1);
    cr_assert_eq(p.side[0].end_line, 2);
    cr_assert_eq(nd_compare_document(c, 0, &a), ND_OK);
    cr_assert_eq(a.covered_chars, a.chars);
    nd_compare_free(c);
}

Test(compare, unrelated_documents_share_nothing) {
    nd_compare *c = cmp("alpha beta gamma delta epsilon zeta eta theta iota kappa\n",
                        "一二三四五六七八九十百千万亿兆京垓秭穰沟涧正载极\n", 0, 0);
    nd_compare_doc_info a;
    cr_assert_eq(nd_compare_passage_count(c), 0);
    cr_assert_eq(nd_compare_document(c, 0, &a), ND_OK);
    cr_assert_eq(a.covered_chars, 0);
    nd_compare_free(c);
}

/* A shared run of exactly min_passage characters is always found (the
 * winnowing guarantee), one character less is not a passage. */
Test(compare, honours_min_passage_exactly) {
    const char *shared = "abcdefghijklmnopqrstuvwxyz0123"; /* 30 characters */
    char a[256], b[256];
    snprintf(a, sizeof a, "QQQQQQQQQQ %s WWWWWWWWWW\n", shared);
    snprintf(b, sizeof b, "ZZZZZZZZZZ %s YYYYYYYYYY\n", shared);
    nd_compare *c = cmp(a, b, 30, 0);
    cr_assert_eq(nd_compare_passage_count(c), 1);
    nd_compare_free(c);
    c = cmp(a, b, 31, 0);
    cr_assert_eq(nd_compare_passage_count(c), 0);
    nd_compare_free(c);
    for (unsigned t = 1; t <= 30; t++) {
        c = cmp(a, b, t, 0);
        cr_assert_geq(nd_compare_passage_count(c), 1, "min_passage %u", t);
        nd_compare_free(c);
    }
}

Test(compare, finds_a_copy_across_scripts_and_punctuation) {
    const char *a = "前言。\n這個報告說明了我們們的態度：經濟發展需要穩定的環境和長期的規劃。\n";
    const char *b =
        "另外的开头\n有人写道这个报告说明了我们们的态度，经济发展需要稳定的环境和长期的规划！完\n";
    nd_compare *c = cmp(a, b, 20, 0);
    nd_passage_info p;
    cr_assert_eq(nd_compare_passage_count(c), 1);
    cr_assert_eq(nd_compare_passage(c, 0, &p), ND_OK);
    cr_assert_eq(p.side[0].line, 2);
    cr_assert_eq(p.side[1].line, 2);
    cr_assert_eq(p.matched_chars, 30);
    nd_compare_free(c);
}

Test(compare, rejects_bad_options_and_formats) {
    nd_compare_options co;
    char msg[128];
    nd_compare *c = NULL;
    nd_compare_options_default(&co);
    co.min_passage = 0;
    cr_assert_eq(nd_compare_options_check(&co, msg, sizeof msg), ND_ERR_INVALID);
    cr_assert_str_eq(msg, "min_passage must be between 1 and 100000");
    cr_assert_eq(nd_compare_buffers("a", "x", 1, "b", "y", 1, &co, &c), ND_ERR_INVALID);
    cr_assert_null(c);
    c = cmp("x", "y", 0, 0);
    nd_test_buf m = {0};
    cr_assert_eq(nd_compare_write(c, ND_FORMAT_CSV, NULL, nd_test_buf_write, &m), ND_ERR_INVALID);
    cr_assert_eq(nd_compare_document(c, 2, &(nd_compare_doc_info){0}), ND_ERR_INVALID);
    nd_compare_free(c);
    nd_compare_free(NULL);
}

Test(compare, reports_a_missing_file_through_diag) {
    nd_compare *c = NULL;
    cr_assert_eq(nd_compare_paths("/nonexistent/a", "/nonexistent/b", NULL, NULL, NULL, &c),
                 ND_ERR_IO);
    cr_assert_null(c);
    cr_assert_eq(nd_compare_paths("/", "/", NULL, NULL, NULL, &c), ND_ERR_NOT_REGULAR);
}

/* GBK bytes of s (glibc's iconv), malloc'ed; *n their length. */
static char *to_gbk(const char *s, size_t *n) {
    iconv_t cd = iconv_open("GBK", "UTF-8");
    cr_assert_neq(cd, (iconv_t)-1);
    size_t in = strlen(s), cap = in + 1, left = cap;
    char *out = malloc(cap), *src = (char *)(uintptr_t)s, *dst = out;
    cr_assert_neq(iconv(cd, &src, &in, &dst, &left), (size_t)-1);
    iconv_close(cd);
    *n = cap - left;
    return out;
}

Test(compare, decodes_another_encoding_and_locates_passages_in_its_own_bytes) {
    const char *utf8 = "前言：这一段不同。\n"
                       "我们坚持把意识形态工作同业务工作同部署、同落实、同检查、同考核，纳入年终绩"
                       "效考核的主要内容。\n";
    const char *other = "我们坚持把意识形态工作同业务工作同部署、同落实、同检查、同考核，纳入年终绩"
                        "效考核的主要内容。\n";
    size_t glen = 0;
    char *gbk = to_gbk(other, &glen);
    nd_test_tmp_make("cmpenc");
    nd_test_tmp_put("a.txt", utf8, strlen(utf8));
    nd_test_tmp_put("b.txt", gbk, glen);
    nd_compare_options co;
    nd_compare_options_default(&co);
    memcpy(co.encoding, "gbk", 4);
    nd_compare *c = NULL;
    /* the encoding option applies to both files: a.txt is not GBK text,
     * so this compare must not find the passage in it as GBK */
    cr_assert_eq(
        nd_compare_paths(nd_test_tmp_at("a.txt"), nd_test_tmp_at("b.txt"), &co, NULL, NULL, &c),
        ND_OK);
    cr_assert_eq(nd_compare_passage_count(c), 0);
    nd_compare_free(c);
    c = NULL;
    nd_compare_options_default(&co); /* auto: each file its own */
    cr_assert_eq(
        nd_compare_paths(nd_test_tmp_at("a.txt"), nd_test_tmp_at("b.txt"), &co, NULL, NULL, &c),
        ND_OK);
    nd_compare_doc_info di;
    cr_assert_eq(nd_compare_document(c, 1, &di), ND_OK);
    cr_assert_eq(di.bytes, glen);                   /* its own bytes */
    cr_assert_neq(strcmp(di.encoding, "utf-8"), 0); /* decoded */
    cr_assert_eq(nd_compare_passage_count(c), 1);
    nd_passage_info pi;
    cr_assert_eq(nd_compare_passage(c, 0, &pi), ND_OK);
    const char *text = NULL;
    size_t tlen = 0;
    cr_assert_eq(nd_compare_document_text(c, 1, &text, &tlen), ND_OK);
    cr_assert_eq(tlen, strlen(other));
    cr_assert_eq(memcmp(text, other, tlen), 0); /* the text compared is UTF-8 */
    /* B's passage starts the file and is most of it; its original bytes
     * are the GBK encoding of its text, wherever that ends */
    const nd_passage_side *sb = &pi.side[1];
    cr_assert_eq(sb->offset, 0);
    cr_assert_eq(sb->text_offset, 0);
    cr_assert_gt(sb->text_length, tlen / 2);
    char *slice = strndup(text + sb->text_offset, (size_t)sb->text_length);
    size_t slen = 0;
    char *gslice = to_gbk(slice, &slen);
    cr_assert_eq(sb->length, slen);
    cr_assert_eq(memcmp(gbk + sb->offset, gslice, slen), 0);
    cr_assert_lt(sb->length, sb->text_length); /* two bytes a character, not three */
    free(slice);
    free(gslice);
    /* A is not decoded: both pairs of offsets agree */
    const char *second = strchr(utf8, '\n') + 1;
    cr_assert_eq(pi.side[0].offset, (uint64_t)(second - utf8));
    cr_assert_eq(pi.side[0].text_offset, pi.side[0].offset);
    cr_assert_eq(pi.side[0].length, pi.side[0].text_length);
    nd_compare_free(c);
    free(gbk);
    nd_test_tmp_remove();
}

Test(compare, refuses_an_encoding_iconv_does_not_know) {
    nd_compare_options co;
    char msg[128];
    nd_compare_options_default(&co);
    memcpy(co.encoding, "no-such-code", 13);
    cr_assert_eq(nd_compare_options_check(&co, msg, sizeof msg), ND_ERR_INVALID);
    cr_assert_str_eq(msg, "encoding is not \"auto\" nor a name iconv can decode");
}

static int write_enospc(void *user, const void *buf, size_t len) {
    (void)user;
    (void)buf;
    (void)len;
    return ENOSPC;
}

Test(compare, a_failed_write_keeps_its_errno_on_the_handle) {
    nd_compare *c = cmp(A_TEXT, B_TEXT, 0, LOW);
    cr_assert_eq(nd_compare_sys_errno(c), 0);
    cr_assert_eq(nd_compare_write(c, ND_FORMAT_JSONL, NULL, write_enospc, NULL), ND_ERR_IO);
    cr_assert_eq(nd_compare_sys_errno(c), ENOSPC);
    cr_assert_eq(nd_compare_sys_errno(NULL), 0);
    nd_compare_free(c);
}

/* A shared run that begins or ends inside a word is cut back to whole words
 * in both documents: "paved." and "word." share the "d" before "Early", and
 * "houses"/"housing" share "hous". */
Test(compare, passages_begin_and_end_on_whole_words) {
    const char *a = "The road was paved. Early settlers came by boat and built the first wooden "
                    "houses near the bay.";
    const char *b = "Something else entirely, a third word. Early settlers came by boat and built "
                    "the first wooden housing.";
    nd_compare *c = cmp(a, b, 20, 0);
    cr_assert_eq(nd_compare_passage_count(c), 1);
    nd_passage_info pi;
    cr_assert_eq(nd_compare_passage(c, 0, &pi), ND_OK);
    const char *want = "Early settlers came by boat and built the first wooden";
    cr_assert_eq(pi.side[0].length, strlen(want));
    cr_assert_eq(memcmp(a + pi.side[0].offset, want, strlen(want)), 0, "A: %.*s",
                 (int)pi.side[0].length, a + pi.side[0].offset);
    cr_assert_eq(memcmp(b + pi.side[1].offset, want, strlen(want)), 0, "B: %.*s",
                 (int)pi.side[1].length, b + pi.side[1].offset);
    nd_compare_doc_info da;
    cr_assert_eq(nd_compare_document(c, 0, &da), ND_OK);
    cr_assert_eq(da.covered_chars, pi.side[0].chars); /* no cut-off letters counted */
    cr_assert_eq(pi.matched_chars, pi.side[0].chars);
    nd_compare_free(c);
}

/* ------------------------------------------------------------------------ */
/* nd_compare_write_path (issue 17): scan's atomic, umask-aware -o            */
/* ------------------------------------------------------------------------ */

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static size_t entries(const char *dir) {
    size_t n = 0;
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

Test(compare, write_path_is_atomic_and_respects_the_umask) {
    nd_compare *c = cmp(A_TEXT, B_TEXT, 0, LOW);
    char dir[] = "/tmp/nd-cmp-path.XXXXXX", path[64], missing[96];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/out.txt", dir);
    FILE *f = fopen(path, "w"); /* an old file, replaced whole */
    cr_assert_not_null(f);
    fputs("old contents that are longer than nothing\n", f);
    fclose(f);
    mode_t old = umask(027);
    nd_status st = nd_compare_write_path(c, ND_FORMAT_JSONL, NULL, path);
    umask(old);
    cr_assert_eq(st, ND_OK);
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0640, "mode %o, not 0666 & ~027", sb.st_mode & 0777);
    cr_assert_eq(entries(dir), 1u, "a temporary file was left behind");
    /* the bytes are nd_compare_write's */
    nd_test_buf m = {0};
    cr_assert_eq(nd_compare_write(c, ND_FORMAT_JSONL, NULL, nd_test_buf_write, &m), ND_OK);
    char buf[8192];
    f = fopen(path, "rb");
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    cr_assert_eq(n, m.len);
    cr_assert_eq(memcmp(buf, m.data, n), 0);
    free(m.data);
    /* a directory that does not exist: ND_ERR_IO with its errno, nothing made */
    cr_assert_eq(nd_compare_write_path(c, ND_FORMAT_TEXT, NULL, missing), ND_ERR_IO);
    cr_assert_eq(nd_compare_sys_errno(c), ENOENT);
    cr_assert_eq(nd_compare_write_path(c, ND_FORMAT_TEXT, NULL, dir), ND_ERR_IO, "a directory");
    cr_assert_eq(nd_compare_write_path(c, ND_FORMAT_CSV, NULL, path), ND_ERR_INVALID);
    cr_assert_eq(entries(dir), 1u);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(rmdir(dir), 0);
    nd_compare_free(c);
}
