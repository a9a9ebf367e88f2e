/*
 * jsonl.h - JSON Lines records as documents (private; the design is in
 * jsonl.c).
 */
#ifndef ND_JSONL_H
#define ND_JSONL_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "input.h"
#include "neardup.h"

/* Where a JSON Lines file's bytes are: in memory (inflated gzip data) or
 * in the open file fd (read in chunks with pread(), never whole). */
typedef struct nd_jsonl_src {
    const uint8_t *mem; /* the bytes, or NULL: read from fd */
    int fd;
    uint64_t len;
} nd_jsonl_src;

/* Reads the JSON Lines file `path` (src) under cfg->jsonl_field and
 * cfg->id_field: every record whose field is a string becomes a document
 * of ps, every other non-blank line a problem of ps ("FILE:LINE",
 * ND_ERR_RECORD, the reason).  The file is cut into chunks of whole lines
 * (ND_JSONL_CHUNK), read one at a time or on `threads` threads (a pool of
 * its own: not from a pool's task) and merged in order, so the documents
 * are the same for any thread count; a plain file is never held whole.
 * ND_ERR_CHANGED when the file holds fewer bytes than src->len (the
 * caller checks its identity after); otherwise only ND_ERR_NOMEM fails. */
nd_status nd_jsonl_read(const nd_input_cfg *cfg, const char *path, const nd_jsonl_src *src,
                        unsigned threads, nd_parts *ps);

/* A parser of single records (owns json-c's tokener); one per thread. */
typedef struct nd_jsonl_parser nd_jsonl_parser;

nd_status nd_jsonl_parser_new(const char *field, const char *id_field, nd_jsonl_parser **out);
void nd_jsonl_parser_free(nd_jsonl_parser *jp);

/* One record, parsed. */
typedef struct nd_jsonl_rec {
    uint8_t *text; /* malloc'ed: the field's value, decoded (UTF-8) */
    size_t len;
    nd_decmap map; /* text offsets -> offsets of the line + `base` where
                                each character's JSON text starts; or, when
                                esc.on (no \u escape in the string), esc */
    nd_escmap esc;
    size_t src_off, src_len; /* the field's JSON string in the line, quotes
                                included */
    char *id;                /* malloc'ed value of the id field, or NULL */
    void *owner;             /* parsed without a copy (jsonl.c's read of a
                                file): json-c's object that holds text,
                                which is then not malloc'ed; or NULL */
} nd_jsonl_rec;

/* Parses line[0..len-1] (no terminator) with json-c and locates and
 * decodes the field (escapes and surrogate pairs; the text is checked to
 * be json-c's).  ND_ERR_RECORD with *why set to a static reason for a
 * malformed record (bad JSON, not an object, field missing or not a
 * string, id field missing or not a string or number); ND_ERR_NOMEM.
 * *out is filled on success (release with nd_jsonl_rec_release) and zeroed
 * otherwise. */
nd_status nd_jsonl_parse(nd_jsonl_parser *jp, const uint8_t *line, size_t len, uint64_t base,
                         nd_jsonl_rec *out, const char **why);
void nd_jsonl_rec_release(nd_jsonl_rec *rec);

#endif /* ND_JSONL_H */
