/*
 * scanning.c - what every command that scans shares (scan, clean): the ONE
 * list of the options that change what is compared or how the scan runs,
 * the scanner set up from them, the progress bar, and SIGINT/SIGTERM.
 *
 * Options.  cli_scan_args_init fills a struct cli_scan_args with the
 * library's defaults and its `rows` with the shared option rows; a command
 * includes them in its table with OPT_TABLE(args.rows), so parsing and
 * --help of scan and clean come from the same rows (opt.h).
 *
 * Signals.  The handler sets a flag and calls the cancel function of what
 * runs (nd_scanner_cancel, nd_clean_cancel; both only set a flag, so they
 * are async-signal-safe).  The command registers the running object before
 * it starts it and looks at the flag afterwards: the handler stores the flag
 * before it reads the pointers, the command stores a pointer before it reads
 * the flag (sequentially consistent atomics), so a signal is never lost
 * between the two.  SA_RESETHAND: a second Ctrl-C kills at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

static nd_scanner *_Atomic running_scan;
static nd_clean_plan *_Atomic running_clean;
static atomic_int interrupted;

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&interrupted, 1);
    nd_scanner *sc = atomic_load(&running_scan);
    if (sc) nd_scanner_cancel(sc);
    nd_clean_plan *p = atomic_load(&running_clean);
    if (p) nd_clean_cancel(p);
}

void cli_signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_signals_scanner(nd_scanner *sc) {
    atomic_store(&running_scan, sc);
    if (sc && atomic_load(&interrupted)) nd_scanner_cancel(sc);
}

void cli_signals_clean(nd_clean_plan *p) {
    atomic_store(&running_clean, p);
    if (p && atomic_load(&interrupted)) nd_clean_cancel(p);
}

int cli_interrupted(void) { return atomic_load(&interrupted) != 0; }

/* ------------------------------------------------------------------------ */

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double cli_now(void) { return mono_now(); }

/* The share of a whole run each stage of nd_scanner_run takes, per mille,
 * by nd_stage (read happens before the run; passages, when on, are not
 * foreseen and hold the estimate): measured on the bundled and benchmark
 * corpora, where splitting and sketching the bytes take about 70%.  The ETA
 * is then the whole run's, not the stage's. */
static const unsigned stage_weight[ND_STAGE_COUNT_] = {
    [ND_STAGE_SPLIT] = 150, [ND_STAGE_SKETCH] = 550, [ND_STAGE_EXACT] = 30,  [ND_STAGE_LSH] = 100,
    [ND_STAGE_VERIFY] = 80, [ND_STAGE_CLUSTER] = 40, [ND_STAGE_REPORT] = 50,
};

/* compare A B's phases (nd_compare_paths_progress): reading, normalising,
 * then fingerprints and alignment, which take most of it. */
static const unsigned compare_weight[ND_STAGE_COUNT_] = {
    [ND_STAGE_READ] = 100,
    [ND_STAGE_SKETCH] = 300,
    [ND_STAGE_PASSAGE] = 600,
};

/* The run's done share in [0, 1] at `frac` of stage `stage` (-2, clean's
 * writing, is a bar of its own: its frac). */
static double run_fraction(const struct cli_progress *ps, int stage, double frac) {
    const unsigned *wt = ps->compare ? compare_weight : stage_weight;
    unsigned before = 0, all = 0;
    if (stage < 0 || stage >= ND_STAGE_COUNT_) return frac;
    for (int i = 0; i < ND_STAGE_COUNT_; i++) {
        all += wt[i];
        if (i < stage) before += wt[i];
    }
    return ((double)before + (double)wt[stage] * frac) / (double)all;
}

/* Draws the progress bar on stderr: stage, its percentage, MB/s (when the
 * units are bytes), then the whole run's figures, each named: "elapsed" and
 * "ETA" (of the run, once 2% of it is done), at most ten redraws a second. */
static void draw(struct cli_progress *ps, int stage, const char *name, uint64_t done,
                 uint64_t total, int bytes) {
    double t = mono_now();
    if (stage != ps->stage) {
        ps->stage = stage;
        ps->stage_start = t;
    } else if (t - ps->last < 0.1) {
        return;
    }
    ps->last = t;
    double frac = total ? (double)done / (double)total : 0.0;
    double el = t - ps->stage_start, run = run_fraction(ps, stage, frac);
    char rate[32] = "", eta[32] = "";
    if (bytes && el > 0.05 && done > 0)
        snprintf(rate, sizeof rate, " %7.1f MB/s", (double)done / el / 1e6);
    if (run >= 0.02 && t - ps->start > 0.05)
        snprintf(eta, sizeof eta, "  ETA %.0fs", (t - ps->start) * (1.0 - run) / run);
    int width = 30, fill = (int)(frac * width + 0.5);
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r%-7s [%s] %3.0f%%%s  elapsed %.0fs%s\033[K", name, bar, frac * 100.0, rate,
            t - ps->start, eta);
    ps->drawn = 1;
}

static void on_progress(void *user, const nd_progress *p) {
    draw(user, (int)p->stage, nd_stage_name(p->stage), p->done, p->total,
         p->stage == ND_STAGE_SPLIT || p->stage == ND_STAGE_SKETCH);
}

/* clean's writing, after the scan stages (stage -2: its own). */
static void on_write_progress(void *user, uint64_t done, uint64_t total) {
    draw(user, -2, "write", done, total, 1);
}

nd_progress_fn cli_progress_compare(struct cli_scan_args *a, void **user) {
    if (!(a->progress_seen ? (a->progress & 1u) != 0 : isatty(STDERR_FILENO) == 1)) return NULL;
    a->bar.start = a->bar.last = mono_now();
    a->bar.stage = -1;
    a->bar.on = 1;
    a->bar.compare = 1;
    *user = &a->bar;
    return on_progress;
}

void cli_progress_clean(struct cli_scan_args *a, nd_clean_plan *p) {
    if (a->bar.on) nd_clean_set_progress(p, on_write_progress, &a->bar);
}

void cli_progress_end(struct cli_progress *ps) {
    if (ps->drawn) fputs("\r\033[K", stderr);
    ps->drawn = 0;
}

/* ------------------------------------------------------------------------ */

/* The directory part of path ("." for a bare name), malloc'ed. */
static char *dir_of(const char *path) {
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    while (n > 0 && path[n - 1] != '/') n--;
    while (n > 1 && path[n - 1] == '/') n--;
    char *d = malloc(n ? n + 1 : 2);
    if (!d) return NULL;
    if (n == 0) {
        d[0] = '.';
        d[1] = '\0';
    } else {
        memcpy(d, path, n);
        d[n] = '\0';
    }
    return d;
}

static int probe_fail(const char *path, int err) {
    char shown[CLI_ESCAPE_SIZE];
    cli_escape(shown, sizeof shown, path);
    fprintf(stderr, "neardup: cannot create '%s': %s\n", shown, strerror(err));
    return -1;
}

int cli_probe_output(const char *path, int is_dir) {
    struct stat sb;
    char *dir = NULL, *probe = NULL;
    int rc = -1, err = 0;

    if (!is_dir && stat(path, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) return probe_fail(path, EISDIR);
        if (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)) return 0; /* written in place */
    }
    if (!(dir = dir_of(path))) return probe_fail(path, ENOMEM);
    /* a directory output's missing parents are made: the first that exists
     * must take new entries */
    while (is_dir && stat(dir, &sb) != 0 && errno == ENOENT && strcmp(dir, ".") != 0 &&
           strcmp(dir, "/") != 0) {
        char *up = dir_of(dir);
        free(dir);
        if (!(dir = up)) return probe_fail(path, ENOMEM);
    }
    if (stat(dir, &sb) != 0) {
        err = errno;
        goto out;
    }
    if (!S_ISDIR(sb.st_mode)) {
        err = ENOTDIR;
        goto out;
    }
    size_t n = strlen(dir) + sizeof "/.neardup-probe.XXXXXX";
    if (!(probe = malloc(n))) {
        err = ENOMEM;
        goto out;
    }
    snprintf(probe, n, "%s/.neardup-probe.XXXXXX", dir);
    if (is_dir) {
        if (!mkdtemp(probe)) {
            err = errno;
            goto out;
        }
        (void)rmdir(probe);
    } else {
        int fd = mkstemp(probe);
        if (fd < 0) {
            err = errno;
            goto out;
        }
        close(fd);
        (void)unlink(probe);
    }
    rc = 0;
out:
    free(dir);
    free(probe);
    return rc == 0 ? 0 : probe_fail(path, err);
}

void cli_scan_failed(const nd_scanner *sc, nd_status st) {
    const char *path = st == ND_ERR_IO ? nd_scanner_error_path(sc) : NULL;
    int err = st == ND_ERR_IO ? nd_scanner_sys_errno(sc) : 0;

    if (path && err) {
        char esc[CLI_ESCAPE_SIZE];
        cli_escape(esc, sizeof esc, path);
        fprintf(stderr, "neardup: scan failed: '%s': %s\n", esc, strerror(err));
    } else {
        fprintf(stderr, "neardup: scan failed: %s\n", nd_strerror(st));
    }
}

void cli_scan_args_init(struct cli_scan_args *a) {
    memset(a, 0, sizeof *a);
    nd_options_default(&a->o);
    a->max_para = a->o.max_paragraph_bytes;
    a->split = (int)a->o.split;

    const struct opt rows[] = {
        {"split", 0, NULL, OPT_KIND_CHOICE, &a->split, 0, 0, 0, 0, cli_split_choices,
         "paragraphs: every line, blank-line blocks, or auto per file", NULL, NULL},
        {"min-chars", 0, "N", OPT_KIND_UNSIGNED, &a->o.min_chars, 0, 0, 0, 0, NULL,
         "shorter paragraphs (normalised characters) are not clustered", NULL, NULL},
        {"threshold", 0, "T", OPT_KIND_DOUBLE, &a->o.threshold, 0, 0, 1, 1, NULL,
         "token-shingle Jaccard in (0, 1] that makes paragraphs duplicates and "
         "a passage's places copies (cut at its gaps below it)",
         NULL, NULL},
        {"num-perm", 0, "K", OPT_KIND_UNSIGNED, &a->o.num_perm, 0, 0, 0, 0, NULL,
         "MinHash values per paragraph", NULL, NULL},
        {"shingle", 0, "N", OPT_KIND_UNSIGNED, &a->o.shingle, 0, 0, 0, 0, NULL,
         "tokens (characters or words) per shingle", NULL, NULL},
        {"bands", 0, "B", OPT_KIND_UNSIGNED, &a->o.bands, 0, 0, 0, 0, NULL,
         "LSH bands; give --rows too", "chosen from T and K", &a->bands_seen},
        {"rows", 0, "R", OPT_KIND_UNSIGNED, &a->o.rows, 0, 0, 0, 0, NULL,
         "LSH rows per band; give --bands too", "chosen from T and K", &a->rows_seen},
        {"seed", 0, "N", OPT_KIND_U64, &a->o.seed, 0, 0, 0, 0, NULL,
         "seed of the shingle hashes and permutations", NULL, NULL},
        CLI_NORM_OPTIONS(a->o.norm_flags),
        CLI_ENCODING_OPTION(a->encoding),
        {"jsonl", 0, "FIELD", OPT_KIND_STRING, &a->jsonl, 0, 0, 0, 0, NULL,
         "read *.jsonl and *.jsonl.gz files as JSON Lines: each record's FIELD "
         "(a string) is one document, named FILE:LINE",
         NULL, NULL},
        {"id-field", 0, "NAME", OPT_KIND_STRING, &a->id_field, 0, 0, 0, 0, NULL,
         "with --jsonl: name each record by the value of its field NAME", "FILE:LINE", NULL},
        {"max-file-size", 0, "SIZE", OPT_KIND_SIZE, &a->o.max_file_size, 0, 0, 0, 0, NULL,
         "skip larger files (after decompression; K, M, G suffixes)", NULL, NULL},
        {"max-paragraph-bytes", 0, "SIZE", OPT_KIND_SIZE, &a->max_para, 0, 0, 0, 0, NULL,
         "cut longer paragraphs into pieces (with a note); K, M suffixes", NULL, NULL},
        {"threads", 0, "N", OPT_KIND_UNSIGNED, &a->o.threads, 0, 0, 0, 0, NULL,
         "worker threads, 0 = one per core", NULL, NULL},
        {"common-docs", 0, "N", OPT_KIND_UNSIGNED, &a->o.common_docs, 0, 0, 0, 0, NULL,
         "clusters in more documents are common text (boilerplate), left out "
         "of document-pair overlaps; 0 = no limit",
         NULL, NULL},
        {"memory", 0, "SIZE", OPT_KIND_SIZE, &a->o.memory_limit, 0, 0, 0, 0, NULL,
         "memory for LSH band keys; past it they spill to --tmpdir (K, M, G)", "1/4 of RAM", NULL},
        {"tmpdir", 0, "DIR", OPT_KIND_STRING, &a->tmpdir, 0, 0, 0, 0, NULL,
         "directory for temporary files", "$TMPDIR or /tmp", NULL},
        {"progress", 0, NULL, OPT_KIND_NEGBIT, &a->progress, 1, 0, 0, 0, NULL,
         "progress bar on stderr (--no-progress: none)", "when stderr is a terminal",
         &a->progress_seen},
        {"quiet", 'q', NULL, OPT_KIND_FLAG, &a->quiet, 0, 0, 0, 0, NULL,
         "no warnings about skipped inputs", NULL, NULL},
        {"include", 0, "GLOB", OPT_KIND_LIST, &a->include, 0, 0, 0, 0, NULL,
         "walk only the files matching GLOB (repeatable): with a '/', the path "
         "below the directory given, else the name",
         NULL, NULL},
        {"exclude", 0, "GLOB", OPT_KIND_LIST, &a->exclude, 0, 0, 0, 0, NULL,
         "leave out the walked files and directories matching GLOB "
         "(repeatable; as --include)",
         NULL, NULL},
        {"hidden", 0, NULL, OPT_KIND_FLAG, &a->hidden, 0, 0, 0, 0, NULL,
         "walk files and directories whose name starts with '.'", NULL, NULL},
        OPT_END,
    };
    _Static_assert(sizeof rows / sizeof *rows <= CLI_SCAN_ROWS, "raise CLI_SCAN_ROWS");
    memcpy(a->rows, rows, sizeof rows);
}

int cli_scan_args_finish(struct cli_scan_args *a, const char *prog) {
    char msg[256], flags[512];

    if (a->bands_seen != a->rows_seen) {
        opt_error(prog, "--bands and --rows must be given together");
        return -1;
    }
    for (size_t i = 0; i < a->include.n + a->exclude.n; i++) {
        int inc = i < a->include.n;
        if ((inc ? a->include.v[i] : a->exclude.v[i - a->include.n])[0] == '\0') {
            opt_error(prog, "--%s: the pattern is empty", inc ? "include" : "exclude");
            return -1;
        }
    }
    a->o.split = (nd_split_mode)a->split;
    a->o.max_paragraph_bytes =
        a->max_para > UINT32_MAX ? UINT32_MAX : (uint32_t)a->max_para; /* checked below */
    cli_set_encoding(&a->o, a->encoding);
    if ((a->jsonl && !a->jsonl[0]) || (a->id_field && !a->id_field[0])) {
        opt_error(prog, "--%s: the field name is empty",
                  a->jsonl && !a->jsonl[0] ? "jsonl" : "id-field");
        return -1;
    }
    cli_set_field(a->o.jsonl_field, sizeof a->o.jsonl_field, a->jsonl);
    cli_set_field(a->o.id_field, sizeof a->o.id_field, a->id_field);
    if (nd_options_check(&a->o, msg, sizeof msg) != ND_OK) {
        opt_error(prog, "%s", cli_option_message(msg, flags, sizeof flags));
        return -1;
    }
    return 0;
}

nd_status cli_scanner_new(struct cli_scan_args *a, nd_diag_fn diag, void *user, nd_scanner **out) {
    nd_scanner *sc = NULL;
    nd_status st = nd_scanner_new(&a->o, &sc);

    if (st != ND_OK) {
        fprintf(stderr, "neardup: cannot start the scan: %s\n", nd_strerror(st));
        return st;
    }
    nd_scanner_set_diag(sc, diag, user);
    nd_scanner_set_hidden(sc, a->hidden);
    st = nd_scanner_set_tmpdir(sc, a->tmpdir);
    if (st == ND_ERR_IO) { /* before any input is read */
        char dir[CLI_ESCAPE_SIZE];
        cli_escape(dir, sizeof dir, a->tmpdir);
        fprintf(stderr, "neardup: --tmpdir '%s': cannot create a temporary file there: %s\n", dir,
                strerror(nd_scanner_sys_errno(sc)));
        nd_scanner_free(sc);
        return st;
    }
    for (size_t i = 0; st == ND_OK && i < a->include.n; i++)
        st = nd_scanner_add_walk_rule(sc, ND_WALK_INCLUDE, a->include.v[i]);
    for (size_t i = 0; st == ND_OK && i < a->exclude.n; i++)
        st = nd_scanner_add_walk_rule(sc, ND_WALK_EXCLUDE, a->exclude.v[i]);
    if (st != ND_OK) {
        fprintf(stderr, "neardup: scan failed: %s\n", nd_strerror(st));
        nd_scanner_free(sc);
        return st;
    }
    if (a->progress_seen ? (a->progress & 1u) != 0 : isatty(STDERR_FILENO) == 1) {
        a->bar.start = a->bar.last = mono_now();
        a->bar.stage = -1;
        a->bar.on = 1;
        nd_scanner_set_progress(sc, on_progress, &a->bar);
    }
    *out = sc;
    return ND_OK;
}
