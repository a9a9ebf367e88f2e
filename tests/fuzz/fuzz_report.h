/*
 * fuzz_report.h - turns a fuzz input into options and 1-4 in-memory
 * documents and runs the scan (shared by fuzz_scan.c and fuzz_write.c).
 *
 * Layout: 8 bytes of options (split, documents, norm flags, shingle,
 * min_chars, threshold, num_perm and rows, max_paragraph_bytes), then per document a
 * name length byte (0-15) and the name, and for every document but the last
 * a two-byte length; the last document takes the rest.
 */
#ifndef ND_FUZZ_REPORT_H
#define ND_FUZZ_REPORT_H

#include <string.h>

#include "fuzz_util.h"
#include "neardup.h"

#define FUZZ_MAX_DOCS 4

typedef struct fuzz_docs {
    nd_options opt;
    size_t n;
    char name[FUZZ_MAX_DOCS][16];
    const uint8_t *data[FUZZ_MAX_DOCS];
    size_t len[FUZZ_MAX_DOCS];
} fuzz_docs;

static void fuzz_docs_parse(const uint8_t *data, size_t size, fuzz_docs *fd) {
    fuzz_in in = {data, size};
    memset(fd, 0, sizeof *fd);
    nd_options_default(&fd->opt);
    unsigned b = fuzz_u8(&in);
    fd->opt.split = (nd_split_mode)(b % 3);
    fd->n = 1 + (b >> 2) % FUZZ_MAX_DOCS;
    fd->opt.norm_flags = fuzz_u8(&in) & ND_NORM_ALL;
    fd->opt.shingle = 1 + fuzz_u8(&in) % 5;
    fd->opt.min_chars = fuzz_u8(&in) % 16;
    fd->opt.threshold = (1 + fuzz_u8(&in) % 100) / 100.0;
    unsigned np = fuzz_u8(&in);
    fd->opt.num_perm = 8 * (1 + np % 8);
    /* bands x rows given: nd_lsh_params' integration would cost ~25 ms a run
     * under the fuzzer's instrumentation (it has its own tests) */
    fd->opt.rows = 1 + (np >> 3) % 8;
    fd->opt.bands = fd->opt.num_perm / fd->opt.rows;
    fd->opt.max_paragraph_bytes = ND_MIN_PARAGRAPH_BYTES + fuzz_u16(&in);
    fd->opt.threads = 1;
    for (size_t d = 0; d < fd->n; d++) {
        size_t nl = fuzz_u8(&in) % 16;
        if (nl > in.n) nl = in.n;
        memcpy(fd->name[d], in.p, nl); /* a NUL inside ends the name early */
        fd->name[d][nl] = '\0';
        in.p += nl;
        in.n -= nl;
        size_t len = in.n;
        if (d + 1 < fd->n) {
            len = fuzz_u16(&in);
            if (len > in.n) len = in.n;
        }
        fd->data[d] = in.p;
        fd->len[d] = len;
        in.p += len;
        in.n -= len;
    }
}

/* Runs the scan over the documents; ND_OK and *out, or aborts. */
static nd_report *fuzz_docs_scan(const fuzz_docs *fd, unsigned threads) {
    nd_options o = fd->opt;
    nd_scanner *sc = NULL;
    nd_report *r = NULL;
    o.threads = threads;
    FUZZ_CHECK(nd_scanner_new(&o, &sc) == ND_OK, "nd_scanner_new");
    for (size_t d = 0; d < fd->n; d++)
        FUZZ_CHECK(nd_scanner_add_buffer(sc, fd->name[d], fd->data[d], fd->len[d]) == ND_OK,
                   "nd_scanner_add_buffer");
    nd_status st = nd_scanner_run(sc, &r);
    FUZZ_CHECK(st == ND_OK, "nd_scanner_run: %s", nd_strerror(st));
    nd_scanner_free(sc);
    return r;
}

/* A growable buffer as an nd_write_fn sink. */
typedef struct fuzz_buf {
    char *p;
    size_t n, cap;
} fuzz_buf;

static int fuzz_buf_write(void *user, const void *buf, size_t len) {
    fuzz_buf *b = user;
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *p = realloc(b->p, cap);
        FUZZ_CHECK(p != NULL, "realloc");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, buf, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

static void fuzz_render(const nd_report *r, nd_format f, const nd_write_options *wo, fuzz_buf *b) {
    b->n = 0;
    fuzz_buf_write(b, "", 0);
    nd_status st = nd_report_write(r, f, wo, fuzz_buf_write, b);
    FUZZ_CHECK(st == ND_OK, "nd_report_write(format %d): %s", (int)f, nd_strerror(st));
}

#endif /* ND_FUZZ_REPORT_H */
