/* support.h - small helpers shared by the Criterion test programs. */
#ifndef ND_TEST_SUPPORT_H
#define ND_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* Reads a whole file into a new NUL-terminated buffer (caller frees);
 * aborts the test on failure.  *len may be NULL. */
char *nd_test_read_file(const char *path, size_t *len);

/* Path of a file in the bundled corpus ($ND_SEEDS/name) in a static buffer. */
const char *nd_test_seed_path(const char *name);

/* Path of a file under tests/ ($ND_TEST_DATA/rel) in a static buffer. */
const char *nd_test_data_path(const char *rel);

/* A growing memory buffer that is an nd_write_fn sink; data stays
 * NUL-terminated.  Start from {0}; free(data) when done. */
typedef struct nd_test_buf {
    char *data;
    size_t len, cap;
} nd_test_buf;

int nd_test_buf_write(void *user, const void *buf, size_t len);

/* The value of a token of two or more code points with UTF-8 bytes
 * b[0..len-1] (src/text.h), computed independently of text.c: for up to 16
 * bytes the short-token hash (the bytes as two little-endian words, zero
 * past the token, multiplied in 32-bit limbs), for longer ones the shared
 * libxxhash's XXH3_64bits; bit 63 set. */
uint64_t nd_test_token_value(const void *b, size_t len);

/* A temporary directory per test (Criterion runs each test in its own
 * process): nd_test_tmp_make creates /tmp/nd-NAME-XXXXXX (a suite's .init,
 * through a wrapper), nd_test_tmp_remove removes it with everything in it
 * (.fini); nd_test_tmp_at gives the path of rel inside it (one of four
 * rotating static buffers) and nd_test_tmp_put writes a file there. */
void nd_test_tmp_make(const char *name);
void nd_test_tmp_remove(void);
const char *nd_test_tmp_dir(void);
const char *nd_test_tmp_at(const char *rel);
void nd_test_tmp_put(const char *rel, const void *data, size_t len);

#endif
