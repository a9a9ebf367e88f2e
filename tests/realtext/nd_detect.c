/*
 * nd_detect.c - prints the --split auto decision ("line" or "blank") of each
 * file argument, one a line, for tests/realtext/realtext.py.  It calls the
 * library's own nd_split_detect, the function `neardup scan` uses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nd_internal.h"
#include "split.h"

/* Reads the whole file into *buf (caller frees) and its size into *len. */
static nd_status read_all(const char *path, uint8_t **buf, size_t *len) {
    nd_status st = ND_OK;
    uint8_t *data = NULL;
    size_t cap = 0, n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return ND_ERR_IO;
    for (;;) {
        ND_CHECK(ND_GROW(data, cap, n + 65536));
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        st = ND_ERR_IO;
        goto out;
    }
    *buf = data;
    *len = n;
    data = NULL;
out:
    free(data);
    fclose(f);
    return st;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        if (read_all(argv[i], &data, &len) != ND_OK) {
            fprintf(stderr, "nd_detect: cannot read %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
        nd_split_mode m = nd_split_detect(data, len);
        puts(m == ND_SPLIT_BLANK ? "blank" : "line");
        free(data);
    }
    return 0;
}
