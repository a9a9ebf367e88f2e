/*
 * cmd_scan.c - `neardup scan [options] PATH...`
 *
 * Builds an nd_options from the defaults and the command line, feeds every
 * PATH to a scanner, runs it and renders the report on standard output or
 * atomically into -o FILE.
 *
 * Messages (all on stderr, one line each, paths escaped by cli_escape):
 *   neardup scan: <usage error>                       exit 1
 *   neardup: cannot open 'PATH': <strerror>           input skipped
 *   neardup: skipping 'PATH': <nd_strerror>[ (<detail>)]  input skipped
 *   neardup: 'PATH' changed while it was read; results for it may be incomplete
 *                                                     exit 2, report written
 *   neardup: no input could be read                   exit 4, no report
 *   neardup: cannot write 'FILE': <reason>            exit 3
 * Exit 2 means the report was written but some inputs are missing from it.
 *
 * --db DB renders the report of the corpus indexed in DB (nd_index_scan)
 * instead of scanning PATHs: no PATH, no option that changes what is
 * compared or read (those are the index's; db_row_ok lists the shared rows
 * it takes) and no --passages; then:
 *   neardup scan: --OPTION cannot be given with --db (...)   exit 1
 *   neardup: <the index's message>                         exit 3
 * The inputs the index's walks skipped are in the report, but this run
 * skipped nothing: exit 0.
 *
 * --stats prints, after the report, the time and peak resident memory of
 * each stage and the counts of the run to stderr (print_stats), and adds
 * the same figures to the jsonl/json summary (nd_write_options.stats).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

#define PROG "neardup scan"

struct scan_state {
    int quiet;
    size_t changed; /* files reported as changed while read (any time) */
};

static const struct opt_choice format_choices[] = {
    {"text", ND_FORMAT_TEXT}, {"jsonl", ND_FORMAT_JSONL}, {"json", ND_FORMAT_JSON},
    {"csv", ND_FORMAT_CSV},   {"html", ND_FORMAT_HTML},   {NULL, 0},
};

static void usage(const struct opt *table) {
    printf("usage: neardup scan [options] PATH...\n"
           "       neardup scan --db DB [report options]\n"
           "\n"
           "Finds near-duplicate paragraphs in the given files and directories\n"
           "(walked recursively; gzip data is decompressed; '-' reads standard\n"
           "input) and reports clusters of similar paragraphs and how much each\n"
           "document overlaps the others.  With --db, the corpus indexed in DB\n"
           "('neardup index create') is reported from the index alone, as a scan\n"
           "of its files with the index's options would report it.\n"
           "\n"
           "options:\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error, 2 some inputs were skipped,\n"
           "3 fatal error (out of memory, cannot write the output), 4 no input\n"
           "could be read (no report), 130 interrupted (Ctrl-C or SIGTERM;\n"
           "temporary files are removed).\n");
}

static void on_diag(void *user, const nd_diag *d) {
    struct scan_state *ss = user;

    if (d->status == ND_ERR_CHANGED) ss->changed++;
    if (!ss->quiet) cli_print_diag(d);
}

static void report_write_error(const char *what, nd_status st, int err) {
    char shown[CLI_ESCAPE_SIZE];
    cli_escape(shown, sizeof shown, what);
    fprintf(stderr, "neardup: cannot write '%s': %s\n", shown,
            err ? strerror(err) : nd_strerror(st));
}

/* The shared scan rows --db takes (how the run goes, not what is
 * compared: that is the index's). */
static int db_row_ok(const char *name) {
    static const char *const ok[] = {"threads",  "common-docs",   "memory", "tmpdir",
                                     "progress", "max-file-size", "quiet",  NULL};
    for (int i = 0; ok[i]; i++)
        if (strcmp(name, ok[i]) == 0) return 1;
    return 0;
}

/* The report of the corpus indexed in db (nd_index_scan): 0, or the exit
 * status of a failure it printed. */
static int scan_db(const char *db, struct cli_scan_args *sa, struct scan_state *ss,
                   nd_report **rep) {
    nd_index *idx = NULL;
    char shown[CLI_ESCAPE_SIZE];
    nd_status st = nd_index_open(db, NULL, 0, &idx);
    if (st == ND_OK) {
        nd_index_set_diag(idx, on_diag, ss);
        st = nd_index_scan(idx, &sa->o, rep);
    }
    if (st != ND_OK) {
        const char *m = idx ? nd_index_errmsg(idx) : "";
        fprintf(stderr, "neardup: %s\n",
                cli_escape(shown, sizeof shown, m[0] ? m : nd_strerror(st)));
    }
    nd_index_close(idx);
    return st == ND_OK ? 0 : CLI_EXIT_FATAL;
}

static void print_mb(uint64_t bytes) {
    if (bytes) fprintf(stderr, "  %10.1f MB", (double)bytes / 1e6);
}

/* The --stats block on stderr: seconds and peak memory per stage, the
 * writer's time, and the counts. */
static void print_stats(const nd_report *rep, double write_seconds) {
    nd_timings tm;
    nd_summary sm;
    if (nd_report_timings(rep, &tm) != ND_OK || nd_report_summary(rep, &sm) != ND_OK) return;
    fprintf(stderr,
            "neardup: stats (%u thread%s; peak memory is the "
            "process's resident set; input files are read, not mapped)\n",
            tm.threads, tm.threads == 1 ? "" : "s");
    fprintf(stderr, "  %-8s %9s  %13s\n", "stage", "seconds", "peak memory");
    for (int s = 0; s < ND_STAGE_COUNT_; s++) {
        if (s == ND_STAGE_PASSAGE && !sm.passages) continue; /* not asked for */
        fprintf(stderr, "  %-8s %9.3f", nd_stage_name((nd_stage)s), tm.stage[s]);
        print_mb(tm.peak_rss[s]);
        fputc('\n', stderr);
    }
    fprintf(stderr, "  %-8s %9.3f\n", "write", write_seconds);
    fprintf(stderr, "  %-8s %9.3f\n", "total", tm.total + write_seconds);
    fprintf(stderr,
            "  files %llu, bytes %llu, paragraphs %llu (%llu short), "
            "candidate pairs %llu, verified %llu, clusters %llu\n",
            (unsigned long long)sm.files, (unsigned long long)sm.bytes,
            (unsigned long long)sm.paragraphs, (unsigned long long)sm.short_paragraphs,
            (unsigned long long)sm.candidate_pairs, (unsigned long long)sm.verified_pairs,
            (unsigned long long)sm.clusters);
    if (sm.passages)
        fprintf(stderr, "  passages %llu (%llu common text)\n",
                (unsigned long long)sm.passage_records, (unsigned long long)sm.common_passages);
    fprintf(stderr,
            "  LSH %u bands x %u rows, memory limit %.1f MB, %llu spill "
            "runs (%llu bytes)\n",
            sm.bands, sm.rows, (double)tm.memory_limit / 1e6, (unsigned long long)tm.spill_runs,
            (unsigned long long)tm.spill_bytes);
}

int cmd_scan(int argc, char **argv) { return cli_scan_main(argc, argv, NULL); }

int cli_scan_main(int argc, char **argv, const struct cli_scan_hooks *h) {
    int writer = !h || h->writer; /* this process speaks and writes the report */
    struct cli_scan_args sa;      /* its rows point into it: it stays here */
    nd_write_options wo;
    struct scan_state ss = {0};
    nd_scanner *sc = NULL;
    nd_report *rep = NULL;
    const char *output = NULL, *db = NULL;
    unsigned row_seen[CLI_SCAN_ROWS] = {0};
    int format = ND_FORMAT_TEXT, npos = 0, rc = CLI_EXIT_FATAL, passages = 0;
    int text = 0;
    size_t skipped;
    nd_summary sum;
    nd_status st;

    /* from the start: a signal before the scan cancels it when it starts */
    cli_signals_install();
    cli_scan_args_init(&sa);
    nd_write_options_default(&wo);
    for (size_t i = 0; i < CLI_SCAN_ROWS && sa.rows[i].kind != OPT_KIND_END; i++)
        if (!sa.rows[i].seen) sa.rows[i].seen = &row_seen[i]; /* for --db */

    const struct opt table[] = {
        {"format", 'f', NULL, OPT_KIND_CHOICE, &format, 0, 0, 0, 0, format_choices, "output format",
         NULL, NULL},
        {"output", 'o', "FILE", OPT_KIND_STRING, &output, 0, 0, 0, 0, NULL,
         "write the report to FILE (atomically) instead of standard output", "", NULL},
        {"emit-paragraphs", 0, NULL, OPT_KIND_FLAG, &wo.emit_paragraphs, 0, 0, 0, 0, NULL,
         "jsonl/json: add one record per paragraph", NULL, NULL},
        {"text", 0, NULL, OPT_KIND_FLAG, &text, 0, 0, 0, 0, NULL,
         "jsonl/json: every cluster member (and paragraph record) carries "
         "its text",
         NULL, NULL},
        {"top", 0, "N", OPT_KIND_UNSIGNED, &wo.top, 0, 0, 0, 0, NULL,
         "text: rows per section (0: all)", NULL, NULL},
        {"preview", 0, "N", OPT_KIND_UNSIGNED, &wo.preview, 0, 0, 0, 0, NULL,
         "text: characters of paragraph previews (0: none)", NULL, NULL},
        {"passages", 0, NULL, OPT_KIND_FLAG, &passages, 0, 0, 0, 0, NULL,
         "also find every passage of at least --min-passage characters that "
         "appears in two or more places, wherever paragraphs begin and end",
         NULL, NULL},
        CLI_PASSAGE_OPTIONS(sa.o.min_passage, sa.o.max_gap),
        {"db", 0, "DB", OPT_KIND_STRING, &db, 0, 0, 0, 0, NULL,
         "report the corpus indexed in DB ('neardup index create') from the index "
         "alone, instead of PATHs: its options are the index's",
         "", NULL},
        {"stats", 0, NULL, OPT_KIND_FLAG, &wo.stats, 0, 0, 0, 0, NULL,
         "print time and peak memory per stage and the counts to stderr "
         "(jsonl/json: also in the summary)",
         NULL, NULL},
        OPT_TABLE(sa.rows),
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL, "show this help", NULL, NULL},
        OPT_END,
    };

    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc)) goto out;
    sa.o.passages = passages != 0;
    if (wo.emit_paragraphs) wo.emit_paragraphs = ND_EMIT_PARAGRAPHS;
    if (text) wo.emit_paragraphs |= ND_EMIT_TEXT;
    if (cli_scan_args_finish(&sa, PROG) != 0) {
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    ss.quiet = sa.quiet || !writer;
    if (!writer) { /* no progress bar either */
        sa.progress = 0;
        sa.progress_seen = 1;
    }

    if (db) { /* what is compared, and what is read, is the index's */
        for (size_t i = 0; i < CLI_SCAN_ROWS && sa.rows[i].kind != OPT_KIND_END; i++)
            if (*sa.rows[i].seen && !db_row_ok(sa.rows[i].name)) {
                /* a normalisation switch is named as it turns a step off */
                int neg = sa.rows[i].kind == OPT_KIND_NEGBIT;
                opt_error(PROG, "--%s%s cannot be given with --db (the index's options are used)",
                          neg ? "no-" : "", sa.rows[i].name);
                rc = CLI_EXIT_USAGE;
                goto out;
            }
        if (npos > 0 || passages) {
            opt_error(PROG, "--db reads the index: %s",
                      npos ? "no PATH can be given" : "--passages is not indexed");
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    } else if (npos == 0) {
        opt_error(PROG, "no PATH given ('-' reads standard input; see '" PROG " --help')");
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    /* an output that cannot be made fails now, not after the scan */
    if (writer && output != NULL && strcmp(output, "-") != 0 && cli_probe_output(output, 0) != 0)
        goto out;
    if (db) {
        if ((rc = scan_db(db, &sa, &ss, &rep)) != 0) goto out;
        rc = CLI_EXIT_FATAL;
        skipped = 0;
        goto report;
    }
    if (cli_scanner_new(&sa, on_diag, &ss, &sc) != ND_OK) goto out;
    cli_signals_scanner(sc);
    for (int i = 0; i < npos; i++) {
        st = nd_scanner_add_path(sc, argv[i]);
        if (st != ND_OK) {
            cli_scan_failed(sc, st);
            goto out;
        }
    }
    st = h ? h->run(h->user, sc, wo.stats, &rep) : nd_scanner_run(sc, &rep);
    skipped = nd_scanner_skipped(sc); /* with files that changed during the run */
    cli_signals_scanner(NULL);
    cli_progress_end(&sa.bar);
    if (st == ND_ERR_CANCELLED) {
        fprintf(stderr, "neardup: interrupted\n");
        rc = CLI_EXIT_INTERRUPTED;
        goto out;
    }
    if (st != ND_OK) {
        if (writer) cli_scan_failed(sc, st);
        goto out;
    }
    if (!rep) { /* h->run: this process had no report to write */
        rc = CLI_EXIT_OK;
        goto out;
    }
    nd_scanner_free(sc); /* the report keeps what it needs */
    sc = NULL;
report:
    st = nd_report_summary(rep, &sum);
    if (st != ND_OK) {
        fprintf(stderr, "neardup: scan failed: %s\n", nd_strerror(st));
        goto out;
    }
    if (sum.files == 0 && skipped > 0) {
        fprintf(stderr, "neardup: no input could be read\n");
        rc = CLI_EXIT_NO_INPUT; /* not a partial report: none at all */
        goto out;
    }

    if (cli_interrupted()) {
        fprintf(stderr, "neardup: interrupted\n");
        rc = CLI_EXIT_INTERRUPTED;
        goto out;
    }
    double write_start = cli_now();
    if (output != NULL && strcmp(output, "-") != 0) {
        sigset_t block, saved;
        /* The atomic write is not interruptible: with SIGINT/SIGTERM held
         * back, a second Ctrl-C (SA_RESETHAND) cannot kill the program
         * between mkstemp and rename and leave the temporary file behind;
         * it takes effect once the report is complete. */
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigprocmask(SIG_BLOCK, &block, &saved);
        st = nd_report_write_path(rep, (nd_format)format, &wo, output);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        if (st != ND_OK) {
            report_write_error(output, st, st == ND_ERR_IO ? nd_report_sys_errno(rep) : 0);
            goto out;
        }
    } else {
        /* the text report fits the terminal it goes to (else 100 columns) */
        st = nd_report_write_width(rep, (nd_format)format, &wo, cli_stdout_width(),
                                   cli_write_stdout, NULL);
        if (st == ND_OK && fflush(stdout) != 0) st = ND_ERR_IO;
        if (st != ND_OK) {
            int err =
                st == ND_ERR_IO && nd_report_sys_errno(rep) ? nd_report_sys_errno(rep) : errno;
            fprintf(stderr, "neardup: cannot write standard output: %s\n",
                    st == ND_ERR_IO && err ? strerror(err) : nd_strerror(st));
            goto out;
        }
    }
    if (wo.stats) print_stats(rep, cli_now() - write_start);
    /* files found changed while the report was written count too */
    rc = skipped > 0 || ss.changed > 0 ? CLI_EXIT_SKIPPED : CLI_EXIT_OK;
out:
    cli_signals_scanner(NULL);
    nd_report_free(rep);
    nd_scanner_free(sc);
    return rc;
}
