#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

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

uint64_t nd_test_token_value(const void *bytes, size_t len) {
    const unsigned char *b = bytes;
    if (len > 16) return (uint64_t)XXH3_64bits(b, len) | (UINT64_C(1) << 63);
    uint64_t lo = 0, hi = 0;
    for (size_t i = 0; i < len; i++) {
        if (i < 8)
            lo |= (uint64_t)b[i] << (8 * i);
        else
            hi |= (uint64_t)b[i] << (8 * (i - 8));
    }
    uint64_t a = lo ^ UINT64_C(0x9E3779B97F4A7C15), c = hi ^ UINT64_C(0xC2B2AE3D27D4EB4F) ^ len;
    uint64_t al = a & 0xFFFFFFFFu, ah = a >> 32, cl = c & 0xFFFFFFFFu, ch = c >> 32;
    uint64_t ll = al * cl, lh = al * ch, hl = ah * cl, hh = ah * ch;
    uint64_t mid = (ll >> 32) + (lh & 0xFFFFFFFFu) + (hl & 0xFFFFFFFFu);
    uint64_t plo = (ll & 0xFFFFFFFFu) | mid << 32, phi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    uint64_t h = plo ^ phi;
    h ^= h >> 29;
    h *= UINT64_C(0xBF58476D1CE4E5B9);
    h ^= h >> 32;
    return h | UINT64_C(1) << 63;
}

static char tmp_root[256];

void nd_test_tmp_make(const char *name) {
    snprintf(tmp_root, sizeof tmp_root, "/tmp/nd-%s-XXXXXX", name);
    cr_assert_not_null(mkdtemp(tmp_root));
}

void nd_test_tmp_remove(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp_root);
    cr_assert_eq(system(cmd), 0);
}

const char *nd_test_tmp_dir(void) { return tmp_root; }

const char *nd_test_tmp_at(const char *rel) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp_root, rel);
    return buf[k];
}

void nd_test_tmp_put(const char *rel, const void *data, size_t len) {
    FILE *f = fopen(nd_test_tmp_at(rel), "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}
