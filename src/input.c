/*
 * input.c - turning paths into documents.
 *
 * Order.  Inputs keep the order they were given in; a directory is walked
 * depth-first with its entries sorted by the bytes of their names (strcmp),
 * so the document ids - and with them every later order in the pipeline -
 * depend only on the file tree, never on readdir() order.  Entries whose name
 * starts with '.' are skipped inside walks (as git, ripgrep and rsync's
 * filters do), but a hidden path named explicitly is read.
 *
 * Links.  Symbolic links are followed (stat, not lstat).  A directory whose
 * (device, inode) is already on the current walk stack is a cycle and is
 * reported as ND_ERR_LOOP; a self-referencing link fails stat() with ELOOP and
 * is reported the same way.  A file reached twice (by two arguments, or an
 * argument and a link) is read once; the second path is reported as
 * ND_ERR_DUPLICATE.
 *
 * Bytes.  Regular files of ND_MAP_MIN (16 KiB) and more are mapped read-only:
 * no copy, and the page cache is the buffer, so a scan's resident memory does
 * not grow with the input (bench/README.md counts anonymous memory only).
 * Smaller files are read into the heap, where a mapping would cost more than
 * the copy.  A process may hold only vm.max_map_count mappings (65530 by
 * default) and malloc needs some of them too, so at most ND_MAX_MAPS files
 * are mapped at once; past that, files are read into the heap as well (a
 * corpus of 100,000 files then still works, with more memory).  Data that starts
 * with the gzip magic 1f 8b is inflated with zlib
 * into the heap, whatever the file's name, bounded by max_file_size.  Standard
 * input ("-") is read into the heap.  Data with a NUL byte in its first 8 KiB
 * is binary and skipped.  Fifos, sockets and devices are never opened, so a
 * scan cannot block on them.
 */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "nd_internal.h"

#define ND_SNIFF_BYTES 8192

static void report(nd_input_cfg *cfg, const char *path, nd_status st, int err,
                   const char *detail) {
    cfg->skipped++;
    if (!cfg->diag) return;
    nd_diag d = {.path = path, .status = st, .sys_errno = err, .detail = detail};
    cfg->diag(cfg->user, &d);
}

static nd_status doctab_push(nd_doctab *dt, nd_doc *doc) {
    ND_TRY(ND_GROW(dt->docs, dt->cap, dt->n + 1));
    dt->docs[dt->n++] = *doc;
    return ND_OK;
}

static void doc_release(nd_doc *doc) {
    if (doc->map) munmap(doc->map, doc->map_len);
    free(doc->heap);
    free(doc->path);
    memset(doc, 0, sizeof *doc);
}

void nd_doctab_release(nd_doctab *dt) {
    for (size_t i = 0; i < dt->n; i++) doc_release(&dt->docs[i]);
    free(dt->docs);
    free(dt->seen);
    memset(dt, 0, sizeof *dt);
}

/* The identities of added files: an open-addressing hash set (seen_cap is 0
 * or a power of two, at most half full; empty slots are all-ones), so 100,000
 * files cost 100,000 probes, not 5 * 10^9 comparisons. */
#define ND_SEEN_EMPTY UINT64_MAX

static size_t seen_slot(const nd_file_id *tab, size_t cap, uint64_t dev, uint64_t ino) {
    uint64_t h = dev * UINT64_C(0x9e3779b97f4a7c15) ^ ino * UINT64_C(0xbf58476d1ce4e5b9);
    size_t i = (size_t)(h ^ h >> 29) & (cap - 1);
    while (!(tab[i].dev == ND_SEEN_EMPTY && tab[i].ino == ND_SEEN_EMPTY) &&
           !(tab[i].dev == dev && tab[i].ino == ino))
        i = (i + 1) & (cap - 1);
    return i;
}

/* Sets *dup to 1 if the identity was already added, else records it. */
static nd_status seen_check(nd_doctab *dt, uint64_t dev, uint64_t ino, int *dup) {
    if ((dt->nseen + 1) * 2 > dt->seen_cap) {
        size_t cap = dt->seen_cap ? dt->seen_cap * 2 : 64;
        nd_file_id *tab = nd_mallocn(cap, sizeof *tab);
        if (!tab) return ND_ERR_NOMEM;
        memset(tab, 0xff, cap * sizeof *tab);
        for (size_t i = 0; i < dt->seen_cap; i++) {
            nd_file_id e = dt->seen[i];
            if (e.dev == ND_SEEN_EMPTY && e.ino == ND_SEEN_EMPTY) continue;
            tab[seen_slot(tab, cap, e.dev, e.ino)] = e;
        }
        free(dt->seen);
        dt->seen = tab;
        dt->seen_cap = cap;
    }
    size_t i = seen_slot(dt->seen, dt->seen_cap, dev, ino);
    *dup = dt->seen[i].dev == dev && dt->seen[i].ino == ino;
    if (!*dup) {
        dt->seen[i] = (nd_file_id){dev, ino};
        dt->nseen++;
    }
    return ND_OK;
}

nd_status nd_gunzip(const uint8_t *src, size_t len, uint64_t limit, uint8_t **out,
                    size_t *out_len) {
    nd_status st = ND_OK;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    int zinit = 0;

    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    zinit = 1;
    size_t guess = len < (SIZE_MAX / 4) ? len * 4 + 4096 : len;
    if (guess > limit + 1) guess = (size_t)limit + 1;
    ND_CHECK(ND_GROW(buf, cap, guess));

    const uint8_t *in = src;
    size_t left = len;
    for (;;) {
        if (n == cap) {
            if (n > limit) {
                st = ND_ERR_TOO_LARGE;
                goto out;
            }
            size_t want = cap * 2;
            if (want > limit + 1) want = (size_t)limit + 1;
            if (want <= cap) want = cap + 1;
            ND_CHECK(ND_GROW(buf, cap, want));
        }
        uInt in_chunk = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
        size_t room = cap - n;
        uInt out_chunk = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        zs.next_in = (Bytef *)(uintptr_t)in;
        zs.avail_in = in_chunk;
        zs.next_out = buf + n;
        zs.avail_out = out_chunk;
        int zr = inflate(&zs, Z_NO_FLUSH);
        size_t used_in = in_chunk - zs.avail_in;
        in += used_in;
        left -= used_in;
        n += out_chunk - zs.avail_out;
        if (n > limit) {
            st = ND_ERR_TOO_LARGE;
            goto out;
        }
        if (zr == Z_STREAM_END) {
            /* Concatenated members are one stream (gzip -c a b > ab.gz);
             * trailing zero padding is tolerated, as gzip(1) does. */
            while (left && *in == 0) {
                in++;
                left--;
            }
            if (left == 0) break;
            if (inflateReset(&zs) != Z_OK) {
                st = ND_ERR_GZIP;
                goto out;
            }
            continue;
        }
        if (zr == Z_BUF_ERROR && left == 0 && zs.avail_out != 0) {
            st = ND_ERR_GZIP; /* input ended inside a member */
            goto out;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            st = zr == Z_MEM_ERROR ? ND_ERR_NOMEM : ND_ERR_GZIP;
            goto out;
        }
    }
    *out = buf;
    *out_len = n;
    buf = NULL;
out:
    if (zinit) inflateEnd(&zs);
    free(buf);
    return st;
}

/* Turns raw bytes into a document: inflate gzip, sniff binary, push.  Takes
 * ownership of map/heap whatever the outcome. */
static nd_status finish_doc(nd_doctab *dt, nd_input_cfg *cfg, const char *path,
                            nd_doc *doc) {
    nd_status st = ND_OK;
    const char *detail = NULL;
    char detail_buf[64];

    int gz = doc->size >= 2 && doc->data[0] == 0x1f && doc->data[1] == 0x8b;
    if (gz) {
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        st = nd_gunzip(doc->data, doc->size, cfg->max_file_size, &plain, &plain_len);
        if (st == ND_ERR_NOMEM) goto out;
        if (st != ND_OK) goto skip;
        if (doc->map) munmap(doc->map, doc->map_len);
        free(doc->heap);
        doc->map = NULL;
        doc->heap = plain;
        doc->data = plain;
        doc->size = plain_len;
        doc->gzip = 1;
    }
    if (doc->size > cfg->max_file_size) {
        st = ND_ERR_TOO_LARGE;
        goto skip;
    }
    if (doc->size && memchr(doc->data, 0, ND_MIN(doc->size, (size_t)ND_SNIFF_BYTES))) {
        st = ND_ERR_BINARY;
        goto skip;
    }
    if (!doc->path && !(doc->path = nd_strdup(path))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    st = doctab_push(dt, doc);
    if (st == ND_OK) memset(doc, 0, sizeof *doc);
    goto out;
skip:
    if (st == ND_ERR_TOO_LARGE) {
        snprintf(detail_buf, sizeof detail_buf, "limit is %llu bytes%s",
                 (unsigned long long)cfg->max_file_size,
                 gz ? " after decompression" : "");
        detail = detail_buf;
    }
    report(cfg, path, st, 0, detail);
    st = ND_OK;
out:
    doc_release(doc);
    return st;
}

static nd_status read_stdin(nd_doctab *dt, nd_input_cfg *cfg) {
    nd_status st = ND_OK;
    nd_doc doc = {0};
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            if (n > cfg->max_file_size) {
                char detail[64];
                snprintf(detail, sizeof detail, "limit is %llu bytes",
                         (unsigned long long)cfg->max_file_size);
                report(cfg, "-", ND_ERR_TOO_LARGE, 0, detail);
                goto out;
            }
            ND_CHECK(ND_GROW(doc.heap, cap, cap ? cap * 2 : 65536));
        }
        ssize_t got = read(STDIN_FILENO, doc.heap + n, cap - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            report(cfg, "-", ND_ERR_IO, errno, "read");
            goto out;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    doc.data = doc.heap;
    doc.size = n;
    return finish_doc(dt, cfg, "-", &doc);
out:
    doc_release(&doc);
    return st;
}

static nd_status read_file(nd_doctab *dt, nd_input_cfg *cfg, const char *path,
                           const struct stat *sb) {
    nd_doc doc = {0};
    int dup = 0;
    ND_TRY(seen_check(dt, (uint64_t)sb->st_dev, (uint64_t)sb->st_ino, &dup));
    if (dup) {
        report(cfg, path, ND_ERR_DUPLICATE, 0, NULL);
        return ND_OK;
    }
    int fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        report(cfg, path, ND_ERR_IO, errno, NULL);
        return ND_OK;
    }
    struct stat fsb;
    if (fstat(fd, &fsb) != 0 || !S_ISREG(fsb.st_mode)) {
        int err = errno;
        close(fd);
        report(cfg, path, S_ISREG(fsb.st_mode) ? ND_ERR_IO : ND_ERR_NOT_REGULAR, err, NULL);
        return ND_OK;
    }
    size_t size = (size_t)fsb.st_size;
    /* Small files, and every file once ND_MAX_MAPS are mapped, are read into
     * the heap (see the top of this file).  The size limit applies to the
     * bytes after inflating, so it is checked in finish_doc; mapping costs no
     * memory until pages are touched. */
    if (size > 0 && (size < ND_MAP_MIN || dt->nmaps >= ND_MAX_MAPS)) {
        size_t got = 0;
        if (!(doc.heap = malloc(size))) {
            close(fd);
            return ND_ERR_NOMEM;
        }
        while (got < size) {
            ssize_t r = read(fd, doc.heap + got, size - got);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                int err = errno;
                close(fd);
                doc_release(&doc);
                report(cfg, path, ND_ERR_IO, err, "read");
                return ND_OK;
            }
            if (r == 0) break; /* the file shrank meanwhile: take what is there */
            got += (size_t)r;
        }
        doc.data = doc.heap;
        doc.size = got;
    } else if (size > 0) {
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int err = errno;
            close(fd);
            report(cfg, path, ND_ERR_IO, err, "read");
            return ND_OK;
        }
        (void)posix_madvise(map, size, POSIX_MADV_SEQUENTIAL);
        dt->nmaps++;
        doc.map = map;
        doc.map_len = size;
        doc.data = map;
        doc.size = size;
    }
    close(fd);
    return finish_doc(dt, cfg, path, &doc);
}

/* Directory walk state: the (dev, ino) of every directory on the stack. */
typedef struct walk_stack {
    nd_file_id *v;
    size_t n, cap;
} walk_stack;

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static nd_status add_any(nd_doctab *dt, nd_input_cfg *cfg, const char *path,
                         walk_stack *ws);

static nd_status walk_dir(nd_doctab *dt, nd_input_cfg *cfg, const char *path,
                          const struct stat *sb, walk_stack *ws) {
    nd_status st = ND_OK;
    DIR *dir = NULL;
    char **names = NULL;
    size_t nnames = 0, cap = 0;
    char *child = NULL;
    size_t child_cap = 0;

    for (size_t i = 0; i < ws->n; i++) {
        if (ws->v[i].dev == (uint64_t)sb->st_dev && ws->v[i].ino == (uint64_t)sb->st_ino) {
            report(cfg, path, ND_ERR_LOOP, 0, NULL);
            return ND_OK;
        }
    }
    ND_TRY(ND_GROW(ws->v, ws->cap, ws->n + 1));
    ws->v[ws->n++] = (nd_file_id){(uint64_t)sb->st_dev, (uint64_t)sb->st_ino};

    dir = opendir(path);
    if (!dir) {
        report(cfg, path, ND_ERR_IO, errno, NULL);
        goto out;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno) report(cfg, path, ND_ERR_IO, errno, "read");
            break;
        }
        if (de->d_name[0] == '.') continue; /* ".", ".." and hidden entries */
        ND_CHECK(ND_GROW(names, cap, nnames + 1));
        if (!(names[nnames] = nd_strdup(de->d_name))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        nnames++;
    }
    closedir(dir);
    dir = NULL;
    if (nnames) qsort(names, nnames, sizeof *names, name_cmp);

    size_t plen = strlen(path);
    int slash = plen > 0 && path[plen - 1] == '/';
    for (size_t i = 0; i < nnames; i++) {
        size_t need = plen + 1 + strlen(names[i]) + 1;
        ND_CHECK(ND_GROW(child, child_cap, need));
        snprintf(child, child_cap, "%s%s%s", path, slash ? "" : "/", names[i]);
        ND_CHECK(add_any(dt, cfg, child, ws));
    }
out:
    ws->n--;
    if (dir) closedir(dir);
    for (size_t i = 0; i < nnames; i++) free(names[i]);
    free(names);
    free(child);
    return st;
}

static nd_status add_any(nd_doctab *dt, nd_input_cfg *cfg, const char *path,
                         walk_stack *ws) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int err = errno;
        report(cfg, path, err == ELOOP ? ND_ERR_LOOP : ND_ERR_IO, err == ELOOP ? 0 : err,
               NULL);
        return ND_OK;
    }
    if (S_ISDIR(sb.st_mode)) return walk_dir(dt, cfg, path, &sb, ws);
    if (!S_ISREG(sb.st_mode)) {
        report(cfg, path, ND_ERR_NOT_REGULAR, 0, NULL);
        return ND_OK;
    }
    return read_file(dt, cfg, path, &sb);
}

nd_status nd_input_add_path(nd_doctab *dt, nd_input_cfg *cfg, const char *path) {
    if (!dt || !cfg || !path) return ND_ERR_INVALID;
    if (strcmp(path, "-") == 0) {
        if (dt->stdin_seen) {
            report(cfg, path, ND_ERR_DUPLICATE, 0, NULL);
            return ND_OK;
        }
        dt->stdin_seen = 1;
        return read_stdin(dt, cfg);
    }
    walk_stack ws = {0};
    nd_status st = add_any(dt, cfg, path, &ws);
    free(ws.v);
    return st;
}

nd_status nd_input_add_buffer(nd_doctab *dt, const char *name, const void *data,
                              size_t len) {
    nd_status st = ND_OK;
    nd_doc doc = {0};
    if (!dt || !name || (!data && len)) return ND_ERR_INVALID;
    if (!(doc.path = nd_strdup(name))) return ND_ERR_NOMEM;
    if (len) {
        if (!(doc.heap = malloc(len))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        memcpy(doc.heap, data, len);
        doc.data = doc.heap;
        doc.size = len;
    }
    ND_CHECK(doctab_push(dt, &doc));
    return ND_OK;
out:
    doc_release(&doc);
    return st;
}
