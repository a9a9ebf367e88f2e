#!/usr/bin/env python3
"""rank_peak.py - runs a command and prints its peak resident set and CPU
time on stderr, for each rank of an MPI job:

    mpirun -n N python3 bench/rank_peak.py build/neardup-mpi clean --out DIR ...

prints, after the command, one line per rank:

    peak rank R KIB cpu SECONDS

(ru_maxrss of the child in KiB, user + system seconds; R is
OMPI_COMM_WORLD_RANK, "?" outside Open MPI).  For commands that have no
--stats of their own (neardup-mpi clean).  Exits with the command's status.
"""
import os
import resource
import subprocess
import sys

rc = subprocess.call(sys.argv[1:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write("\npeak rank %s %d cpu %.2f\n" % (os.environ.get("OMPI_COMM_WORLD_RANK", "?"),
                                                   u.ru_maxrss, u.ru_utime + u.ru_stime))
sys.exit(rc if rc >= 0 else 128 - rc)
