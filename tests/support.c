#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *nd_test_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    cr_assert_not_null(buf);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap) break;
        cap *= 2;
        buf = realloc(buf, cap + 1);
        cr_assert_not_null(buf);
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static const char *env_path(const char *var, const char *fallback, const char *rel) {
    static char path[4096];
    const char *dir = getenv(var);
    if (!dir) dir = fallback;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    return path;
}

const char *nd_test_seed_path(const char *name) {
    return env_path("ND_SEEDS", ND_SOURCE_DIR "/examples/seeds", name);
}

const char *nd_test_data_path(const char *rel) {
    return env_path("ND_TEST_DATA", ND_SOURCE_DIR "/tests", rel);
}

int nd_test_buf_write(void *user, const void *buf, size_t len) {
    nd_test_buf *m = user;
    if (m->len + len + 1 > m->cap) {
        m->cap = (m->len + len + 1) * 2;
        m->data = realloc(m->data, m->cap);
        cr_assert_not_null(m->data);
    }
    memcpy(m->data + m->len, buf, len);
    m->len += len;
    m->data[m->len] = '\0';
    return 0;
}
