/*
 * input.c - turning paths into documents.
 *
 * Order.  Inputs keep the order they were given in; a directory is walked
 * depth-first with its entries sorted by the bytes of their names (strcmp),
 * so the document ids - and with them every later order in the pipeline -
 * depend only on the file tree, never on readdir() order.  Entries whose name
 * starts with '.' are skipped inside walks (as git, ripgrep and rsync's
 * filters do) unless cfg->hidden, but a hidden path named explicitly is
 * read.  cfg->exclude patterns leave walked files and directories out,
 * cfg->include patterns (when there are any) are the only walked files
 * taken; a pattern with a '/' is matched against the path relative to the
 * walked directory, one without against the entry's name (walk_takes).
 *
 * Links.  Symbolic links are followed (stat, not lstat).  A directory whose
 * (device, inode) is already on the current walk stack is a cycle and is
 * reported as ND_ERR_LOOP; a self-referencing link fails stat() with ELOOP and
 * is reported the same way.  A file reached twice (by two arguments, an
 * argument and a link, a directory and a file in it) is read once, under
 * the first path met; the later path gets a notice naming it (status ND_OK,
 * not a skipped input: nothing is missing), decided by the (device, inode)
 * its loader's fstat() saw.  Standard input ("-") given twice is read once
 * the same way: the second "-" is a notice.
 *
 * Loading.  A walk first only lists: it stats directories and links (the
 * entry type from readdir() tells a regular file without a stat() call) and
 * records, in order, the files to load and the problems it met.  The files
 * are then opened, sniffed (and gzip data read and inflated) - mostly system
 * time, ~20 microseconds a file - on cfg->threads threads when there are
 * many, each into its own slot; last, the slots are committed in walk order
 * (documents added, problems reported, repeats found), so document ids and
 * the order of diagnostics never depend on the thread count.
 *
 * Bytes.  Nothing is ever memory-mapped, so no change to an input can
 * fault: a mapped page whose file was truncated raises SIGBUS, which a
 * library may not catch, whereas read() and pread() of a file that shrank
 * or changed simply return fewer or other bytes - an ordinary result that
 * is checked.  A regular file is therefore not kept in memory at all: the
 * loader opens it, keeps its identity (device, inode, size and modification
 * time from fstat), reads its first 8 KiB to sniff it, and keeps the
 * descriptor open while fewer than fd_budget() are (RLIMIT_NOFILE less 256,
 * at most 2^20; past that, documents are reopened by path and checked
 * to be the same file).  Later stages fetch bytes through an nd_reader:
 * the split stage reads each whole document with read() into a buffer
 * reused by its thread (a document over ND_WHOLE_MAX, 64 MiB, is instead
 * copied with read() into an unlinked temporary file that no other process
 * can reach, and mapped from there: only this process writes it, so the
 * mapping cannot fault, and anonymous memory stays bounded), checks with
 * fstat before and after that it is the
 * file loaded and unchanged, and keeps only the paragraph table with a
 * 32-bit hash of each paragraph's bytes; the split tasks sketch the
 * paragraphs while the bytes are in the buffer (stage_split.c, "Fused"), and the
 * verification and similarity stages (and the sketch stage, when it runs
 * on its own), report previews and clean pread() paragraph ranges again and
 * compare them with the hash.  A file found changed at any point
 * is marked (nd_doctab_mark_changed) and reported once, as ND_ERR_CHANGED;
 * its paragraphs that no longer read back are left out.  Measured on this
 * machine: read() of 100 MB into a 64 KiB buffer 0.07-0.08 s against
 * 0.10-0.15 s for mmap and touching every page; but reading the input
 * twice (split, then a separate sketch stage) made the 1 GB scan 8% slower
 * than mapping it (6.46 -> 7.00 s, 1 thread), hence the fused split and
 * sketch, which reads it once.  Data that
 * cannot be read again from its file - gzip data, inflated with zlib
 * whatever the file's name (bounded by max_file_size), and standard input
 * ("-") - is moved from the heap into the doctab's spool, an unlinked
 * temporary file in cfg->tmpdir that nobody else can reach, and read from
 * there (spool_doc; it stays on the heap if no spool can be written):
 * through one read-only mapping of the spool shared by every reader once
 * it holds 1 MiB (spool_view: the only file ever mapped, since only this
 * process writes it and nobody truncates it), else with pread() like a
 * file; buffers given by the caller stay on the heap.
 *
 * Encodings.  The same 8 KiB sniff decides the encoding (decode.c,
 * nd_decode_sniff): UTF-8 goes on as above, untouched; NUL bytes that are
 * not UTF-16/UTF-32 text make the file binary, and it is skipped; any other
 * file (UTF-16/UTF-32, or a head that is not UTF-8) is read whole with
 * read() - checked as gzip files are: a file that changes meanwhile is
 * ND_ERR_CHANGED - and decoded into UTF-8 (decode_doc); its text and, right
 * after it, its original bytes go into the spool, so every later stage reads
 * the decoded text like any spooled document and nothing ever reads the
 * input file again: a private temporary file that only neardup writes is a
 * safe home for decoded text.  The offset map (nd_doc.map) stays on the
 * heap and turns decoded offsets into original ones for reports and clean.
 * A guessed encoding is one notice (ND_ERR_ENCODING) at commit, in walk
 * order.  Fifos, sockets and devices are never opened, so a scan cannot
 * block on them.
 *
 * Containers.  A file may be read as several documents: with
 * cfg->jsonl_field set, a file named *.jsonl or *.jsonl.gz is a JSON Lines
 * file whose records are the documents (jsonl.c; nd_input_container_kind
 * decides, by name); a tar or zip archive is the other kind (below).  The
 * loader hands a JSON Lines file to the container's reader - gzip data read
 * whole and inflated, as gzip documents are; a plain file as its open
 * descriptor, which the reader reads in chunks with pread(), never whole,
 * checked after to be the file loaded (size and modification time) - and
 * the reader adds documents to the slot's nd_parts (nd_parts_add: a name, a text and
 * an offset map into the container's bytes) and records the parts it skips
 * (nd_parts_problem).  The texts go to the spool, batched into writes of
 * ND_PARTS_BATCH bytes, so nothing of the input stays in memory but the
 * maps.  At commit the file is checked against the files already added
 * like any other, recorded in nd_doctab.conts (path, identity, gzip, and
 * its documents' id range), the problems are reported in their place, and
 * the parts become documents in their order, each knowing its container
 * (nd_doc.cont) and where in the container's bytes it lies (part_off,
 * src_off), which is what clean needs to write the container back
 * (nd_container_read reads it again, checked to be the file loaded).
 *
 * Archives.  A file whose head has an archive's or a compressor's magic
 * (nd_archive_magic) is offered to archive.c, which decides by content with
 * libarchive; a plain .gz of text is no archive and goes on to the gzip path
 * above.  An archive is never read whole: libarchive reads it from the open
 * descriptor with pread(), and each regular member, in archive order,
 * becomes a part named ARCHIVE//MEMBER (load_member): its first 8 KiB decide
 * as a file's do (decode.c), a UTF-8 member of known size is streamed into a
 * range of the spool reserved for it (nd_parts_add_spooled), a member in
 * another encoding or of unknown size is read whole - bounded by
 * max_file_size, as a decoded file is - and decoded into the spool with its
 * original bytes after the text, so offsets are the member's own.  Binary
 * members and archives or compressed data inside (not expanded) are notices
 * (nd_parts_note), not skipped inputs; a member over the limit or one
 * libarchive cannot read is a skipped part; damage to the archive ends it,
 * keeps the members before it and is the archive's last problem.  The file
 * is checked unchanged (size, modification time) after the last member, and
 * the container records the archive's format and filter, for clean.
 */
#define _DEFAULT_SOURCE /* d_type and DT_REG in struct dirent (glibc, BSDs) */
#include "input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "jsonl.h"
#include "nd_internal.h"
#include "pool.h"
#include "spill.h"

#define ND_SNIFF_BYTES 8192

void nd_skiplist_release(nd_skiplist *l) {
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].detail);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

void nd_skiplist_add(nd_skiplist *l, const char *path, nd_status st, int err, const char *detail) {
    nd_skip k = {.path = nd_strdup(path ? path : ""), .status = st, .sys_errno = err};
    if (detail) k.detail = nd_strdup(detail);
    if (!k.path || (detail && !k.detail) || ND_GROW(l->v, l->cap, l->n + 1) != ND_OK) {
        free(k.path);
        free(k.detail);
        l->nomem = 1;
        return;
    }
    l->v[l->n++] = k;
}

static void report(nd_input_cfg *cfg, const char *path, nd_status st, int err, const char *detail) {
    cfg->skipped++;
    if (cfg->skips) nd_skiplist_add(cfg->skips, path, st, err, detail);
    if (!cfg->diag) return;
    nd_diag d = {.path = path, .status = st, .sys_errno = err, .detail = detail};
    cfg->diag(cfg->user, &d);
}

static nd_status doctab_push(nd_doctab *dt, nd_doc *doc) {
    ND_TRY(ND_GROW(dt->docs, dt->cap, dt->n + 1));
    ND_TRY(ND_GROW(dt->changed, dt->changed_cap, dt->n + 1));
    atomic_init(&dt->changed[dt->n], ND_DOC_SAME);
    dt->docs[dt->n++] = *doc;
    return ND_OK;
}

/* A notice about an input that is read (status ND_OK, or ND_ERR_ENCODING
 * for a guessed encoding): not counted as skipped. */
static void note(const nd_input_cfg *cfg, const char *path, nd_status st, const char *detail) {
    if (!cfg->diag) return;
    nd_diag d = {.path = path, .status = st, .sys_errno = 0, .detail = detail};
    cfg->diag(cfg->user, &d);
}

static void cont_release(nd_container *c) {
    free(c->path);
    memset(c, 0, sizeof *c);
}

static void doc_release(nd_doc *doc) {
    if (doc->kfd) (void)close(doc->kfd - 1);
    free(doc->heap);
    free(doc->orig_heap);
    nd_decmap_release(&doc->map);
    nd_escmap_release(&doc->esc);
    free(doc->path);
    memset(doc, 0, sizeof *doc);
}

/* A read-only shared mapping of the spool's first len bytes. */
struct nd_spool_view {
    const uint8_t *map;
    uint64_t len;
    struct nd_spool_view *next; /* the older, shorter views */
};

void nd_doctab_release(nd_doctab *dt) {
    int spool = atomic_load(&dt->spool_fd1);
    for (struct nd_spool_view *v = atomic_load(&dt->spool_views), *nx; v; v = nx) {
        nx = v->next;
        (void)munmap((void *)(uintptr_t)v->map, (size_t)v->len);
        free(v);
    }
    if (spool) (void)close(spool - 1);
    for (size_t i = 0; i < dt->n; i++) doc_release(&dt->docs[i]);
    for (size_t i = 0; i < dt->nconts; i++) cont_release(&dt->conts[i]);
    free(dt->conts);
    free(dt->docs);
    free(dt->changed);
    free(dt->seen);
    memset(dt, 0, sizeof *dt);
}

int nd_doctab_mark_changed(const nd_doctab *dt, size_t doc) {
    unsigned char want = ND_DOC_SAME;
    return atomic_compare_exchange_strong(&dt->changed[doc], &want, ND_DOC_CHANGED);
}

int nd_doctab_take_changed(const nd_doctab *dt, size_t doc) {
    return atomic_exchange(&dt->changed[doc], ND_DOC_REPORTED) != ND_DOC_REPORTED;
}

void nd_doctab_report_changed(nd_doctab *dt, nd_input_cfg *cfg) {
    for (size_t i = 0; i < dt->n; i++) {
        unsigned char want = ND_DOC_CHANGED;
        if (atomic_compare_exchange_strong(&dt->changed[i], &want, ND_DOC_REPORTED))
            report(cfg, dt->docs[i].path, ND_ERR_CHANGED, 0, NULL);
    }
}

/* Descriptors kept open at most: RLIMIT_NOFILE less 256 for everything
 * else the process opens (readers, the spill file, outputs), at most 2^20;
 * none below a limit of 512. */
static size_t fd_budget(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 0;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > ((rlim_t)1 << 20) + 256)
        return (size_t)1 << 20;
    return rl.rlim_cur > 512 ? (size_t)(rl.rlim_cur - 256) : 0;
}

/* The identities of added files: an open-addressing hash set (seen_cap is 0
 * or a power of two, at most half full; empty slots are all-ones), so 100,000
 * files cost 100,000 probes, not 5 * 10^9 comparisons. */
#define ND_SEEN_EMPTY UINT64_MAX
/* nd_file_id.doc of a container: its index in dt->conts with this bit */
#define ND_SEEN_CONT  (~(SIZE_MAX >> 1))

static size_t seen_slot(const nd_file_id *tab, size_t cap, uint64_t dev, uint64_t ino) {
    uint64_t h = dev * UINT64_C(0x9e3779b97f4a7c15) ^ ino * UINT64_C(0xbf58476d1ce4e5b9);
    size_t i = (size_t)(h ^ h >> 29) & (cap - 1);
    while (!(tab[i].dev == ND_SEEN_EMPTY && tab[i].ino == ND_SEEN_EMPTY) &&
           !(tab[i].dev == dev && tab[i].ino == ino))
        i = (i + 1) & (cap - 1);
    return i;
}

/* Sets *first to the document the identity was added as, or SIZE_MAX and
 * records it as document `doc`. */
static nd_status seen_check(nd_doctab *dt, uint64_t dev, uint64_t ino, size_t doc, size_t *first) {
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
    if (dt->seen[i].dev == dev && dt->seen[i].ino == ino) {
        *first = dt->seen[i].doc;
        return ND_OK;
    }
    *first = SIZE_MAX;
    dt->seen[i] = (nd_file_id){dev, ino, doc};
    dt->nseen++;
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
 * loaded (opened and sniffed, gzip data read and inflated) by load_all, in
 * parallel when there are many, and committed in walk order, so documents
 * and diagnostics come out in the same order whatever the thread count. */
typedef struct nd_loaded {
    char *path;            /* owned until committed */
    nd_doc doc;            /* the bytes, when st is ND_OK */
    nd_status st;          /* ND_OK: add the document; otherwise report st */
    int err;               /* errno for the report, or 0 */
    const char *what;      /* static detail ("read"), or NULL */
    char detail[64];       /* detail made while loading (size limit), or "" */
    uint64_t dev, ino;     /* identity of the loaded file (fstat) */
    unsigned char load;    /* a file still to load */
    unsigned char guessed; /* its encoding was guessed: a notice at commit */
    unsigned char kind;    /* ND_CONT_*: a container, whose documents are
                              in parts (doc keeps its identity only) */
    nd_parts parts;
    unsigned char notice;  /* (an archive member) st/what are a notice */
    char *why;             /* a longer detail (libarchive's words), malloc'ed */
    nd_archive_kind akind; /* ND_CONT_ARCHIVE: its format and filter */
    unsigned char damaged; /* ND_CONT_ARCHIVE: damage met */
} nd_loaded;

static void loaded_fail(nd_loaded *ld, nd_status st, int err, const char *what) {
    ld->st = st;
    ld->err = err;
    ld->what = what;
}

static void too_large(const nd_input_cfg *cfg, nd_loaded *ld, int gz) {
    loaded_fail(ld, ND_ERR_TOO_LARGE, 0, NULL);
    snprintf(ld->detail, sizeof ld->detail, "limit is %llu bytes%s",
             (unsigned long long)cfg->max_file_size, gz ? " after decompression" : "");
}

/* Decodes a document that owns its bytes (doc->heap) as the sniff sn says
 * (decode.c): the UTF-8 text takes the place of the bytes, which move to
 * doc->orig_heap, with the offset map beside them.  When the detector finds
 * UTF-8 after all, the bytes stay as they are.  Problems go into ld (and the
 * bytes are released); only ND_ERR_NOMEM is returned. */
static nd_status decode_doc(const nd_input_cfg *cfg, nd_loaded *ld, const nd_sniff_out *sn) {
    nd_doc *doc = &ld->doc;
    nd_decode_out o;
    nd_decode_in in = {doc->data, doc->size, sn->enc, sn->bom, cfg->max_file_size};
    nd_status st = nd_decode(&in, &o);
    if (st == ND_ERR_NOMEM) return st;
    if (st != ND_OK) {
        if (st == ND_ERR_TOO_LARGE)
            too_large(cfg, ld, 0);
        else
            loaded_fail(ld, st, 0, "encoding");
        doc_release(doc);
        return ND_OK;
    }
    if (o.utf8) {
        nd_decode_release(&o);
        return ND_OK;
    }
    doc->orig_heap = doc->heap;
    doc->heap = o.text;
    doc->data = o.text;
    doc->size = o.len;
    doc->map = o.map;
    memcpy(doc->enc, o.enc, sizeof doc->enc);
    ld->guessed = o.unsure;
    return ND_OK;
}

/* Inflates gzip data, checks the size limit, sniffs for binary data and
 * decodes other encodings, for a document that owns its bytes (doc->heap).
 * Problems go into ld (and the bytes are released); only ND_ERR_NOMEM is
 * returned. */
static nd_status prepare_doc(const nd_input_cfg *cfg, nd_loaded *ld) {
    nd_doc *doc = &ld->doc;
    int gz = doc->size >= 2 && doc->data[0] == 0x1f && doc->data[1] == 0x8b;
    if (gz) {
        uint8_t *plain = NULL;
        size_t plain_len = 0;
        nd_status st = nd_gunzip(doc->data, doc->size, cfg->max_file_size, &plain, &plain_len);
        free(doc->heap);
        doc->heap = NULL;
        doc->data = NULL;
        doc->size = 0;
        if (st == ND_ERR_NOMEM) return st;
        if (st != ND_OK) {
            if (st == ND_ERR_TOO_LARGE)
                too_large(cfg, ld, 1);
            else
                loaded_fail(ld, st, 0, NULL);
            goto fail;
        }
        doc->heap = plain;
        doc->data = plain;
        doc->size = plain_len;
        doc->gzip = 1;
    }
    if (doc->size > cfg->max_file_size) {
        too_large(cfg, ld, gz);
        goto fail;
    }
    nd_sniff_in si = {doc->data, ND_MIN(doc->size, (size_t)ND_SNIFF_BYTES), doc->size,
                      cfg->encoding};
    nd_sniff_out sn;
    nd_decode_sniff(&si, &sn);
    if (sn.kind == ND_SNIFF_BINARY) {
        loaded_fail(ld, ND_ERR_BINARY, 0, NULL);
        goto fail;
    }
    if (sn.kind == ND_SNIFF_DECODE) return decode_doc(cfg, ld, &sn);
    return ND_OK;
fail:
    doc_release(doc);
    return ND_OK;
}

static void loaded_release(nd_loaded *ld) {
    free(ld->path);
    free(ld->why);
    doc_release(&ld->doc);
    nd_parts_release(&ld->parts);
    memset(ld, 0, sizeof *ld);
}

/* Commits a container: recorded in dt->conts, its problems reported and
 * its parts added as documents, in order.  ld->path is used up. */
static nd_status commit_parts(nd_doctab *dt, nd_input_cfg *cfg, nd_loaded *ld) {
    nd_parts *ps = &ld->parts;
    ND_TRY(ND_GROW(dt->conts, dt->conts_cap, dt->nconts + 1));
    ND_TRY(ND_GROW(dt->docs, dt->cap, dt->n + ps->n));
    ND_TRY(ND_GROW(dt->changed, dt->changed_cap, dt->n + ps->n));
    nd_container *c = &dt->conts[dt->nconts++];
    memset(c, 0, sizeof *c);
    c->path = ld->path;
    ld->path = NULL;
    c->dev = ld->doc.dev;
    c->ino = ld->doc.ino;
    c->mtime_ns = ld->doc.mtime_ns;
    c->size = ld->doc.size;
    c->kind = ld->kind;
    c->gzip = ld->doc.gzip;
    c->first = dt->n;
    c->n = ps->n;
    c->archive = ld->akind;
    c->damaged = ld->damaged;
    for (size_t i = 0, k = 0; i <= ps->n; i++) {
        for (; k < ps->nprobs && ps->probs[k].before == i; k++) {
            const nd_part_problem *pp = &ps->probs[k];
            if (pp->notice)
                note(cfg, pp->name, pp->st, pp->detail);
            else
                report(cfg, pp->name, pp->st, 0, pp->detail);
        }
        if (i == ps->n) break;
        nd_doc *d = &ps->docs[i];
        d->cont = (uint32_t)dt->nconts;
        d->dev = c->dev;
        d->ino = c->ino;
        d->mtime_ns = c->mtime_ns;
        d->gzip = c->gzip;
        atomic_init(&dt->changed[dt->n], ND_DOC_SAME);
        dt->docs[dt->n++] = *d;
        memset(d, 0, sizeof *d); /* the table owns it now */
    }
    return ND_OK;
}

/* Adds ld's document, or reports its problem, or notes that it is a file
 * already added (read once, under the first path); ld's path is used up
 * every way. */
static nd_status commit(nd_doctab *dt, nd_input_cfg *cfg, nd_loaded *ld) {
    nd_status st = ND_OK;
    char *same = NULL; /* the notice for a file already added */
    size_t first = SIZE_MAX;
    if (ld->st == ND_OK && ld->load) {
        /* a container is recorded by its index, marked by ND_SEEN_CONT */
        size_t id = ld->kind ? ND_SEEN_CONT | dt->nconts : dt->n;
        ND_CHECK(seen_check(dt, ld->dev, ld->ino, id, &first));
        if (first != SIZE_MAX) {
            const char *fp =
                first & ND_SEEN_CONT ? dt->conts[first & ~ND_SEEN_CONT].path : dt->docs[first].path;
            size_t len = strlen(fp) + 40;
            if (!(same = malloc(len))) {
                st = ND_ERR_NOMEM;
                goto out;
            }
            if (strcmp(fp, ld->path) == 0)
                snprintf(same, len, "given more than once, read once");
            else
                snprintf(same, len, "the same file as '%s', read once", fp);
            note(cfg, ld->path, ND_OK, same); /* not a skipped input */
        }
    }
    if (ld->st != ND_OK) {
        report(cfg, ld->path, ld->st, ld->err, ld->detail[0] ? ld->detail : ld->what);
    } else if (first == SIZE_MAX && ld->kind) {
        st = commit_parts(dt, cfg, ld);
    } else if (first == SIZE_MAX) {
        ld->doc.path = ld->path;
        ld->path = NULL; /* the document owns it now */
        st = doctab_push(dt, &ld->doc);
        if (st == ND_OK) {
            memset(&ld->doc, 0, sizeof ld->doc); /* (else released below) */
            const nd_doc *d = &dt->docs[dt->n - 1];
            if (ld->guessed) note(cfg, d->path, ND_ERR_ENCODING, nd_doc_encoding(d));
        }
    }
out:
    free(same);
    loaded_release(ld);
    return st;
}

static void spool_doc(const nd_input_cfg *cfg, nd_doctab *dt, nd_doc *doc);

static nd_status load_archive_src(const nd_input_cfg *cfg, nd_doctab *dt, nd_loaded *ld,
                                  const nd_archive_src *src, int *was);

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
    if (nd_archive_magic(ld.doc.heap, ND_MIN(n, (size_t)ND_SNIFF_BYTES))) {
        /* an archive: its members from the bytes read (archive.c) */
        int was = 0;
        nd_archive_src src = {-1, ld.doc.heap, n};
        ND_CHECK(load_archive_src(cfg, dt, &ld, &src, &was));
        if (was) {
            free(ld.doc.heap);
            ld.doc.heap = NULL;
            ld.doc.data = NULL;
            return commit(dt, cfg, &ld);
        }
    }
    ND_CHECK(prepare_doc(cfg, &ld));
    if (ld.st == ND_OK) spool_doc(cfg, dt, &ld.doc);
    return commit(dt, cfg, &ld);
out:
    loaded_release(&ld);
    return st;
}

/* Moves a document's owned heap bytes (inflated gzip data, standard input)
 * into the doctab's spool: an unlinked temporary file in cfg->tmpdir that
 * only this process can reach, created by the first loader that needs it
 * (a loser of the race closes its own).  Each document reserves its range
 * atomically, so loaders on any thread can spool at once.  Readers then
 * pread() its bytes like a file's, without identity checks: nobody else can
 * change them.  If the spool cannot be created or written, the bytes stay on
 * the heap (nothing fails). */
static int spool_write(int fd, const uint8_t *p, size_t n, uint64_t off) {
    for (size_t done = 0; done < n;) {
        ssize_t w = pwrite(fd, p + done, n - done, (off_t)(off + done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        done += (size_t)w;
    }
    return 1;
}

/* The spool's descriptor + 1, created by the first caller, or 0 when it
 * cannot be created. */
static int spool_fd1(const nd_input_cfg *cfg, nd_doctab *dt) {
    if (atomic_load(&dt->spool_failed)) return 0;
    int fd1 = atomic_load(&dt->spool_fd1);
    if (!fd1) {
        nd_spill sp;
        int err = 0, want = 0;
        if (nd_spill_open(&sp, cfg->tmpdir, &err) != ND_OK) {
            atomic_store(&dt->spool_failed, 1);
            return 0;
        }
        if (atomic_compare_exchange_strong(&dt->spool_fd1, &want, sp.fd + 1)) {
            fd1 = sp.fd + 1;
        } else {
            nd_spill_close(&sp);
            fd1 = want;
        }
    }
    return fd1;
}

static void spool_doc(const nd_input_cfg *cfg, nd_doctab *dt, nd_doc *doc) {
    /* a decoded document: its text, then its original bytes */
    size_t olen = doc->orig_heap ? (size_t)nd_doc_orig_size(doc) : 0;
    if (!doc->heap || (doc->size == 0 && olen == 0)) return;
    int fd1 = spool_fd1(cfg, dt);
    if (!fd1) return;
    uint64_t off = atomic_fetch_add(&dt->spool_size, (uint64_t)doc->size + olen);
    if (!spool_write(fd1 - 1, doc->heap, doc->size, off) ||
        !spool_write(fd1 - 1, doc->orig_heap, olen, off + doc->size))
        return; /* a full disk: keep the heap copy */
    free(doc->heap);
    free(doc->orig_heap);
    doc->heap = NULL;
    doc->orig_heap = NULL;
    doc->data = NULL;
    doc->spooled = 1;
    doc->spool_off = off;
    doc->orig_spool_off = off + doc->size;
}

/* ---- Containers' parts --------------------------------------------------- */

/* Texts of parts are gathered and written to the spool in one pwrite() per
 * this many bytes (a record is often a few hundred). */
#define ND_PARTS_BATCH ((size_t)1 << 20)

/* A text lent to a batch by its owner (nd_parts_add_borrowed). */
struct nd_lent_text {
    const uint8_t *text;
    size_t len;
    void (*release)(void *);
    void *owner;
};

/* Gives the lent texts back to their owners. */
static void lent_release(nd_parts *ps) {
    for (size_t i = 0; i < ps->nlent; i++)
        if (ps->lent[i].release) ps->lent[i].release(ps->lent[i].owner);
    ps->nlent = 0;
}

/* pwritev() of the lent texts, 64 at a time, at off; 1 when all were
 * written. */
static int spool_writev(int fd, const struct nd_lent_text *lt, size_t n, uint64_t off) {
    struct iovec iov[64];
    size_t i = 0, done = 0; /* text i, its bytes written */
    for (;;) {
        while (i < n && lt[i].len == done) { /* written, or empty */
            i++;
            done = 0;
        }
        if (i == n) return 1;
        int k = 0;
        for (size_t j = i; j < n && k < 64; j++) {
            size_t skip = j == i ? done : 0;
            if (lt[j].len == skip) continue;
            iov[k].iov_base = (void *)(uintptr_t)(lt[j].text + skip);
            iov[k].iov_len = lt[j].len - skip;
            k++;
        }
        ssize_t w = pwritev(fd, iov, k, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return 0;
        off += (uint64_t)w;
        for (size_t left = (size_t)w; left > 0;) { /* i < n: no more was asked */
            size_t rem = lt[i].len - done;
            if (left >= rem) {
                left -= rem;
                i++;
                done = 0;
            } else {
                done += left;
                left = 0;
            }
        }
    }
}

nd_status nd_parts_finish(nd_parts *ps) {
    nd_status st = ND_OK;
    int fd1 = ps->plen ? spool_fd1(ps->cfg, ps->dt) : 0;
    uint64_t base = 0;
    int spooled = 0;
    if (fd1) {
        base = atomic_fetch_add(&ps->dt->spool_size, (uint64_t)ps->plen);
        spooled = ps->nlent ? spool_writev(fd1 - 1, ps->lent, ps->nlent, base)
                            : spool_write(fd1 - 1, ps->pend, ps->plen, base);
    }
    for (size_t i = ps->pfirst, j = 0; i < ps->n; i++, j++) {
        nd_doc *d = &ps->docs[i];
        if (d->size == 0) {
            d->spool_off = 0;
            continue;
        }
        if (spooled) {
            d->spooled = 1;
            d->spool_off += base;
            continue;
        }
        /* no spool: the text stays on the heap */
        if (!(d->heap = malloc(d->size))) {
            st = ND_ERR_NOMEM;
            continue; /* (released with the parts) */
        }
        memcpy(d->heap, ps->nlent ? ps->lent[j].text : ps->pend + d->spool_off, d->size);
        d->data = d->heap;
        d->spool_off = 0;
    }
    lent_release(ps);
    ps->plen = 0;
    ps->pfirst = ps->n;
    return st;
}

nd_status nd_parts_add(nd_parts *ps, nd_doc *doc) {
    uint8_t *heap = doc->heap;
    doc->heap = NULL; /* (released here, whatever happens) */
    nd_status st = nd_parts_add_text(ps, doc, heap);
    free(heap);
    return st;
}

/* Takes doc (room made in ps->docs, its text in the batch at ps->plen) as
 * the next part; the batch is written once it is full.  *doc is zeroed. */
static nd_status parts_push(nd_parts *ps, nd_doc *doc) {
    doc->heap = NULL;
    doc->data = NULL;
    doc->spool_off = ps->plen;
    ps->plen += doc->size;
    ps->docs[ps->n++] = *doc;
    memset(doc, 0, sizeof *doc);
    return ps->plen >= ND_PARTS_BATCH ? nd_parts_finish(ps) : ND_OK;
}

nd_status nd_parts_add_borrowed(nd_parts *ps, nd_doc *doc, const uint8_t *text,
                                void (*release)(void *), void *owner) {
    nd_status st = ND_OK;
    /* a batch holds lent texts or copied ones, not both */
    if (ps->plen && (!ps->nlent || ps->plen + doc->size > ND_PARTS_BATCH))
        ND_CHECK(nd_parts_finish(ps));
    ND_CHECK(ND_GROW(ps->docs, ps->cap, ps->n + 1));
    ND_CHECK(ND_GROW(ps->lent, ps->lent_cap, ps->nlent + 1));
    ps->lent[ps->nlent++] = (struct nd_lent_text){text, doc->size, release, owner};
    return parts_push(ps, doc);
out:
    if (release) release(owner);
    doc_release(doc);
    return st;
}

nd_status nd_parts_add_text(nd_parts *ps, nd_doc *doc, const uint8_t *text) {
    nd_status st = ND_OK;
    if (ps->nlent) ND_CHECK(nd_parts_finish(ps)); /* a batch of lent texts */
    if (ps->plen && ps->plen + doc->size > ND_PARTS_BATCH) ND_CHECK(nd_parts_finish(ps));
    ND_CHECK(ND_GROW(ps->docs, ps->cap, ps->n + 1));
    ND_CHECK(ND_GROW(ps->pend, ps->pcap, ps->plen + doc->size));
    if (doc->size) memcpy(ps->pend + ps->plen, text, doc->size);
    return parts_push(ps, doc);
out:
    doc_release(doc);
    return st;
}

nd_status nd_parts_problem(nd_parts *ps, const char *name, nd_status st, const char *detail) {
    ND_TRY(ND_GROW(ps->probs, ps->probs_cap, ps->nprobs + 1));
    nd_part_problem *p = &ps->probs[ps->nprobs];
    memset(p, 0, sizeof *p);
    p->st = st;
    p->before = ps->n;
    if ((name && !(p->name = nd_strdup(name))) || (detail && !(p->detail = nd_strdup(detail)))) {
        free(p->name);
        return ND_ERR_NOMEM;
    }
    ps->nprobs++;
    return ND_OK;
}

nd_status nd_parts_note(nd_parts *ps, const char *name, nd_status st, const char *detail) {
    ND_TRY(nd_parts_problem(ps, name, st, detail));
    ps->probs[ps->nprobs - 1].notice = 1;
    return ND_OK;
}

nd_status nd_parts_add_spooled(nd_parts *ps, nd_doc *doc) {
    nd_status st = nd_parts_finish(ps); /* the texts gathered before it */
    if (st == ND_OK) st = ND_GROW(ps->docs, ps->cap, ps->n + 1);
    if (st != ND_OK) {
        doc_release(doc);
        return st;
    }
    ps->docs[ps->n++] = *doc;
    ps->pfirst = ps->n; /* its spool_off is final */
    memset(doc, 0, sizeof *doc);
    return ND_OK;
}

nd_status nd_parts_append(nd_parts *ps, nd_parts *from) {
    ND_TRY(nd_parts_finish(from));
    ND_TRY(nd_parts_finish(ps));
    ND_TRY(ND_GROW(ps->docs, ps->cap, ps->n + from->n));
    ND_TRY(ND_GROW(ps->probs, ps->probs_cap, ps->nprobs + from->nprobs));
    for (size_t i = 0; i < from->nprobs; i++) {
        ps->probs[ps->nprobs] = from->probs[i];
        ps->probs[ps->nprobs++].before += ps->n;
    }
    if (from->n) memcpy(ps->docs + ps->n, from->docs, from->n * sizeof *from->docs);
    ps->n += from->n;
    ps->pfirst = ps->n;
    from->n = from->nprobs = 0; /* moved */
    return ND_OK;
}

void nd_parts_release(nd_parts *ps) {
    lent_release(ps);
    free(ps->lent);
    for (size_t i = 0; i < ps->n; i++) doc_release(&ps->docs[i]);
    for (size_t i = 0; i < ps->nprobs; i++) {
        free(ps->probs[i].name);
        free(ps->probs[i].detail);
    }
    free(ps->docs);
    free(ps->probs);
    free(ps->pend);
    memset(ps, 0, sizeof *ps);
}

static int ends_with(const char *s, const char *tail) {
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && memcmp(s + n - t, tail, t) == 0;
}

int nd_input_container_kind(const nd_input_cfg *cfg, const char *path) {
    if (cfg->jsonl_field && cfg->jsonl_field[0] &&
        (ends_with(path, ".jsonl") || ends_with(path, ".jsonl.gz")))
        return ND_CONT_JSONL;
    return 0;
}

/* pread() of up to len bytes at off, retrying short reads and EINTR; *got
 * is what was read (less at the end of the file).  Returns 0 or an errno. */
static int pread_all(int fd, uint8_t *buf, size_t len, uint64_t off, size_t *got) {
    size_t n = 0;
    while (n < len) {
        ssize_t r = pread(fd, buf + n, len - n, (off_t)(off + n));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            *got = n;
            return errno;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    *got = n;
    return 0;
}

static int64_t mtime_ns(const struct stat *sb) {
    return (int64_t)sb->st_mtim.tv_sec * 1000000000 + (int64_t)sb->st_mtim.tv_nsec;
}

/* Reads all `size` bytes of the open file fd (loaded as doc) into
 * doc->heap and closes fd; a read error or a file that changed meanwhile
 * (short, other size or modification time after the read) goes into ld.
 * Only ND_ERR_NOMEM is returned. */
static nd_status read_whole(int fd, size_t size, nd_loaded *ld) {
    nd_doc *doc = &ld->doc;
    size_t got = 0;
    if (!(doc->heap = malloc(size ? size : 1))) {
        (void)close(fd);
        return ND_ERR_NOMEM;
    }
    int err = pread_all(fd, doc->heap, size, 0, &got);
    struct stat after;
    int changed =
        !err && (got < size || fstat(fd, &after) != 0 ||
                 (uint64_t)after.st_size != (uint64_t)size || mtime_ns(&after) != doc->mtime_ns);
    (void)close(fd);
    if (err || changed) { /* a file changed while read: not "corrupt" */
        doc_release(doc);
        if (err)
            loaded_fail(ld, ND_ERR_IO, err, "read");
        else
            loaded_fail(ld, ND_ERR_CHANGED, 0, NULL);
        return ND_OK;
    }
    doc->data = doc->heap;
    doc->size = got;
    return ND_OK;
}

/* Reads container ld (open as fd, `size` bytes, gzip data if gz) and
 * hands it to its reader, which adds its parts: gzip data is read whole
 * and inflated (as gzip documents are), a plain file is read by the
 * reader in chunks and checked afterwards to be the file loaded,
 * unchanged (size and modification time).  Closes fd.  Problems go into
 * ld; only ND_ERR_NOMEM is returned. */
static nd_status load_container(const nd_input_cfg *cfg, nd_doctab *dt, nd_loaded *ld, int fd,
                                size_t size, int gz, unsigned threads) {
    nd_doc *doc = &ld->doc;
    nd_status st = ND_OK;
    uint8_t *plain = NULL;
    nd_jsonl_src src = {NULL, fd, size};
    if (!gz && size > cfg->max_file_size) {
        (void)close(fd);
        too_large(cfg, ld, 0);
        return ND_OK;
    }
    if (gz) {
        size_t len = 0;
        ND_TRY(read_whole(fd, size, ld)); /* closes fd */
        fd = -1;
        if (ld->st != ND_OK) return ND_OK;
        st = nd_gunzip(doc->heap, size, cfg->max_file_size, &plain, &len);
        free(doc->heap);
        doc->heap = NULL;
        doc->data = NULL;
        if (st == ND_ERR_NOMEM) goto out;
        if (st != ND_OK) {
            if (st == ND_ERR_TOO_LARGE)
                too_large(cfg, ld, 1);
            else
                loaded_fail(ld, st, 0, NULL);
            st = ND_OK;
            goto out;
        }
        src = (nd_jsonl_src){plain, -1, len};
        doc->gzip = 1;
    }
    doc->size = size; /* on disk, for the checks when it is read again */
    ld->parts.cfg = cfg;
    ld->parts.dt = dt;
    st = nd_jsonl_read(cfg, ld->path, &src, threads, &ld->parts);
    if (st == ND_OK) st = nd_parts_finish(&ld->parts);
    if (st == ND_OK && fd >= 0) { /* the file read was the file loaded */
        struct stat after;
        if (fstat(fd, &after) != 0 || (uint64_t)after.st_size != (uint64_t)size ||
            mtime_ns(&after) != doc->mtime_ns)
            st = ND_ERR_CHANGED;
    }
    if (st == ND_ERR_CHANGED) {
        nd_parts_release(&ld->parts);
        loaded_fail(ld, ND_ERR_CHANGED, 0, NULL);
        st = ND_OK;
    }
out:
    if (fd >= 0) (void)close(fd);
    free(plain);
    return st;
}

/* ---- Archives ------------------------------------------------------------ */

/* Reads up to cap bytes of the current member, as many as there are: *got
 * less than cap only at its end. */
static nd_status member_fill(nd_archive_reader *ar, uint8_t *buf, size_t cap, size_t *got) {
    *got = 0;
    while (*got < cap) {
        size_t k = 0;
        ND_TRY(nd_archive_read(ar, buf + *got, cap - *got, &k));
        if (k == 0) break;
        *got += k;
    }
    return ND_OK;
}

/* ld (or part p) failed with libarchive's words and `tail`. */
static nd_status archive_fail(nd_loaded *ld, nd_archive_reader *ar, const char *tail) {
    const char *w = nd_archive_error(ar);
    size_t len = strlen(w) + strlen(tail) + 1;
    loaded_fail(ld, ND_ERR_ARCHIVE, 0, NULL);
    free(ld->why);
    if (!(ld->why = malloc(len))) return ND_ERR_NOMEM;
    snprintf(ld->why, len, "%s%s", w, tail);
    return ND_OK;
}

/* The archive of ld is damaged: one problem naming it and how many members
 * were read before the damage; ld is marked damaged.  p is scratch. */
static nd_status archive_damaged(nd_loaded *ld, nd_parts *ps, nd_loaded *p, nd_archive_reader *ar,
                                 size_t members) {
    char tail[96];
    snprintf(tail, sizeof tail, "; %zu member%s before it read", members, members == 1 ? "" : "s");
    ND_TRY(archive_fail(p, ar, tail));
    ND_TRY(nd_parts_problem(ps, ld->path, ND_ERR_ARCHIVE, p->why));
    ld->damaged = 1;
    return ND_OK;
}

/* A notice about part p (status ND_OK): it is not a document, nothing is
 * missing. */
static void part_note(nd_loaded *p, const char *what) {
    doc_release(&p->doc);
    p->st = ND_OK;
    p->notice = 1;
    p->what = what;
}

/* Member m of the archive being read becomes part p: a document whose
 * bytes go into the spool, a skipped member (too large, unreadable) or a
 * notice (binary, an archive or compressed data: not expanded).  The
 * first 8 KiB decide as for a file (decode.c); a UTF-8 member of known
 * size is streamed into a range of the spool reserved for it, anything
 * else (another encoding, an unknown size, no spool) is read whole,
 * bounded by max_file_size, and goes the way of a decoded or inflated
 * file.  Only ND_ERR_NOMEM is returned; damage is left in p and, when the
 * archive cannot go on, in nd_archive_broken. */
static nd_status load_member(const nd_input_cfg *cfg, nd_doctab *dt, nd_archive_reader *ar,
                             const nd_archive_member *m, const nd_file_id *af, nd_loaded *p) {
    nd_doc *doc = &p->doc;
    uint8_t head[ND_SNIFF_BYTES];
    size_t hn = 0, cap = 0;
    nd_status st;
    doc->dev = af->dev;
    doc->ino = af->ino;
    doc->part_no = m->index;
    doc->mtime_ns = m->mtime_ns;
    if (m->size_known && m->size > cfg->max_file_size) {
        too_large(cfg, p, 0); /* its bytes are skipped with the next header */
        return ND_OK;
    }
    st = member_fill(ar, head, sizeof head, &hn);
    if (st == ND_ERR_ARCHIVE) return archive_fail(p, ar, "; member skipped");
    ND_TRY(st);
    if (nd_archive_magic(head, hn)) {
        part_note(p, "an archive or compressed data inside an archive: not expanded");
        return ND_OK;
    }
    uint64_t size = m->size_known ? m->size : hn < sizeof head ? hn : UINT64_MAX;
    nd_sniff_in si = {head, hn, size, cfg->encoding};
    nd_sniff_out sn;
    nd_decode_sniff(&si, &sn);
    if (sn.kind == ND_SNIFF_BINARY) {
        part_note(p, "binary member: not read");
        return ND_OK;
    }
    int fd1 = sn.kind == ND_SNIFF_UTF8 && m->size_known && m->size > 0 ? spool_fd1(cfg, dt) : 0;
    if (fd1) { /* streamed into its range of the spool */
        uint64_t off = atomic_fetch_add(&dt->spool_size, m->size), done = hn;
        uint8_t buf[ND_SNIFF_BYTES];
        if (!spool_write(fd1 - 1, head, hn, off)) {
            loaded_fail(p, ND_ERR_IO, errno ? errno : EIO, "read");
            return ND_OK;
        }
        for (;;) {
            size_t got = 0;
            st = nd_archive_read(ar, buf, sizeof buf, &got);
            if (st == ND_ERR_ARCHIVE) return archive_fail(p, ar, "; member skipped");
            ND_TRY(st);
            if (got == 0) break;
            if (got > m->size - done) {
                loaded_fail(p, ND_ERR_ARCHIVE, 0, "more bytes than its header says");
                return ND_OK;
            }
            if (!spool_write(fd1 - 1, buf, got, off + done)) {
                loaded_fail(p, ND_ERR_IO, errno ? errno : EIO, "read");
                return ND_OK;
            }
            done += got;
        }
        if (done != m->size) {
            loaded_fail(p, ND_ERR_ARCHIVE, 0, "fewer bytes than its header says");
            return ND_OK;
        }
        doc->spooled = 1;
        doc->spool_off = off;
        doc->size = (size_t)m->size;
        return ND_OK;
    }
    /* read whole onto the heap, then as a decoded (or inflated) file */
    size_t limit = cfg->max_file_size >= SIZE_MAX ? SIZE_MAX : (size_t)cfg->max_file_size + 1;
    cap = m->size_known ? (size_t)m->size : hn;
    if (!(doc->heap = malloc(cap ? cap : 1))) return ND_ERR_NOMEM;
    memcpy(doc->heap, head, hn);
    doc->size = hn;
    for (;;) {
        size_t got = 0;
        uint8_t probe;
        if (doc->size == cap && m->size_known) { /* its end must come now */
            st = nd_archive_read(ar, &probe, 1, &got);
            if (st == ND_OK && got) {
                doc_release(doc);
                loaded_fail(p, ND_ERR_ARCHIVE, 0, "more bytes than its header says");
                return ND_OK;
            }
        } else {
            if (doc->size == cap) { /* grown to the limit + 1 at most */
                if (doc->size > cfg->max_file_size) break;
                size_t want = cap > (SIZE_MAX - 4096) / 2 ? limit : ND_MIN(cap * 2 + 4096, limit);
                uint8_t *bigger = realloc(doc->heap, want);
                if (!bigger) return ND_ERR_NOMEM;
                doc->heap = bigger;
                cap = want;
            }
            st = nd_archive_read(ar, doc->heap + doc->size, cap - doc->size, &got);
        }
        if (st == ND_ERR_ARCHIVE) {
            doc_release(doc);
            return archive_fail(p, ar, "; member skipped");
        }
        ND_TRY(st);
        if (got == 0) break;
        doc->size += got;
    }
    doc->data = doc->heap;
    if (doc->size > cfg->max_file_size) {
        too_large(cfg, p, 0);
        doc_release(doc);
        return ND_OK;
    }
    if (doc->size == 0) { /* an empty member: nothing to keep */
        free(doc->heap);
        doc->heap = NULL;
        doc->data = NULL;
        return ND_OK;
    }
    nd_sniff_in whole = {doc->data, ND_MIN(doc->size, (size_t)ND_SNIFF_BYTES), doc->size,
                         cfg->encoding};
    nd_decode_sniff(&whole, &sn);
    if (sn.kind == ND_SNIFF_DECODE) ND_TRY(decode_doc(cfg, p, &sn));
    if (p->st == ND_OK) spool_doc(cfg, dt, doc);
    return ND_OK;
}

/* Hands member part p to the archive's parts: a document (named p->path,
 * which it takes), a skipped member or a notice, in archive order. */
static nd_status member_commit(nd_parts *ps, nd_loaded *p, const nd_archive_member *m) {
    const char *detail = p->why ? p->why : p->detail[0] ? p->detail : p->what;
    char err[128];
    if (p->notice) return nd_parts_note(ps, p->path, ND_OK, detail);
    if (p->st == ND_ERR_IO && p->err) { /* the spool could not be written */
        snprintf(err, sizeof err, "%s", strerror(p->err));
        detail = err;
    }
    if (p->st != ND_OK) return nd_parts_problem(ps, p->path, p->st, detail);
    nd_doc *doc = &p->doc;
    doc->path = p->path;
    p->path = NULL;
    doc->part_no = m->index;
    doc->part_off = doc->src_off = 0;
    doc->part_len = doc->src_len = nd_doc_orig_size(doc);
    int guessed = p->guessed;
    char enc[ND_ENC_NAME];
    snprintf(enc, sizeof enc, "%s", nd_doc_encoding(doc));
    char *name = nd_strdup(doc->path);
    if (!name) return ND_ERR_NOMEM;
    nd_status st = nd_parts_add_spooled(ps, doc);
    if (st == ND_OK && guessed) st = nd_parts_note(ps, name, ND_ERR_ENCODING, enc);
    free(name);
    return st;
}

/* Reads src - the open file loaded as ld->doc, or standard input's bytes -
 * as an archive when it is one (*was 1): each regular member becomes a part
 * of ld (load_member), in archive order, named ARCHIVE//MEMBER (standard
 * input's: -//MEMBER); damage ends the walk and is the
 * last problem of the parts, naming the archive, with the members before
 * it kept; a file that changed while it was read keeps none (ld's
 * status).  *was 0: not an archive, ld untouched.  Only ND_ERR_NOMEM is
 * returned. */
static nd_status load_archive_src(const nd_input_cfg *cfg, nd_doctab *dt, nd_loaded *ld,
                                  const nd_archive_src *src, int *was) {
    nd_status st = ND_OK;
    nd_archive_reader *ar = NULL;
    nd_parts *ps = &ld->parts;
    nd_loaded p;
    size_t members = 0, docs = 0;
    *was = 0;
    memset(&p, 0, sizeof p);
    st = nd_archive_open(src, &ar);
    if (st == ND_ERR_FORMAT) return ND_OK;
    ND_TRY(st);
    *was = 1;
    ld->kind = ND_CONT_ARCHIVE;
    ps->cfg = cfg;
    ps->dt = dt;
    nd_file_id af = {ld->doc.dev, ld->doc.ino, 0};
    for (;;) {
        nd_archive_member m;
        int more = 0;
        st = nd_archive_next(ar, &m, &more);
        if (st == ND_ERR_ARCHIVE) {
            ND_CHECK(archive_damaged(ld, ps, &p, ar, members));
            break;
        }
        ND_CHECK(st);
        if (!more) break;
        if (!m.regular) continue;
        size_t len = strlen(ld->path) + 2 + strlen(m.name) + 1;
        loaded_release(&p);
        if (!(p.path = malloc(len))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        snprintf(p.path, len, "%s//%s", ld->path, m.name);
        ND_CHECK(load_member(cfg, dt, ar, &m, &af, &p));
        if (nd_archive_broken(ar)) { /* the member cut by the damage is no part */
            ND_CHECK(archive_damaged(ld, ps, &p, ar, members));
            break;
        }
        docs += p.st == ND_OK && !p.notice;
        ND_CHECK(member_commit(ps, &p, &m));
        members++;
    }
    nd_archive_kind_of(ar, &ld->akind);
    if (!docs && !ld->damaged)
        ND_CHECK(nd_parts_note(ps, ld->path, ND_OK, "no text member in this archive"));
    ND_CHECK(nd_parts_finish(ps));
    struct stat after;
    if (src->fd >= 0 &&
        (fstat(src->fd, &after) != 0 || (uint64_t)after.st_size != (uint64_t)ld->doc.size ||
         mtime_ns(&after) != ld->doc.mtime_ns)) {
        nd_parts_release(ps);
        loaded_fail(ld, ND_ERR_CHANGED, 0, NULL);
    }
out:
    loaded_release(&p);
    nd_archive_close(ar);
    return st;
}

/* The open file fd (loaded as ld->doc) as an archive, when it is one. */
static nd_status load_archive(const nd_input_cfg *cfg, nd_doctab *dt, nd_loaded *ld, int fd,
                              int *was) {
    nd_archive_src src = {fd, NULL, 0};
    return load_archive_src(cfg, dt, ld, &src, was);
}

/* Opens, sniffs and records one file found by a walk; gzip data is read and
 * inflated, and text in other encodings than UTF-8 decoded.  Plain files keep no bytes (see "Bytes" above); their descriptor
 * is kept while fewer than `budget` are.  Runs on any thread: touches only
 * ld and dt->nfds, and reads cfg. */
static nd_status load_file(const nd_input_cfg *cfg, nd_doctab *dt, nd_loaded *ld, size_t budget,
                           unsigned threads) {
    nd_doc *doc = &ld->doc;
    uint8_t head[ND_SNIFF_BYTES];
    int fd = open(ld->path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        /* the walk saw it a moment ago: it was deleted or renamed meanwhile */
        if (errno == ENOENT)
            loaded_fail(ld, ND_ERR_CHANGED, 0, NULL);
        else
            loaded_fail(ld, ND_ERR_IO, errno, NULL);
        return ND_OK;
    }
    struct stat fsb;
    if (fstat(fd, &fsb) != 0) {
        int err = errno;
        (void)close(fd);
        loaded_fail(ld, ND_ERR_IO, err, NULL);
        return ND_OK;
    }
    if (!S_ISREG(fsb.st_mode)) {
        (void)close(fd);
        loaded_fail(ld, ND_ERR_NOT_REGULAR, 0, NULL);
        return ND_OK;
    }
    size_t size = (size_t)fsb.st_size, got = 0;
    ld->dev = doc->dev = (uint64_t)fsb.st_dev;
    ld->ino = doc->ino = (uint64_t)fsb.st_ino;
    doc->mtime_ns = mtime_ns(&fsb);
    doc->size = size;
    ld->kind = (unsigned char)nd_input_container_kind(cfg, ld->path);
    int err = pread_all(fd, head, ND_MIN(size, sizeof head), 0, &got);
    if (err) {
        (void)close(fd);
        loaded_fail(ld, ND_ERR_IO, err, "read");
        return ND_OK;
    }
    if (ld->kind)
        return load_container(cfg, dt, ld, fd, size, got >= 2 && head[0] == 0x1f && head[1] == 0x8b,
                              threads);
    if (nd_archive_magic(head, got)) { /* by content (archive.c), then as before */
        int was = 0;
        nd_status st = load_archive(cfg, dt, ld, fd, &was);
        if (st != ND_OK || was) {
            (void)close(fd);
            return st;
        }
    }
    if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
        /* gzip data cannot be read again by ranges: inflated into the heap */
        ND_TRY(read_whole(fd, size, ld));
        if (ld->st != ND_OK) return ND_OK;
        ND_TRY(prepare_doc(cfg, ld));
        if (ld->st == ND_OK) spool_doc(cfg, dt, doc);
        return ND_OK;
    }
    if (size > cfg->max_file_size) {
        (void)close(fd);
        too_large(cfg, ld, 0);
        return ND_OK;
    }
    /* the one pass that decides (decode.c): UTF-8 goes on as it is */
    nd_sniff_in si = {head, got, size, cfg->encoding};
    nd_sniff_out sn;
    nd_decode_sniff(&si, &sn);
    if (sn.kind == ND_SNIFF_BINARY) {
        (void)close(fd);
        loaded_fail(ld, ND_ERR_BINARY, 0, NULL);
        return ND_OK;
    }
    if (sn.kind == ND_SNIFF_DECODE) { /* read whole, decoded, spooled */
        ND_TRY(read_whole(fd, size, ld));
        if (ld->st != ND_OK) return ND_OK;
        ND_TRY(decode_doc(cfg, ld, &sn));
        if (ld->st == ND_OK) spool_doc(cfg, dt, doc);
        return ND_OK;
    }
    if (size > 0 && atomic_fetch_add(&dt->nfds, 1) < budget)
        doc->kfd = fd + 1;
    else
        (void)close(fd);
    return ND_OK;
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
    size_t budget;   /* descriptors that may be kept open (fd_budget) */
    size_t root_len; /* bytes of a walked path before its relative part */
    unsigned inner;  /* threads a container may read its parts on: the
                        loader's when files load here, 1 in the pool */
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
static nd_status walk_note(walk *wk, const char *path, nd_status st, int err, const char *what) {
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

/* Whether pattern matches the walked entry: against rel (the path below
 * the walked directory) when it has a '/', else against the name. */
static int pattern_hit(const char *pattern, const char *rel, const char *name) {
    if (strchr(pattern, '/')) return fnmatch(pattern, rel, FNM_PATHNAME) == 0;
    return fnmatch(pattern, name, 0) == 0;
}

/* Whether a walk takes the entry rel / name: not excluded, and, for a file
 * when include patterns are set, included. */
static int walk_takes(const walk *wk, const char *rel, const char *name, int is_dir) {
    const nd_input_cfg *cfg = wk->cfg;
    for (size_t i = 0; i < cfg->nexclude; i++)
        if (pattern_hit(cfg->exclude[i], rel, name)) return 0;
    if (is_dir || cfg->ninclude == 0) return 1;
    for (size_t i = 0; i < cfg->ninclude; i++)
        if (pattern_hit(cfg->include[i], rel, name)) return 1;
    return 0;
}

static nd_status add_any(walk *wk, const char *path, const char *name);

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
    wk->stack[wk->depth++] = (nd_file_id){(uint64_t)sb->st_dev, (uint64_t)sb->st_ino, 0};

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
        if (de->d_name[0] == '.' && /* ".", "..", and hidden entries unless asked */
            (!wk->cfg->hidden || de->d_name[1] == '\0' ||
             (de->d_name[1] == '.' && de->d_name[2] == '\0')))
            continue;
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
            if (walk_takes(wk, child + wk->root_len, names[i].name, 0))
                ND_CHECK(walk_file(wk, child));
            continue;
        }
#endif
        ND_CHECK(add_any(wk, child, names[i].name));
    }
out:
    wk->depth--;
    if (dir) closedir(dir);
    for (size_t i = 0; i < nnames; i++) free(names[i].name);
    free(names);
    free(child);
    return st;
}

/* A path given (name NULL) or an entry `name` met by the walk (filtered
 * by walk_takes once its kind is known). */
static nd_status add_any(walk *wk, const char *path, const char *name) {
    struct stat sb;
    const char *rel = path + wk->root_len;
    if (stat(path, &sb) != 0) {
        int err = errno;
        if (name && !walk_takes(wk, rel, name, 0)) return ND_OK; /* not wanted anyway */
        return walk_note(wk, path, err == ELOOP ? ND_ERR_LOOP : ND_ERR_IO, err == ELOOP ? 0 : err,
                         NULL);
    }
    if (name && !walk_takes(wk, rel, name, S_ISDIR(sb.st_mode))) return ND_OK;
    if (S_ISDIR(sb.st_mode)) {
        if (!name) /* the walked directory: relative paths start below it */
            wk->root_len = strlen(path) + (path[0] && path[strlen(path) - 1] != '/');
        return walk_dir(wk, path, &sb);
    }
    if (!S_ISREG(sb.st_mode)) return walk_note(wk, path, ND_ERR_NOT_REGULAR, 0, NULL);
    return walk_file(wk, path);
}

#define ND_LOAD_TASK     16  /* files per task */
#define ND_LOAD_PARALLEL 256 /* fewer files are loaded on the calling thread */

static nd_status load_task(void *ctx, size_t t, unsigned worker) {
    walk *wk = ctx;
    ND_UNUSED(worker);
    size_t i1 = ND_MIN(wk->n, (t + 1) * ND_LOAD_TASK);
    for (size_t i = t * ND_LOAD_TASK; i < i1; i++)
        if (wk->found[i].load)
            ND_TRY(load_file(wk->cfg, wk->dt, &wk->found[i], wk->budget, wk->inner));
    return ND_OK;
}

/* Loads every file the walk found: on cfg->threads threads when there are
 * many (opening and the binary sniff are mostly system time, ~20
 * microseconds a file), else here. */
static nd_status load_all(walk *wk) {
    size_t ntasks = (wk->n + ND_LOAD_TASK - 1) / ND_LOAD_TASK;
    unsigned threads = wk->cfg->threads;
    wk->inner = threads > 1 ? threads : 1;
    if (threads > 1 && wk->n >= ND_LOAD_PARALLEL) {
        nd_pool *pool = NULL;
        wk->inner = 1;
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
        if (dt->stdin_seen) { /* as a file given twice: read once, a notice */
            note(cfg, path, ND_OK, "given more than once, read once");
            return ND_OK;
        }
        dt->stdin_seen = 1;
        return read_stdin(dt, cfg);
    }
    walk wk;
    memset(&wk, 0, sizeof wk);
    wk.dt = dt;
    wk.cfg = cfg;
    wk.budget = fd_budget();
    nd_status st = add_any(&wk, path, NULL);
    if (st == ND_OK) st = load_all(&wk);
    for (size_t i = 0; i < wk.n; i++) {
        if (st == ND_OK)
            st = commit(dt, cfg, &wk.found[i]);
        else
            loaded_release(&wk.found[i]);
    }
    free(wk.found);
    free(wk.stack);
    return st;
}

nd_status nd_doctab_push_doc(nd_doctab *dt, nd_doc *doc) {
    nd_status st = doctab_push(dt, doc);
    if (st != ND_OK) doc_release(doc);
    memset(doc, 0, sizeof *doc);
    return st;
}

nd_status nd_input_add_buffer(nd_doctab *dt, const char *name, const void *data, size_t len) {
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

/* ------------------------------------------------------------------------ */
/* Reading bytes again                                                       */
/* ------------------------------------------------------------------------ */

void nd_reader_init(nd_reader *rd, const nd_doctab *dt) {
    memset(rd, 0, sizeof *rd);
    rd->dt = dt;
    rd->fd = -1;
    rd->fd_doc = SIZE_MAX;
    rd->wdoc = SIZE_MAX;
}

static void reader_unmap(nd_reader *rd) {
    if (rd->map) (void)munmap(rd->map, rd->map_len);
    rd->map = NULL;
    rd->map_len = 0;
}

void nd_reader_release(nd_reader *rd) {
    if (rd->fd >= 0) (void)close(rd->fd);
    reader_unmap(rd);
    free(rd->buf);
    nd_reader_init(rd, rd->dt);
}

void nd_reader_shrink(nd_reader *rd) {
    reader_unmap(rd);
    free(rd->buf);
    rd->buf = NULL;
    rd->cap = 0;
    rd->wdoc = SIZE_MAX;
}

/* Is sb the file document d was loaded from, unchanged? */
static int same_file(const nd_doc *d, const struct stat *sb) {
    return S_ISREG(sb->st_mode) && (uint64_t)sb->st_dev == d->dev &&
           (uint64_t)sb->st_ino == d->ino && (uint64_t)sb->st_size == (uint64_t)d->size &&
           mtime_ns(sb) == d->mtime_ns;
}

/* A descriptor of doc's file: the kept one, or one reopened by path (never
 * blocking: O_NONBLOCK, in case a fifo took the file's place) and checked
 * to be the same, unchanged file. */
static nd_status reader_fd(nd_reader *rd, size_t doc, int *fd) {
    const nd_doc *d = &rd->dt->docs[doc];
    if (d->spooled) {
        *fd = atomic_load(&rd->dt->spool_fd1) - 1;
        return ND_OK;
    }
    if (d->kfd) {
        *fd = d->kfd - 1;
        return ND_OK;
    }
    if (rd->fd_doc == doc) {
        *fd = rd->fd;
        return ND_OK;
    }
    if (rd->fd >= 0) (void)close(rd->fd);
    rd->fd = -1;
    rd->fd_doc = SIZE_MAX;
    int f = open(d->path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (f < 0) return ND_ERR_CHANGED;
    struct stat sb;
    if (fstat(f, &sb) != 0 || !same_file(d, &sb)) {
        (void)close(f);
        return ND_ERR_CHANGED;
    }
    rd->fd = f;
    rd->fd_doc = doc;
    *fd = f;
    return ND_OK;
}

/* Room for `need` bytes in rd's buffer (grown by half again, not doubled:
 * whole documents can be large). */
static nd_status reader_room(nd_reader *rd, size_t need) {
    if (need <= rd->cap) return ND_OK;
    size_t cap = rd->cap + rd->cap / 2;
    if (cap < need) cap = need;
    if (cap < 4096) cap = 4096;
    uint8_t *p = realloc(rd->buf, cap);
    if (!p) return ND_ERR_NOMEM;
    rd->buf = p;
    rd->cap = cap;
    return ND_OK;
}

/*
 * The spool's bytes [off, off + len) from a read-only mapping of it, or
 * NULL.  The spool is a private unlinked file that only this process
 * writes, each range once before its document is committed, and never
 * truncates, so mapping it cannot raise SIGBUS (issue 12 maps no input);
 * a document then costs its page faults (file pages, mapped 16 at a time
 * by the kernel's fault-around) instead of a copy into the reader's buffer
 * and no system call.  Measured on the 100 MB Chinese bench corpus as one
 * JSON Lines file, whose every record is spooled: the split stage's
 * read() copies of the records were 2-3 % of the scan.  One mapping serves
 * every reader; it covers the file as it was when made, and a document
 * past it gets a new mapping when the file has grown to twice its length
 * (the old ones stay valid until the doctab is released), else NULL (the
 * caller reads it as before).  Small spools are not mapped: ND_VIEW_MIN.
 */
#define ND_VIEW_MIN ((uint64_t)1 << 20)

static const uint8_t *spool_view(const nd_doctab *cdt, uint64_t off, uint64_t len) {
    /* the views are a cache, the one thing readers change, atomically */
    nd_doctab *dt = (nd_doctab *)(uintptr_t)cdt;
    struct nd_spool_view *v = atomic_load(&dt->spool_views);
    if (v && off + len <= v->len) return v->map + off;
    int fd1 = atomic_load(&dt->spool_fd1);
    struct stat sb;
    if (!fd1 || fstat(fd1 - 1, &sb) != 0 || (uint64_t)sb.st_size < off + len ||
        (uint64_t)sb.st_size < ND_VIEW_MIN || (v && (uint64_t)sb.st_size < 2 * v->len) ||
        (uint64_t)sb.st_size > SIZE_MAX)
        return NULL;
    struct nd_spool_view *nv = malloc(sizeof *nv);
    if (!nv) return NULL;
    void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd1 - 1, 0);
    if (map == MAP_FAILED) {
        free(nv);
        return NULL;
    }
    nv->map = map;
    nv->len = (uint64_t)sb.st_size;
    nv->next = v;
    if (!atomic_compare_exchange_strong(&dt->spool_views, &v, nv)) {
        /* another reader made one first: use it if it covers the range */
        (void)munmap(map, (size_t)nv->len);
        free(nv);
        return v && off + len <= v->len ? v->map + off : NULL;
    }
    return nv->map + off;
}

nd_status nd_reader_get(nd_reader *rd, size_t doc, uint64_t off, size_t len, size_t ahead,
                        const uint8_t **out) {
    const nd_doc *d = &rd->dt->docs[doc];
    reader_unmap(rd);
    if (off > d->size || len > d->size - off) return ND_ERR_INVALID;
    if (d->data) {
        *out = d->data + off;
        return ND_OK;
    }
    if (len == 0) {
        *out = (const uint8_t *)"";
        return ND_OK;
    }
    if (d->spooled) {
        const uint8_t *p = spool_view(rd->dt, d->spool_off + off, len);
        if (p) {
            *out = p;
            return ND_OK;
        }
    }
    if (rd->wdoc == doc && off >= rd->woff && off + len <= rd->woff + rd->wlen) {
        *out = rd->buf + (off - rd->woff);
        return ND_OK;
    }
    size_t want = len + (size_t)ND_MIN((uint64_t)ahead, d->size - off - len), got = 0;
    int fd = -1;
    rd->wdoc = SIZE_MAX;
    ND_TRY(reader_room(rd, want));
    ND_TRY(reader_fd(rd, doc, &fd));
    if (pread_all(fd, rd->buf, want, off + d->spool_off, &got) != 0 || got < len)
        return ND_ERR_CHANGED;
    rd->wdoc = doc;
    rd->woff = off;
    rd->wlen = got;
    *out = rd->buf;
    return ND_OK;
}

nd_status nd_reader_whole(nd_reader *rd, size_t doc, const uint8_t **out) {
    const nd_doc *d = &rd->dt->docs[doc];
    struct stat sb;
    size_t got = 0;
    int fd = -1;
    reader_unmap(rd);
    if (d->data || d->size == 0) {
        *out = d->data ? d->data : (const uint8_t *)"";
        return ND_OK;
    }
    if (d->spooled) {
        const uint8_t *p = spool_view(rd->dt, d->spool_off, d->size);
        if (p) {
            *out = p;
            return ND_OK;
        }
    }
    if (rd->wdoc == doc && rd->woff == 0 && rd->wlen == d->size) {
        *out = rd->buf;
        return ND_OK;
    }
    rd->wdoc = SIZE_MAX;
    ND_TRY(reader_room(rd, d->size));
    ND_TRY(reader_fd(rd, doc, &fd));
    /* (the spool is private: no identity to check) */
    if (!d->spooled && (fstat(fd, &sb) != 0 || !same_file(d, &sb))) return ND_ERR_CHANGED;
    if (pread_all(fd, rd->buf, d->size, d->spool_off, &got) != 0 || got < d->size)
        return ND_ERR_CHANGED;
    /* a file rewritten while it was read has another modification time */
    if (!d->spooled && (fstat(fd, &sb) != 0 || !same_file(d, &sb))) return ND_ERR_CHANGED;
    rd->wdoc = doc;
    rd->woff = 0;
    rd->wlen = got;
    *out = rd->buf;
    return ND_OK;
}

nd_status nd_reader_orig_get(nd_reader *rd, size_t doc, uint64_t off, size_t len,
                             const uint8_t **out) {
    const nd_doc *d = &rd->dt->docs[doc];
    if (!d->map.n) return nd_reader_get(rd, doc, off, len, 0, out);
    uint64_t osize = nd_doc_orig_size(d);
    size_t got = 0;
    reader_unmap(rd);
    if (off > osize || len > osize - off) return ND_ERR_INVALID;
    if (d->orig_heap) {
        *out = d->orig_heap + off;
        return ND_OK;
    }
    if (len == 0) {
        *out = (const uint8_t *)"";
        return ND_OK;
    }
    rd->wdoc = SIZE_MAX; /* the window holds decoded text only */
    ND_TRY(reader_room(rd, len));
    /* the spool is private: nobody else changes it */
    if (pread_all(atomic_load(&rd->dt->spool_fd1) - 1, rd->buf, len, d->orig_spool_off + off,
                  &got) != 0 ||
        got < len)
        return ND_ERR_IO;
    *out = rd->buf;
    return ND_OK;
}

nd_status nd_reader_orig_whole(nd_reader *rd, size_t doc, const uint8_t **out, size_t *len) {
    const nd_doc *d = &rd->dt->docs[doc];
    if (!d->map.n) {
        *len = d->size;
        return nd_reader_whole(rd, doc, out);
    }
    *len = (size_t)nd_doc_orig_size(d);
    return nd_reader_orig_get(rd, doc, 0, *len, out);
}

nd_status nd_doctab_own(nd_doctab *dt, size_t doc) {
    nd_doc *d = &dt->docs[doc];
    nd_reader rd;
    const uint8_t *bytes = NULL;
    if (d->data || d->size == 0) return ND_OK;
    nd_reader_init(&rd, dt);
    nd_status st = nd_reader_whole(&rd, doc, &bytes);
    if (st == ND_OK) {
        d->heap = rd.buf; /* the buffer holds exactly the document */
        d->data = d->heap;
        rd.buf = NULL;
        rd.cap = 0;
    } else if (st == ND_ERR_CHANGED) {
        (void)nd_doctab_mark_changed(dt, doc);
    }
    nd_reader_release(&rd);
    return st;
}

#define ND_COPY_CHUNK ((size_t)1 << 20)

/* Copies doc's file into the unlinked file sfd with read()s of ND_COPY_CHUNK
 * bytes, checked as nd_reader_whole checks.  ND_ERR_IO when the copy cannot
 * be written. */
static nd_status copy_private(nd_reader *rd, size_t doc, int sfd) {
    const nd_doc *d = &rd->dt->docs[doc];
    struct stat sb;
    int fd = -1;
    ND_TRY(reader_room(rd, ND_COPY_CHUNK));
    ND_TRY(reader_fd(rd, doc, &fd));
    if (fstat(fd, &sb) != 0 || !same_file(d, &sb)) return ND_ERR_CHANGED;
    for (uint64_t off = 0; off < d->size;) {
        size_t want = (size_t)ND_MIN((uint64_t)ND_COPY_CHUNK, d->size - off), got = 0;
        if (pread_all(fd, rd->buf, want, off, &got) != 0 || got < want) return ND_ERR_CHANGED;
        nd_fd_out o = {sfd, 0};
        if (nd_fd_write(&o, rd->buf, got) != 0) return ND_ERR_IO;
        off += got;
    }
    if (fstat(fd, &sb) != 0 || !same_file(d, &sb)) return ND_ERR_CHANGED;
    return ND_OK;
}

nd_status nd_reader_whole_private(nd_reader *rd, size_t doc, const char *tmpdir,
                                  const uint8_t **out) {
    const nd_doc *d = &rd->dt->docs[doc];
    nd_spill sp;
    int err = 0;
    if (d->data || d->size <= ND_WHOLE_MAX) return nd_reader_whole(rd, doc, out);
    reader_unmap(rd);
    rd->wdoc = SIZE_MAX;
    if (d->spooled) { /* already in a private file: map its range */
        long page = sysconf(_SC_PAGESIZE);
        uint64_t skip = page > 0 ? d->spool_off % (uint64_t)page : 0;
        void *map = mmap(NULL, d->size + skip, PROT_READ, MAP_PRIVATE,
                         atomic_load(&rd->dt->spool_fd1) - 1, (off_t)(d->spool_off - skip));
        if (map == MAP_FAILED) return nd_reader_whole(rd, doc, out);
        rd->map = map;
        rd->map_len = d->size + skip;
        *out = (const uint8_t *)map + skip;
        return ND_OK;
    }
    if (nd_spill_open(&sp, tmpdir, &err) != ND_OK) return nd_reader_whole(rd, doc, out);
    nd_status st = copy_private(rd, doc, sp.fd);
    void *map = MAP_FAILED;
    if (st == ND_OK) map = mmap(NULL, d->size, PROT_READ, MAP_PRIVATE, sp.fd, 0);
    nd_spill_close(&sp); /* the mapping keeps the unlinked copy */
    if (st == ND_ERR_IO || (st == ND_OK && map == MAP_FAILED))
        return nd_reader_whole(rd, doc, out); /* no room for a copy */
    ND_TRY(st);
    (void)posix_madvise(map, d->size, POSIX_MADV_SEQUENTIAL);
    rd->map = map;
    rd->map_len = d->size;
    *out = map;
    return ND_OK;
}

nd_status nd_container_read(const nd_container *c, uint64_t limit, uint8_t **out, size_t *len) {
    nd_status st = ND_OK;
    uint8_t *buf = NULL;
    struct stat sb;
    size_t got = 0;
    int fd = open(c->path, O_RDONLY | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    *out = NULL;
    *len = 0;
    if (fd < 0) return ND_ERR_CHANGED;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_dev != c->dev ||
        (uint64_t)sb.st_ino != c->ino || (uint64_t)sb.st_size != c->size ||
        mtime_ns(&sb) != c->mtime_ns) {
        st = ND_ERR_CHANGED;
        goto out;
    }
    if (c->size > SIZE_MAX - 1 || !(buf = malloc((size_t)c->size + 1))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    if (pread_all(fd, buf, (size_t)c->size, 0, &got) != 0 || got < c->size || fstat(fd, &sb) != 0 ||
        (uint64_t)sb.st_size != c->size || mtime_ns(&sb) != c->mtime_ns) {
        st = ND_ERR_CHANGED;
        goto out;
    }
    if (c->gzip) {
        uint8_t *plain = NULL;
        size_t plen = 0;
        st = nd_gunzip(buf, got, limit, &plain, &plen);
        if (st != ND_OK) goto out;
        free(buf);
        buf = plain;
        got = plen;
    }
    *out = buf;
    *len = got;
    buf = NULL;
out:
    free(buf);
    (void)close(fd);
    return st;
}
