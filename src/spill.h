/*
 * spill.h - sorted runs of 64-bit values in a temporary file, and their
 * k-way merge (private).
 */
#ifndef ND_SPILL_H
#define ND_SPILL_H

#include <stddef.h>
#include <stdint.h>

#include "neardup.h"

/* An anonymous temporary file: created in dir with mkstemp and unlinked at
 * once, so it disappears when closed or when the process ends in any way
 * (success, error, signal, crash).  Appends are single-threaded; reads
 * (pread) may come from many threads at once. */
typedef struct nd_spill {
    int fd;
    uint64_t size; /* bytes written */
} nd_spill;

/* Opens a spill file in dir (NULL or "" = $TMPDIR, else /tmp).  ND_ERR_IO
 * with *sys_errno set when the directory is not usable. */
nd_status nd_spill_open(nd_spill *s, const char *dir, int *sys_errno);
void nd_spill_close(nd_spill *s);

/* Appends n values; *offset receives their byte offset in the file. */
nd_status nd_spill_append(nd_spill *s, const uint64_t *v, size_t n, uint64_t *offset);
/* Appends len bytes; *offset receives their byte offset in the file. */
nd_status nd_spill_write(nd_spill *s, const void *p, size_t len, uint64_t *offset);

/* Reads len bytes at byte offset off (any thread).  ND_ERR_IO when the
 * read fails or the file is shorter. */
nd_status nd_spill_read(const nd_spill *s, uint64_t off, void *buf, size_t len);

/* A run: n ascending values at byte offset off. */
typedef struct nd_run {
    uint64_t off;
    uint64_t n;
} nd_run;

/* Merges runs into one ascending stream; equal values keep run order (so
 * the merge of runs of (key << 32 | id) with ids increasing from run to run
 * equals one sort of all values).  Each run is read through a buffer of
 * buf_values values. */
typedef struct nd_merge {
    const nd_spill *s;
    const nd_run *runs;
    size_t nruns;
    size_t buf_values;
    uint64_t *buf; /* nruns x buf_values */
    size_t *pos, *len;
    uint64_t *read; /* values of each run read so far */
    uint32_t *heap; /* run indices, a binary min-heap on the current value */
    size_t nheap;
} nd_merge;

nd_status nd_merge_init(nd_merge *m, const nd_spill *s, const nd_run *runs, size_t nruns,
                        size_t buf_values);
void nd_merge_release(nd_merge *m);

/* Next value into *v: returns ND_OK and sets *more to 1, or sets *more to 0
 * at the end; ND_ERR_IO if a read failed. */
nd_status nd_merge_next(nd_merge *m, uint64_t *v, int *more);

#endif /* ND_SPILL_H */
