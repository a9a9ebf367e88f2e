/*
 * escape.c - makes untrusted byte strings (file names, option values) safe to
 * show in a one-line message.
 *
 * A file name on Linux is any byte string without '/' or NUL: it may hold a
 * newline, an escape sequence or bytes that are not UTF-8.  Printed raw, such
 * a name would split a diagnostic over two lines or drive the terminal.  We
 * keep valid, printable UTF-8 as it is (so Chinese file names stay readable)
 * and write everything else as \xNN.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if s does not start
 * one (overlong forms, surrogates and values above U+10FFFF are invalid). */
static size_t utf8_valid_len(const unsigned char *s, unsigned *cp_out) {
    unsigned c = s[0], cp, need, min;

    if (c < 0x80) {
        *cp_out = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        cp = c & 0x1fu;
        need = 1;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        cp = c & 0x0fu;
        need = 2;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        cp = c & 0x07u;
        need = 3;
        min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if ((s[i] & 0xc0u) != 0x80u) /* also stops at the NUL */
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    *cp_out = cp;
    return need + 1;
}

const char *cli_escape(char *buf, size_t size, const char *s) {
    static const char ellipsis[] = "...";
    const unsigned char *p = (const unsigned char *)s;
    size_t n = 0;

    if (size == 0) return buf;
    buf[0] = '\0';
    if (size < sizeof ellipsis + 4) return buf;
    while (*p) {
        unsigned cp = 0;
        size_t len = utf8_valid_len(p, &cp);
        int escape = len == 0 || cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
        size_t out_len = escape ? 4 * (len ? len : 1) : len;

        /* keep room for the ellipsis and the NUL */
        if (n + out_len + sizeof ellipsis > size) {
            memcpy(buf + n, ellipsis, sizeof ellipsis);
            return buf;
        }
        if (escape) {
            size_t cnt = len ? len : 1;
            for (size_t i = 0; i < cnt; i++) {
                snprintf(buf + n, size - n, "\\x%02x", (unsigned)p[i]);
                n += 4;
            }
            p += cnt;
        } else {
            memcpy(buf + n, p, len);
            n += len;
            p += len;
        }
    }
    buf[n] = '\0';
    return buf;
}
