/*
 * mpi_scan.h - the distributed scan of neardup-mpi (mpi_scan.c).
 */
#ifndef ND_MPI_SCAN_H
#define ND_MPI_SCAN_H

#include <mpi.h>
#include <stdint.h>

#include "neardup.h"

/* What one rank did, for --stats. */
typedef struct nd_mpi_stats {
    uint64_t doc_first, doc_end; /* its share of the documents */
    uint64_t share_bytes;        /* their bytes */
    uint64_t rows;               /* paragraphs it split and sketched */
    uint64_t bytes_sent;         /* bytes it handed to MPI (to other ranks) */
    uint64_t bytes_recv;         /* bytes it received from other ranks */
    double t_local;              /* seconds: split + sketch of its share */
    double t_exchange;           /* seconds: from the front's end to the rows' */
    double t_exact, t_lsh;       /* seconds of it: exact keys, band keys + LSH */
    uint64_t pairs;              /* candidate pairs its buckets gave */
    uint64_t spill_bytes;        /* band entries it received, kept in its spill */
    uint64_t exact_rounds;       /* all-to-all rounds of exact keys */
    uint64_t rounds;             /* all-to-all rounds of band keys */
    uint64_t batches;            /* batches its band keys were spilled in
                                    (0: they were kept in memory) */
    double t_verify, cpu_verify; /* seconds, CPU seconds: verifying its pairs */
    uint64_t verified;           /* candidate pairs it verified */
    double t_cluster;            /* seconds: forests merged, similarities */
    uint64_t forest;             /* forest edges it held at most */
    uint64_t sims;               /* similarities it answered, */
    uint64_t sims_new;           /* of which not candidates: computed */
    double t_run;                /* seconds: the whole run, from the walk's end */
    double cpu_local;            /* CPU seconds (all threads) of t_local */
    double cpu_run;              /* CPU seconds of the process at the run's end */
    uint64_t peak_rss;           /* peak resident set, bytes */
    uint64_t split_read;         /* bytes its split stage read() (rchar of
                                    /proc/self/io around it; 0 elsewhere) */
} nd_mpi_stats;

/* One process of the run. */
typedef struct nd_mpi_ctx {
    MPI_Comm comm;
    int rank, size;
    int entered;     /* nd_mpi_scan_run was called (the ready vote is cast) */
    int peer_failed; /* another rank could not start the run */
    int in_front;    /* the driver reached the front (mpi_front) */
    nd_mpi_stats st;
} nd_mpi_ctx;

/* struct cli_scan_hooks.run for neardup-mpi: runs sc with this rank's share
 * of stages 1-4 and, on rank 0, the rest of the scan (nd_scanner_run_front);
 * *out is the report on rank 0, NULL on the others.  Collective. */
nd_status nd_mpi_scan_run(void *user, nd_scanner *sc, int stats, nd_report **out);

/* For a rank that did not reach nd_mpi_scan_run (a usage error, --help, an
 * input that could not be added): casts its "not ready" vote, so the ranks
 * that did reach it return instead of waiting.  Collective. */
void nd_mpi_scan_skip(nd_mpi_ctx *c);

#endif /* ND_MPI_SCAN_H */
