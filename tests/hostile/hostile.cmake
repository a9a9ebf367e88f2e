# tests/hostile/hostile.cmake - registers the hostile-input cases of
# tests/hostile/run.sh (included by tests/CMakeLists.txt): one ctest per
# case, label "hostile"; the cases on small inputs run again under valgrind
# (label "valgrind", not in sanitizer builds).  Exit 77 = skipped (the case
# says why, e.g. no tmpfs can be mounted).  Run one case by hand with
#   ND_BIN=build/neardup tests/hostile/run.sh CASE
find_program(BASH_PROGRAM bash REQUIRED)
set(ND_HOSTILE_RUN ${CMAKE_CURRENT_LIST_DIR}/run.sh)
set(ND_HOSTILE_CASES
  empty long-line max-paragraph nul-bytes bad-utf8 bom line-endings
  gzip-truncated gzip-corrupt gzip-bomb stdin-limits unreadable symlinks
  special-files names many-files full-disk interrupt)
# valgrind: everything but the big inputs (200 MiB line, 1 GiB bomb,
# 100,000 files, the timed interrupt)
set(ND_HOSTILE_VALGRIND_CASES
  empty max-paragraph nul-bytes bad-utf8 bom line-endings gzip-truncated
  gzip-corrupt stdin-limits unreadable symlinks special-files names
  full-disk)

# Under the sanitizers (~10x slower) the 200 MiB line and the 100,000 files
# shrink to 32 MiB and 20,000 (same checks); the normal build runs them full.
set(ND_HOSTILE_ENV ${ND_TEST_ENV})
if(ND_SANITIZE)
  list(APPEND ND_HOSTILE_ENV "ND_HOSTILE_SMALL=1")
endif()

foreach(case ${ND_HOSTILE_CASES})
  add_test(NAME hostile_${case}
    COMMAND ${BASH_PROGRAM} ${ND_HOSTILE_RUN} --bin $<TARGET_FILE:neardup_cli> ${case})
  set_tests_properties(hostile_${case} PROPERTIES
    ENVIRONMENT "${ND_HOSTILE_ENV}"
    FAIL_REGULAR_EXPRESSION "${ND_FAIL_REGEX}"
    SKIP_RETURN_CODE 77
    LABELS hostile
    TIMEOUT 600)
endforeach()
# the 200 MiB and 100,000-file cases are heavy: never two at once
set_tests_properties(hostile_long-line hostile_many-files hostile_gzip-bomb
  PROPERTIES RESOURCE_LOCK nd_hostile_big)

find_program(ND_VALGRIND valgrind)
if(ND_VALGRIND AND NOT ND_SANITIZE)
  set(ND_HOSTILE_VALGRIND_WRAP
    "${ND_VALGRIND} -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect")
  foreach(case ${ND_HOSTILE_VALGRIND_CASES})
    add_test(NAME hostile_valgrind_${case}
      COMMAND ${BASH_PROGRAM} ${ND_HOSTILE_RUN} --bin $<TARGET_FILE:neardup_cli> ${case})
    set_tests_properties(hostile_valgrind_${case} PROPERTIES
      ENVIRONMENT "${ND_TEST_ENV};ND_WRAP=${ND_HOSTILE_VALGRIND_WRAP}"
      FAIL_REGULAR_EXPRESSION "${ND_FAIL_REGEX}"
      SKIP_RETURN_CODE 77
      LABELS valgrind
      TIMEOUT 900)
  endforeach()
endif()
