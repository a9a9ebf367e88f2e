/*
 * test_golden.c - golden vectors: normalised text, shingle count and full
 * MinHash signature of fixed inputs under the default options.
 *
 * Signatures are part of what a persistent index stores, so any change to
 * normalisation, tokens, shingle hashing, the permutation family or the seed
 * must show up here.  Regenerate deliberately with
 *     ND_GOLDEN_UPDATE=1 build/tests/test_golden
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neardup.h"
#include "support.h"

/* Reads the next input line (skipping comments), unescaping \t and \\. */
static int next_input(char **cursor, char *out, size_t cap) {
    while (**cursor) {
        char *line = *cursor, *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        *cursor = nl ? nl + 1 : line + len;
        if (len == 0 || line[0] == '#') continue;
        size_t o = 0;
        for (size_t i = 0; i < len && o + 1 < cap; i++) {
            if (line[i] == '\\' && i + 1 < len) {
                i++;
                out[o++] = line[i] == 't' ? '\t' : line[i];
            } else {
                out[o++] = line[i];
            }
        }
        out[o] = '\0';
        return 1;
    }
    return 0;
}

/* Renders one vector block exactly as golden/signatures.txt stores it. */
static void render(nd_sketcher *sk, const char *text, char *out, size_t cap) {
    char *norm = NULL;
    size_t nlen = 0, nsh = 0;
    uint64_t *set = NULL;
    uint32_t sig[128];
    cr_assert_eq(nd_sketcher_normalize(sk, text, strlen(text), &norm, &nlen), ND_OK);
    cr_assert_eq(nd_sketcher_shingles(sk, text, strlen(text), &set, &nsh), ND_OK);
    cr_assert_eq(nd_sketcher_signature(sk, text, strlen(text), sig), ND_OK);
    size_t o = (size_t)snprintf(
        out, cap, "input: %s\nnormalised: %s\nshingles: %zu\nsignature:", text, norm, nsh);
    for (int i = 0; i < 128 && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%08x", i % 8 ? " " : "\n  ", sig[i]);
    if (o < cap) snprintf(out + o, cap - o, "\n\n");
    free(norm);
    free(set);
}

Test(golden, signatures_of_fixed_inputs_do_not_change) {
    char *inputs = nd_test_read_file(nd_test_data_path("golden/inputs.txt"), NULL);
    nd_sketcher *sk = NULL;
    cr_assert_eq(nd_sketcher_new(NULL, &sk), ND_OK);
    size_t cap = 1 << 20, len = 0;
    char *got = calloc(1, cap);
    char text[4096], block[8192];
    char *cur = inputs;
    int n = 0;
    while (next_input(&cur, text, sizeof text)) {
        render(sk, text, block, sizeof block);
        size_t bl = strlen(block);
        cr_assert_lt(len + bl, cap);
        memcpy(got + len, block, bl + 1);
        len += bl;
        n++;
    }
    cr_assert_eq(n, 8, "eight golden inputs");
    const char *path = nd_test_data_path("golden/signatures.txt");
    if (getenv("ND_GOLDEN_UPDATE")) {
        FILE *f = fopen(path, "wb");
        cr_assert_not_null(f);
        fwrite(got, 1, len, f);
        fclose(f);
        cr_log_warn("golden vectors rewritten: %s", path);
    }
    size_t want_len = 0;
    char *want = nd_test_read_file(path, &want_len);
    cr_expect_eq(want_len, len, "golden file length");
    cr_expect(strcmp(want, got) == 0, "signatures differ from %s", path);
    free(want);
    free(got);
    free(inputs);
    nd_sketcher_free(sk);
}
