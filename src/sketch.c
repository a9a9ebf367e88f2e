/*
 * sketch.c - shingles and MinHash.
 *
 * What is estimated.  The Jaccard similarity J(A,B) = |A n B| / |A u B| of
 * two paragraphs' shingle sets.  A shingle is `w` consecutive tokens (default
 * 5; see text.h for tokens), hashed to 64 bits with XXH3-64 over the tokens'
 * 64-bit values (little-endian) seeded with opt.seed.  A paragraph with fewer
 * than w tokens has one shingle made of all its tokens, so no paragraph with
 * text has an empty set.
 *
 * MinHash (Broder 1997).  For k hash functions h_i, P[min h_i(A) = min h_i(B)]
 * = J(A,B) when h_i behaves like a random permutation, so the share of equal
 * signature values estimates J with standard error sqrt(J(1-J)/k).  Our h_i
 * is Dietzfelbinger's multiply-add-shift scheme on the 64-bit shingle hash:
 *
 *     h_i(x) = ((a_i * x + b_i) mod 2^64) >> 32,    a_i odd,
 *
 * with (a_i, b_i) drawn from splitmix64 seeded by opt.seed ^ ND_MH_SALT.  All
 * arithmetic is on uint64_t, where wrap-around is defined; the test suite
 * checks it against a 128-bit reference.  The inputs are already XXH3 hashes,
 * so the family only has to decorrelate the k functions, which multiply-shift
 * does at one multiply and one add per value.
 *
 * Speed.  The loop over the k functions for one shingle is branch-free and
 * auto-vectorised; GCC's target_clones builds it for x86-64-v4 (AVX-512, with
 * a native 64-bit multiply), x86-64-v3 (AVX2) and baseline x86-64, and the
 * loader picks the best one for the CPU it runs on (an ifunc), so one portable
 * binary is fast everywhere.  Build with -fopt-info-vec to see the loops
 * vectorise (README, "Checking the hot loops").
 *
 * Sets.  For exact verification a set is the sorted, duplicate-free array of
 * shingle hashes (radix sort); intersection is a linear merge.
 */
#include "sketch.h"

#include <string.h>
#include <xxhash.h>

#include "nd_internal.h"

#define ND_MH_SALT UINT64_C(0x6d696e6861736821) /* "minhash!" */

nd_status nd_minhash_init(nd_minhash *mh, unsigned k, uint64_t seed) {
    memset(mh, 0, sizeof *mh);
    if (k == 0) return ND_ERR_INVALID;
    mh->a = nd_mallocn(k, sizeof *mh->a);
    mh->b = nd_mallocn(k, sizeof *mh->b);
    if (!mh->a || !mh->b) {
        nd_minhash_release(mh);
        return ND_ERR_NOMEM;
    }
    uint64_t state = seed ^ ND_MH_SALT;
    for (unsigned i = 0; i < k; i++) {
        mh->a[i] = nd_splitmix64(&state) | 1u;
        mh->b[i] = nd_splitmix64(&state);
    }
    mh->k = k;
    return ND_OK;
}

void nd_minhash_release(nd_minhash *mh) {
    free(mh->a);
    free(mh->b);
    memset(mh, 0, sizeof *mh);
}

void nd_minhash_reset(const nd_minhash *mh, uint32_t *sig) {
    for (unsigned i = 0; i < mh->k; i++) sig[i] = UINT32_MAX;
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&         \
    !defined(__SANITIZE_ADDRESS__)
#define ND_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ND_CLONES
#endif

ND_CLONES
static void minhash_fold(const uint64_t *restrict a, const uint64_t *restrict b,
                         unsigned k, const uint64_t *restrict x, size_t n,
                         uint32_t *restrict sig) {
    for (size_t j = 0; j < n; j++) {
        const uint64_t xj = x[j];
        for (unsigned i = 0; i < k; i++) {
            uint32_t v = (uint32_t)((a[i] * xj + b[i]) >> 32);
            sig[i] = v < sig[i] ? v : sig[i];
        }
    }
}

void nd_minhash_update(const nd_minhash *mh, const uint64_t *x, size_t n,
                       uint32_t *sig) {
    minhash_fold(mh->a, mh->b, mh->k, x, n, sig);
}

size_t nd_shingle_hashes(const uint64_t *tok, size_t ntok, unsigned w,
                         uint64_t seed, uint64_t *out) {
    if (ntok == 0) return 0;
    if (ntok < w) {
        out[0] = XXH3_64bits_withSeed(tok, ntok * sizeof *tok, seed);
        return 1;
    }
    size_t n = ntok - w + 1;
    for (size_t i = 0; i < n; i++)
        out[i] = XXH3_64bits_withSeed(tok + i, (size_t)w * sizeof *tok, seed);
    return n;
}

size_t nd_hashset_make(uint64_t *h, uint64_t *tmp, size_t n) {
    if (n < 2) return n;
    if (n <= 64) { /* insertion sort beats 8 radix passes on tiny sets */
        for (size_t i = 1; i < n; i++) {
            uint64_t v = h[i];
            size_t j = i;
            while (j > 0 && h[j - 1] > v) {
                h[j] = h[j - 1];
                j--;
            }
            h[j] = v;
        }
    } else {
        nd_sort_u64(h, tmp, n);
    }
    size_t m = 1;
    for (size_t i = 1; i < n; i++)
        if (h[i] != h[m - 1]) h[m++] = h[i];
    return m;
}

size_t nd_hashset_intersection(const uint64_t *a, size_t na, const uint64_t *b,
                               size_t nb) {
    size_t i = 0, j = 0, c = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            c++;
            i++;
            j++;
        }
    }
    return c;
}

double nd_hashset_jaccard(const uint64_t *a, size_t na, const uint64_t *b,
                          size_t nb) {
    if (na == 0 && nb == 0) return 0.0;
    size_t inter = nd_hashset_intersection(a, na, b, nb);
    return (double)inter / (double)(na + nb - inter);
}

void nd_shingler_init(nd_shingler *s, const nd_options *opt) {
    memset(s, 0, sizeof *s);
    nd_norm_init(&s->norm, opt->norm_flags);
    s->w = opt->shingle;
    s->seed = opt->seed;
}

void nd_shingler_release(nd_shingler *s) {
    nd_norm_release(&s->norm);
    free(s->sh);
    free(s->tmp);
    memset(s, 0, sizeof *s);
}

nd_status nd_shingler_run(nd_shingler *s, const uint8_t *text, size_t len,
                          uint64_t **hashes, size_t *nhashes, size_t *nchars,
                          const uint64_t **tokens, size_t *ntok) {
    const uint64_t *tok = NULL;
    size_t nt = 0, nc = 0;
    ND_TRY(nd_norm_tokens(&s->norm, text, len, &tok, &nt, &nc));
    size_t need = nt ? (nt >= s->w ? nt - s->w + 1 : 1) : 1;
    if (need > s->sh_cap) {
        size_t cap = s->sh_cap;
        ND_TRY(ND_GROW(s->sh, cap, need));
        cap = s->sh_cap;
        ND_TRY(ND_GROW(s->tmp, cap, need));
        s->sh_cap = cap;
    }
    *nhashes = nd_shingle_hashes(tok, nt, s->w, s->seed, s->sh);
    *hashes = s->sh;
    *nchars = nc;
    if (tokens) *tokens = tok;
    if (ntok) *ntok = nt;
    return ND_OK;
}

nd_status nd_shingler_set(nd_shingler *s, const uint8_t *text, size_t len,
                          uint64_t **set, size_t *nset) {
    uint64_t *h = NULL;
    size_t n = 0, nc = 0;
    ND_TRY(nd_shingler_run(s, text, len, &h, &n, &nc, NULL, NULL));
    *nset = nd_hashset_make(h, s->tmp, n);
    *set = h;
    return ND_OK;
}

/* ------------------------------------------------------------------------ */
/* Public sketcher                                                           */
/* ------------------------------------------------------------------------ */

struct nd_sketcher {
    nd_options opt;
    nd_shingler sh;
    nd_minhash mh;
};

nd_status nd_sketcher_new(const nd_options *opt, nd_sketcher **out) {
    nd_status st = ND_OK;
    nd_sketcher *sk = NULL;
    if (!out) return ND_ERR_INVALID;
    if (!(sk = nd_calloc(1, sizeof *sk))) return ND_ERR_NOMEM;
    if (opt)
        sk->opt = *opt;
    else
        nd_options_default(&sk->opt);
    ND_CHECK(nd_options_check(&sk->opt, NULL, 0));
    nd_shingler_init(&sk->sh, &sk->opt);
    ND_CHECK(nd_minhash_init(&sk->mh, sk->opt.num_perm, sk->opt.seed));
    *out = sk;
    sk = NULL;
out:
    nd_sketcher_free(sk);
    return st;
}

void nd_sketcher_free(nd_sketcher *sk) {
    if (!sk) return;
    nd_shingler_release(&sk->sh);
    nd_minhash_release(&sk->mh);
    free(sk);
}

nd_status nd_sketcher_normalize(nd_sketcher *sk, const char *text, size_t len,
                                char **out, size_t *out_len) {
    if (!sk || (!text && len) || !out || !out_len) return ND_ERR_INVALID;
    const uint32_t *cps = NULL;
    size_t n = 0;
    ND_TRY(nd_norm_chars(&sk->sh.norm, (const uint8_t *)text, len, &cps, &n));
    char *buf = nd_mallocn(n * 4 + 1, 1);
    if (!buf) return ND_ERR_NOMEM;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) o += nd_utf8_encode(cps[i], (uint8_t *)buf + o);
    buf[o] = '\0';
    *out = buf;
    *out_len = o;
    return ND_OK;
}

nd_status nd_sketcher_shingles(nd_sketcher *sk, const char *text, size_t len,
                               uint64_t **out, size_t *count) {
    if (!sk || (!text && len) || !out || !count) return ND_ERR_INVALID;
    uint64_t *set = NULL;
    size_t n = 0;
    ND_TRY(nd_shingler_set(&sk->sh, (const uint8_t *)text, len, &set, &n));
    if (n == 0) {
        *out = NULL;
        *count = 0;
        return ND_OK;
    }
    uint64_t *copy = nd_mallocn(n, sizeof *copy);
    if (!copy) return ND_ERR_NOMEM;
    memcpy(copy, set, n * sizeof *copy);
    *out = copy;
    *count = n;
    return ND_OK;
}

nd_status nd_sketcher_signature(nd_sketcher *sk, const char *text, size_t len,
                                uint32_t *sig) {
    if (!sk || (!text && len) || !sig) return ND_ERR_INVALID;
    uint64_t *h = NULL;
    size_t n = 0, nc = 0;
    ND_TRY(nd_shingler_run(&sk->sh, (const uint8_t *)text, len, &h, &n, &nc, NULL, NULL));
    nd_minhash_reset(&sk->mh, sig);
    nd_minhash_update(&sk->mh, h, n, sig);
    return ND_OK;
}

nd_status nd_sketcher_jaccard(nd_sketcher *sk, const char *a, size_t alen,
                              const char *b, size_t blen, double *out) {
    nd_status st = ND_OK;
    uint64_t *sa = NULL;
    size_t na = 0;
    if (!sk || (!a && alen) || (!b && blen) || !out) return ND_ERR_INVALID;
    ND_CHECK(nd_sketcher_shingles(sk, a, alen, &sa, &na));
    uint64_t *sb = NULL;
    size_t nb = 0;
    ND_CHECK(nd_shingler_set(&sk->sh, (const uint8_t *)b, blen, &sb, &nb));
    *out = nd_hashset_jaccard(sa, na, sb, nb);
out:
    free(sa);
    return st;
}
