/*
 * winnow_bench - the speed of the passages' winnowing (src/winnow.c) alone.
 *
 *   winnow_bench [--chars N] [--total-mb M] [--runs R] [--script zh|en]
 *                [--min-passage T]
 *
 * Makes one deterministic text of N code points (zh: a 3,000-character
 * alphabet of CJK ideographs, uniformly; en: lower-case words of 2 to 9
 * letters and a space), winnows it as many times as M million code points
 * take (k and w from nd_winnow_params(T), with the contexts, as the passage
 * stage calls it), R rounds, and prints the best and the median round in
 * nanoseconds per code point, with the number of fingerprints and a
 * checksum of them: two builds that print the same checksum selected the
 * same fingerprints.  Times are never checked (bench_winnow_smoke only runs
 * it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "winnow.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t next(uint64_t *s) {
    *s = *s * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
    return *s >> 33;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int usage(void) {
    fprintf(stderr, "usage: winnow_bench [--chars N] [--total-mb M] [--runs R] [--script zh|en] "
                    "[--min-passage T]\n");
    return 2;
}

int main(int argc, char **argv) {
    unsigned long long chars = 20000, total_m = 100, runs = 7, t = 50;
    int en = 0;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (i + 1 >= argc) return usage();
        const char *opt = argv[i], *val = argv[++i];
        if (strcmp(opt, "--script") == 0) {
            if (strcmp(val, "en") != 0 && strcmp(val, "zh") != 0) return usage();
            en = strcmp(val, "en") == 0;
            continue;
        }
        unsigned long long v = strtoull(val, &end, 10);
        if (!*val || *end || v == 0) return usage();
        if (strcmp(opt, "--chars") == 0)
            chars = v;
        else if (strcmp(opt, "--total-mb") == 0)
            total_m = v;
        else if (strcmp(opt, "--runs") == 0)
            runs = v;
        else if (strcmp(opt, "--min-passage") == 0)
            t = v;
        else
            return usage();
    }
    if (chars > UINT32_MAX || runs > 1000 || t > 10000) return usage();
    uint32_t *cp = malloc(chars * sizeof *cp);
    double *round = malloc(runs * sizeof *round);
    if (!cp || !round) return 1;
    uint64_t s = 42;
    for (size_t i = 0; i < chars;) {
        if (!en) {
            cp[i++] = 0x4E00 + (uint32_t)(next(&s) % 3000);
            continue;
        }
        size_t len = 2 + next(&s) % 8;
        for (size_t j = 0; j < len && i < chars; j++) cp[i++] = 'a' + (uint32_t)(next(&s) % 26);
        if (i < chars) cp[i++] = ' ';
    }
    unsigned k, w;
    nd_winnow_params((unsigned)t, &k, &w);
    size_t reps = (size_t)(total_m * 1000000 / chars);
    if (reps == 0) reps = 1;
    uint64_t *hash = NULL, *scratch = NULL, sum = 0;
    uint32_t *pos = NULL, *ctx = NULL;
    size_t cap = 0, scap = 0, count = 0;
    for (size_t r = 0; r < runs; r++) {
        double t0 = now();
        for (size_t q = 0; q < reps; q++) {
            count = 0;
            if (nd_winnow_ctx(cp, chars, k, w, &hash, &pos, &ctx, &cap, &count, &scratch, &scap) !=
                ND_OK) {
                fprintf(stderr, "winnow_bench: out of memory\n");
                return 1;
            }
        }
        round[r] = (now() - t0) * 1e9 / ((double)reps * (double)chars);
    }
    for (size_t i = 0; i < count; i++)
        sum = (sum ^ hash[i] ^ ((uint64_t)pos[i] << 32 | ctx[i])) * UINT64_C(0x100000001b3);
    qsort(round, runs, sizeof *round, cmp_double);
    printf("winnow %s, %llu code points, k %u, w %u, %zu times a round: best %.3f ns, median "
           "%.3f ns a code point; %zu fingerprints, checksum %016llx\n",
           en ? "en" : "zh", chars, k, w, reps, round[0], round[runs / 2], count,
           (unsigned long long)sum);
    free(cp);
    free(round);
    free(hash);
    free(pos);
    free(ctx);
    free(scratch);
    return 0;
}
