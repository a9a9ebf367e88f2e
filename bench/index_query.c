/*
 * index_query.c - query latency of the persistent index (issue 15's target:
 * one 10 KB document, median < 20 ms, p99 < 50 ms, warm, 1,000 queries).
 *
 *   index_query DB FILE...
 *
 * Opens DB once, queries every FILE once untimed (warming SQLite's page
 * cache and the OS's), then once more timed, each with nd_index_query, and
 * prints the count, the median, 90th and 99th percentiles and the maximum
 * in milliseconds, and how many queries found a match.  Times are wall
 * clock (CLOCK_MONOTONIC), one query at a time, as a user waiting for it
 * sees them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "neardup.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs one query; *hit set when it matched anything.  0, or -1 on error. */
static int run(nd_index *idx, const char *path, int *hit) {
    nd_query *q = NULL;
    nd_status st = nd_index_query(idx, path, &q);
    if (st != ND_OK) {
        fprintf(stderr, "index_query: '%s': %s\n", path, nd_index_errmsg(idx));
        return -1;
    }
    *hit = nd_query_match_count(q) > 0;
    nd_query_free(q);
    return 0;
}

int main(int argc, char **argv) {
    nd_index *idx = NULL;
    int rc = 1;
    double *ms = NULL;
    if (argc < 3) {
        fprintf(stderr, "usage: index_query DB FILE...\n");
        return 2;
    }
    size_t n = (size_t)argc - 2, hits = 0;
    if (nd_index_open(argv[1], NULL, 0, &idx) != ND_OK) {
        fprintf(stderr, "index_query: %s\n", nd_index_errmsg(idx));
        goto out;
    }
    if (!(ms = calloc(n, sizeof *ms))) goto out;
    for (size_t i = 0; i < n; i++) { /* warm-up pass */
        int hit = 0;
        if (run(idx, argv[2 + i], &hit) != 0) goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int hit = 0;
        double t0 = now_ms();
        if (run(idx, argv[2 + i], &hit) != 0) goto out;
        ms[i] = now_ms() - t0;
        hits += (size_t)hit;
    }
    qsort(ms, n, sizeof *ms, cmp_double);
    printf(
        "queries %zu (%zu with a match): median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
        n, hits, ms[n / 2], ms[(n * 90) / 100], ms[(n * 99) / 100], ms[n - 1]);
    rc = 0;
out:
    free(ms);
    nd_index_close(idx);
    return rc;
}
