/*
 * util.c - allocation helpers shared by the library's modules (nd_internal.h).
 *
 * Contracts: every helper checks the multiplication n * size for overflow and
 * reports failure (NULL / ND_ERR_NOMEM) instead of wrapping.  A request for
 * zero bytes still returns a unique non-NULL pointer, so callers can treat
 * NULL as "out of memory" without special cases.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nd_internal.h"

nd_status nd_grow(void **ptr, size_t *cap, size_t need, size_t elem_size) {
    if (need <= *cap) return ND_OK;
    if (elem_size == 0) return ND_ERR_INVALID;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem_size) return ND_ERR_NOMEM;
    void *p = realloc(*ptr, ncap * elem_size);
    if (!p) return ND_ERR_NOMEM;
    *ptr = p;
    *cap = ncap;
    return ND_OK;
}

void *nd_calloc(size_t n, size_t size) {
    if (n == 0 || size == 0) return calloc(1, 1);
    if (n > SIZE_MAX / size) return NULL;
    return calloc(n, size);
}

void *nd_mallocn(size_t n, size_t size) {
    if (n == 0 || size == 0) return malloc(1);
    if (n > SIZE_MAX / size) return NULL;
    return malloc(n * size);
}

char *nd_strdup(const char *s) {
    size_t len = strlen(s);
    char *d = malloc(len + 1);
    if (d) memcpy(d, s, len + 1);
    return d;
}

unsigned nd_process_umask(void) {
    unsigned mask = 022;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return mask;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Umask:", 6) == 0) {
            char *end = NULL;
            unsigned long v = strtoul(line + 6, &end, 8);
            if (end != line + 6 && v <= 0777) mask = (unsigned)v;
            break;
        }
    }
    fclose(f);
    return mask;
}
