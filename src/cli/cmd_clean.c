/*
 * cmd_clean.c - `neardup clean --out DIR [options] PATH...`
 *
 * Scans PATH... like `neardup scan` (the same option rows: cli_scan_args),
 * plans the removals (nd_clean_plan_new: one paragraph kept per cluster,
 * --keep and --scope) and writes a copy of the input tree as the new
 * directory DIR without the removed paragraphs, plus, with --log, the JSONL
 * removal log from which the inputs can be rebuilt exactly.  --dry-run
 * prints what would be removed and writes only the log (--log).
 *
 * All or nothing (nd_clean_write_tree): the tree is built in
 * DIR.neardup-tmp.XXXXXX next to DIR and renamed to DIR at the end; the log
 * is written to LOG.neardup-tmp.XXXXXX and renamed to LOG just before, so
 * DIR present => LOG complete.  SIGINT/SIGTERM cancel the scan or the
 * writing (scanning.c): the temporaries are removed, DIR and LOG stay as
 * they were, "neardup: interrupted", exit 130.  Temporaries left by a killed
 * run are named before anything else (nd_clean_leftovers) and never reused.
 *
 * Messages (stderr, one line each):
 *   neardup clean: <usage error>                                exit 1
 *   neardup: 'DIR.neardup-tmp.XXXXXX' is left from an interrupted run; remove it
 *                                                               (a warning)
 *   neardup: refusing to write into input directory 'DIR'       exit 1
 *   neardup: refusing to overwrite input file 'FILE'            exit 1
 *   neardup: 'FILE' exists (use --force to overwrite)           exit 1
 *   neardup: 'FILE' is not part of a cleaned copy; not replacing 'DIR'
 *                                                               exit 1
 *   neardup: two inputs would be written to 'FILE'              exit 1
 *   neardup: cannot clean standard input; give files            exit 1
 *   neardup: cannot write 'FILE': <strerror>                    exit 3
 *   neardup: interrupted                                        exit 130
 *   skipped inputs as in scan                                   exit 2
 *   neardup: 'PATH' changed while it was read; results for it may be incomplete
 *   neardup: 'PATH' is left out of the cleaned copy             exit 2
 * Results (stdout): one summary line, or with --dry-run one line per removal
 * and the summary.
 */
#include <stdio.h>
#include <string.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

#define PROG "neardup clean"

struct clean_state {
    int quiet;
    int dry_run;
    size_t changed; /* files reported as changed while read (any time) */
};

static const struct opt_choice keep_choices[] = {
    {"first", ND_KEEP_FIRST},
    {"longest", ND_KEEP_LONGEST},
    {NULL, 0},
};

static const struct opt_choice scope_choices[] = {
    {"all", ND_SCOPE_ALL},
    {"cross", ND_SCOPE_CROSS},
    {"within", ND_SCOPE_WITHIN},
    {NULL, 0},
};

static void usage(const struct opt *table) {
    printf("usage: neardup clean --out DIR [options] PATH...\n"
           "\n"
           "Writes a copy of the given files and directories as the new\n"
           "directory DIR (same relative paths below each PATH) in which every\n"
           "cluster of near-duplicate paragraphs keeps one paragraph.  Everything\n"
           "else is preserved byte for byte; gzip inputs are written\n"
           "gzip-compressed; a JSON Lines file (--jsonl) keeps every record, in\n"
           "order, with the removed paragraphs cut from its text field.  Never\n"
           "writes into an input directory or over an\n"
           "input file.  DIR appears at once and complete (it is built in\n"
           "DIR.neardup-tmp.XXXXXX and renamed), after the log is complete.\n"
           "\n"
           "options:\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error or refused output, 2 some\n"
           "inputs were skipped, 3 fatal error (cannot write, out of memory),\n"
           "4 no input could be read (nothing written), 130 interrupted\n"
           "(Ctrl-C or SIGTERM; nothing is left behind).\n");
}

static void on_diag(void *user, const nd_diag *d) {
    struct clean_state *cs = user;
    char path[CLI_ESCAPE_SIZE];
    if (d->status == ND_ERR_CHANGED) cs->changed++;
    if (cs->quiet) return;
    cli_print_diag(d);
    /* the library leaves a changed file out of the cleaned tree */
    if (d->status == ND_ERR_CHANGED && !cs->dry_run)
        fprintf(stderr, "neardup: '%s' is left out of the cleaned copy\n",
                cli_escape(path, sizeof path, d->path ? d->path : ""));
}

/* One line per planned removal, then the summary. */
static void print_plan(const nd_report *rep, const nd_clean_plan *plan, int dry_run) {
    char a[CLI_ESCAPE_SIZE], b[CLI_ESCAPE_SIZE];
    size_t n = nd_clean_removal_count(plan), ndocs = nd_report_document_count(rep);
    size_t touched = 0;
    uint64_t bytes = 0;

    for (size_t i = 0; i < n; i++) {
        nd_removal_info ri;
        nd_paragraph_info kp;
        nd_document_info d, kd;
        if (nd_clean_removal(plan, i, &ri) != ND_OK ||
            nd_report_paragraph(rep, ri.kept, &kp) != ND_OK ||
            nd_report_document(rep, ri.doc, &d) != ND_OK ||
            nd_report_document(rep, kp.doc, &kd) != ND_OK)
            continue;
        bytes += ri.length;
        if (dry_run)
            printf("%s:%u: remove %llu bytes, duplicate of %s:%u "
                   "(similarity %.4f)\n",
                   cli_escape(a, sizeof a, d.path), (unsigned)ri.line,
                   (unsigned long long)ri.length, cli_escape(b, sizeof b, kd.path),
                   (unsigned)kp.line, ri.similarity);
    }
    for (size_t i = 0; i < ndocs; i++)
        if (nd_clean_doc_removed_bytes(plan, i) > 0) touched++;
    printf("%s %zu paragraph%s (%llu bytes) from %zu of %zu file%s\n",
           dry_run ? "would remove" : "removed", n, n == 1 ? "" : "s", (unsigned long long)bytes,
           touched, ndocs, ndocs == 1 ? "" : "s");
}

static void print_failure(const nd_clean_plan *plan, nd_status st, const char *dir) {
    char p[CLI_ESCAPE_SIZE], out_dir[CLI_ESCAPE_SIZE];
    int err = nd_clean_sys_errno(plan);
    cli_escape(out_dir, sizeof out_dir, dir ? dir : "");
    cli_escape(p, sizeof p, nd_clean_error_path(plan));
    switch (nd_clean_error_kind(plan)) {
    case ND_CLEAN_ERR_INPUT_DIR:
        fprintf(stderr, "neardup: refusing to write into input directory '%s'\n", p);
        break;
    case ND_CLEAN_ERR_INPUT_FILE:
        fprintf(stderr, "neardup: refusing to overwrite input file '%s'\n", p);
        break;
    case ND_CLEAN_ERR_EXISTS:
        fprintf(stderr, "neardup: '%s' exists (use --force to overwrite)\n", p);
        break;
    case ND_CLEAN_ERR_COLLISION:
        fprintf(stderr, "neardup: two inputs would be written to '%s'\n", p);
        break;
    case ND_CLEAN_ERR_STDIN:
        fprintf(stderr, "neardup: cannot clean standard input; give files\n");
        break;
    case ND_CLEAN_ERR_IO:
        fprintf(stderr, "neardup: cannot write '%s': %s\n", p,
                err ? strerror(err) : nd_strerror(st));
        break;
    case ND_CLEAN_ERR_FOREIGN:
        fprintf(stderr,
                "neardup: '%s' is not part of a cleaned copy; not "
                "replacing '%s'\n",
                p, out_dir);
        break;
    case ND_CLEAN_ERR_NONE:
    default: fprintf(stderr, "neardup: clean failed: %s\n", nd_strerror(st)); break;
    }
}

/* The message and exit code of an interrupted run. */
static int interrupted(void) {
    fprintf(stderr, "neardup: interrupted\n");
    return CLI_EXIT_INTERRUPTED;
}

static void on_leftover(void *user, const char *path) {
    char p[CLI_ESCAPE_SIZE];
    (void)user;
    fprintf(stderr, "neardup: '%s' is left from an interrupted run; remove it\n",
            cli_escape(p, sizeof p, path));
}

int cmd_clean(int argc, char **argv) { return cli_clean_main(argc, argv, NULL); }

int cli_clean_main(int argc, char **argv, const struct cli_scan_hooks *h) {
    int writer = !h || h->writer; /* this process speaks and writes the copy */
    struct cli_scan_args sa;      /* its rows point into it: it stays here */
    nd_clean_options co;
    struct clean_state cs = {0};
    nd_scanner *sc = NULL;
    nd_report *rep = NULL;
    nd_clean_plan *plan = NULL;
    const char *out_dir = NULL, *log_path = NULL;
    int keep, scope, dry_run = 0, force = 0, drop_empty = 0, npos = 0;
    int rc = CLI_EXIT_FATAL;
    size_t skipped;
    nd_summary sum;
    nd_status st;

    /* from the start: a signal before the scan cancels it when it starts */
    cli_signals_install();
    cli_scan_args_init(&sa);
    nd_clean_options_default(&co);
    keep = (int)co.keep;
    scope = (int)co.scope;

    const struct opt table[] = {
        {"out", 0, "DIR", OPT_KIND_STRING, &out_dir, 0, 0, 0, 0, NULL,
         "write the cleaned copy as the new directory DIR (required)", "", NULL},
        {"keep", 0, NULL, OPT_KIND_CHOICE, &keep, 0, 0, 0, 0, keep_choices,
         "keep the first (by path, then offset) or the longest paragraph", NULL, NULL},
        {"scope", 0, NULL, OPT_KIND_CHOICE, &scope, 0, 0, 0, 0, scope_choices,
         "remove repeats across documents, within a document, or both", NULL, NULL},
        {"log", 0, "FILE", OPT_KIND_STRING, &log_path, 0, 0, 0, 0, NULL,
         "write the removal log (JSONL) to FILE", "", NULL},
        {"dry-run", 'n', NULL, OPT_KIND_FLAG, &dry_run, 0, 0, 0, 0, NULL,
         "show what would be removed; write only the log (--log)", NULL, NULL},
        {"drop-empty", 0, NULL, OPT_KIND_FLAG, &drop_empty, 0, 0, 0, 0, NULL,
         "with --jsonl: leave out the records whose text became empty (all "
         "of it removed); the log keeps each one",
         NULL, NULL},
        {"force", 0, NULL, OPT_KIND_FLAG, &force, 0, 0, 0, 0, NULL,
         "replace an existing log, and an existing DIR that holds a previous "
         "cleaned copy",
         NULL, NULL},
        OPT_TABLE(sa.rows),
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL, "show this help", NULL, NULL},
        OPT_END,
    };

    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc)) goto out;
    if (out_dir == NULL || out_dir[0] == '\0') {
        opt_error(PROG, "--out DIR is required (see '" PROG " --help')");
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    if (npos == 0) {
        opt_error(PROG, "no PATH given (see '" PROG " --help')");
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    co.keep = (nd_keep)keep;
    co.scope = (nd_scope)scope;
    co.drop_empty = drop_empty;
    if (cli_scan_args_finish(&sa, PROG) != 0) {
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    cs.quiet = sa.quiet || !writer;
    if (!writer) { /* no progress bar either */
        sa.progress = 0;
        sa.progress_seen = 1;
    }
    for (int i = 0; i < npos; i++) {
        if (strcmp(argv[i], "-") == 0) {
            if (writer) fprintf(stderr, "neardup: cannot clean standard input; give files\n");
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    }
    /* outputs that cannot be made fail now, not after the scan */
    if (writer && ((!dry_run && cli_probe_output(out_dir, 1) != 0) ||
                   (log_path && cli_probe_output(log_path, 0) != 0)))
        goto out;
    /* what a killed run left is named first, and never reused */
    st = writer ? nd_clean_leftovers(out_dir, log_path, on_leftover, NULL) : ND_OK;
    if (st != ND_OK) {
        fprintf(stderr, "neardup: clean failed: %s\n", nd_strerror(st));
        goto out;
    }

    if (cli_scanner_new(&sa, on_diag, &cs, &sc) != ND_OK) goto out;
    cli_signals_scanner(sc);
    for (int i = 0; i < npos; i++) {
        st = nd_scanner_add_path(sc, argv[i]);
        if (st != ND_OK) {
            cli_scan_failed(sc, st);
            goto out;
        }
    }
    cs.dry_run = dry_run;
    st = h ? h->run(h->user, sc, 0, &rep) : nd_scanner_run(sc, &rep);
    skipped = nd_scanner_skipped(sc); /* with files that changed during the run */
    cli_signals_scanner(NULL);
    cli_progress_end(&sa.bar);
    if (st == ND_ERR_CANCELLED || (st == ND_OK && cli_interrupted())) {
        rc = interrupted();
        goto out;
    }
    if (st == ND_OK && !rep) { /* h->run: this process has nothing to write */
        rc = CLI_EXIT_OK;
        goto out;
    }
    if (st == ND_OK) st = nd_report_summary(rep, &sum);
    if (st != ND_OK) {
        if (writer) cli_scan_failed(sc, st);
        goto out;
    }
    if (sum.files == 0 && skipped > 0) {
        fprintf(stderr, "neardup: no input could be read\n");
        rc = CLI_EXIT_NO_INPUT; /* not a partial report: none at all */
        goto out;
    }
    st = nd_clean_plan_new(rep, &co, &plan);
    if (st != ND_OK) {
        fprintf(stderr, "neardup: clean failed: %s\n", nd_strerror(st));
        goto out;
    }
    cli_progress_clean(&sa, plan);
    cli_signals_clean(plan); /* cancels at once after a signal */
    if (!dry_run || log_path) {
        st = nd_clean_write_tree(plan, (const char *const *)argv, (size_t)npos,
                                 dry_run ? NULL : out_dir, log_path, force);
        cli_signals_clean(NULL);
        cli_progress_end(&sa.bar);
        if (st == ND_ERR_CANCELLED) {
            rc = interrupted();
            goto out;
        }
        if (st != ND_OK) {
            print_failure(plan, st, out_dir);
            rc = st == ND_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FATAL;
            goto out;
        }
    }
    cli_signals_clean(NULL);
    print_plan(rep, plan, dry_run);
    /* files found changed while planning or writing count too */
    rc = skipped > 0 || cs.changed > 0 ? CLI_EXIT_SKIPPED : CLI_EXIT_OK;
    /* a signal that came too late to stop the writing (the output is
     * complete) still ends the program as interrupted */
    if (cli_interrupted()) rc = interrupted();
out:
    cli_signals_scanner(NULL);
    cli_signals_clean(NULL);
    nd_clean_plan_free(plan);
    nd_report_free(rep);
    nd_scanner_free(sc);
    return rc;
}
