/*
 * stage_sketch.c - stage 2: a paragraph's sketch (stage.h).
 *
 * What a paragraph becomes: its normalised characters; when it has at least
 * opt.min_chars of them and a shingle, state ND_PARA_REP (clusterable), its
 * exact key (XXH3-128 of its token values, seeded with opt.seed) and
 * `bands` band keys of its MinHash signature (sketch.c, lsh.c); otherwise
 * ND_PARA_SHORT and no keys.  nd_sketch_paragraph is that step, shared by
 * the fused split (stage_split.c), which sketches each document while its
 * bytes are in the worker's buffer, and by this stage, which runs when the
 * split could not (the band keys outgrow the memory limit, or one range
 * holds most of the input).
 *
 * In: the paragraph table and documents (texts are read again with
 * nd_report_fetch, in windows of up to ND_SKETCH_AHEAD bytes, and checked
 * against the paragraph hashes), the sketch parameters, the batch size and,
 * when the band keys do not fit in memory, the spill file.  Out: per
 * paragraph its characters, state and exact key; the band keys of the last
 * batch (all rows, when there is one batch), band-major; with a spill, the
 * runs: each batch's keys sorted per band and appended to the file, which
 * the LSH stage merges back.
 *
 * Threads: tasks = ND_SKETCH_TASK consecutive paragraphs; each worker has
 * its own normaliser, shingle buffer and signature row and writes the
 * paragraph's own rows.  Nothing is compacted afterwards: later stages skip
 * the rows of short paragraphs (a serial compaction of 18 band keys per row
 * was 0.08 s of a 1 GB scan, and the skipped rows are about 8% of them).
 * Signatures exist only in a worker's scratch row: they are reduced to band
 * keys at once, which is all later stages need.
 */
#include <errno.h>
#include <string.h>

#include "nd_internal.h"
#include "report.h"
#include "stage.h"

#define ND_SKETCH_TASK 512 /* paragraphs per sketch task */

nd_status nd_sketch_paragraph(const nd_sketch_params *sp, nd_worker *k, const uint8_t *text,
                              size_t len, uint32_t *chars, unsigned char *state,
                              XXH128_hash_t *ekey, uint32_t *keys) {
    const nd_options *o = sp->opt;
    uint64_t *h = NULL;
    const uint64_t *tok = NULL;
    size_t nh = 0, nc = 0, nt = 0;
    *chars = 0;
    *state = ND_PARA_SHORT;
    ND_TRY(nd_shingler_run(&k->sa, text, len, &h, &nh, &nc, &tok, &nt));
    *chars = nc > UINT32_MAX ? UINT32_MAX : (uint32_t)nc;
    if (nc < o->min_chars || nh == 0) return ND_OK;
    *state = ND_PARA_REP;
    *ekey = XXH3_128bits_withSeed(tok, nt * sizeof *tok, o->seed);
    nd_minhash_sketch(sp->mh, h, nh, sp->bands * sp->rows, k->sig);
    nd_lsh_band_keys(k->sig, sp->bands, sp->rows, keys);
    return ND_OK;
}

typedef struct sketch_work {
    nd_exec *x;
    const nd_sketch_in *in;
    nd_sketch_out *out;
    size_t batch0, batch1; /* paragraphs of the current batch */
} sketch_work;

static nd_status sketch_task(void *ctx, size_t t, unsigned worker) {
    sketch_work *v = ctx;
    const nd_report *r = v->in->r;
    const nd_sketch_params *sp = &v->in->sk;
    nd_sketch_out *o = v->out;
    nd_worker *k = &v->x->wk[worker];
    size_t p0 = v->batch0 + t * ND_SKETCH_TASK;
    size_t p1 = ND_MIN(p0 + ND_SKETCH_TASK, v->batch1);
    uint64_t bytes = 0;
    size_t last = p0; /* the task's last paragraph in the document of p */
    for (size_t p = p0; p < p1; p++) {
        size_t row = p - v->batch0;
        const uint8_t *text = NULL;
        uint32_t keys[1024]; /* bands <= num_perm <= 1024 */
        bytes += r->pt.len[p];
        o->chars[p] = 0;
        o->state[p] = ND_PARA_SHORT;
        if (last < p || r->pt.doc[last] != r->pt.doc[p])
            for (last = p; last + 1 < p1 && r->pt.doc[last + 1] == r->pt.doc[p];) last++;
        /* read ahead to the end of that paragraph, no further */
        uint64_t ahead = r->pt.off[last] + r->pt.len[last] - (r->pt.off[p] + r->pt.len[p]);
        if (ahead > ND_SKETCH_AHEAD) ahead = ND_SKETCH_AHEAD;
        nd_status st = nd_report_fetch(r, &k->rd, p, (size_t)ahead, &text);
        if (st == ND_ERR_CHANGED) continue; /* left out; the file is reported */
        ND_TRY(st);
        ND_TRY(nd_sketch_paragraph(sp, k, text, r->pt.len[p], &o->chars[p], &o->state[p],
                                   &o->ekey[p], keys));
        if (o->state[p] != ND_PARA_REP) continue;
        for (unsigned j = 0; j < sp->bands; j++) o->bkeys[j * v->in->batch_rows + row] = keys[j];
    }
    nd_exec_done(v->x, worker, bytes);
    return ND_OK;
}

/* Sorts the current batch's band keys per band and appends them as runs. */
static nd_status spill_batch(sketch_work *v) {
    const nd_sketch_in *in = v->in;
    nd_sketch_out *o = v->out;
    unsigned bands = in->sk.bands;
    size_t rows = v->batch1 - v->batch0;
    nd_worker *k = &v->x->wk[0];
    ND_TRY(nd_worker_entries(k, rows ? rows : 1));
    if (o->nbatches * bands + bands > o->runs_cap)
        ND_TRY(ND_GROW(o->runs, o->runs_cap, (o->nbatches + 1) * bands));
    for (unsigned j = 0; j < bands; j++) {
        size_t m = 0;
        for (size_t row = 0; row < rows; row++)
            if (o->state[v->batch0 + row] == ND_PARA_REP)
                k->e[m++] = (uint64_t)o->bkeys[j * in->batch_rows + row] << 32 |
                            (uint32_t)(v->batch0 + row);
        nd_sort_hi32(k->e, k->etmp, m);
        nd_run *run = &o->runs[o->nbatches * bands + j];
        run->n = m;
        if (nd_spill_append(in->spill, k->e, m, &run->off) != ND_OK) {
            o->io_errno = errno ? errno : EIO;
            return ND_ERR_IO;
        }
    }
    o->nbatches++;
    return ND_OK;
}

nd_status nd_stage_sketch(nd_exec *x, const nd_sketch_in *in, nd_sketch_out *out) {
    sketch_work v = {.x = x, .in = in, .out = out};
    size_t np = in->r->pt.n;
    uint64_t para_bytes = 0;
    out->io_errno = 0;
    for (size_t p = 0; p < np; p++) para_bytes += in->r->pt.len[p];
    nd_exec_begin(x, ND_STAGE_SKETCH, para_bytes);
    for (size_t b0 = 0; b0 < np; b0 += in->batch_rows) {
        v.batch0 = b0;
        v.batch1 = ND_MIN(np, b0 + in->batch_rows);
        size_t ntasks = (v.batch1 - b0 + ND_SKETCH_TASK - 1) / ND_SKETCH_TASK;
        ND_TRY(nd_exec_run(x, ntasks, sketch_task, &v));
        if (in->spill) ND_TRY(spill_batch(&v));
    }
    return ND_OK;
}
