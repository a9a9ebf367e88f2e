/*
 * cmd_params.c - `neardup params`: which LSH bands and rows a threshold and a
 * number of permutations give, and what that means.
 *
 * A pair of paragraphs with Jaccard similarity s becomes a candidate (and is
 * then verified exactly) with probability P(s) = 1 - (1 - s^rows)^bands.
 * Pairs below the threshold that become candidates only cost time; pairs at
 * or above it that do not are missed.  The table shows the S-curve at the
 * usual similarities and at the threshold, then the share of pairs exactly
 * at the threshold that are missed (the false-negative rate) and whether the
 * recall floor (ND_LSH_MIN_RECALL: P(candidate) at the threshold) is met.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

#define PROG "neardup params"

static const double similarities[] = {0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0};
#define N_SIM (sizeof similarities / sizeof similarities[0])

static const struct opt_choice format_choices[] = {
    {"text", ND_FORMAT_TEXT},
    {"jsonl", ND_FORMAT_JSONL},
    {NULL, 0},
};

static void usage(const struct opt *table) {
    printf("usage: neardup params [--threshold T] [--num-perm K] "
           "[--bands B --rows R]\n"
           "                      [-f text|jsonl]\n"
           "\n"
           "Shows the LSH bands and rows used for a similarity threshold and a\n"
           "number of MinHash permutations, and the probability that a pair of\n"
           "paragraphs with a given similarity becomes a candidate.\n"
           "\n"
           "options:\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error, 3 the output could not be\n"
           "written.\n");
}

/* At least two decimals, more only when needed to show x exactly. */
static void fmt_sim(char *buf, size_t size, double x) {
    for (int prec = 2; prec <= 6; prec++) {
        snprintf(buf, size, "%.*f", prec, x);
        if (fabs(strtod(buf, NULL) - x) < 1e-12) return;
    }
}

static void print_text(double t, unsigned k, unsigned b, unsigned r, int given) {
    char ts[32], s[32];
    size_t i = 0;
    int t_done = 0;

    fmt_sim(ts, sizeof ts, t);
    printf("threshold %s, %u permutations %s %u bands x %u rows "
           "(%u values used)\n",
           ts, k, given ? "with" : "->", b, r, b * r);
    printf("similarity  P(candidate)\n");
    /* the listed similarities in order, the threshold in its place; a
     * threshold equal to a listed value marks that row */
    while (i < N_SIM || !t_done) {
        double x;
        int is_t = 0;

        if (!t_done && (i == N_SIM || t < similarities[i] + 1e-12)) {
            if (i < N_SIM && fabs(t - similarities[i]) < 1e-12) i++;
            x = t;
            is_t = 1;
            t_done = 1;
        } else {
            x = similarities[i++];
        }
        fmt_sim(s, sizeof s, x);
        printf("%10s  %12.4f%s\n", s, nd_lsh_probability(x, b, r), is_t ? "  <- threshold" : "");
    }
    printf("false-negative rate at %s: %.4f\n", ts, 1.0 - nd_lsh_probability(t, b, r));
    if (nd_lsh_probability(t, b, r) >= ND_LSH_MIN_RECALL)
        printf("recall floor: P(candidate) >= %.3f at the threshold, met\n", ND_LSH_MIN_RECALL);
    else if (given)
        printf("recall floor: P(candidate) >= %.3f at the threshold, NOT met "
               "by these bands and rows\n",
               ND_LSH_MIN_RECALL);
    else
        printf("recall floor: P(candidate) >= %.3f at the threshold, NOT met: "
               "no bands x rows within %u values reach it\n",
               ND_LSH_MIN_RECALL, k);
}

static void print_jsonl(double t, unsigned k, unsigned b, unsigned r, int given) {
    char buf[40], buf2[40];

    opt_fmt_double(buf, sizeof buf, t);
    printf("{\"threshold\":%s,\"num_perm\":%u,\"bands\":%u,\"rows\":%u,"
           "\"values_used\":%u,\"chosen\":%s,",
           buf, k, b, r, b * r, given ? "false" : "true");
    opt_fmt_double(buf, sizeof buf, 1.0 - nd_lsh_probability(t, b, r));
    printf("\"false_negative_rate\":%s,", buf);
    opt_fmt_double(buf, sizeof buf, ND_LSH_MIN_RECALL);
    printf("\"recall_floor\":%s,\"recall_floor_met\":%s,\"curve\":[", buf,
           nd_lsh_probability(t, b, r) >= ND_LSH_MIN_RECALL ? "true" : "false");
    for (size_t i = 0; i < N_SIM; i++) {
        opt_fmt_double(buf, sizeof buf, similarities[i]);
        opt_fmt_double(buf2, sizeof buf2, nd_lsh_probability(similarities[i], b, r));
        printf("%s{\"similarity\":%s,\"p_candidate\":%s}", i ? "," : "", buf, buf2);
    }
    printf("]}\n");
}

int cmd_params(int argc, char **argv) {
    nd_options o;
    int format = ND_FORMAT_TEXT, npos = 0, rc = CLI_EXIT_USAGE;
    unsigned bands_seen = 0, rows_seen = 0, b = 0, r = 0;
    char msg[256], flags[512];
    nd_status st;

    nd_options_default(&o);

    const struct opt table[] = {
        {"threshold", 0, "T", OPT_KIND_DOUBLE, &o.threshold, 0, 0, 1, 1, NULL,
         "Jaccard similarity threshold in (0, 1]", NULL, NULL},
        {"num-perm", 0, "K", OPT_KIND_UNSIGNED, &o.num_perm, 0, 0, 0, 0, NULL,
         "MinHash values per paragraph", NULL, NULL},
        {"bands", 0, "B", OPT_KIND_UNSIGNED, &o.bands, 0, 0, 0, 0, NULL,
         "use B bands instead of choosing; give --rows too", "chosen from T and K", &bands_seen},
        {"rows", 0, "R", OPT_KIND_UNSIGNED, &o.rows, 0, 0, 0, 0, NULL,
         "use R rows per band instead of choosing; give --bands too", "chosen from T and K",
         &rows_seen},
        {"format", 'f', NULL, OPT_KIND_CHOICE, &format, 0, 0, 0, 0, format_choices, "output format",
         NULL, NULL},
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL, "show this help", NULL, NULL},
        OPT_END,
    };

    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc)) goto out;
    if (npos > 0) {
        char shown[CLI_ESCAPE_SIZE];
        opt_error(PROG, "unexpected argument '%s' (see '" PROG " --help')",
                  cli_escape(shown, sizeof shown, argv[0]));
        goto out;
    }
    if (bands_seen != rows_seen) {
        opt_error(PROG, "--bands and --rows must be given together");
        goto out;
    }
    if (nd_options_check(&o, msg, sizeof msg) != ND_OK) {
        opt_error(PROG, "%s", cli_option_message(msg, flags, sizeof flags));
        goto out;
    }
    if (bands_seen) {
        b = o.bands;
        r = o.rows;
    } else {
        st = nd_lsh_params(o.threshold, o.num_perm, &b, &r);
        if (st != ND_OK) {
            opt_error(PROG, "cannot choose bands and rows: %s", nd_strerror(st));
            goto out;
        }
    }
    if (format == ND_FORMAT_JSONL)
        print_jsonl(o.threshold, o.num_perm, b, r, (int)bands_seen);
    else
        print_text(o.threshold, o.num_perm, b, r, (int)bands_seen);
    rc = CLI_EXIT_OK; /* main() checks that standard output was written */
out:
    return rc;
}
