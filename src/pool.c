/*
 * pool.c - the thread pool behind the multi-threaded scan.
 *
 * Design.  The scan's parallel stages are all "parallel for" loops over
 * independent tasks (ranges of documents, of paragraphs, of bands, of
 * candidate pairs, of clusters) whose outputs go to preallocated, disjoint
 * slices; merges happen afterwards on one thread in task order.  So the pool
 * needs only one operation, run(ntasks, fn), and no queue: a job is a task
 * counter that workers advance with an atomic fetch-add (dynamic scheduling,
 * which balances paragraphs of very different lengths), plus a generation
 * number that wakes the workers.  The calling thread works too, as worker 0,
 * so a 1-thread pool creates no thread at all and runs tasks in order.
 *
 * Determinism.  Which worker runs which task varies from run to run; what a
 * task computes does not, and every task writes only its own slice (or its
 * worker's private scratch, whose contents never reach the output except
 * through the task's slice).  Errors: the lowest-numbered failing task's
 * status is returned, whatever the timing.
 *
 * Cancellation.  The cancel flag (set from a signal handler through
 * nd_scanner_cancel) is polled before every task; a task in progress runs to
 * its end, so tasks are kept short (milliseconds).
 */
#include "pool.h"

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "nd_internal.h"

struct nd_pool {
    unsigned threads;
    pthread_t *tid;
    unsigned started; /* threads created */
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    unsigned long gen; /* incremented per job; guarded by mu */
    unsigned busy;     /* workers (excluding the caller) still in the job */
    int quit;
    /* the current job */
    nd_task_fn fn;
    void *ctx;
    size_t ntasks;
    const atomic_int *cancel;
    atomic_size_t next;
    atomic_size_t first_err; /* lowest failed task, or SIZE_MAX */
    nd_status err;           /* status of first_err; guarded by mu */
    atomic_int stop;
};

typedef struct worker_arg {
    nd_pool *p;
    unsigned id;
} worker_arg;

unsigned nd_pool_resolve_threads(unsigned threads) {
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)ND_MIN(n, 1024L) : 1u;
    }
    return ND_MIN(threads, 1024u);
}

static void record_error(nd_pool *p, size_t task, nd_status st) {
    pthread_mutex_lock(&p->mu);
    if (task < atomic_load(&p->first_err)) {
        atomic_store(&p->first_err, task);
        p->err = st;
    }
    pthread_mutex_unlock(&p->mu);
    atomic_store(&p->stop, 1);
}

static void work(nd_pool *p, unsigned id) {
    for (;;) {
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) return;
        if (p->cancel && atomic_load_explicit(p->cancel, memory_order_relaxed)) {
            atomic_store(&p->stop, 1);
            return;
        }
        size_t t = atomic_fetch_add(&p->next, 1);
        if (t >= p->ntasks) return;
        nd_status st = p->fn(p->ctx, t, id);
        if (st != ND_OK) record_error(p, t, st);
    }
}

static void *worker_main(void *arg) {
    worker_arg *wa = arg;
    nd_pool *p = wa->p;
    unsigned id = wa->id;
    free(wa);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen) pthread_cond_wait(&p->wake, &p->mu);
        if (p->quit) break;
        seen = p->gen;
        pthread_mutex_unlock(&p->mu);
        work(p, id);
        pthread_mutex_lock(&p->mu);
        if (--p->busy == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

nd_status nd_pool_new(unsigned threads, nd_pool **out) {
    nd_status st = ND_OK;
    nd_pool *p = NULL;
    if (!out || threads == 0 || threads > 1024) return ND_ERR_INVALID;
    if (!(p = nd_calloc(1, sizeof *p))) return ND_ERR_NOMEM;
    p->threads = threads;
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        free(p);
        return ND_ERR_NOMEM;
    }
    pthread_cond_init(&p->wake, NULL);
    pthread_cond_init(&p->done, NULL);
    if (threads > 1 && !(p->tid = nd_calloc(threads - 1, sizeof *p->tid))) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (unsigned i = 1; i < threads; i++) {
        worker_arg *wa = nd_calloc(1, sizeof *wa);
        if (!wa) {
            st = ND_ERR_NOMEM;
            goto out;
        }
        wa->p = p;
        wa->id = i;
        if (pthread_create(&p->tid[i - 1], NULL, worker_main, wa) != 0) {
            free(wa);
            st = ND_ERR_NOMEM;
            goto out;
        }
        p->started++;
    }
    *out = p;
    p = NULL;
out:
    nd_pool_free(p);
    return st;
}

void nd_pool_free(nd_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->started; i++) pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p->tid);
    free(p);
}

unsigned nd_pool_threads(const nd_pool *p) { return p ? p->threads : 1; }

nd_status nd_pool_run(nd_pool *p, size_t ntasks, nd_task_fn fn, void *ctx,
                      const atomic_int *cancel) {
    if (!p || !fn) return ND_ERR_INVALID;
    if (ntasks == 0) return ND_OK;
    p->fn = fn;
    p->ctx = ctx;
    p->ntasks = ntasks;
    p->cancel = cancel;
    p->err = ND_OK;
    atomic_store(&p->next, 0);
    atomic_store(&p->first_err, SIZE_MAX);
    atomic_store(&p->stop, 0);
    unsigned helpers = p->started;
    if (helpers && ntasks > 1) {
        pthread_mutex_lock(&p->mu);
        p->busy = helpers;
        p->gen++;
        pthread_cond_broadcast(&p->wake);
        pthread_mutex_unlock(&p->mu);
    } else {
        helpers = 0;
    }
    work(p, 0);
    pthread_mutex_lock(&p->mu);
    if (helpers)
        while (p->busy > 0) pthread_cond_wait(&p->done, &p->mu);
    nd_status st = p->err;
    pthread_mutex_unlock(&p->mu);
    if (st == ND_OK && cancel && atomic_load(cancel)) st = ND_ERR_CANCELLED;
    return st;
}
