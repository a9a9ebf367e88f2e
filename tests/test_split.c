/* test_split.c - the three split modes, line numbers, spans, auto detection. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "nd_internal.h"
#include "split.h"
#include "support.h"

static nd_paratab split(const char *text, nd_split_mode mode, nd_split_mode *used) {
    nd_paratab pt = {0};
    cr_assert_eq(nd_split_document(&pt, 7, (const uint8_t *)text, strlen(text), mode, used), ND_OK);
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
static const char *wrapped = "It was the best of times, it was the worst of times, it was\n"
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
        cr_expect_eq(nd_split_detect((const uint8_t *)text, len), ND_SPLIT_LINE, "%s", names[i]);
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

/* --- auto: one case per structure (issue 11) ------------------------------ */

static nd_split_mode detect(const char *t) {
    return nd_split_detect((const uint8_t *)t, strlen(t));
}

Test(split, auto_verse_blocks_of_short_lines_are_blank) {
    /* poems and quotations separated by blank lines: the block is the paragraph */
    const char *t = "Twinkle, twinkle, little star,\n"
                    "How I wonder what you are!\n"
                    "Up above the world so high,\n"
                    "Like a diamond in the sky.\n"
                    "\t\t-- Jane Taylor\n"
                    "\n"
                    "Roses are red,\n"
                    "Violets are blue,\n"
                    "Sugar is sweet,\n"
                    "And so are you.\n"
                    "\n"
                    "A fool and his money are soon parted.\n"
                    "\t\t-- Thomas Tusser\n";
    cr_expect_eq(detect(t), ND_SPLIT_BLANK);
}

Test(split, auto_chinese_verse_is_blank) {
    /* every line ends with 。 but the lines are short: a poem per block */
    const char *t = "《静夜思》\n作者：李白\n床前明月光，疑是地上霜。\n举头望明月，低头思故乡。\n\n"
                    "《春晓》\n作者：孟浩然\n春眠不觉晓，处处闻啼鸟。\n夜来风雨声，花落知多少。\n";
    cr_expect_eq(detect(t), ND_SPLIT_BLANK);
}

Test(split, auto_markdown_with_code_block_and_list_is_blank) {
    const char *t = "# Building\n"
                    "\n"
                    "The library is built with CMake.  A C11 compiler and the\n"
                    "development files of zlib are needed; everything else is\n"
                    "bundled with the sources.\n"
                    "\n"
                    "```sh\n"
                    "cmake -S . -B build\n"
                    "cmake --build build -j2\n"
                    "```\n"
                    "\n"
                    "Options:\n"
                    "\n"
                    "* `ND_WERROR` turns warnings into errors, which is what the\n"
                    "  continuous integration does.\n"
                    "* `ND_SANITIZE` builds with the address and undefined\n"
                    "  behaviour sanitizers.\n";
    cr_expect_eq(detect(t), ND_SPLIT_BLANK);
}

Test(split, auto_rest_with_table_is_blank) {
    const char *t = "Options\n"
                    "=======\n"
                    "\n"
                    "The scanner reads every file given on the command line and\n"
                    "cuts it into paragraphs before it computes the sketches that\n"
                    "find near-duplicates.\n"
                    "\n"
                    "=========  ========================================\n"
                    "Option     Meaning\n"
                    "=========  ========================================\n"
                    "--split    how paragraphs are found\n"
                    "--shingle  tokens per shingle\n"
                    "=========  ========================================\n"
                    "\n"
                    ".. note::\n"
                    "\n"
                    "   The table above lists only the options that change the\n"
                    "   paragraphs; see :ref:`options` for the others.\n";
    cr_expect_eq(detect(t), ND_SPLIT_BLANK);
}

Test(split, auto_one_paragraph_per_line_long_lines_is_line) {
    /* long, variable lines that each end a paragraph, an occasional blank line */
    const char *t =
        "The committee met on Tuesday to review the budget for the coming year, and after a long "
        "discussion it approved the proposal with two amendments that the treasurer had asked "
        "for.\n"
        "Members asked why the maintenance costs had risen so sharply since the last review.\n"
        "The treasurer explained that most of the increase came from the new heating system, which "
        "had been installed in the autumn and whose running costs had been underestimated.\n"
        "\n"
        "A vote on the amendments was held at the end of the meeting and both were carried by a "
        "large majority, with three members abstaining and none voting against them.\n"
        "The next meeting will take place in March, when the final accounts for the year are "
        "expected to be ready for the members to examine in detail.\n";
    cr_expect_eq(detect(t), ND_SPLIT_LINE);
}

Test(split, auto_chinese_one_paragraph_per_line_is_line) {
    /* one paragraph per line, each a sentence or more, with blank lines */
    const char *t =
        "今年以来，我局坚持以人民为中心的发展思想，认真落实各项工作部署，全面完成了年初确定的目标任"
        "务。\n"
        "一是加强组织领导，成立了由主要负责同志任组长的工作领导小组，定期研究解决工作中的重大问题。"
        "\n"
        "\n"
        "二是完善制度建设，先后出台了十余项管理制度，形成了用制度管人、按制度办事的良好局面。\n"
        "三是强化监督检查，对发现的问题建立台账、限期整改，确保各项工作落到实处、取得实效。\n";
    cr_expect_eq(detect(t), ND_SPLIT_LINE);
}

Test(split, auto_chinese_wrapped_text_is_blank) {
    /* hard-wrapped at 60 columns (30 CJK characters), lines end mid-sentence */
    const char *t = "在 Debian 这种规模的项目中，很难避免遇到与你意见不和，或者难以合作\n"
                    "的人。请接受这一事实，并保持礼貌。意见不一致并不是糟糕举止或者人身\n"
                    "攻击的借口，而且让人感觉受到威胁显然不是健康的社区氛围。\n"
                    "\n"
                    "Debian 贡献者们可能会通过与您不一样的方式来达成我们对于自由操作\n"
                    "系统的共同目标。请始终假设其他人都在为这一目标而付诸努力。需要注\n"
                    "意的是，我们之中的许多贡献者的母语并不是英语。\n";
    cr_expect_eq(detect(t), ND_SPLIT_BLANK);
}

Test(split, auto_records_in_blank_separated_groups_are_line) {
    /* one record per line, groups with comment headers */
    const char *t = "# Zone 2 is Africa\n"
                    "20:Egypt\n212:Morocco\n213:Algeria\n216:Tunisia\n"
                    "\n"
                    "# Zone 3 is Europe\n"
                    "30:Greece\n31:Netherlands\n32:Belgium\n33:France\n"
                    "\n"
                    "echo\t\t7/tcp\necho\t\t7/udp\ndiscard\t\t9/tcp\t\tsink null\n";
    cr_expect_eq(detect(t), ND_SPLIT_LINE);
}

Test(split, auto_copyright_stanzas_are_blank) {
    /* Debian copyright file: fields with indented continuation lines */
    const char *t = "Files: *\n"
                    "Copyright: 2009-2023 Some Body <some@example.org>\n"
                    "           2011 Other Person\n"
                    "License: ISC\n"
                    " Permission to use, copy, modify, and/or distribute this software for any\n"
                    " purpose with or without fee is hereby granted.\n"
                    "\n"
                    "Files: debian/*\n"
                    "Copyright: 2020 Debian Maintainers\n"
                    "License: ISC\n";
    cr_expect_eq(detect(t), ND_SPLIT_BLANK);
}

/* The report's summary counts the files split each way (what the text report
 * prints in its totals) and agrees with the per-document split. */
Test(split, report_summary_counts_files_split_each_way) {
    const char *texts[] = {
        wrapped,                                                          /* blank */
        "first record,1,2\nsecond record,3,4\n\nthird,5,6\nfourth,7,8\n", /* line */
        "no blank line here\nnor here\n",                                 /* line: a single block */
    };
    nd_scanner *sc;
    nd_report *r;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(nd_scanner_add_buffer(sc, "doc", texts[i], strlen(texts[i])), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    nd_summary sm;
    cr_assert_eq(nd_report_summary(r, &sm), ND_OK);
    cr_expect_eq(sm.split_blank, 1u);
    cr_expect_eq(sm.split_line, 2u);
    nd_document_info d;
    cr_assert_eq(nd_report_document(r, 0, &d), ND_OK);
    cr_expect_eq(d.split, (unsigned)ND_SPLIT_BLANK);
    cr_assert_eq(nd_report_document(r, 1, &d), ND_OK);
    cr_expect_eq(d.split, (unsigned)ND_SPLIT_LINE);
    nd_report_free(r);
}

/* --- the AVX2 line summaries against the byte loop ------------------------ */

/* Random documents of blocks of lines built from every kind of piece the
 * summaries look at - words, spaces, tabs, the separators ; | , : = and
 * "://", 2-, 3- (CJK) and 4-byte characters, sentence ends of both kinds,
 * comment starts, indentation, trailing white space - at every offset and
 * length (lines up to ~400 bytes, so both full 32-byte chunks and the
 * overlapping last chunk occur): the votes of nd_split_detect_votes must be
 * the same with the AVX2 summaries as with the byte loop. */
Test(split, avx2_line_summaries_vote_as_the_byte_loop) {
    static const char *const pieces[] = {"word",
                                         "Wrapped",
                                         "a",
                                         "longerwordwithoutspaces",
                                         " ",
                                         " ",
                                         " ",
                                         "  ",
                                         "\t",
                                         ";",
                                         "|",
                                         ",",
                                         ":",
                                         "=",
                                         "://",
                                         "a:b",
                                         "1,2",
                                         "x;y",
                                         "k=v",
                                         "é",
                                         "ß",
                                         "中文",
                                         "。",
                                         "！",
                                         "？",
                                         "”",
                                         "」",
                                         "』",
                                         "\xF0\x9F\x98\x80",
                                         ".",
                                         "!",
                                         "?",
                                         "\"",
                                         "#",
                                         "!",
                                         "//",
                                         "-",
                                         "\xC2\xA0",
                                         "\xE3\x80\x80",
                                         "\v",
                                         "\f"};
    enum { NP = sizeof pieces / sizeof *pieces };
    static char doc[40000];
    uint64_t st = 4242;
    int avx2 = 0;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
#endif
    if (!avx2) cr_log_warn("this CPU has no AVX2: the AVX2 line summaries are not tested here");
    size_t voted = 0;
    for (int d = 0; d < 1500; d++) {
        size_t n = 0;
        unsigned nblocks = 2 + (unsigned)(nd_splitmix64(&st) % 12);
        unsigned maxlen = 8 + (unsigned)(nd_splitmix64(&st) % 400);
        for (unsigned b = 0; b < nblocks && n < sizeof doc - 1000; b++) {
            unsigned nlines = 1 + (unsigned)(nd_splitmix64(&st) % 8);
            for (unsigned l = 0; l < nlines && n < sizeof doc - 1000; l++) {
                size_t want = nd_splitmix64(&st) % maxlen, start = n;
                if (nd_splitmix64(&st) % 5 == 0) doc[n++] = nd_splitmix64(&st) % 2 ? ' ' : '\t';
                while (n - start < want) {
                    const char *pc = pieces[nd_splitmix64(&st) % NP];
                    size_t l2 = strlen(pc);
                    memcpy(doc + n, pc, l2);
                    n += l2;
                }
                doc[n++] = '\n';
            }
            doc[n++] = '\n';
        }
        size_t va[3], vb[3];
        nd_split_mode ma = nd_split_detect_votes((const uint8_t *)doc, n, 1, va);
        nd_split_mode mb = nd_split_detect_votes((const uint8_t *)doc, n, 0, vb);
        cr_assert(ma == mb && va[0] == vb[0] && va[1] == vb[1] && va[2] == vb[2],
                  "document %d: votes %zu/%zu/%zu (AVX2) vs %zu/%zu/%zu (bytes)", d, va[0], va[1],
                  va[2], vb[0], vb[1], vb[2]);
        voted += va[1] + va[2];
    }
    cr_assert_gt(voted, 10000u);
}

static uint64_t next_rand(uint64_t *x) { /* xorshift64 */
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* A random text of 1-40 lines of words, white space and empty lines (with
 * an ideographic space among them when wide), ended by LF, CRLF or CR (by
 * round % 3; mixed when it is 2), into text; returns its length. */
static size_t random_lines(uint64_t *seed, int round, int wide, char *text, size_t cap) {
    static const char *bits[] = {"alpha beta",  "gamma",
                                 " ",           "",
                                 "\t",          "delta epsilon zeta eta",
                                 "theta",       "iota kappa lambda mu nu xi omicron",
                                 "\xe3\x80\x80"};
    static const char *ends[] = {"\n", "\r\n", "\r"};
    const size_t nbits = sizeof bits / sizeof bits[0] - (wide ? 0 : 1);
    size_t n = 0;
    int lines = 1 + (int)(next_rand(seed) % 40);
    for (int i = 0; i < lines; i++) {
        const char *b = bits[next_rand(seed) % nbits];
        const char *e = ends[round % 3 == 2 ? next_rand(seed) % 3 : (size_t)(round % 3)];
        n += (size_t)snprintf(text + n, cap - n, "%s%s", b, i + 1 < lines ? e : "");
    }
    return n;
}

/* The paragraphs split from pieces are the whole text's: offsets, lengths,
 * lines and document, one by one. */
static void assert_same_paragraphs(const nd_paratab *parts, const nd_paratab *whole, int round,
                                   int m) {
    cr_assert_eq(parts->n, whole->n, "round %d mode %d: %zu paragraphs, want %zu", round, m,
                 parts->n, whole->n);
    for (size_t i = 0; i < whole->n; i++) {
        cr_assert_eq(parts->off[i], whole->off[i], "round %d mode %d paragraph %zu", round, m, i);
        cr_assert_eq(parts->len[i], whole->len[i]);
        cr_assert_eq(parts->line[i], whole->line[i], "round %d mode %d paragraph %zu line", round,
                     m, i);
        cr_assert_eq(parts->doc[i], whole->doc[i]);
    }
}

/* at[0] = 0, at[1..3] three random places of a text of n bytes, ascending,
 * at[4] = n. */
static void random_cuts(uint64_t *seed, size_t n, size_t at[5]) {
    at[0] = 0;
    at[4] = n;
    for (int k = 1; k <= 3; k++) at[k] = next_rand(seed) % (n + 1);
    for (int k = 1; k <= 3; k++)
        for (int j = k + 1; j <= 3; j++)
            if (at[j] < at[k]) {
                size_t t = at[j];
                at[j] = at[k];
                at[k] = t;
            }
}

/* A text cut at cut points (nd_split_cut) and split range by range
 * (nd_split_range) gives the paragraphs of the whole text: the same spans,
 * lines, and cut-at-max pieces, in every mode, for LF, CRLF and lone-CR
 * texts with blank lines of white space (neardup-mpi cuts one large file
 * across its ranks so). */
Test(split, ranges_between_cut_points_give_the_whole_texts_paragraphs) {
    uint64_t seed = 42;
    for (int round = 0; round < 300; round++) {
        char text[4096];
        size_t n = random_lines(&seed, round, 1, text, sizeof text);
        for (int m = 0; m < 3; m++) {
            nd_split_mode mode = m == 0 ? ND_SPLIT_LINE : m == 1 ? ND_SPLIT_BLANK : ND_SPLIT_AUTO;
            nd_paratab whole = {0}, parts = {0};
            whole.max_len = parts.max_len = 12; /* long lines and blocks are cut too */
            nd_split_mode used = ND_SPLIT_AUTO, used2 = ND_SPLIT_AUTO;
            const uint8_t *d = (const uint8_t *)text;
            cr_assert_eq(nd_split_document(&whole, 3, d, n, mode, &used), ND_OK);
            size_t at[5];
            random_cuts(&seed, n, at);
            size_t ncut = 0;
            for (int k = 0; k < 4; k++) {
                size_t from = nd_split_cut(d, n, at[k]),
                       to = k == 3 ? n : nd_split_cut(d, n, at[k + 1]);
                cr_assert_leq(from, to);
                cr_assert_eq(nd_split_range(&parts, 3, d, n, from, to, mode, &used2), ND_OK);
                cr_assert_eq(used2, used);
                ncut += parts.ncut;
            }
            assert_same_paragraphs(&parts, &whole, round, m);
            cr_assert_eq(ncut, whole.ncut);
            nd_paratab_release(&whole);
            nd_paratab_release(&parts);
        }
    }
}

/* The same pieces read alone - each copied into a buffer of its own - split
 * by nd_split_piece, in the mode of the whole text, with each piece's lines
 * shifted by the lines of the pieces before it, give the whole text's
 * paragraphs (neardup-mpi reads only its piece of a cut file). */
Test(split, pieces_read_alone_give_the_whole_texts_paragraphs) {
    uint64_t seed = 7;
    for (int round = 0; round < 300; round++) {
        char text[4096];
        size_t n = random_lines(&seed, round, 0, text, sizeof text);
        const uint8_t *d = (const uint8_t *)text;
        for (int m = 0; m < 2; m++) {
            nd_split_mode mode = m == 0 ? ND_SPLIT_LINE : ND_SPLIT_BLANK;
            nd_paratab whole = {0}, parts = {0};
            whole.max_len = parts.max_len = 12;
            cr_assert_eq(nd_split_document(&whole, 3, d, n, mode, NULL), ND_OK);
            size_t at[5];
            random_cuts(&seed, n, at);
            uint32_t before = 0;
            for (int k = 0; k < 4; k++) {
                size_t from = nd_split_cut(d, n, at[k]),
                       to = k == 3 ? n : nd_split_cut(d, n, at[k + 1]);
                uint8_t *piece = malloc(to - from + 1);
                cr_assert(piece);
                memcpy(piece, d + from, to - from);
                size_t p0 = parts.n;
                uint32_t got = 0;
                cr_assert_eq(nd_split_piece(&parts, 3, piece, to - from, from, mode, &got), ND_OK);
                for (size_t i = p0; i < parts.n; i++) parts.line[i] += before;
                before += got;
                free(piece);
            }
            assert_same_paragraphs(&parts, &whole, round, m);
            nd_paratab_release(&whole);
            nd_paratab_release(&parts);
        }
    }
}

/* The auto decision from a prefix (nd_split_detect_prefix): whenever a
 * prefix settles it, it is the whole text's decision; the whole text always
 * settles it; and long texts settle before their end (the case neardup-mpi
 * counts on: every rank decides from the same first bytes). */
Test(split, a_prefix_that_settles_decides_as_the_whole_text) {
    static const char *bits[] = {"alpha beta gamma delta",
                                 "",
                                 "  indented line",
                                 "a:b",
                                 "A long sentence that goes on and on until it is wide enough to "
                                 "count as a whole paragraph by itself.",
                                 "epsilon zeta",
                                 "x,y,z",
                                 " "};
    static const char *ends[] = {"\n", "\r\n", "\r"};
    uint64_t seed = 99;
    int early = 0;
    for (int round = 0; round < 60; round++) {
        size_t cap = 1 << 17, n = 0;
        char *text = malloc(cap);
        cr_assert(text);
        int lines = 50 + (int)(next_rand(&seed) % 3000), skew = (int)(next_rand(&seed) % 8);
        for (int i = 0; i < lines && n + 200 < cap; i++) {
            size_t k = next_rand(&seed) % (sizeof bits / sizeof bits[0]);
            if (k >= 2 && (int)(next_rand(&seed) % 8) < skew) k = 0; /* a majority, some rounds */
            const char *e = ends[round % 3 == 2 ? next_rand(&seed) % 3 : (size_t)(round % 3)];
            n += (size_t)snprintf(text + n, cap - n, "%s%s", bits[k], e);
        }
        const uint8_t *d = (const uint8_t *)text;
        nd_split_mode want = nd_split_detect(d, n), got = ND_SPLIT_AUTO;
        cr_assert_eq(nd_split_detect_prefix(d, n, 1, &got), 1);
        cr_assert_eq(got, want);
        for (size_t p = 0; p < n; p += 1 + next_rand(&seed) % 97) {
            got = ND_SPLIT_AUTO;
            if (nd_split_detect_prefix(d, p, 0, &got)) {
                cr_assert_eq(got, want, "round %d prefix %zu of %zu", round, p, n);
                early++;
            }
        }
        free(text);
    }
    cr_assert_gt(early, 0, "no prefix settled the decision");
}
