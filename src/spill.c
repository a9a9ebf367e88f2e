/*
 * spill.c - external memory for band keys: sorted runs and k-way merge.
 *
 * When the band keys of all paragraphs do not fit in nd_options.memory_limit,
 * the scan sketches the paragraphs in batches that do fit.  For every batch
 * and band it radix-sorts the values (key << 32 | paragraph id) and appends
 * them to one temporary file as a run.  The LSH stage then merges, per band,
 * that band's runs (a binary heap over the run heads, each run read through
 * its own buffer with pread), which yields exactly the sequence a single
 * in-memory sort would have given: the values are compared as plain 64-bit
 * integers, and ids grow from batch to batch, so even ties cannot reorder.
 * Results are therefore byte-identical to the in-memory path (test_spill.c).
 *
 * One file for all runs keeps the number of open descriptors at one.  It is
 * created with mkstemp(3) and unlinked immediately: the data lives only as
 * long as the descriptor, so nothing is left behind on success, on error, on
 * Ctrl-C or even on SIGKILL, and the library needs no signal handler.
 * Writes are buffered by the caller (one append per run); reads use pread,
 * so several threads can merge different bands from the same file at once.
 */
#include "spill.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nd_internal.h"

nd_status nd_spill_open(nd_spill *s, const char *dir, int *sys_errno) {
    char path[4096];
    s->fd = -1;
    s->size = 0;
    if (!dir || !*dir) dir = getenv("TMPDIR");
    if (!dir || !*dir) dir = "/tmp";
    int n = snprintf(path, sizeof path, "%s/neardup-spill-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        if (sys_errno) *sys_errno = ENAMETOOLONG;
        return ND_ERR_IO;
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        if (sys_errno) *sys_errno = errno;
        return ND_ERR_IO;
    }
    if (unlink(path) != 0) {
        int e = errno;
        close(fd);
        if (sys_errno) *sys_errno = e;
        return ND_ERR_IO;
    }
    s->fd = fd;
    return ND_OK;
}

void nd_spill_close(nd_spill *s) {
    if (s && s->fd >= 0) close(s->fd);
    if (s) s->fd = -1;
}

nd_status nd_spill_append(nd_spill *s, const uint64_t *v, size_t n, uint64_t *offset) {
    return nd_spill_write(s, v, n * sizeof *v, offset);
}

nd_status nd_spill_write(nd_spill *s, const void *v, size_t len, uint64_t *offset) {
    const char *p = v;
    size_t left = len;
    *offset = s->size;
    while (left > 0) {
        ssize_t w = pwrite(s->fd, p, left, (off_t)s->size);
        if (w < 0) {
            if (errno == EINTR) continue;
            return ND_ERR_IO;
        }
        if (w == 0) return ND_ERR_IO;
        p += w;
        left -= (size_t)w;
        s->size += (uint64_t)w;
    }
    return ND_OK;
}

nd_status nd_spill_read(const nd_spill *s, uint64_t off, void *buf, size_t len) {
    char *p = buf;
    while (len > 0) {
        ssize_t r = pread(s->fd, p, len, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return ND_ERR_IO;
        }
        if (r == 0) return ND_ERR_IO; /* the file is shorter than a run */
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    return ND_OK;
}

/* Refills run r's buffer; leaves len[r] = 0 at the end of the run. */
static nd_status refill(nd_merge *m, size_t r) {
    uint64_t left = m->runs[r].n - m->read[r];
    size_t k = (size_t)ND_MIN(left, (uint64_t)m->buf_values);
    m->pos[r] = 0;
    m->len[r] = k;
    if (k == 0) return ND_OK;
    ND_TRY(nd_spill_read(m->s, m->runs[r].off + m->read[r] * sizeof(uint64_t),
                         m->buf + r * m->buf_values, k * sizeof(uint64_t)));
    m->read[r] += k;
    return ND_OK;
}

static uint64_t head(const nd_merge *m, uint32_t r) {
    return m->buf[r * m->buf_values + m->pos[r]];
}

/* Heap order: smaller head first, then lower run index (stability). */
static int before(const nd_merge *m, uint32_t a, uint32_t b) {
    uint64_t x = head(m, a), y = head(m, b);
    return x < y || (x == y && a < b);
}

static void sift_down(nd_merge *m, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < m->nheap && before(m, m->heap[l], m->heap[best])) best = l;
        if (r < m->nheap && before(m, m->heap[r], m->heap[best])) best = r;
        if (best == i) return;
        uint32_t t = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = t;
        i = best;
    }
}

nd_status nd_merge_init(nd_merge *m, const nd_spill *s, const nd_run *runs, size_t nruns,
                        size_t buf_values) {
    nd_status st = ND_OK;
    memset(m, 0, sizeof *m);
    m->s = s;
    m->runs = runs;
    m->nruns = nruns;
    m->buf_values = buf_values ? buf_values : 1;
    size_t n1 = nruns ? nruns : 1;
    m->buf = nd_mallocn(n1, m->buf_values * sizeof *m->buf);
    m->pos = nd_calloc(n1, sizeof *m->pos);
    m->len = nd_calloc(n1, sizeof *m->len);
    m->read = nd_calloc(n1, sizeof *m->read);
    m->heap = nd_mallocn(n1, sizeof *m->heap);
    if (!m->buf || !m->pos || !m->len || !m->read || !m->heap) {
        st = ND_ERR_NOMEM;
        goto out;
    }
    for (size_t r = 0; r < nruns; r++) {
        ND_CHECK(refill(m, r));
        if (m->len[r] > 0) m->heap[m->nheap++] = (uint32_t)r;
    }
    for (size_t i = m->nheap / 2; i-- > 0;) sift_down(m, i);
out:
    if (st != ND_OK) nd_merge_release(m);
    return st;
}

void nd_merge_release(nd_merge *m) {
    free(m->buf);
    free(m->pos);
    free(m->len);
    free(m->read);
    free(m->heap);
    memset(m, 0, sizeof *m);
}

nd_status nd_merge_next(nd_merge *m, uint64_t *v, int *more) {
    if (m->nheap == 0) {
        *more = 0;
        return ND_OK;
    }
    uint32_t r = m->heap[0];
    *v = head(m, r);
    *more = 1;
    if (++m->pos[r] == m->len[r]) {
        ND_TRY(refill(m, r));
        if (m->len[r] == 0) m->heap[0] = m->heap[--m->nheap];
    }
    if (m->nheap) sift_down(m, 0);
    return ND_OK;
}
