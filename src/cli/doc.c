/*
 * doc.c - the man pages and the bash and zsh completions, written by the
 * program itself: `neardup --doc man DIR`, `neardup --doc bash FILE`,
 * `neardup --doc zsh FILE` (the build runs them, CMakeLists.txt).
 *
 * Nothing here is written twice.  Each command runs in documentation mode
 * (opt_doc_hook): it sets up its option table exactly as for a real run and
 * calls its usage function, whose text goes to a temporary file in place of
 * standard output, while opt_usage hands the table to collect_rows below
 * instead of printing it.  So a page reads:
 *   NAME         the command table's summary (main.c)
 *   SYNOPSIS     the usage lines of --help
 *   DESCRIPTION  the paragraphs of --help before the option list
 *   OPTIONS      every row of the option table, with its value and default
 *   EXIT STATUS  the "exit status:" paragraph of --help
 * and a completion offers the commands, every option, the choices of an
 * option with a fixed set of values and file names for FILE and DIR values.
 * An option added to a table appears in --help, the page and the
 * completions at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "neardup.h"

#include "cli.h"
#include "opt.h"

/* One option row, copied out of the command's table while it exists. */
struct doc_row {
    enum opt_kind kind;
    char short_name;
    char base[64];         /* o->name: the NEGBIT row's positive form */
    struct opt_row_text t; /* name as --help shows it, value, default */
    char help[512];
    char choices[256]; /* OPT_KIND_CHOICE: the names, space-separated */
};

/* A command's --help text, cut into its parts, and its rows. */
struct doc_cmd {
    const struct cli_command *c;
    char *text;        /* the captured --help text (parts point into it) */
    char *synopsis[8]; /* usage lines */
    int cont[8];       /* synopsis[i] continues the line before */
    size_t n_synopsis;
    char *para[16]; /* description paragraphs (lines joined by '\n') */
    size_t n_para;
    char *intro;       /* the option list's heading, when it says more */
    char *exit_status; /* after "exit status: ", or NULL */
    char sub[8][16];   /* third words of the usage lines (index create) */
    size_t n_subcommands;
    struct doc_row *rows;
    size_t n_rows, cap_rows;
    int nomem;
};

/* ---- collecting: the hook and the captured text ---- */

static void add_rows(struct doc_cmd *d, const struct opt *table) {
    for (const struct opt *o = table; o->kind != OPT_KIND_END; o++) {
        struct doc_row *r;

        if (o->kind == OPT_KIND_TABLE) {
            add_rows(d, o->target);
            continue;
        }
        if (!o->help) continue; /* a hidden old spelling (opt.h) */
        if (d->n_rows == d->cap_rows) {
            size_t cap = d->cap_rows ? 2 * d->cap_rows : 32;
            struct doc_row *nr = realloc(d->rows, cap * sizeof *nr);
            if (!nr) {
                d->nomem = 1;
                return;
            }
            d->rows = nr;
            d->cap_rows = cap;
        }
        r = &d->rows[d->n_rows++];
        memset(r, 0, sizeof *r);
        r->kind = o->kind;
        r->short_name = o->kind == OPT_KIND_NEGBIT ? 0 : o->short_name;
        snprintf(r->base, sizeof r->base, "%s", o->name);
        opt_describe(o, &r->t);
        snprintf(r->help, sizeof r->help, "%s", o->help ? o->help : "");
        if (o->kind == OPT_KIND_CHOICE) {
            size_t n = 0;
            for (const struct opt_choice *c = o->choices; c && c->name; c++) {
                int w =
                    snprintf(r->choices + n, sizeof r->choices - n, "%s%s", n ? " " : "", c->name);
                if (w < 0 || (size_t)w >= sizeof r->choices - n) break;
                n += (size_t)w;
            }
        }
    }
}

static void collect_rows(void *user, const struct opt *table) { add_rows(user, table); }

/* Reads the whole of f (rewound) into a new NUL-terminated buffer. */
static char *slurp(FILE *f) {
    char *buf = NULL;
    long size;

    if (fflush(f) != 0 || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0)
        return NULL;
    if (!(buf = malloc((size_t)size + 1))) return NULL;
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        return NULL;
    }
    buf[size] = '\0';
    return buf;
}

/* Runs c in documentation mode: its --help text into d->text, its rows into
 * d->rows.  0, or -1 (message printed). */
static int capture(struct doc_cmd *d, const struct cli_command *c) {
    char help_opt[] = "--help";
    char name[32];
    char *argv[3];
    FILE *tmp = NULL;
    int saved = -1, rc = -1;

    d->c = c;
    snprintf(name, sizeof name, "%s", c->name);
    argv[0] = name;
    argv[1] = help_opt;
    argv[2] = NULL;
    fflush(stdout);
    if (!(tmp = tmpfile()) || (saved = dup(STDOUT_FILENO)) < 0 ||
        dup2(fileno(tmp), STDOUT_FILENO) < 0) {
        fprintf(stderr, "neardup: --doc: cannot capture the help of '%s'\n", c->name);
        goto out;
    }
    opt_doc_hook(collect_rows, d);
    c->fn(2, argv);
    opt_doc_hook(NULL, NULL);
    fflush(stdout);
    if (dup2(saved, STDOUT_FILENO) < 0) goto out;
    if (!(d->text = slurp(tmp)) || d->nomem) {
        fprintf(stderr, "neardup: --doc: %s\n", nd_strerror(ND_ERR_NOMEM));
        goto out;
    }
    if (!strstr(d->text, OPT_DOC_MARK)) {
        fprintf(stderr, "neardup: --doc: '%s' printed no option list\n", c->name);
        goto out;
    }
    rc = 0;
out:
    if (saved >= 0) close(saved);
    if (tmp) fclose(tmp);
    return rc;
}

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Leading spaces off. */
static char *skip_spaces(char *s) {
    while (*s == ' ') s++;
    return s;
}

/* Cuts d->text (a usage text: usage lines, paragraphs separated by blank
 * lines, the option list's heading and mark, "exit status: ...") into its
 * parts, in place.  The main usage's "commands:" paragraph is left out: the
 * commands are listed from the command table itself. */
static void split_text(struct doc_cmd *d) {
    char *p = d->text;

    while (*p) {
        char *para = p, *end = strstr(p, "\n\n"), *mark;
        if (end) {
            *end = '\0';
            p = end + 2;
        } else {
            p += strlen(p);
        }
        while (*para == '\n') para++;
        if (*para == '\0') continue;
        if (starts_with(para, "usage: ")) {
            char *line = para;
            while (line && d->n_synopsis < sizeof d->synopsis / sizeof d->synopsis[0]) {
                char *nl = strchr(line, '\n'), *s;
                if (nl) *nl = '\0';
                s = starts_with(line, "usage: ") ? line + 7 : skip_spaces(line);
                if (*s) {
                    d->synopsis[d->n_synopsis] = s;
                    d->cont[d->n_synopsis++] = !starts_with(s, "neardup");
                }
                line = nl ? nl + 1 : NULL;
            }
        } else if ((mark = strstr(para, OPT_DOC_MARK)) != NULL) {
            while (mark > para && mark[-1] == '\n') mark--;
            *mark = '\0';
            if (strcmp(para, "options:") != 0) d->intro = para;
        } else if (starts_with(para, "exit status: ")) {
            d->exit_status = para + strlen("exit status: ");
        } else if (starts_with(para, "commands:")) {
            continue;
        } else if (d->n_para < sizeof d->para / sizeof d->para[0]) {
            d->para[d->n_para++] = para;
        }
    }
}

/* The words after "neardup CMD" that name a subcommand (index create ...). */
static void find_subcommands(struct doc_cmd *d) {
    for (size_t i = 0; i < d->n_synopsis; i++) {
        const char *s = d->synopsis[i];
        size_t n;
        if (d->cont[i] || d->n_subcommands == sizeof d->sub / sizeof d->sub[0]) continue;
        for (int w = 0; w < 2; w++) { /* past "neardup" and the command */
            s += strcspn(s, " ");
            s += strspn(s, " ");
        }
        n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
        if (n == 0 || n >= sizeof d->sub[0] || (s[n] != ' ' && s[n] != '\0')) continue;
        memcpy(d->sub[d->n_subcommands], s, n);
        d->sub[d->n_subcommands++][n] = '\0';
    }
}

static void doc_cmd_free(struct doc_cmd *d) {
    free(d->text);
    free(d->rows);
}

/* ---- roff ---- */

/* s[0..n-1] as roff text within a line: '\' and '-' escaped, every
 * character past ASCII as \[uXXXX] (invalid UTF-8 as U+FFFD). */
static void roff_put(FILE *f, const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;

    while (i < n) {
        unsigned c = u[i], cp, len;
        if (c < 0x80) {
            if (c == '\\')
                fputs("\\e", f);
            else if (c == '-')
                fputs("\\-", f);
            else
                fputc((int)c, f);
            i++;
            continue;
        }
        len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        cp = len == 4 ? c & 0x07 : len == 3 ? c & 0x0f : c & 0x1f;
        if (len == 1 || i + len > n) {
            cp = 0xfffd;
            len = 1;
        } else {
            for (unsigned k = 1; k < len; k++) {
                if ((u[i + k] & 0xc0) != 0x80) {
                    cp = 0xfffd;
                    len = 1;
                    break;
                }
                cp = (cp << 6) | (u[i + k] & 0x3f);
            }
        }
        fprintf(f, "\\[u%04X]", cp);
        i += len;
    }
}

static void roff_str(FILE *f, const char *s) { roff_put(f, s, strlen(s)); }

/* One text line: a leading '.' or '\'' would be a request, hence "\&". */
static void roff_line(FILE *f, const char *s, size_t n) {
    if (n > 0 && (s[0] == '.' || s[0] == '\'')) fputs("\\&", f);
    roff_put(f, s, n);
    fputc('\n', f);
}

/* A paragraph of --help: its lines, leading spaces off. */
static void roff_para(FILE *f, const char *para) {
    while (*para) {
        size_t n = strcspn(para, "\n");
        const char *s = para;
        while (*s == ' ' && n > 0) {
            s++;
            n--;
        }
        if (n > 0) roff_line(f, s, n);
        para = s + n;
        if (*para == '\n') para++;
    }
}

/* "\fBneardup scan\fR rest": the first two words in bold. */
static void roff_synopsis(FILE *f, const char *s, int cont) {
    size_t bold = 0;
    if (!cont) {
        bold = strcspn(s, " ");
        if (s[bold] == ' ') bold += 1 + strcspn(s + bold + 1, " ");
    }
    if (bold) {
        fputs("\\fB", f);
        roff_put(f, s, bold);
        fputs("\\fR", f);
    }
    roff_line(f, s + bold, strlen(s + bold));
}

static void roff_header(FILE *f, const char *page, const char *title) {
    fprintf(f,
            ".\\\" %s - written by `neardup --doc man` from the option tables\n"
            ".\\\" of the program (src/cli/doc.c); not to be edited.\n",
            page);
    fputs(".TH \"", f);
    roff_str(f, title);
    fprintf(f, "\" 1 \"\" \"neardup %s\" \"User Commands\"\n", nd_version());
}

static void roff_see_also(FILE *f, const struct cli_command *cmds, size_t n, const char *self) {
    int first = 1;
    fputs(".SH SEE ALSO\n", f);
    if (self) {
        fputs("\\fBneardup\\fR(1)", f);
        first = 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cmds[i].name, "help") == 0 || (self && strcmp(cmds[i].name, self) == 0))
            continue;
        fprintf(f, "%s\\fBneardup\\-", first ? "" : ",\n");
        roff_str(f, cmds[i].name);
        fputs("\\fR(1)", f);
        first = 0;
    }
    fputc('\n', f);
}

static void roff_row(FILE *f, const struct doc_row *r) {
    fputs(".TP\n", f);
    if (r->short_name) fprintf(f, "\\fB\\-%c\\fR, ", r->short_name);
    fputs("\\fB\\-\\-", f);
    roff_str(f, r->t.name);
    fputs("\\fR", f);
    if (r->t.meta[0]) {
        fputs(" \\fI", f);
        roff_str(f, r->t.meta);
        fputs("\\fR", f);
    }
    fputc('\n', f);
    roff_line(f, r->help, strlen(r->help));
    if (r->t.def[0]) {
        fputs("(default: ", f);
        roff_str(f, r->t.def);
        fputs(")\n", f);
    }
}

static int man_command(FILE *f, const struct doc_cmd *d, const struct cli_command *cmds, size_t n) {
    char page[64], title[64];

    snprintf(page, sizeof page, "neardup-%s.1", d->c->name);
    snprintf(title, sizeof title, "NEARDUP-%s", d->c->name);
    for (char *t = title; *t; t++)
        if (*t >= 'a' && *t <= 'z') *t = (char)(*t - 'a' + 'A');
    roff_header(f, page, title);
    fputs(".SH NAME\nneardup\\-", f);
    roff_str(f, d->c->name);
    fputs(" \\- ", f);
    roff_str(f, d->c->summary);
    fputs("\n.SH SYNOPSIS\n", f);
    for (size_t i = 0; i < d->n_synopsis; i++) {
        if (i > 0 && !d->cont[i]) fputs(".br\n", f);
        roff_synopsis(f, d->synopsis[i], d->cont[i]);
    }
    fputs(".SH DESCRIPTION\n", f);
    for (size_t i = 0; i < d->n_para; i++) {
        if (i > 0) fputs(".PP\n", f);
        roff_para(f, d->para[i]);
    }
    fputs(".SH OPTIONS\n", f);
    if (d->intro) {
        /* "options (all but X are create's):" -> "All but X are create's." */
        const char *s = d->intro;
        size_t len = strlen(s);
        if (starts_with(s, "options (") && len > 11 && strcmp(s + len - 2, "):") == 0) {
            char buf[512];
            snprintf(buf, sizeof buf, "%.*s.", (int)(len - 11), s + 9);
            if (buf[0] >= 'a' && buf[0] <= 'z') buf[0] = (char)(buf[0] - 'a' + 'A');
            roff_para(f, buf);
        } else {
            roff_para(f, s);
        }
    }
    for (size_t i = 0; i < d->n_rows; i++) roff_row(f, &d->rows[i]);
    if (d->exit_status) {
        fputs(".SH EXIT STATUS\n", f);
        roff_para(f, d->exit_status);
    }
    roff_see_also(f, cmds, n, d->c->name);
    return 0;
}

/* neardup.1: the main usage text and the command table. */
static void man_main(FILE *f, struct doc_cmd *d, const struct cli_command *cmds, size_t n) {
    roff_header(f, "neardup.1", "NEARDUP");
    fputs(".SH NAME\n"
          "neardup \\- find copied and near\\-duplicate paragraphs in a corpus\n"
          ".SH SYNOPSIS\n",
          f);
    for (size_t i = 0; i < d->n_synopsis; i++) {
        if (i > 0 && !d->cont[i]) fputs(".br\n", f);
        roff_synopsis(f, d->synopsis[i], 1);
    }
    fputs(".SH DESCRIPTION\n", f);
    for (size_t i = 0; i < d->n_para; i++) {
        if (i > 0) fputs(".PP\n", f);
        roff_para(f, d->para[i]);
    }
    fputs(".SH COMMANDS\n", f);
    for (size_t i = 0; i < n; i++) {
        fputs(".TP\n\\fB", f);
        roff_str(f, cmds[i].name);
        fputs("\\fR\n", f);
        roff_str(f, cmds[i].summary);
        if (strcmp(cmds[i].name, "help") != 0) {
            fputs("; see \\fBneardup\\-", f);
            roff_str(f, cmds[i].name);
            fputs("\\fR(1)", f);
        }
        fputs(".\n", f);
    }
    fputs(".SH OPTIONS\n"
          ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow the list of commands\n"
          ".TP\n\\fB\\-\\-version\\fR\nshow the version\n"
          ".SH EXIT STATUS\n"
          "Each command's page lists the codes it uses: 0 success, 1 usage error,\n"
          "2 some inputs were skipped, 3 fatal error, 4 no input could be read,\n"
          "130 interrupted.\n",
          f);
    roff_see_also(f, cmds, n, NULL);
}

/* ---- completions ---- */

static int is_file_value(const struct doc_row *r) {
    return strcmp(r->t.meta, "FILE") == 0 || strcmp(r->t.meta, "DIR") == 0 ||
           strcmp(r->t.meta, "DB") == 0; /* an index file (scan --db) */
}

/* The words that complete the option: --name, -x, --no-name / --name. */
static void bash_words(FILE *f, const struct doc_row *r, int *first) {
    if (r->short_name) fprintf(f, "%s-%c", (*first)++ ? " " : "", r->short_name);
    fprintf(f, "%s--%s", (*first)++ ? " " : "", r->base);
    if (r->kind == OPT_KIND_NEGBIT) fprintf(f, " --no-%s", r->base);
}

static void bash_command(FILE *f, const struct doc_cmd *d) {
    int first = 0;

    fprintf(f, "    %s)\n", d->c->name);
    if (d->n_subcommands) {
        fputs("        if [ \"$COMP_CWORD\" -eq 2 ]; then\n"
              "            COMPREPLY=($(compgen -W '",
              f);
        for (size_t i = 0; i < d->n_subcommands; i++) fprintf(f, "%s%s", i ? " " : "", d->sub[i]);
        fputs("' -- \"$cur\"))\n"
              "            return 0\n"
              "        fi\n",
              f);
    }
    fputs("        case $prev in\n", f);
    /* the values: a fixed set, file names, or anything (no completion) */
    for (int pass = 0; pass < 3; pass++) {
        int n = 0;
        for (size_t i = 0; i < d->n_rows; i++) {
            const struct doc_row *r = &d->rows[i];
            int kind;
            if (r->kind == OPT_KIND_HELP || r->kind == OPT_KIND_FLAG ||
                r->kind == OPT_KIND_NEGBIT || r->kind == OPT_KIND_CLEARBIT)
                continue;
            kind = r->kind == OPT_KIND_CHOICE ? 0 : is_file_value(r) ? 1 : 2;
            if (kind != pass) continue;
            if (pass == 0) {
                fputs("        ", f);
                if (r->short_name) fprintf(f, "-%c|", r->short_name);
                fprintf(f,
                        "--%s)\n            COMPREPLY=($(compgen -W '%s' -- "
                        "\"$cur\"))\n            return 0 ;;\n",
                        r->base, r->choices);
                continue;
            }
            fprintf(f, "%s", n++ ? "|" : "        ");
            if (r->short_name) fprintf(f, "-%c|", r->short_name);
            fprintf(f, "--%s", r->base);
        }
        if (n && pass == 1)
            fputs(")\n            return 0 ;; # a file name (complete -o default)\n", f);
        else if (n && pass == 2)
            fputs(")\n            compopt +o default 2>/dev/null\n"
                  "            return 0 ;; # a value: nothing to offer\n",
                  f);
    }
    fputs("        esac\n        opts='", f);
    for (size_t i = 0; i < d->n_rows; i++) bash_words(f, &d->rows[i], &first);
    fputs("'\n        ;;\n", f);
}

static void bash_script(FILE *f, struct doc_cmd *cmds, size_t n) {
    fputs("# bash completion for neardup - written by `neardup --doc bash` from\n"
          "# the option tables of the program (src/cli/doc.c); not to be edited.\n"
          "_neardup()\n"
          "{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev= opts=\n"
          "    [ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    COMPREPLY=()\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "        COMPREPLY=($(compgen -W '",
          f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s ", cmds[i].c->name);
    fputs("help --help --version' -- \"$cur\"))\n"
          "        return 0\n"
          "    fi\n"
          "    case ${COMP_WORDS[1]} in\n",
          f);
    for (size_t i = 0; i < n; i++) bash_command(f, &cmds[i]);
    fputs("    help)\n"
          "        [ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W '",
          f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s", i ? " " : "", cmds[i].c->name);
    fputs("' -- \"$cur\"))\n"
          "        return 0 ;;\n"
          "    *)\n"
          "        return 0 ;;\n"
          "    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "    fi\n"
          "    return 0\n"
          "}\n"
          "complete -o default -F _neardup neardup\n",
          f);
}

/* Text inside a zsh _arguments '...[TEXT]...' spec or a _describe item. */
static void zsh_put(FILE *f, const char *s) {
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else if (*s == '[' || *s == ']' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else
            fputc(*s, f);
    }
}

static void zsh_row(FILE *f, const struct doc_row *r) {
    int value = r->kind != OPT_KIND_HELP && r->kind != OPT_KIND_FLAG &&
                r->kind != OPT_KIND_NEGBIT && r->kind != OPT_KIND_CLEARBIT;
    const char *rep = r->kind == OPT_KIND_LIST ? "*" : "";

    /* "(EXCLUDED)*-x+" / "--name=": --help excludes everything else */
    fputs("    ", f);
    if (r->short_name) {
        if (r->kind == OPT_KIND_HELP)
            fputs("'(- *)'", f);
        else
            fprintf(f, "'(-%c --%s)%s'", r->short_name, r->base, rep);
        fprintf(f, "{-%c%s,--%s%s}'[", r->short_name, value ? "+" : "", r->base, value ? "=" : "");
    } else { /* a NEGBIT row by the form --help shows */
        fprintf(f, "'%s%s--%s%s[", r->kind == OPT_KIND_HELP ? "(- *)" : "", rep, r->t.name,
                value ? "=" : "");
    }
    zsh_put(f, r->help);
    fputs("]", f);
    if (value) {
        fputs(":", f);
        zsh_put(f, r->t.meta[0] && r->kind != OPT_KIND_CHOICE ? r->t.meta : "value");
        if (r->kind == OPT_KIND_CHOICE)
            fprintf(f, ":(%s)", r->choices);
        else if (strcmp(r->t.meta, "DIR") == 0)
            fputs(":_files -/", f);
        else if (is_file_value(r))
            fputs(":_files", f);
        else
            fputs(": ", f);
    }
    fputs("' \\\n", f);
    if (r->kind == OPT_KIND_NEGBIT) { /* the other form */
        fprintf(f, "    '--%s%s[", r->t.negated ? "" : "no-", r->base);
        fputs(r->t.negated ? "undo --no-" : "undo --", f);
        zsh_put(f, r->base);
        fputs("]' \\\n", f);
    }
}

static void zsh_script(FILE *f, struct doc_cmd *cmds, size_t n) {
    fputs("#compdef neardup\n"
          "# zsh completion for neardup - written by `neardup --doc zsh` from\n"
          "# the option tables of the program (src/cli/doc.c); not to be edited.\n",
          f);
    for (size_t i = 0; i < n; i++) {
        const struct doc_cmd *d = &cmds[i];
        fprintf(f, "\n_neardup_%s() {\n  _arguments -s -S \\\n", d->c->name);
        for (size_t j = 0; j < d->n_rows; j++) zsh_row(f, &d->rows[j]);
        if (d->n_subcommands) {
            fputs("    '1:subcommand:(", f);
            for (size_t j = 0; j < d->n_subcommands; j++)
                fprintf(f, "%s%s", j ? " " : "", d->sub[j]);
            fputs(")' \\\n", f);
        }
        fputs("    '*:file:_files'\n}\n", f);
    }
    fputs("\n_neardup() {\n"
          "  local curcontext=\"$curcontext\" state line\n"
          "  typeset -A opt_args\n"
          "  _arguments -C \\\n"
          "    '(- *)'{-h,--help}'[show the list of commands]' \\\n"
          "    '(- *)--version[show the version]' \\\n"
          "    '1:command:->command' \\\n"
          "    '*::argument:->argument'\n"
          "  case $state in\n"
          "  command)\n"
          "    local -a commands\n"
          "    commands=(\n",
          f);
    for (size_t i = 0; i < n; i++) {
        fputs("      '", f);
        zsh_put(f, cmds[i].c->name);
        fputc(':', f);
        zsh_put(f, cmds[i].c->summary);
        fputs("'\n", f);
    }
    fputs("      'help:show the help of a command'\n"
          "    )\n"
          "    _describe -t commands 'neardup command' commands ;;\n"
          "  argument)\n"
          "    case $line[1] in\n",
          f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "    %s) _neardup_%s ;;\n", cmds[i].c->name, cmds[i].c->name);
    fputs("    help) _arguments '1:command:(", f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s", i ? " " : "", cmds[i].c->name);
    fputs(")' ;;\n"
          "    esac ;;\n"
          "  esac\n"
          "}\n"
          "\n"
          "_neardup \"$@\"\n",
          f);
}

/* ---- files ---- */

/* Opens path for writing; prints why not. */
static FILE *open_out(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) {
        char shown[CLI_ESCAPE_SIZE];
        fprintf(stderr, "neardup: cannot create '%s': %s\n", cli_escape(shown, sizeof shown, path),
                strerror(errno));
    }
    return f;
}

/* Closes f; 0, or -1 with the message printed. */
static int close_out(FILE *f, const char *path) {
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        char shown[CLI_ESCAPE_SIZE];
        fprintf(stderr, "neardup: cannot write '%s'\n", cli_escape(shown, sizeof shown, path));
        return -1;
    }
    return 0;
}

int cli_doc(const char *kind, const char *dest, const struct cli_command *cmds, size_t n,
            void (*usage)(FILE *f)) {
    struct doc_cmd docs[16], main_doc;
    size_t nd = 0;
    int rc = CLI_EXIT_FATAL, man = strcmp(kind, "man") == 0, bash = strcmp(kind, "bash") == 0,
        zsh = strcmp(kind, "zsh") == 0;
    FILE *f = NULL, *mem = NULL;
    char path[4096];

    memset(&main_doc, 0, sizeof main_doc);
    memset(docs, 0, sizeof docs);
    if (!man && !bash && !zsh) {
        fprintf(stderr, "neardup: --doc: expected man, bash or zsh\n");
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < n && nd < sizeof docs / sizeof docs[0]; i++) {
        if (strcmp(cmds[i].name, "help") == 0) continue;
        if (capture(&docs[nd], &cmds[i]) != 0) {
            nd++;
            goto out;
        }
        split_text(&docs[nd]);
        find_subcommands(&docs[nd]);
        if (!docs[nd].n_synopsis || !docs[nd].n_para || !docs[nd].exit_status) {
            fprintf(stderr,
                    "neardup: --doc: the help of '%s' lacks its usage "
                    "line, description or exit status\n",
                    cmds[i].name);
            nd++;
            goto out;
        }
        nd++;
    }
    if (bash || zsh) {
        if (!(f = open_out(dest))) goto out;
        if (bash)
            bash_script(f, docs, nd);
        else
            zsh_script(f, docs, nd);
        rc = close_out(f, dest) == 0 ? CLI_EXIT_OK : CLI_EXIT_FATAL;
        f = NULL;
        goto out;
    }
    /* the main page: usage() into a temporary file */
    if (!(mem = tmpfile())) {
        fprintf(stderr, "neardup: --doc: cannot create a temporary file\n");
        goto out;
    }
    usage(mem);
    if (!(main_doc.text = slurp(mem))) {
        fprintf(stderr, "neardup: --doc: %s\n", nd_strerror(ND_ERR_NOMEM));
        goto out;
    }
    split_text(&main_doc);
    snprintf(path, sizeof path, "%s/neardup.1", dest);
    if (!(f = open_out(path))) goto out;
    man_main(f, &main_doc, cmds, n);
    if (close_out(f, path) != 0) {
        f = NULL;
        goto out;
    }
    f = NULL;
    for (size_t i = 0; i < nd; i++) {
        snprintf(path, sizeof path, "%s/neardup-%s.1", dest, docs[i].c->name);
        if (!(f = open_out(path))) goto out;
        man_command(f, &docs[i], cmds, n);
        if (close_out(f, path) != 0) {
            f = NULL;
            goto out;
        }
        f = NULL;
    }
    rc = CLI_EXIT_OK;
out:
    if (f) fclose(f);
    if (mem) fclose(mem);
    doc_cmd_free(&main_doc);
    for (size_t i = 0; i < nd; i++) doc_cmd_free(&docs[i]);
    return rc;
}
