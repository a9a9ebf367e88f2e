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
 *   neardup: no input could be read                   exit 2
 *   neardup: cannot write 'FILE': <reason>            exit 3
 * Exit 2 means the report was written but some inputs are missing from it.
 *
 * --stats prints, after the report, the time and peak resident memory of
 * each stage and the counts of the run to stderr (print_stats), and adds
 * the same figures to the jsonl/json summary (nd_write_options.stats).
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

#define PROG "neardup scan"

struct scan_state {
    int quiet;
    size_t changed; /* files reported as changed while read (any time) */
};

/* The scanner that SIGINT/SIGTERM cancel.  The handler only calls
 * nd_scanner_cancel(), which is async-signal-safe; the run then returns
 * ND_ERR_CANCELLED with its temporary files already gone. */
static nd_scanner *_Atomic cli_running;
/* Set by the handler when no scan was running to cancel (the signal came
 * after the run): the report is then not written. */
static volatile sig_atomic_t cli_interrupted;

static void on_signal(int sig)
{
    (void)sig;
    nd_scanner *sc = atomic_load(&cli_running);
    if (sc)
        nd_scanner_cancel(sc);
    else
        cli_interrupted = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Progress bar on stderr: stage, percentage, MB/s and ETA, at most ten
 * redraws a second. */
struct progress_state {
    double start, stage_start, last;
    int stage, drawn;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_progress(void *user, const nd_progress *p)
{
    static const char *const names[] = {"read", "split", "sketch", "exact",
                                        "lsh", "verify", "cluster", "report"};
    struct progress_state *ps = user;
    double t = mono_now();
    if ((int)p->stage != ps->stage) {
        ps->stage = (int)p->stage;
        ps->stage_start = t;
    } else if (t - ps->last < 0.1) {
        return;
    }
    ps->last = t;
    double frac = p->total ? (double)p->done / (double)p->total : 0.0;
    double el = t - ps->stage_start;
    char rate[64] = "";
    if ((p->stage == ND_STAGE_SPLIT || p->stage == ND_STAGE_SKETCH) && el > 0.05 &&
        p->done > 0) {
        double bps = (double)p->done / el;
        snprintf(rate, sizeof rate, " %7.1f MB/s  ETA %4.0fs", bps / 1e6,
                 (double)(p->total - p->done) / bps);
    }
    int width = 30, fill = (int)(frac * width + 0.5);
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r%-7s [%s] %3.0f%%%s  %.0fs\033[K",
            (unsigned)p->stage < sizeof names / sizeof *names ? names[p->stage] : "?",
            bar, frac * 100.0, rate, t - ps->start);
    ps->drawn = 1;
}

static const struct opt_choice format_choices[] = {
    {"text", ND_FORMAT_TEXT},
    {"jsonl", ND_FORMAT_JSONL},
    {"json", ND_FORMAT_JSON},
    {"csv", ND_FORMAT_CSV},
    {"html", ND_FORMAT_HTML},
    {NULL, 0},
};

static void usage(const struct opt *table)
{
    printf("usage: neardup scan [options] PATH...\n"
           "\n"
           "Finds near-duplicate paragraphs in the given files and directories\n"
           "(walked recursively; gzip data is decompressed; '-' reads standard\n"
           "input) and reports clusters of similar paragraphs and how much each\n"
           "document overlaps the others.\n"
           "\n"
           "options:\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error, 2 some inputs were skipped,\n"
           "3 fatal error (out of memory, cannot write the output),\n"
           "130 interrupted (Ctrl-C or SIGTERM; temporary files are removed).\n");
}

static void on_diag(void *user, const nd_diag *d)
{
    struct scan_state *ss = user;

    if (d->status == ND_ERR_CHANGED)
        ss->changed++;
    if (!ss->quiet)
        cli_print_diag(d);
}

static int write_stdout(void *user, const void *buf, size_t len)
{
    (void)user;
    if (len == 0)
        return 0;
    errno = 0;
    if (fwrite(buf, 1, len, stdout) != len)
        return errno ? errno : EIO;
    return 0;
}

static void report_write_error(const char *what, nd_status st, int err)
{
    char shown[CLI_ESCAPE_SIZE];
    cli_escape(shown, sizeof shown, what);
    fprintf(stderr, "neardup: cannot write '%s': %s\n", shown,
            err ? strerror(err) : nd_strerror(st));
}

static void print_mb(uint64_t bytes)
{
    if (bytes)
        fprintf(stderr, "  %10.1f MB", (double)bytes / 1e6);
}

/* The --stats block on stderr: seconds and peak memory per stage, the
 * writer's time, and the counts. */
static void print_stats(const nd_report *rep, double write_seconds)
{
    nd_timings tm;
    nd_summary sm;
    if (nd_report_timings(rep, &tm) != ND_OK || nd_report_summary(rep, &sm) != ND_OK)
        return;
    fprintf(stderr, "neardup: stats (%u thread%s; peak memory is the "
                    "process's resident set; input files are read, not mapped)\n",
            tm.threads, tm.threads == 1 ? "" : "s");
    fprintf(stderr, "  %-8s %9s  %13s\n", "stage", "seconds", "peak memory");
    for (int s = 0; s < ND_STAGE_COUNT_; s++) {
        fprintf(stderr, "  %-8s %9.3f", nd_stage_name((nd_stage)s), tm.stage[s]);
        print_mb(tm.peak_rss[s]);
        fputc('\n', stderr);
    }
    fprintf(stderr, "  %-8s %9.3f\n", "write", write_seconds);
    fprintf(stderr, "  %-8s %9.3f\n", "total", tm.total + write_seconds);
    fprintf(stderr, "  files %llu, bytes %llu, paragraphs %llu (%llu short), "
                    "candidate pairs %llu, verified %llu, clusters %llu\n",
            (unsigned long long)sm.files, (unsigned long long)sm.bytes,
            (unsigned long long)sm.paragraphs, (unsigned long long)sm.short_paragraphs,
            (unsigned long long)sm.candidate_pairs, (unsigned long long)sm.verified_pairs,
            (unsigned long long)sm.clusters);
    fprintf(stderr, "  LSH %u bands x %u rows, memory limit %.1f MB, %llu spill "
                    "runs (%llu bytes)\n",
            sm.bands, sm.rows, (double)tm.memory_limit / 1e6,
            (unsigned long long)tm.spill_runs, (unsigned long long)tm.spill_bytes);
}

int cmd_scan(int argc, char **argv)
{
    nd_options o;
    nd_write_options wo;
    struct scan_state ss = {0};
    struct progress_state ps = {0};
    const char *tmpdir = NULL;
    unsigned progress = 0, progress_seen = 0;
    nd_scanner *sc = NULL;
    nd_report *rep = NULL;
    const char *output = NULL;
    int format = ND_FORMAT_TEXT, split, npos = 0, rc = CLI_EXIT_FATAL;
    unsigned bands_seen = 0, rows_seen = 0;
    size_t skipped;
    nd_summary sum;
    nd_status st;
    char msg[256];

    const char *encoding = NULL;
    nd_options_default(&o);
    uint64_t max_para = o.max_paragraph_bytes;
    nd_write_options_default(&wo);
    split = (int)o.split;

    const struct opt table[] = {
        {"format", 'f', NULL, OPT_KIND_CHOICE, &format, 0, 0, 0, 0,
         format_choices, "output format", NULL, NULL},
        {"output", 'o', "FILE", OPT_KIND_STRING, &output, 0, 0, 0, 0, NULL,
         "write the report to FILE (atomically) instead of standard output",
         "", NULL},
        {"split", 0, NULL, OPT_KIND_CHOICE, &split, 0, 0, 0, 0, cli_split_choices,
         "paragraphs: every line, blank-line blocks, or auto per file", NULL,
         NULL},
        {"min-chars", 0, "N", OPT_KIND_UNSIGNED, &o.min_chars, 0, 0, 0, 0,
         NULL, "shorter paragraphs (normalised characters) are not clustered",
         NULL, NULL},
        {"threshold", 0, "T", OPT_KIND_DOUBLE, &o.threshold, 0, 0, 1, 1, NULL,
         "Jaccard similarity in (0, 1] that makes paragraphs duplicates",
         NULL, NULL},
        {"num-perm", 0, "K", OPT_KIND_UNSIGNED, &o.num_perm, 0, 0, 0, 0, NULL,
         "MinHash values per paragraph", NULL, NULL},
        {"shingle", 0, "N", OPT_KIND_UNSIGNED, &o.shingle, 0, 0, 0, 0, NULL,
         "tokens (characters or words) per shingle", NULL, NULL},
        {"bands", 0, "B", OPT_KIND_UNSIGNED, &o.bands, 0, 0, 0, 0, NULL,
         "LSH bands; give --rows too", "chosen from T and K", &bands_seen},
        {"rows", 0, "R", OPT_KIND_UNSIGNED, &o.rows, 0, 0, 0, 0, NULL,
         "LSH rows per band; give --bands too", "chosen from T and K",
         &rows_seen},
        {"seed", 0, "N", OPT_KIND_U64, &o.seed, 0, 0, 0, 0, NULL,
         "seed of the shingle hashes and permutations", NULL, NULL},
        CLI_NORM_OPTIONS(o.norm_flags),
        {"emit-paragraphs", 0, NULL, OPT_KIND_FLAG, &wo.emit_paragraphs, 0, 0,
         0, 0, NULL, "jsonl/json: add one record per paragraph", NULL, NULL},
        {"top", 0, "N", OPT_KIND_UNSIGNED, &wo.top, 0, 0, 0, 0, NULL,
         "text: rows per section", NULL, NULL},
        {"preview", 0, "N", OPT_KIND_UNSIGNED, &wo.preview, 0, 0, 0, 0, NULL,
         "text: characters of paragraph previews", NULL, NULL},
        CLI_ENCODING_OPTION(encoding),
        {"max-file-size", 0, "SIZE", OPT_KIND_SIZE, &o.max_file_size, 0, 0, 0,
         0, NULL, "skip larger files (after decompression; K, M, G suffixes)",
         NULL, NULL},
        {"max-paragraph-bytes", 0, "SIZE", OPT_KIND_SIZE, &max_para, 0, 0, 0,
         0, NULL, "cut longer paragraphs into pieces (with a note); K, M suffixes",
         NULL, NULL},
        {"threads", 0, "N", OPT_KIND_UNSIGNED, &o.threads, 0, 0, 0, 0, NULL,
         "worker threads, 0 = one per core", NULL, NULL},
        {"common-docs", 0, "N", OPT_KIND_UNSIGNED, &o.common_docs, 0, 0, 0, 0, NULL,
         "clusters in more documents are common text (boilerplate), left out "
         "of document-pair overlaps; 0 = no limit", NULL, NULL},
        {"memory", 0, "SIZE", OPT_KIND_SIZE, &o.memory_limit, 0, 0, 0, 0, NULL,
         "memory for LSH band keys; past it they spill to --tmpdir (K, M, G)",
         "1/4 of RAM", NULL},
        {"tmpdir", 0, "DIR", OPT_KIND_STRING, &tmpdir, 0, 0, 0, 0, NULL,
         "directory for temporary files", "$TMPDIR or /tmp", NULL},
        {"progress", 0, NULL, OPT_KIND_NEGBIT, &progress, 1, 0, 0, 0, NULL,
         "progress bar on stderr (--no-progress: none)",
         "when stderr is a terminal", &progress_seen},
        {"stats", 0, NULL, OPT_KIND_FLAG, &wo.stats, 0, 0, 0, 0, NULL,
         "print time and peak memory per stage and the counts to stderr "
         "(jsonl/json: also in the summary)", NULL, NULL},
        {"quiet", 'q', NULL, OPT_KIND_FLAG, &ss.quiet, 0, 0, 0, 0, NULL,
         "no warnings about skipped inputs", NULL, NULL},
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL,
         "show this help", NULL, NULL},
        OPT_END,
    };

    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc))
        goto out;
    if (bands_seen != rows_seen) {
        opt_error(PROG, "--bands and --rows must be given together");
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    o.split = (nd_split_mode)split;
    o.max_paragraph_bytes =
        max_para > UINT32_MAX ? UINT32_MAX : (uint32_t)max_para; /* checked below */
    cli_set_encoding(&o, encoding);
    if (nd_options_check(&o, msg, sizeof msg) != ND_OK) {
        opt_error(PROG, "%s", msg);
        rc = CLI_EXIT_USAGE;
        goto out;
    }

    if (npos == 0) {
        opt_error(PROG, "no PATH given ('-' reads standard input; see '"
                        PROG " --help')");
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    st = nd_scanner_new(&o, &sc);
    if (st != ND_OK) {
        fprintf(stderr, "neardup: cannot start the scan: %s\n",
                nd_strerror(st));
        goto out;
    }
    nd_scanner_set_diag(sc, on_diag, &ss);
    if (nd_scanner_set_tmpdir(sc, tmpdir) != ND_OK) {
        fprintf(stderr, "neardup: scan failed: %s\n", nd_strerror(ND_ERR_NOMEM));
        goto out;
    }
    if (progress_seen ? (progress & 1u) != 0 : isatty(STDERR_FILENO) == 1) {
        ps.start = ps.last = mono_now();
        ps.stage = -1;
        nd_scanner_set_progress(sc, on_progress, &ps);
    }
    atomic_store(&cli_running, sc);
    install_signals();
    for (int i = 0; i < npos; i++) {
        st = nd_scanner_add_path(sc, argv[i]);
        if (st != ND_OK) {
            fprintf(stderr, "neardup: scan failed: %s\n", nd_strerror(st));
            goto out;
        }
    }
    st = nd_scanner_run(sc, &rep);
    skipped = nd_scanner_skipped(sc); /* with files that changed during the run */
    atomic_store(&cli_running, NULL);
    if (ps.drawn)
        fputs("\r\033[K", stderr);
    if (st == ND_ERR_CANCELLED) {
        fprintf(stderr, "neardup: interrupted\n");
        rc = CLI_EXIT_INTERRUPTED;
        goto out;
    }
    if (st != ND_OK) {
        fprintf(stderr, "neardup: scan failed: %s\n", nd_strerror(st));
        goto out;
    }
    nd_scanner_free(sc); /* the report keeps what it needs */
    sc = NULL;

    st = nd_report_summary(rep, &sum);
    if (st != ND_OK) {
        fprintf(stderr, "neardup: scan failed: %s\n", nd_strerror(st));
        goto out;
    }
    if (sum.files == 0 && skipped > 0) {
        fprintf(stderr, "neardup: no input could be read\n");
        rc = CLI_EXIT_SKIPPED;
        goto out;
    }

    if (cli_interrupted) {
        fprintf(stderr, "neardup: interrupted\n");
        rc = CLI_EXIT_INTERRUPTED;
        goto out;
    }
    double write_start = mono_now();
    if (output != NULL && strcmp(output, "-") != 0) {
        int err = 0;
        sigset_t block, saved;
        /* The atomic write is not interruptible: with SIGINT/SIGTERM held
         * back, a second Ctrl-C (SA_RESETHAND) cannot kill the program
         * between mkstemp and rename and leave the temporary file behind;
         * it takes effect once the report is complete. */
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigaddset(&block, SIGTERM);
        sigprocmask(SIG_BLOCK, &block, &saved);
        st = nd_report_write_path(rep, (nd_format)format, &wo, output, &err);
        sigprocmask(SIG_SETMASK, &saved, NULL);
        if (st != ND_OK) {
            report_write_error(output, st, err);
            goto out;
        }
    } else {
        st = nd_report_write(rep, (nd_format)format, &wo, write_stdout, NULL);
        if (st == ND_OK && fflush(stdout) != 0)
            st = ND_ERR_IO;
        if (st != ND_OK) {
            int err = errno;
            fprintf(stderr, "neardup: cannot write standard output: %s\n",
                    st == ND_ERR_IO && err ? strerror(err) : nd_strerror(st));
            goto out;
        }
    }
    if (wo.stats)
        print_stats(rep, mono_now() - write_start);
    /* files found changed while the report was written count too */
    rc = skipped > 0 || ss.changed > 0 ? CLI_EXIT_SKIPPED : CLI_EXIT_OK;
out:
    atomic_store(&cli_running, NULL);
    nd_report_free(rep);
    nd_scanner_free(sc);
    return rc;
}
