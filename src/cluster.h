/*
 * cluster.h - union-find over paragraph ids (private).
 */
#ifndef ND_CLUSTER_H
#define ND_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* Disjoint sets whose root is always the smallest id of the set, so a
 * cluster's representative never depends on the order of unions. */
typedef struct nd_uf {
    uint32_t *parent;
    size_t n;
} nd_uf;

nd_status nd_uf_init(nd_uf *uf, size_t n);
/* nd_uf_init in two steps, for callers that fill the sets on several
 * threads: nd_uf_alloc makes room for n ids (ND_ERR_INVALID past 2^32,
 * ND_ERR_NOMEM), nd_uf_reset makes ids [lo, hi) singletons. */
nd_status nd_uf_alloc(nd_uf *uf, size_t n);
void nd_uf_reset(nd_uf *uf, size_t lo, size_t hi);
void nd_uf_release(nd_uf *uf);
uint32_t nd_uf_find(nd_uf *uf, uint32_t x);
/* Joins the sets of a and b; returns 1 if they were different sets. */
int nd_uf_union(nd_uf *uf, uint32_t a, uint32_t b);

/* Links x, still a singleton, under the root r < x: what nd_uf_union(r, x)
 * does, without its finds, so that links of distinct x may run on several
 * threads at once while nothing else uses the forest. */
void nd_uf_link(nd_uf *uf, uint32_t r, uint32_t x);

/* The root of x without path halving: the forest is only read, so several
 * threads may call it at once while nothing changes the forest. */
uint32_t nd_uf_root(const nd_uf *uf, uint32_t x);

#endif /* ND_CLUSTER_H */
