/*
 * nd_archive.h - archives as containers of documents: reading tar and zip
 * members with libarchive, and writing an archive of the same kind with
 * some members' contents replaced (private; the design is in archive.c).  Not
 * called archive.h: that is libarchive's header, which archive.c includes.
 */
#ifndef ND_ARCHIVE_H
#define ND_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* What an archive is: its container format and its compression. */
typedef struct nd_archive_kind {
    int format; /* libarchive's ARCHIVE_FORMAT_*: a tar variant (v7, ustar,
                   pax, GNU) or ARCHIVE_FORMAT_ZIP */
    int filter; /* ARCHIVE_FILTER_NONE, _GZIP, _BZIP2, _XZ or _ZSTD */
} nd_archive_kind;

/* A short name of the kind for messages: "tar", "tar.gz", "tar.bz2",
 * "tar.xz", "tar.zst", "zip" (a zip is never compressed as a whole). */
const char *nd_archive_kind_name(const nd_archive_kind *k);

/* The cheap test on a file's first bytes (len of them) that decides
 * whether libarchive is asked at all: gzip, bzip2, xz or zstd magic, a zip
 * local or end-of-directory header, or a tar header (its checksum).  A yes
 * is only a maybe: nd_archive_open decides. */
int nd_archive_magic(const uint8_t *head, size_t len);

/* Where an archive's bytes come from: an open file (fd >= 0; read with
 * pread() from offset 0, never mapped, never closed here) or memory. */
typedef struct nd_archive_src {
    int fd; /* or -1: the bytes are mem[0..len) */
    const uint8_t *mem;
    size_t len;
} nd_archive_src;

/* One entry of an archive, as nd_archive_next found it.  name is valid
 * until the next call on the reader. */
typedef struct nd_archive_member {
    const char *name; /* as stored (UTF-8 where the archive says so) */
    size_t index;     /* its place among all entries, from 0 */
    uint64_t size;    /* the declared size, when size_known */
    unsigned mode;    /* st_mode: file type and permission bits */
    int64_t mtime_ns; /* modification time (0 when not stored) */
    unsigned char size_known;
    unsigned char regular; /* a regular file with contents of its own (not a
                              hard link): the entries that can be documents */
} nd_archive_member;

typedef struct nd_archive_reader nd_archive_reader;

/* Opens src as an archive, deciding by its contents (libarchive's filter
 * and format bidders, restricted to the kinds of nd_archive_kind), and
 * reads the first entry's header, which nd_archive_next then returns.
 * ND_ERR_FORMAT: not an archive of those kinds, or one whose first header
 * cannot be read (the caller reads the file as it would any other file);
 * ND_ERR_NOMEM.  *out is NULL unless ND_OK. */
nd_status nd_archive_open(const nd_archive_src *src, nd_archive_reader **out);

/* The kind, as far as read: the tar variant is the richest one met so far
 * (pax over GNU over ustar over v7), so it is final after the last entry. */
void nd_archive_kind_of(const nd_archive_reader *ar, nd_archive_kind *out);

/* The next entry: *more 1 and *m filled, or *more 0 at the end.
 * ND_ERR_ARCHIVE when the archive is damaged (nd_archive_error says how;
 * the entries before stay valid, no entry follows), ND_ERR_NOMEM. */
nd_status nd_archive_next(nd_archive_reader *ar, nd_archive_member *m, int *more);

/* Reads up to cap bytes of the current entry's contents into buf: *got
 * bytes, 0 at its end.  ND_ERR_ARCHIVE when they cannot be read (a wrong
 * size or checksum, an encrypted member or an unsupported method, a
 * truncated stream; nd_archive_error says which): the next entry can still
 * be asked for unless nd_archive_broken. */
nd_status nd_archive_read(nd_archive_reader *ar, void *buf, size_t cap, size_t *got);

/* 1 once the archive's stream is damaged: no entry follows. */
int nd_archive_broken(const nd_archive_reader *ar);

/* libarchive's words for the last failure ("" when none), valid until the
 * next call on the reader. */
const char *nd_archive_error(const nd_archive_reader *ar);

/* Bytes of the source read so far (pread from an fd: its offset). */
uint64_t nd_archive_src_read(const nd_archive_reader *ar);

void nd_archive_close(nd_archive_reader *ar);

/* ---- Writing ------------------------------------------------------------- */

/* The archive being written (nd_archive_rewrite's). */
typedef struct nd_archive_writer nd_archive_writer;

/* What the rewrite does with entry m of the source: choose sets *replace 0
 * to copy it (header, metadata and contents) unchanged, or 1 to write its
 * header with the size *size instead; put then writes exactly *size bytes of
 * new contents through nd_archive_put. */
typedef struct nd_archive_edit {
    nd_status (*choose)(void *ctx, const nd_archive_member *m, int *replace, uint64_t *size);
    nd_status (*put)(void *ctx, const nd_archive_member *m, nd_archive_writer *w);
    void *ctx;
    /* checked between entries: a non-zero value stops with ND_ERR_CANCELLED */
    int (*cancelled)(void *ctx);
} nd_archive_edit;

/* Writes n bytes of a replaced member's contents (put's writer).  More
 * bytes in all than the size announced is ND_ERR_INTERNAL. */
nd_status nd_archive_put(nd_archive_writer *w, const void *p, size_t n);

/* Writes through fn an archive of `kind` with every entry of src, in order,
 * each copied unchanged or replaced as ed says.  Entry names, types, modes,
 * times, owners and links are those read; only the contents and sizes of
 * replaced members change.  The output is a function of src and the
 * replaced contents (no time of writing is stored).  ND_ERR_ARCHIVE when src
 * cannot be read to the end (or is not the kind given): *why then holds
 * libarchive's words (at most why_size bytes, NUL-terminated; why may be
 * NULL); ND_ERR_IO when fn fails; ed's statuses; ND_ERR_NOMEM. */
nd_status nd_archive_rewrite(const nd_archive_src *src, const nd_archive_kind *kind,
                             const nd_archive_edit *ed, nd_write_fn fn, void *user, char *why,
                             size_t why_size);

#endif /* ND_ARCHIVE_H */
