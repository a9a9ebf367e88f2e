/*
 * cmd_compare.c - `neardup compare [options] A B` and
 *                 `neardup compare [options] FILE PATH...`
 *
 * Two documents: finds the passages they share (nd_compare_paths) and prints
 * them paired, with path:line in both files and the share of each document
 * found in the other, as text, jsonl or html, on standard output or into
 * -o FILE.
 *
 * One document against a corpus (more than one PATH, a directory as the
 * second argument, --corpus, or a walk option: --include, --exclude,
 * --hidden, --jsonl): FILE is added to a scanner as the query
 * (nd_scanner_add_query_path), then every PATH as scan adds it (the same
 * walk, rules, decoding, archives, JSON Lines), and the scan finds the
 * passages between FILE and each document - none among the other
 * documents - and prints them per document, by the share of FILE found there
 * (nd_report_write_query).  FILE is added first, so a FILE that also lies
 * under a PATH is read once, as the query, and not compared with itself
 * (the walk's copy gets the usual note "the same file as ..., read once").
 * FILE must be one document: a directory, or an archive or JSON Lines file
 * that holds several, is refused (exit 2); so is a FILE that cannot be read,
 * before the corpus is read.  Corpus inputs that cannot be read are skipped
 * with one line each, as scan does, and give exit 2 after the report.
 *
 * Messages (stderr, one line each):
 *   neardup compare: <usage error>                 exit 1
 *   neardup: cannot open 'PATH': <strerror>        exit 2 (nothing compared)
 *   neardup: skipping 'PATH': <reason>             exit 2
 *   neardup: cannot write 'FILE': <reason>         exit 3
 *   neardup: interrupted                           exit 130 (corpus only)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

#define PROG "neardup compare"

static const struct opt_choice format_choices[] = {
    {"text", ND_FORMAT_TEXT},
    {"jsonl", ND_FORMAT_JSONL},
    {"html", ND_FORMAT_HTML},
    {NULL, 0},
};

static void usage(const struct opt *table) {
    printf("usage: neardup compare [options] A B\n"
           "       neardup compare [options] FILE PATH...\n"
           "\n"
           "Finds every passage of at least --min-passage normalised characters\n"
           "that the documents A and B share, also inside paragraphs that are\n"
           "otherwise different, and shows them paired with their lines in both\n"
           "files and the share of each document that appears in the other.\n"
           "'-' reads standard input; gzip data is decompressed; files in other\n"
           "encodings are decoded (--encoding) and located by their own bytes.\n"
           "\n"
           "With several PATHs, a directory as the second argument or --corpus,\n"
           "compares the one document FILE with every document under PATH...\n"
           "(walked as scan walks them) and lists the documents that share\n"
           "passages with it, by the share of FILE found in each, with the share\n"
           "of FILE found anywhere.  FILE inside PATH is not compared with itself.\n"
           "\n"
           "options:\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error, 2 an input could not be read,\n"
           "3 fatal error (out of memory, cannot write the output), 130\n"
           "interrupted (FILE PATH...).\n");
}

/* What corpus mode's diag callback needs. */
struct corpus_state {
    int quiet; /* --quiet: no lines about skipped corpus inputs */
    int query; /* FILE is being added: its problems are always said */
};

static void on_corpus_diag(void *user, const nd_diag *d) {
    const struct corpus_state *cs = user;
    if (!cs->quiet || cs->query) cli_print_diag(d);
}

/* The scan rows compare takes in corpus mode, by name: declared once, in
 * scanning.c, and listed here (the others - paragraph clustering - do not
 * change what compare prints). */
static const char *const corpus_rows[] = {
    "jsonl",       "id-field", "include", "exclude",  "hidden", "threads",
    "common-docs", "memory",   "tmpdir",  "progress", "quiet",  NULL,
};

/* scan's rows that both modes take (copied into nd_compare_options for two
 * documents) */
static const char *const both_rows[] = {"threshold", "shingle", NULL};

/* What is written: a comparison of two documents or a query report. */
struct output {
    const nd_compare *c;
    const nd_report *r;
};

static nd_status emit(const struct output *o, nd_format fmt, const nd_write_options *wo,
                      nd_write_fn fn, void *user) {
    /* on a terminal, two documents' text fits its width */
    return o->c ? nd_compare_write_width(o->c, fmt, wo, cli_stdout_width(), fn, user)
                : nd_report_write_query(o->r, fmt, wo, fn, user);
}

static int emit_errno(const struct output *o) {
    return o->c ? nd_compare_sys_errno(o->c) : nd_report_sys_errno(o->r);
}

static void on_diag(void *user, const nd_diag *d) {
    (void)user;
    cli_print_diag(d);
}

/* Writes the comparison to path through the library's one atomic,
 * umask-aware -o (nd_compare_write_path, nd_report_write_query_path: the
 * code behind scan's -o).  Interrupts are held back meanwhile, as scan does:
 * a second Ctrl-C cannot kill it between mkstemp and rename. */
static int write_output(const struct output *o, nd_format fmt, const nd_write_options *wo,
                        const char *path) {
    char shown[CLI_ESCAPE_SIZE];
    sigset_t block, saved;
    nd_status st;
    int err;

    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    st = o->c ? nd_compare_write_path(o->c, fmt, wo, path)
              : nd_report_write_query_path(o->r, fmt, wo, path);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (st == ND_OK) return CLI_EXIT_OK;
    err = st == ND_ERR_IO ? emit_errno(o) : 0;
    fprintf(stderr, "neardup: cannot write '%s': %s\n", cli_escape(shown, sizeof shown, path),
            err ? strerror(err) : nd_strerror(st));
    return CLI_EXIT_FATAL;
}

/* Writes o to -o FILE (atomically) or standard output; an exit code. */
static int write_result(const struct output *o, nd_format fmt, const nd_write_options *wo,
                        const char *output) {
    if (output != NULL && strcmp(output, "-") != 0) return write_output(o, fmt, wo, output);
    nd_status st = emit(o, fmt, wo, cli_write_stdout, NULL);
    int err = st == ND_ERR_IO ? emit_errno(o) : 0;
    if (st == ND_OK && fflush(stdout) != 0) {
        st = ND_ERR_IO;
        err = errno;
    }
    if (st != ND_OK) {
        fprintf(stderr, "neardup: cannot write standard output: %s\n",
                st == ND_ERR_IO && err ? strerror(err) : nd_strerror(st));
        return CLI_EXIT_FATAL;
    }
    return CLI_EXIT_OK;
}

/* A FILE that is not one document: one line, as compare A B says it. */
static void refuse_file(const char *path, nd_status status, const char *detail) {
    nd_diag dg = {path, status, 0, detail};
    cli_print_diag(&dg);
}

/* FILE PATH...: FILE as the query against the corpus (see the top). */
static int compare_corpus(struct cli_scan_args *a, const nd_compare_options *co,
                          const char *encoding, char **paths, int npaths, nd_format fmt,
                          const nd_write_options *wo, const char *output) {
    struct corpus_state cs = {a->quiet, 1};
    nd_scanner *sc = NULL;
    nd_report *rep = NULL;
    struct stat sb;
    size_t nq = 0, skipped;
    int rc = CLI_EXIT_FATAL;
    nd_status st;
    char what[96];

    a->o.passages = 1;
    a->o.min_passage = co->min_passage;
    a->o.max_gap = co->max_gap;
    a->o.norm_flags = co->norm_flags;
    a->o.max_file_size = co->max_file_size;
    a->encoding = encoding;
    if (cli_scan_args_finish(a, PROG) != 0) {
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (strcmp(paths[0], "-") != 0 && stat(paths[0], &sb) == 0 && S_ISDIR(sb.st_mode)) {
        refuse_file(paths[0], ND_ERR_NOT_REGULAR, "a directory; compare takes one FILE");
        rc = CLI_EXIT_SKIPPED;
        goto out;
    }
    if (output != NULL && strcmp(output, "-") != 0 && cli_probe_output(output, 0) != 0) goto out;
    cli_signals_install();
    if (cli_scanner_new(a, on_corpus_diag, &cs, &sc) != ND_OK) goto out;
    cli_signals_scanner(sc);
    st = nd_scanner_add_query_path(sc, paths[0]);
    if (st != ND_OK) {
        cli_scan_failed(sc, st);
        goto out;
    }
    if (nd_scanner_skipped(sc) > 0) { /* FILE cannot be read: said once */
        rc = CLI_EXIT_SKIPPED;
        goto out;
    }
    cs.query = 0;
    for (int i = 1; i < npaths; i++) {
        st = nd_scanner_add_path(sc, paths[i]);
        if (st != ND_OK) {
            cli_scan_failed(sc, st);
            goto out;
        }
    }
    st = nd_scanner_run(sc, &rep);
    skipped = nd_scanner_skipped(sc);
    cli_signals_scanner(NULL);
    cli_progress_end(&a->bar);
    if (st == ND_ERR_CANCELLED || (st == ND_OK && cli_interrupted())) {
        fprintf(stderr, "neardup: interrupted\n");
        rc = CLI_EXIT_INTERRUPTED;
        goto out;
    }
    if (st != ND_OK) {
        cli_scan_failed(sc, st);
        goto out;
    }
    for (size_t d = 0; d < nd_report_document_count(rep); d++) {
        nd_document_info di;
        if (nd_report_document(rep, d, &di) == ND_OK && di.query) nq++;
    }
    if (nq != 1) { /* an archive or JSON Lines file of several, or of none */
        snprintf(what, sizeof what, "holds %zu documents; compare takes one FILE", nq);
        refuse_file(paths[0], ND_ERR_FORMAT, what);
        rc = CLI_EXIT_SKIPPED;
        goto out;
    }
    struct output o = {NULL, rep};
    sigset_t block, saved;
    /* as scan: the atomic write is not cut by a second Ctrl-C */
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    rc = write_result(&o, fmt, wo, output);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (rc == CLI_EXIT_OK && skipped > 0) rc = CLI_EXIT_SKIPPED;
out:
    cli_signals_scanner(NULL);
    nd_report_free(rep);
    nd_scanner_free(sc);
    return rc;
}

int cmd_compare(int argc, char **argv) {
    nd_compare_options co;
    nd_write_options wo;
    nd_compare *c = NULL;
    const char *output = NULL, *encoding = NULL;
    int format = ND_FORMAT_TEXT, npos = 0, rc = CLI_EXIT_FATAL, corpus = 0;
    nd_status st;
    char msg[256], flags[512];
    struct cli_scan_args *a = NULL;
    struct opt picked[CLI_SCAN_ROWS], both[CLI_SCAN_ROWS];
    struct stat sb;

    nd_compare_options_default(&co);
    nd_write_options_default(&wo);
    wo.preview = 72;
    if (!(a = malloc(sizeof *a))) { /* the rows point into it: it stays put */
        fprintf(stderr, "neardup: compare failed: %s\n", nd_strerror(ND_ERR_NOMEM));
        goto out;
    }
    cli_scan_args_init(a);
    opt_pick(a->rows, corpus_rows, picked);
    opt_pick(a->rows, both_rows, both);

    const struct opt table[] = {
        {"format", 'f', NULL, OPT_KIND_CHOICE, &format, 0, 0, 0, 0, format_choices, "output format",
         NULL, NULL},
        {"output", 'o', "FILE", OPT_KIND_STRING, &output, 0, 0, 0, 0, NULL,
         "write to FILE (atomically) instead of standard output", "", NULL},
        CLI_PASSAGE_OPTIONS(co.min_passage, co.max_gap),
        OPT_TABLE(both),
        {"preview", 0, "N", OPT_KIND_UNSIGNED, &wo.preview, 0, 0, 0, 0, NULL,
         "text: characters shown per passage (0: none, as in scan)", NULL, NULL},
        CLI_NORM_OPTIONS(co.norm_flags),
        {"max-file-size", 0, "SIZE", OPT_KIND_SIZE, &co.max_file_size, 0, 0, 0, 0, NULL,
         "refuse larger files (after decompression)", NULL, NULL},
        CLI_ENCODING_OPTION(encoding),
        {"corpus", 0, NULL, OPT_KIND_FLAG, &corpus, 0, 0, 0, 0, NULL,
         "FILE PATH...: compare FILE with every document of PATH... even when "
         "there is one PATH and it is a file (an archive, a JSON Lines file); "
         "the options below are for this mode",
         NULL, NULL},
        OPT_TABLE(picked),
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL, "show this help", NULL, NULL},
        OPT_END,
    };

    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc)) goto out;
    if (npos < 2) {
        opt_error(PROG, "expected two documents A and B, got %d (see '" PROG " --help')", npos);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    co.threshold = a->o.threshold;
    co.shingle = a->o.shingle;
    if (corpus || npos > 2 || a->include.n || a->exclude.n || a->hidden || a->jsonl ||
        (strcmp(argv[1], "-") != 0 && stat(argv[1], &sb) == 0 && S_ISDIR(sb.st_mode))) {
        if (nd_compare_options_check(&co, msg, sizeof msg) != ND_OK) {
            opt_error(PROG, "%s", cli_option_message(msg, flags, sizeof flags));
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        rc = compare_corpus(a, &co, encoding, argv, npos, (nd_format)format, &wo, output);
        goto out;
    }
    cli_set_field(co.encoding, sizeof co.encoding, encoding);
    if (nd_compare_options_check(&co, msg, sizeof msg) != ND_OK) {
        opt_error(PROG, "%s", cli_option_message(msg, flags, sizeof flags));
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    /* an output that cannot be created is said before anything is read */
    if (output != NULL && strcmp(output, "-") != 0 && cli_probe_output(output, 0) != 0) {
        rc = CLI_EXIT_FATAL;
        goto out;
    }
    void *bar = NULL;
    nd_progress_fn progress = cli_progress_compare(a, &bar);
    st = nd_compare_paths_progress(argv[0], argv[1], &co, on_diag, NULL, progress, bar, &c);
    cli_progress_end(&a->bar);
    if (st == ND_ERR_NOMEM || st == ND_ERR_INTERNAL || st == ND_ERR_INVALID) {
        fprintf(stderr, "neardup: compare failed: %s\n", nd_strerror(st));
        goto out;
    }
    if (st != ND_OK) {
        rc = CLI_EXIT_SKIPPED;
        goto out;
    }
    struct output o = {c, NULL};
    rc = write_result(&o, (nd_format)format, &wo, output);
out:
    nd_compare_free(c);
    free(a);
    return rc;
}
