/* test_input.c - walking, reading, gzip, and reporting of skipped inputs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "input.h"
#include "support.h"

typedef struct diag_log {
    char lines[64][512];
    int n;
} diag_log;

static void on_diag(void *user, const nd_diag *d) {
    diag_log *log = user;
    if (log->n < 64)
        snprintf(log->lines[log->n++], sizeof log->lines[0], "%s|%s|%d%s%s", d->path,
                 nd_strerror(d->status), d->sys_errno, /* a notice: its words too */
                 d->status == ND_OK && d->detail ? "|" : "",
                 d->status == ND_OK && d->detail ? d->detail : "");
}

static void make_tmp(void) { nd_test_tmp_make("input"); }

static void rm_tmp(void) { nd_test_tmp_remove(); }

#define at  nd_test_tmp_at
#define put nd_test_tmp_put

static void put_gz(const char *rel, const char *text) {
    gzFile g = gzopen(at(rel), "wb");
    cr_assert_not_null(g);
    cr_assert_eq(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    gzclose(g);
}

TestSuite(input, .init = make_tmp, .fini = rm_tmp);

Test(input, directories_are_walked_in_byte_order_skipping_hidden_entries) {
    cr_assert_eq(mkdir(at("d"), 0755), 0);
    cr_assert_eq(mkdir(at("d/sub"), 0755), 0);
    put("d/b.txt", "b\n", 2);
    put("d/a.txt", "a\n", 2);
    put("d/B.txt", "B\n", 2);
    put("d/.hidden", "h\n", 2);
    put("d/sub/c.txt", "c\n", 2);
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("d")), ND_OK);
    cr_assert_eq(dt.n, 4u);
    cr_expect_str_eq(dt.docs[0].path, at("d/B.txt"));
    cr_expect_str_eq(dt.docs[1].path, at("d/a.txt"));
    cr_expect_str_eq(dt.docs[2].path, at("d/b.txt"));
    cr_expect_str_eq(dt.docs[3].path, at("d/sub/c.txt"));
    cr_expect_eq(cfg.skipped, 0u);
    nd_doctab_release(&dt);
}

Test(input, gzip_is_decompressed_transparently_whatever_the_name) {
    put_gz("x.gz", "hello gzip\n");
    put_gz("y.txt", "named txt but gzip\n");
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("x.gz")), ND_OK);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("y.txt")), ND_OK);
    cr_assert_eq(dt.n, 2u);
    cr_expect_eq(dt.docs[0].size, 11u);
    nd_reader rd;
    const uint8_t *bytes = NULL;
    nd_reader_init(&rd, &dt);
    cr_assert_eq(nd_reader_whole(&rd, 0, &bytes), ND_OK);
    cr_expect(memcmp(bytes, "hello gzip\n", 11) == 0);
    cr_expect_eq(dt.docs[0].spooled, 1, "inflated into the spool, not kept on the heap");
    cr_expect_null(dt.docs[0].heap);
    nd_reader_release(&rd);
    cr_expect_eq(dt.docs[0].gzip, 1);
    cr_expect_eq(dt.docs[1].size, 19u);
    nd_doctab_release(&dt);
}

Test(input, truncated_gzip_and_binary_files_are_reported_and_skipped) {
    put_gz("full.gz", "some text that compresses a little bit, some text\n");
    size_t len = 0;
    char *gz = nd_test_read_file(at("full.gz"), &len);
    put("cut.gz", gz, len - 6);
    free(gz);
    put("bin.dat", "abc\0def", 7);
    put("ok.txt", "fine\n", 5);
    diag_log log = {0};
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20, .diag = on_diag, .user = &log};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, nd_test_tmp_dir()), ND_OK);
    cr_assert_eq(dt.n, 2u); /* full.gz and ok.txt */
    cr_expect_eq(cfg.skipped, 2u);
    cr_assert_eq(log.n, 2);
    char want[512];
    snprintf(want, sizeof want, "%s|binary file|0", at("bin.dat"));
    cr_expect_str_eq(log.lines[0], want);
    snprintf(want, sizeof want, "%s|corrupt or truncated gzip data|0", at("cut.gz"));
    cr_expect_str_eq(log.lines[1], want);
    nd_doctab_release(&dt);
}

Test(input, missing_files_fifos_loops_and_repeats_are_reported) {
    cr_assert_eq(mkdir(at("d"), 0755), 0);
    put("d/a.txt", "a\n", 2);
    cr_assert_eq(symlink("..", at("d/up")), 0);   /* a directory cycle */
    cr_assert_eq(symlink("self", at("self")), 0); /* ELOOP */
    cr_assert_eq(mkfifo(at("fifo"), 0644), 0);
    diag_log log = {0};
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20, .diag = on_diag, .user = &log};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("nope.txt")), ND_OK);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("self")), ND_OK);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("fifo")), ND_OK);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("d")), ND_OK);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("d/a.txt")), ND_OK);
    cr_assert_eq(dt.n, 1u);
    /* d/up leads back to the top directory: its entries are walked once
     * (fifo and self reported again under that path) until d recurs */
    cr_assert_eq(log.n, 7);
    char want[512];
    snprintf(want, sizeof want, "%s|input/output error|%d", at("nope.txt"), ENOENT);
    cr_expect_str_eq(log.lines[0], want);
    snprintf(want, sizeof want, "%s|symbolic link loop|0", at("self"));
    cr_expect_str_eq(log.lines[1], want);
    snprintf(want, sizeof want, "%s|not a regular file|0", at("fifo"));
    cr_expect_str_eq(log.lines[2], want);
    snprintf(want, sizeof want, "%s|symbolic link loop|0", at("d/up/d"));
    cr_expect_str_eq(log.lines[3], want);
    snprintf(want, sizeof want, "%s|not a regular file|0", at("d/up/fifo"));
    cr_expect_str_eq(log.lines[4], want);
    snprintf(want, sizeof want, "%s|symbolic link loop|0", at("d/up/self"));
    cr_expect_str_eq(log.lines[5], want);
    /* the file itself again: read once, a notice (not a skipped input) */
    snprintf(want, sizeof want, "%s|success|0|given more than once, read once", at("d/a.txt"));
    cr_expect_str_eq(log.lines[6], want);
    cr_expect_eq(cfg.skipped, 6u);
    nd_doctab_release(&dt);
}

Test(input, files_over_the_size_limit_are_skipped_also_after_inflating) {
    char big[4096];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put("big.txt", big, sizeof big - 1);
    put_gz("bomb.gz", big);
    diag_log log = {0};
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1000, .diag = on_diag, .user = &log};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("big.txt")), ND_OK);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("bomb.gz")), ND_OK);
    cr_expect_eq(dt.n, 0u);
    cr_assert_eq(log.n, 2);
    char want[512];
    snprintf(want, sizeof want, "%s|file larger than --max-file-size|0", at("bomb.gz"));
    cr_expect_str_eq(log.lines[1], want);
    nd_doctab_release(&dt);
}

Test(input, empty_file_is_a_document_with_no_bytes) {
    put("empty.txt", "", 0);
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("empty.txt")), ND_OK);
    cr_assert_eq(dt.n, 1u);
    cr_expect_eq(dt.docs[0].size, 0u);
    nd_doctab_release(&dt);
}

Test(input, standard_input_given_twice_is_read_once) {
    put("in.txt", "from stdin\n", 11);
    cr_assert_not_null(freopen(at("in.txt"), "rb", stdin));
    diag_log log = {0};
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20, .diag = on_diag, .user = &log};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, "-"), ND_OK);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, "-"), ND_OK);
    cr_assert_eq(dt.n, 1u);
    cr_expect_eq(dt.docs[0].size, 11u);
    cr_expect_str_eq(dt.docs[0].path, "-");
    cr_expect_eq(cfg.skipped, 0u); /* a notice, as for a file given twice */
    cr_assert_eq(log.n, 1);
    cr_expect_str_eq(log.lines[0], "-|success|0|given more than once, read once");
    nd_doctab_release(&dt);
}

/* A walk of many files (some binary, too large, truncated gzip, fifos,
 * loops, repeats) gives the same documents, bytes and diagnostics, in the
 * same order, whether its files are loaded here or on 2 or 3 threads. */
Test(input, parallel_loading_keeps_the_walk_order_of_documents_and_reports) {
    cr_assert_eq(mkdir(at("d"), 0755), 0);
    char rel[64], text[64];
    for (int i = 0; i < 600; i++) {
        snprintf(rel, sizeof rel, "d/f%03d.txt", i);
        int len = snprintf(text, sizeof text, "file %d\n", i);
        switch (i % 50) {
        case 7: put(rel, "bin\0ary", 7); break;
        case 13: put_gz(rel, "gzip text\n"); break;
        case 29: put(rel, text, sizeof text); break; /* NUL padding: binary */
        case 31: {
            char big[3000];
            memset(big, 'y', sizeof big);
            put(rel, big, sizeof big); /* over the limit below */
            break;
        }
        case 41: cr_assert_eq(mkfifo(at(rel), 0644), 0); break;
        default: put(rel, text, (size_t)len);
        }
    }
    cr_assert_eq(symlink("f000.txt", at("d/f000b.txt")), 0); /* a repeat */
    cr_assert_eq(symlink("..", at("d/up")), 0);              /* a cycle */
    diag_log logs[3];
    nd_doctab dts[3];
    for (unsigned t = 0; t < 3; t++) {
        memset(&logs[t], 0, sizeof logs[t]);
        memset(&dts[t], 0, sizeof dts[t]);
        nd_input_cfg cfg = {
            .max_file_size = 2000, .diag = on_diag, .user = &logs[t], .threads = t + 1};
        cr_assert_eq(nd_input_add_path(&dts[t], &cfg, at("d")), ND_OK);
    }
    cr_assert_eq(dts[0].n, 600u - 4 * 12);   /* not: 12 each of i % 50 = 7, 29, 31, 41 */
    cr_assert_eq(logs[0].n, 1 + 4 * 12 + 1); /* and the repeat, the cycle */
    for (unsigned t = 1; t < 3; t++) {
        cr_assert_eq(dts[t].n, dts[0].n);
        for (size_t i = 0; i < dts[0].n; i++) {
            cr_assert_str_eq(dts[t].docs[i].path, dts[0].docs[i].path);
            cr_assert_eq(dts[t].docs[i].size, dts[0].docs[i].size);
            cr_assert_eq(dts[t].docs[i].gzip, dts[0].docs[i].gzip);
            cr_assert_eq(dts[t].docs[i].dev, dts[0].docs[i].dev);
            cr_assert_eq(dts[t].docs[i].ino, dts[0].docs[i].ino);
            cr_assert_eq(dts[t].docs[i].mtime_ns, dts[0].docs[i].mtime_ns);
        }
        cr_assert_eq(logs[t].n, logs[0].n);
        for (int i = 0; i < logs[0].n; i++) cr_assert_str_eq(logs[t].lines[i], logs[0].lines[i]);
    }
    char want[512];
    snprintf(want, sizeof want, "%s|success|0|the same file as '%s', read once", at("d/f000b.txt"),
             at("d/f000.txt"));
    cr_expect_str_eq(logs[0].lines[0], want);
    snprintf(want, sizeof want, "%s|binary file|0", at("d/f007.txt"));
    cr_expect_str_eq(logs[0].lines[1], want);
    snprintf(want, sizeof want, "%s|file larger than --max-file-size|0", at("d/f031.txt"));
    cr_expect_str_eq(logs[0].lines[3], want);
    snprintf(want, sizeof want, "%s|not a regular file|0", at("d/f041.txt"));
    cr_expect_str_eq(logs[0].lines[4], want);
    snprintf(want, sizeof want, "%s|symbolic link loop|0", at("d/up/d"));
    cr_expect_str_eq(logs[0].lines[49], want);
    cr_expect_eq(dts[0].docs[12].gzip, 1); /* f013.txt: 0..12 minus f007 */
    cr_expect_str_eq(dts[0].docs[12].path, at("d/f013.txt"));
    for (unsigned t = 0; t < 3; t++) nd_doctab_release(&dts[t]);
}

/* Issue 12: nothing is mapped; a file that changes after it was loaded is
 * found by the reader (nd_reader_whole, nd_reader_get, nd_doctab_own) and
 * reported once, as ND_ERR_CHANGED, whatever the change.  The file's time is
 * set in the past first, so a rewrite of the same size gets another
 * modification time even within one clock tick. */
static void put_old(const char *rel, const char *text) {
    put(rel, text, strlen(text));
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, at(rel), ts, 0), 0);
}

static void change(int how, const char *rel) {
    switch (how) {
    case 0: cr_assert_eq(truncate(at(rel), 0), 0); break;       /* truncate */
    case 1: put(rel, "HELLO WORLD, another text\n", 26); break; /* rewrite */
    case 2: cr_assert_eq(unlink(at(rel)), 0); break;            /* delete */
    case 3:                                                     /* replace */
        put("new.tmp", "hello world, a text here.\n", 26);
        cr_assert_eq(rename(at("new.tmp"), at(rel)), 0);
        break;
    default: { /* grow */
        FILE *f = fopen(at(rel), "ab");
        cr_assert_not_null(f);
        fputs("more\n", f);
        fclose(f);
    }
    }
}

Test(input, changed_files_are_found_when_read_again) {
    static const char *const what[] = {"truncate", "rewrite", "delete", "replace", "grow"};
    for (int kept = 0; kept < 2; kept++) {
        for (int how = 0; how < 5; how++) {
            nd_doctab dt = {0};
            diag_log log = {0};
            nd_input_cfg cfg = {.max_file_size = 1u << 20, .diag = on_diag, .user = &log};
            const uint8_t *data = NULL;
            put_old("x.txt", "hello world, a text here.\n");
            if (!kept) dt.nfds = SIZE_MAX / 2; /* no descriptor kept: reopened by path */
            cr_assert_eq(nd_input_add_path(&dt, &cfg, at("x.txt")), ND_OK);
            cr_assert_eq(dt.n, 1);
            cr_assert_null(dt.docs[0].data);
            cr_assert_eq(dt.docs[0].kfd != 0, kept);
            change(how, "x.txt");
            nd_reader rd;
            nd_reader_init(&rd, &dt);
            nd_status want = kept && (how == 2 || how == 3) ? ND_OK : ND_ERR_CHANGED;
            /* a kept descriptor still reads the deleted or replaced file,
             * which is the file loaded, unchanged */
            cr_expect_eq(nd_reader_whole(&rd, 0, &data), want, "%s, kept %d", what[how], kept);
            if (want == ND_OK) cr_expect_eq(memcmp(data, "hello world", 11), 0);
            nd_reader_release(&rd);
            cr_expect_eq(nd_doctab_own(&dt, 0), want, "%s, kept %d", what[how], kept);
            nd_doctab_report_changed(&dt, &cfg);
            nd_doctab_report_changed(&dt, &cfg); /* once only */
            if (want == ND_OK) {
                cr_expect_eq(log.n, 0);
                cr_expect_eq(memcmp(dt.docs[0].data, "hello world", 11), 0);
            } else {
                char line[600];
                snprintf(line, sizeof line,
                         "%s|changed while it was read; results for it may be incomplete|0",
                         at("x.txt"));
                cr_expect_eq(log.n, 1, "%s, kept %d", what[how], kept);
                cr_expect_str_eq(log.lines[0], line);
                cr_expect_eq(cfg.skipped, 1);
            }
            nd_doctab_release(&dt);
            unlink(at("x.txt"));
        }
    }
}

/* A truncated file read by ranges gives ND_ERR_CHANGED, not a fault. */
Test(input, a_range_past_the_end_of_a_truncated_file_is_a_change) {
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1u << 20};
    char big[70000];
    const uint8_t *data = NULL;
    memset(big, 'a', sizeof big);
    for (size_t i = 60; i < sizeof big; i += 61) big[i] = '\n';
    put("big.txt", big, sizeof big);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("big.txt")), ND_OK);
    nd_reader rd;
    nd_reader_init(&rd, &dt);
    cr_assert_eq(nd_reader_get(&rd, 0, 65000, 100, 0, &data), ND_OK);
    cr_assert_eq(data[0], 'a');
    cr_assert_eq(truncate(at("big.txt"), 4096), 0);
    cr_expect_eq(nd_reader_get(&rd, 0, 65000, 10, 0, &data), ND_OK, "still in the window");
    cr_expect_eq(nd_reader_get(&rd, 0, 30000, 100, 0, &data), ND_ERR_CHANGED);
    cr_expect_eq(nd_reader_whole(&rd, 0, &data), ND_ERR_CHANGED);
    cr_expect_eq(nd_reader_get(&rd, 0, 69990, 100, 0, &data), ND_ERR_INVALID,
                 "past the size loaded");
    nd_reader_release(&rd);
    nd_doctab_release(&dt);
}

/* A document over ND_WHOLE_MAX is split from a private, unlinked copy that
 * is mapped (no heap buffer its size); the copy is checked like a read, and
 * a change after the load is found. */
Test(input, a_large_document_is_read_through_a_private_copy) {
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = UINT64_C(1) << 30};
    static char chunk[1 << 20];
    const uint8_t *data = NULL;
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = i % 64 == 63 ? '\n' : 'a' + (char)(i % 26);
    FILE *f = fopen(at("large.txt"), "wb");
    cr_assert_not_null(f);
    size_t chunks = ND_WHOLE_MAX / sizeof chunk + 1;
    for (size_t c = 0; c < chunks; c++)
        cr_assert_eq(fwrite(chunk, 1, sizeof chunk, f), sizeof chunk);
    fclose(f);
    struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, at("large.txt"), ts, 0), 0);
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("large.txt")), ND_OK);
    cr_assert_eq(dt.n, 1);
    nd_reader rd;
    nd_reader_init(&rd, &dt);
    cr_assert_eq(nd_reader_whole_private(&rd, 0, nd_test_tmp_dir(), &data), ND_OK);
    cr_assert_not_null(rd.map, "mapped from the private copy");
    cr_assert_lt(rd.cap, ND_WHOLE_MAX, "no buffer the size of the file");
    cr_assert_eq(memcmp(data + (chunks - 1) * sizeof chunk, chunk, sizeof chunk), 0);
    cr_assert_eq(truncate(at("large.txt"), 1000), 0);
    cr_expect_eq(data[sizeof chunk + 5], chunk[5], "the copy is not the file: still readable");
    cr_expect_eq(nd_reader_whole_private(&rd, 0, nd_test_tmp_dir(), &data), ND_ERR_CHANGED);
    cr_expect_null(rd.map);
    nd_reader_release(&rd);
    nd_doctab_release(&dt);
}

/* Walk rules: exclude leaves files and whole directories out, include keeps
 * only matching files (directories are still walked), a pattern with '/'
 * matches the path below the walked directory, one without the name; dot
 * entries only with hidden; a path given explicitly is always taken. */
Test(input, walk_rules_and_hidden_entries) {
    cr_assert_eq(mkdir(at("w"), 0755), 0);
    cr_assert_eq(mkdir(at("w/docs"), 0755), 0);
    cr_assert_eq(mkdir(at("w/docs/old"), 0755), 0);
    cr_assert_eq(mkdir(at("w/.git"), 0755), 0);
    put("w/a.txt", "a\n", 2);
    put("w/b.md", "b\n", 2);
    put("w/.hidden.txt", "h\n", 2);
    put("w/.git/config.txt", "g\n", 2);
    put("w/docs/c.txt", "c\n", 2);
    put("w/docs/d.md", "d\n", 2);
    put("w/docs/old/e.txt", "e\n", 2);
    const char *inc_txt[] = {"*.txt"}, *exc_old[] = {"old"}, *inc_docs[] = {"docs/*.txt"},
               *exc_rel[] = {"docs/old"}, *exc_star[] = {"*"};
    struct {
        const char **inc, **exc;
        size_t ninc, nexc;
        int hidden;
        const char *want;
    } cases[] = {
        {NULL, NULL, 0, 0, 0, "a.txt b.md docs/c.txt docs/d.md docs/old/e.txt"},
        {NULL, NULL, 0, 0, 1,
         ".git/config.txt .hidden.txt a.txt b.md docs/c.txt docs/d.md docs/old/e.txt"},
        {inc_txt, NULL, 1, 0, 0, "a.txt docs/c.txt docs/old/e.txt"},
        {inc_txt, exc_old, 1, 1, 0, "a.txt docs/c.txt"},
        {inc_docs, NULL, 1, 0, 0, "docs/c.txt"},
        {NULL, exc_rel, 0, 1, 0, "a.txt b.md docs/c.txt docs/d.md"},
        {inc_txt, NULL, 1, 0, 1, ".git/config.txt .hidden.txt a.txt docs/c.txt docs/old/e.txt"},
        {NULL, exc_star, 0, 1, 0, ""},
    };
    size_t root = strlen(at("w")) + 1;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        diag_log log = {0};
        nd_doctab dt = {0};
        nd_input_cfg cfg = {.max_file_size = 1 << 20,
                            .diag = on_diag,
                            .user = &log,
                            .include = cases[c].inc,
                            .ninclude = cases[c].ninc,
                            .exclude = cases[c].exc,
                            .nexclude = cases[c].nexc,
                            .hidden = cases[c].hidden};
        cr_assert_eq(nd_input_add_path(&dt, &cfg, at("w")), ND_OK);
        char got[512] = "";
        for (size_t i = 0; i < dt.n; i++) {
            size_t len = strlen(got);
            snprintf(got + len, sizeof got - len, "%s%s", i ? " " : "", dt.docs[i].path + root);
        }
        cr_expect_str_eq(got, cases[c].want, "case %zu", c);
        cr_expect_eq(log.n, 0, "case %zu", c);
        /* a path named explicitly is taken whatever the rules */
        cr_assert_eq(nd_input_add_path(&dt, &cfg, at("w/docs/old/e.txt")), ND_OK);
        cr_expect_str_eq(dt.docs[dt.n - 1].path, at("w/docs/old/e.txt"), "case %zu", c);
        nd_doctab_release(&dt);
    }
}

/* A directory holding a link before its target (as /usr/share/common-licenses
 * holds GPL -> GPL-3): the file is read once, under the first name met, with
 * a notice that is not a skipped input. */
Test(input, a_link_beside_its_target_is_read_once_under_the_first_name) {
    cr_assert_eq(mkdir(at("lic"), 0755), 0);
    put("lic/GPL-3", "the licence\n", 12);
    cr_assert_eq(symlink("GPL-3", at("lic/GPL")), 0);
    put("lic/MIT", "mit\n", 4);
    diag_log log = {0};
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20, .diag = on_diag, .user = &log};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, at("lic")), ND_OK);
    cr_assert_eq(dt.n, 2u);
    cr_expect_str_eq(dt.docs[0].path, at("lic/GPL"));
    cr_expect_str_eq(dt.docs[1].path, at("lic/MIT"));
    cr_expect_eq(cfg.skipped, 0u);
    cr_assert_eq(log.n, 1);
    char want[512];
    snprintf(want, sizeof want, "%s|success|0|the same file as '%s', read once", at("lic/GPL-3"),
             at("lic/GPL"));
    cr_expect_str_eq(log.lines[0], want);
    nd_doctab_release(&dt);
}
