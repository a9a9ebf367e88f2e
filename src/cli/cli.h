/*
 * cli.h - what the neardup program's files share: the subcommand entry
 * points and the quoting of untrusted strings (paths) for messages.
 *
 * The program uses the public API (neardup.h) and libc only.
 */
#ifndef ND_CLI_H
#define ND_CLI_H

#include <stddef.h>

#include "opt.h"

/* Exit codes of the program. */
enum {
    CLI_EXIT_OK = 0,      /* success */
    CLI_EXIT_USAGE = 1,   /* usage error: bad command, option or value */
    CLI_EXIT_SKIPPED = 2, /* done, but some inputs were skipped */
    CLI_EXIT_FATAL = 3,   /* fatal error: out of memory, cannot write, ... */
    CLI_EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM (128 + SIGINT) */
};

/* A subcommand: argv[0] is its name, as for main(). Returns an exit code. */
int cmd_scan(int argc, char **argv);
int cmd_params(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_compare(int argc, char **argv);

/* Prints one skipped-input report of the library as `neardup: ...` on
 * stderr, in the words scan uses (diag.c). */
struct nd_diag;
void cli_print_diag(const struct nd_diag *d);

/*
 * Copies s into buf[0..size-1] (always NUL-terminated) with every control
 * character (C0, DEL, C1) and every byte that is not part of valid UTF-8
 * written as \xNN, so the result is printable and stays on one line.  A
 * result that does not fit is cut at a character boundary and ends in "...".
 * Returns buf.
 */
const char *cli_escape(char *buf, size_t size, const char *s);

/* Large enough for any path a message shows in full. */
#define CLI_ESCAPE_SIZE 8192

/* The --encoding row of scan and clean: NAME into the const char * `var`,
 * copied into nd_options.encoding by cli_set_encoding (a name too long for
 * the field is left unterminated there, so nd_options_check refuses it). */
#define CLI_ENCODING_OPTION(var)                                               \
    {"encoding", 0, "NAME", OPT_KIND_STRING, &(var), 0, 0, 0, 0, NULL,          \
     "decode inputs from NAME (an iconv name: gbk, big5, shift_jis, "          \
     "utf-16le, windows-1252, ...); auto detects per file", "auto", NULL}
struct nd_options;
void cli_set_encoding(struct nd_options *o, const char *name);

/* The --split choices, shared by every command that splits paragraphs. */
extern const struct opt_choice cli_split_choices[];

/* The five --no-<step> rows of an option table, one per ND_NORM_* bit of
 * `flags` (an unsigned lvalue), shared by scan, clean and compare. */
#define CLI_NORM_OPTIONS(flags)                                                \
    {"nfkc", 0, NULL, OPT_KIND_NEGBIT, &(flags), ND_NORM_NFKC, 0, 0, 0, NULL,   \
     "no Unicode NFKC normalisation", NULL, NULL},                             \
    {"casefold", 0, NULL, OPT_KIND_NEGBIT, &(flags), ND_NORM_CASEFOLD, 0, 0, 0, \
     NULL, "no case folding", NULL, NULL},                                     \
    {"t2s", 0, NULL, OPT_KIND_NEGBIT, &(flags), ND_NORM_T2S, 0, 0, 0, NULL,     \
     "no Traditional -> Simplified Chinese mapping", NULL, NULL},              \
    {"pinyin", 0, NULL, OPT_KIND_NEGBIT, &(flags), ND_NORM_PINYIN, 0, 0, 0,     \
     NULL, "keep pinyin annotations such as (tai)", NULL, NULL},               \
    {"strip", 0, NULL, OPT_KIND_NEGBIT, &(flags), ND_NORM_STRIP, 0, 0, 0, NULL, \
     "keep whitespace, punctuation and symbols", NULL, NULL}

#endif /* ND_CLI_H */
