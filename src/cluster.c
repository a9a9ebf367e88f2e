/*
 * cluster.c - union-find (disjoint-set forest).
 *
 * Clusters are the connected components of the graph whose edges are the
 * verified pairs (exact Jaccard >= threshold) and the exact duplicates.  The
 * forest links the larger root under the smaller one, so every root is the
 * smallest id of its set: representatives are a function of the components,
 * not of the order in which edges arrive (Tarjan 1975; path halving).
 * Linking by index instead of by rank gives up the inverse-Ackermann bound
 * in theory; with path halving the trees stay shallow in practice, and the
 * determinism is worth more here.
 *
 * Parallel use.  Every non-root's parent is smaller than itself (links go
 * under the smaller root, halving only moves to an ancestor), so a parallel
 * stage may link fresh singletons under roots (nd_uf_link, disjoint writes)
 * or read roots (nd_uf_root, no writes) - never both in one stage.
 */
#include "cluster.h"

#include <string.h>

#include "nd_internal.h"

nd_status nd_uf_alloc(nd_uf *uf, size_t n) {
    memset(uf, 0, sizeof *uf);
    if (n > UINT32_MAX) return ND_ERR_INVALID;
    if (n && !(uf->parent = nd_mallocn(n, sizeof *uf->parent))) return ND_ERR_NOMEM;
    uf->n = n;
    return ND_OK;
}

void nd_uf_reset(nd_uf *uf, size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; i++) uf->parent[i] = (uint32_t)i;
}

nd_status nd_uf_init(nd_uf *uf, size_t n) {
    ND_TRY(nd_uf_alloc(uf, n));
    nd_uf_reset(uf, 0, n);
    return ND_OK;
}

void nd_uf_release(nd_uf *uf) {
    free(uf->parent);
    memset(uf, 0, sizeof *uf);
}

uint32_t nd_uf_find(nd_uf *uf, uint32_t x) {
    uint32_t *p = uf->parent;
    while (p[x] != x) {
        p[x] = p[p[x]];
        x = p[x];
    }
    return x;
}

int nd_uf_union(nd_uf *uf, uint32_t a, uint32_t b) {
    uint32_t ra = nd_uf_find(uf, a), rb = nd_uf_find(uf, b);
    if (ra == rb) return 0;
    if (ra < rb)
        uf->parent[rb] = ra;
    else
        uf->parent[ra] = rb;
    return 1;
}

void nd_uf_link(nd_uf *uf, uint32_t r, uint32_t x) { uf->parent[x] = r; }

uint32_t nd_uf_root(const nd_uf *uf, uint32_t x) {
    const uint32_t *p = uf->parent;
    while (p[x] != x) x = p[x];
    return x;
}
