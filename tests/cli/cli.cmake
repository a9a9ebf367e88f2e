# tests/cli/cli.cmake - registers the CLI tests (included by tests/CMakeLists.txt).
#
# One ctest per case of tests/cli/run.sh, label "cli", and for a handful of
# cases a second run under valgrind, label "valgrind" (nd_add_case_tests in
# tests/CMakeLists.txt).  Run one case by hand with
#   ND_BIN=build/neardup tests/cli/run.sh CASE
# and regenerate the golden files with ND_CLI_UPDATE=1 (then read them).

# Cases that exercise every path of the program (options, diagnostics, each
# writer, -o, stdin, gzip) on small inputs, so valgrind stays fast.
set(ND_CLI_ENV ${ND_TEST_ENV})
# scan-db-generated's corpora (bench/ is added after tests/: the condition
# under which it is); without it that case is skipped (exit 77)
if(ND_BUILD_BENCH AND EXISTS ${CMAKE_SOURCE_DIR}/bench/CMakeLists.txt)
  list(APPEND ND_CLI_ENV "ND_GEN_CORPUS=$<TARGET_FILE:gen_corpus>")
endif()
nd_add_case_tests(cli ${CMAKE_CURRENT_LIST_DIR}/run.sh
  LABEL cli TIMEOUT 300 VALGRIND_TIMEOUT 900
  ENV ${ND_CLI_ENV}
  PROPERTIES SKIP_RETURN_CODE 77
  VALGRIND
    version bad-option-value params-default missing-path no-input
    binary-file corrupt-gzip stdin output-file write-error given-twice
    help unknown-command params-given scan-jsonl scan-json scan-csv scan-html
    gzip too-large symlink-loop not-regular escape-path compare-text
    compare-errors clean clean-refuse clean-leftover encodings
    clean-encodings scan-passages scan-passages-formats compare-encodings
    archive-clean compare-corpus index index-errors)
