/*
 * test_quality.c - the clusters against brute force on the bundled corpus.
 *
 * Every pair of clusterable paragraphs is compared exactly (shingle sets from
 * the public sketcher, which is what the scan uses).  Requirements:
 *   - recall: >= 99% of pairs with J >= 0.8 are in one cluster;
 *   - precision: >= 99% of co-clustered pairs are in one component of the
 *     exact J >= 0.8 graph;
 *   - a Traditional paragraph and its Simplified copy share a cluster.
 */
#include <criterion/criterion.h>
#include <opencc/opencc.h>
#include <string.h>

#include "cluster.h"
#include "neardup.h"
#include "support.h"

typedef struct para_set {
    uint64_t *v;
    size_t n;
    int64_t cluster;
} para_set;

Test(quality, clusters_match_brute_force_on_bundled_corpus, .timeout = 600) {
    nd_options opt;
    nd_options_default(&opt);
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(&opt, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_path(sc, nd_test_seed_path("")), ND_OK);
    cr_assert_eq(nd_scanner_skipped(sc), 0u);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    cr_assert_eq(nd_report_document_count(r), 5u);

    nd_sketcher *sk = NULL;
    cr_assert_eq(nd_sketcher_new(&opt, &sk), ND_OK);
    size_t np = nd_report_paragraph_count(r);
    para_set *ps = calloc(np, sizeof *ps);
    size_t usable = 0;
    for (size_t i = 0; i < np; i++) {
        nd_paragraph_info pi;
        const char *t;
        size_t len;
        cr_assert_eq(nd_report_paragraph(r, i, &pi), ND_OK);
        cr_assert_eq(nd_report_paragraph_text(r, i, &t, &len), ND_OK);
        ps[i].cluster = pi.cluster;
        if (pi.chars < opt.min_chars) {
            cr_assert_eq(pi.cluster, -1, "short paragraph %zu was clustered", i);
            continue;
        }
        cr_assert_eq(nd_sketcher_shingles(sk, t, len, &ps[i].v, &ps[i].n), ND_OK);
        usable++;
    }
    cr_assert_gt(usable, 900u);

    nd_uf exact;
    cr_assert_eq(nd_uf_init(&exact, np), ND_OK);
    size_t want = 0, found = 0;
    for (size_t i = 0; i < np; i++) {
        if (!ps[i].n) continue;
        for (size_t j = i + 1; j < np; j++) {
            if (!ps[j].n) continue;
            size_t lo = ps[i].n < ps[j].n ? ps[i].n : ps[j].n;
            size_t hi = ps[i].n < ps[j].n ? ps[j].n : ps[i].n;
            if ((double)lo < 0.8 * (double)hi) continue; /* J <= lo/hi < 0.8 */
            size_t a = 0, b = 0, inter = 0;
            while (a < ps[i].n && b < ps[j].n) {
                if (ps[i].v[a] < ps[j].v[b])
                    a++;
                else if (ps[i].v[a] > ps[j].v[b])
                    b++;
                else {
                    inter++;
                    a++;
                    b++;
                }
            }
            double jac = (double)inter / (double)(ps[i].n + ps[j].n - inter);
            if (jac >= 0.8) {
                want++;
                nd_uf_union(&exact, (uint32_t)i, (uint32_t)j);
                if (ps[i].cluster >= 0 && ps[i].cluster == ps[j].cluster) found++;
            }
        }
    }
    size_t together = 0, same_component = 0;
    for (size_t i = 0; i < np; i++) {
        if (ps[i].cluster < 0) continue;
        for (size_t j = i + 1; j < np; j++) {
            if (ps[j].cluster != ps[i].cluster) continue;
            together++;
            if (nd_uf_find(&exact, (uint32_t)i) == nd_uf_find(&exact, (uint32_t)j))
                same_component++;
        }
    }
    cr_log_info("pairs J>=0.8: %zu, in one cluster: %zu; co-clustered %zu, same exact "
                "component %zu",
                want, found, together, same_component);
    cr_assert_gt(want, 1000u, "the corpus has many near-duplicate pairs");
    cr_expect_geq((double)found, 0.99 * (double)want, "recall %zu/%zu", found, want);
    cr_expect_geq((double)same_component, 0.99 * (double)together, "precision %zu/%zu",
                  same_component, together);

    for (size_t i = 0; i < np; i++) free(ps[i].v);
    free(ps);
    nd_uf_release(&exact);
    nd_sketcher_free(sk);
    nd_report_free(r);
    nd_scanner_free(sc);
}

/* Converts text with an OpenCC configuration (independent of our tables). */
static char *opencc_convert(const char *config, const char *text) {
    opencc_t cc = opencc_open(config);
    cr_assert_neq(cc, (opencc_t)-1, "opencc_open(%s)", config);
    char *out = opencc_convert_utf8(cc, text, strlen(text));
    cr_assert_not_null(out);
    char *copy = strdup(out);
    opencc_convert_utf8_free(out);
    opencc_close(cc);
    return copy;
}

static int64_t cluster_of_line(const nd_report *r, uint32_t doc, uint32_t line) {
    for (size_t i = 0; i < nd_report_paragraph_count(r); i++) {
        nd_paragraph_info pi;
        nd_report_paragraph(r, i, &pi);
        if (pi.doc == doc && pi.line == line) return pi.cluster;
    }
    cr_assert_fail("no paragraph at doc %u line %u", doc, line);
    return -2;
}

Test(quality, traditional_paragraph_and_its_simplified_copy_share_a_cluster) {
    size_t len = 0;
    char *text = nd_test_read_file(nd_test_seed_path("000_11051e509f6edff7.txt"), &len);
    /* line 3 of the Simplified report, and OpenCC's Traditional version */
    char *line = text;
    for (int i = 1; i < 3; i++) line = strchr(line, '\n') + 1;
    *strchr(line, '\n') = '\0';
    char *trad = opencc_convert("s2t.json", line);
    cr_assert_str_neq(trad, line, "the conversion changed the text");
    /* and a Traditional line of 003 with pinyin annotations, made Simplified */
    char *t003 = nd_test_read_file(nd_test_seed_path("003_1d07424bca0ceb50.txt"), &len);
    char *l9 = t003;
    for (int i = 1; i < 9; i++) l9 = strchr(l9, '\n') + 1;
    *strchr(l9, '\n') = '\0';
    cr_assert(strstr(l9, "(tài)") != NULL, "line 9 of 003 has pinyin annotations");
    char *simp = opencc_convert("t2s.json", l9);

    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    cr_assert_eq(nd_scanner_new(NULL, &sc), ND_OK);
    cr_assert_eq(nd_scanner_add_buffer(sc, "simplified.txt", line, strlen(line)), ND_OK);
    cr_assert_eq(nd_scanner_add_buffer(sc, "traditional.txt", trad, strlen(trad)), ND_OK);
    cr_assert_eq(nd_scanner_add_buffer(sc, "trad-pinyin.txt", l9, strlen(l9)), ND_OK);
    cr_assert_eq(nd_scanner_add_buffer(sc, "simp-plain.txt", simp, strlen(simp)), ND_OK);
    cr_assert_eq(nd_scanner_run(sc, &r), ND_OK);
    cr_assert_eq(nd_report_cluster_count(r), 2u);
    int64_t c0 = cluster_of_line(r, 0, 1), c1 = cluster_of_line(r, 1, 1);
    int64_t c2 = cluster_of_line(r, 2, 1), c3 = cluster_of_line(r, 3, 1);
    cr_expect_geq(c0, 0);
    cr_expect_eq(c0, c1);
    cr_expect_geq(c2, 0);
    cr_expect_eq(c2, c3);
    cr_expect_neq(c0, c2);
    nd_report_free(r);
    nd_scanner_free(sc);
    free(trad);
    free(simp);
    free(text);
    free(t003);
}
