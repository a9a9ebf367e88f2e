/*
 * input.h - the documents box: walking paths and reading bytes (private).
 */
#ifndef ND_INPUT_H
#define ND_INPUT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

#define ND_MAP_MIN ((size_t)16 << 10) /* smaller files are read, not mapped */
#define ND_MAX_MAPS ((size_t)32768)    /* files mapped at once, at most */

/* One document: its name and its bytes (mapped or on the heap). */
typedef struct nd_doc {
    char *path;          /* owned, as given or as found by the walk */
    const uint8_t *data; /* the (decompressed) bytes; NULL when size is 0 */
    size_t size;
    void *map;           /* mmap'ed region to unmap, or NULL */
    size_t map_len;
    uint8_t *heap;       /* malloc'ed bytes to free, or NULL */
    unsigned char gzip;  /* 1 if the input was gzip data */
    unsigned char split; /* nd_split_mode used, set by the splitter */
} nd_doc;

/* The identity of a file already added, to refuse the same file twice. */
typedef struct nd_file_id {
    uint64_t dev, ino;
} nd_file_id;

typedef struct nd_doctab {
    nd_doc *docs; /* in input order; the document id is the index */
    size_t n, cap;
    nd_file_id *seen; /* identities of added files (hash set, see input.c) */
    int stdin_seen;   /* "-" was added */
    size_t nseen, seen_cap;
    atomic_size_t nmaps; /* files of ND_MAP_MIN bytes or more met by loaders; the
                            first ND_MAX_MAPS of them are mapped */
} nd_doctab;

/* What the reader needs to know and where it reports skipped inputs. */
typedef struct nd_input_cfg {
    uint64_t max_file_size;
    nd_diag_fn diag;
    void *user;
    size_t skipped; /* incremented for every reported input */
    unsigned threads; /* load the files of a walk on this many threads (0, 1: here) */
} nd_input_cfg;

/* Adds a file, a directory (recursively, sorted, hidden entries skipped) or
 * "-" (standard input).  Problems with single inputs go to cfg->diag; only
 * ND_ERR_NOMEM is returned as an error. */
nd_status nd_input_add_path(nd_doctab *dt, nd_input_cfg *cfg, const char *path);

/* Adds a copy of data[0..len-1] under `name`. */
nd_status nd_input_add_buffer(nd_doctab *dt, const char *name, const void *data,
                              size_t len);

/* Inflates gzip data (one or more members) into a new malloc'ed buffer of at
 * most `limit` bytes.  ND_ERR_GZIP for corrupt or truncated data,
 * ND_ERR_TOO_LARGE past the limit. */
nd_status nd_gunzip(const uint8_t *src, size_t len, uint64_t limit,
                    uint8_t **out, size_t *out_len);

/* Releases every document; *dt may be reused after nd_doctab_release. */
void nd_doctab_release(nd_doctab *dt);

#endif /* ND_INPUT_H */
