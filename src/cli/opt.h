/*
 * opt.h - table-driven command-line options for the neardup subcommands.
 *
 * Every subcommand declares its options ONCE, in an array of struct opt
 * ended by OPT_END.  The same table drives parsing (opt_parse) and the
 * option list of --help (opt_usage), so an option cannot be accepted without
 * being documented, or documented without being accepted.
 *
 * Targets hold the defaults before parsing (the caller fills them from
 * nd_options_default() / nd_write_options_default()); --help prints the
 * default by reading the target, so no default is ever written twice.
 *
 * Accepted syntax: --name=value, --name value, -x value, -xvalue, grouped
 * short flags (-qh), "--" ends the options, "-" is a positional (standard
 * input).  Options and positionals may be mixed.  Numbers are parsed with
 * strtoull/strtod over the whole string and range-checked.
 */
#ifndef ND_CLI_OPT_H
#define ND_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>

enum opt_kind {
    OPT_KIND_END = 0,
    OPT_KIND_HELP,     /* -h/--help: opt_parse returns OPT_HELP */
    OPT_KIND_FLAG,     /* int *: set to 1 */
    OPT_KIND_NEGBIT,   /* unsigned *: --no-NAME clears mask, --NAME sets it */
    OPT_KIND_CLEARBIT, /* unsigned *: --NAME clears mask (a step named by
                          what it keeps: --keep-pinyin) */
    OPT_KIND_UNSIGNED, /* unsigned *: integer in [min, max] */
    OPT_KIND_U64,      /* uint64_t *: integer (decimal or 0x hex) */
    OPT_KIND_DOUBLE,   /* double *: number in (min|[min, max] */
    OPT_KIND_SIZE,     /* uint64_t *: bytes with optional K/M/G/T suffix */
    OPT_KIND_STRING,   /* const char **: the argument itself */
    OPT_KIND_CHOICE,   /* int *: the value of one of `choices` */
    OPT_KIND_TABLE,    /* const struct opt *: the rows of another table,
                          parsed and listed in this row's place */
    OPT_KIND_LIST      /* struct opt_list *: every argument, in order (the
                          option may be repeated) */
};

/* The arguments of a repeatable option, at most OPT_LIST_MAX. */
#define OPT_LIST_MAX 64
struct opt_list {
    const char *v[OPT_LIST_MAX];
    size_t n;
};

struct opt_choice {
    const char *name;
    int value;
};

struct opt {
    const char *name;    /* long name without "--" */
    char short_name;     /* 0 = none */
    const char *metavar; /* shown in help for options with a value */
    enum opt_kind kind;
    void *target;
    unsigned mask;                    /* OPT_KIND_NEGBIT: the bit(s) */
    double min, max;                  /* numeric range; both 0 = the type's full range */
    int min_open;                     /* OPT_KIND_DOUBLE: min itself excluded */
    const struct opt_choice *choices; /* OPT_KIND_CHOICE, ended by {NULL, 0} */
    const char *help;                 /* NULL: a hidden row - an old spelling kept so
                            scripts do not break: parsed by its exact name
                            only, left out of --help, the man pages, the
                            completions and prefix matching (the row it
                            was renamed to names it in its help) */
    const char *default_text;         /* shown instead of the target's value; "" = none */
    unsigned *seen;                   /* if not NULL, set to 1 when the option is given */
};

#define OPT_END                                                                                    \
    { NULL, 0, NULL, OPT_KIND_END, NULL, 0, 0, 0, 0, NULL, NULL, NULL, NULL }

/* A row that includes the rows of table `rows` (ended by OPT_END) here: a
 * list of options shared by several commands is declared once. */
#define OPT_TABLE(rows)                                                                            \
    { "", 0, NULL, OPT_KIND_TABLE, (void *)(rows), 0, 0, 0, 0, NULL, "", NULL, NULL }

enum opt_result {
    OPT_OK = 0, /* parsed */
    OPT_HELP,   /* -h/--help was given: print help, exit 0 */
    OPT_ERROR   /* a one-line message was printed on stderr: exit 1 */
};

/*
 * Parses argv[1..argc-1] (argv[0] is the subcommand's name) against table.
 * `prog` prefixes error messages ("neardup scan").  Positionals are moved to
 * argv[0..*npos-1] in their original order (argv itself is reused).
 */
enum opt_result opt_parse(const struct opt *table, const char *prog, int argc, char **argv,
                          int *npos);

/*
 * The common start of every subcommand: parses like opt_parse and, for
 * --help, calls usage(table).  Returns 1 when the command should go on;
 * returns 0 with *exit_code set (0 after --help, 1 after a usage error) when
 * it should stop.
 */
int opt_parse_command(const struct opt *table, const char *prog, int argc, char **argv, int *npos,
                      void (*usage)(const struct opt *table), int *exit_code);

/* Prints the option list of table (for --help) on stdout. */
void opt_usage(const struct opt *table);

/* What the option list shows of one row (not an OPT_KIND_TABLE row): the
 * long name as shown ("no-nfkc" for a NEGBIT row that is on by default,
 * negated set then), the value's name ("N", "text|jsonl", "" without a
 * value) and the default ("" for none).  --help, the man pages and the
 * completions (doc.c) all describe options through it. */
struct opt_row_text {
    char name[64];
    char meta[128];
    char def[64];
    int negated;
};
void opt_describe(const struct opt *o, struct opt_row_text *t);
/* Whether the option takes a value. */
int opt_takes_value(const struct opt *o);

/*
 * Documentation mode (`neardup --doc`, doc.c): with a hook set,
 * opt_parse_command parses nothing; it calls the command's usage function,
 * in which opt_usage prints the line OPT_DOC_MARK in place of the option list
 * and hands the table to fn, and then stops the command (exit code 0).  So
 * the man pages and completions read the very tables --help prints.  NULL
 * ends the mode.
 */
typedef void (*opt_doc_fn)(void *user, const struct opt *table);
void opt_doc_hook(opt_doc_fn fn, void *user);
#define OPT_DOC_MARK "\001neardup-doc-options"

/* Prints "PROG: MESSAGE" on stderr, one line. */
void opt_error(const char *prog, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Shortest decimal form of x that reads back as x, into buf. */
void opt_fmt_double(char *buf, size_t size, double x);

/* The rows of `rows` named in names[] (NULL-ended), in rows' order, into
 * out, ended by OPT_END: how a command takes some of another's shared
 * rows (compare and index take scan's) without declaring them again. */
void opt_pick(const struct opt *rows, const char *const *names, struct opt *out);

#endif /* ND_CLI_OPT_H */
