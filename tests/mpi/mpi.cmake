# tests/mpi/mpi.cmake - registers tests/mpi/run.sh (issue 16; included by
# tests/CMakeLists.txt), label "mpi": neardup-mpi under mpirun with 1, 2 and 4
# ranks (oversubscribed) against neardup scan, every format compared byte for
# byte, on examples/seeds, options, containers, a generated 50 MB Chinese
# corpus and English ones, one large file cut across the ranks (huge-file;
# cut-file: each rank reads only its piece, the auto mode decided after
# 3 MB, line numbers across the pieces, and its clean), clean with a
# cluster on every rank (clean-cross-rank), and rank 0's peak memory under
# --memory for scan and clean (rank0-memory; clean-memory, through
# bench/rank_peak.py), and scan --passages shared out (passages: planted
# passages in Chinese and English, every format, spilled texts, a cut
# file).  Without neardup-mpi (MPI not found, or the
# sanitizer or fuzz build, where it is not built) or without mpirun, each
# case reports SKIP and exits 77, which ctest shows as "Skipped".  Run one
# case by hand with
#   ND_MPI_BIN=build/neardup-mpi ND_GEN_CORPUS=build/bench/gen_corpus \
#     tests/mpi/run.sh --bin build/neardup seeds
set(ND_MPI_ENV ${ND_TEST_ENV})
if(TARGET neardup_mpi)
  list(APPEND ND_MPI_ENV "ND_MPI_BIN=$<TARGET_FILE:neardup_mpi>")
endif()
# bench/ is added after tests/: the condition under which it is
if(ND_BUILD_BENCH AND EXISTS ${CMAKE_SOURCE_DIR}/bench/CMakeLists.txt)
  list(APPEND ND_MPI_ENV "ND_GEN_CORPUS=$<TARGET_FILE:gen_corpus>")
endif()
nd_add_case_tests(mpi ${CMAKE_CURRENT_LIST_DIR}/run.sh
  LABEL mpi TIMEOUT 900
  ENV ${ND_MPI_ENV}
  PROPERTIES SKIP_RETURN_CODE 77)
