/*
 * main.c - the neardup-mpi program: `mpirun -n N neardup-mpi scan [scan
 * options] PATH...` and `mpirun -n N neardup-mpi clean --out DIR [clean
 * options] PATH...` (mpi_scan.c tells how the work is shared out).
 *
 * Every rank parses the same command line with neardup's own `scan` or
 * `clean` (src/cli/cmd_scan.c and cmd_clean.c, through cli_scan_main and
 * cli_clean_main with hooks): the options, their defaults and checks, the
 * report, the cleaned copy and their writing are the plain program's, so
 * the two cannot drift.  Rank 0 prints messages and writes the report or
 * the cleaned copy and its log; the other ranks are quiet.  The program links the static
 * library and its internals (scan_hook.h), which the plain neardup does
 * not; neardup itself never links MPI.
 */
#include <stdio.h>
#include <string.h>

#include <mpi.h>

#include "neardup.h"

#include "../cli/cli.h"
#include "mpi_scan.h"

static void usage(FILE *f) {
    fprintf(f, "usage: mpirun -n N neardup-mpi scan [options] PATH...\n"
               "       mpirun -n N neardup-mpi clean --out DIR [options] PATH...\n"
               "       neardup-mpi --version\n"
               "       neardup-mpi --help\n"
               "\n"
               "The scan of `neardup scan` with its split and sketch (documents\n"
               "shared out by bytes), its exact and LSH grouping (keys shared out\n"
               "by hash), its verification (by the rank of either paragraph), its\n"
               "clusters and, with --passages, its fingerprints and alignments\n"
               "spread over the MPI ranks; rank 0 writes the same\n"
               "report, or the same cleaned copy, byte for byte.  The inputs must\n"
               "be on a filesystem every rank sees at the same paths.\n"
               "Options: see 'neardup scan --help' and 'neardup clean --help'.\n");
}

int main(int argc, char **argv) {
    int provided = 0, rc = CLI_EXIT_USAGE;
    nd_mpi_ctx c;
    memset(&c, 0, sizeof c);
    /* the library's threads never call MPI: only this one does */
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "neardup-mpi: MPI_Init_thread failed\n");
        return CLI_EXIT_FATAL;
    }
    c.comm = MPI_COMM_WORLD;
    MPI_Comm_rank(c.comm, &c.rank);
    MPI_Comm_size(c.comm, &c.size);
    if (argc >= 2 && strcmp(argv[1], "scan") == 0) {
        struct cli_scan_hooks h = {.run = nd_mpi_scan_run, .user = &c, .writer = c.rank == 0};
        rc = cli_scan_main(argc - 1, argv + 1, &h);
    } else if (argc >= 2 && strcmp(argv[1], "clean") == 0) {
        struct cli_scan_hooks h = {.run = nd_mpi_scan_run, .user = &c, .writer = c.rank == 0};
        rc = cli_clean_main(argc - 1, argv + 1, &h);
    } else if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        if (c.rank == 0) printf("neardup-mpi %s\n", nd_version());
        rc = CLI_EXIT_OK;
    } else if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        if (c.rank == 0) usage(stdout);
        rc = CLI_EXIT_OK;
    } else if (c.rank == 0) {
        if (argc >= 2)
            fprintf(stderr, "neardup-mpi: only 'scan' and 'clean' run under MPI (see "
                            "'neardup-mpi --help')\n");
        else
            usage(stderr);
    }
    nd_mpi_scan_skip(&c); /* a rank that never reached the run: tell the others */
    fflush(stdout);
    MPI_Finalize();
    return rc;
}
