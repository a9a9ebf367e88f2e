/*
 * nd_internal.h - private helpers shared by the library's modules.
 * Never installed; the CLI must not include it.
 */
#ifndef ND_INTERNAL_H
#define ND_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "neardup.h"

/* Propagate a failing nd_status (zstd's FORWARD_IF_ERROR). */
#define ND_TRY(expr)                                                                               \
    do {                                                                                           \
        nd_status nd_try_st_ = (expr);                                                             \
        if (nd_try_st_ != ND_OK) return nd_try_st_;                                                \
    } while (0)

/* Same, for functions with a `goto out;` cleanup label and a local `st`. */
#define ND_CHECK(expr)                                                                             \
    do {                                                                                           \
        st = (expr);                                                                               \
        if (st != ND_OK) goto out;                                                                 \
    } while (0)

#define ND_UNUSED(x) ((void)(x))
#define ND_MIN(a, b) ((a) < (b) ? (a) : (b))
#define ND_MAX(a, b) ((a) > (b) ? (a) : (b))

/* A function compiled three times - AVX-512, AVX2 and the baseline - and
 * the copy for the CPU chosen when the program loads (GCC's target_clones;
 * not under the sanitizers, which do not support it).  For loops that
 * vectorise (files in CMakeLists.txt's ND_HOT_SOURCES, at -O3). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
#define ND_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define ND_CLONES
#endif

/* Grow *ptr (elements of elem_size) to hold at least `need` elements; *cap is
 * updated.  Overflow-checked.  Returns ND_OK or ND_ERR_NOMEM (*ptr kept). */
nd_status nd_grow(void **ptr, size_t *cap, size_t need, size_t elem_size);

#define ND_GROW(ptr, cap, need) nd_grow((void **)&(ptr), &(cap), (need), sizeof(*(ptr)))

/* calloc/malloc with overflow check of n * size. */
void *nd_calloc(size_t n, size_t size);
void *nd_mallocn(size_t n, size_t size);

/* A bump allocator for many blocks that live and die together (util.c,
 * "Arenas"): anonymous mappings of chunk bytes each, advised into huge
 * pages, handed out front to back; nothing is freed before
 * nd_arena_release.  One arena per thread: it has no lock. */
typedef struct nd_arena_chunk nd_arena_chunk;
typedef struct nd_arena {
    nd_arena_chunk *head; /* the chunk blocks are taken from; older ones follow */
    size_t chunk;         /* bytes of a chunk's mapping */
    uint64_t used;        /* bytes handed out (with alignment), for statistics */
    uint64_t mapped;      /* bytes of all the chunks' mappings */
} nd_arena;

/* An empty arena of chunks of chunk_bytes (rounded up to whole pages; 0:
 * ND_ARENA_CHUNK).  Maps nothing yet. */
void nd_arena_init(nd_arena *a, size_t chunk_bytes);
/* A block of `bytes` (64-byte aligned, not cleared), or NULL when out of
 * memory.  A request larger than a chunk gets a mapping of its own. */
void *nd_arena_alloc(nd_arena *a, size_t bytes);
/* Unmaps every chunk; *a is then empty (as after nd_arena_init). */
void nd_arena_release(nd_arena *a);

/* Copy of s (NUL-terminated) or NULL on allocation failure. */
char *nd_strdup(const char *s);

/* The first index in [lo, hi) whose v[index] >= x, or hi; v ascends there. */
size_t nd_lower_u32(const uint32_t *v, size_t lo, size_t hi, uint64_t x);
/* The same over 64-bit values. */
size_t nd_lower_u64(const uint64_t *v, size_t lo, size_t hi, uint64_t x);

/* The process umask without changing it: Linux reports it in
 * /proc/self/status ("Umask:\t0022"); elsewhere the conservative 022.
 * Calling umask() would briefly change process-wide state under other
 * threads' feet.  Used to give atomically written files the mode open(2)
 * would have given them. */
unsigned nd_process_umask(void);

/* A file descriptor as an nd_write_fn target: nd_fd_write(&out, ...) writes
 * everything (retrying short writes and EINTR) or returns the errno, which
 * it also keeps in err. */
typedef struct nd_fd_out {
    int fd;
    int err;
} nd_fd_out;
int nd_fd_write(void *user, const void *buf, size_t len);

/* Replaces `target` atomically: fill(ctx, out, err) writes the new bytes
 * through out into a temporary file ".BASE.XXXXXX" (mkstemp) next to it,
 * which is then given `mode`, fsync'ed and renamed over target, and the
 * directory is fsync'ed (best effort).  A reader sees the old file or the
 * complete new one.  On failure the temporary file is removed, target is
 * untouched, and *err holds an errno (fill may set it; else ENOMEM for
 * ND_ERR_NOMEM, the failed write's errno or EIO for ND_ERR_IO).  Returns
 * ND_OK, fill's status, ND_ERR_IO or ND_ERR_NOMEM. */
typedef nd_status (*nd_fill_fn)(void *ctx, nd_fd_out *out, int *err);
nd_status nd_replace_file(const char *target, unsigned mode, nd_fill_fn fill, void *ctx, int *err);

/* v as 8 little-endian bytes at p (one store on little-endian machines). */
static inline void nd_store_le64(uint8_t *p, uint64_t v) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &v, sizeof v);
#else
    for (unsigned i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
#endif
}

/* The 8 little-endian bytes at p (one load on little-endian machines). */
static inline uint64_t nd_load_le64(const uint8_t *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
#else
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
#endif
}

/* splitmix64: the fixed generator used to derive every seeded constant. */
static inline uint64_t nd_splitmix64(uint64_t *state) {
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Radix sort of 64-bit keys carrying a 32-bit payload, ascending by
 * (key, payload).  tmp must hold n elements.  Stable, O(n). */
typedef struct nd_key32 {
    uint64_t key;
    uint32_t val;
    uint32_t pad_; /* keeps the struct 16 bytes; always 0 */
} nd_key32;
void nd_sort_key32(nd_key32 *v, nd_key32 *tmp, size_t n);

/* Radix sort of plain 64-bit values, ascending.  tmp must hold n values. */
void nd_sort_u64(uint64_t *v, uint64_t *tmp, size_t n);

/* Sorts v[0..n-1] ascending in place, without scratch: an introsort
 * (introsort.h), O(n log n) whatever the input. */
void nd_sort_u64_inplace(uint64_t *v, size_t n);

/* A fingerprint's place (stage_fingerprint.c): its k-gram hash, document,
 * position and context.  nd_sort_fp_top writes src[0..n-1], whose hashes
 * share their top `top` bits, to dst ordered by hash, stably (equal hashes
 * keep their input order); count is scratch of 2^ND_FP_SORT_BITS. */
typedef struct nd_fp {
    uint64_t hash;
    uint32_t doc, pos;
    uint32_t ctx;  /* its k-gram's neighbours (nd_winnow_ctx) */
    uint32_t pad_; /* 0: the struct has no undefined bytes (it is written
                      to spill files and sent between ranks) */
} nd_fp;
#define ND_FP_SORT_BITS 16
void nd_sort_fp_top(const nd_fp *src, nd_fp *dst, size_t n, unsigned top, uint32_t *count);

/* Same result as nd_sort_u64, much faster when the low 32 bits of v are
 * already ascending (band entries key << 32 | id built in id order): then
 * only the high 32 bits are sorted, stably, in three 11-bit passes. */
void nd_sort_hi32(uint64_t *v, uint64_t *tmp, size_t n);
/* Sorts v[0..n) as nd_sort_hi32 does (stable by the key in the high 32
 * bits) when its entries all share the top `top` bits of the key: one
 * counting pass on the next bits (2^b ~ n) and an insertion sort, for the
 * small groups of an MSD pass.  tmp holds n entries. */
void nd_sort_hi32_tail(uint64_t *v, uint64_t *tmp, size_t n, unsigned top);

#endif /* ND_INTERNAL_H */
