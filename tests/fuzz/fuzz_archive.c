/*
 * fuzz_archive.c - archives (src/archive.c): detection, reading and the
 * writer that re-creates an archive with members replaced.
 *
 * Input: the archive's bytes as they are (the seeds are real .tar, .tar.gz,
 * .tar.xz, .tar.zst and .zip files made by tar(1) and zip(1)).  Checks: the
 * magic test and nd_archive_open never fail otherwise than ND_ERR_FORMAT
 * (not an archive) or ND_ERR_NOMEM; entries come with consecutive indexes
 * and a name; damage is ND_ERR_ARCHIVE with words: a member that cannot be
 * read is passed over, and nothing is read after damage to the stream
 * (nd_archive_broken).  Decompressed bytes are bounded (4 MiB per input), so bombs
 * stop early.  An archive read to its end without damage is rewritten with
 * every regular member of at most 4 KiB reversed; the rewrite succeeds, or
 * fails with ND_ERR_ARCHIVE and words (an entry libarchive cannot write in
 * that format); a success reads back as an archive of the same kind whose
 * regular members, in order, are the reversed ones and the others as read.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "nd_archive.h"
#include "nd_internal.h"

#define BUDGET ((size_t)4 << 20)
#define SMALL  4096
#define MAXREG 64

typedef struct member_copy {
    size_t len;
    uint8_t data[SMALL];
} member_copy;

typedef struct walk_out {
    member_copy *reg; /* the first MAXREG regular members of at most SMALL bytes */
    size_t nreg;      /* regular members (all of them) */
    int small_only;   /* every regular member fits SMALL */
} walk_out;

/* Reads everything; returns the status that ended the walk. */
static nd_status walk(const nd_archive_src *src, walk_out *w, nd_archive_kind *kind, int *opened) {
    nd_archive_reader *ar = NULL;
    size_t budget = BUDGET, index = 0;
    static uint8_t buf[SMALL + 1];
    nd_status st = nd_archive_open(src, &ar);
    *opened = st == ND_OK;
    if (st != ND_OK) {
        FUZZ_CHECK(ar == NULL, "reader left on failure");
        FUZZ_CHECK(st == ND_ERR_FORMAT || st == ND_ERR_NOMEM, "open: status %d", (int)st);
        return st;
    }
    w->nreg = 0;
    w->small_only = 1;
    for (;;) {
        nd_archive_member m;
        int more = 0;
        st = nd_archive_next(ar, &m, &more);
        if (st != ND_OK || !more) break;
        FUZZ_CHECK(m.name != NULL && m.index == index, "entry %zu: index %zu", index, m.index);
        index++;
        size_t total = 0;
        for (;;) {
            size_t got = 0;
            st = nd_archive_read(ar, buf, sizeof buf, &got);
            if (st != ND_OK || got == 0) break;
            FUZZ_CHECK(got <= sizeof buf, "read %zu", got);
            if (m.regular && w->nreg < MAXREG && total + got <= SMALL)
                memcpy(w->reg[w->nreg].data + total, buf, got);
            total += got;
            if (got > budget) {
                st = ND_ERR_TOO_LARGE;
                break;
            }
            budget -= got;
        }
        if (st == ND_ERR_ARCHIVE && !nd_archive_broken(ar)) {
            FUZZ_CHECK(nd_archive_error(ar)[0] != '\0', "a bad member without words");
            w->small_only = 0; /* the rewrite would fail on it: not tried */
            st = ND_OK;
            continue;
        }
        if (st != ND_OK) break;
        if (m.regular) {
            if (total > SMALL) w->small_only = 0;
            if (w->nreg < MAXREG) w->reg[w->nreg].len = total;
            w->nreg++;
        }
    }
    if (st == ND_ERR_ARCHIVE) {
        nd_archive_member m;
        FUZZ_CHECK(nd_archive_broken(ar), "damage that does not end the archive");
        int more = 1;
        FUZZ_CHECK(nd_archive_error(ar)[0] != '\0', "damage without words");
        FUZZ_CHECK(nd_archive_next(ar, &m, &more) == ND_ERR_ARCHIVE && !more,
                   "an entry after damage");
    } else {
        FUZZ_CHECK(st == ND_OK || st == ND_ERR_TOO_LARGE || st == ND_ERR_NOMEM, "status %d",
                   (int)st);
    }
    if (kind) nd_archive_kind_of(ar, kind);
    nd_archive_close(ar);
    return st;
}

typedef struct edit {
    const walk_out *w;
    size_t reg;
} edit;

static nd_status choose(void *ctx, const nd_archive_member *m, int *replace, uint64_t *size) {
    edit *e = ctx;
    *replace = 0;
    if (!m->regular) return ND_OK;
    FUZZ_CHECK(e->reg < e->w->nreg, "more regular members on the second reading");
    const member_copy *c = &e->w->reg[e->reg];
    *replace = 1;
    *size = c->len;
    return ND_OK;
}

static nd_status put(void *ctx, const nd_archive_member *m, nd_archive_writer *wr) {
    edit *e = ctx;
    const member_copy *c = &e->w->reg[e->reg++];
    uint8_t rev[SMALL];
    ND_UNUSED(m);
    for (size_t i = 0; i < c->len; i++) rev[i] = c->data[c->len - 1 - i];
    return nd_archive_put(wr, rev, c->len);
}

typedef struct out_buf {
    uint8_t *p;
    size_t n, cap;
} out_buf;

static int out_write(void *user, const void *buf, size_t len) {
    out_buf *o = user;
    if (o->n + len > BUDGET) return 27; /* EFBIG */
    if (o->n + len > o->cap) {
        size_t cap = (o->n + len) * 2;
        uint8_t *p = realloc(o->p, cap);
        if (!p) return 12;
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->n, buf, len);
    o->n += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size ? size : 1); /* exactly size bytes, for ASan */
    member_copy *reg = calloc(MAXREG, sizeof *reg), *reg2 = calloc(MAXREG, sizeof *reg2);
    FUZZ_CHECK(copy && reg && reg2, "malloc");
    if (size) memcpy(copy, data, size);
    (void)nd_archive_magic(copy, size);
    nd_archive_src src = {-1, copy, size};
    walk_out w = {reg, 0, 1};
    nd_archive_kind kind;
    int opened = 0;
    nd_status st = walk(&src, &w, &kind, &opened);
    if (st == ND_OK && w.small_only && w.nreg <= MAXREG) {
        edit e = {&w, 0};
        nd_archive_edit ed = {choose, put, &e, NULL};
        out_buf o = {NULL, 0, 0};
        char why[256];
        st = nd_archive_rewrite(&src, &kind, &ed, out_write, &o, why, sizeof why);
        FUZZ_CHECK(st == ND_OK || st == ND_ERR_ARCHIVE || st == ND_ERR_IO || st == ND_ERR_NOMEM,
                   "rewrite: status %d", (int)st);
        if (st == ND_ERR_ARCHIVE) FUZZ_CHECK(why[0] != '\0', "rewrite failed without words");
        if (st == ND_OK) {
            FUZZ_CHECK(e.reg == w.nreg, "%zu of %zu members replaced", e.reg, w.nreg);
            nd_archive_src back = {-1, o.p, o.n};
            walk_out w2 = {reg2, 0, 1};
            nd_archive_kind kind2;
            int opened2 = 0;
            st = walk(&back, &w2, &kind2, &opened2);
            FUZZ_CHECK(st == ND_OK, "the rewritten archive reads back with status %d", (int)st);
            FUZZ_CHECK(kind2.filter == kind.filter, "filter %d became %d", kind.filter,
                       kind2.filter);
            FUZZ_CHECK(w2.nreg == w.nreg, "%zu regular members became %zu", w.nreg, w2.nreg);
            for (size_t i = 0; i < w.nreg; i++) {
                const member_copy *a = &w.reg[i], *b = &w2.reg[i];
                FUZZ_CHECK(a->len == b->len, "member %zu: %zu bytes became %zu", i, a->len, b->len);
                for (size_t k = 0; k < a->len; k++)
                    FUZZ_CHECK(b->data[k] == a->data[a->len - 1 - k], "member %zu byte %zu", i, k);
            }
        }
        free(o.p);
    }
    free(reg);
    free(reg2);
    free(copy);
    return 0;
}
