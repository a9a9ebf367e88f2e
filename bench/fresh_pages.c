/*
 * fresh_pages.c - what this machine charges for memory a process touches
 * for the first time, so that bench figures can be read against it.
 *
 *   fresh_pages [--mb M] [--rounds R]
 *
 * Each round maps M MiB (default 512) of anonymous memory, advises it into
 * transparent huge pages (as util.c's large arrays are), writes one byte
 * every 4 KiB and times that, then writes the whole block again and times
 * that too; it prints milliseconds per MiB of both.  The first pass is
 * what a scan pays for each byte of its peak memory (the kernel zeroes
 * every new page; under a hypervisor the host may also have to back the
 * guest's page first); the second is the memory's own speed.  Rounds run
 * in one process, each on a new mapping, so a round can reuse pages the
 * previous one returned to the kernel: compare the first round with the
 * later ones, and with a second invocation a few seconds later.
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int parse_count(const char *s, unsigned long *out) {
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v == 0 || v > (1ul << 20)) return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv) {
    unsigned long mb = 512, rounds = 3;
    for (int i = 1; i < argc; i++) {
        unsigned long *to = strcmp(argv[i], "--mb") == 0       ? &mb
                            : strcmp(argv[i], "--rounds") == 0 ? &rounds
                                                               : NULL;
        if (!to || i + 1 >= argc || parse_count(argv[++i], to) != 0) {
            fprintf(stderr, "usage: fresh_pages [--mb M] [--rounds R]\n");
            return 2;
        }
    }
    size_t n = (size_t)mb << 20;
    for (unsigned long r = 0; r < rounds; r++) {
        char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            perror("fresh_pages: mmap");
            return 1;
        }
#ifdef MADV_HUGEPAGE
        (void)madvise(p, n, MADV_HUGEPAGE);
#endif
        double t0 = now_ms();
        for (size_t i = 0; i < n; i += 4096) p[i] = 1;
        double t1 = now_ms();
        memset(p, 2, n);
        double t2 = now_ms();
        printf("round %lu: %lu MiB, first touch %.3f ms/MiB, written again %.3f ms/MiB\n", r + 1,
               mb, (t1 - t0) / (double)mb, (t2 - t1) / (double)mb);
        munmap(p, n);
    }
    return 0;
}
