/*
 * input.h - the documents box: walking paths and reading bytes (private).
 */
#ifndef ND_INPUT_H
#define ND_INPUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "nd_archive.h"
#include "neardup.h"

/* One document: its name, where its bytes are, and what the loader saw of
 * its file.  A document read from a regular file keeps no bytes (data is
 * NULL): they are read again from the file when needed (nd_reader), and
 * checked against what was seen when it was loaded (see input.c, "Bytes"). */
typedef struct nd_doc {
    char *path;          /* owned, as given or as found by the walk */
    const uint8_t *data; /* owned bytes (gzip data inflated, standard input,
                            a buffer), or NULL: the bytes are in the file */
    size_t size;
    uint8_t *heap;         /* malloc'ed bytes to free, or NULL */
    uint64_t dev, ino;     /* identity of the file (fstat at load) */
    int64_t mtime_ns;      /* its modification time then */
    int kfd;               /* kept open descriptor + 1, or 0 (reopen by path) */
    uint64_t spool_off;    /* spooled: where its bytes are in the doctab's spool */
    unsigned char spooled; /* 1: inflated gzip data or standard input, moved
                              from the heap into the doctab's spool */
    unsigned char gzip;    /* 1 if the input was gzip data */
    unsigned char split;   /* nd_split_mode used, set by the splitter */
    unsigned char query;   /* 1: a query document (nd_scanner_add_query_path) */
    /* Decoded documents (decode.c): data/heap/spool_off/size above are the
     * decoded UTF-8 text every stage reads; the original bytes (which
     * reports and clean speak of) are kept beside it, in the spool right
     * after the text (orig_spool_off) or on the heap (orig_heap), and map
     * translates offsets.  map.n == 0: not decoded (text is the original). */
    nd_decmap map;
    nd_escmap esc;           /* instead of map, for JSON text whose only
                                escapes are one-byte-more ones (jsonl.c) */
    uint8_t *orig_heap;      /* the original bytes when not spooled, or NULL */
    uint64_t orig_spool_off; /* spooled: where the original bytes are */
    char enc[ND_ENC_NAME];   /* the encoding read ("" = utf-8) */
    /* A part of a container file (a JSONL record, jsonl.c; an archive
     * member): its text is in the spool (or on the heap), map turns text
     * offsets into offsets of the container's (inflated) bytes, and
     * the fields below say where in those bytes the part lies.  cont 0:
     * a document of its own. */
    uint32_t cont;               /* its container's index in nd_doctab.conts + 1, or 0 */
    uint64_t part_no;            /* JSONL: the 1-based line; archives: the member's
                          entry index (every entry counts, from 0) */
    uint64_t part_off, part_len; /* the part's bytes in the container's
                                    stream (JSONL: the line, without its
                                    terminator; archives: 0 and the
                                    member's size) */
    uint64_t src_off, src_len;   /* the bytes its text was decoded from
                                    (JSONL: the field's JSON string, quotes
                                    included), inside the part (archives:
                                    the whole member) */
} nd_doc;

/* Kinds of container (nd_container.kind). */
enum { ND_CONT_JSONL = 1, ND_CONT_ARCHIVE = 2 };

/* A file read as several documents (see input.c, "Containers"): what was
 * loaded, for the checks when it is read again (clean), and which
 * documents it became. */
typedef struct nd_container {
    char *path;        /* owned: the file as given or found by the walk */
    uint64_t dev, ino; /* its identity at load (fstat) */
    int64_t mtime_ns;
    uint64_t size;           /* its size on disk */
    unsigned char kind;      /* ND_CONT_* */
    unsigned char gzip;      /* its bytes were gzip data (offsets are of the
                            inflated stream) */
    size_t first, n;         /* its documents: ids first .. first + n - 1, in
                            the order of their parts */
    nd_archive_kind archive; /* ND_CONT_ARCHIVE: its format and filter */
    unsigned char damaged;   /* ND_CONT_ARCHIVE: damage was met when it was
                                read (the members before it are documents) */
} nd_container;

/* The original offset of decoded offset `dec` of d, and d's original size
 * (the same numbers for a document that was not decoded).  For a part of
 * a container, offsets are of the container's bytes and the size is that
 * of the bytes the text was decoded from (the map's span). */
static inline uint64_t nd_doc_orig_off(const nd_doc *d, uint64_t dec) {
    if (d->esc.on) return nd_escmap_orig(&d->esc, dec);
    return d->map.n ? nd_decmap_orig(&d->map, dec) : dec;
}
static inline uint64_t nd_doc_orig_size(const nd_doc *d) {
    if (d->esc.on) return d->esc.len + d->esc.n;
    return d->map.n ? nd_decmap_orig_size(&d->map) - d->map.seg[0].orig : (uint64_t)d->size;
}
/* The original offset of d's decoded offset 0 (0 but for a part of a
 * container): with nd_doc_orig_size, the span of original bytes d's text
 * was decoded from. */
static inline uint64_t nd_doc_orig_base(const nd_doc *d) {
    if (d->esc.on) return d->esc.base;
    return d->map.n ? d->map.seg[0].orig : 0;
}
static inline const char *nd_doc_encoding(const nd_doc *d) { return d->enc[0] ? d->enc : "utf-8"; }

/* The identity of a file already added (and the document it became), so
 * the same file reached twice is read once. */
typedef struct nd_file_id {
    uint64_t dev, ino;
    size_t doc; /* its document id (seen set only) */
} nd_file_id;

/* Values of nd_doctab.changed[i]. */
enum { ND_DOC_SAME = 0, ND_DOC_CHANGED = 1, ND_DOC_REPORTED = 2 };

typedef struct nd_doctab {
    nd_doc *docs; /* in input order; the document id is the index */
    size_t n, cap;
    atomic_uchar *changed; /* per document: ND_DOC_*; set by any thread */
    size_t changed_cap;
    nd_container *conts; /* files read as several documents, in input order */
    size_t nconts, conts_cap;
    nd_file_id *seen; /* identities of added files (hash set, see input.c) */
    int stdin_seen;   /* "-" was added */
    size_t nseen, seen_cap;
    atomic_size_t nfds;              /* descriptors offered to loaders; the first
                           nd_input_fd_budget() of them are kept open */
    atomic_int spool_fd1;            /* the spool (an unlinked temporary file) + 1, or 0;
                              created by the first loader that needs it */
    atomic_uint_fast64_t spool_size; /* bytes reserved in it */
    atomic_int spool_failed;         /* it could not be created: owned bytes stay
                                on the heap */
    /* read-only mappings of the spool's first bytes, newest first, made by
     * readers when they first need them (input.c, spool_view) and unmapped
     * with the doctab */
    _Atomic(struct nd_spool_view *) spool_views;
} nd_doctab;

/* Skipped inputs as reported (report(): path, status, errno, detail), kept
 * for the report's "skipped" records (nd_report_skipped).  A record that
 * could not be kept sets nomem. */
typedef struct nd_skip {
    char *path, *detail; /* owned; detail may be NULL */
    nd_status status;
    int sys_errno;
} nd_skip;
typedef struct nd_skiplist {
    nd_skip *v;
    size_t n, cap;
    int nomem;
} nd_skiplist;
void nd_skiplist_release(nd_skiplist *l);
/* Appends a copy of (path, st, err, detail); sets l->nomem when it cannot. */
void nd_skiplist_add(nd_skiplist *l, const char *path, nd_status st, int err, const char *detail);

/* What the reader needs to know and where it reports skipped inputs. */
typedef struct nd_input_cfg {
    uint64_t max_file_size;
    const char *encoding; /* nd_options.encoding: NULL, "" or "auto" detect;
                             "utf-8" reads every file as it is */
    const char *tmpdir;   /* where the spool goes; NULL: $TMPDIR or /tmp */
    nd_diag_fn diag;
    void *user;
    size_t skipped;             /* incremented for every reported input */
    nd_skiplist *skips;         /* NULL, or where each is also recorded */
    unsigned threads;           /* load the files of a walk on this many threads (0, 1: here) */
    const char *const *include; /* walk patterns (nd_scanner_add_walk_rule) */
    const char *const *exclude;
    size_t ninclude, nexclude;
    int hidden;              /* walks take dot entries */
    const char *jsonl_field; /* nd_options.jsonl_field: "" or NULL = off */
    const char *id_field;    /* nd_options.id_field: "" or NULL = FILE:LINE */
} nd_input_cfg;

/* ---- Containers: one file, several documents ----------------------------
 *
 * A container reader (jsonl.c; archive.c) gets a loaded file's bytes and
 * hands back its documents, in order, through an nd_parts: nd_parts_add for
 * each document (the reader makes its name, text and offset map; the text
 * goes to the private spool here), nd_parts_problem for each part that is
 * skipped (reported at commit, in order, counted as skipped).  The loader
 * commits the parts in walk order, like single documents, so ids never
 * depend on the thread count. */
typedef struct nd_part_problem {
    char *name;       /* owned: the part's name ("FILE:LINE") */
    uint64_t part_no; /* the part's number (JSONL: its line), or 0 */
    nd_status st;
    unsigned char notice; /* a notice (nd_parts_note), not a skipped part */
    char *detail;         /* owned, or NULL */
    size_t before;        /* reported before part `before` is added */
} nd_part_problem;

typedef struct nd_parts {
    const nd_input_cfg *cfg;
    nd_doctab *dt; /* the spool's owner */
    nd_doc *docs;  /* the documents, in order (ids assigned at commit) */
    size_t n, cap;
    nd_part_problem *probs;
    size_t nprobs, probs_cap;
    uint8_t *pend; /* texts of docs[pfirst ..] not yet spooled (each at
                          its doc's spool_off in pend) */
    size_t plen, pcap, pfirst;
    /* or, after nd_parts_add_borrowed, the texts where their owner keeps
     * them: lent[i] is docs[pfirst + i]'s, given back (release(owner))
     * once spooled or copied; pend is then unused */
    struct nd_lent_text *lent;
    size_t nlent, lent_cap;
} nd_parts;

/* Takes doc (its path, heap text and map; data must be doc->heap or NULL)
 * as the next part: its text goes to the spool (kept on the heap if no
 * spool can be written).  *doc is zeroed either way; on ND_ERR_NOMEM it is
 * released.  Any thread (one nd_parts per thread). */
nd_status nd_parts_add(nd_parts *ps, nd_doc *doc);

/* As nd_parts_add, with the text given apart: text[0..doc->size-1] is
 * copied into the spool batch (doc->heap must be NULL). */
nd_status nd_parts_add_text(nd_parts *ps, nd_doc *doc, const uint8_t *text);

/* As nd_parts_add_text, without the copy into the batch: text stays where
 * it is until the batch is written to the spool (one pwritev() of the
 * batch's texts) or, without a spool, copied to the heap; then
 * release(owner) is called (also when this fails, and by
 * nd_parts_release). */
nd_status nd_parts_add_borrowed(nd_parts *ps, nd_doc *doc, const uint8_t *text,
                                void (*release)(void *), void *owner);

/* Records that part `name` is skipped for status st (detail may be NULL):
 * reported at commit, before the next part added.  name may be NULL when
 * the reader names the problem (probs[].name) before the parts are
 * committed. */
nd_status nd_parts_problem(nd_parts *ps, const char *name, nd_status st, const char *detail);

/* A notice about part `name` (st ND_OK or ND_ERR_ENCODING; not counted as
 * skipped), given at commit before the next part added. */
nd_status nd_parts_note(nd_parts *ps, const char *name, nd_status st, const char *detail);

/* Takes doc as the next part when its text is already where it stays: in
 * the spool (doc->spooled; a decoded one with its original bytes after it,
 * as input.c's spool_doc puts them) or, without a spool, on the heap.  *doc
 * is zeroed either way (released on ND_ERR_NOMEM). */
nd_status nd_parts_add_spooled(nd_parts *ps, nd_doc *doc);

/* Spools the texts still gathered (nd_parts_add writes them in batches);
 * the loader calls it when the reader is done.  Only ND_ERR_NOMEM fails. */
nd_status nd_parts_finish(nd_parts *ps);

/* Moves every part and problem of `from` (both finished first) to the end
 * of ps, in order; `from` is left empty.  ND_ERR_NOMEM. */
nd_status nd_parts_append(nd_parts *ps, nd_parts *from);

void nd_parts_release(nd_parts *ps);

/* The kind of container path is read as under cfg (ND_CONT_JSONL for a
 * name ending in ".jsonl" or ".jsonl.gz" when cfg->jsonl_field is set), or
 * 0: one document. */
int nd_input_container_kind(const nd_input_cfg *cfg, const char *path);

/* Reads container c's bytes again, whole (inflated when c->gzip), into a
 * new malloc'ed buffer, checking that the file is the one loaded (device,
 * inode, size, modification time before and after): ND_ERR_CHANGED
 * otherwise; ND_ERR_NOMEM; ND_ERR_GZIP. */
nd_status nd_container_read(const nd_container *c, uint64_t limit, uint8_t **out, size_t *len);

/* Adds a file, a directory (recursively, sorted, hidden entries skipped
 * unless cfg->hidden, filtered by cfg's include and exclude patterns) or
 * "-" (standard input).  A file already added is not added again: a
 * notice (status ND_OK, not counted as skipped) names the first path.  Problems with single inputs go to cfg->diag; only
 * ND_ERR_NOMEM is returned as an error. */
nd_status nd_input_add_path(nd_doctab *dt, nd_input_cfg *cfg, const char *path);

/* Takes *doc (path, heap bytes, map: all owned) as the next document; *doc
 * is zeroed either way (released on ND_ERR_NOMEM).  The index's report
 * (index_scan.c) makes its documents so. */
nd_status nd_doctab_push_doc(nd_doctab *dt, nd_doc *doc);

/* Adds a copy of data[0..len-1] under `name`. */
nd_status nd_input_add_buffer(nd_doctab *dt, const char *name, const void *data, size_t len);

/* Inflates gzip data (one or more members) into a new malloc'ed buffer of at
 * most `limit` bytes.  ND_ERR_GZIP for corrupt or truncated data,
 * ND_ERR_TOO_LARGE past the limit. */
nd_status nd_gunzip(const uint8_t *src, size_t len, uint64_t limit, uint8_t **out, size_t *out_len);

/* Releases every document; *dt may be reused after nd_doctab_release. */
void nd_doctab_release(nd_doctab *dt);

/* Records that document `doc` was found changed (any thread; lock-free; the
 * flags are atomic, so a const table may be marked).  Returns 1 if it had
 * not been recorded before. */
int nd_doctab_mark_changed(const nd_doctab *dt, size_t doc);

/* Marks document `doc` as changed and reported; returns 1 if it had not been
 * reported before (the caller then reports it), 0 otherwise.  Any thread. */
int nd_doctab_take_changed(const nd_doctab *dt, size_t doc);

/* Reports, in document order, each document recorded as changed and not yet
 * reported, as ND_ERR_CHANGED through cfg (counted in cfg->skipped). */
void nd_doctab_report_changed(nd_doctab *dt, nd_input_cfg *cfg);

/* Reads document `doc` into its own heap bytes (compare works on whole
 * documents).  ND_ERR_CHANGED if the file is not the one loaded any more
 * (the document is then marked changed), ND_ERR_NOMEM. */
nd_status nd_doctab_own(nd_doctab *dt, size_t doc);

/* A reader fetches byte ranges of documents for one thread: a document's own
 * bytes directly, a file's through pread() on its kept descriptor or on one
 * the reader reopened by path (checked to be the same file: device, inode,
 * size and modification time as loaded).  It keeps one reopened descriptor
 * and one buffer, holding the last range read ("window"). */
typedef struct nd_reader {
    const nd_doctab *dt;
    size_t fd_doc; /* document of fd, or SIZE_MAX */
    int fd;        /* reopened descriptor, or -1 */
    uint8_t *buf;
    size_t cap;
    size_t wdoc; /* the window: bytes [woff, woff + wlen) of wdoc, or
                      wdoc SIZE_MAX */
    uint64_t woff;
    size_t wlen;
    void *map;      /* a private copy mapped by nd_reader_whole_private, */
    size_t map_len; /* unmapped by the next call, shrink or release */
} nd_reader;

void nd_reader_init(nd_reader *rd, const nd_doctab *dt);
/* Closes the descriptor and frees the buffer; rd may be initialised again. */
void nd_reader_release(nd_reader *rd);
/* Frees the buffer only (after a stage that needed whole documents). */
void nd_reader_shrink(nd_reader *rd);

/* Points *out at bytes [off, off + len) of document doc.  The pointer is into
 * the document's own bytes or the reader's buffer, valid until the next call
 * on rd.  With ahead > 0 up to `ahead` more bytes are read into the window,
 * so that following ranges of the same document come without a system call.
 * ND_ERR_CHANGED when the file cannot be reopened as the same file, or holds
 * fewer bytes than asked for; ND_ERR_NOMEM.  Never faults: nothing is
 * mapped. */
nd_status nd_reader_get(nd_reader *rd, size_t doc, uint64_t off, size_t len, size_t ahead,
                        const uint8_t **out);

/* Points *out at the whole document (size bytes): the file is read and
 * checked to be the file loaded, unchanged (device, inode, size and
 * modification time before and after the read).  ND_ERR_CHANGED otherwise. */
nd_status nd_reader_whole(nd_reader *rd, size_t doc, const uint8_t **out);

/* Points *out at the whole original document (*len bytes): for a decoded
 * document its original bytes, read from the spool (or the heap; never
 * from the input file again), else what nd_reader_whole gives. */
nd_status nd_reader_orig_whole(nd_reader *rd, size_t doc, const uint8_t **out, size_t *len);

/* Points *out at original bytes [off, off + len) of document doc (decoded
 * documents: of the original bytes; others: nd_reader_get). */
nd_status nd_reader_orig_get(nd_reader *rd, size_t doc, uint64_t off, size_t len,
                             const uint8_t **out);

/* Documents larger than this are not read into the reader's buffer by
 * nd_reader_whole_private but copied to a private file. */
#define ND_WHOLE_MAX ((size_t)64 << 20)

/* As nd_reader_whole, but a file document larger than ND_WHOLE_MAX is copied
 * (read(), checked as there) into an unlinked temporary file in `tmpdir`
 * (NULL: $TMPDIR or /tmp) that only this process can reach, which is
 * mapped: anonymous memory stays bounded, and no one else can truncate the
 * copy, so the mapping cannot fault.  Falls back to nd_reader_whole when no
 * temporary file can be written. */
nd_status nd_reader_whole_private(nd_reader *rd, size_t doc, const char *tmpdir,
                                  const uint8_t **out);

#endif /* ND_INPUT_H */
