/*
 * stage_exact.c - stage 3: exact duplicates (stage.h).
 *
 * In: the exact keys of the paragraphs (XXH3-128 of their token values)
 * and their states (ND_PARA_REP for the clusterable ones).  Out: every
 * clusterable paragraph whose key equals an earlier one's is marked
 * ND_PARA_COPY and linked under the first of them in the union-find, and
 * the number of clusterable paragraphs.  Only the representatives go on to
 * the LSH, so a block repeated a thousand times costs one entry per band,
 * not a million candidate pairs.
 *
 * Exact duplicates are found by sorting entries of 8 bytes, the low 32 bits
 * of the exact key above the paragraph id (the whole key is read back from
 * the keys array where two entries' bits agree: 16-byte entries with the
 * key's low half made the stage's two arrays 38 MB instead of 19 on 1.19 M
 * English paragraphs, and on the 2-core VM we measure on every fresh MB
 * costs some 1.5 ms; util.c, "Memory").  The entries are partitioned by the
 * top bits of the key's low half (equal 128-bit keys share them), so that
 * the partitions sort and group in parallel:
 *   count    tasks = chunks of consecutive paragraphs; each counts its
 *            clusterable paragraphs per partition, in its own row of a
 *            (chunk x partition) table;
 *   scatter  the same chunks; prefix sums over the table, partition by
 *            partition and chunk by chunk, give every chunk its own slice of
 *            every partition, so each partition holds its pairs in id order
 *            whatever ran where;
 *   group    tasks = partitions; each radix-sorts its slice by the key's
 *            low 32 bits (nd_sort_hi32: stably, so ids ascend among equal
 *            keys; the group tasks take 0.13 G instructions for 1.19 M
 *            English paragraphs, 0.20 G with a sort by the whole 64 bits)
 *            and links every paragraph whose 128-bit key equals an earlier
 *            one's under the first of them, the group's representative,
 *            marking it ND_PARA_COPY.
 * The representative is its group's smallest id and still a root, and every
 * copy is still a singleton (no union has happened yet), so the link is what
 * nd_uf_union would do, and tasks write disjoint paragraphs.  The serial work
 * is the prefix sum over the table, which the sizes below keep small (at most
 * 256 x 4096 cells): about 16,384 pairs per partition, at least 16,384
 * paragraphs per chunk (at 65,536 the 237,716 paragraphs of the 100 MB
 * Chinese bench corpus made 4 chunks, the last 0.6 of the others, and one
 * of 2 threads ran alone for part of the stage).  Both depend on the
 * paragraph count only, and the result on neither.
 */
#include <string.h>

#include "cluster.h"
#include "nd_internal.h"
#include "stage.h"

#define ND_EXACT_CHUNK      16384
#define ND_EXACT_CHUNKS_MAX 256
#define ND_EXACT_PART       16384
#define ND_EXACT_BITS_MAX   12

typedef struct exact_work {
    const nd_exact_in *in;
    nd_exact_out *out;
    size_t chunk, nchunks;
    unsigned bits; /* partition = top `bits` bits of the key's low half */
    size_t nparts;
    size_t *cell;       /* nchunks x nparts: counts, then next write positions */
    size_t *part;       /* nparts + 1 partition starts */
    uint64_t *kv, *tmp; /* entries: key's low 32 bits << 32 | id */
} exact_work;

static size_t exact_part(const exact_work *x, uint64_t key) {
    return x->bits ? (size_t)(key >> (64 - x->bits)) : 0;
}

static nd_status exact_count_task(void *ctx, size_t t, unsigned worker) {
    exact_work *x = ctx;
    size_t p0 = t * x->chunk, p1 = ND_MIN(p0 + x->chunk, x->in->n);
    const unsigned char *state = x->out->state;
    const XXH128_hash_t *ekey = x->in->ekey;
    size_t *cell = x->cell + t * x->nparts;
    ND_UNUSED(worker);
    for (size_t p = p0; p < p1; p++)
        if (state[p] == ND_PARA_REP) cell[exact_part(x, ekey[p].low64)]++;
    return ND_OK;
}

static nd_status exact_scatter_task(void *ctx, size_t t, unsigned worker) {
    exact_work *x = ctx;
    size_t p0 = t * x->chunk, p1 = ND_MIN(p0 + x->chunk, x->in->n);
    const unsigned char *state = x->out->state;
    const XXH128_hash_t *ekey = x->in->ekey;
    size_t *cell = x->cell + t * x->nparts;
    ND_UNUSED(worker);
    for (size_t p = p0; p < p1; p++) {
        if (state[p] != ND_PARA_REP) continue;
        uint64_t key = ekey[p].low64;
        x->kv[cell[exact_part(x, key)]++] = key << 32 | (uint32_t)p;
    }
    return ND_OK;
}

static nd_status exact_group_task(void *ctx, size_t t, unsigned worker) {
    exact_work *x = ctx;
    unsigned char *state = x->out->state;
    const XXH128_hash_t *ekey = x->in->ekey;
    size_t s0 = x->part[t], n = x->part[t + 1] - s0;
    uint64_t *kv = x->kv + s0;
    ND_UNUSED(worker);
    /* Performance: sorted by the key's low 32 bits only (three passes, not
     * up to eight); a run then holds all the entries of its keys, ids
     * ascending, and the rare other keys that share those bits are told
     * apart below by the whole key. */
    nd_sort_hi32(kv, x->tmp + s0, n);
    for (size_t s = 0; s < n;) {
        size_t e = s + 1;
        while (e < n && kv[e] >> 32 == kv[s] >> 32) e++;
        /* within a run (ascending ids), link each member to the first
         * earlier representative with the same 128-bit key */
        for (size_t k = s + 1; k < e; k++) {
            uint32_t pk = (uint32_t)kv[k];
            for (size_t j = s; j < k; j++) {
                uint32_t pj = (uint32_t)kv[j];
                if (state[pj] == ND_PARA_REP && ekey[pj].low64 == ekey[pk].low64 &&
                    ekey[pj].high64 == ekey[pk].high64) {
                    state[pk] = ND_PARA_COPY;
                    nd_uf_link(x->out->uf, pj, pk);
                    break;
                }
            }
        }
        s = e;
    }
    return ND_OK;
}

nd_status nd_stage_exact(nd_exec *ex, const nd_exact_in *in, nd_exact_out *out) {
    nd_status st = ND_OK;
    size_t np = in->n;
    exact_work x;
    memset(&x, 0, sizeof x);
    x.in = in;
    x.out = out;
    x.chunk = ND_MAX((size_t)ND_EXACT_CHUNK, (np + ND_EXACT_CHUNKS_MAX - 1) / ND_EXACT_CHUNKS_MAX);
    x.nchunks = (np + x.chunk - 1) / x.chunk;
    while (x.bits < ND_EXACT_BITS_MAX && (np >> x.bits) > ND_EXACT_PART) x.bits++;
    x.nparts = (size_t)1 << x.bits;
    x.cell = nd_calloc(x.nchunks ? x.nchunks * x.nparts : 1, sizeof *x.cell);
    x.part = nd_mallocn(x.nparts + 1, sizeof *x.part);
    if (!x.cell || !x.part) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(nd_exec_run(ex, x.nchunks, exact_count_task, &x));
    size_t sum = 0;
    for (size_t q = 0; q < x.nparts; q++) {
        x.part[q] = sum;
        for (size_t t = 0; t < x.nchunks; t++) {
            size_t c = x.cell[t * x.nparts + q];
            x.cell[t * x.nparts + q] = sum;
            sum += c;
        }
    }
    x.part[x.nparts] = sum;
    out->ncl = sum;
    x.kv = nd_mallocn(sum ? sum : 1, sizeof *x.kv);
    x.tmp = nd_mallocn(sum ? sum : 1, sizeof *x.tmp);
    if (!x.kv || !x.tmp) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    ND_CHECK(nd_exec_run(ex, x.nchunks, exact_scatter_task, &x));
    ND_CHECK(nd_exec_run(ex, x.nparts, exact_group_task, &x));
out:
    free(x.cell);
    free(x.part);
    free(x.kv);
    free(x.tmp);
    return st;
}
