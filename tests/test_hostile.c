/* test_hostile.c - regression tests for bugs found by the fuzzers and the
 * hostile-input suite (issue 6), and the --max-paragraph-bytes contract.
 * Meant to run in the ASan/UBSan build too, where the bugs showed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "split.h"
#include "support.h"

typedef struct notes {
    int n;
    nd_status status;
    char path[64];
    char detail[256];
} notes;

static void on_diag(void *user, const nd_diag *d) {
    notes *nt = user;
    nt->n++;
    nt->status = d->status;
    snprintf(nt->path, sizeof nt->path, "%s", d->path ? d->path : "");
    snprintf(nt->detail, sizeof nt->detail, "%s", d->detail ? d->detail : "");
}

static nd_report *scan_buffers(const nd_options *o, const char *const *texts, size_t n, notes *nt) {
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(o, &sc), ND_OK);
    if (nt) nd_scanner_set_diag(sc, on_diag, nt);
    for (size_t i = 0; i < n; i++) {
        char name[48];
        snprintf(name, sizeof name, "d%zu", i);
        cr_assert_eq(nd_scanner_add_buffer(sc, name, texts[i], strlen(texts[i])), ND_OK);
    }
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

/* fuzz_scan, first input: documents without paragraphs made the split stage
 * memcpy from NULL (UBSan: null pointer passed as argument 2), and a run
 * without candidate pairs did the same in the LSH stage. */
Test(hostile, documents_without_paragraphs) {
    const char *texts[] = {"", "\n\n \t\n", "", "one paragraph of some words here\n"};
    nd_options o;
    nd_options_default(&o);
    for (unsigned threads = 1; threads <= 3; threads++) {
        o.threads = threads;
        nd_report *r = scan_buffers(&o, texts, 1, NULL);
        cr_assert_eq(nd_report_paragraph_count(r), 0);
        nd_report_free(r);
        r = scan_buffers(&o, texts, 4, NULL);
        cr_assert_eq(nd_report_paragraph_count(r), 1);
        cr_assert_eq(nd_report_cluster_count(r), 0);
        nd_report_free(r);
    }
}

Test(hostile, max_paragraph_bytes_is_checked) {
    nd_options o;
    char msg[128];
    nd_options_default(&o);
    cr_assert_eq(o.max_paragraph_bytes, 1u << 20);
    o.max_paragraph_bytes = ND_MIN_PARAGRAPH_BYTES - 1;
    cr_assert_eq(nd_options_check(&o, msg, sizeof msg), ND_ERR_INVALID);
    cr_assert_str_eq(msg, "max_paragraph_bytes must be between 64 and 67108864");
    o.max_paragraph_bytes = ND_MAX_PARAGRAPH_BYTES + 1;
    cr_assert_eq(nd_options_check(&o, msg, sizeof msg), ND_ERR_INVALID);
    o.max_paragraph_bytes = ND_MAX_PARAGRAPH_BYTES;
    cr_assert_eq(nd_options_check(&o, msg, sizeof msg), ND_OK);
}

/* A long paragraph is cut, never dropped, and the user hears about it once
 * per document, as a notice that is not a skipped input. */
Test(hostile, long_paragraph_cut_with_a_notice) {
    char *text = malloc(6000);
    cr_assert_not_null(text);
    size_t n = 0;
    n += (size_t)snprintf(text, 6000, "first line\n");
    while (n < 5000) n += (size_t)snprintf(text + n, 6000 - n, "word%zu ", n);
    text[n++] = '\n';
    text[n] = '\0';
    const char *texts[] = {text};
    nd_options o;
    nd_options_default(&o);
    o.max_paragraph_bytes = 1000;
    notes nt = {0};
    nd_report *r = scan_buffers(&o, texts, 1, &nt);
    cr_assert_eq(nt.n, 1);
    cr_assert_eq(nt.status, ND_OK);
    cr_assert_str_eq(nt.path, "d0");
    cr_assert_str_eq(nt.detail, "1 paragraph longer than 1000 bytes (--max-paragraph-bytes) "
                                "cut into pieces, the first at line 2");
    nd_summary sm;
    cr_assert_eq(nd_report_summary(r, &sm), ND_OK);
    cr_assert_eq(sm.skipped, 0);
    size_t np = nd_report_paragraph_count(r), covered = 0;
    cr_assert_geq(np, 6);
    for (size_t i = 1; i < np; i++) {
        nd_paragraph_info p;
        cr_assert_eq(nd_report_paragraph(r, i, &p), ND_OK);
        cr_assert_leq(p.length, 1000);
        cr_assert_eq(p.line, 2);
        cr_assert_eq(p.offset, 11 + covered, "piece %zu starts at %llu", i,
                     (unsigned long long)p.offset);
        covered += p.length;
    }
    cr_assert_eq(covered, n - 11 - 1, "the pieces cover the whole line");
    nd_report_free(r);
    free(text);
}

/* In blank mode a long block is cut after a line end when it can be; the
 * terminator at the cut belongs to neither piece. */
Test(hostile, long_block_cut_at_a_line_end) {
    char text[400];
    size_t n = 0;
    for (int i = 0; i < 8; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "line %d of a block\r\n", i);
    nd_paratab pt = {0};
    pt.max_len = 64;
    cr_assert_eq(nd_split_document(&pt, 0, (const uint8_t *)text, n, ND_SPLIT_BLANK, NULL), ND_OK);
    cr_assert_eq(pt.ncut, 1);
    cr_assert_eq(pt.cut_line, 1);
    cr_assert_geq(pt.n, 3);
    uint32_t line = 1;
    for (size_t i = 0; i < pt.n; i++) {
        cr_assert_leq(pt.len[i], 64);
        cr_assert_eq(pt.line[i], line, "piece %zu", i);
        cr_assert_neq(text[pt.off[i]], '\n');
        cr_assert_neq(text[pt.off[i] + pt.len[i] - 1], '\r');
        if (i + 1 < pt.n) line += 1 + (uint32_t)(pt.len[i] / 19); /* 19-byte lines */
    }
    nd_paratab_release(&pt);
}

/* 100,000 small files exhausted the process's map count (one mmap each):
 * small files are read now, and the duplicate check is a hash set.  Here: 3000
 * files, each added twice, the second time reported as a duplicate. */
Test(hostile, many_small_files) {
    char dir[] = "/tmp/nd-hostile-XXXXXX", path[128];
    cr_assert_not_null(mkdtemp(dir));
    enum { N = 3000 };
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/f%05d.txt", dir, i);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fprintf(f, "file %d\n", i);
        fclose(f);
    }
    nd_doctab dt = {0};
    size_t dups = 0;
    nd_input_cfg cfg = {.max_file_size = 1u << 20};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, dir), ND_OK);
    cr_assert_eq(dt.n, N);
    cr_assert_eq(cfg.skipped, 0);
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/f%05d.txt", dir, i);
        cr_assert_eq(nd_input_add_path(&dt, &cfg, path), ND_OK);
        dups = cfg.skipped; /* the same file again: read once, not skipped */
        cr_assert_eq(dups, 0u);
        cr_assert_null(dt.docs[i].data, "a file's bytes are not kept");
    }
    cr_assert_eq(dt.n, N);
    nd_reader rd;
    const uint8_t *bytes = NULL;
    nd_reader_init(&rd, &dt);
    cr_assert_eq(nd_reader_whole(&rd, 42, &bytes), ND_OK);
    cr_assert_eq(memcmp(bytes, "file 42\n", 8), 0);
    nd_reader_release(&rd);
    nd_doctab_release(&dt);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Nothing is mapped and no file's bytes are kept: every size is read again
 * through a reader, the same bytes; descriptors are kept open up to the
 * budget, past it files are reopened by path. */
Test(hostile, files_are_read_again_never_mapped) {
    char dir[] = "/tmp/nd-hostile-XXXXXX", path[128];
    cr_assert_not_null(mkdtemp(dir));
    const size_t sizes[3] = {16383, 16384, 3 * 16384 + 5};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/f%d.txt", dir, i);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        for (size_t b = 0; b < sizes[i]; b++) fputc(b % 61 == 60 ? '\n' : 'a' + (int)(b % 26), f);
        fclose(f);
    }
    nd_input_cfg cfg = {.max_file_size = 1u << 20};
    for (int capped = 0; capped < 2; capped++) {
        nd_doctab dt = {0};
        if (capped) dt.nfds = SIZE_MAX / 2; /* the budget is used up */
        cr_assert_eq(nd_input_add_path(&dt, &cfg, dir), ND_OK);
        cr_assert_eq(dt.n, 3);
        nd_reader rd;
        nd_reader_init(&rd, &dt);
        for (int i = 0; i < 3; i++) {
            const uint8_t *data = NULL;
            cr_assert_null(dt.docs[i].data, "file %d keeps no bytes", i);
            cr_assert_eq(dt.docs[i].kfd != 0, !capped, "file %d, capped %d", i, capped);
            cr_assert_eq(dt.docs[i].size, sizes[i]);
            cr_assert_eq(nd_reader_whole(&rd, (size_t)i, &data), ND_OK);
            for (size_t b = 0; b < sizes[i]; b++)
                cr_assert_eq(data[b], b % 61 == 60 ? '\n' : 'a' + (int)(b % 26));
            cr_assert_eq(nd_reader_get(&rd, (size_t)i, 61, 5, 0, &data), ND_OK);
            cr_assert_eq(memcmp(data, "jklmn", 5), 0);
        }
        nd_reader_release(&rd);
        nd_doctab_release(&dt);
    }
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* A gzip bomb stops at the limit; an unbounded limit does not overflow. */
Test(hostile, gunzip_limits) {
    static uint8_t zeros[1 << 16];
    static uint8_t gz[65536];
    FILE *f = popen("head -c 10000000 /dev/zero | gzip -c", "r");
    cr_assert_not_null(f);
    size_t len = fread(gz, 1, sizeof gz, f);
    cr_assert_eq(pclose(f), 0);
    cr_assert_lt(len, sizeof gz);
    uint8_t *out = NULL;
    size_t out_len = 0;
    cr_assert_eq(nd_gunzip(gz, len, 1 << 20, &out, &out_len), ND_ERR_TOO_LARGE);
    cr_assert_null(out);
    cr_assert_eq(nd_gunzip(gz, len, UINT64_MAX, &out, &out_len), ND_OK);
    cr_assert_eq(out_len, 10000000);
    cr_assert_eq(memcmp(out, zeros, sizeof zeros), 0);
    free(out);
}

/* fuzz_split: with a line end exactly half-way into the piece and a space
 * right after it, the piece was cut after the space search and ended with
 * the line terminator. */
Test(hostile, cut_never_leaves_a_terminator) {
    char text[128];
    memset(text, 'a', 32);
    text[32] = '\n';
    text[33] = ' ';
    memset(text + 34, 'b', 60);
    size_t n = 94;
    nd_paratab pt = {0};
    pt.max_len = 64;
    cr_assert_eq(nd_split_document(&pt, 0, (const uint8_t *)text, n, ND_SPLIT_BLANK, NULL), ND_OK);
    cr_assert_eq(pt.n, 2);
    cr_assert_eq(pt.off[0], 0);
    cr_assert_eq(pt.len[0], 32);
    cr_assert_eq(pt.off[1], 33);
    cr_assert_eq(pt.len[1], 61);
    cr_assert_eq(pt.line[1], 2);
    for (size_t i = 0; i < pt.n; i++) {
        cr_assert_neq(text[pt.off[i]], '\n');
        cr_assert_neq(text[pt.off[i] + pt.len[i] - 1], '\n');
    }
    nd_paratab_release(&pt);
}
