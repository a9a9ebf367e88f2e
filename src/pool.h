/*
 * pool.h - a small fixed thread pool running "parallel for" jobs (private).
 */
#ifndef ND_POOL_H
#define ND_POOL_H

#include <stdatomic.h>
#include <stddef.h>

#include "neardup.h"

typedef struct nd_pool nd_pool;

/* One task of a job: fn(ctx, task, worker) with task in [0, ntasks) and
 * worker in [0, threads); worker 0 is always the thread that called
 * nd_pool_run().  Tasks write into disjoint, preallocated slices of the
 * caller's arrays, so the result never depends on which worker ran what. */
typedef nd_status (*nd_task_fn)(void *ctx, size_t task, unsigned worker);

/* Resolves a thread count: 0 = online cores; result in [1, 1024]. */
unsigned nd_pool_resolve_threads(unsigned threads);

/* Creates a pool of `threads` workers (threads - 1 new pthreads plus the
 * caller).  threads must be >= 1. */
nd_status nd_pool_new(unsigned threads, nd_pool **out);
void nd_pool_free(nd_pool *p);
unsigned nd_pool_threads(const nd_pool *p);

/* Runs tasks 0..ntasks-1 and returns when all have finished.  Tasks are
 * claimed in increasing order.  If a task fails, tasks not yet started are
 * skipped and the status of the lowest-numbered failed task is returned, so
 * the error too is deterministic.  If cancel is not NULL and becomes non-zero,
 * tasks not yet started are skipped and ND_ERR_CANCELLED is returned (unless
 * a task failed).  Not reentrant: tasks must not call nd_pool_run. */
nd_status nd_pool_run(nd_pool *p, size_t ntasks, nd_task_fn fn, void *ctx,
                      const atomic_int *cancel);

#endif /* ND_POOL_H */
