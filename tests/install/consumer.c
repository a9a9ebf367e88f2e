/*
 * consumer.c - a program outside the project that uses the installed
 * libneardup (tests/install/install.sh builds it against a temporary
 * prefix: with `pkg-config --cflags --libs neardup`, and through
 * find_package(neardup) in cmake_consumer/).
 *
 * Scans the paths given with the default options and prints the summary's
 * counts as `name value` lines, which the test compares with the summary
 * record of `neardup scan -f jsonl` on the same paths; then the size of
 * every cluster, in order, one line each ("cluster I SIZE DOCUMENTS").
 */
#include <stdio.h>

#include <neardup.h>

int main(int argc, char **argv) {
    nd_options opt;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    nd_summary sm;
    nd_status st;

    if (argc < 2) {
        fprintf(stderr, "consumer: usage: consumer PATH...\n");
        return 1;
    }
    nd_options_default(&opt);
    if ((st = nd_scanner_new(&opt, &sc)) != ND_OK) goto out;
    for (int i = 1; i < argc; i++)
        if ((st = nd_scanner_add_path(sc, argv[i])) != ND_OK) goto out;
    if ((st = nd_scanner_run(sc, &r)) != ND_OK || (st = nd_report_summary(r, &sm)) != ND_OK)
        goto out;
    printf("version %s\n", nd_version());
    printf("files %llu\nparagraphs %llu\nclustered_paragraphs %llu\n"
           "clusters %llu\nverified_pairs %llu\n",
           (unsigned long long)sm.files, (unsigned long long)sm.paragraphs,
           (unsigned long long)sm.clustered_paragraphs, (unsigned long long)sm.clusters,
           (unsigned long long)sm.verified_pairs);
    for (size_t i = 0; i < nd_report_cluster_count(r); i++) {
        nd_cluster_info ci;
        if ((st = nd_report_cluster(r, i, &ci)) != ND_OK) goto out;
        printf("cluster %zu %zu %zu\n", i, ci.size, ci.documents);
    }
out:
    if (st != ND_OK) fprintf(stderr, "consumer: %s\n", nd_strerror(st));
    nd_report_free(r);
    nd_scanner_free(sc);
    return st == ND_OK ? 0 : 1;
}
