/* test_split.c - the three split modes, line numbers, spans, auto detection. */
#include <criterion/criterion.h>
#include <string.h>

#include "split.h"
#include "support.h"

static nd_paratab split(const char *text, nd_split_mode mode, nd_split_mode *used) {
    nd_paratab pt = {0};
    cr_assert_eq(nd_split_document(&pt, 7, (const uint8_t *)text, strlen(text), mode, used),
                 ND_OK);
    return pt;
}

static void expect_para(const nd_paratab *pt, size_t i, const char *text, const char *want,
                        uint32_t line) {
    cr_assert_lt(i, pt->n);
    cr_assert_eq(pt->doc[i], 7u);
    cr_expect_eq(pt->line[i], line, "paragraph %zu line %u, want %u", i, pt->line[i], line);
    cr_expect_eq(pt->len[i], strlen(want), "paragraph %zu length", i);
    cr_expect(strncmp(text + pt->off[i], want, pt->len[i]) == 0, "paragraph %zu text", i);
}

Test(split, line_mode_makes_every_non_blank_line_a_paragraph) {
    const char *t = "first line\n\n  \nsecond\r\nthird\rfourth";
    nd_paratab pt = split(t, ND_SPLIT_LINE, NULL);
    cr_assert_eq(pt.n, 4u);
    expect_para(&pt, 0, t, "first line", 1);
    expect_para(&pt, 1, t, "second", 4);
    expect_para(&pt, 2, t, "third", 5);
    expect_para(&pt, 3, t, "fourth", 6);
    nd_paratab_release(&pt);
}

Test(split, blank_mode_joins_lines_between_blank_lines) {
    const char *t = "a b c\nd e f\n\n\ng h\n  \ni\n";
    nd_paratab pt = split(t, ND_SPLIT_BLANK, NULL);
    cr_assert_eq(pt.n, 3u);
    expect_para(&pt, 0, t, "a b c\nd e f", 1);
    expect_para(&pt, 1, t, "g h", 5);
    expect_para(&pt, 2, t, "i", 7);
    nd_paratab_release(&pt);
}

Test(split, ideographic_space_and_bom_lines_are_blank) {
    const char *t = "\xEF\xBB\xBF\nx\n\xE3\x80\x80\xE3\x80\x80\ny\n";
    nd_paratab pt = split(t, ND_SPLIT_LINE, NULL);
    cr_assert_eq(pt.n, 2u);
    expect_para(&pt, 0, t, "x", 2);
    expect_para(&pt, 1, t, "y", 4);
    nd_paratab_release(&pt);
}

Test(split, empty_and_blank_only_documents_have_no_paragraphs) {
    nd_paratab pt = split("", ND_SPLIT_AUTO, NULL);
    cr_expect_eq(pt.n, 0u);
    nd_paratab_release(&pt);
    pt = split("\n \n\t\r\n", ND_SPLIT_BLANK, NULL);
    cr_expect_eq(pt.n, 0u);
    nd_paratab_release(&pt);
}

/* Hard-wrapped English text: lines filled to ~60 columns, blank-line breaks. */
static const char *wrapped =
    "It was the best of times, it was the worst of times, it was\n"
    "the age of wisdom, it was the age of foolishness, it was the\n"
    "epoch of belief, it was the epoch of incredulity.\n"
    "\n"
    "There were a king with a large jaw and a queen with a plain\n"
    "face, on the throne of England; there were a king with a\n"
    "large jaw and a queen with a fair face, on the throne of\n"
    "France.\n";

Test(split, auto_chooses_blank_for_hard_wrapped_text) {
    nd_split_mode used = ND_SPLIT_AUTO;
    nd_paratab pt = split(wrapped, ND_SPLIT_AUTO, &used);
    cr_expect_eq(used, ND_SPLIT_BLANK);
    cr_assert_eq(pt.n, 2u);
    cr_expect_eq(pt.line[0], 1u);
    cr_expect_eq(pt.line[1], 5u);
    nd_paratab_release(&pt);
}

Test(split, auto_chooses_line_for_one_paragraph_per_line_files) {
    /* the bundled corpus: long lines, each a paragraph, no or few blank lines */
    const char *names[] = {"000_11051e509f6edff7.txt", "002_13674df05d4d43f5.txt",
                           "003_1d07424bca0ceb50.txt", "004_0d1cd47ed3852840.txt"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        size_t len = 0;
        char *text = nd_test_read_file(nd_test_seed_path(names[i]), &len);
        cr_expect_eq(nd_split_detect((const uint8_t *)text, len), ND_SPLIT_LINE, "%s",
                     names[i]);
        free(text);
    }
}

Test(split, auto_keeps_short_unwrapped_lines_apart) {
    /* a list of short titles in blocks: not filled to a width */
    const char *t = "Intro\nChapter one: a beginning of sorts\nEnd\n\nNotes\nIndex\n";
    cr_expect_eq(nd_split_detect((const uint8_t *)t, strlen(t)), ND_SPLIT_LINE);
}

Test(split, line_numbers_count_crlf_once_and_lone_cr) {
    const char *t = "a\r\n\r\nb\r\rc";
    nd_paratab pt = split(t, ND_SPLIT_LINE, NULL);
    cr_assert_eq(pt.n, 3u);
    expect_para(&pt, 0, t, "a", 1);
    expect_para(&pt, 1, t, "b", 3);
    expect_para(&pt, 2, t, "c", 5);
    nd_paratab_release(&pt);
}
