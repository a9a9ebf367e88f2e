/*
 * to_jsonl.c - the documents of a generated corpus as JSON Lines records,
 * for measuring `neardup scan --jsonl text` against the plain files.
 *
 *   to_jsonl [--ascii] [--files N] DOCS_DIR OUT
 *
 * Reads the *.txt files of DOCS_DIR in byte order of their names and writes one record
 * per document, {"id":"NAME","text":"..."}, in that order: with --files 1
 * (the default) into the file OUT, else into OUT/part-NNN.jsonl, N files of
 * consecutive documents.  The text is escaped as RFC 8259 requires (quote,
 * backslash, controls; "\n" for line ends); --ascii also writes every
 * non-ASCII character as \uXXXX (astral ones as surrogate pairs), as
 * Python's json.dumps does by default - the worst case for the reader.
 * Invalid UTF-8 is written as U+FFFD.  Exit 1 with a message on any error.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PROG "to_jsonl"

static void die(const char *what, const char *path) {
    fprintf(stderr, PROG ": %s '%s': %s\n", what, path, strerror(errno));
    exit(1);
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The code point at s[0..n-1] and its length, or 0xFFFD and 1. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *adv) {
    unsigned char c = s[0];
    uint32_t cp;
    size_t k;
    if (c < 0x80) {
        *adv = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, cp = c & 0x07;
    else
        goto bad;
    if (n < k) goto bad;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) goto bad;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        goto bad;
    *adv = k;
    return cp;
bad:
    *adv = 1;
    return 0xFFFD;
}

static void put_string(FILE *f, const unsigned char *s, size_t n, int ascii) {
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        size_t adv = 1;
        uint32_t cp = utf8_next(s + i, n - i, &adv);
        if (cp == '"' || cp == '\\') {
            fputc('\\', f);
            fputc((int)cp, f);
        } else if (cp == '\n') {
            fputs("\\n", f);
        } else if (cp == '\r') {
            fputs("\\r", f);
        } else if (cp == '\t') {
            fputs("\\t", f);
        } else if (cp < 0x20) {
            fprintf(f, "\\u%04x", (unsigned)cp);
        } else if (cp < 0x80) {
            fputc((int)cp, f);
        } else if (ascii && cp < 0x10000) {
            fprintf(f, "\\u%04x", (unsigned)cp);
        } else if (ascii) {
            cp -= 0x10000;
            fprintf(f, "\\u%04x\\u%04x", (unsigned)(0xD800 + (cp >> 10)),
                    (unsigned)(0xDC00 + (cp & 0x3FF)));
        } else if (cp == 0xFFFD && adv == 1) { /* an invalid byte */
            fputs("\xEF\xBF\xBD", f);
        } else {
            fwrite(s + i, 1, adv, f);
        }
        i += adv;
    }
    fputc('"', f);
}

int main(int argc, char **argv) {
    int ascii = 0;
    long files = 1;
    const char *dir = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ascii") == 0) {
            ascii = 1;
        } else if (strcmp(argv[i], "--files") == 0 && i + 1 < argc) {
            char *end = NULL;
            files = strtol(argv[++i], &end, 10);
            if (!end || *end || files < 1 || files > 999) {
                fprintf(stderr, PROG ": --files: '%s' is not a number from 1 to 999\n", argv[i]);
                return 1;
            }
        } else if (!dir) {
            dir = argv[i];
        } else if (!out) {
            out = argv[i];
        } else {
            fprintf(stderr, "usage: " PROG " [--ascii] [--files N] DOCS_DIR OUT\n");
            return 1;
        }
    }
    if (!dir || !out) {
        fprintf(stderr, "usage: " PROG " [--ascii] [--files N] DOCS_DIR OUT\n");
        return 1;
    }
    DIR *d = opendir(dir);
    if (!d) die("cannot open", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *de; (de = readdir(d));) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".txt") != 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            names = realloc(names, cap * sizeof *names);
            if (!names) die("out of memory reading", dir);
        }
        if (!(names[n++] = strdup(de->d_name))) die("out of memory reading", dir);
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    if (files > 1 && mkdir(out, 0777) != 0 && errno != EEXIST) die("cannot create", out);
    FILE *f = NULL;
    size_t per = (n + (size_t)files - 1) / (size_t)files;
    char path[4096];
    unsigned char *buf = NULL;
    size_t bcap = 0;
    for (size_t i = 0; i < n; i++) {
        if (!f || (files > 1 && i % per == 0)) {
            if (f && fclose(f) != 0) die("cannot write", path);
            if (files > 1)
                snprintf(path, sizeof path, "%s/part-%03zu.jsonl", out, i / per);
            else
                snprintf(path, sizeof path, "%s", out);
            if (!(f = fopen(path, "wb"))) die("cannot create", path);
        }
        char in[4096];
        snprintf(in, sizeof in, "%s/%s", dir, names[i]);
        FILE *g = fopen(in, "rb");
        if (!g) die("cannot open", in);
        size_t len = 0;
        for (;;) {
            if (len == bcap) {
                bcap = bcap ? bcap * 2 : 1 << 20;
                if (!(buf = realloc(buf, bcap))) die("out of memory reading", in);
            }
            size_t got = fread(buf + len, 1, bcap - len, g);
            len += got;
            if (got == 0) break;
        }
        if (ferror(g)) die("cannot read", in);
        fclose(g);
        fputs("{\"id\":", f);
        put_string(f, (const unsigned char *)names[i], strlen(names[i]), 0);
        fputs(",\"text\":", f);
        put_string(f, buf, len, ascii);
        fputs("}\n", f);
        free(names[i]);
    }
    if (f && fclose(f) != 0) die("cannot write", path);
    free(names);
    free(buf);
    return 0;
}
