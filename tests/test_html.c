/*
 * test_html.c - the HTML writers (write_html.c): one self-contained page,
 * everything escaped, one matrix cell per document pair, one article per
 * cluster, character-level differences, deterministic bytes.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "neardup.h"
#include "support.h"



static size_t count(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

#define EVIL "<script>alert('x')</script> & a paragraph long enough to be compared here"
#define P2 "The committee approved the annual budget after a long debate on Tuesday evening."
#define P2X "The committee approved the annual budget after a long debate on Tuesday night."

static nd_report *report3(void) {
    static const char *const names[] = {"a<b>.txt", "b&c.txt", "c.txt"};
    static const char *const texts[] = {EVIL "\n" P2 "\n", EVIL "\n" P2X "\n", "unrelated words only\n"};
    nd_scanner *sc;
    nd_report *r;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(nd_scanner_add_buffer(sc, names[i], texts[i], strlen(texts[i])), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

static char *render(const nd_report *r) {
    nd_test_buf m = {0};
    cr_assert_eq(nd_report_write(r, ND_FORMAT_HTML, NULL, nd_test_buf_write, &m), ND_OK);
    return m.data;
}

Test(html, format_name_parses_and_keeps_the_old_numbers) {
    nd_format f;
    cr_assert_eq(nd_format_parse("html", &f), ND_OK);
    cr_assert_eq(f, ND_FORMAT_HTML);
    cr_assert_eq((int)ND_FORMAT_HTML, 4);
    cr_assert_eq((int)ND_FORMAT_CSV, 3);
    cr_assert_eq(nd_format_parse("htm", &f), ND_ERR_FORMAT);
}

Test(html, scan_page_is_self_contained_and_escapes_everything) {
    nd_report *r = report3();
    char *h = render(r);
    cr_assert_eq(strncmp(h, "<!DOCTYPE html>\n", 16), 0);
    cr_assert_eq(count(h, "<script>"), 1, "only the page's own script");
    cr_assert_eq(count(h, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; a paragraph"), 2);
    cr_assert_gt(count(h, "a&lt;b&gt;.txt"), 0);
    cr_assert_gt(count(h, "b&amp;c.txt"), 0);
    cr_assert_eq(count(h, "a<b>"), 0);
    cr_assert_eq(count(h, "http://"), 0);
    cr_assert_eq(count(h, "https://"), 0);
    cr_assert_eq(count(h, " src="), 0);
    cr_assert_gt(count(h, "default-src 'none'"), 0);
    cr_assert_str_eq(h + strlen(h) - 8, "</html>\n");
    free(h);
    nd_report_free(r);
}

Test(html, has_one_cell_per_document_pair_and_one_article_per_cluster) {
    nd_report *r = report3();
    char *h = render(r);
    cr_assert_eq(nd_report_cluster_count(r), 2);
    cr_assert_eq(count(h, "<td class=\"cell"), 9);
    cr_assert_eq(count(h, "<td class=\"cell self\""), 3);
    cr_assert_eq(count(h, "<article class=\"cluster\""), 2);
    cr_assert_eq(count(h, "<tr data-a=\"0\" data-b=\"1\">"), 1); /* the pair table */
    /* hover text: both directions */
    cr_assert_gt(count(h, "100.0% of a&lt;b&gt;.txt appears in b&amp;c.txt; 100.0% of "
                          "b&amp;c.txt appears in a&lt;b&gt;.txt; 2 shared clusters"), 0);
    free(h);
    nd_report_free(r);
}

Test(html, marks_character_differences_to_the_representative) {
    nd_report *r = report3();
    char *h = render(r);
    /* the longest common subsequence of "evening" and "night" is "nig" */
    cr_assert_eq(count(h, "on Tuesday <del>eve</del>ni<del>n</del>g<ins>ht</ins>.</div>"), 1);
    /* identical members carry no marks */
    cr_assert_eq(count(h, "<del>"), 3); /* the two above and the legend */
    free(h);
    nd_report_free(r);
}

Test(html, output_is_deterministic) {
    nd_report *r = report3();
    char *a = render(r), *b = render(r);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    nd_report_free(r);
}

Test(html, compare_page_highlights_each_passage_on_both_sides) {
    const char *a = "Intro.\nThe quick brown fox jumps over the lazy dog near the river bank "
                    "today <b>.\nEnd.\n";
    const char *b = "Start.\nHe said the quick brown fox jumps over the lazy dog near the "
                    "river bank today <b>.\n";
    nd_compare *c;
    nd_test_buf m = {0};
    cr_assert_eq(nd_compare_buffers("a.txt", a, strlen(a), "b.txt", b, strlen(b), NULL, &c),
                 ND_OK);
    cr_assert_eq(nd_compare_passage_count(c), 1);
    cr_assert_eq(nd_compare_write(c, ND_FORMAT_HTML, NULL, nd_test_buf_write, &m), ND_OK);
    cr_assert_eq(count(m.data, "id=\"a-p0\""), 1);
    cr_assert_eq(count(m.data, "id=\"b-p0\""), 1);
    cr_assert_eq(count(m.data, "<mark class=\"c0\" data-s=\"a\" data-p=\"0\""), 1);
    cr_assert_eq(count(m.data, "<mark class=\"c0\" data-s=\"b\" data-p=\"0\""), 1);
    cr_assert_eq(count(m.data, "&lt;b"), 2);
    cr_assert_gt(count(m.data, "of A (a.txt) appears in B"), 0);
    free(m.data);
    nd_compare_free(c);
}
