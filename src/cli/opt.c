/*
 * opt.c - the option parser and --help generator behind every subcommand.
 *
 * See opt.h for the table format.  Design notes:
 *   - A unique prefix of a long name is that option (as git and getopt);
 *     hidden rows (help NULL: old spellings) match by their exact name only,
 *     so they never make a prefix ambiguous.
 *   - Numbers must fill the whole argument ("12x", " 12", "-1", "" are
 *     errors) and fit the option's range; values are never truncated.
 *   - Error messages name the option by its long name even when the short
 *     form was used, so they read the same as the --help list.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opt.h"

#define HELP_COLUMN 26  /* where help texts start in the option list */
#define HELP_WIDTH  79  /* and where they wrap */
#define VALUE_MAX   128 /* longest value shown in error messages */

void opt_error(const char *prog, const char *fmt, ...) {
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", prog, msg);
}

void opt_fmt_double(char *buf, size_t size, double x) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

static int takes_value(const struct opt *o) {
    return o->kind != OPT_KIND_HELP && o->kind != OPT_KIND_FLAG && o->kind != OPT_KIND_NEGBIT &&
           o->kind != OPT_KIND_CLEARBIT && o->kind != OPT_KIND_TABLE;
}

static int has_range(const struct opt *o) { return o->min != 0 || o->max != 0; }

/* Parses a whole string of decimal digits (or 0x hex if hex_ok) as u64. */
static int parse_u64(const char *s, int hex_ok, uint64_t *out) {
    char *end = NULL;
    unsigned long long v;
    int base = 10;

    if (s[0] < '0' || s[0] > '9') /* strtoull would skip spaces and take '-' */
        return -1;
    if (hex_ok && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16;
    errno = 0;
    v = strtoull(s, &end, base);
    if (errno != 0 || end == s || *end != '\0') return -1;
    if (base == 16 && end == s + 2) /* "0x" alone */
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* Bytes with an optional binary suffix K, M, G or T (either case). */
static int parse_size(const char *s, uint64_t *out) {
    char digits[64];
    size_t len = strlen(s);
    unsigned shift = 0;
    uint64_t v;

    if (len == 0 || len >= sizeof digits) return -1;
    memcpy(digits, s, len + 1);
    switch (digits[len - 1]) {
    case 'k':
    case 'K': shift = 10; break;
    case 'm':
    case 'M': shift = 20; break;
    case 'g':
    case 'G': shift = 30; break;
    case 't':
    case 'T': shift = 40; break;
    default: break;
    }
    if (shift) digits[len - 1] = '\0';
    if (parse_u64(digits, 0, &v) != 0) return -1;
    if (shift && v > (UINT64_MAX >> shift)) return -1;
    *out = v << shift;
    return 0;
}

static void fmt_size(char *buf, size_t size, uint64_t v) {
    static const char suffix[] = "TGMK";
    for (int i = 0; i < 4; i++) {
        unsigned shift = 40u - 10u * (unsigned)i;
        if (v != 0 && v % (UINT64_C(1) << shift) == 0) {
            snprintf(buf, size, "%llu%c", (unsigned long long)(v >> shift), suffix[i]);
            return;
        }
    }
    snprintf(buf, size, "%llu", (unsigned long long)v);
}

static void choice_list(const struct opt *o, const char *sep, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    for (const struct opt_choice *c = o->choices; c && c->name; c++) {
        int w = snprintf(buf + n, size - n, "%s%s", n ? sep : "", c->name);
        if (w < 0 || (size_t)w >= size - n) return;
        n += (size_t)w;
    }
}

/* Stores arg into the option's target; prints the error and returns -1. */
static int apply_value(const struct opt *o, const char *prog, const char *arg) {
    char shown[VALUE_MAX];
    char lo[32], hi[32];
    uint64_t u = 0;

    cli_escape(shown, sizeof shown, arg);
    switch (o->kind) {
    case OPT_KIND_UNSIGNED: {
        uint64_t min = has_range(o) ? (uint64_t)o->min : 0;
        uint64_t max = has_range(o) ? (uint64_t)o->max : UINT32_MAX;
        if (max > UINT32_MAX) max = UINT32_MAX;
        if (parse_u64(arg, 0, &u) != 0 || u < min || u > max) {
            opt_error(prog, "--%s: '%s' is not an integer in [%llu, %llu]", o->name, shown,
                      (unsigned long long)min, (unsigned long long)max);
            return -1;
        }
        *(unsigned *)o->target = (unsigned)u;
        return 0;
    }
    case OPT_KIND_U64:
        if (parse_u64(arg, 1, &u) != 0) {
            opt_error(prog, "--%s: '%s' is not an integer in [0, %llu]", o->name, shown,
                      (unsigned long long)UINT64_MAX);
            return -1;
        }
        *(uint64_t *)o->target = u;
        return 0;
    case OPT_KIND_SIZE:
        if (parse_size(arg, &u) != 0 ||
            (has_range(o) && ((double)u < o->min || (double)u > o->max))) {
            opt_error(prog,
                      "--%s: '%s' is not a size (bytes, or a number with "
                      "suffix K, M, G or T)",
                      o->name, shown);
            return -1;
        }
        *(uint64_t *)o->target = u;
        return 0;
    case OPT_KIND_DOUBLE: {
        char *end = NULL;
        double d = 0;
        int ok;
        errno = 0;
        /* strtod would skip leading white space */
        if (arg[0] != '\0' && strchr("0123456789.+-", arg[0]) != NULL) d = strtod(arg, &end);
        ok = end != NULL && end != arg && *end == '\0' && errno == 0 && isfinite(d);
        if (ok && has_range(o)) ok = (o->min_open ? d > o->min : d >= o->min) && d <= o->max;
        if (!ok) {
            if (has_range(o)) {
                opt_fmt_double(lo, sizeof lo, o->min);
                opt_fmt_double(hi, sizeof hi, o->max);
                opt_error(prog, "--%s: '%s' is not a number in %c%s, %s]", o->name, shown,
                          o->min_open ? '(' : '[', lo, hi);
            } else {
                opt_error(prog, "--%s: '%s' is not a number", o->name, shown);
            }
            return -1;
        }
        *(double *)o->target = d;
        return 0;
    }
    case OPT_KIND_STRING: *(const char **)o->target = arg; return 0;
    case OPT_KIND_LIST: {
        struct opt_list *l = o->target;
        if (l->n == OPT_LIST_MAX) {
            opt_error(prog, "--%s: given more than %d times", o->name, OPT_LIST_MAX);
            return -1;
        }
        l->v[l->n++] = arg;
        return 0;
    }
    case OPT_KIND_CHOICE:
        for (const struct opt_choice *c = o->choices; c && c->name; c++) {
            if (strcmp(c->name, arg) == 0) {
                *(int *)o->target = c->value;
                return 0;
            }
        }
        {
            char list[256];
            choice_list(o, ", ", list, sizeof list);
            opt_error(prog, "--%s: '%s' is not one of %s", o->name, shown, list);
        }
        return -1;
    case OPT_KIND_END:
    case OPT_KIND_HELP:
    case OPT_KIND_FLAG:
    case OPT_KIND_NEGBIT:
    case OPT_KIND_CLEARBIT:
    case OPT_KIND_TABLE: break;
    }
    return -1;
}

static const struct opt *find_long(const struct opt *table, const char *name, size_t len,
                                   int *negated) {
    for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
        if (o->kind == OPT_KIND_TABLE) {
            const struct opt *in = find_long(o->target, name, len, negated);
            if (in) return in;
            continue;
        }
        if (strlen(o->name) == len && memcmp(o->name, name, len) == 0) {
            *negated = 0;
            return o;
        }
        if (o->kind == OPT_KIND_NEGBIT && len == strlen(o->name) + 3 &&
            memcmp(name, "no-", 3) == 0 && memcmp(name + 3, o->name, len - 3) == 0) {
            *negated = 1;
            return o;
        }
    }
    return NULL;
}

/* The options whose name (or no-NAME, for a NEGBIT row) starts with
 * name[0..len-1], as git and GNU getopt accept them: up to `room` of them
 * into found[] (and whether each is negated), their number returned (an
 * option reached through two shared tables counts once). */
static size_t find_prefix(const struct opt *table, const char *name, size_t len,
                          const struct opt **found, int *neg, size_t n, size_t room) {
    for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
        if (o->kind == OPT_KIND_TABLE) {
            n = find_prefix(o->target, name, len, found, neg, n, room);
            continue;
        }
        if (!o->help) continue; /* a hidden old spelling: its exact name only */
        for (int negated = 0; negated < 2; negated++) {
            char full[VALUE_MAX];
            if (negated && o->kind != OPT_KIND_NEGBIT) break;
            snprintf(full, sizeof full, "%s%s", negated ? "no-" : "", o->name);
            if (strlen(full) < len || memcmp(full, name, len) != 0) continue;
            size_t k = 0;
            while (k < n && k < room && !(found[k] == o && neg[k] == negated)) k++;
            if (k < n) continue; /* already counted */
            if (n < room) {
                found[n] = o;
                neg[n] = negated;
            }
            n++;
        }
    }
    return n;
}

static const struct opt *find_short(const struct opt *table, char c) {
    for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
        if (o->kind == OPT_KIND_TABLE) {
            const struct opt *in = find_short(o->target, c);
            if (in) return in;
        } else if (o->short_name && o->short_name == c) {
            return o;
        }
    }
    return NULL;
}

/* Applies an option without a value. */
static enum opt_result apply_flag(const struct opt *o, int negated) {
    if (o->seen) *o->seen = 1;
    switch (o->kind) {
    case OPT_KIND_HELP: return OPT_HELP;
    case OPT_KIND_FLAG: *(int *)o->target = 1; return OPT_OK;
    case OPT_KIND_NEGBIT:
        if (negated)
            *(unsigned *)o->target &= ~o->mask;
        else
            *(unsigned *)o->target |= o->mask;
        return OPT_OK;
    case OPT_KIND_CLEARBIT: *(unsigned *)o->target &= ~o->mask; return OPT_OK;
    default: return OPT_ERROR;
    }
}

static enum opt_result apply_with_value(const struct opt *o, const char *prog, const char *arg) {
    if (o->seen) *o->seen = 1;
    return apply_value(o, prog, arg) == 0 ? OPT_OK : OPT_ERROR;
}

enum opt_result opt_parse(const struct opt *table, const char *prog, int argc, char **argv,
                          int *npos) {
    char shown[VALUE_MAX];
    int np = 0, only_pos = 0;

    for (int i = 1; i < argc; i++) {
        char *a = argv[i];

        if (only_pos || a[0] != '-' || a[1] == '\0') {
            argv[np++] = a; /* np < i: never overwrites an unread argument */
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (a[1] == '-') { /* --name, --name=value, --name value */
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            int negated = 0;
            const struct opt *o = find_long(table, name, len, &negated);
            enum opt_result r;

            if (!o && len > 0) { /* a unique prefix of a long name */
                const struct opt *found[8];
                int neg[8];
                size_t n = find_prefix(table, name, len, found, neg, 0, 8);
                if (n == 1) {
                    o = found[0];
                    negated = neg[0];
                } else if (n > 1) {
                    char list[VALUE_MAX];
                    size_t at = 0;
                    for (size_t k = 0; k < n && k < 8 && at < sizeof list; k++)
                        at += (size_t)snprintf(list + at, sizeof list - at, "%s--%s%s",
                                               k ? ", " : "", neg[k] ? "no-" : "", found[k]->name);
                    char opt_name[VALUE_MAX];
                    snprintf(opt_name, sizeof opt_name, "--%.*s", (int)len, name);
                    opt_error(prog, "option '%s' is ambiguous: %s%s",
                              cli_escape(shown, sizeof shown, opt_name), list,
                              n > 8 ? ", ..." : "");
                    return OPT_ERROR;
                }
            }
            if (!o) {
                char opt_name[VALUE_MAX];
                /* name the option, not its value */
                snprintf(opt_name, sizeof opt_name, "--%.*s", (int)len, name);
                opt_error(prog, "unknown option '%s' (see '%s --help')",
                          cli_escape(shown, sizeof shown, opt_name), prog);
                return OPT_ERROR;
            }
            if (!takes_value(o)) {
                if (eq) {
                    opt_error(prog, "--%.*s: does not take a value", (int)len, name);
                    return OPT_ERROR;
                }
                r = apply_flag(o, negated);
            } else if (eq) {
                r = apply_with_value(o, prog, eq + 1);
            } else if (i + 1 < argc) {
                r = apply_with_value(o, prog, argv[++i]);
            } else {
                opt_error(prog, "--%s: missing value", o->name);
                return OPT_ERROR;
            }
            if (r != OPT_OK) return r;
            continue;
        }
        for (size_t j = 1; a[j]; j++) { /* -x, -xvalue, -x value, -qh */
            const struct opt *o = find_short(table, a[j]);
            enum opt_result r;

            if (!o) {
                char opt_name[3] = {'-', a[j], '\0'};
                opt_error(prog, "unknown option '%s' (see '%s --help')",
                          cli_escape(shown, sizeof shown, opt_name), prog);
                return OPT_ERROR;
            }
            if (!takes_value(o)) {
                r = apply_flag(o, 0);
                if (r != OPT_OK) return r;
                continue;
            }
            if (a[j + 1] != '\0') {
                r = apply_with_value(o, prog, a + j + 1);
            } else if (i + 1 < argc) {
                r = apply_with_value(o, prog, argv[++i]);
            } else {
                opt_error(prog, "--%s: missing value", o->name);
                return OPT_ERROR;
            }
            if (r != OPT_OK) return r;
            break; /* the rest of the argument was the value */
        }
    }
    *npos = np;
    return OPT_OK;
}

/* The "(default: X)" text of an option, or "" for none. */
static void default_text(const struct opt *o, char *buf, size_t size) {
    buf[0] = '\0';
    if (o->default_text) {
        snprintf(buf, size, "%s", o->default_text);
        return;
    }
    switch (o->kind) {
    case OPT_KIND_UNSIGNED: snprintf(buf, size, "%u", *(const unsigned *)o->target); break;
    case OPT_KIND_U64:
        snprintf(buf, size, "0x%llx", (unsigned long long)*(const uint64_t *)o->target);
        break;
    case OPT_KIND_SIZE: fmt_size(buf, size, *(const uint64_t *)o->target); break;
    case OPT_KIND_DOUBLE: opt_fmt_double(buf, size, *(const double *)o->target); break;
    case OPT_KIND_STRING: {
        const char *s = *(const char *const *)o->target;
        if (s) snprintf(buf, size, "%s", s);
        break;
    }
    case OPT_KIND_CHOICE:
        for (const struct opt_choice *c = o->choices; c && c->name; c++) {
            if (c->value == *(const int *)o->target) {
                snprintf(buf, size, "%s", c->name);
                break;
            }
        }
        break;
    case OPT_KIND_END:
    case OPT_KIND_HELP:
    case OPT_KIND_FLAG:
    case OPT_KIND_NEGBIT:
    case OPT_KIND_CLEARBIT:
    case OPT_KIND_TABLE:
    case OPT_KIND_LIST: /* (none by default) */ break;
    }
}

/* Prints text from HELP_COLUMN on, wrapped at spaces before HELP_WIDTH. */
static void print_wrapped(const char *text) {
    const char *p = text;
    size_t avail = HELP_WIDTH - HELP_COLUMN;

    for (;;) {
        size_t len = strlen(p), cut = len;
        if (len > avail) {
            cut = avail;
            while (cut > 0 && p[cut] != ' ') cut--;
            if (cut == 0) /* one long word: do not break it */
                cut = strcspn(p, " ");
        }
        printf("%.*s\n", (int)cut, p);
        if (p[cut] == '\0') return;
        p += cut + 1;
        printf("%*s", HELP_COLUMN, "");
    }
}

void opt_describe(const struct opt *o, struct opt_row_text *t) {
    t->name[0] = t->meta[0] = t->def[0] = '\0';
    t->negated = 0;
    if (takes_value(o)) {
        if (o->metavar)
            snprintf(t->meta, sizeof t->meta, "%s", o->metavar);
        else if (o->choices)
            choice_list(o, "|", t->meta, sizeof t->meta);
    }
    /* NEGBIT: show the form that changes something: --no-X when X is on */
    if (o->kind == OPT_KIND_NEGBIT) t->negated = (*(const unsigned *)o->target & o->mask) != 0;
    snprintf(t->name, sizeof t->name, "%s%s", t->negated ? "no-" : "", o->name);
    default_text(o, t->def, sizeof t->def);
}

int opt_takes_value(const struct opt *o) { return takes_value(o); }

/* Documentation mode (opt_doc_hook): the command's table goes to doc_fn. */
static opt_doc_fn doc_fn;
static void *doc_user;

void opt_doc_hook(opt_doc_fn fn, void *user) {
    doc_fn = fn;
    doc_user = user;
}

void opt_usage(const struct opt *table) {
    if (doc_fn) {
        printf("%s\n", OPT_DOC_MARK);
        doc_fn(doc_user, table);
        return;
    }
    for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
        char left[160], text[512];
        struct opt_row_text t;
        int n;

        if (o->kind == OPT_KIND_TABLE) {
            opt_usage(o->target);
            continue;
        }
        if (!o->help) continue; /* hidden */
        opt_describe(o, &t);
        if (o->short_name && o->kind != OPT_KIND_NEGBIT)
            n = snprintf(left, sizeof left, "  -%c, --%s%s%s", o->short_name, t.name,
                         t.meta[0] ? " " : "", t.meta);
        else
            n = snprintf(left, sizeof left, "      --%s%s%s", t.name, t.meta[0] ? " " : "", t.meta);
        if (n < 0) n = 0;
        if (n + 2 > HELP_COLUMN)
            printf("%s\n%*s", left, HELP_COLUMN, "");
        else
            printf("%-*s", HELP_COLUMN, left);
        if (t.def[0])
            snprintf(text, sizeof text, "%s (default: %s)", o->help, t.def);
        else
            snprintf(text, sizeof text, "%s", o->help);
        print_wrapped(text);
    }
}

int opt_parse_command(const struct opt *table, const char *prog, int argc, char **argv, int *npos,
                      void (*usage)(const struct opt *table), int *exit_code) {
    if (doc_fn) { /* documentation mode: the table, not the arguments */
        usage(table);
        *exit_code = 0;
        return 0;
    }
    switch (opt_parse(table, prog, argc, argv, npos)) {
    case OPT_HELP:
        usage(table);
        *exit_code = 0;
        return 0;
    case OPT_ERROR: *exit_code = 1; return 0;
    case OPT_OK: break;
    }
    return 1;
}

void opt_pick(const struct opt *rows, const char *const *names, struct opt *out) {
    size_t n = 0;
    for (const struct opt *r = rows; r->kind != OPT_KIND_END; r++)
        for (size_t i = 0; names[i]; i++)
            if (strcmp(r->name, names[i]) == 0) out[n++] = *r;
    out[n] = (struct opt)OPT_END;
}
