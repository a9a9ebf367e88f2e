/*
 * stage_split.c - stage 1: documents into paragraphs, sketched on the way
 * (stage.h).
 *
 * In: the options (split mode, max_paragraph_bytes), the temporary
 * directory, the sketch parameters and the memory limit.  Out: the
 * documents' split modes (and changed files marked), the paragraph table in
 * (document, offset) order with a 32-bit hash of each paragraph's bytes,
 * per document the paragraphs cut at max_paragraph_bytes; and, when the
 * split sketched everything ("fused"), every paragraph's characters, state
 * and exact key and the band keys staged per range.
 *
 * Bytes (input.c, "Bytes").  Each document is read whole with read() into
 * the worker's reader buffer, checked with fstat before and after (a
 * document over ND_WHOLE_MAX, 64 MiB, is copied to a private unlinked file
 * under the temporary directory and mapped from there, so the buffers stay
 * bounded); a document that changed gives no paragraphs and is marked.
 * Later stages read paragraphs again with pread() and check them against
 * the hash kept here.
 *
 * Threads.  Tasks = ranges of whole documents (about 64 per thread,
 * balanced by bytes); each appends its rows to its worker's store, and a
 * second job copies every range's rows to their place in range order
 * (prefix sums of their sizes), so paragraph ids are those of a sequential
 * split.  The table is made in worker 0's store, which has room for all
 * rows: its own ranges, which it took in range order, move up to their
 * places (the last first) and the other workers' are copied into the gaps,
 * so that half the rows at 2 threads take no fresh memory (wrapped English
 * 100 MB, 2 threads: peak 106 -> 90 MB, medians 0.409 -> 0.394 s;
 * one-per-line 237 -> 202 MB, 0.637 -> 0.606 s; bench/README.md, round 11).  (One huge document is one task; the stages after this one are
 * split by paragraph.  A distributed run may give one rank only a byte
 * range of its first and last document, nd_split_in.first_at/end_at; with
 * nd_split_in.pieces the rank reads only that piece - windows from its
 * nominal bounds to the cut points, the piece itself (past ND_WHOLE_MAX
 * into a private file, as a whole document), and the document's first
 * bytes for the auto mode (split_piece) - and nd_split_piece splits it,
 * lines numbered from the piece's start; without, the document is read
 * whole and nd_split_range splits between the cut points.)
 *
 * Fused.  Each task also sketches its paragraphs while the document is in
 * its buffer (nd_sketch_paragraph), staging characters, states and exact
 * keys per range (copied into place by the join) and band keys per range,
 * band-major, which the LSH tasks gather band by band.  The input is then
 * read once: with a separate sketch stage it was read twice, and on the 1 GB
 * corpus that cost 8% (1 thread; 6.46 s with the input mapped, 7.00 s
 * reading twice).  The tasks stop sketching, and out->fused stays 0 so the
 * driver runs the sketch stage, when the band keys would not fit the memory
 * limit (the spilled path), or when one range holds more than
 * 1 / (2 x threads) of the input (a big document would be sketched by one
 * thread).  64 ranges per thread rather than 16 keep the fused tasks short
 * (~40 ms on the 1 GB corpus), so the stage's tail, one thread finishing
 * the last range, is short too.
 *
 * Memory.  A worker's store keeps the rows of all the ranges it split, one
 * after the other, in arrays that only grow, sized up front for a paragraph
 * every ND_SPLIT_RESERVE_BYTES of the worker's share (within half the
 * memory limit; reserved address space, touched only as rows arrive, in
 * huge pages: util.c, "Memory").  When one worker split every range in
 * order (one thread), its store is the table and is handed over as it is.
 * Each range used to own arrays of its own, grown by doubling from 16 rows
 * and freed after the join: on one-per-line English (a paragraph every 85
 * bytes) the fresh pages of those arrays and of their copies were 87 % of
 * the scan's page faults, 57,311 faults on the 100 MB bench corpus, now
 * 10,500 for the whole scan (1 thread), which takes 40 % less time
 * (bench/README.md, round 10).
 */
#include <string.h>
#include <sys/mman.h>

#include "nd_internal.h"
#include "split.h"
#include "stage.h"

/* The reservation of a worker's store: a paragraph for every this many
 * bytes of input (English one per line is about 85; see "Memory" above). */
#define ND_SPLIT_RESERVE_BYTES 48

/* A worker's rows: the paragraphs of every range it split, appended in the
 * order it took them, with their hashes and (fused) sketches and the
 * ranges' band keys, band-major a range after the other.  The arrays only
 * grow, so a range's rows cost no allocation of their own (see "Memory"
 * above). */
typedef struct split_store {
    nd_paratab pt;
    uint32_t *ph;
    size_t ph_cap;
    uint32_t *chars;
    unsigned char *state;
    XXH128_hash_t *ekey;
    size_t sk_cap;
    uint32_t *bk; /* handed to the split's output (bk_store) */
    size_t bk_n, bk_cap;
} split_store;

typedef struct split_work {
    nd_exec *x;
    const nd_split_in *in;
    nd_split_out *out;
    size_t *range_start;            /* nranges + 1 document indices */
    split_store *store;             /* per worker */
    unsigned *range_worker;         /* per range: the worker that split it, */
    size_t *range_row;              /* its first row in that worker's store, */
    size_t *range_n;                /* its rows, */
    size_t *range_bk;               /* and where its band keys start there */
    int fusing;                     /* the split tasks sketch too */
    atomic_int fuse_off;            /* set when the sketched rows outgrow the limit */
    atomic_uint_fast64_t fuse_rows; /* rows sketched by the split tasks */
    int in_place;                   /* the join keeps worker 0's rows where they are: */
    split_store src;                /* worker 0's arrays under their old name
                                       (src.pt.n: the rows they held), */
    int round;                      /* and which of split_join_in_place's rounds runs */
} split_work;

/* Fused: sketches rows [n0, pt->n) of store s (range rows from r0) from the
 * document's bytes (band keys row-major in the worker's rowkeys).  Stops
 * (and says so through fuse_off) once the rows sketched by all tasks would
 * not fit in the memory limit. */
static nd_status fuse_sketch(split_work *w, split_store *s, nd_worker *k, size_t r0, size_t n0,
                             const uint8_t *data, uint64_t at) {
    const nd_paratab *pt = &s->pt;
    unsigned bands = w->in->sk.bands;
    size_t n = pt->n;
    uint64_t row_bytes = (uint64_t)bands * sizeof(uint32_t) + 16u * w->x->threads;
    uint64_t rows = atomic_fetch_add(&w->fuse_rows, (uint64_t)(n - n0)) + (n - n0);
    if (rows * row_bytes > w->in->limit) atomic_store(&w->fuse_off, 1);
    if (atomic_load(&w->fuse_off)) return ND_OK;
    if (n > s->sk_cap) {
        size_t c0 = s->sk_cap, c1 = s->sk_cap, c2 = s->sk_cap;
        ND_TRY(ND_GROW(s->chars, c0, n));
        ND_TRY(ND_GROW(s->state, c1, n));
        ND_TRY(ND_GROW(s->ekey, c2, n));
        s->sk_cap = c0;
    }
    ND_TRY(ND_GROW(k->rowkeys, k->rowkeys_cap, (n - r0) * bands));
    for (size_t i = n0; i < n; i++) {
        uint32_t *keys = k->rowkeys + (i - r0) * bands;
        ND_TRY(nd_sketch_paragraph(&w->in->sk, k, data + (pt->off[i] - at), pt->len[i],
                                   &s->chars[i], &s->state[i], &s->ekey[i], keys));
        if (s->state[i] != ND_PARA_REP) memset(keys, 0, bands * sizeof *keys);
    }
    return ND_OK;
}

/* A piece's reads (split_piece): windows start at this many bytes and
 * grow, fourfold for a cut point, twofold for the auto mode's prefix.  They
 * are checked as every ranged read is (nd_reader_get: the file reopened is
 * the one loaded, and holds the bytes); later stages check each
 * paragraph's hash. */
#define ND_PIECE_WINDOW ((size_t)64 << 10)

/* The cut point at or after byte at of document d (nd_split_cut), from
 * windows of the bytes from at - 1 on: found once the blank line it starts
 * ends inside the window (or the window reaches the document's end). */
static nd_status piece_cut(nd_reader *rd, size_t d, uint64_t at, uint64_t *cut) {
    uint64_t size = rd->dt->docs[d].size;
    if (at == 0 || at >= size) {
        *cut = ND_MIN(at, size);
        return ND_OK;
    }
    for (size_t win = ND_PIECE_WINDOW;; win *= 4) {
        const uint8_t *p = NULL;
        size_t wn = (size_t)ND_MIN((uint64_t)win, size - (at - 1));
        ND_TRY(nd_reader_get(rd, d, at - 1, wn, 0, &p));
        size_t c = nd_split_cut(p, wn, 1), e = c;
        while (e < wn && p[e] != '\n' && p[e] != '\r') e++;
        if (at - 1 + wn == size || e < wn) {
            *cut = at - 1 + c;
            return ND_OK;
        }
    }
}

/* Document d's split mode for its pieces: the option's, or the auto
 * decision from prefixes of the document, doubled (the new bytes read onto
 * the old) until one settles it (nd_split_detect_prefix) - the same on
 * every rank; past ND_WHOLE_MAX, from the whole document, read as a whole
 * document is (nd_reader_whole_private). */
static nd_status piece_mode(const nd_split_in *in, nd_reader *rd, size_t d, nd_split_mode *mode) {
    nd_status st = ND_OK;
    uint64_t size = rd->dt->docs[d].size;
    uint8_t *buf = NULL;
    size_t have = 0, cap = 0;
    *mode = in->opt->split;
    if (*mode != ND_SPLIT_AUTO) return ND_OK;
    for (size_t win = ND_PIECE_WINDOW;; win *= 2) {
        const uint8_t *p = NULL;
        size_t n = (size_t)ND_MIN((uint64_t)win, size);
        if (n > ND_WHOLE_MAX) {
            ND_CHECK(nd_reader_whole_private(rd, d, in->tmpdir, &p));
            (void)nd_split_detect_prefix(p, (size_t)size, 1, mode);
            goto out;
        }
        ND_CHECK(ND_GROW(buf, cap, n ? n : 1));
        ND_CHECK(nd_reader_get(rd, d, have, n - have, 0, &p));
        if (n > have) memcpy(buf + have, p, n - have);
        have = n;
        if (nd_split_detect_prefix(buf, n, n == size, mode)) goto out;
    }
out:
    free(buf);
    return st;
}

/* Bytes [at, at + n) of document d: into the reader's buffer, or past
 * ND_WHOLE_MAX copied to an unlinked private file under tmpdir and mapped
 * (kept by rd, which unmaps it on its next call), as a whole document
 * would be (nd_reader_whole_private). */
static nd_status piece_read(nd_reader *rd, size_t d, uint64_t at, size_t n, const char *tmpdir,
                            const uint8_t **data) {
    nd_status st = ND_OK;
    nd_spill sp;
    int err = 0;
    void *map = MAP_FAILED;
    if (n <= ND_WHOLE_MAX || nd_spill_open(&sp, tmpdir, &err) != ND_OK)
        return nd_reader_get(rd, d, at, n, 0, data);
    for (size_t off = 0; off < n;) {
        const uint8_t *p = NULL;
        size_t m = ND_MIN(n - off, (size_t)8 << 20);
        uint64_t where = 0;
        ND_CHECK(nd_reader_get(rd, d, at + off, m, 0, &p));
        ND_CHECK(nd_spill_write(&sp, p, m, &where));
        off += m;
    }
    map = mmap(NULL, n, PROT_READ, MAP_PRIVATE, sp.fd, 0);
    if (map == MAP_FAILED) {
        st = ND_ERR_IO;
        goto out;
    }
    (void)posix_madvise(map, n, POSIX_MADV_SEQUENTIAL);
    nd_reader_shrink(rd); /* the chunks' buffer */
    rd->map = map;
    rd->map_len = n;
    *data = map;
out:
    nd_spill_close(&sp); /* the mapping keeps the unlinked copy */
    if (st == ND_ERR_IO) return nd_reader_get(rd, d, at, n, 0, data); /* no room */
    return st;
}

/* Document d's piece, read alone (nd_split_in.pieces): the paragraphs
 * between its cut points, appended to s (nd_split_piece, lines from the
 * piece's start), hashed and (fusing) sketched; *bytes its size. */
static nd_status split_piece(split_work *w, split_store *s, unsigned worker, size_t r0, size_t d,
                             uint64_t *bytes) {
    const nd_split_in *in = w->in;
    nd_reader *rd = &w->x->wk[worker].rd;
    nd_paratab *pt = &s->pt;
    size_t n0 = pt->n;
    uint64_t from = 0, to = in->docs->docs[d].size;
    nd_split_mode mode = ND_SPLIT_LINE;
    const uint8_t *data = NULL;
    uint32_t lines = 0;
    int last = in->doc_end && d + 1 == in->doc_end && in->end_at;
    ND_TRY(piece_mode(in, rd, d, &mode));
    if (d == in->doc_first && in->first_at) ND_TRY(piece_cut(rd, d, in->first_at, &from));
    if (last) ND_TRY(piece_cut(rd, d, in->end_at, &to));
    from = ND_MIN(from, to);
    ND_TRY(piece_read(rd, d, from, (size_t)(to - from), in->tmpdir, &data));
    ND_TRY(nd_split_piece(pt, (uint32_t)d, data, (size_t)(to - from), from, mode, &lines));
    w->out->doc_split[d] = (unsigned char)mode;
    if (last) w->out->end_lines = lines;
    ND_TRY(ND_GROW(s->ph, s->ph_cap, pt->n ? pt->n : 1));
    for (size_t i = n0; i < pt->n; i++)
        s->ph[i] = (uint32_t)XXH3_64bits(data + (pt->off[i] - from), pt->len[i]);
    if (w->fusing) ND_TRY(fuse_sketch(w, s, &w->x->wk[worker], r0, n0, data, from));
    *bytes = to - from;
    return ND_OK;
}

/* Splits range t's documents, each read whole into the worker's buffer and
 * checked to be the file loaded (nd_reader_whole; a changed file is marked
 * and gives no paragraphs), and hashes every paragraph's bytes, which later
 * stages check when they read them again (nd_report_fetch). */
static nd_status split_task(void *ctx, size_t t, unsigned worker) {
    split_work *w = ctx;
    const nd_options *opt = w->in->opt;
    nd_doctab *docs = w->in->docs;
    split_store *s = &w->store[worker];
    nd_paratab *pt = &s->pt;
    nd_reader *rd = &w->x->wk[worker].rd;
    size_t r0 = pt->n;
    uint64_t bytes = 0;
    w->range_worker[t] = worker;
    w->range_row[t] = r0;
    for (size_t d = w->range_start[t]; d < w->range_start[t + 1]; d++) {
        nd_doc *doc = &docs->docs[d];
        nd_split_mode used = ND_SPLIT_LINE;
        const uint8_t *data = NULL;
        size_t n0 = pt->n;
        int piece = w->in->pieces && ((d == w->in->doc_first && w->in->first_at) ||
                                      (w->in->doc_end && d + 1 == w->in->doc_end && w->in->end_at));
        uint64_t pbytes = 0;
        nd_status st = piece ? split_piece(w, s, worker, r0, d, &pbytes)
                             : nd_reader_whole_private(rd, d, w->in->tmpdir, &data);
        if (st == ND_ERR_CHANGED) {
            (void)nd_doctab_mark_changed(docs, d);
            w->out->doc_ncut[d] = 0;
            continue;
        }
        ND_TRY(st);
        if (piece) { /* read, split, hashed and sketched alone */
            w->out->doc_ncut[d] = pt->ncut;
            w->out->doc_cutline[d] = pt->cut_line;
            bytes += pbytes;
            continue;
        }
        size_t from = 0, to = doc->size; /* a piece of a document (nd_split_in) */
        if (d == w->in->doc_first && w->in->first_at)
            from = nd_split_cut(data, doc->size, (size_t)w->in->first_at);
        if (w->in->doc_end && d + 1 == w->in->doc_end && w->in->end_at)
            to = nd_split_cut(data, doc->size, (size_t)w->in->end_at);
        ND_TRY(nd_split_range(pt, (uint32_t)d, data, doc->size, from, to, opt->split, &used));
        w->out->doc_split[d] = (unsigned char)used;
        ND_TRY(ND_GROW(s->ph, s->ph_cap, pt->n ? pt->n : 1));
        for (size_t i = n0; i < pt->n; i++)
            s->ph[i] = (uint32_t)XXH3_64bits(data + pt->off[i], pt->len[i]);
        if (w->fusing) ND_TRY(fuse_sketch(w, s, &w->x->wk[worker], r0, n0, data, 0));
        w->out->doc_ncut[d] = pt->ncut;
        w->out->doc_cutline[d] = pt->cut_line;
        bytes += doc->size;
    }
    size_t n = pt->n - r0;
    w->range_n[t] = n;
    if (w->fusing && !atomic_load(&w->fuse_off)) {
        /* the range's band keys, band-major, after the worker's others */
        const uint32_t *rk = w->x->wk[worker].rowkeys;
        unsigned bands = w->in->sk.bands;
        ND_TRY(ND_GROW(s->bk, s->bk_cap, s->bk_n + n * bands));
        uint32_t *bk = s->bk + s->bk_n;
        for (size_t i = 0; i < n; i++)
            for (unsigned j = 0; j < bands; j++) bk[j * n + i] = rk[i * bands + j];
        w->range_bk[t] = s->bk_n;
        s->bk_n += n * bands;
        w->out->rsk[t].n = n;
        w->out->rsk[t].done = 1;
    }
    nd_exec_done(w->x, worker, bytes);
    return ND_OK;
}

/* Puts rows [r, r + n) of store s at row `at` of the output's table (the
 * store may be the table itself: memmove). */
static void split_rows_put(split_work *w, size_t at, const split_store *s, size_t r, size_t n) {
    nd_split_out *o = w->out;
    nd_paratab *pt = o->pt;
    if (!n) return; /* the store's arrays may be NULL: no memmove from NULL */
    memmove(pt->doc + at, s->pt.doc + r, n * sizeof *pt->doc);
    memmove(pt->off + at, s->pt.off + r, n * sizeof *pt->off);
    memmove(pt->len + at, s->pt.len + r, n * sizeof *pt->len);
    memmove(pt->line + at, s->pt.line + r, n * sizeof *pt->line);
    memmove(o->phash + at, s->ph + r, n * sizeof *o->phash);
    if (w->fusing) {
        memmove(o->chars + at, s->chars + r, n * sizeof *o->chars);
        memmove(o->state + at, s->state + r, n * sizeof *o->state);
        memmove(o->ekey + at, s->ekey + r, n * sizeof *o->ekey);
    }
}

/* Copies range t's rows from its worker's store to their place in the whole
 * table (starting at range_base[t]).  In place, round 0 copies the ranges
 * whose place starts past worker 0's own rows and round 1 the others, but
 * not worker 0's: split_join_in_place moved those between the rounds. */
static nd_status split_join_task(void *ctx, size_t t, unsigned worker) {
    split_work *w = ctx;
    size_t at = w->out->range_base[t];
    ND_UNUSED(worker);
    if (w->in_place) {
        if ((at >= w->src.pt.n) != (w->round == 0)) return ND_OK; /* the other round's */
        if (w->range_worker[t] == 0) {
            if (w->round == 0) split_rows_put(w, at, &w->src, w->range_row[t], w->range_n[t]);
            return ND_OK;
        }
    }
    split_rows_put(w, at, &w->store[w->range_worker[t]], w->range_row[t], w->range_n[t]);
    return ND_OK;
}

/* Sizes store s for about rows paragraphs before its first range, so that
 * its arrays rarely grow (see "Memory" above): the space is only reserved,
 * pages are touched as rows arrive.  A reservation the system refuses is
 * not an error: the arrays then grow as they fill. */
static void split_store_reserve(split_store *s, size_t rows, size_t bk_rows, unsigned bands,
                                int fusing) {
    if (nd_paratab_reserve(&s->pt, rows) != ND_OK || ND_GROW(s->ph, s->ph_cap, rows) != ND_OK)
        return;
    if (!fusing) return;
    size_t c0 = s->sk_cap, c1 = s->sk_cap, c2 = s->sk_cap;
    if (ND_GROW(s->chars, c0, rows) != ND_OK || ND_GROW(s->state, c1, rows) != ND_OK ||
        ND_GROW(s->ekey, c2, rows) != ND_OK)
        return;
    s->sk_cap = c0;
    (void)ND_GROW(s->bk, s->bk_cap, bk_rows * bands);
}

/* Whether one worker split every range, in order (one thread, or a pool
 * that ran them so): its store is then the whole table, ids and all, and
 * needs no join. */
static int split_store_whole(const split_work *w, size_t n) {
    if (n == 0 || w->out->nranges == 0) return 0;
    const split_store *s = &w->store[w->range_worker[0]];
    for (size_t t = 0; t < w->out->nranges; t++)
        if (w->range_worker[t] != w->range_worker[0] || w->range_row[t] != w->out->range_base[t])
            return 0;
    return s->pt.n == n && s->ph && (!w->fusing || (s->chars && s->state && s->ekey));
}

/* Hands store s's arrays over to the output as its table. */
static void split_store_hand_over(split_work *w, split_store *s) {
    nd_split_out *out = w->out;
    nd_paratab *pt = out->pt;
    pt->doc = s->pt.doc;
    pt->off = s->pt.off;
    pt->len = s->pt.len;
    pt->line = s->pt.line;
    pt->cap = s->pt.cap;
    out->phash = s->ph;
    memset(&s->pt, 0, sizeof s->pt);
    s->ph = NULL;
    if (w->fusing) {
        out->chars = s->chars;
        out->state = s->state;
        out->ekey = s->ekey;
        s->chars = NULL;
        s->state = NULL;
        s->ekey = NULL;
    }
}

/* The output's table of n paragraphs, the ranges' rows copied into place
 * from the stores by split_join_task.  ND_ERR_NOMEM. */
static nd_status split_join(nd_exec *x, split_work *w, size_t n) {
    nd_split_out *out = w->out;
    nd_paratab *pt = out->pt;
    size_t n1 = n ? n : 1;
    pt->doc = nd_mallocn(n1, sizeof *pt->doc);
    pt->off = nd_mallocn(n1, sizeof *pt->off);
    pt->len = nd_mallocn(n1, sizeof *pt->len);
    pt->line = nd_mallocn(n1, sizeof *pt->line);
    out->phash = nd_mallocn(n1, sizeof *out->phash);
    if (!pt->doc || !pt->off || !pt->len || !pt->line || !out->phash) return ND_ERR_NOMEM;
    if (w->fusing) {
        out->chars = nd_mallocn(n1, sizeof *out->chars);
        out->state = nd_mallocn(n1, sizeof *out->state);
        out->ekey = nd_mallocn(n1, sizeof *out->ekey);
        if (!out->chars || !out->state || !out->ekey) return ND_ERR_NOMEM;
    }
    pt->cap = n1;
    return nd_exec_run(x, out->nranges, split_join_task, w);
}

/* Whether the table of n rows can be made in worker 0's store
 * (split_join_in_place): it has room for all of them and holds its own
 * ranges in range order (the pool hands tasks out in order), each at or
 * below its place in the table. */
static int split_join_in_place_ok(const split_work *w, size_t n) {
    const split_store *s = &w->store[0];
    if (n == 0 || w->x->threads < 2 || s->pt.cap < n || s->ph_cap < n || !s->ph ||
        (w->fusing && (s->sk_cap < n || !s->chars || !s->state || !s->ekey)))
        return 0;
    size_t row = 0;
    for (size_t t = 0; t < w->out->nranges; t++) {
        if (w->range_worker[t] != 0) continue;
        if (w->range_row[t] != row) return 0;
        row += w->range_n[t];
    }
    return row == s->pt.n;
}

/* The output's table in worker 0's store (split_join_in_place_ok), whose
 * rows [0, src.pt.n) are its own ranges in order, each at or below its
 * place.  Round 0 (parallel) copies every range whose place starts at or
 * past src.pt.n - worker 0's too: no source lies there, and those are the
 * fresh pages, whose first touch is most of the join's cost.  Then worker
 * 0's other ranges move up, the last first, so that none is overwritten
 * before it moved (a range's place starts at or past the end of every
 * earlier range's source).  Round 1 (parallel) copies the other workers'
 * ranges into the gaps.  Half the rows (2 threads) take no fresh memory. */
static nd_status split_join_in_place(nd_exec *x, split_work *w) {
    w->src = w->store[0];
    split_store_hand_over(w, &w->store[0]);
    w->in_place = 1;
    w->round = 0;
    ND_TRY(nd_exec_run(x, w->out->nranges, split_join_task, w));
    for (size_t t = w->out->nranges; t-- > 0;) {
        size_t at = w->out->range_base[t];
        if (w->range_worker[t] == 0 && at < w->src.pt.n && at != w->range_row[t])
            split_rows_put(w, at, &w->src, w->range_row[t], w->range_n[t]);
    }
    w->round = 1;
    return nd_exec_run(x, w->out->nranges, split_join_task, w);
}

/* Frees the workers' rows (not their band keys, which the output owns once
 * the ranges point into them). */
static void split_store_rows_release(split_store *s) {
    nd_paratab_release(&s->pt);
    free(s->ph);
    free(s->chars);
    free(s->state);
    free(s->ekey);
    s->ph = NULL;
    s->chars = NULL;
    s->state = NULL;
    s->ekey = NULL;
    s->ph_cap = s->sk_cap = 0;
}

static void split_work_release(split_work *w) {
    if (w->store)
        for (unsigned i = 0; i < w->x->threads; i++) {
            split_store_rows_release(&w->store[i]);
            free(w->store[i].bk);
        }
    free(w->store);
    free(w->range_worker);
    free(w->range_row);
    free(w->range_n);
    free(w->range_bk);
    free(w->range_start);
}

nd_status nd_stage_split(nd_exec *x, const nd_split_in *in, nd_split_out *out) {
    nd_status st = ND_OK;
    size_t nd = in->docs->n, nr = 0;
    split_work wk, *w = &wk;
    memset(w, 0, sizeof *w);
    w->x = x;
    w->in = in;
    w->out = out;
    w->fusing = in->fuse;
    atomic_init(&w->fuse_off, 0);
    atomic_init(&w->fuse_rows, 0);
    out->fused = 0;
    uint64_t target = x->input_bytes / ((uint64_t)x->threads * 64) + 1;
    if (target < (UINT64_C(1) << 20)) target = UINT64_C(1) << 20;
    w->range_start = nd_mallocn(nd + 1, sizeof *w->range_start);
    out->doc_ncut = nd_calloc(nd ? nd : 1, sizeof *out->doc_ncut);
    out->doc_cutline = nd_calloc(nd ? nd : 1, sizeof *out->doc_cutline);
    out->doc_split = nd_calloc(nd ? nd : 1, sizeof *out->doc_split);
    if (!w->range_start || !out->doc_ncut || !out->doc_cutline || !out->doc_split) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    uint64_t acc = 0, most = 0, share = 0;
    size_t d0 = in->doc_end ? ND_MIN(in->doc_first, in->doc_end) : 0; /* a share */
    size_t d1 = in->doc_end ? ND_MIN(in->doc_end, nd) : nd;
    w->range_start[0] = d0;
    for (size_t d = d0; d < d1; d++) {
        acc += in->docs->docs[d].size;
        share += in->docs->docs[d].size;
        if (acc >= target || d + 1 == d1) {
            w->range_start[++nr] = d + 1;
            most = ND_MAX(most, acc);
            acc = 0;
        }
    }
    out->nranges = nr;
    /* sketching by ranges needs ranges small enough to share out: a range
     * holding a large part of the input (one big document) leaves the
     * other threads idle, so such a run sketches by paragraphs instead */
    if (x->threads > 1 && most * 2 * x->threads > x->input_bytes) w->fusing = 0;
    size_t nr1 = nr ? nr : 1;
    w->store = nd_calloc(x->threads, sizeof *w->store);
    w->range_worker = nd_calloc(nr1, sizeof *w->range_worker);
    w->range_row = nd_calloc(nr1, sizeof *w->range_row);
    w->range_n = nd_calloc(nr1, sizeof *w->range_n);
    w->range_bk = nd_calloc(nr1, sizeof *w->range_bk);
    if (!w->store || !w->range_worker || !w->range_row || !w->range_n || !w->range_bk ||
        (w->fusing && !(out->rsk = nd_calloc(nr1, sizeof *out->rsk)))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    /* a paragraph for every ND_SPLIT_RESERVE_BYTES bytes of a worker's
     * share, within half the memory limit */
    uint64_t row_bytes = 24 + (w->fusing ? 21 + (uint64_t)in->sk.bands * 4 : 0);
    uint64_t rows = share / x->threads / ND_SPLIT_RESERVE_BYTES + 1024;
    rows = ND_MIN(rows, in->limit / 2 / x->threads / row_bytes);
    for (unsigned i = 0; i < x->threads; i++) {
        /* worker 0's store has room for the whole table: the join makes it
         * there (split_join_in_place) */
        w->store[i].pt.max_len = in->opt->max_paragraph_bytes;
        split_store_reserve(&w->store[i], (size_t)(i ? rows : rows * x->threads), (size_t)rows,
                            in->sk.bands, w->fusing);
    }
    nd_exec_begin(x, ND_STAGE_SPLIT, x->input_bytes);
    ND_CHECK(nd_exec_run(x, nr, split_task, w));
    if (w->fusing) { /* every range sketched within the limit, or none kept */
        int all = !atomic_load(&w->fuse_off);
        for (size_t i = 0; i < nr && all; i++) all = out->rsk[i].done;
        if (all && !(out->bk_store = nd_calloc(x->threads, sizeof *out->bk_store))) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        if (all) { /* the ranges point into their workers' keys, which the output owns */
            out->nbk_store = x->threads;
            for (size_t i = 0; i < nr; i++)
                out->rsk[i].bk = w->store[w->range_worker[i]].bk + w->range_bk[i];
            for (unsigned i = 0; i < x->threads; i++) {
                out->bk_store[i] = w->store[i].bk;
                w->store[i].bk = NULL;
            }
        } else {
            free(out->rsk);
            out->rsk = NULL;
            w->fusing = 0;
        }
    }
    for (unsigned i = 0; i < x->threads; i++) {
        free(x->wk[i].rowkeys);
        x->wk[i].rowkeys = NULL;
        x->wk[i].rowkeys_cap = 0;
    }

    if (!(out->range_base = nd_mallocn(nr + 1, sizeof *out->range_base))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    size_t n = 0;
    for (size_t i = 0; i < nr; i++) {
        out->range_base[i] = n;
        n += w->range_n[i];
    }
    out->range_base[nr] = n;
    if (n >= UINT32_MAX) {
        st = ND_ERR_INVALID;
        goto out;
    }
    nd_paratab *pt = out->pt;
    pt->max_len = in->opt->max_paragraph_bytes;
    if (split_store_whole(w, n))
        split_store_hand_over(w, &w->store[w->range_worker[0]]);
    else if (split_join_in_place_ok(w, n))
        ND_CHECK(split_join_in_place(x, w));
    else
        ND_CHECK(split_join(x, w, n));
    pt->n = n;
    for (unsigned i = 0; i < x->threads; i++) split_store_rows_release(&w->store[i]);
    out->fused = w->fusing;
    /* whole documents are not needed any more: later stages read ranges */
    for (unsigned i = 0; i < x->threads; i++) nd_reader_shrink(&x->wk[i].rd);
out:
    split_work_release(w);
    return st;
}
