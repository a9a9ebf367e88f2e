/*
 * cmd_query.c - `neardup query [-f text|jsonl|csv|html] DB FILE...`
 *
 * Checks each FILE (a file, a directory walked as scan walks it, or '-')
 * against the index DB (cmd_index.c): per paragraph, the indexed paragraphs
 * with exact token-shingle Jaccard >= the index's threshold, as path:line
 * and similarity, and FILE's overlap with each indexed document
 * (nd_index_query, nd_query_write), on standard output.
 *
 * Messages (stderr, one line each):
 *   neardup query: <usage error>                     exit 1
 *   neardup: skipping 'PATH': <reason>  (as scan)    exit 2 after the rest
 *   neardup: <the index's message>                   exit 3
 *   neardup: cannot write standard output: ...       exit 3 (main.c)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

#define PROG "neardup query"

static const struct opt_choice format_choices[] = {
    {"text", ND_FORMAT_TEXT},
    {"jsonl", ND_FORMAT_JSONL},
    {"csv", ND_FORMAT_CSV},
    {"html", ND_FORMAT_HTML},
    {NULL, 0},
};

static void usage(const struct opt *table) {
    printf("usage: neardup query [options] DB FILE...\n"
           "\n"
           "Checks each FILE (a file, a directory, or '-' for standard input)\n"
           "against the index DB ('neardup index create'): for every paragraph,\n"
           "the indexed paragraphs whose token-shingle Jaccard similarity is at\n"
           "least the index's threshold, with their path:line, and how much of\n"
           "FILE each indexed document holds.  Exact, also when the indexed\n"
           "files have moved or changed since.\n"
           "\n"
           "options:\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error, 2 some inputs were skipped,\n"
           "3 the index could not be opened or read, or the output written.\n");
}

struct query_state {
    int quiet;
    size_t problems;
};

static void on_diag(void *user, const nd_diag *d) {
    struct query_state *s = user;
    if (d->status != ND_OK && d->status != ND_ERR_ENCODING) s->problems++;
    if (!s->quiet) cli_print_diag(d);
}

static int failed(const nd_index *idx, nd_status st) {
    char shown[CLI_ESCAPE_SIZE];
    const char *m = idx ? nd_index_errmsg(idx) : "";
    fprintf(stderr, "neardup: %s\n", cli_escape(shown, sizeof shown, m[0] ? m : nd_strerror(st)));
    return CLI_EXIT_FATAL;
}

int cmd_query(int argc, char **argv) {
    int rc = CLI_EXIT_USAGE, npos = 0, format = ND_FORMAT_TEXT;
    struct query_state s = {0, 0};
    nd_index *idx = NULL;
    nd_query *q = NULL;
    nd_status st;
    const struct opt table[] = {
        {"format", 'f', NULL, OPT_KIND_CHOICE, &format, 0, 0, 0, 0, format_choices, "output format",
         NULL, NULL},
        {"quiet", 'q', NULL, OPT_KIND_FLAG, &s.quiet, 0, 0, 0, 0, NULL,
         "no warnings about skipped inputs", NULL, NULL},
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL, "show this help", NULL, NULL},
        OPT_END,
    };

    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc)) return rc;
    if (npos < 2) {
        opt_error(PROG, "expected DB and at least one FILE (see '" PROG " --help')");
        return CLI_EXIT_USAGE;
    }
    st = nd_index_open(argv[0], NULL, 0, &idx);
    if (st != ND_OK) {
        rc = failed(idx, st);
        goto out;
    }
    nd_index_set_diag(idx, on_diag, &s);
    rc = CLI_EXIT_OK;
    for (int i = 1; i < npos; i++) {
        st = nd_index_query(idx, argv[i], &q);
        if (st != ND_OK) {
            rc = failed(idx, st);
            goto out;
        }
        st = nd_query_write(q, (nd_format)format, NULL, cli_write_stdout, NULL);
        nd_query_free(q);
        q = NULL;
        if (st != ND_OK) {
            fprintf(stderr, "neardup: cannot write standard output: %s\n",
                    st == ND_ERR_IO ? strerror(errno ? errno : EIO) : nd_strerror(st));
            rc = CLI_EXIT_FATAL;
            goto out;
        }
    }
    if (s.problems) rc = CLI_EXIT_SKIPPED;
out:
    nd_query_free(q);
    nd_index_close(idx);
    return rc;
}
