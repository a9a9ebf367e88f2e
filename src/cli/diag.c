/*
 * diag.c - the words for a skipped input, shared by the commands that read
 * files through the library (clean, compare), the same as scan prints them:
 *   neardup: cannot open 'PATH': <strerror>
 *   neardup: cannot read 'PATH': <strerror>
 *   neardup: skipping 'PATH': <nd_strerror>[ (<detail>)]
 *   neardup: 'PATH' changed while it was read; results for it may be incomplete
 *   neardup: 'PATH': encoding guessed as NAME       (a notice; the file is read)
 *   neardup: 'PATH': corrupt or truncated archive (<libarchive's words>; ...)
 *                                        (PATH an archive or ARCHIVE//MEMBER)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

static int is_call_name(const char *detail) {
    static const char *const calls[] = {"open",    "read",    "stat", "lstat", "fstat",
                                        "opendir", "readdir", "mmap", "close", NULL};
    for (size_t i = 0; calls[i]; i++)
        if (strcmp(detail, calls[i]) == 0) return 1;
    return 0;
}

void cli_print_diag(const struct nd_diag *d) {
    char path[CLI_ESCAPE_SIZE], detail[512];
    int has_detail = d->detail != NULL && d->detail[0] != '\0';

    cli_escape(path, sizeof path, d->path ? d->path : "");
    if (has_detail) cli_escape(detail, sizeof detail, d->detail);
    if (d->status == ND_OK) {
        fprintf(stderr, "neardup: note: '%s': %s\n", path, has_detail ? detail : "(no detail)");
    } else if (d->status == ND_ERR_ENCODING) {
        fprintf(stderr, "neardup: '%s': encoding guessed as %s\n", path, has_detail ? detail : "?");
    } else if (d->status == ND_ERR_ARCHIVE) {
        /* the members before the damage are read: not "skipping" */
        fprintf(stderr, "neardup: '%s': %s (%s)\n", path, nd_strerror(d->status),
                has_detail ? detail : "?");
    } else if (d->status == ND_ERR_CHANGED) {
        /* "changed while it was read; results for it may be incomplete" */
        fprintf(stderr, "neardup: '%s' %s\n", path, nd_strerror(d->status));
    } else if (d->status == ND_ERR_IO) {
        const char *verb = has_detail && strncmp(d->detail, "read", 4) == 0 ? "read" : "open";
        const char *why = d->sys_errno ? strerror(d->sys_errno) : nd_strerror(d->status);
        if (has_detail && !is_call_name(d->detail))
            fprintf(stderr, "neardup: cannot %s '%s': %s (%s)\n", verb, path, why, detail);
        else
            fprintf(stderr, "neardup: cannot %s '%s': %s\n", verb, path, why);
    } else if (has_detail) {
        fprintf(stderr, "neardup: skipping '%s': %s (%s)\n", path, nd_strerror(d->status), detail);
    } else {
        fprintf(stderr, "neardup: skipping '%s': %s\n", path, nd_strerror(d->status));
    }
}

void cli_set_field(char *dst, size_t size, const char *name) {
    size_t n;
    if (name == NULL) return;
    n = strlen(name);
    memcpy(dst, name, n < size ? n + 1 : size);
}

void cli_set_encoding(struct nd_options *o, const char *name) {
    cli_set_field(o->encoding, sizeof o->encoding, name);
}

/* Option fields of the library (nd_options, nd_compare_options) and the
 * flags that set them. */
static const struct {
    const char *field, *flag;
} field_flags[] = {
    {"split", "--split"},
    {"min_chars", "--min-chars"},
    {"shingle", "--shingle"},
    {"num_perm", "--num-perm"},
    {"seed", "--seed"},
    {"threshold", "--threshold"},
    {"bands", "--bands"},
    {"rows", "--rows"},
    {"max_file_size", "--max-file-size"},
    {"threads", "--threads"},
    {"max_paragraph_bytes", "--max-paragraph-bytes"},
    {"memory_limit", "--memory"},
    {"common_docs", "--common-docs"},
    {"encoding", "--encoding"},
    {"jsonl_field", "--jsonl"},
    {"id_field", "--id-field"},
    {"min_passage", "--min-passage"},
    {"max_gap", "--max-gap"},
};

static int field_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

const char *cli_option_message(const char *msg, char *out, size_t size) {
    size_t n = 0;

    if (size == 0) return out;
    for (const char *p = msg; *p && n + 1 < size;) {
        const char *w = p, *put = NULL;
        size_t len = 1;
        while (field_char(*p)) p++;
        if (p > w) { /* a word: a field name? */
            len = (size_t)(p - w);
            for (size_t i = 0; i < sizeof field_flags / sizeof *field_flags; i++)
                if (strlen(field_flags[i].field) == len &&
                    memcmp(field_flags[i].field, w, len) == 0)
                    put = field_flags[i].flag;
        } else {
            p++;
        }
        if (put) {
            w = put;
            len = strlen(put);
        }
        if (len > size - 1 - n) len = size - 1 - n;
        memcpy(out + n, w, len);
        n += len;
    }
    out[n] = '\0';
    return out;
}

const struct opt_choice cli_split_choices[] = {
    {"auto", ND_SPLIT_AUTO},
    {"line", ND_SPLIT_LINE},
    {"blank", ND_SPLIT_BLANK},
    {NULL, 0},
};

unsigned cli_stdout_width(void) {
    struct winsize ws;
    if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 0;
}

int cli_write_stdout(void *user, const void *buf, size_t len) {
    (void)user;
    errno = 0;
    if (len && fwrite(buf, 1, len, stdout) != len) return errno ? errno : EIO;
    return 0;
}
