/*
 * cli.h - what the neardup program's files share: the subcommand entry
 * points and the quoting of untrusted strings (paths) for messages.
 *
 * The program uses the public API (neardup.h) and libc only.
 */
#ifndef ND_CLI_H
#define ND_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "neardup.h"

#include "opt.h"

/* Exit codes of the program. */
enum {
    CLI_EXIT_OK = 0,           /* success */
    CLI_EXIT_USAGE = 1,        /* usage error: bad command, option or value */
    CLI_EXIT_SKIPPED = 2,      /* done, but some inputs were skipped */
    CLI_EXIT_FATAL = 3,        /* fatal error: out of memory, cannot write, ... */
    CLI_EXIT_NO_INPUT = 4,     /* no input could be read: nothing was written */
    CLI_EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM (128 + SIGINT) */
};

/* A row of the program's command table (main.c). */
struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the name */
    const char *summary;
};

/* `neardup --doc KIND DEST` (doc.c), run by the build: KIND man writes the
 * pages neardup.1 and neardup-COMMAND.1 into the directory DEST; bash and
 * zsh write the completion script DEST.  Everything comes from the command
 * table, each command's --help text (usage) and its option table.  Returns
 * an exit code. */
int cli_doc(const char *kind, const char *dest, const struct cli_command *cmds, size_t n,
            void (*usage)(FILE *f));

/* A subcommand: argv[0] is its name, as for main(). Returns an exit code. */
int cmd_scan(int argc, char **argv);
int cmd_params(int argc, char **argv);
int cmd_clean(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_query(int argc, char **argv);

/* What a program built around `scan` and `clean` (neardup-mpi, src/mpi/)
 * changes in them: who runs the scanner, and whether this process prints
 * messages and writes the report.  cmd_scan is cli_scan_main(argc, argv,
 * NULL). */
struct cli_scan_hooks {
    /* Runs sc in place of nd_scanner_run (stats: --stats was given);
     * ND_OK with *out NULL: this process has no report to write. */
    nd_status (*run)(void *user, nd_scanner *sc, int stats, nd_report **out);
    void *user;
    int writer; /* 1: messages, progress and the report come from here */
};
int cli_scan_main(int argc, char **argv, const struct cli_scan_hooks *h);
/* `clean` with the same hooks (cmd_clean is cli_clean_main(argc, argv,
 * NULL)): the writer plans the removals and writes the cleaned copy, the
 * log and the messages; the others only run their part of the scan. */
int cli_clean_main(int argc, char **argv, const struct cli_scan_hooks *h);

/* Prints one skipped-input report of the library as `neardup: ...` on
 * stderr, in the words scan uses (diag.c). */
struct nd_diag;
void cli_print_diag(const struct nd_diag *d);

/* A writer's sink (nd_write_fn) to standard output: 0, or the errno. */
int cli_write_stdout(void *user, const void *buf, size_t len);
/* The columns of the terminal standard output goes to; 0 when it is not a
 * terminal (the text reports then fit 100 columns). */
unsigned cli_stdout_width(void);

/*
 * Copies s into buf[0..size-1] (always NUL-terminated) with every control
 * character (C0, DEL, C1) and every byte that is not part of valid UTF-8
 * written as \xNN, so the result is printable and stays on one line.  A
 * result that does not fit is cut at a character boundary and ends in "...".
 * Returns buf.
 */
const char *cli_escape(char *buf, size_t size, const char *s);

/* Copies the library's option message msg (nd_options_check,
 * nd_compare_options_check: fields named as in neardup.h, "num_perm") into
 * out[0..size-1] with every field name replaced by its option ("--num-perm"),
 * so the user reads the flags they typed.  Returns out. */
const char *cli_option_message(const char *msg, char *out, size_t size);

/* Large enough for any path a message shows in full. */
#define CLI_ESCAPE_SIZE 8192

/* The --encoding row of scan and clean: NAME into the const char * `var`,
 * copied into nd_options.encoding by cli_set_encoding (a name too long for
 * the field is left unterminated there, so nd_options_check refuses it). */
#define CLI_ENCODING_OPTION(var)                                                                   \
    {                                                                                              \
        "encoding", 0, "NAME", OPT_KIND_STRING, &(var), 0, 0, 0, 0, NULL,                          \
            "decode inputs from NAME (an iconv name: gbk, big5, shift_jis, "                       \
            "utf-16le, windows-1252, ...); auto detects per file",                                 \
            "auto", NULL                                                                           \
    }
struct nd_options;
void cli_set_encoding(struct nd_options *o, const char *name);
/* Copies name (NULL: nothing) into the char array dst[size], left
 * unterminated when too long (nd_options_check refuses it then). */
void cli_set_field(char *dst, size_t size, const char *name);

/* The --split choices, shared by every command that splits paragraphs. */
extern const struct opt_choice cli_split_choices[];

/* The rows of the normalisation steps of an option table, one per ND_NORM_*
 * bit of `flags` (an unsigned lvalue), shared by scan, clean and compare:
 * --no-<step>, and --keep-pinyin (removing pinyin is the step, so the option
 * that switches it off says what it keeps; the old --no-pinyin stays as a
 * hidden row). */
#define CLI_NORM_OPTIONS(flags)                                                                     \
    {"nfkc",                                                                                        \
     0,                                                                                             \
     NULL,                                                                                          \
     OPT_KIND_NEGBIT,                                                                               \
     &(flags),                                                                                      \
     ND_NORM_NFKC,                                                                                  \
     0,                                                                                             \
     0,                                                                                             \
     0,                                                                                             \
     NULL,                                                                                          \
     "no Unicode NFKC normalisation",                                                               \
     NULL,                                                                                          \
     NULL},                                                                                         \
        {"casefold",        0,    NULL, OPT_KIND_NEGBIT, &(flags), ND_NORM_CASEFOLD, 0, 0, 0, NULL, \
         "no case folding", NULL, NULL},                                                            \
        {"t2s",                                                                                     \
         0,                                                                                         \
         NULL,                                                                                      \
         OPT_KIND_NEGBIT,                                                                           \
         &(flags),                                                                                  \
         ND_NORM_T2S,                                                                               \
         0,                                                                                         \
         0,                                                                                         \
         0,                                                                                         \
         NULL,                                                                                      \
         "no Traditional -> Simplified Chinese mapping",                                            \
         NULL,                                                                                      \
         NULL},                                                                                     \
        {"keep-pinyin",                                                                             \
         0,                                                                                         \
         NULL,                                                                                      \
         OPT_KIND_CLEARBIT,                                                                         \
         &(flags),                                                                                  \
         ND_NORM_PINYIN,                                                                            \
         0,                                                                                         \
         0,                                                                                         \
         0,                                                                                         \
         NULL,                                                                                      \
         "keep pinyin annotations such as (tai) instead of removing them "                          \
         "(--no-pinyin, the old spelling, is deprecated)",                                          \
         NULL,                                                                                      \
         NULL},                                                                                     \
        {"pinyin", 0,    NULL, OPT_KIND_NEGBIT, &(flags), ND_NORM_PINYIN, 0, 0, 0, NULL,            \
         NULL,     NULL, NULL}, /* hidden: --no-pinyin as before */                                 \
    {                                                                                               \
        "strip", 0, NULL, OPT_KIND_NEGBIT, &(flags), ND_NORM_STRIP, 0, 0, 0, NULL,                  \
            "keep whitespace, punctuation and symbols", NULL, NULL                                  \
    }

/* The passage options of scan --passages and compare (unsigned fields). */
#define CLI_PASSAGE_OPTIONS(min_passage, max_gap)                                                  \
    {"min-passage",                                                                                \
     0,                                                                                            \
     "N",                                                                                          \
     OPT_KIND_UNSIGNED,                                                                            \
     &(min_passage),                                                                               \
     0,                                                                                            \
     1,                                                                                            \
     100000,                                                                                       \
     0,                                                                                            \
     NULL,                                                                                         \
     "shortest shared passage, in normalised characters",                                          \
     NULL,                                                                                         \
     NULL},                                                                                        \
    {                                                                                              \
        "max-gap", 0, "N", OPT_KIND_UNSIGNED, &(max_gap), 0, 0, 100000, 0, NULL,                   \
            "join matches separated by at most N differing characters", NULL, NULL                 \
    }

/* ---- scanning.c: what scan and clean share ---- */

/* The progress bar's state (scanning.c). */
struct cli_progress {
    double start, stage_start, last;
    int stage, drawn;
    int on;      /* --progress, or stderr a terminal */
    int compare; /* the stages are compare A B's (their own weights) */
};

/* Room for the shared option rows and OPT_END. */
#define CLI_SCAN_ROWS 32

/* The options of every command that scans: what is compared (split,
 * min-chars, threshold, num-perm, shingle, bands/rows, seed, the
 * normalisation steps, max-paragraph-bytes, common-docs) and how the scan
 * runs (max-file-size, threads, memory, tmpdir, progress, quiet), declared
 * once in `rows`; a command's table includes them with OPT_TABLE(a.rows). */
struct cli_scan_args {
    nd_options o;
    int split;
    uint64_t max_para;
    const char *tmpdir;
    const char *encoding; /* --encoding NAME, or NULL */
    const char *jsonl;    /* --jsonl FIELD, or NULL */
    const char *id_field; /* --id-field NAME, or NULL */
    unsigned progress, progress_seen;
    unsigned bands_seen, rows_seen;
    int quiet;
    struct opt_list include, exclude; /* walk rules, in order */
    int hidden;
    struct cli_progress bar;
    struct opt rows[CLI_SCAN_ROWS];
};

/* Defaults (nd_options_default) and the rows pointing into *a.  *a must not
 * move afterwards. */
void cli_scan_args_init(struct cli_scan_args *a);
/* After parsing: checks the combination (a usage error is printed, prefixed
 * by prog, and -1 returned) and completes a->o.  0 when fine. */
int cli_scan_args_finish(struct cli_scan_args *a, const char *prog);
/* A scanner for a->o with diag, a->tmpdir and the progress bar (--progress,
 * or stderr a terminal).  Prints the failure ("neardup: ...") itself. */
nd_status cli_scanner_new(struct cli_scan_args *a, nd_diag_fn diag, void *user, nd_scanner **out);
/* compare A B's bar (--progress, or stderr a terminal): the callback for
 * nd_compare_paths_progress with *user, or NULL when the bar is off. */
nd_progress_fn cli_progress_compare(struct cli_scan_args *a, void **user);
/* With the progress bar on, clean's writing of plan p draws it too. */
void cli_progress_clean(struct cli_scan_args *a, nd_clean_plan *p);
/* Whether an output can be made, tried before any input is read so that a
 * long scan does not end in "cannot write": a file (-o, --log) needs a
 * directory where a temporary file can be created beside it and must not
 * be a directory itself (a character device or fifo is written in place); a
 * directory (--out) needs its nearest existing ancestor to be a directory
 * where a directory can be created.  Creates and removes a probe, prints
 * "neardup: cannot create 'PATH': reason" and returns -1 when it cannot. */
int cli_probe_output(const char *path, int is_dir);
/* "neardup: scan failed: ..." for status st of a call on sc: the path and
 * system error of an ND_ERR_IO (nd_scanner_error_path), else the status. */
void cli_scan_failed(const nd_scanner *sc, nd_status st);
/* Clears a drawn progress bar. */
void cli_progress_end(struct cli_progress *ps);
/* Seconds of a monotonic clock. */
double cli_now(void);

/* SIGINT/SIGTERM: the handler cancels the registered scanner and clean plan
 * and sets the flag cli_interrupted() returns (exit 130, "neardup:
 * interrupted").  Register what is about to run (NULL when it is done);
 * registering after a signal cancels at once. */
void cli_signals_install(void);
void cli_signals_scanner(nd_scanner *sc);
void cli_signals_clean(nd_clean_plan *p);
int cli_interrupted(void);

#endif /* ND_CLI_H */
