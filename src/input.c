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
 * argument and a link) is added once; the second path is reported as
 * ND_ERR_DUPLICATE (by the (device, inode) its loader's fstat() saw).
 *
 * Loading.  A walk first only lists: it stats directories and links (the
 * entry type from readdir() tells a regular file without a stat() call) and
 * records, in order, the files to load and the problems it met.  The files
 * are then opened, mapped or read, inflated and sniffed - mostly system
 * time, ~20 microseconds a file - on cfg->threads threads when there are
 * many, each into its own slot; last, the slots are committed in walk order
 * (documents added, problems reported, repeats found), so document ids and
 * the order of diagnostics never depend on the thread count.
 *
 * Bytes.  Regular files of ND_MAP_MIN (16 KiB) and more are mapped read-only:
 * no copy, and the page cache is the buffer, so a scan's resident memory does
 * not grow with the input (bench/README.md counts anonymous memory only).
 * Smaller files are read into the heap, where a mapping would cost more than
 * the copy.  A process may hold only vm.max_map_count mappings (65530 by
 * default) and malloc needs some of them too, so at most ND_MAX_MAPS files
 * are mapped (counted atomically by the loaders); past that, files are read
 * into the heap as well (a corpus of 100,000 files then still works, with
 * more memory).  Data that starts
 * with the gzip magic 1f 8b is inflated with zlib
 * into the heap, whatever the file's name, bounded by max_file_size.  Standard
 * input ("-") is read into the heap.  Data with a NUL byte in its first 8 KiB
 * is binary and skipped.  Fifos, sockets and devices are never opened, so a
 * scan cannot block on them.
 */
#define _DEFAULT_SOURCE /* d_type and DT_REG in struct dirent (glibc, BSDs) */
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
#include "pool.h"

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

/* What became of one input found by a walk, in walk order: a document to
 * add, or a problem to report.  Walks only find files; the files are then
 * loaded (opened, mapped or read, inflated, sniffed) by load_all, in
 * parallel when there are many, and committed in walk order, so documents
 * and diagnostics come out in the same order whatever the thread count. */
typedef struct nd_loaded {
    char *path;         /* owned until committed */
    nd_doc doc;         /* the bytes, when st is ND_OK */
    nd_status st;       /* ND_OK: add the document; otherwise report st */
    int err;            /* errno for the report, or 0 */
    const char *what;   /* static detail ("read"), or NULL */
    char detail[64];    /* detail made while loading (size limit), or "" */
    uint64_t dev, ino;  /* identity of the loaded file (fstat) */
    unsigned char load; /* a file still to load */
} nd_loaded;

static void loaded_fail(nd_loaded *ld, nd_status st, int err, const char *what) {
    ld->st = st;
    ld->err = err;
    ld->what = what;
}

/* Inflates gzip data, checks the size limit and sniffs for binary data.
 * Problems go into ld (and the bytes are released); only ND_ERR_NOMEM is
 * returned. */
static nd_status prepare_doc(const nd_input_cfg *cfg, nd_loaded *ld) {
    nd_doc *doc = &ld->doc;
    int gz = doc->size >= 2 && doc->data[0] == 0x1f && doc->data[1] == 0x8b;
    if (gz) {
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        nd_status st = nd_gunzip(doc->data, doc->size, cfg->max_file_size, &plain, &plain_len);
        if (doc->map) munmap(doc->map, doc->map_len);
        free(doc->heap);
        memset(doc, 0, sizeof *doc);
        if (st == ND_ERR_NOMEM) return st;
        if (st != ND_OK) {
            loaded_fail(ld, st, 0, NULL);
            goto fail;
        }
        doc->heap = plain;
        doc->data = plain;
        doc->size = plain_len;
        doc->gzip = 1;
    }
    if (doc->size > cfg->max_file_size) {
        loaded_fail(ld, ND_ERR_TOO_LARGE, 0, NULL);
        goto fail;
    }
    if (doc->size && memchr(doc->data, 0, ND_MIN(doc->size, (size_t)ND_SNIFF_BYTES))) {
        loaded_fail(ld, ND_ERR_BINARY, 0, NULL);
        goto fail;
    }
    return ND_OK;
fail:
    if (ld->st == ND_ERR_TOO_LARGE)
        snprintf(ld->detail, sizeof ld->detail, "limit is %llu bytes%s",
                 (unsigned long long)cfg->max_file_size, gz ? " after decompression" : "");
    doc_release(doc);
    return ND_OK;
}

static void loaded_release(nd_loaded *ld) {
    free(ld->path);
    doc_release(&ld->doc);
    memset(ld, 0, sizeof *ld);
}

/* Adds ld's document, or reports its problem; ld's path is used up either
 * way. */
static nd_status commit(nd_doctab *dt, nd_input_cfg *cfg, nd_loaded *ld) {
    nd_status st = ND_OK;
    if (ld->st == ND_OK && ld->load) {
        int dup = 0;
        ND_CHECK(seen_check(dt, ld->dev, ld->ino, &dup));
        if (dup) {
            doc_release(&ld->doc);
            loaded_fail(ld, ND_ERR_DUPLICATE, 0, NULL);
        }
    }
    if (ld->st != ND_OK) {
        report(cfg, ld->path, ld->st, ld->err, ld->detail[0] ? ld->detail : ld->what);
        free(ld->path);
    } else {
        ld->doc.path = ld->path;
        st = doctab_push(dt, &ld->doc);
        if (st != ND_OK) doc_release(&ld->doc);
    }
    ld->path = NULL;
    memset(&ld->doc, 0, sizeof ld->doc);
    return st;
out:
    loaded_release(ld);
    return st;
}

static nd_status read_stdin(nd_doctab *dt, nd_input_cfg *cfg) {
    nd_status st = ND_OK;
    nd_loaded ld;
    memset(&ld, 0, sizeof ld);
    size_t cap = 0, n = 0;
    if (!(ld.path = nd_strdup("-"))) return ND_ERR_NOMEM;
    for (;;) {
        if (n == cap) {
            if (n > cfg->max_file_size) {
                loaded_fail(&ld, ND_ERR_TOO_LARGE, 0, NULL);
                snprintf(ld.detail, sizeof ld.detail, "limit is %llu bytes",
                         (unsigned long long)cfg->max_file_size);
                doc_release(&ld.doc);
                return commit(dt, cfg, &ld);
            }
            ND_CHECK(ND_GROW(ld.doc.heap, cap, cap ? cap * 2 : 65536));
        }
        ssize_t got = read(STDIN_FILENO, ld.doc.heap + n, cap - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            loaded_fail(&ld, ND_ERR_IO, errno, "read");
            doc_release(&ld.doc);
            return commit(dt, cfg, &ld);
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    ld.doc.data = ld.doc.heap;
    ld.doc.size = n;
    ND_CHECK(prepare_doc(cfg, &ld));
    return commit(dt, cfg, &ld);
out:
    loaded_release(&ld);
    return st;
}

/* Opens, maps or reads, inflates and sniffs one file found by a walk.  Runs
 * on any thread: touches only ld and reads cfg. */
static nd_status load_file(const nd_input_cfg *cfg, nd_doctab *dt, nd_loaded *ld) {
    nd_doc *doc = &ld->doc;
    int fd = open(ld->path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        loaded_fail(ld, ND_ERR_IO, errno, NULL);
        return ND_OK;
    }
    struct stat fsb;
    if (fstat(fd, &fsb) != 0 || !S_ISREG(fsb.st_mode)) {
        int err = errno;
        close(fd);
        loaded_fail(ld, S_ISREG(fsb.st_mode) ? ND_ERR_IO : ND_ERR_NOT_REGULAR, err, NULL);
        return ND_OK;
    }
    size_t size = (size_t)fsb.st_size;
    ld->dev = (uint64_t)fsb.st_dev;
    ld->ino = (uint64_t)fsb.st_ino;
    /* Small files, and every file once ND_MAX_MAPS are mapped, are read into
     * the heap (see the top of this file).  The size limit applies to the
     * bytes after inflating, so it is checked in prepare_doc; mapping costs
     * no memory until pages are touched. */
    int use_map = size >= ND_MAP_MIN && atomic_fetch_add(&dt->nmaps, 1) < ND_MAX_MAPS;
    if (size > 0 && !use_map) {
        size_t got = 0;
        if (!(doc->heap = malloc(size))) {
            close(fd);
            return ND_ERR_NOMEM;
        }
        while (got < size) {
            ssize_t r = read(fd, doc->heap + got, size - got);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                int err = errno;
                close(fd);
                doc_release(doc);
                loaded_fail(ld, ND_ERR_IO, err, "read");
                return ND_OK;
            }
            if (r == 0) break; /* the file shrank meanwhile: take what is there */
            got += (size_t)r;
        }
        doc->data = doc->heap;
        doc->size = got;
    } else if (size > 0) {
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            int err = errno;
            close(fd);
            loaded_fail(ld, ND_ERR_IO, err, "read");
            return ND_OK;
        }
        (void)posix_madvise(map, size, POSIX_MADV_SEQUENTIAL);
        doc->map = map;
        doc->map_len = size;
        doc->data = map;
        doc->size = size;
    }
    close(fd);
    return prepare_doc(cfg, ld);
}

/* A walk: the (dev, ino) of every directory on the stack (cycle check) and
 * what it found, in order. */
typedef struct walk {
    nd_doctab *dt;
    nd_input_cfg *cfg;
    nd_file_id *stack;
    size_t depth, stack_cap;
    nd_loaded *found;
    size_t n, cap;
} walk;

static nd_status walk_push(walk *wk, const char *path, nd_loaded **out) {
    ND_TRY(ND_GROW(wk->found, wk->cap, wk->n + 1));
    nd_loaded *ld = &wk->found[wk->n];
    memset(ld, 0, sizeof *ld);
    if (!(ld->path = nd_strdup(path))) return ND_ERR_NOMEM;
    wk->n++;
    *out = ld;
    return ND_OK;
}

/* A problem found by the walk itself, reported in its place in the order. */
static nd_status walk_note(walk *wk, const char *path, nd_status st, int err,
                           const char *what) {
    nd_loaded *ld = NULL;
    ND_TRY(walk_push(wk, path, &ld));
    loaded_fail(ld, st, err, what);
    return ND_OK;
}

/* A regular file (by stat or by the directory entry's type): loaded later;
 * whether it repeats an earlier file is decided when it is committed, from
 * the identity its loader saw. */
static nd_status walk_file(walk *wk, const char *path) {
    nd_loaded *ld = NULL;
    ND_TRY(walk_push(wk, path, &ld));
    ld->load = 1;
    return ND_OK;
}

/* A directory entry: its name and its type from readdir (DT_UNKNOWN on
 * file systems that do not fill it in). */
typedef struct dir_entry {
    char *name;
    unsigned char type;
} dir_entry;

static int entry_cmp(const void *a, const void *b) {
    return strcmp(((const dir_entry *)a)->name, ((const dir_entry *)b)->name);
}

static nd_status add_any(walk *wk, const char *path);

static nd_status walk_dir(walk *wk, const char *path, const struct stat *sb) {
    nd_status st = ND_OK;
    DIR *dir = NULL;
    dir_entry *names = NULL;
    size_t nnames = 0, cap = 0;
    char *child = NULL;
    size_t child_cap = 0;

    for (size_t i = 0; i < wk->depth; i++)
        if (wk->stack[i].dev == (uint64_t)sb->st_dev && wk->stack[i].ino == (uint64_t)sb->st_ino)
            return walk_note(wk, path, ND_ERR_LOOP, 0, NULL);
    ND_TRY(ND_GROW(wk->stack, wk->stack_cap, wk->depth + 1));
    wk->stack[wk->depth++] = (nd_file_id){(uint64_t)sb->st_dev, (uint64_t)sb->st_ino};

    dir = opendir(path);
    if (!dir) {
        st = walk_note(wk, path, ND_ERR_IO, errno, NULL);
        goto out;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno) ND_CHECK(walk_note(wk, path, ND_ERR_IO, errno, "read"));
            break;
        }
        if (de->d_name[0] == '.') continue; /* ".", ".." and hidden entries */
        ND_CHECK(ND_GROW(names, cap, nnames + 1));
        if (!(names[nnames].name = nd_strdup(de->d_name))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
#ifdef DT_REG
        names[nnames++].type = de->d_type;
#else
        names[nnames++].type = 0;
#endif
    }
    closedir(dir);
    dir = NULL;
    if (nnames) qsort(names, nnames, sizeof *names, entry_cmp);

    size_t plen = strlen(path);
    int slash = plen > 0 && path[plen - 1] == '/';
    for (size_t i = 0; i < nnames; i++) {
        size_t need = plen + 1 + strlen(names[i].name) + 1;
        ND_CHECK(ND_GROW(child, child_cap, need));
        snprintf(child, child_cap, "%s%s%s", path, slash ? "" : "/", names[i].name);
        /* a regular file needs no stat() here: its loader opens it anyway
         * (one path lookup fewer per file) */
#ifdef DT_REG
        if (names[i].type == DT_REG) {
            ND_CHECK(walk_file(wk, child));
            continue;
        }
#endif
        ND_CHECK(add_any(wk, child));
    }
out:
    wk->depth--;
    if (dir) closedir(dir);
    for (size_t i = 0; i < nnames; i++) free(names[i].name);
    free(names);
    free(child);
    return st;
}

static nd_status add_any(walk *wk, const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
        int err = errno;
        return walk_note(wk, path, err == ELOOP ? ND_ERR_LOOP : ND_ERR_IO,
                         err == ELOOP ? 0 : err, NULL);
    }
    if (S_ISDIR(sb.st_mode)) return walk_dir(wk, path, &sb);
    if (!S_ISREG(sb.st_mode)) return walk_note(wk, path, ND_ERR_NOT_REGULAR, 0, NULL);
    return walk_file(wk, path);
}

#define ND_LOAD_TASK 16      /* files per task */
#define ND_LOAD_PARALLEL 256 /* fewer files are loaded on the calling thread */

static nd_status load_task(void *ctx, size_t t, unsigned worker) {
    walk *wk = ctx;
    ND_UNUSED(worker);
    size_t i1 = ND_MIN(wk->n, (t + 1) * ND_LOAD_TASK);
    for (size_t i = t * ND_LOAD_TASK; i < i1; i++)
        if (wk->found[i].load) ND_TRY(load_file(wk->cfg, wk->dt, &wk->found[i]));
    return ND_OK;
}

/* Loads every file the walk found: on cfg->threads threads when there are
 * many (opening, mapping and the binary sniff are mostly system time, ~20
 * microseconds a file), else here. */
static nd_status load_all(walk *wk) {
    size_t ntasks = (wk->n + ND_LOAD_TASK - 1) / ND_LOAD_TASK;
    unsigned threads = wk->cfg->threads;
    if (threads > 1 && wk->n >= ND_LOAD_PARALLEL) {
        nd_pool *pool = NULL;
        ND_TRY(nd_pool_new(threads, &pool));
        nd_status st = nd_pool_run(pool, ntasks, load_task, wk, NULL);
        nd_pool_free(pool);
        return st;
    }
    for (size_t t = 0; t < ntasks; t++) ND_TRY(load_task(wk, t, 0));
    return ND_OK;
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
    walk wk;
    memset(&wk, 0, sizeof wk);
    wk.dt = dt;
    wk.cfg = cfg;
    nd_status st = add_any(&wk, path);
    if (st == ND_OK) st = load_all(&wk);
    for (size_t i = 0; i < wk.n; i++) {
        if (st == ND_OK) st = commit(dt, cfg, &wk.found[i]);
        else loaded_release(&wk.found[i]);
    }
    free(wk.found);
    free(wk.stack);
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
