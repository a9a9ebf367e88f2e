/*
 * cmd_compare.c - `neardup compare [options] A B`
 *
 * Finds the passages two documents share (nd_compare_paths) and prints them
 * paired, with path:line in both files and the share of each document found
 * in the other, as text, jsonl or html, on standard output or into -o FILE.
 *
 * Messages (stderr, one line each):
 *   neardup compare: <usage error>                 exit 1
 *   neardup: cannot open 'PATH': <strerror>        exit 2 (nothing compared)
 *   neardup: skipping 'PATH': <reason>             exit 2
 *   neardup: cannot write 'FILE': <reason>         exit 3
 */
#include <errno.h>
#include <fcntl.h>
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

static void usage(const struct opt *table)
{
    printf("usage: neardup compare [options] A B\n"
           "\n"
           "Finds every passage of at least --min-passage normalised characters\n"
           "that the documents A and B share, also inside paragraphs that are\n"
           "otherwise different, and shows them paired with their lines in both\n"
           "files and the share of each document that appears in the other.\n"
           "'-' reads standard input; gzip data is decompressed; files in other\n"
           "encodings are decoded (--encoding) and located by their own bytes.\n"
           "\n"
           "options:\n");
    opt_usage(table);
    printf("\n"
           "exit status: 0 success, 1 usage error, 2 an input could not be read,\n"
           "3 fatal error (out of memory, cannot write the output).\n");
}

static void on_diag(void *user, const nd_diag *d)
{
    (void)user;
    cli_print_diag(d);
}

static int write_fd(void *user, const void *buf, size_t len)
{
    int fd = *(int *)user;
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno ? errno : EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes the comparison to path atomically (temporary file + rename). */
static int write_output(const nd_compare *c, nd_format fmt,
                        const nd_write_options *wo, const char *path)
{
    char shown[CLI_ESCAPE_SIZE];
    size_t n = strlen(path) + 16;
    char *tmp = malloc(n);
    const char *slash = strrchr(path, '/');
    int fd = -1, err = 0, rc = CLI_EXIT_FATAL;
    nd_status st;

    if (tmp == NULL) {
        err = ENOMEM;
        goto out;
    }
    snprintf(tmp, n, "%.*s.%s.XXXXXX",
             slash ? (int)(slash - path) + 1 : 0, path,
             slash ? slash + 1 : path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        err = errno;
        tmp[0] = '\0';
        goto out;
    }
    st = nd_compare_write(c, fmt, wo, write_fd, &fd);
    if (st != ND_OK) {
        err = st == ND_ERR_IO ? nd_compare_sys_errno(c) : ENOMEM;
        if (err == 0)
            err = EIO;
        goto out;
    }
    if (fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
        err = errno;
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        err = errno;
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        err = errno;
        goto out;
    }
    tmp[0] = '\0';
    rc = CLI_EXIT_OK;
out:
    if (fd >= 0)
        close(fd);
    if (tmp != NULL && tmp[0] != '\0')
        unlink(tmp);
    free(tmp);
    if (rc != CLI_EXIT_OK)
        fprintf(stderr, "neardup: cannot write '%s': %s\n",
                cli_escape(shown, sizeof shown, path), strerror(err));
    return rc;
}

static int write_stdout(void *user, const void *buf, size_t len)
{
    (void)user;
    errno = 0;
    if (len && fwrite(buf, 1, len, stdout) != len)
        return errno ? errno : EIO;
    return 0;
}

int cmd_compare(int argc, char **argv)
{
    nd_compare_options co;
    nd_write_options wo;
    nd_compare *c = NULL;
    const char *output = NULL, *encoding = NULL;
    int format = ND_FORMAT_TEXT, npos = 0, rc = CLI_EXIT_FATAL;
    nd_status st;
    char msg[256], flags[512];

    nd_compare_options_default(&co);
    nd_write_options_default(&wo);
    wo.preview = 72;

    const struct opt table[] = {
        {"format", 'f', NULL, OPT_KIND_CHOICE, &format, 0, 0, 0, 0,
         format_choices, "output format", NULL, NULL},
        {"output", 'o', "FILE", OPT_KIND_STRING, &output, 0, 0, 0, 0, NULL,
         "write to FILE (atomically) instead of standard output", "", NULL},
        CLI_PASSAGE_OPTIONS(co.min_passage, co.max_gap),
        {"preview", 0, "N", OPT_KIND_UNSIGNED, &wo.preview, 0, 0, 0, 0, NULL,
         "text: characters shown per passage, 0 = all", NULL, NULL},
        CLI_NORM_OPTIONS(co.norm_flags),
        {"max-file-size", 0, "SIZE", OPT_KIND_SIZE, &co.max_file_size, 0, 0, 0,
         0, NULL, "refuse larger files (after decompression)", NULL, NULL},
        CLI_ENCODING_OPTION(encoding),
        {"help", 'h', NULL, OPT_KIND_HELP, NULL, 0, 0, 0, 0, NULL,
         "show this help", NULL, NULL},
        OPT_END,
    };

    if (!opt_parse_command(table, PROG, argc, argv, &npos, usage, &rc))
        goto out;
    if (npos != 2) {
        opt_error(PROG, "expected two documents A and B, got %d (see '" PROG
                        " --help')", npos);
        rc = CLI_EXIT_USAGE;
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
    st = nd_compare_paths(argv[0], argv[1], &co, on_diag, NULL, &c);
    if (st == ND_ERR_NOMEM || st == ND_ERR_INTERNAL || st == ND_ERR_INVALID) {
        fprintf(stderr, "neardup: compare failed: %s\n", nd_strerror(st));
        goto out;
    }
    if (st != ND_OK) {
        rc = CLI_EXIT_SKIPPED;
        goto out;
    }
    if (output != NULL && strcmp(output, "-") != 0) {
        rc = write_output(c, (nd_format)format, &wo, output);
        goto out;
    }
    st = nd_compare_write(c, (nd_format)format, &wo, write_stdout, NULL);
    int err = st == ND_ERR_IO ? nd_compare_sys_errno(c) : 0;
    if (st == ND_OK && fflush(stdout) != 0) {
        st = ND_ERR_IO;
        err = errno;
    }
    if (st != ND_OK) {
        fprintf(stderr, "neardup: cannot write standard output: %s\n",
                st == ND_ERR_IO && err ? strerror(err) : nd_strerror(st));
        goto out;
    }
    rc = CLI_EXIT_OK;
out:
    nd_compare_free(c);
    return rc;
}
