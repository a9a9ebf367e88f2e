/*
 * cmd_index.c - `neardup index create|add|remove|check|status DB ...`
 *
 * The persistent index (nd_index_*, src/index.c): a corpus's paragraphs,
 * band keys and texts in one SQLite file, which `neardup query`
 * checks new documents against without rescanning the corpus.
 *
 *   index create DB [scan options] PATH...  a new index of PATH...; the
 *                                           options that change what is
 *                                           compared are stored in DB
 *   index add DB PATH...                    new files added, changed ones
 *                                           indexed again (content hash)
 *   index remove DB PATH...                 files (or directories) dropped
 *   index check DB                          SQLite's integrity check and
 *                                           the index's own invariants
 *   index status DB                         files changed or gone since
 *
 * The comparison options of create are scan's rows (scanning.c), picked by
 * name as compare picks them: declared once.
 *
 * Messages (stderr, one line each):
 *   neardup index: <usage error>                     exit 1
 *   neardup: skipping 'PATH': <reason>  (as scan)    exit 2 after the rest
 *   neardup: <the index's message>                   exit 3 (cannot open
 *            DB, a mismatch, locked by another writer, a damaged index)
 * Results (stdout): the counts of create/add/remove, "DB: ok (N files, N
 * documents, N paragraphs, N distinct)" for check,
 * "changed  PATH" / "gone     PATH" for status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

#define PROG "neardup index"

/* scan's rows that create takes: what is compared and how files are read */
static const char *const create_rows[] = {
    "split",
    "min-chars",
    "threshold",
    "num-perm",
    "shingle",
    "bands",
    "rows",
    "seed",
    "nfkc",
    "casefold",
    "t2s",
    "keep-pinyin",
    "pinyin",
    "strip",
    "encoding",
    "jsonl",
    "id-field",
    "max-file-size",
    "max-paragraph-bytes",
    "quiet",
    "include",
    "exclude",
    "hidden",
    "threads",
    NULL,
};

/* the rows every subcommand takes (not stored: how this run walks and
 * works) */
static int walk_row(const char *name) {
    return strcmp(name, "quiet") == 0 || strcmp(name, "include") == 0 ||
           strcmp(name, "exclude") == 0 || strcmp(name, "hidden") == 0 ||
           strcmp(name, "threads") == 0;
}

static void usage(const struct opt *table) {
    printf("usage: neardup index create DB [options] PATH...\n"
           "       neardup index add [walk options] DB PATH...\n"
           "       neardup index remove DB PATH...\n"
           "       neardup index check DB\n"
           "       neardup index status DB\n"
           "\n"
           "Keeps a corpus's paragraphs, band keys and texts in the SQLite file\n"
           "DB, so that 'neardup query DB FILE' checks new documents against it\n"
           "and 'neardup scan --db DB' reports it, without rescanning it.  create\n"
           "stores the options that change what is compared; every later command\n"
           "uses them.  add indexes new files and changed ones again (an unchanged\n"
           "file costs one hash); remove drops files, or every file below a\n"
           "directory; check runs SQLite's integrity check and the index's own\n"
           "checks; status lists the files changed or gone since they were\n"
           "indexed.  Paths are stored as given: run later commands from the same\n"
           "directory, or give absolute paths.\n"
           "\n"
           "options (all but --quiet, --include, --exclude, --hidden and\n"
           "--threads are create's):\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error, 2 some inputs were skipped,\n"
           "3 the index could not be opened, written or checked (its message\n"
           "says why).\n");
}

struct index_state {
    int quiet;
    size_t problems; /* inputs reported (not notices) */
};

static void on_diag(void *user, const nd_diag *d) {
    struct index_state *s = user;
    if (d->status != ND_OK && d->status != ND_ERR_ENCODING) s->problems++;
    if (!s->quiet) cli_print_diag(d);
}

static int index_failed(const nd_index *idx, nd_status st) {
    const char *m = nd_index_errmsg(idx);
    char shown[CLI_ESCAPE_SIZE], flags[CLI_ESCAPE_SIZE];
    if (!m[0]) m = nd_strerror(st);
    cli_escape(shown, sizeof shown, m);
    fprintf(stderr, "neardup: %s\n", cli_option_message(shown, flags, sizeof flags));
    return CLI_EXIT_FATAL;
}

/* Adds every path (one transaction); prints the counts.  Returns an exit code. */
static int add_paths(nd_index *idx, char **paths, int n, const char *verb, struct index_state *s) {
    nd_index_add_info sum;
    memset(&sum, 0, sizeof sum);
    nd_status st = nd_index_add_paths(idx, (const char *const *)paths, (size_t)n, &sum);
    if (st != ND_OK) return index_failed(idx, st);
    printf("%s %llu file%s (%llu new, %llu changed, %llu unchanged): %llu documents, "
           "%llu paragraphs written\n",
           verb, (unsigned long long)(sum.files_new + sum.files_changed + sum.files_unchanged),
           sum.files_new + sum.files_changed + sum.files_unchanged == 1 ? "" : "s",
           (unsigned long long)sum.files_new, (unsigned long long)sum.files_changed,
           (unsigned long long)sum.files_unchanged, (unsigned long long)sum.documents,
           (unsigned long long)sum.paragraphs);
    return s->problems ? CLI_EXIT_SKIPPED : CLI_EXIT_OK;
}

static void on_status(void *user, const char *path, nd_index_file_state state) {
    char shown[CLI_ESCAPE_SIZE];
    size_t *n = user;
    if (state == ND_INDEX_FILE_SAME) return;
    n[state]++;
    printf("%-8s %s\n", state == ND_INDEX_FILE_CHANGED ? "changed" : "gone",
           cli_escape(shown, sizeof shown, path));
}

int cmd_index(int argc, char **argv) {
    int rc = CLI_EXIT_USAGE, npos = 0;
    struct cli_scan_args *a = NULL;
    struct opt picked[CLI_SCAN_ROWS];
    struct index_state s = {0, 0};
    nd_index *idx = NULL;
    nd_status st;

    if (!(a = malloc(sizeof *a))) { /* the rows point into it: it stays put */
        fprintf(stderr, "neardup: index failed: %s\n", nd_strerror(ND_ERR_NOMEM));
        return CLI_EXIT_FATAL;
    }
    cli_scan_args_init(a);
    opt_pick(a->rows, create_rows, picked);
    /* which of create's options were given, to refuse them elsewhere */
    unsigned given[CLI_SCAN_ROWS] = {0};
    for (size_t i = 0; picked[i].kind != OPT_KIND_END; i++)
        if (!picked[i].seen && !walk_row(picked[i].name)) picked[i].seen = &given[i];
    const struct opt table[] = {
        OPT_TABLE(picked),
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL, "show this help", NULL, NULL},
        OPT_END,
    };
    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc)) goto out;
    rc = CLI_EXIT_USAGE;
    if (npos < 1) {
        opt_error(PROG, "expected create, add, remove, check or status (see '" PROG " --help')");
        goto out;
    }
    const char *sub = argv[0];
    int create = strcmp(sub, "create") == 0, add = strcmp(sub, "add") == 0,
        remove_ = strcmp(sub, "remove") == 0, check = strcmp(sub, "check") == 0,
        status = strcmp(sub, "status") == 0;
    if (!create && !add && !remove_ && !check && !status) {
        char shown[CLI_ESCAPE_SIZE];
        opt_error(PROG, "unknown subcommand '%s' (see '" PROG " --help')",
                  cli_escape(shown, sizeof shown, sub));
        goto out;
    }
    if (npos < 2) {
        opt_error(PROG, "%s: expected the index file DB", sub);
        goto out;
    }
    if ((check || status) && npos > 2) {
        opt_error(PROG, "%s: expected only DB", sub);
        goto out;
    }
    if ((create || add || remove_) && npos < 3) {
        opt_error(PROG, "%s: expected DB and at least one PATH", sub);
        goto out;
    }
    for (size_t i = 0; !create && picked[i].kind != OPT_KIND_END; i++) {
        int was = picked[i].seen == &given[i]            ? given[i] != 0
                  : strcmp(picked[i].name, "bands") == 0 ? a->bands_seen != 0
                  : strcmp(picked[i].name, "rows") == 0  ? a->rows_seen != 0
                                                         : 0;
        if (was) {
            opt_error(PROG, "%s: --%s is an option of create (the index keeps its own)", sub,
                      picked[i].name);
            goto out;
        }
    }
    if (cli_scan_args_finish(a, PROG) != 0) goto out;
    s.quiet = a->quiet;
    st = nd_index_open(argv[1], create ? &a->o : NULL, create, &idx);
    if (st != ND_OK) {
        rc = idx ? index_failed(idx, st) : CLI_EXIT_FATAL;
        if (!idx) fprintf(stderr, "neardup: %s\n", nd_strerror(st));
        goto out;
    }
    nd_index_set_diag(idx, on_diag, &s);
    nd_index_set_hidden(idx, a->hidden);
    nd_index_set_threads(idx, a->o.threads);
    for (size_t i = 0; st == ND_OK && i < a->include.n + a->exclude.n; i++)
        st = i < a->include.n
                 ? nd_index_add_walk_rule(idx, ND_WALK_INCLUDE, a->include.v[i])
                 : nd_index_add_walk_rule(idx, ND_WALK_EXCLUDE, a->exclude.v[i - a->include.n]);
    if (st != ND_OK) {
        rc = index_failed(idx, st);
        goto out;
    }
    if (create || add) {
        rc = add_paths(idx, argv + 2, npos - 2, create ? "indexed" : "added", &s);
    } else if (remove_) {
        uint64_t sum = 0;
        rc = CLI_EXIT_OK;
        for (int i = 2; i < npos; i++) {
            uint64_t n = 0;
            st = nd_index_remove(idx, argv[i], &n);
            if (st != ND_OK) {
                rc = index_failed(idx, st);
                goto out;
            }
            if (n == 0) {
                char shown[CLI_ESCAPE_SIZE];
                fprintf(stderr, "neardup: '%s' is not in the index\n",
                        cli_escape(shown, sizeof shown, argv[i]));
                rc = CLI_EXIT_SKIPPED;
            }
            sum += n;
        }
        printf("removed %llu file%s\n", (unsigned long long)sum, sum == 1 ? "" : "s");
    } else if (check) {
        st = nd_index_check(idx);
        if (st != ND_OK) {
            rc = index_failed(idx, st);
            goto out;
        }
        char shown[CLI_ESCAPE_SIZE];
        nd_index_counts c;
        st = nd_index_counts_get(idx, &c);
        if (st != ND_OK) {
            rc = index_failed(idx, st);
            goto out;
        }
        printf("%s: ok (%llu files, %llu documents, %llu paragraphs, %llu distinct)\n",
               cli_escape(shown, sizeof shown, argv[1]), (unsigned long long)c.files,
               (unsigned long long)c.documents, (unsigned long long)c.paragraphs,
               (unsigned long long)c.distinct);
        rc = CLI_EXIT_OK;
    } else {
        size_t n[3] = {0, 0, 0};
        st = nd_index_status(idx, on_status, n);
        rc = st != ND_OK ? index_failed(idx, st) : CLI_EXIT_OK;
    }
out:
    nd_index_close(idx);
    free(a);
    return rc;
}
