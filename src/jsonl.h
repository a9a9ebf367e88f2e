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

/* Reads the JSON Lines bytes b[0..len-1] of the file `path` (inflated when
 * it was gzip data) under cfg->jsonl_field and cfg->id_field: every record
 * whose field is a string becomes a document of ps, every other non-blank
 * line a problem of ps ("FILE:LINE", ND_ERR_RECORD, the reason).  Only
 * ND_ERR_NOMEM fails.  Any thread. */
nd_status nd_jsonl_read(const nd_input_cfg *cfg, const char *path, const uint8_t *b, size_t len,
                        nd_parts *ps);

/* A parser of single records (owns json-c's tokener); one per thread. */
typedef struct nd_jsonl_parser nd_jsonl_parser;

nd_status nd_jsonl_parser_new(const char *field, const char *id_field, nd_jsonl_parser **out);
void nd_jsonl_parser_free(nd_jsonl_parser *jp);

/* One record, parsed. */
typedef struct nd_jsonl_rec {
    uint8_t *text; /* malloc'ed: the field's value, decoded (UTF-8) */
    size_t len;
    nd_decmap map;           /* text offsets -> offsets of the line + `base` where
                                each character's JSON text starts */
    size_t src_off, src_len; /* the field's JSON string in the line, quotes
                                included */
    char *id;                /* malloc'ed value of the id field, or NULL */
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
