# tests/cli/cli.cmake - registers the CLI tests (included by tests/CMakeLists.txt).
#
# One ctest per case of tests/cli/run.sh, label "cli", and for a handful of
# cases a second run under valgrind, label "valgrind" (not registered when
# valgrind is missing or the build uses the sanitizers, which valgrind cannot
# run).  Run one case by hand with
#   ND_BIN=build/neardup tests/cli/run.sh CASE
# and regenerate the golden files with ND_CLI_UPDATE=1 (then read them).

find_program(BASH_PROGRAM bash REQUIRED)

set(ND_CLI_RUN ${CMAKE_CURRENT_LIST_DIR}/run.sh)
set(ND_CLI_CASES
  version help unknown-command bad-option-value bands-without-rows
  option-syntax params-default params-jsonl params-given
  scan-text scan-jsonl scan-json scan-csv scan-deterministic
  output-file write-error missing-path no-input binary-file gzip
  corrupt-gzip stdin given-twice emit-paragraphs norm-flags too-large
  symlink-loop not-regular escape-path
  scan-html compare-text compare-errors clean clean-refuse)

foreach(case ${ND_CLI_CASES})
  add_test(NAME cli_${case}
    COMMAND ${BASH_PROGRAM} ${ND_CLI_RUN} --bin $<TARGET_FILE:neardup_cli> ${case})
  set_tests_properties(cli_${case} PROPERTIES
    ENVIRONMENT "${ND_TEST_ENV}"
    FAIL_REGULAR_EXPRESSION "${ND_FAIL_REGEX}"
    LABELS cli
    TIMEOUT 300)
endforeach()

# Cases that exercise every path of the program (options, diagnostics, each
# writer, -o, stdin, gzip) on small inputs, so valgrind stays fast.
set(ND_CLI_VALGRIND_CASES
  version bad-option-value params-default missing-path no-input
  binary-file corrupt-gzip stdin output-file write-error given-twice
  help unknown-command params-given scan-jsonl scan-json scan-csv scan-html
  gzip too-large symlink-loop not-regular escape-path compare-text
  compare-errors clean clean-refuse)

find_program(ND_VALGRIND valgrind)
if(ND_VALGRIND AND NOT ND_SANITIZE)
  set(ND_VALGRIND_WRAP
    "${ND_VALGRIND} -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect")
  foreach(case ${ND_CLI_VALGRIND_CASES})
    add_test(NAME cli_valgrind_${case}
      COMMAND ${BASH_PROGRAM} ${ND_CLI_RUN} --bin $<TARGET_FILE:neardup_cli> ${case})
    set_tests_properties(cli_valgrind_${case} PROPERTIES
      ENVIRONMENT "${ND_TEST_ENV};ND_WRAP=${ND_VALGRIND_WRAP}"
      FAIL_REGULAR_EXPRESSION "${ND_FAIL_REGEX}"
      LABELS valgrind
      TIMEOUT 900)
  endforeach()
endif()
