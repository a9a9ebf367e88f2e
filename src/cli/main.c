/*
 * main.c - the neardup program: a table of subcommands and the dispatch.
 *
 * Like git's builtin/ or Mash: `neardup <command> [options] [args]`, one file
 * per command (cmd_*.c), each parsing its own options from its own table
 * (opt.h).  Adding a command means one function and one row below.
 *
 * The program uses the public API (neardup.h) and libc only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "neardup.h"

#include "cli.h"

static int cmd_help(int argc, char **argv);

static const struct cli_command commands[] = {
    {"scan", cmd_scan, "find near-duplicate paragraphs and report overlap"},
    {"clean", cmd_clean, "write a copy of the corpus without the duplicates"},
    {"compare", cmd_compare, "show the passages two documents share"},
    {"params", cmd_params, "show the LSH bands and rows for a threshold"},
    {"index", cmd_index, "keep a corpus in an index file (create, add, remove, check, status)"},
    {"query", cmd_query, "check documents against an index"},
    {"help", cmd_help, "show the help of a command"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: neardup <command> [options] [args]\n"
               "       neardup -V, --version\n"
               "       neardup --help\n"
               "\n"
               "Finds copied and near-duplicate paragraphs in a corpus of\n"
               "documents and reports how much each document overlaps the "
               "others.\n"
               "\n"
               "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-8s  %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n"
               "Run 'neardup help <command>' or 'neardup <command> --help' "
               "for its options.\n");
}

static const struct cli_command *find_command(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static int unknown_command(const char *name) {
    char shown[CLI_ESCAPE_SIZE];
    fprintf(stderr, "neardup: unknown command '%s' (see 'neardup --help')\n",
            cli_escape(shown, sizeof shown, name));
    return CLI_EXIT_USAGE;
}

/* `neardup help [COMMAND]`: the same as `neardup COMMAND --help`. */
static int cmd_help(int argc, char **argv) {
    const struct cli_command *c;
    char help_opt[] = "--help";
    char *sub_argv[3];

    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2) {
        fprintf(stderr, "neardup help: too many arguments "
                        "(usage: neardup help [COMMAND])\n");
        return CLI_EXIT_USAGE;
    }
    c = find_command(argv[1]);
    if (c == NULL) return unknown_command(argv[1]);
    if (c->fn == cmd_help) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    sub_argv[0] = argv[1];
    sub_argv[1] = help_opt;
    sub_argv[2] = NULL;
    return c->fn(2, sub_argv);
}

int main(int argc, char **argv) {
    const struct cli_command *c;
    int rc;

    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        rc = CLI_EXIT_OK;
    } else if (strcmp(argv[1], "--doc") == 0) {
        /* hidden: the build writes the man pages and completions (doc.c) */
        if (argc != 4) {
            fprintf(stderr, "neardup: usage: neardup --doc man|bash|zsh DEST\n");
            return CLI_EXIT_USAGE;
        }
        return cli_doc(argv[2], argv[3], commands, N_COMMANDS, usage);
    } else if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("neardup %s\n", nd_version());
        rc = CLI_EXIT_OK;
    } else if (argv[1][0] == '-' && argv[1][1] != '\0') {
        char shown[CLI_ESCAPE_SIZE];
        fprintf(stderr, "neardup: unknown option '%s' (see 'neardup --help')\n",
                cli_escape(shown, sizeof shown, argv[1]));
        return CLI_EXIT_USAGE;
    } else if ((c = find_command(argv[1])) != NULL) {
        rc = c->fn(argc - 1, argv + 1);
    } else {
        return unknown_command(argv[1]);
    }
    /* Results go to stdout: a failed write must not pass unnoticed. */
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == CLI_EXIT_OK) {
        int err = errno;
        fprintf(stderr, "neardup: cannot write standard output%s%s\n", err ? ": " : "",
                err ? strerror(err) : "");
        rc = CLI_EXIT_FATAL;
    }
    return rc;
}
