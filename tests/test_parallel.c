/* test_parallel.c - the scan's parallel exact-duplicate, cluster and report
 * stages, and the threaded json writers, on a corpus large enough for several
 * chunks, key partitions and writer batches (over 2^17 paragraphs, one
 * document longer than a chunk): the report agrees with a naive
 * recomputation from the generated corpus, and its bytes do not depend on
 * the thread count or on spilling. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nd_internal.h"
#include "support.h"

#define POOL_LONG   20000  /* distinct clusterable lines */
#define POOL_SHORT  50     /* distinct lines under min_chars */
#define BIG_DOC     140000 /* lines of document 0 */
#define SMALL_DOCS  40
#define SMALL_DOC   600
#define COMMON_DOCS 10

typedef struct corpus {
    char *line[POOL_LONG + POOL_SHORT];
    char *doc[SMALL_DOCS + 1];
    size_t doc_len[SMALL_DOCS + 1];
    uint32_t *src; /* per paragraph: its pool line */
    size_t np;
} corpus;

static char *random_line(uint64_t *rng, int words) {
    char *s = malloc((size_t)words * 9 + 1);
    size_t n = 0;
    cr_assert_not_null(s);
    for (int w = 0; w < words; w++) {
        int len = 3 + (int)(nd_splitmix64(rng) % 6);
        if (w) s[n++] = ' ';
        for (int k = 0; k < len; k++) s[n++] = (char)('a' + nd_splitmix64(rng) % 26);
    }
    s[n] = '\0';
    return s;
}

/* A line for a paragraph: mostly a few popular lines and a long tail, so
 * clusters of every size; line 0 is in every document (common text). */
static uint32_t pick(uint64_t *rng, size_t k) {
    uint64_t x = nd_splitmix64(rng);
    if (k == 0) return 0;
    if (x % 50 == 0) return (uint32_t)(POOL_LONG + x / 50 % POOL_SHORT);
    if (x % 7 == 0) return (uint32_t)(1 + x / 7 % 100);
    return (uint32_t)(x / 3 % POOL_LONG);
}

static void corpus_make(corpus *c) {
    uint64_t rng = 42;
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < POOL_LONG; i++) c->line[i] = random_line(&rng, 10);
    for (size_t i = 0; i < POOL_SHORT; i++) c->line[POOL_LONG + i] = random_line(&rng, 2);
    size_t total = BIG_DOC + (size_t)SMALL_DOCS * SMALL_DOC;
    c->src = malloc(total * sizeof *c->src);
    cr_assert_not_null(c->src);
    for (size_t d = 0; d <= SMALL_DOCS; d++) {
        size_t lines = d == 0 ? BIG_DOC : SMALL_DOC, cap = lines * 100, n = 0;
        char *buf = malloc(cap);
        cr_assert_not_null(buf);
        for (size_t k = 0; k < lines; k++) {
            uint32_t s = pick(&rng, k);
            size_t len = strlen(c->line[s]);
            cr_assert_lt(n + len + 1, cap);
            memcpy(buf + n, c->line[s], len);
            n += len;
            buf[n++] = '\n';
            c->src[c->np++] = s;
        }
        c->doc[d] = buf;
        c->doc_len[d] = n;
    }
}

static void corpus_free(corpus *c) {
    for (size_t i = 0; i < POOL_LONG + POOL_SHORT; i++) free(c->line[i]);
    for (size_t d = 0; d <= SMALL_DOCS; d++) free(c->doc[d]);
    free(c->src);
}

static nd_report *scan(const corpus *c, unsigned threads, uint64_t memory) {
    nd_options opt;
    nd_options_default(&opt);
    opt.threads = threads;
    opt.memory_limit = memory;
    opt.split = ND_SPLIT_LINE;
    opt.common_docs = COMMON_DOCS;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    for (size_t d = 0; d <= SMALL_DOCS; d++) {
        char name[32];
        snprintf(name, sizeof name, "doc%02zu", d);
        cr_assert_eq(nd_scanner_add_buffer(sc, name, c->doc[d], c->doc_len[d]), ND_OK);
    }
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    nd_scanner_free(sc);
    return r;
}

/* The jsonl and json renderings, one after the other (their records are
 * formatted on threads: write_json.c). */
static nd_test_buf render(const nd_report *r) {
    nd_write_options wo;
    nd_write_options_default(&wo);
    wo.emit_paragraphs = 1;
    nd_test_buf m = {0};
    cr_assert_eq(nd_report_write(r, ND_FORMAT_JSONL, &wo, nd_test_buf_write, &m), ND_OK);
    cr_assert_eq(nd_report_write(r, ND_FORMAT_JSON, &wo, nd_test_buf_write, &m), ND_OK);
    return m;
}

typedef struct naive_ov {
    uint64_t key, a_in_b, b_in_a, clusters;
} naive_ov;

static int naive_ov_cmp(const void *x, const void *y) {
    const naive_ov *a = x, *b = y;
    return a->key < b->key ? -1 : a->key > b->key;
}

Test(parallel, report_matches_a_naive_recomputation, .timeout = 600) {
    corpus c;
    corpus_make(&c);
    nd_report *r = scan(&c, 2, 0);
    size_t np = nd_report_paragraph_count(r), nd = nd_report_document_count(r);
    cr_assert_eq(np, c.np);
    cr_assert_eq(nd, (size_t)SMALL_DOCS + 1);

    /* expected clusters: pool lines of min_chars or more used twice or more */
    uint32_t *uses = calloc(POOL_LONG + POOL_SHORT, sizeof *uses);
    cr_assert_not_null(uses);
    for (size_t p = 0; p < np; p++) uses[c.src[p]]++;
    size_t want = 0;
    for (size_t i = 0; i < POOL_LONG; i++) want += uses[i] >= 2;
    cr_assert_eq(nd_report_cluster_count(r), want);

    /* clusters: one pool line each, every use of it, ascending members, in
     * report order; paragraphs point back at their cluster */
    uint64_t clustered = 0, duplicated = 0, common = 0;
    size_t *cdocs = calloc(want ? want : 1, sizeof *cdocs);
    cr_assert_not_null(cdocs);
    size_t prev_size = SIZE_MAX;
    uint32_t prev_rep = 0;
    for (size_t k = 0; k < want; k++) {
        nd_cluster_info ci;
        cr_assert_eq(nd_report_cluster(r, k, &ci), ND_OK);
        uint32_t s = c.src[ci.members[0]];
        cr_assert_lt(s, POOL_LONG);
        cr_assert_eq(ci.size, uses[s]);
        cr_assert(ci.size < prev_size || (ci.size == prev_size && ci.members[0] > prev_rep),
                  "cluster %zu out of order", k);
        prev_size = ci.size;
        prev_rep = ci.members[0];
        size_t ndocs = 0;
        uint64_t chars = 0;
        for (size_t m = 0; m < ci.size; m++) {
            nd_paragraph_info pi;
            cr_assert_eq(nd_report_paragraph(r, ci.members[m], &pi), ND_OK);
            cr_assert_eq(c.src[ci.members[m]], s);
            cr_assert_eq(pi.cluster, (int64_t)k);
            cr_assert_eq(pi.similarity, 1.0);
            if (m) {
                cr_assert_gt(ci.members[m], ci.members[m - 1]);
                duplicated += pi.chars;
                nd_paragraph_info pp;
                cr_assert_eq(nd_report_paragraph(r, ci.members[m - 1], &pp), ND_OK);
                ndocs += pp.doc != pi.doc;
            } else {
                ndocs = 1;
            }
            chars += pi.chars;
        }
        cr_assert_eq(ci.documents, ndocs);
        cr_assert_eq(ci.chars, chars);
        cdocs[k] = ndocs;
        clustered += ci.size;
        common += ndocs > COMMON_DOCS;
    }
    nd_summary sm;
    cr_assert_eq(nd_report_summary(r, &sm), ND_OK);
    cr_assert_eq(sm.clustered_paragraphs, clustered);
    cr_assert_eq(sm.duplicated_chars, duplicated);
    cr_assert_eq(sm.common_clusters, common);
    cr_assert_gt(common, 0u, "line 0 is common text");

    /* documents: paragraphs, characters, within and elsewhere */
    uint64_t *d_par = calloc(nd, sizeof *d_par), *d_chars = calloc(nd, sizeof *d_chars);
    uint64_t *d_within = calloc(nd, sizeof *d_within), *d_else = calloc(nd, sizeof *d_else);
    int64_t *last_cl_doc = malloc(want * sizeof *last_cl_doc);
    cr_assert(d_par && d_chars && d_within && d_else && last_cl_doc);
    for (size_t k = 0; k < want; k++) last_cl_doc[k] = -1;
    uint64_t chars = 0, shorts = 0;
    for (size_t p = 0; p < np; p++) {
        nd_paragraph_info pi;
        cr_assert_eq(nd_report_paragraph(r, p, &pi), ND_OK);
        d_par[pi.doc]++;
        d_chars[pi.doc] += pi.chars;
        chars += pi.chars;
        shorts += pi.chars < 20;
        if (c.src[p] >= POOL_LONG || uses[c.src[p]] < 2) {
            cr_assert_eq(pi.cluster, -1);
            continue;
        }
        size_t k = (size_t)pi.cluster;
        if (last_cl_doc[k] == (int64_t)pi.doc) d_within[pi.doc] += pi.chars;
        last_cl_doc[k] = pi.doc;
        if (cdocs[k] >= 2) d_else[pi.doc] += pi.chars;
    }
    cr_assert_eq(sm.chars, chars);
    cr_assert_eq(sm.short_paragraphs, shorts);
    cr_assert_gt(shorts, 0u);
    for (size_t d = 0; d < nd; d++) {
        nd_document_info di;
        cr_assert_eq(nd_report_document(r, d, &di), ND_OK);
        cr_assert_eq(di.paragraphs, d_par[d], "doc %zu", d);
        cr_assert_eq(di.chars, d_chars[d], "doc %zu", d);
        cr_assert_eq(di.within_chars, d_within[d], "doc %zu", d);
        cr_assert_eq(di.elsewhere_chars, d_else[d], "doc %zu", d);
    }

    /* overlaps: every cluster in 2..COMMON_DOCS documents adds its
     * characters to each pair of its documents */
    size_t nov = 0, ov_cap = 1024;
    naive_ov *ov = malloc(ov_cap * sizeof *ov);
    uint32_t *dl = malloc(nd * sizeof *dl);
    uint64_t *dc = malloc(nd * sizeof *dc);
    cr_assert(ov && dl && dc);
    for (size_t k = 0; k < want; k++) {
        if (cdocs[k] < 2 || cdocs[k] > COMMON_DOCS) continue;
        nd_cluster_info ci;
        cr_assert_eq(nd_report_cluster(r, k, &ci), ND_OK);
        size_t n = 0;
        for (size_t m = 0; m < ci.size; m++) {
            nd_paragraph_info pi;
            cr_assert_eq(nd_report_paragraph(r, ci.members[m], &pi), ND_OK);
            if (!n || dl[n - 1] != pi.doc) {
                dl[n] = pi.doc;
                dc[n++] = 0;
            }
            dc[n - 1] += pi.chars;
        }
        for (size_t a = 0; a < n; a++)
            for (size_t b = a + 1; b < n; b++) {
                if (nov == ov_cap) {
                    ov_cap *= 2;
                    ov = realloc(ov, ov_cap * sizeof *ov);
                    cr_assert_not_null(ov);
                }
                ov[nov++] = (naive_ov){(uint64_t)dl[a] << 32 | dl[b], dc[a], dc[b], 1};
            }
    }
    qsort(ov, nov, sizeof *ov, naive_ov_cmp);
    size_t m = 0;
    for (size_t i = 0; i < nov; i++) {
        if (m && ov[m - 1].key == ov[i].key) {
            ov[m - 1].a_in_b += ov[i].a_in_b;
            ov[m - 1].b_in_a += ov[i].b_in_a;
            ov[m - 1].clusters++;
        } else {
            ov[m++] = ov[i];
        }
    }
    cr_assert_gt(m, 0u);
    cr_assert_eq(nd_report_overlap_count(r), m);
    naive_ov *got = malloc(m * sizeof *got);
    cr_assert_not_null(got);
    double prev_rank = 2.0;
    uint64_t prev_key = 0;
    for (size_t i = 0; i < m; i++) {
        nd_overlap_info oi;
        uint64_t ca, cb; /* ranked by shares of comparable characters */
        cr_assert_eq(nd_report_overlap(r, i, &oi), ND_OK);
        cr_assert_eq(nd_report_document_comparable(r, oi.a, &ca), ND_OK);
        cr_assert_eq(nd_report_document_comparable(r, oi.b, &cb), ND_OK);
        double sa = ca ? (double)oi.a_in_b / (double)ca : 0.0;
        double sb = cb ? (double)oi.b_in_a / (double)cb : 0.0;
        double rank = sa > sb ? sa : sb;
        uint64_t key = (uint64_t)oi.a << 32 | oi.b;
        cr_assert(rank < prev_rank || (rank == prev_rank && key > prev_key),
                  "overlap %zu out of order", i);
        prev_rank = rank;
        prev_key = key;
        got[i] = (naive_ov){key, oi.a_in_b, oi.b_in_a, oi.clusters};
    }
    qsort(got, m, sizeof *got, naive_ov_cmp);
    cr_assert(memcmp(got, ov, m * sizeof *got) == 0, "overlaps differ from the naive ones");

    free(got);
    free(ov);
    free(dl);
    free(dc);
    free(d_par);
    free(d_chars);
    free(d_within);
    free(d_else);
    free(last_cl_doc);
    free(cdocs);
    free(uses);
    nd_report_free(r);
    corpus_free(&c);
}

Test(parallel, report_bytes_do_not_depend_on_threads_or_spilling, .timeout = 600) {
    corpus c;
    corpus_make(&c);
    nd_report *r = scan(&c, 1, 0);
    nd_test_buf one = render(r);
    nd_report_free(r);
    struct {
        unsigned threads;
        uint64_t memory;
    } runs[] = {{2, 0}, {3, 0}, {2, 1u << 20}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        r = scan(&c, runs[i].threads, runs[i].memory);
        nd_timings tm;
        cr_assert_eq(nd_report_timings(r, &tm), ND_OK);
        cr_expect_eq(tm.spill_runs > 0, runs[i].memory != 0);
        nd_test_buf m = render(r);
        cr_expect(m.len == one.len && memcmp(m.data, one.data, one.len) == 0,
                  "threads %u memory %llu: report differs", runs[i].threads,
                  (unsigned long long)runs[i].memory);
        free(m.data);
        nd_report_free(r);
    }
    free(one.data);
    corpus_free(&c);
}
