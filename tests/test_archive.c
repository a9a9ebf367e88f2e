/* test_archive.c - archives (src/archive.c): detection by content, members
 * of every kind read in order with their metadata, damage, and the writer
 * that re-creates an archive of the same kind with some contents replaced.
 * The archives are made here with libarchive's writer, so no binary
 * fixture is needed. */
#include <archive.h>
#include <archive_entry.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nd_archive.h"
#include "input.h"
#include "nd_internal.h"
#include "support.h"

/* ---- making archives -------------------------------------------------------- */

typedef struct entry {
    const char *name;
    const char *data; /* NULL: a directory */
    unsigned mode;    /* permission bits */
    long mtime;
    const char *link; /* a symbolic link's target (data NULL) */
} entry;

static const entry sample[] = {
    {"docs/", NULL, 0755, 1600000000, NULL},
    {"docs/a.txt", "first paragraph of a\n\nsecond paragraph of a\n", 0640, 1600000001, NULL},
    {"docs/link", NULL, 0777, 1600000002, "a.txt"},
    {"docs/b.txt", "only paragraph of b\n", 0600, 1600000003, NULL},
    {"empty.txt", "", 0644, 1600000004, NULL},
    {"bin.dat", "\x00\x01\x02\x03 binary \x00", 0644, 1600000005, NULL},
};
#define NSAMPLE (sizeof sample / sizeof *sample)

static size_t data_len(const entry *e) {
    return strcmp(e->name, "bin.dat") == 0 ? 14 : e->data ? strlen(e->data) : 0;
}

/* An archive of the entries in a new malloc'ed buffer. */
static uint8_t *make(int format, int filter, const entry *es, size_t n, size_t *len) {
    size_t cap = 1 << 20, used = 0;
    uint8_t *buf = malloc(cap);
    struct archive *a = archive_write_new();
    cr_assert_not_null(buf);
    cr_assert_eq(archive_write_set_format(a, format), ARCHIVE_OK, "%s", archive_error_string(a));
    if (filter != ARCHIVE_FILTER_NONE)
        cr_assert_eq(archive_write_add_filter(a, filter), ARCHIVE_OK, "%s",
                     archive_error_string(a));
    cr_assert_eq(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, es[i].name);
        archive_entry_set_mtime(e, es[i].mtime, 0);
        if (es[i].link) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, es[i].link);
        } else {
            archive_entry_set_filetype(e, es[i].data ? AE_IFREG : AE_IFDIR);
        }
        archive_entry_set_perm(e, es[i].mode);
        archive_entry_set_size(e, (la_int64_t)data_len(&es[i]));
        cr_assert_eq(archive_write_header(a, e), ARCHIVE_OK, "%s", archive_error_string(a));
        if (data_len(&es[i]))
            cr_assert_eq(archive_write_data(a, es[i].data, data_len(&es[i])),
                         (la_ssize_t)data_len(&es[i]));
        archive_entry_free(e);
    }
    cr_assert_eq(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *len = used;
    return buf;
}

/* The kinds of the issue, and bzip2, in every tar variant for plain tar. */
static const struct {
    int format, filter;
    const char *name;
} kinds[] = {
    {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_NONE, "tar"},
    {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_NONE, "tar"},
    {ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE, ARCHIVE_FILTER_NONE, "tar"},
    {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_NONE, "tar"},
    {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_GZIP, "tar.gz"},
    {ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_BZIP2, "tar.bz2"},
    {ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FILTER_XZ, "tar.xz"},
    {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_ZSTD, "tar.zst"},
    {ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, "zip"},
};
#define NKINDS (sizeof kinds / sizeof *kinds)

/* ---- reading back ------------------------------------------------------------ */

typedef struct got_entry {
    char name[128];
    unsigned mode;
    int64_t mtime_ns;
    int regular;
    size_t len;
    char data[256];
} got_entry;

/* Reads every entry of src; returns the count, *st the last status. */
static size_t read_all(const nd_archive_src *src, got_entry *out, size_t max, nd_status *st,
                       nd_archive_kind *kind) {
    nd_archive_reader *ar = NULL;
    size_t n = 0;
    *st = nd_archive_open(src, &ar);
    if (*st != ND_OK) return 0;
    for (;;) {
        nd_archive_member m;
        int more = 0;
        *st = nd_archive_next(ar, &m, &more);
        if (*st != ND_OK || !more) break;
        cr_assert_lt(n, max);
        cr_assert_eq(m.index, n);
        got_entry *g = &out[n++];
        memset(g, 0, sizeof *g);
        snprintf(g->name, sizeof g->name, "%s", m.name);
        g->mode = m.mode;
        g->mtime_ns = m.mtime_ns;
        g->regular = m.regular;
        for (;;) {
            size_t k = 0;
            *st = nd_archive_read(ar, g->data + g->len, sizeof g->data - 1 - g->len, &k);
            if (*st != ND_OK || k == 0) break;
            g->len += k;
        }
        if (*st != ND_OK) break;
    }
    if (kind) nd_archive_kind_of(ar, kind);
    nd_archive_close(ar);
    return n;
}

static void expect_sample(const got_entry *g, size_t n, const char *what) {
    cr_assert_eq(n, NSAMPLE, "%s: %zu entries", what, n);
    for (size_t i = 0; i < NSAMPLE; i++) {
        const entry *e = &sample[i];
        cr_expect_str_eq(g[i].name, e->name, "%s: entry %zu", what, i);
        cr_expect_eq(g[i].mode & 07777, e->mode, "%s: %s mode %o", what, e->name, g[i].mode);
        cr_expect_eq(g[i].mtime_ns, (int64_t)e->mtime * 1000000000, "%s: %s mtime", what, e->name);
        cr_expect_eq(g[i].regular, e->data != NULL && !e->link, "%s: %s regular", what, e->name);
        cr_expect_eq(g[i].len, data_len(e), "%s: %s size", what, e->name);
        if (e->data)
            cr_expect(memcmp(g[i].data, e->data, data_len(e)) == 0, "%s: %s", what, e->name);
    }
}

Test(archive, the_magic_test_takes_archives_and_compressed_data_only) {
    const char *text = "plain text, nothing else\n";
    cr_expect_not(nd_archive_magic((const uint8_t *)text, strlen(text)));
    cr_expect_not(nd_archive_magic((const uint8_t *)"", 0));
    uint8_t zeros[1024] = {0};
    cr_expect_not(nd_archive_magic(zeros, sizeof zeros), "an all-zero block is no tar header");
    for (size_t k = 0; k < NKINDS; k++) {
        size_t len = 0;
        uint8_t *a = make(kinds[k].format, kinds[k].filter, sample, NSAMPLE, &len);
        cr_expect(nd_archive_magic(a, ND_MIN(len, 8192)), "%s (%d)", kinds[k].name,
                  kinds[k].format);
        a[148] ^= 1; /* a tar checksum that no longer holds */
        if (kinds[k].filter == ARCHIVE_FILTER_NONE && kinds[k].format != ARCHIVE_FORMAT_ZIP)
            cr_expect_not(nd_archive_magic(a, ND_MIN(len, 8192)), "bad checksum");
        free(a);
    }
}

Test(archive, every_kind_gives_its_entries_in_order_with_names_modes_times_and_bytes) {
    for (size_t k = 0; k < NKINDS; k++) {
        size_t len = 0, n;
        uint8_t *a = make(kinds[k].format, kinds[k].filter, sample, NSAMPLE, &len);
        got_entry g[16];
        nd_status st;
        nd_archive_kind kind;
        nd_archive_src src = {-1, a, len};
        n = read_all(&src, g, 16, &st, &kind);
        cr_assert_eq(st, ND_OK, "%s: %s", kinds[k].name, nd_strerror(st));
        expect_sample(g, n, kinds[k].name);
        cr_expect_str_eq(nd_archive_kind_name(&kind), kinds[k].name);
        cr_expect_eq(kind.filter, kinds[k].filter);
        if (kinds[k].format == ARCHIVE_FORMAT_ZIP)
            cr_expect_eq(kind.format, ARCHIVE_FORMAT_ZIP);
        else
            cr_expect_eq(kind.format & ARCHIVE_FORMAT_BASE_MASK, ARCHIVE_FORMAT_TAR);
        free(a);
    }
}

Test(archive, a_file_is_read_with_pread_whatever_its_offset) {
    size_t len = 0, n;
    uint8_t *a = make(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_XZ, sample, NSAMPLE, &len);
    char path[] = "/tmp/nd-archive-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, a, len), (ssize_t)len);
    cr_assert_eq(lseek(fd, 5, SEEK_SET), 5); /* the descriptor's offset is not used */
    got_entry g[16];
    nd_status st;
    nd_archive_src src = {fd, NULL, 0};
    n = read_all(&src, g, 16, &st, NULL);
    cr_assert_eq(st, ND_OK);
    expect_sample(g, n, "fd");
    close(fd);
    unlink(path);
    free(a);
}

Test(archive, text_gzip_and_other_formats_are_not_archives) {
    const char *text = "a gzip file that holds text, not a tar\n";
    uLongf clen = 256;
    uint8_t gz[256];
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)text;
    z.avail_in = (uInt)strlen(text);
    z.next_out = gz;
    z.avail_out = (uInt)clen;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    clen = z.total_out;
    deflateEnd(&z);
    nd_archive_reader *ar = (nd_archive_reader *)1;
    nd_archive_src src = {-1, gz, clen};
    cr_expect(nd_archive_magic(gz, clen));
    cr_expect_eq(nd_archive_open(&src, &ar), ND_ERR_FORMAT);
    cr_expect_null(ar);
    /* a cpio archive: libarchive could read it, neardup does not */
    size_t len = 0;
    uint8_t *cpio = make(ARCHIVE_FORMAT_CPIO_POSIX, ARCHIVE_FILTER_GZIP, sample, 2, &len);
    src = (nd_archive_src){-1, cpio, len};
    cr_expect_eq(nd_archive_open(&src, &ar), ND_ERR_FORMAT);
    free(cpio);
    /* a tar inside gzip inside xz: one filter at most */
    uint8_t *tgz = make(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, sample, 2, &len);
    struct archive *w = archive_write_new();
    size_t cap = 1 << 20, used = 0;
    uint8_t *xz = malloc(cap);
    archive_write_set_format_raw(w);
    archive_write_add_filter_xz(w);
    cr_assert_eq(archive_write_open_memory(w, xz, cap, &used), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_pathname(e, "x");
    archive_entry_set_size(e, (la_int64_t)len);
    cr_assert_eq(archive_write_header(w, e), ARCHIVE_OK);
    cr_assert_eq(archive_write_data(w, tgz, len), (la_ssize_t)len);
    archive_entry_free(e);
    archive_write_close(w);
    archive_write_free(w);
    src = (nd_archive_src){-1, xz, used};
    cr_expect_eq(nd_archive_open(&src, &ar), ND_ERR_FORMAT);
    free(xz);
    free(tgz);
    /* compressed zeros (a gzip bomb of /dev/zero) read as a tar of no entries
     * to libarchive: no archive, so the gzip path bounds it as before */
    static uint8_t zeros[1 << 16], zgz[1 << 12];
    memset(&z, 0, sizeof z);
    cr_assert_eq(deflateInit2(&z, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = zeros;
    z.avail_in = sizeof zeros;
    z.next_out = zgz;
    z.avail_out = sizeof zgz;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    src = (nd_archive_src){-1, zgz, z.total_out};
    deflateEnd(&z);
    cr_expect_eq(nd_archive_open(&src, &ar), ND_ERR_FORMAT, "gzip of zeros");
    /* an empty zip is an archive, of no entries */
    size_t zlen = 0;
    uint8_t *ez = make(ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, sample, 0, &zlen);
    src = (nd_archive_src){-1, ez, zlen};
    cr_expect_eq(nd_archive_open(&src, &ar), ND_OK, "an empty zip");
    nd_archive_close(ar);
    free(ez);
    /* nothing at all */
    src = (nd_archive_src){-1, NULL, 0};
    cr_expect_eq(nd_archive_open(&src, &ar), ND_ERR_FORMAT);
}

/* Three members of 60,000 bytes of letters that compress poorly, so that
 * a compressed stream cut in the middle still gives its first members. */
static char big[3][60001];

static void fill_big(void) {
    uint32_t s = 12345;
    for (size_t m = 0; m < 3; m++) {
        for (size_t i = 0; i < 60000; i++) {
            s = s * 1103515245u + 12345u;
            big[m][i] = "abcdefghijklmnopqrstuvwxyz \n"[(s >> 16) % 28];
        }
        big[m][60000] = '\0';
    }
}

/* Cut at 200 lengths: never a crash; the entries read are a prefix of the
 * archive's, with their names; a cut is damage (ND_ERR_ARCHIVE, with
 * libarchive's words) or, when even the first header is gone, no archive
 * at all.  Every kind but bzip2 (one 900 KB block: nothing before its end)
 * gives some members before damage. */
Test(archive, a_truncated_archive_gives_the_members_before_the_damage) {
    fill_big();
    const entry es[] = {{"a.txt", big[0], 0644, 1, NULL},
                        {"b.txt", big[1], 0644, 2, NULL},
                        {"c.txt", big[2], 0644, 3, NULL}};
    for (size_t k = 0; k < NKINDS; k++) {
        size_t len = 0;
        uint8_t *a = make(kinds[k].format, kinds[k].filter, es, 3, &len);
        int partial = 0;
        for (size_t cut = 0; cut < len; cut += len / 200 + 1) {
            uint8_t *c = malloc(cut ? cut : 1); /* exactly cut bytes, for ASan */
            memcpy(c, a, cut);
            nd_archive_reader *ar = NULL;
            nd_archive_src src = {-1, c, cut};
            nd_status st = nd_archive_open(&src, &ar);
            if (st == ND_ERR_FORMAT) {
                free(c);
                continue;
            }
            cr_assert_eq(st, ND_OK);
            size_t n = 0, whole = 0;
            for (;;) {
                nd_archive_member m;
                int more = 0;
                char buf[4096];
                size_t got = 0, total = 0;
                st = nd_archive_next(ar, &m, &more);
                if (st != ND_OK || !more) break;
                cr_assert_lt(n, 3u);
                cr_expect_str_eq(m.name, es[n].name, "%s cut %zu", kinds[k].name, cut);
                n++;
                do {
                    st = nd_archive_read(ar, buf, sizeof buf, &got);
                    if (st == ND_OK && got)
                        cr_assert(memcmp(buf, es[n - 1].data + total, got) == 0);
                    total += got;
                } while (st == ND_OK && got);
                if (st != ND_OK) break;
                cr_assert_eq(total, 60000u);
                whole++;
            }
            cr_expect(st == ND_ERR_ARCHIVE || (kinds[k].format == ARCHIVE_FORMAT_ZIP && n == 3),
                      "%s cut %zu of %zu: %s", kinds[k].name, cut, len, nd_strerror(st));
            if (st == ND_ERR_ARCHIVE) {
                cr_expect_neq(nd_archive_error(ar)[0], '\0', "%s cut %zu: no words", kinds[k].name,
                              cut);
                if (whole) partial++;
            }
            nd_archive_close(ar);
            free(c);
        }
        if (kinds[k].filter != ARCHIVE_FILTER_BZIP2)
            cr_expect_gt(partial, 0, "%s: no cut gave whole members before damage", kinds[k].name);
        free(a);
    }
}

/* ---- rewriting --------------------------------------------------------------- */

typedef struct edit_ctx {
    const char *target; /* member replaced */
    const char *with;
    int puts;
} edit_ctx;

static nd_status choose(void *ctx, const nd_archive_member *m, int *replace, uint64_t *size) {
    edit_ctx *c = ctx;
    *replace = strcmp(m->name, c->target) == 0;
    *size = *replace ? strlen(c->with) : 0;
    return ND_OK;
}

static nd_status put_new(void *ctx, const nd_archive_member *m, nd_archive_writer *w) {
    edit_ctx *c = ctx;
    cr_expect_str_eq(m->name, c->target);
    c->puts++;
    /* in two pieces */
    size_t half = strlen(c->with) / 2;
    ND_TRY(nd_archive_put(w, c->with, half));
    return nd_archive_put(w, c->with + half, strlen(c->with) - half);
}

Test(archive, rewrite_keeps_kind_order_and_metadata_and_replaces_contents) {
    for (size_t k = 0; k < NKINDS; k++) {
        size_t len = 0;
        uint8_t *a = make(kinds[k].format, kinds[k].filter, sample, NSAMPLE, &len);
        nd_archive_src src = {-1, a, len};
        got_entry g[16];
        nd_status st;
        nd_archive_kind kind;
        (void)read_all(&src, g, 16, &st, &kind);
        cr_assert_eq(st, ND_OK);
        edit_ctx c = {"docs/a.txt", "second paragraph of a\n", 0};
        nd_archive_edit ed = {choose, put_new, &c, NULL};
        nd_test_buf out = {0}, again = {0};
        char why[128];
        st = nd_archive_rewrite(&src, &kind, &ed, nd_test_buf_write, &out, why, sizeof why);
        cr_assert_eq(st, ND_OK, "%s: %s (%s)", kinds[k].name, nd_strerror(st), why);
        cr_expect_eq(c.puts, 1);
        /* the same bytes again: nothing of the time of writing is stored */
        st = nd_archive_rewrite(&src, &kind, &ed, nd_test_buf_write, &again, why, sizeof why);
        cr_assert_eq(st, ND_OK);
        cr_expect(out.len == again.len && memcmp(out.data, again.data, out.len) == 0,
                  "%s: not deterministic", kinds[k].name);
        /* read back: the same kind, entries and metadata; a.txt replaced */
        nd_archive_src back = {-1, (const uint8_t *)out.data, out.len};
        nd_archive_kind kind2;
        size_t n = read_all(&back, g, 16, &st, &kind2);
        cr_assert_eq(st, ND_OK, "%s", kinds[k].name);
        cr_expect_eq(kind2.filter, kind.filter, "%s", kinds[k].name);
        cr_expect_eq(kind2.format, kind.format, "%s: format %x -> %x", kinds[k].name, kind.format,
                     kind2.format);
        cr_assert_eq(n, NSAMPLE);
        for (size_t i = 0; i < NSAMPLE; i++) {
            const entry *e = &sample[i];
            cr_expect_str_eq(g[i].name, e->name);
            cr_expect_eq(g[i].mode & 07777, e->mode, "%s: %s", kinds[k].name, e->name);
            cr_expect_eq(g[i].mtime_ns, (int64_t)e->mtime * 1000000000);
            const char *want = strcmp(e->name, c.target) == 0 ? c.with : e->data;
            size_t wlen = strcmp(e->name, c.target) == 0 ? strlen(c.with) : data_len(e);
            cr_expect_eq(g[i].len, wlen, "%s: %s", kinds[k].name, e->name);
            if (want) cr_expect(memcmp(g[i].data, want, wlen) == 0);
        }
        free(out.data);
        free(again.data);
        free(a);
    }
}

static nd_status put_short(void *ctx, const nd_archive_member *m, nd_archive_writer *w) {
    ND_UNUSED(ctx);
    ND_UNUSED(m);
    return nd_archive_put(w, "x", 1);
}

static int fail_write(void *user, const void *buf, size_t len) {
    ND_UNUSED(user);
    ND_UNUSED(buf);
    ND_UNUSED(len);
    return 28; /* ENOSPC */
}

static int stop_now(void *ctx) {
    ND_UNUSED(ctx);
    return 1;
}

Test(archive, rewrite_failures_are_named) {
    size_t len = 0;
    uint8_t *a = make(ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_GZIP, sample, NSAMPLE, &len);
    nd_archive_src src = {-1, a, len};
    nd_archive_kind kind = {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_GZIP};
    edit_ctx c = {"docs/a.txt", "longer than one byte\n", 0};
    nd_archive_edit ed = {choose, put_short, &c, NULL};
    nd_test_buf out = {0};
    char why[128];
    /* fewer bytes than announced */
    cr_expect_eq(nd_archive_rewrite(&src, &kind, &ed, nd_test_buf_write, &out, why, sizeof why),
                 ND_ERR_INTERNAL);
    /* the output cannot be written */
    ed.put = put_new;
    cr_expect_eq(nd_archive_rewrite(&src, &kind, &ed, fail_write, NULL, why, sizeof why),
                 ND_ERR_IO);
    /* cancelled */
    ed.cancelled = stop_now;
    cr_expect_eq(nd_archive_rewrite(&src, &kind, &ed, nd_test_buf_write, &out, why, sizeof why),
                 ND_ERR_CANCELLED);
    ed.cancelled = NULL;
    /* the source is no longer the kind it was */
    nd_archive_kind other = {ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_XZ};
    cr_expect_eq(nd_archive_rewrite(&src, &other, &ed, nd_test_buf_write, &out, why, sizeof why),
                 ND_ERR_ARCHIVE);
    cr_expect_neq(why[0], '\0');
    /* a truncated source: the damage, in libarchive's words */
    src.len = len * 2 / 3;
    cr_expect_eq(nd_archive_rewrite(&src, &kind, &ed, nd_test_buf_write, &out, why, sizeof why),
                 ND_ERR_ARCHIVE);
    cr_expect_neq(why[0], '\0');
    free(out.data);
    free(a);
}

/* ---- archives as documents (input.c) -------------------------------------------- */

typedef struct diag_log {
    char lines[32][320];
    int n;
} diag_log;

static void on_diag(void *user, const nd_diag *d) {
    diag_log *log = user;
    if (log->n < 32)
        snprintf(log->lines[log->n++], sizeof log->lines[0], "%s|%s|%s", d->path,
                 nd_strerror(d->status), d->detail ? d->detail : "");
}

static void make_tmp(void) { nd_test_tmp_make("archive"); }
static void rm_tmp(void) { nd_test_tmp_remove(); }

static void put_archive(const char *rel, int format, int filter, const entry *es, size_t n) {
    size_t len = 0;
    uint8_t *a = make(format, filter, es, n, &len);
    nd_test_tmp_put(rel, a, len);
    free(a);
}

TestSuite(archive_input, .init = make_tmp, .fini = rm_tmp);

Test(archive_input, members_are_documents_named_archive_slash_slash_member) {
    put_archive("s.tar.xz", ARCHIVE_FORMAT_TAR_GNUTAR, ARCHIVE_FILTER_XZ, sample, NSAMPLE);
    nd_doctab dt = {0};
    diag_log log = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20, .diag = on_diag, .user = &log};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, nd_test_tmp_at("s.tar.xz")), ND_OK);
    cr_assert_eq(dt.n, 3u, "a.txt, b.txt and the empty member");
    char want[512];
    const char *names[] = {"docs/a.txt", "docs/b.txt", "empty.txt"};
    const size_t idx[] = {1, 3, 4};
    nd_reader rd;
    nd_reader_init(&rd, &dt);
    for (size_t i = 0; i < 3; i++) {
        snprintf(want, sizeof want, "%s//%s", nd_test_tmp_at("s.tar.xz"), names[i]);
        cr_expect_str_eq(dt.docs[i].path, want);
        cr_expect_eq(dt.docs[i].part_no, idx[i], "the entry index, every entry counted");
        cr_expect_eq(dt.docs[i].cont, 1u);
        const uint8_t *bytes = NULL;
        cr_assert_eq(nd_reader_whole(&rd, i, &bytes), ND_OK);
        cr_expect_eq(dt.docs[i].size, data_len(&sample[idx[i]]));
        cr_expect(memcmp(bytes, sample[idx[i]].data, dt.docs[i].size) == 0);
        cr_expect(dt.docs[i].size == 0 || dt.docs[i].spooled, "member bytes live in the spool");
        cr_expect_null(dt.docs[i].heap);
    }
    nd_reader_release(&rd);
    cr_assert_eq(dt.nconts, 1u);
    cr_expect_eq(dt.conts[0].kind, ND_CONT_ARCHIVE);
    cr_expect_eq(dt.conts[0].archive.filter, ARCHIVE_FILTER_XZ);
    cr_expect_eq(dt.conts[0].archive.format, ARCHIVE_FORMAT_TAR_GNUTAR);
    cr_expect_eq(dt.conts[0].first, 0u);
    cr_expect_eq(dt.conts[0].n, 3u);
    cr_expect_not(dt.conts[0].damaged);
    /* the binary member: one note, not a skipped input */
    cr_expect_eq(cfg.skipped, 0u);
    cr_assert_eq(log.n, 1);
    cr_expect(strstr(log.lines[0], "//bin.dat|success|binary member") != NULL, "%s", log.lines[0]);
    nd_doctab_release(&dt);
}

Test(archive_input, a_member_in_another_encoding_is_decoded_with_member_offsets) {
    /* "caf\xe9 cr\xe8me" and more: Windows-1252, read whole and decoded */
    static const char latin[] = "premier paragraphe: caf\xe9 cr\xe8me br\xfbl\xe9\x65, "
                                "na\xefve fa\xe7\x61\x64\x65, \xe0 la mode, d\xe9j\xe0 vu, "
                                "r\xe9sum\xe9, \xe9t\xe9, no\xebl, \xe7\x61 et l\xe0.\n";
    const entry es[] = {{"fr.txt", latin, 0644, 5, NULL}};
    put_archive("fr.zip", ARCHIVE_FORMAT_ZIP, ARCHIVE_FILTER_NONE, es, 1);
    nd_doctab dt = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, nd_test_tmp_at("fr.zip")), ND_OK);
    cr_assert_eq(dt.n, 1u);
    const nd_doc *d = &dt.docs[0];
    cr_expect_str_eq(nd_doc_encoding(d), "windows-1252");
    cr_expect_eq(nd_doc_orig_size(d), strlen(latin), "offsets are of the member's bytes");
    cr_expect_gt(d->size, strlen(latin), "the decoded text is longer");
    nd_reader rd;
    const uint8_t *orig = NULL;
    size_t len = 0;
    nd_reader_init(&rd, &dt);
    cr_assert_eq(nd_reader_orig_whole(&rd, 0, &orig, &len), ND_OK);
    cr_expect(len == strlen(latin) && memcmp(orig, latin, len) == 0, "the original bytes kept");
    nd_reader_release(&rd);
    nd_doctab_release(&dt);
}

Test(archive_input, damage_is_one_warning_and_the_members_before_it_count) {
    fill_big();
    const entry es[] = {{"a.txt", big[0], 0644, 1, NULL},
                        {"b.txt", big[1], 0644, 2, NULL},
                        {"c.txt", big[2], 0644, 3, NULL}};
    size_t len = 0;
    uint8_t *a = make(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, es, 3, &len);
    nd_test_tmp_put("cut.tar.gz", a, len * 6 / 10);
    free(a);
    nd_doctab dt = {0};
    diag_log log = {0};
    nd_input_cfg cfg = {.max_file_size = 1 << 20, .diag = on_diag, .user = &log};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, nd_test_tmp_at("cut.tar.gz")), ND_OK);
    cr_assert_geq(dt.n, 1u);
    cr_assert_lt(dt.n, 3u);
    cr_expect_eq(cfg.skipped, 1u);
    cr_assert_eq(log.n, 1);
    char want[512];
    snprintf(want, sizeof want, "%s|corrupt or truncated archive|", nd_test_tmp_at("cut.tar.gz"));
    cr_expect(strncmp(log.lines[0], want, strlen(want)) == 0, "%s", log.lines[0]);
    cr_expect(strstr(log.lines[0], "before it read") != NULL, "%s", log.lines[0]);
    cr_expect(dt.conts[0].damaged);
    nd_doctab_release(&dt);
}

Test(archive_input, members_over_the_limit_are_skipped_and_nested_archives_noted) {
    size_t len = 0;
    uint8_t *inner = make(ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FILTER_GZIP, sample, 2, &len);
    char *big_text = malloc(5000);
    memset(big_text, 'x', 4999);
    big_text[4999] = '\0';
    entry es[] = {{"inner.tar.gz", (const char *)inner, 0644, 1, NULL},
                  {"big.txt", big_text, 0644, 2, NULL},
                  {"small.txt", "small\n", 0644, 3, NULL}};
    /* make() takes strlen of data: give the inner archive through a copy */
    size_t alen = 0;
    struct archive *w = archive_write_new();
    size_t cap = 1 << 20, used = 0;
    uint8_t *buf = malloc(cap);
    archive_write_set_format_pax_restricted(w);
    cr_assert_eq(archive_write_open_memory(w, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < 3; i++) {
        struct archive_entry *e = archive_entry_new();
        size_t n = i == 0 ? len : strlen(es[i].data);
        archive_entry_set_pathname(e, es[i].name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)n);
        cr_assert_eq(archive_write_header(w, e), ARCHIVE_OK);
        cr_assert_eq(archive_write_data(w, es[i].data, n), (la_ssize_t)n);
        archive_entry_free(e);
    }
    archive_write_close(w);
    archive_write_free(w);
    alen = used;
    nd_test_tmp_put("n.tar", buf, alen);
    nd_doctab dt = {0};
    diag_log log = {0};
    nd_input_cfg cfg = {.max_file_size = 4096, .diag = on_diag, .user = &log};
    cr_assert_eq(nd_input_add_path(&dt, &cfg, nd_test_tmp_at("n.tar")), ND_OK);
    cr_assert_eq(dt.n, 1u);
    cr_expect(strstr(dt.docs[0].path, "//small.txt") != NULL);
    cr_expect_eq(cfg.skipped, 1u, "the member over the limit");
    cr_assert_eq(log.n, 2);
    cr_expect(strstr(log.lines[0], "//inner.tar.gz|success|an archive or compressed data") != NULL,
              "%s", log.lines[0]);
    cr_expect(strstr(log.lines[1], "//big.txt|file larger than --max-file-size|limit is 4096") !=
                  NULL,
              "%s", log.lines[1]);
    nd_doctab_release(&dt);
    free(buf);
    free(big_text);
    free(inner);
}

/* Archives loaded on several threads (a walk of 300 files is loaded in
 * parallel) give the same documents, in the same order, with the same
 * bytes, as on one. */
Test(archive_input, the_same_documents_on_any_number_of_threads) {
    cr_assert_eq(mkdir(nd_test_tmp_at("many"), 0755), 0);
    for (int i = 0; i < 300; i++) {
        char rel[64], text[64];
        snprintf(rel, sizeof rel, "many/%03d.%s", i, i % 3 ? "tgz" : "zip");
        snprintf(text, sizeof text, "member of archive %d\n", i);
        const entry es[] = {{"m.txt", text, 0644, 1, NULL}, {"n.txt", "same\n", 0644, 2, NULL}};
        put_archive(rel, i % 3 ? ARCHIVE_FORMAT_TAR_USTAR : ARCHIVE_FORMAT_ZIP,
                    i % 3 ? ARCHIVE_FILTER_GZIP : ARCHIVE_FILTER_NONE, es, 2);
    }
    nd_doctab one = {0}, three = {0};
    nd_input_cfg c1 = {.max_file_size = 1 << 20, .threads = 1};
    nd_input_cfg c3 = {.max_file_size = 1 << 20, .threads = 3};
    cr_assert_eq(nd_input_add_path(&one, &c1, nd_test_tmp_at("many")), ND_OK);
    cr_assert_eq(nd_input_add_path(&three, &c3, nd_test_tmp_at("many")), ND_OK);
    cr_assert_eq(one.n, 600u);
    cr_assert_eq(three.n, 600u);
    nd_reader r1, r3;
    nd_reader_init(&r1, &one);
    nd_reader_init(&r3, &three);
    for (size_t i = 0; i < one.n; i++) {
        const uint8_t *a = NULL, *b = NULL;
        cr_assert_str_eq(one.docs[i].path, three.docs[i].path);
        cr_assert_eq(one.docs[i].size, three.docs[i].size);
        cr_assert_eq(nd_reader_whole(&r1, i, &a), ND_OK);
        size_t n = one.docs[i].size;
        uint8_t copy[64];
        cr_assert_leq(n, sizeof copy);
        memcpy(copy, a, n);
        cr_assert_eq(nd_reader_whole(&r3, i, &b), ND_OK);
        cr_assert(memcmp(copy, b, n) == 0, "document %zu", i);
    }
    nd_reader_release(&r1);
    nd_reader_release(&r3);
    nd_doctab_release(&one);
    nd_doctab_release(&three);
}

/* tests/fuzz/regress/archive: zip-bad-method-and-size (a member with an
 * unsupported method, then one of the wrong size: libarchive's ARCHIVE_WARN
 * was once taken for the member's end), rewrite-fails-leak (a rewrite that
 * fails half-way leaked libarchive's output block when the writer was
 * archive_write_fail'ed; ASan's leak check sees it) and zip-entry-without-name
 * (libarchive's zip writer read a NULL name: SEGV; such an entry is now
 * refused).  Each input is read to its end and rewritten with every member
 * copied. */
static nd_status copy_all(void *ctx, const nd_archive_member *m, int *replace, uint64_t *size) {
    ND_UNUSED(ctx);
    ND_UNUSED(m);
    *replace = 0;
    *size = 0;
    return ND_OK;
}

Test(archive, fuzz_regressions) {
    const char *inputs[] = {"fuzz/regress/archive/zip-bad-method-and-size",
                            "fuzz/regress/archive/rewrite-fails-leak",
                            "fuzz/regress/archive/zip-entry-without-name"};
    for (size_t k = 0; k < 3; k++) {
        size_t n = 0;
        char *raw = nd_test_read_file(nd_test_data_path(inputs[k]), &n);
        nd_archive_src src = {-1, (const uint8_t *)raw, n};
        nd_archive_reader *ar = NULL;
        nd_archive_kind kind;
        int bad_members = 0;
        cr_assert_eq(nd_archive_open(&src, &ar), ND_OK, "%s", inputs[k]);
        for (;;) {
            nd_archive_member m;
            int more = 0;
            char buf[4096];
            size_t got = 0;
            nd_status st = nd_archive_next(ar, &m, &more);
            if (st != ND_OK || !more) break;
            do st = nd_archive_read(ar, buf, sizeof buf, &got);
            while (st == ND_OK && got);
            if (st == ND_ERR_ARCHIVE) {
                bad_members++;
                cr_expect_neq(nd_archive_error(ar)[0], '\0');
                if (nd_archive_broken(ar)) break;
            }
        }
        nd_archive_kind_of(ar, &kind);
        nd_archive_close(ar);
        if (k == 0) cr_expect_geq(bad_members, 2, "the bad method and the wrong size");
        nd_archive_edit ed = {copy_all, NULL, NULL, NULL};
        nd_test_buf out = {0};
        char why[256];
        nd_status st =
            nd_archive_rewrite(&src, &kind, &ed, nd_test_buf_write, &out, why, sizeof why);
        cr_expect(st == ND_OK || (st == ND_ERR_ARCHIVE && why[0]), "%s: %s", inputs[k],
                  nd_strerror(st));
        free(out.data);
        free(raw);
    }
}

/* tests/fuzz/regress/archive/zip-first-header-damaged (fuzz_archive, CI
 * smoke run): a zip whose first header cannot be read was taken for a tar
 * (the format was learnt only from a readable header), so its rewrite was
 * an empty tar - ten zero blocks that are no archive.  It is a zip, and its
 * rewrite is a zip that reads back. */
Test(archive, a_zip_with_a_damaged_first_header_stays_a_zip) {
    size_t n = 0;
    char *raw =
        nd_test_read_file(nd_test_data_path("fuzz/regress/archive/zip-first-header-damaged"), &n);
    nd_archive_src src = {-1, (const uint8_t *)raw, n};
    nd_archive_reader *ar = NULL;
    nd_archive_kind kind;
    cr_assert_eq(nd_archive_open(&src, &ar), ND_OK);
    nd_archive_kind_of(ar, &kind);
    nd_archive_close(ar);
    cr_assert_eq(kind.format, ARCHIVE_FORMAT_ZIP);
    nd_archive_edit ed = {copy_all, NULL, NULL, NULL};
    nd_test_buf out = {0};
    char why[256];
    nd_status st = nd_archive_rewrite(&src, &kind, &ed, nd_test_buf_write, &out, why, sizeof why);
    if (st == ND_OK) { /* written: it must read back as an archive */
        nd_archive_src back = {-1, (const uint8_t *)out.data, out.len};
        cr_assert_eq(nd_archive_open(&back, &ar), ND_OK);
        nd_archive_kind_of(ar, &kind);
        cr_assert_eq(kind.format, ARCHIVE_FORMAT_ZIP);
        nd_archive_close(ar);
    } else {
        cr_assert_eq(st, ND_ERR_ARCHIVE);
        cr_assert_neq(why[0], '\0');
    }
    free(out.data);
    free(raw);
}

/* Regular members and their names, in archive order, of the archive in
 * src (at most 8). */
static size_t regular_members(const nd_archive_src *src, char names[8][64]) {
    nd_archive_reader *ar = NULL;
    size_t n = 0;
    cr_assert_eq(nd_archive_open(src, &ar), ND_OK);
    for (;;) {
        nd_archive_member m;
        int more = 0;
        if (nd_archive_next(ar, &m, &more) != ND_OK || !more) break;
        if (m.regular && n < 8) snprintf(names[n++], 64, "%s", m.name);
    }
    nd_archive_close(ar);
    return n;
}

/* tests/fuzz/regress/archive/tar-slash-name-typeflag-nul (fuzz_archive,
 * campaign): a pax tar whose directory entry "d/" has the old regular-file
 * typeflag '\0'.  libarchive read it as a regular file, the rewrite wrote
 * it with typeflag '0', and read back that was a directory: the member
 * count changed under clean.  A name that ends in '/' is a directory, as
 * GNU tar and Python read it: not a document, copied as it is, and the
 * rewrite has the same regular members. */
Test(archive, a_member_named_with_a_trailing_slash_is_not_a_document) {
    size_t n = 0;
    char *raw = nd_test_read_file(
        nd_test_data_path("fuzz/regress/archive/tar-slash-name-typeflag-nul"), &n);
    nd_archive_src src = {-1, (const uint8_t *)raw, n};
    char before[8][64], after[8][64];
    size_t nb = regular_members(&src, before);
    cr_assert_eq(nb, 2, "%zu regular members", nb);
    cr_assert_str_eq(before[0], "d/000_11051e509f6edff7.txt");
    cr_assert_str_eq(before[1], "d/001_67f235fca624bad1.txt");
    nd_archive_reader *ar = NULL;
    nd_archive_kind kind;
    cr_assert_eq(nd_archive_open(&src, &ar), ND_OK);
    nd_archive_kind_of(ar, &kind);
    nd_archive_close(ar);
    nd_archive_edit ed = {copy_all, NULL, NULL, NULL};
    nd_test_buf out = {0};
    char why[256];
    cr_assert_eq(nd_archive_rewrite(&src, &kind, &ed, nd_test_buf_write, &out, why, sizeof why),
                 ND_OK, "%s", why);
    nd_archive_src back = {-1, (const uint8_t *)out.data, out.len};
    cr_assert_eq(regular_members(&back, after), nb);
    for (size_t i = 0; i < nb; i++) cr_assert_str_eq(after[i], before[i]);
    free(out.data);
    free(raw);
}
