/*
 * sort.h - sorts of sort.c that only some stages need (private).
 */
#ifndef ND_SORT_H
#define ND_SORT_H

#include "nd_internal.h"

/* Orders v[0..n-1] by the low 32 bits of key, stably with val ascending
 * among equal ones: entries with equal keys end up in one run, ids
 * ascending, but a run may also hold other keys with the same low half.
 * Three 11-bit passes instead of nd_sort_key32's up to eight; tmp must hold
 * n elements. */
void nd_sort_key32_lo32(nd_key32 *v, nd_key32 *tmp, size_t n);

#endif /* ND_SORT_H */
