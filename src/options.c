/*
 * options.c - version, status names, option defaults and validation.
 */
#include <math.h>
#include <stdio.h>

#include "decode.h"
#include "nd_internal.h"

const char *nd_version(void) { return ND_VERSION_STRING; }

static const char *const nd_status_names[ND_STATUS_COUNT_] = {
    [ND_OK] = "success",
    [ND_ERR_NOMEM] = "out of memory",
    [ND_ERR_INVALID] = "invalid argument",
    [ND_ERR_IO] = "input/output error",
    [ND_ERR_BINARY] = "binary file",
    [ND_ERR_GZIP] = "corrupt or truncated gzip data",
    [ND_ERR_TOO_LARGE] = "file larger than --max-file-size",
    [ND_ERR_NOT_REGULAR] = "not a regular file",
    [ND_ERR_LOOP] = "symbolic link loop",
    [ND_ERR_DUPLICATE] = "given more than once",
    [ND_ERR_FORMAT] = "unknown format or malformed data",
    [ND_ERR_MISMATCH] = "parameters do not match",
    [ND_ERR_STATE] = "operation not allowed in this state",
    [ND_ERR_INTERNAL] = "internal error",
    [ND_ERR_CANCELLED] = "cancelled",
    [ND_ERR_CHANGED] = "changed while it was read; results for it may be incomplete",
    [ND_ERR_ENCODING] = "encoding guessed",
    [ND_ERR_RECORD] = "malformed JSON Lines record",
    [ND_ERR_ARCHIVE] = "corrupt or truncated archive",
    [ND_ERR_BUSY] = "the index is locked by another writer",
};

const char *nd_strerror(nd_status status) {
    if ((unsigned)status >= ND_STATUS_COUNT_) return "unknown status";
    return nd_status_names[status];
}

void nd_options_default(nd_options *opt) {
    *opt = (nd_options){
        .split = ND_SPLIT_AUTO,
        .min_chars = 20,
        .norm_flags = ND_NORM_ALL,
        .shingle = 5,
        .num_perm = 128,
        .seed = ND_DEFAULT_SEED,
        .threshold = 0.8,
        .bands = 0,
        .rows = 0,
        .max_file_size = UINT64_C(1) << 30,
        .threads = 0,
        .max_paragraph_bytes = UINT32_C(1) << 20,
        .common_docs = 100,
        .encoding = "auto",
        .min_passage = 50,
        .max_gap = 16,
    };
}

#define ND_FAIL(...)                                                                               \
    do {                                                                                           \
        if (msg && msg_size) snprintf(msg, msg_size, __VA_ARGS__);                                 \
        return ND_ERR_INVALID;                                                                     \
    } while (0)

nd_status nd_options_check(const nd_options *opt, char *msg, size_t msg_size) {
    if (!opt) ND_FAIL("no options given");
    if (opt->split != ND_SPLIT_AUTO && opt->split != ND_SPLIT_LINE && opt->split != ND_SPLIT_BLANK)
        ND_FAIL("split must be auto, line or blank");
    if (opt->norm_flags & ~(unsigned)ND_NORM_ALL)
        ND_FAIL("unknown normalisation flags 0x%x", opt->norm_flags);
    if (opt->shingle < 1 || opt->shingle > 64) ND_FAIL("shingle must be between 1 and 64");
    if (opt->num_perm < 1 || opt->num_perm > 1024) ND_FAIL("num_perm must be between 1 and 1024");
    if (!(opt->threshold > 0.0 && opt->threshold <= 1.0) || isnan(opt->threshold))
        ND_FAIL("threshold must be a number in (0, 1]");
    if ((opt->bands == 0) != (opt->rows == 0)) ND_FAIL("bands and rows go together");
    if (opt->bands && (uint64_t)opt->bands * opt->rows > opt->num_perm)
        ND_FAIL("bands x rows (%u x %u) exceeds num_perm %u", opt->bands, opt->rows, opt->num_perm);
    if (opt->max_file_size == 0) ND_FAIL("max_file_size must be positive");
    if (opt->threads > 1024) ND_FAIL("threads must be at most 1024");
    if (opt->max_paragraph_bytes < ND_MIN_PARAGRAPH_BYTES ||
        opt->max_paragraph_bytes > ND_MAX_PARAGRAPH_BYTES)
        ND_FAIL("max_paragraph_bytes must be between %u and %u", (unsigned)ND_MIN_PARAGRAPH_BYTES,
                (unsigned)ND_MAX_PARAGRAPH_BYTES);
    if (!memchr(opt->encoding, '\0', sizeof opt->encoding))
        ND_FAIL("encoding is longer than %u bytes", (unsigned)(sizeof opt->encoding - 1));
    if (!nd_decode_name_ok(opt->encoding))
        ND_FAIL("encoding '%s' is not \"auto\" nor a name iconv can decode", opt->encoding);
    if (opt->passages > 1) ND_FAIL("passages must be 0 or 1");
    if (opt->min_passage < 1 || opt->min_passage > 100000)
        ND_FAIL("min_passage must be between 1 and 100000");
    if (opt->max_gap > 100000) ND_FAIL("max_gap must be between 0 and 100000");
    if (!memchr(opt->jsonl_field, '\0', sizeof opt->jsonl_field))
        ND_FAIL("jsonl_field is longer than %u bytes", (unsigned)(sizeof opt->jsonl_field - 1));
    if (!memchr(opt->id_field, '\0', sizeof opt->id_field))
        ND_FAIL("id_field is longer than %u bytes", (unsigned)(sizeof opt->id_field - 1));
    if (opt->id_field[0] && !opt->jsonl_field[0]) ND_FAIL("id_field needs jsonl_field");
    return ND_OK;
}
