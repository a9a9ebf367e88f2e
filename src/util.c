/*
 * util.c - helpers shared by the library's modules (nd_internal.h):
 * allocation, the umask, and writing files (a write loop over a descriptor
 * and the atomic replacement of a file, used by the report writer and by
 * clean).
 *
 * Contracts: every helper checks the multiplication n * size for overflow and
 * reports failure (NULL / ND_ERR_NOMEM) instead of wrapping.  A request for
 * zero bytes still returns a unique non-NULL pointer, so callers can treat
 * NULL as "out of memory" without special cases.
 *
 * Memory.  A scan touches some 190 bytes of fresh memory a paragraph, and
 * every first touch of a 4 KiB page is a fault: 57,311 of them on the
 * 100 MB one-per-line English bench corpus, a third of the run's CPU time
 * on the 2-core VM we measure on (a fault there costs several
 * microseconds; touching 200 MB page by page takes 0.9 s there, in huge
 * pages 0.02-0.4 s), and faults of the threads of one process wait for
 * each other (two threads touching 50 MB each page by page: 1.10 s, one
 * alone 0.47 s).  So arrays of 1 MiB or more live in transparent huge
 * pages of 2 MiB (madvise MADV_HUGEPAGE; Linux with THP in "madvise" mode,
 * Debian's default), allocated aligned to 2 MiB and rounded up to a
 * multiple of it: the advice alone left every block glibc maps on its own
 * (at a 4 KiB boundary) with up to 2 MiB at each end in small pages.  With
 * the split's worker stores (stage_split.c, "Memory") the same run takes
 * 10,500 faults with the advice alone on blocks of 2 MiB or more, 2,800
 * aligned (9 % less time), and wrapped English at 2 threads 5,996 with
 * blocks of 2 MiB or more aligned, 3,103 from 1 MiB (the split's join
 * copies into arrays of 1-2 MiB there; 8 % less time; bench/README.md,
 * round 11).  The price is the last huge page of each block, resident
 * whole, and a copy where realloc would have moved a mapping (nd_grow).
 * A large nd_calloc is cleared with memset, since an aligned block may
 * come from reused heap memory.  Pages are not prefaulted
 * (MADV_POPULATE_WRITE): that zeroes them on the thread that allocates,
 * where the tasks that fill the array fault them in parallel (2 threads,
 * one-per-line English: 0.15 s of zeroing on the main thread alone before
 * the split's join).  Where the advice is not known it is left out and
 * only speed changes.
 *
 * Arenas (nd_arena).  Blocks that are kept until a stage's output is
 * released - the passage stage's normalised texts, 6 bytes a character of
 * the whole corpus - were one malloc each: fresh pages, one fault per 4 KiB,
 * 70 % of a `scan --passages` run's faults.  An arena hands them out of
 * 64 MiB anonymous mappings (MAP_NORESERVE: pages exist once touched)
 * advised into huge pages, one fault per 2 MiB; what glibc gave for the
 * normaliser's output is freed at once and reused by the next document.
 * (On this 2-core VM: 200 MB written in 70 KB blocks, 0.60 s as mallocs,
 * 0.02-0.39 s in such chunks; 0.34 s with 4 KiB pages prefaulted by
 * MADV_POPULATE_WRITE.)  A block over a chunk gets a mapping of its own.
 */
#define _DEFAULT_SOURCE /* MADV_HUGEPAGE (Linux, glibc) */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h> /* malloc_usable_size */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nd_internal.h"

/* Large arrays in huge pages (see "Memory" above): pages of 2 MiB for
 * arrays of 1 MiB or more. */
enum { ND_HUGE_PAGE = 2u << 20, ND_HUGE_MIN = 1u << 20 };

/* A block of at least ND_HUGE_MIN bytes, aligned to ND_HUGE_PAGE and
 * rounded up to a multiple of it, advised into huge pages: every page of
 * it can then be a huge one (a block glibc maps on its own starts 16 bytes
 * into a mapping at some 4 KiB boundary, and the parts of it outside whole
 * aligned 2 MiB ranges fault 4 KiB at a time).  NULL when out of memory. */
static void *huge_alloc(size_t bytes) {
    if (bytes > SIZE_MAX - ND_HUGE_PAGE) return NULL;
    size_t r = (bytes + ND_HUGE_PAGE - 1) & ~(size_t)(ND_HUGE_PAGE - 1);
    void *p = aligned_alloc(ND_HUGE_PAGE, r);
#ifdef MADV_HUGEPAGE
    if (p) (void)madvise(p, r, MADV_HUGEPAGE);
#endif
    return p;
}

nd_status nd_grow(void **ptr, size_t *cap, size_t need, size_t elem_size) {
    if (need <= *cap) return ND_OK;
    if (elem_size == 0) return ND_ERR_INVALID;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2) {
            ncap = need;
            break;
        }
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / elem_size) return ND_ERR_NOMEM;
    size_t bytes = ncap * elem_size;
    void *p;
    if (bytes < ND_HUGE_MIN) {
        p = realloc(*ptr, bytes);
    } else {
        /* a copy into a new aligned block (realloc would keep glibc's
         * unaligned mapping), unless the old block has the room */
        if (*ptr && malloc_usable_size(*ptr) >= bytes) {
            *cap = ncap;
            return ND_OK;
        }
        p = huge_alloc(bytes);
        if (p && *ptr) {
            memcpy(p, *ptr, *cap * elem_size);
            free(*ptr);
        }
    }
    if (!p) return ND_ERR_NOMEM;
    *ptr = p;
    *cap = ncap;
    return ND_OK;
}

void *nd_calloc(size_t n, size_t size) {
    if (n == 0 || size == 0) return calloc(1, 1);
    if (n > SIZE_MAX / size) return NULL;
    if (n * size < ND_HUGE_MIN) return calloc(n, size);
    void *p = huge_alloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *nd_mallocn(size_t n, size_t size) {
    if (n == 0 || size == 0) return malloc(1);
    if (n > SIZE_MAX / size) return NULL;
    return n * size < ND_HUGE_MIN ? malloc(n * size) : huge_alloc(n * size);
}

/* A chunk's header, at the start of its mapping. */
struct nd_arena_chunk {
    nd_arena_chunk *next; /* older */
    size_t size;          /* bytes of the mapping */
    size_t used;          /* bytes from the mapping's start handed out (header too) */
};

enum { ND_ARENA_ALIGN = 64, ND_ARENA_CHUNK = 64u << 20 };
#define ND_ARENA_HEAD                                                                              \
    ((sizeof(nd_arena_chunk) + ND_ARENA_ALIGN - 1) / ND_ARENA_ALIGN * ND_ARENA_ALIGN)

static size_t page_size(void) {
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (size_t)p : 4096u;
}

void nd_arena_init(nd_arena *a, size_t chunk_bytes) {
    size_t page = page_size();
    if (chunk_bytes == 0) chunk_bytes = ND_ARENA_CHUNK;
    if (chunk_bytes < ND_ARENA_HEAD + ND_ARENA_ALIGN) chunk_bytes = ND_ARENA_HEAD + ND_ARENA_ALIGN;
    if (chunk_bytes > SIZE_MAX / 2) chunk_bytes = SIZE_MAX / 2;
    memset(a, 0, sizeof *a);
    a->chunk = (chunk_bytes + page - 1) / page * page;
}

/* A new chunk of at least `bytes` (header included), or NULL. */
static nd_arena_chunk *arena_map(size_t bytes) {
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    if (m == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    if (bytes >= ND_HUGE_MIN) (void)madvise(m, bytes, MADV_HUGEPAGE);
#endif
    nd_arena_chunk *c = m;
    c->next = NULL;
    c->size = bytes;
    c->used = ND_ARENA_HEAD;
    return c;
}

void *nd_arena_alloc(nd_arena *a, size_t bytes) {
    if (bytes > SIZE_MAX / 2) return NULL;
    size_t need = (bytes + ND_ARENA_ALIGN - 1) / ND_ARENA_ALIGN * ND_ARENA_ALIGN;
    if (need == 0) need = ND_ARENA_ALIGN; /* a unique block even for 0 bytes */
    nd_arena_chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        if (need > a->chunk - ND_ARENA_HEAD) { /* a mapping of its own, behind the head */
            size_t page = page_size();
            size_t size = (ND_ARENA_HEAD + need + page - 1) / page * page;
            if (!(c = arena_map(size))) return NULL;
            if (a->head) {
                c->next = a->head->next;
                a->head->next = c;
            } else {
                a->head = c;
            }
        } else {
            if (!(c = arena_map(a->chunk))) return NULL;
            c->next = a->head;
            a->head = c;
        }
        a->mapped += c->size;
    }
    void *p = (uint8_t *)c + c->used;
    c->used += need;
    a->used += need;
    return p;
}

void nd_arena_release(nd_arena *a) {
    nd_arena_chunk *c = a->head;
    while (c) {
        nd_arena_chunk *next = c->next;
        (void)munmap(c, c->size);
        c = next;
    }
    a->head = NULL;
    a->used = a->mapped = 0;
}

/* One lower-bound search for both widths. */
#define ND_LOWER_BODY                                                                              \
    while (lo < hi) {                                                                              \
        size_t mid = lo + (hi - lo) / 2;                                                           \
        if (v[mid] < x)                                                                            \
            lo = mid + 1;                                                                          \
        else                                                                                       \
            hi = mid;                                                                              \
    }                                                                                              \
    return lo;

size_t nd_lower_u32(const uint32_t *v, size_t lo, size_t hi, uint64_t x){ND_LOWER_BODY}

size_t nd_lower_u64(const uint64_t *v, size_t lo, size_t hi, uint64_t x) {
    ND_LOWER_BODY
}

char *nd_strdup(const char *s) {
    size_t len = strlen(s);
    char *d = malloc(len + 1);
    if (d) memcpy(d, s, len + 1);
    return d;
}

unsigned nd_process_umask(void) {
    unsigned mask = 022;
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return mask;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "Umask:", 6) == 0) {
            char *end = NULL;
            unsigned long v = strtoul(line + 6, &end, 8);
            if (end != line + 6 && v <= 0777) mask = (unsigned)v;
            break;
        }
    }
    fclose(f);
    return mask;
}

int nd_fd_write(void *user, const void *buf, size_t len) {
    nd_fd_out *f = user;
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return f->err = errno ? errno : EIO;
        }
        if (n == 0) return f->err = EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Best effort: make the rename durable.  Errors are ignored - the data are
 * already on disk and the new name is visible. */
static void sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    (void)fsync(fd);
    (void)close(fd);
}

nd_status nd_replace_file(const char *target, unsigned mode, nd_fill_fn fill, void *ctx, int *err) {
    nd_status st = ND_OK;
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    size_t dir_len = slash ? (size_t)(slash - target) : 0, tmp_size = strlen(target) + 16;
    char *tmp = malloc(tmp_size), *dir = malloc(dir_len + 2);
    nd_fd_out out = {-1, 0};
    int rc;
    *err = 0;
    if (tmp) tmp[0] = '\0'; /* nothing to unlink yet */
    if (!tmp || !dir) {
        st = ND_ERR_NOMEM;
        *err = ENOMEM;
        goto out;
    }
    /* "<dir>/.<base>.XXXXXX"; the directory to sync is "/" for "/name" and
     * "." for a bare name */
    snprintf(tmp, tmp_size, "%.*s%s.%s.XXXXXX", (int)dir_len, target, slash ? "/" : "", base);
    snprintf(dir, dir_len + 2, "%.*s", (int)dir_len, target);
    if (!slash)
        snprintf(dir, 2, ".");
    else if (dir_len == 0)
        snprintf(dir, 2, "/");
    if ((out.fd = mkstemp(tmp)) < 0) {
        st = ND_ERR_IO;
        *err = errno;
        tmp[0] = '\0'; /* nothing to unlink */
        goto out;
    }
    st = fill(ctx, &out, err);
    if (st != ND_OK) {
        if (*err == 0)
            *err = st == ND_ERR_NOMEM ? ENOMEM : st == ND_ERR_IO ? (out.err ? out.err : EIO) : 0;
        goto out;
    }
    if (fchmod(out.fd, (mode_t)mode) != 0 || fsync(out.fd) != 0) {
        st = ND_ERR_IO;
        *err = errno;
        goto out;
    }
    rc = close(out.fd);
    out.fd = -1;
    if (rc != 0 || rename(tmp, target) != 0) {
        st = ND_ERR_IO;
        *err = errno;
        goto out;
    }
    tmp[0] = '\0'; /* renamed: nothing to unlink */
    sync_dir(dir);
out:
    if (out.fd >= 0) (void)close(out.fd);
    if (tmp && tmp[0]) (void)unlink(tmp);
    free(tmp);
    free(dir);
    return st;
}
