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
#define P2   "The committee approved the annual budget after a long debate on Tuesday evening."
#define P2X  "The committee approved the annual budget after a long debate on Tuesday night."

static nd_report *report3(void) {
    static const char *const names[] = {"a<b>.txt", "b&c.txt", "c.txt"};
    static const char *const texts[] = {EVIL "\n" P2 "\n", EVIL "\n" P2X "\n",
                                        "unrelated words only\n"};
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
                          "b&amp;c.txt appears in a&lt;b&gt;.txt; 2 shared clusters"),
                 0);
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
    cr_assert_eq(nd_compare_buffers("a.txt", a, strlen(a), "b.txt", b, strlen(b), NULL, &c), ND_OK);
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

/* ------------------------------------------------------------------------ */
/* issue 17: reports that read well                                          */
/* ------------------------------------------------------------------------ */

#include "write.h"

static nd_report *scan_named(const char *const *names, const char *const *texts, size_t n) {
    nd_scanner *sc;
    nd_report *r;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(nd_scanner_add_buffer(sc, names[i], texts[i], strlen(texts[i])), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

Test(html, a_part_is_never_shown_as_the_whole) {
    /* the one rule in nd_share_units, behind nd_sink_percent and share */
    cr_assert_eq(nd_share_units(996, 1000, 2), 99u, "99.6 in whole percent is 99");
    cr_assert_eq(nd_share_units(9996, 10000, 3), 999u, "99.96% is 99.9%");
    cr_assert_eq(nd_share_units(99996, 100000, 4), 9999u);
    cr_assert_eq(nd_share_units(1000, 1000, 3), 1000u, "the whole is 100.0%");
    cr_assert_eq(nd_share_units(995, 1000, 3), 995u);
    cr_assert_eq(nd_share_units(9955, 10000, 3), 996u, "half up below the whole");
    nd_test_buf m = {0};
    nd_sink s;
    cr_assert_eq(nd_sink_open(&s, nd_test_buf_write, &m), ND_OK);
    cr_assert_eq(nd_sink_percent(&s, 9996, 10000), ND_OK);
    cr_assert_eq(nd_sink_putc(&s, ' '), ND_OK);
    cr_assert_eq(nd_sink_share(&s, 99996, 100000), ND_OK);
    cr_assert_eq(nd_sink_putc(&s, ' '), ND_OK);
    cr_assert_eq(nd_sink_percent(&s, 7, 7), ND_OK);
    cr_assert_eq(nd_sink_flush(&s), ND_OK);
    nd_sink_release(&s);
    cr_assert_str_eq(m.data, "99.9% 0.9999 100.0%");
    free(m.data);
}

Test(html, heat_map_orders_documents_by_overlap_most_first) {
    /* c.txt shares nothing, b and d share their paragraph, a shares one of
     * its two: order b, d (100%), a (50%), c (0%) - not input order */
    static const char *const names[] = {"a.txt", "b.txt", "c.txt", "d.txt"};
    static const char *const texts[] = {P2 "\n" EVIL "\n", P2 "\n", "unrelated words only\n",
                                        P2 "\n"};
    nd_report *r = scan_named(names, texts, 4);
    char *h = render(r);
    cr_assert_not_null(strstr(h, "<thead><tr><th></th><th class=\"col\" title=\"b.txt\">1</th>"
                                 "<th class=\"col\" title=\"d.txt\">3</th><th class=\"col\" "
                                 "title=\"a.txt\">0</th><th class=\"col\" title=\"c.txt\">2"
                                 "</th></tr></thead>"),
                       "%s", h);
    free(h);
    nd_report_free(r);
}

Test(html, empty_sections_say_so_and_long_paths_keep_their_file_name) {
    static const char *const names[] = {
        "a/very/long/directory/path/that/goes/on/and/on/for/a/while/report-2024.txt", "short.txt"};
    static const char *const texts[] = {P2 "\n", "unrelated words only\n"};
    nd_report *r = scan_named(names, texts, 2);
    char *h = render(r);
    cr_assert_not_null(strstr(h, "None: no two documents share text."));
    cr_assert_not_null(strstr(h, "<p class=\"empty\">None: no paragraph repeats at Jaccard "
                                 "threshold 0.80.</p>"));
    /* over 60 characters: the first 20, "…", the last 39, the whole in a title */
    cr_assert_not_null(strstr(h, "<span title=\"a/very/long/directory/path/that/goes/on/and/on/"
                                 "for/a/while/report-2024.txt\">a/very/long/director\xE2\x80\xA6"
                                 "s/on/and/on/for/a/while/report-2024.txt</span>"),
                       "%s", h);
    cr_assert_null(strstr(h, ">a/very/long/directory/path/that/goes/on/and/on/for/a/while/"
                             "report-2024.txt</td>"),
                   "a table cell shows the whole long path");
    free(h);
    nd_report_free(r);
}
