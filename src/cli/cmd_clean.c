/*
 * cmd_clean.c - `neardup clean --out DIR [options] PATH...`
 *
 * Scans PATH... like `neardup scan`, plans the removals (nd_clean_plan_new:
 * one paragraph kept per cluster, --keep and --scope) and writes a copy of
 * the input tree into DIR without the removed paragraphs, plus, with --log,
 * the JSONL removal log from which the inputs can be rebuilt exactly.
 * --dry-run prints what would be removed and writes nothing.
 *
 * Messages (stderr, one line each):
 *   neardup clean: <usage error>                                exit 1
 *   neardup: refusing to write into input directory 'DIR'       exit 1
 *   neardup: refusing to overwrite input file 'FILE'            exit 1
 *   neardup: 'FILE' exists (use --force to overwrite)           exit 1
 *   neardup: two inputs would be written to 'FILE'              exit 1
 *   neardup: cannot clean standard input; give files            exit 1
 *   neardup: cannot write 'FILE': <strerror>                    exit 3
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

static void usage(const struct opt *table)
{
    printf("usage: neardup clean --out DIR [options] PATH...\n"
           "\n"
           "Writes a copy of the given files and directories into DIR (same\n"
           "relative paths below each PATH) in which every cluster of\n"
           "near-duplicate paragraphs keeps one paragraph.  Everything else is\n"
           "preserved byte for byte; gzip inputs are written gzip-compressed.\n"
           "Never writes into an input directory or over an input file; each\n"
           "file is written to a temporary name and renamed into place.\n"
           "\n"
           "options:\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error or refused output, 2 some\n"
           "inputs were skipped, 3 fatal error (cannot write, out of memory).\n");
}

static void on_diag(void *user, const nd_diag *d)
{
    struct clean_state *cs = user;
    char path[CLI_ESCAPE_SIZE];
    if (d->status == ND_ERR_CHANGED)
        cs->changed++;
    if (cs->quiet)
        return;
    cli_print_diag(d);
    /* the library leaves a changed file out of the cleaned tree */
    if (d->status == ND_ERR_CHANGED && !cs->dry_run)
        fprintf(stderr, "neardup: '%s' is left out of the cleaned copy\n",
                cli_escape(path, sizeof path, d->path ? d->path : ""));
}

/* One line per planned removal, then the summary. */
static void print_plan(const nd_report *rep, const nd_clean_plan *plan,
                       int dry_run)
{
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
                   (unsigned long long)ri.length,
                   cli_escape(b, sizeof b, kd.path), (unsigned)kp.line,
                   ri.similarity);
    }
    for (size_t i = 0; i < ndocs; i++)
        if (nd_clean_doc_removed_bytes(plan, i) > 0)
            touched++;
    printf("%s %zu paragraph%s (%llu bytes) from %zu of %zu file%s\n",
           dry_run ? "would remove" : "removed", n, n == 1 ? "" : "s",
           (unsigned long long)bytes, touched, ndocs, ndocs == 1 ? "" : "s");
}

static void print_failure(const nd_clean_failure *f, nd_status st)
{
    char p[CLI_ESCAPE_SIZE];
    cli_escape(p, sizeof p, f->path ? f->path : "");
    switch (f->what) {
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
                f->sys_errno ? strerror(f->sys_errno) : nd_strerror(st));
        break;
    case ND_CLEAN_ERR_NONE:
    default:
        fprintf(stderr, "neardup: clean failed: %s\n", nd_strerror(st));
        break;
    }
}

int cmd_clean(int argc, char **argv)
{
    nd_options o;
    nd_clean_options co;
    struct clean_state cs = {0};
    nd_scanner *sc = NULL;
    nd_report *rep = NULL;
    nd_clean_plan *plan = NULL;
    const char *out_dir = NULL, *log_path = NULL;
    int keep, scope, split, dry_run = 0, force = 0, npos = 0;
    int rc = CLI_EXIT_FATAL;
    size_t skipped;
    nd_summary sum;
    nd_status st;
    char msg[256];

    const char *encoding = NULL;
    nd_options_default(&o);
    nd_clean_options_default(&co);
    keep = (int)co.keep;
    scope = (int)co.scope;
    split = (int)o.split;

    const struct opt table[] = {
        {"out", 0, "DIR", OPT_KIND_STRING, &out_dir, 0, 0, 0, 0, NULL,
         "write the cleaned copy into DIR (required)", "", NULL},
        {"keep", 0, NULL, OPT_KIND_CHOICE, &keep, 0, 0, 0, 0, keep_choices,
         "keep the first (by path, then offset) or the longest paragraph",
         NULL, NULL},
        {"scope", 0, NULL, OPT_KIND_CHOICE, &scope, 0, 0, 0, 0, scope_choices,
         "remove repeats across documents, within a document, or both",
         NULL, NULL},
        {"log", 0, "FILE", OPT_KIND_STRING, &log_path, 0, 0, 0, 0, NULL,
         "write the removal log (JSONL) to FILE", "", NULL},
        {"dry-run", 'n', NULL, OPT_KIND_FLAG, &dry_run, 0, 0, 0, 0, NULL,
         "show what would be removed; write nothing", NULL, NULL},
        {"force", 0, NULL, OPT_KIND_FLAG, &force, 0, 0, 0, 0, NULL,
         "overwrite existing output files", NULL, NULL},
        {"split", 0, NULL, OPT_KIND_CHOICE, &split, 0, 0, 0, 0, cli_split_choices,
         "paragraphs: every line, blank-line blocks, or auto per file", NULL,
         NULL},
        {"min-chars", 0, "N", OPT_KIND_UNSIGNED, &o.min_chars, 0, 0, 0, 0,
         NULL, "shorter paragraphs (normalised characters) are kept", NULL,
         NULL},
        {"threshold", 0, "T", OPT_KIND_DOUBLE, &o.threshold, 0, 0, 1, 1, NULL,
         "Jaccard similarity in (0, 1] that makes paragraphs duplicates",
         NULL, NULL},
        {"num-perm", 0, "K", OPT_KIND_UNSIGNED, &o.num_perm, 0, 0, 0, 0, NULL,
         "MinHash values per paragraph", NULL, NULL},
        {"shingle", 0, "N", OPT_KIND_UNSIGNED, &o.shingle, 0, 0, 0, 0, NULL,
         "tokens (characters or words) per shingle", NULL, NULL},
        {"seed", 0, "N", OPT_KIND_U64, &o.seed, 0, 0, 0, 0, NULL,
         "seed of the shingle hashes and permutations", NULL, NULL},
        CLI_ENCODING_OPTION(encoding),
        {"max-file-size", 0, "SIZE", OPT_KIND_SIZE, &o.max_file_size, 0, 0, 0,
         0, NULL, "skip larger files (after decompression; K, M, G suffixes)",
         NULL, NULL},
        {"threads", 0, "N", OPT_KIND_UNSIGNED, &o.threads, 0, 0, 0, 0, NULL,
         "worker threads, 0 = one per core", NULL, NULL},
        {"quiet", 'q', NULL, OPT_KIND_FLAG, &cs.quiet, 0, 0, 0, 0, NULL,
         "no warnings about skipped inputs", NULL, NULL},
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL,
         "show this help", NULL, NULL},
        OPT_END,
    };

    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc))
        goto out;
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
    o.split = (nd_split_mode)split;
    co.keep = (nd_keep)keep;
    co.scope = (nd_scope)scope;
    cli_set_encoding(&o, encoding);
    if (nd_options_check(&o, msg, sizeof msg) != ND_OK) {
        opt_error(PROG, "%s", msg);
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    for (int i = 0; i < npos; i++) {
        if (strcmp(argv[i], "-") == 0) {
            fprintf(stderr, "neardup: cannot clean standard input; give files\n");
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    }

    st = nd_scanner_new(&o, &sc);
    if (st != ND_OK) {
        fprintf(stderr, "neardup: cannot start the scan: %s\n", nd_strerror(st));
        goto out;
    }
    nd_scanner_set_diag(sc, on_diag, &cs);
    for (int i = 0; i < npos; i++) {
        st = nd_scanner_add_path(sc, argv[i]);
        if (st != ND_OK) {
            fprintf(stderr, "neardup: scan failed: %s\n", nd_strerror(st));
            goto out;
        }
    }
    cs.dry_run = dry_run;
    st = nd_scanner_run(sc, &rep);
    skipped = nd_scanner_skipped(sc); /* with files that changed during the run */
    if (st == ND_OK)
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
    st = nd_clean_plan_new(rep, &co, &plan);
    if (st != ND_OK) {
        fprintf(stderr, "neardup: clean failed: %s\n", nd_strerror(st));
        goto out;
    }
    if (dry_run) {
        print_plan(rep, plan, 1);
    } else {
        nd_clean_failure f;
        st = nd_clean_write_tree(plan, (const char *const *)argv, (size_t)npos,
                                 out_dir, log_path, force, &f);
        if (st != ND_OK) {
            print_failure(&f, st);
            rc = st == ND_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FATAL;
            goto out;
        }
        print_plan(rep, plan, 0);
    }
    /* files found changed while planning or writing count too */
    rc = skipped > 0 || cs.changed > 0 ? CLI_EXIT_SKIPPED : CLI_EXIT_OK;
out:
    nd_clean_plan_free(plan);
    nd_report_free(rep);
    nd_scanner_free(sc);
    return rc;
}
