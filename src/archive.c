/*
 * archive.c - archives as containers of documents: reading the members of
 * tar and zip archives, and writing an archive of the same kind back with
 * some members' contents replaced.
 *
 * What.  A corpus often comes as .tar, .tar.gz, .tar.bz2, .tar.xz, .tar.zst
 * or .zip.  Each regular-file member of such an archive is a document of its
 * own (input.c names it ARCHIVE//MEMBER), and `clean` of an archive writes
 * an archive of the same kind: the same entries in the same order, with the
 * cleaned members' contents replaced.  This file is the only one that speaks
 * to libarchive; it knows nothing of documents, the spool or the report.
 *
 * Deciding.  By content, never by name.  nd_archive_magic is a test on the
 * first bytes the loader reads anyway: a compression magic (gzip, bzip2,
 * xz, zstd), a zip header, or a tar header (its checksum, as tar(5)
 * defines it, over a full 512-byte block); everything else never reaches
 * libarchive, so a text file pays nothing.  A yes is only a maybe: the
 * archive is opened with libarchive's filter bidders (gzip, bzip2, xz, zstd
 * and none) and format bidders (tar in all its variants, zip), and it is an
 * archive when a format is recognised and, for a tar, its first entry read
 * (a tar of no entries is only zero blocks, which compressed zeros - a gzip
 * bomb of /dev/zero - also are).  So a .gz that holds text, not a tar,
 * is no archive (no format bids) and goes on to input.c's gzip path as
 * before; compressed data inside compressed data (a .tar.gz.xz) and other
 * formats (cpio, 7z, rar, ar) are not archives here either.  A recognised
 * format whose first header is already damaged is an archive with no
 * members read, so the damage is reported as such, not as "binary".
 *
 * Reading.  The source is read with pread() in 64 KiB blocks (or from
 * memory, for the tests and the fuzzer) through libarchive's callbacks,
 * with a seek callback, so the zip reader uses the central directory (exact
 * sizes, the order of the directory) when it is there, and falls back to
 * the local headers of a zip whose end is missing; nothing is mapped (see
 * input.c, "Bytes").  nd_archive_next walks the entries in archive order;
 * entries that are not regular files with contents of their own
 * (directories, symbolic and hard links, devices) are returned too, with
 * `regular` 0, so that indexes count every entry and the writer can
 * re-create all of them.  Damage (a truncated or corrupt stream, a bad
 * header) is ND_ERR_ARCHIVE with libarchive's own words; what was read
 * before stays valid.  A member whose contents cannot be read (a wrong size
 * or checksum, an encrypted member, an unsupported method) is
 * ND_ERR_ARCHIVE too, but the entries after it can still be read unless
 * libarchive says the stream itself is broken (nd_archive_broken).  A warning of libarchive's (an
 * unknown pax keyword, a name it could not convert) is not damage.
 *
 * Names.  The member's name as stored: the raw bytes of a tar header, or the
 * UTF-8 name of a zip entry that says it is UTF-8 (archive_entry's
 * pathname_utf8 first, then the raw pathname; the library runs in the C
 * locale, where libarchive converts nothing else).  A leading "./" is kept:
 * the name is what `tar -t` lists.
 *
 * Writing (nd_archive_rewrite).  The source is read again, from its first
 * byte, and every entry is written to the new archive in the same order
 * with the header libarchive read - name, type, mode, owner, times, link
 * target, pax attributes - and either its own contents, copied through, or
 * (for a member the caller replaces) new contents of a size announced in
 * the header.  The format is the one read: GNU tar stays GNU tar, ustar
 * ustar, pax pax (restricted pax, as bsdtar writes it, when only some
 * entries carried pax headers), v7 v7, zip zip; the compression filter is
 * the one read, at libarchive's default level, and the gzip header carries
 * no time, so the same input gives the same bytes.  What is not kept:
 * compression levels and a zip member's method (members are deflated), and
 * extra fields libarchive does not read; members are byte-for-byte the same
 * content, not the same compressed bytes.  The writer reads the source
 * through the same bidders, so an archive that changed kind in between is
 * refused (ND_ERR_ARCHIVE).
 *
 * Not expanded: an archive inside an archive (a member .tar.gz is one
 * member, binary to input.c), and compressed members of a zip that
 * libarchive cannot read (encrypted, or an unsupported method) are damage
 * to the reader.
 *
 * Reference: libarchive(3), archive_read(3), archive_write(3), tar(5).
 */
#include "nd_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nd_internal.h"

#define ND_ARCHIVE_BLOCK ((size_t)64 << 10)

/* Ranks of the tar variants: the writer takes the richest one read. */
enum { TAR_NONE = 0, TAR_V7, TAR_USTAR, TAR_GNU, TAR_PAX };

struct nd_archive_reader {
    struct archive *a;
    struct archive_entry *e; /* the current entry (libarchive's) */
    nd_archive_src src;
    uint64_t size; /* of the source */
    uint64_t off;  /* next byte of the source to read */
    uint64_t read; /* bytes of the source read */
    uint8_t *buf;  /* ND_ARCHIVE_BLOCK bytes for an fd source */
    size_t index;  /* entries returned so far */
    int pending;   /* nd_archive_open read the first header */
    int failed;    /* damage met: no entry follows */
    int ended;     /* the end was read */
    int filter;
    int tar_rank;       /* the richest tar variant read */
    size_t pax, nonpax; /* tar entries read with and without pax headers */
    int is_zip;
    char err[256];
};

const char *nd_archive_kind_name(const nd_archive_kind *k) {
    if (k->format == ARCHIVE_FORMAT_ZIP) return "zip";
    switch (k->filter) {
    case ARCHIVE_FILTER_GZIP: return "tar.gz";
    case ARCHIVE_FILTER_BZIP2: return "tar.bz2";
    case ARCHIVE_FILTER_XZ: return "tar.xz";
    case ARCHIVE_FILTER_ZSTD: return "tar.zst";
    default: return "tar";
    }
}

/* The octal number of a tar header field (spaces and NULs around it), or
 * -1 when it holds anything else. */
static long tar_octal(const uint8_t *p, size_t n) {
    size_t i = 0;
    long v = 0;
    int digits = 0;
    while (i < n && p[i] == ' ') i++;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++, digits++) {
        if (v > (1L << 30)) return -1;
        v = v * 8 + (p[i] - '0');
    }
    for (; i < n; i++)
        if (p[i] != ' ' && p[i] != '\0') return -1;
    return digits ? v : -1;
}

/* A tar header block: its stored checksum equals the sum of its bytes with
 * the checksum field (148..155) counted as spaces (tar(5); old tars summed
 * signed chars, so both sums are accepted). */
static int tar_header(const uint8_t *h) {
    long want = tar_octal(h + 148, 8), sum = 0, ssum = 0;
    if (want < 0) return 0;
    for (size_t i = 0; i < 512; i++) {
        int c = i >= 148 && i < 156 ? ' ' : h[i];
        sum += c;
        ssum += (signed char)c;
    }
    return (want == sum || want == ssum) && sum != 8 * ' ';
}

int nd_archive_magic(const uint8_t *head, size_t len) {
    static const uint8_t xz[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
    static const uint8_t zstd[4] = {0x28, 0xb5, 0x2f, 0xfd};
    if (len >= 2 && head[0] == 0x1f && head[1] == 0x8b) return 1; /* gzip */
    if (len >= 4 && memcmp(head, "BZh", 3) == 0 && head[3] >= '1' && head[3] <= '9') return 1;
    if (len >= 6 && memcmp(head, xz, 6) == 0) return 1;
    if (len >= 4 && memcmp(head, zstd, 4) == 0) return 1;
    if (len >= 4 && head[0] == 'P' && head[1] == 'K' &&
        ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6) ||
         (head[2] == 7 && head[3] == 8)))
        return 1; /* zip: a local header, an empty archive, a spanned one */
    return len >= 512 && tar_header(head);
}

/* ---- libarchive's callbacks ----------------------------------------------- */

static la_ssize_t src_read(struct archive *a, void *client, const void **buff) {
    nd_archive_reader *r = client;
    ND_UNUSED(a);
    if (r->off >= r->size) {
        *buff = NULL;
        return 0;
    }
    size_t want = (size_t)ND_MIN((uint64_t)ND_ARCHIVE_BLOCK, r->size - r->off);
    if (r->src.fd < 0) {
        *buff = r->src.mem + r->off;
    } else {
        ssize_t got;
        do got = pread(r->src.fd, r->buf, want, (off_t)r->off);
        while (got < 0 && errno == EINTR);
        if (got < 0) {
            archive_set_error(a, errno, "read error");
            return -1;
        }
        want = (size_t)got; /* 0: the file ended early (it shrank) */
        *buff = r->buf;
    }
    r->off += want;
    r->read += want;
    return (la_ssize_t)want;
}

static la_int64_t src_skip(struct archive *a, void *client, la_int64_t request) {
    nd_archive_reader *r = client;
    ND_UNUSED(a);
    if (request <= 0) return 0;
    uint64_t n = ND_MIN((uint64_t)request, r->size - ND_MIN(r->off, r->size));
    r->off += n;
    return (la_int64_t)n;
}

static la_int64_t src_seek(struct archive *a, void *client, la_int64_t offset, int whence) {
    nd_archive_reader *r = client;
    int64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? (int64_t)r->off : (int64_t)r->size;
    ND_UNUSED(a);
    if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0) return ARCHIVE_FATAL;
    r->off = (uint64_t)(base + offset);
    return (la_int64_t)r->off;
}

/* ---- Reading --------------------------------------------------------------- */

static void keep_error(nd_archive_reader *r, const char *fallback) {
    const char *s = archive_error_string(r->a);
    snprintf(r->err, sizeof r->err, "%s", s && *s ? s : fallback);
}

/* Only the filters and formats of nd_archive_kind; a filter that would run
 * an external program (ARCHIVE_WARN) is not wanted either. */
static int support(struct archive *a) {
    return archive_read_support_filter_gzip(a) == ARCHIVE_OK &&
           archive_read_support_filter_bzip2(a) == ARCHIVE_OK &&
           archive_read_support_filter_xz(a) == ARCHIVE_OK &&
           archive_read_support_filter_zstd(a) == ARCHIVE_OK &&
           archive_read_support_format_tar(a) == ARCHIVE_OK &&
           archive_read_support_format_zip(a) == ARCHIVE_OK;
}

static int tar_rank(int format) {
    switch (format) {
    case ARCHIVE_FORMAT_TAR: return TAR_V7;
    case ARCHIVE_FORMAT_TAR_USTAR: return TAR_USTAR;
    case ARCHIVE_FORMAT_TAR_GNUTAR: return TAR_GNU;
    case ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE:
    case ARCHIVE_FORMAT_TAR_PAX_RESTRICTED: return TAR_PAX;
    default: return TAR_NONE;
    }
}

/* Reads the next header into r->e: 1 an entry, 0 the end, -1 damage. */
static int read_header(nd_archive_reader *r) {
    int rc = archive_read_next_header(r->a, &r->e);
    if (rc == ARCHIVE_EOF) return 0;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
        keep_error(r, "unreadable header");
        r->e = NULL;
        return -1;
    }
    int format = archive_format(r->a);
    if ((format & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP) {
        r->is_zip = 1;
    } else {
        int rank = tar_rank(format);
        if (rank > r->tar_rank) r->tar_rank = rank;
        if (rank == TAR_PAX)
            r->pax++;
        else
            r->nonpax++;
    }
    return 1;
}

nd_status nd_archive_open(const nd_archive_src *src, nd_archive_reader **out) {
    nd_status st = ND_OK;
    nd_archive_reader *r = NULL;
    *out = NULL;
    if (!src || (src->fd < 0 && !src->mem && src->len)) return ND_ERR_INVALID;
    if (!(r = calloc(1, sizeof *r))) return ND_ERR_NOMEM;
    r->src = *src;
    if (src->fd >= 0) {
        struct stat sb;
        if (fstat(src->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            st = ND_ERR_FORMAT;
            goto out;
        }
        r->size = (uint64_t)sb.st_size;
        if (!(r->buf = malloc(ND_ARCHIVE_BLOCK))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
    } else {
        r->size = src->len;
    }
    if (!(r->a = archive_read_new())) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    if (!support(r->a) || archive_read_set_read_callback(r->a, src_read) != ARCHIVE_OK ||
        archive_read_set_skip_callback(r->a, src_skip) != ARCHIVE_OK ||
        archive_read_set_seek_callback(r->a, src_seek) != ARCHIVE_OK ||
        archive_read_set_callback_data(r->a, r) != ARCHIVE_OK) {
        st = ND_ERR_INTERNAL;
        goto out;
    }
    if (archive_read_open1(r->a) != ARCHIVE_OK) {
        st = ND_ERR_FORMAT; /* no filter: e.g. corrupt compressed data */
        goto out;
    }
    /* one filter at most (a .tar.gz.xz is not read) */
    int nfilters = archive_filter_count(r->a);
    r->filter = archive_filter_code(r->a, 0);
    if (nfilters > 2 || (nfilters == 2 && r->filter == ARCHIVE_FILTER_NONE)) {
        st = ND_ERR_FORMAT;
        goto out;
    }
    int got = read_header(r);
    if (got < 0 && archive_format(r->a) == 0) {
        st = ND_ERR_FORMAT; /* no format recognised: not an archive */
        goto out;
    }
    /* a zip whose first header is damaged is still a zip (read_header only
     * learns the format from a header it could read): rewritten, it stays
     * a zip instead of becoming an empty tar */
    if ((archive_format(r->a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_ZIP) r->is_zip = 1;
    if (got < 0) r->failed = 1;
    if (got == 0) r->ended = 1;
    r->pending = got > 0 ? 1 : 0;
    /* a tar without entries is only zero blocks - as is compressed nothing
     * (gzip of /dev/zero): no archive; an empty zip is one */
    if (got == 0 && (archive_format(r->a) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_ZIP) {
        st = ND_ERR_FORMAT;
        goto out;
    }
    *out = r;
    r = NULL;
out:
    nd_archive_close(r);
    return st;
}

void nd_archive_kind_of(const nd_archive_reader *r, nd_archive_kind *out) {
    static const int tar_formats[] = {ARCHIVE_FORMAT_TAR, ARCHIVE_FORMAT_TAR,
                                      ARCHIVE_FORMAT_TAR_USTAR, ARCHIVE_FORMAT_TAR_GNUTAR,
                                      ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE};
    out->filter = r->filter;
    if (r->is_zip) {
        out->format = ARCHIVE_FORMAT_ZIP;
    } else {
        out->format = tar_formats[r->tar_rank];
        if (r->tar_rank == TAR_PAX && r->nonpax) out->format = ARCHIVE_FORMAT_TAR_PAX_RESTRICTED;
    }
}

nd_status nd_archive_next(nd_archive_reader *r, nd_archive_member *m, int *more) {
    *more = 0;
    if (r->failed) return ND_ERR_ARCHIVE;
    if (r->ended) return ND_OK;
    if (!r->pending) {
        int got = read_header(r);
        if (got < 0) {
            r->failed = 1;
            return ND_ERR_ARCHIVE;
        }
        if (got == 0) {
            r->ended = 1;
            return ND_OK;
        }
    }
    r->pending = 0;
    struct archive_entry *e = r->e;
    const char *name = archive_entry_pathname_utf8(e);
    if (!name) name = archive_entry_pathname(e);
    memset(m, 0, sizeof *m);
    m->name = name ? name : "";
    m->index = r->index++;
    m->mode = (unsigned)archive_entry_mode(e);
    m->size_known = archive_entry_size_is_set(e) != 0 && archive_entry_size(e) >= 0;
    m->size = m->size_known ? (uint64_t)archive_entry_size(e) : 0;
    if (archive_entry_mtime_is_set(e))
        m->mtime_ns = (int64_t)archive_entry_mtime(e) * 1000000000 + archive_entry_mtime_nsec(e);
    /* a name that ends in '/' is a directory whatever its type says (old
     * tar's regular typeflag '\0' with a trailing slash, which libarchive
     * reads as a file and writes back as one that then reads as a
     * directory): GNU tar and Python read it so, and clean copies it */
    size_t nl = strlen(m->name);
    m->regular = archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e) &&
                 !(nl && m->name[nl - 1] == '/');
    *more = 1;
    return ND_OK;
}

nd_status nd_archive_read(nd_archive_reader *r, void *buf, size_t cap, size_t *got) {
    *got = 0;
    if (r->failed || !r->e) return ND_ERR_ARCHIVE;
    la_ssize_t n = archive_read_data(r->a, buf, cap);
    if (n < 0) {
        /* a member that cannot be read (a bad size or checksum, an
         * unsupported method): ARCHIVE_WARN or ARCHIVE_FAILED, and the next
         * entry may still be read; ARCHIVE_FATAL: nothing more can */
        keep_error(r, "unreadable member");
        r->failed = n == ARCHIVE_FATAL;
        return ND_ERR_ARCHIVE;
    }
    *got = (size_t)n;
    return ND_OK;
}

const char *nd_archive_error(const nd_archive_reader *r) { return r ? r->err : ""; }

int nd_archive_broken(const nd_archive_reader *r) { return r ? r->failed : 1; }

uint64_t nd_archive_src_read(const nd_archive_reader *r) { return r ? r->read : 0; }

void nd_archive_close(nd_archive_reader *r) {
    if (!r) return;
    if (r->a) archive_read_free(r->a);
    free(r->buf);
    free(r);
}

/* ---- Writing --------------------------------------------------------------- */

struct nd_archive_writer {
    struct archive *w;
    nd_write_fn fn;
    void *user;
    int io_failed; /* fn failed: ND_ERR_IO, not libarchive's words */
    int discard;   /* after a failure: bytes are dropped, not written */
    uint64_t left; /* bytes of the replaced member still to come */
};

static la_ssize_t out_write(struct archive *a, void *client, const void *buf, size_t n) {
    nd_archive_writer *w = client;
    if (w->discard) return (la_ssize_t)n;
    if (w->fn(w->user, buf, n) != 0) {
        w->io_failed = 1;
        archive_set_error(a, EIO, "write error");
        return -1;
    }
    return (la_ssize_t)n;
}

/* The format and filter of kind on w; 0 if libarchive cannot write them. */
static int set_kind(struct archive *w, const nd_archive_kind *k) {
    int rc;
    switch (k->format) {
    case ARCHIVE_FORMAT_ZIP: rc = archive_write_set_format_zip(w); break;
    case ARCHIVE_FORMAT_TAR: rc = archive_write_set_format_v7tar(w); break;
    case ARCHIVE_FORMAT_TAR_USTAR: rc = archive_write_set_format_ustar(w); break;
    case ARCHIVE_FORMAT_TAR_GNUTAR: rc = archive_write_set_format_gnutar(w); break;
    case ARCHIVE_FORMAT_TAR_PAX_INTERCHANGE: rc = archive_write_set_format_pax(w); break;
    case ARCHIVE_FORMAT_TAR_PAX_RESTRICTED: rc = archive_write_set_format_pax_restricted(w); break;
    default: return 0;
    }
    if (rc != ARCHIVE_OK) return 0;
    switch (k->filter) {
    case ARCHIVE_FILTER_NONE: rc = ARCHIVE_OK; break;
    case ARCHIVE_FILTER_GZIP:
        rc = archive_write_add_filter_gzip(w);
        /* no time in the gzip header: the same input gives the same bytes */
        if (rc == ARCHIVE_OK) rc = archive_write_set_filter_option(w, "gzip", "timestamp", NULL);
        break;
    case ARCHIVE_FILTER_BZIP2: rc = archive_write_add_filter_bzip2(w); break;
    case ARCHIVE_FILTER_XZ: rc = archive_write_add_filter_xz(w); break;
    case ARCHIVE_FILTER_ZSTD: rc = archive_write_add_filter_zstd(w); break;
    default: return 0;
    }
    if (rc != ARCHIVE_OK) return 0;
    /* a tar is padded to whole 10 KiB records, as tar(1) writes it; a
     * compressed stream or a zip is not padded */
    if (k->filter != ARCHIVE_FILTER_NONE || k->format == ARCHIVE_FORMAT_ZIP)
        rc = archive_write_set_bytes_in_last_block(w, 1);
    return rc == ARCHIVE_OK;
}

nd_status nd_archive_put(nd_archive_writer *w, const void *p, size_t n) {
    const uint8_t *b = p;
    if (n > w->left) return ND_ERR_INTERNAL;
    while (n) {
        la_ssize_t k = archive_write_data(w->w, b, n);
        if (k <= 0) return w->io_failed ? ND_ERR_IO : ND_ERR_ARCHIVE;
        b += k;
        n -= (size_t)k;
        w->left -= (uint64_t)k;
    }
    return ND_OK;
}

/* Copies the current entry's contents from r to w. */
static nd_status copy_data(nd_archive_reader *r, nd_archive_writer *w, uint8_t *buf) {
    for (;;) {
        size_t got = 0;
        ND_TRY(nd_archive_read(r, buf, ND_ARCHIVE_BLOCK, &got));
        if (got == 0) return ND_OK;
        w->left = got;
        ND_TRY(nd_archive_put(w, buf, got));
    }
}

static void set_why(char *why, size_t why_size, const char *s) {
    if (why && why_size) snprintf(why, why_size, "%s", s && *s ? s : "write error");
}

nd_status nd_archive_rewrite(const nd_archive_src *src, const nd_archive_kind *kind,
                             const nd_archive_edit *ed, nd_write_fn fn, void *user, char *why,
                             size_t why_size) {
    nd_status st = ND_OK;
    nd_archive_reader *r = NULL;
    nd_archive_writer w = {NULL, fn, user, 0, 0, 0};
    uint8_t *buf = NULL;
    int opened = 0;
    if (why && why_size) why[0] = '\0';
    if (!src || !kind || !ed || !ed->choose || !fn) return ND_ERR_INVALID;
    st = nd_archive_open(src, &r);
    if (st == ND_ERR_FORMAT) {
        set_why(why, why_size, "not an archive any more");
        return ND_ERR_ARCHIVE;
    }
    ND_TRY(st);
    if (r->filter != kind->filter || (kind->format == ARCHIVE_FORMAT_ZIP) != (r->is_zip != 0)) {
        set_why(why, why_size, "not the same kind of archive any more");
        st = ND_ERR_ARCHIVE;
        goto out;
    }
    if (!(buf = malloc(ND_ARCHIVE_BLOCK)) || !(w.w = archive_write_new())) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    if (!set_kind(w.w, kind)) {
        set_why(why, why_size, archive_error_string(w.w));
        st = ND_ERR_ARCHIVE;
        goto out;
    }
    if (archive_write_open2(w.w, &w, NULL, out_write, NULL, NULL) != ARCHIVE_OK) {
        st = w.io_failed ? ND_ERR_IO : ND_ERR_ARCHIVE;
        set_why(why, why_size, archive_error_string(w.w));
        goto out;
    }
    opened = 1;
    for (;;) {
        nd_archive_member m;
        int more = 0, replace = 0;
        uint64_t size = 0;
        if (ed->cancelled && ed->cancelled(ed->ctx)) {
            st = ND_ERR_CANCELLED;
            goto out;
        }
        st = nd_archive_next(r, &m, &more);
        if (st == ND_ERR_ARCHIVE) set_why(why, why_size, nd_archive_error(r));
        if (st != ND_OK || !more) break;
        /* libarchive 3.6's zip writer dereferences a missing name (found by
         * fuzz_archive): such an archive is not written again */
        if (!archive_entry_pathname(r->e) && !archive_entry_pathname_utf8(r->e) &&
            !archive_entry_pathname_w(r->e)) {
            set_why(why, why_size, "an entry without a name");
            st = ND_ERR_ARCHIVE;
            goto out;
        }
        ND_CHECK(ed->choose(ed->ctx, &m, &replace, &size));
        if (replace) archive_entry_set_size(r->e, (la_int64_t)size);
        int rc = archive_write_header(w.w, r->e);
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            st = w.io_failed ? ND_ERR_IO : ND_ERR_ARCHIVE;
            set_why(why, why_size, archive_error_string(w.w));
            goto out;
        }
        if (replace) {
            w.left = size;
            st = ed->put ? ed->put(ed->ctx, &m, &w) : ND_ERR_INVALID;
            if (st == ND_OK && w.left != 0) st = ND_ERR_INTERNAL; /* fewer than announced */
        } else {
            st = copy_data(r, &w, buf);
            if (st == ND_ERR_ARCHIVE) /* the source's words, else the writer's */
                set_why(why, why_size,
                        nd_archive_error(r)[0] ? nd_archive_error(r) : archive_error_string(w.w));
        }
        if (st != ND_OK) goto out;
        if (archive_write_finish_entry(w.w) != ARCHIVE_OK) {
            st = w.io_failed ? ND_ERR_IO : ND_ERR_ARCHIVE;
            set_why(why, why_size, archive_error_string(w.w));
            goto out;
        }
    }
    if (st == ND_OK) {
        opened = 0;
        if (archive_write_close(w.w) != ARCHIVE_OK) {
            st = w.io_failed ? ND_ERR_IO : ND_ERR_ARCHIVE;
            set_why(why, why_size, archive_error_string(w.w));
        }
    }
out:
    if (w.w) {
        /* closed, not archive_write_fail'ed: libarchive 3.6 frees its
         * output block only when closing; what it still writes is dropped */
        w.discard = 1;
        if (opened) (void)archive_write_close(w.w);
        archive_write_free(w.w);
    }
    if (st == ND_ERR_IO) set_why(why, why_size, "write error");
    free(buf);
    nd_archive_close(r);
    return st;
}
