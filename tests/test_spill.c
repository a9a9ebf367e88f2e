/* test_spill.c - band keys spilled to sorted runs on disk give the same
 * report as the in-memory path; temporary files never outlive the scan. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nd_internal.h"
#include "spill.h"
#include "support.h"

static size_t dir_entries(const char *path) {
    DIR *d = opendir(path);
    size_t n = 0;
    struct dirent *e;
    cr_assert(d != NULL);
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

Test(spill, merge_of_runs_equals_one_sort) {
    nd_spill s;
    cr_assert_eq(nd_spill_open(&s, NULL, NULL), ND_OK);
    /* three runs of (key << 32 | id), ids growing from run to run, with keys
     * repeated inside and across runs */
    enum { R = 3, N = 500 };
    uint64_t all[R * N], tmp[R * N], buf[N];
    nd_run runs[R];
    uint64_t st = 1;
    for (int r = 0; r < R; r++) {
        for (int i = 0; i < N; i++) {
            uint64_t key = nd_splitmix64(&st) % 97;
            buf[i] = key << 32 | (uint32_t)(r * N + i);
            all[r * N + i] = buf[i];
        }
        uint64_t t2[N];
        nd_sort_hi32(buf, t2, N);
        runs[r].n = N;
        cr_assert_eq(nd_spill_append(&s, buf, N, &runs[r].off), ND_OK);
    }
    nd_sort_u64(all, tmp, R * N);
    nd_merge m;
    cr_assert_eq(nd_merge_init(&m, &s, runs, R, 7 /* small buffers: many refills */), ND_OK);
    size_t k = 0;
    for (;;) {
        uint64_t v;
        int more;
        cr_assert_eq(nd_merge_next(&m, &v, &more), ND_OK);
        if (!more) break;
        cr_assert_lt(k, (size_t)R * N);
        cr_expect_eq(v, all[k], "value %zu", k);
        k++;
    }
    cr_expect_eq(k, (size_t)R * N);
    nd_merge_release(&m);
    nd_spill_close(&s);
}

Test(spill, file_is_gone_from_the_directory_at_once) {
    char dir[] = "/tmp/nd-spill-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    nd_spill s;
    cr_assert_eq(nd_spill_open(&s, dir, NULL), ND_OK);
    uint64_t v[3] = {1, 2, 3}, off = 99;
    cr_assert_eq(nd_spill_append(&s, v, 3, &off), ND_OK);
    cr_expect_eq(off, 0u);
    cr_expect_eq(dir_entries(dir), 0u);
    nd_spill_close(&s);
    int e = 0;
    cr_expect_eq(nd_spill_open(&s, "/nonexistent/dir", &e), ND_ERR_IO);
    cr_expect_neq(e, 0);
    rmdir(dir);
}

static nd_status scan(uint64_t limit, unsigned threads, const char *tmpdir, int cancel,
                      nd_test_buf *out, nd_timings *tm) {
    nd_options opt;
    nd_options_default(&opt);
    opt.memory_limit = limit;
    opt.threads = threads;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    if (tmpdir) cr_assert_eq(nd_scanner_set_tmpdir(sc, tmpdir), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_seed_path("")), ND_OK);
    if (cancel) nd_scanner_cancel(sc);
    nd_status st = nd_scanner_run(sc, &r);
    nd_scanner_free(sc);
    if (st != ND_OK) return st;
    cr_assert_eq(nd_report_timings(r, tm), ND_OK);
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = 1;
    memset(out, 0, sizeof *out);
    cr_assert_eq(nd_report_write(r, ND_FORMAT_JSONL, &wo, nd_test_buf_write, out), ND_OK);
    nd_report_free(r);
    return ND_OK;
}

Test(spill, tiny_memory_limit_gives_the_same_report, .timeout = 300) {
    char dir[] = "/tmp/nd-spill-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    nd_test_buf mem, disk;
    nd_timings tm;
    cr_assert_eq(scan(0, 1, dir, 0, &mem, &tm), ND_OK);
    cr_expect_eq(tm.spill_runs, 0u, "the default limit keeps the corpus in memory");
    unsigned threads[] = {1, 2};
    uint64_t limits[] = {1, 16384, 65536};
    for (size_t t = 0; t < 2; t++) {
        for (size_t l = 0; l < 3; l++) {
            cr_assert_eq(scan(limits[l], threads[t], dir, 0, &disk, &tm), ND_OK);
            cr_expect_gt(tm.spill_runs, 18u, "limit %llu: keys were spilled in batches",
                         (unsigned long long)limits[l]);
            cr_expect_gt(tm.spill_bytes, 0u);
            cr_expect_eq(tm.memory_limit, limits[l]);
            cr_expect(disk.len == mem.len && memcmp(disk.data, mem.data, mem.len) == 0,
                      "limit %llu threads %u: report differs from the in-memory one",
                      (unsigned long long)limits[l], threads[t]);
            free(disk.data);
            cr_expect_eq(dir_entries(dir), 0u, "temporary files left behind");
        }
    }
    free(mem.data);
    rmdir(dir);
}

/* A --tmpdir that cannot hold a file fails when it is set, before any input
 * is read, with its errno and path kept by the scanner; an unusable $TMPDIR
 * (not checked in advance) fails when the scan spills, naming it, and only
 * then. */
Test(spill, unusable_tmpdir_fails_early_and_names_itself) {
    nd_scanner *sc = NULL;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    cr_expect_eq(nd_scanner_sys_errno(sc), 0);
    cr_expect_null(nd_scanner_error_path(sc));
    cr_expect_eq(nd_scanner_set_tmpdir(sc, "/nonexistent/dir"), ND_ERR_IO);
    cr_expect_eq(nd_scanner_sys_errno(sc), ENOENT);
    cr_expect_str_eq(nd_scanner_error_path(sc), "/nonexistent/dir");
    nd_scanner_free(sc);

    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    cr_assert_eq(setenv("TMPDIR", "/nonexistent/env-dir", 1), 0);
    nd_test_buf m;
    nd_timings tm;
    cr_expect_eq(scan(0, 2, NULL, 0, &m, &tm), ND_OK); /* no spill: not needed */
    free(m.data);
    nd_options opt;
    nd_options_default(&opt);
    opt.memory_limit = 1;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_seed_path("")), ND_OK);
    nd_report *r = NULL;
    cr_expect_eq(nd_scanner_run(sc, &r), ND_ERR_IO);
    cr_expect_eq(nd_scanner_sys_errno(sc), ENOENT);
    cr_expect_str_eq(nd_scanner_error_path(sc), "/nonexistent/env-dir");
    nd_scanner_free(sc);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
}

Test(spill, cancelled_scan_returns_cancelled_and_leaves_nothing) {
    char dir[] = "/tmp/nd-spill-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    nd_test_buf m;
    nd_timings tm;
    cr_expect_eq(scan(1, 2, dir, 1, &m, &tm), ND_ERR_CANCELLED);
    cr_expect_eq(dir_entries(dir), 0u);
    cr_expect_str_eq(nd_strerror(ND_ERR_CANCELLED), "cancelled");
    rmdir(dir);
}
