/*
 * fuzz_util.h - helpers shared by the libFuzzer harnesses (tests/fuzz/).
 *
 * A harness checks invariants with FUZZ_CHECK; a failed check prints one
 * line and aborts, which libFuzzer reports as a crash and saves the input.
 */
#ifndef ND_FUZZ_UTIL_H
#define ND_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz check failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Takes parameters off the front of the fuzz input. */
typedef struct fuzz_in {
    const uint8_t *p;
    size_t n;
} fuzz_in;

static inline unsigned fuzz_u8(fuzz_in *in) {
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

static inline unsigned fuzz_u16(fuzz_in *in) {
    unsigned a = fuzz_u8(in);
    return a | fuzz_u8(in) << 8;
}

/* Length of the well-formed UTF-8 sequence at s[0..n-1] (RFC 3629, written
 * independently of the library's decoder), or 0 if it is ill-formed. */
static inline size_t fuzz_utf8_len(const uint8_t *s, size_t n) {
    uint8_t b = s[0];
    if (b < 0x80) return 1;
    size_t need;
    uint32_t cp;
    if ((b & 0xE0) == 0xC0) {
        need = 2;
        cp = b & 0x1Fu;
    } else if ((b & 0xF0) == 0xE0) {
        need = 3;
        cp = b & 0x0Fu;
    } else if ((b & 0xF8) == 0xF0) {
        need = 4;
        cp = b & 0x07u;
    } else {
        return 0;
    }
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return need;
}

static inline int fuzz_valid_utf8(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        size_t l = fuzz_utf8_len(s + i, n - i);
        if (!l) return 0;
        i += l;
    }
    return 1;
}

#endif /* ND_FUZZ_UTIL_H */
