/* test_threads.c - the thread pool, and reports that do not depend on the
 * number of threads (library and CLI). */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nd_internal.h"
#include "pool.h"
#include "support.h"

typedef struct job {
    atomic_int runs[1000];
    uint64_t out[1000];
    size_t order[1000];
    atomic_size_t norder;
    size_t fail_a, fail_b;
    atomic_int *cancel_at_100;
} job;

static nd_status task(void *ctx, size_t t, unsigned worker) {
    job *j = ctx;
    (void)worker;
    atomic_fetch_add(&j->runs[t], 1);
    j->out[t] = (uint64_t)t * t + 1;
    j->order[atomic_fetch_add(&j->norder, 1)] = t;
    if (t == j->fail_a) return ND_ERR_IO;
    if (t == j->fail_b) return ND_ERR_NOMEM;
    if (j->cancel_at_100 && t == 100) atomic_store(j->cancel_at_100, 1);
    return ND_OK;
}

Test(pool, every_task_runs_once_into_its_slice) {
    unsigned counts[] = {1, 2, 3, 8};
    for (size_t c = 0; c < 4; c++) {
        nd_pool *p = NULL;
        cr_assert_eq(nd_pool_new(counts[c], &p), ND_OK);
        cr_expect_eq(nd_pool_threads(p), counts[c]);
        for (int rep = 0; rep < 3; rep++) { /* the pool is reusable */
            job *j = calloc(1, sizeof *j);
            j->fail_a = j->fail_b = SIZE_MAX;
            cr_assert_eq(nd_pool_run(p, 1000, task, j, NULL), ND_OK);
            for (size_t t = 0; t < 1000; t++) {
                cr_expect_eq(atomic_load(&j->runs[t]), 1, "task %zu", t);
                cr_expect_eq(j->out[t], (uint64_t)t * t + 1);
            }
            free(j);
        }
        nd_pool_free(p);
    }
}

Test(pool, one_thread_runs_tasks_in_order_on_the_caller) {
    nd_pool *p = NULL;
    cr_assert_eq(nd_pool_new(1, &p), ND_OK);
    job *j = calloc(1, sizeof *j);
    j->fail_a = j->fail_b = SIZE_MAX;
    cr_assert_eq(nd_pool_run(p, 1000, task, j, NULL), ND_OK);
    for (size_t t = 0; t < 1000; t++) cr_expect_eq(j->order[t], t);
    free(j);
    nd_pool_free(p);
}

Test(pool, lowest_failing_task_decides_the_status) {
    nd_pool *p = NULL;
    cr_assert_eq(nd_pool_new(3, &p), ND_OK);
    for (int rep = 0; rep < 20; rep++) {
        job *j = calloc(1, sizeof *j);
        j->fail_a = 5;   /* ND_ERR_IO */
        j->fail_b = 600; /* ND_ERR_NOMEM, may or may not run */
        cr_expect_eq(nd_pool_run(p, 1000, task, j, NULL), ND_ERR_IO);
        free(j);
    }
    nd_pool_free(p);
}

Test(pool, cancel_skips_the_remaining_tasks) {
    nd_pool *p = NULL;
    atomic_int cancel;
    atomic_init(&cancel, 0);
    cr_assert_eq(nd_pool_new(2, &p), ND_OK);
    job *j = calloc(1, sizeof *j);
    j->fail_a = j->fail_b = SIZE_MAX;
    j->cancel_at_100 = &cancel;
    cr_expect_eq(nd_pool_run(p, 1000, task, j, &cancel), ND_ERR_CANCELLED);
    size_t ran = atomic_load(&j->norder);
    cr_expect_lt(ran, 110u, "%zu tasks ran after the cancel at task 100", ran);
    free(j);
    nd_pool_free(p);
}

Test(pool, thread_count_zero_means_cores) {
    cr_expect_geq(nd_pool_resolve_threads(0), 1u);
    cr_expect_eq(nd_pool_resolve_threads(3), 3u);
    cr_expect_eq(nd_pool_resolve_threads(5000), 1024u);
}

/* --- whole scans --------------------------------------------------------- */

/* The jsonl report (with paragraph records) of a scan of path. */
static nd_test_buf scan_jsonl(const char *path, unsigned threads) {
    nd_options opt;
    nd_options_default(&opt);
    opt.threads = threads;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, path), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_timings tm;
    cr_assert_eq(nd_report_timings(r, &tm), ND_OK);
    cr_expect_eq(tm.threads, threads);
    cr_expect_eq(tm.spill_runs, 0u);
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = 1;
    nd_test_buf m = {0};
    cr_assert_eq(nd_report_write(r, ND_FORMAT_JSONL, &wo, nd_test_buf_write, &m), ND_OK);
    nd_report_free(r);
    nd_scanner_free(sc);
    return m;
}

Test(scan_threads, report_bytes_do_not_depend_on_thread_count, .timeout = 300) {
    nd_test_buf one = scan_jsonl(nd_test_seed_path(""), 1);
    cr_assert_gt(one.len, 1000u);
    cr_assert(strstr(one.data, "\"type\":\"cluster\"") != NULL, "the corpus has clusters");
    unsigned counts[] = {2, 3, 7};
    for (size_t i = 0; i < 3; i++) {
        nd_test_buf m = scan_jsonl(nd_test_seed_path(""), counts[i]);
        cr_expect_eq(m.len, one.len, "threads=%u", counts[i]);
        cr_expect(m.len == one.len && memcmp(m.data, one.data, one.len) == 0, "threads=%u differs",
                  counts[i]);
        free(m.data);
    }
    free(one.data);
}

/* A corpus of many files, several ranges of the split (about 1 MB each):
 * with one thread one worker splits them all and its rows are the table;
 * with more, the ranges' rows are copied from the workers' stores into
 * place (stage_split.c, "Memory").  Lines are drawn from a small stock, so
 * that paragraphs repeat within and across files and there are clusters. */
Test(scan_threads, many_ranges_give_the_same_report_on_any_thread_count, .timeout = 300) {
    static const char *const words[] = {"alpha", "bravo",  "charlie", "delta",  "echo",
                                        "fox",   "golf",   "hotel",   "india",  "juliet",
                                        "kilo",  "lima",   "mike",    "nov",    "oscar",
                                        "papa",  "quebec", "romeo",   "sierra", "tango"};
    char dir[] = "/tmp/nd-ranges-XXXXXX", path[64];
    cr_assert(mkdtemp(dir) != NULL);
    uint64_t x = 42;
    for (int f = 0; f < 40; f++) { /* 40 files of about 200 KB: 8 MB */
        snprintf(path, sizeof path, "%s/%02d.txt", dir, f);
        FILE *fp = fopen(path, "w");
        cr_assert_not_null(fp);
        for (int line = 0; line < 2600; line++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            uint64_t seed = (x >> 33) % 3000 == 0 ? 7 : x >> 20; /* a few repeat */
            for (int w = 0; w < 12; w++) {
                seed = seed * 6364136223846793005u + 1442695040888963407u;
                fprintf(fp, w ? " %s" : "%s", words[(seed >> 40) % 20]);
            }
            fputc('\n', fp);
        }
        cr_assert_eq(fclose(fp), 0);
    }
    nd_test_buf one = scan_jsonl(dir, 1);
    cr_assert(strstr(one.data, "\"type\":\"cluster\"") != NULL, "the corpus has clusters");
    unsigned counts[] = {2, 3};
    for (size_t i = 0; i < 2; i++) {
        nd_test_buf m = scan_jsonl(dir, counts[i]);
        cr_expect(m.len == one.len && memcmp(m.data, one.data, one.len) == 0, "threads=%u differs",
                  counts[i]);
        free(m.data);
    }
    free(one.data);
    for (int f = 0; f < 40; f++) {
        snprintf(path, sizeof path, "%s/%02d.txt", dir, f);
        unlink(path);
    }
    rmdir(dir);
}

/* The CLI: --threads 1 and --threads 2 give the same bytes. */
Test(scan_threads, cli_output_is_identical_for_one_and_two_threads, .timeout = 300) {
    const char *bin = getenv("ND_BIN");
    cr_assert(bin != NULL, "ND_BIN is set by ctest");
    char dir[] = "/tmp/nd-threads-XXXXXX", cmd[8192], out1[64], out2[64];
    cr_assert(mkdtemp(dir) != NULL);
    const char *fmts[] = {"jsonl --emit-paragraphs", "text", "csv"};
    for (size_t f = 0; f < 3; f++) {
        snprintf(out1, sizeof out1, "%s/1", dir);
        snprintf(out2, sizeof out2, "%s/2", dir);
        for (int t = 1; t <= 2; t++) {
            snprintf(cmd, sizeof cmd,
                     "'%s' scan --no-progress --threads %d --format %s -o '%s' '%s'", bin, t,
                     fmts[f], t == 1 ? out1 : out2, nd_test_seed_path(""));
            cr_assert_eq(system(cmd), 0, "%s", cmd);
        }
        size_t n1 = 0, n2 = 0;
        char *a = nd_test_read_file(out1, &n1), *b = nd_test_read_file(out2, &n2);
        cr_expect_gt(n1, 100u);
        cr_expect(n1 == n2 && memcmp(a, b, n1) == 0, "format %s differs", fmts[f]);
        free(a);
        free(b);
        remove(out1);
        remove(out2);
    }
    rmdir(dir);
}
