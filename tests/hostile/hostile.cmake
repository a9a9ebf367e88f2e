# tests/hostile/hostile.cmake - registers the hostile-input cases of
# tests/hostile/run.sh (included by tests/CMakeLists.txt): one ctest per
# case, label "hostile"; the cases on small inputs run again under valgrind
# (label "valgrind", not in sanitizer builds; nd_add_case_tests in
# tests/CMakeLists.txt).  Exit 77 = skipped (the case says why, e.g. no tmpfs
# can be mounted).  Run one case by hand with
#   ND_BIN=build/neardup tests/hostile/run.sh CASE

# Under the sanitizers (~10x slower) the 200 MiB line and the 100,000 files
# shrink to 32 MiB and 20,000 (same checks); the normal build runs them full.
set(ND_HOSTILE_ENV ${ND_TEST_ENV})
if(ND_SANITIZE)
  list(APPEND ND_HOSTILE_ENV "ND_HOSTILE_SMALL=1")
endif()

# valgrind: everything but the big inputs (200 MiB line, 1 GiB bomb,
# 100,000 files, the timed interrupt)
nd_add_case_tests(hostile ${CMAKE_CURRENT_LIST_DIR}/run.sh
  LABEL hostile TIMEOUT 600 VALGRIND_TIMEOUT 900
  ENV ${ND_HOSTILE_ENV}
  PROPERTIES SKIP_RETURN_CODE 77
  VALGRIND
    empty max-paragraph nul-bytes bad-utf8 bom line-endings gzip-truncated
    gzip-corrupt stdin-limits unreadable symlinks special-files names
    full-disk archives)
# the 200 MiB and 100,000-file cases are heavy: never two at once
set_tests_properties(hostile_long-line hostile_many-files hostile_gzip-bomb
  PROPERTIES RESOURCE_LOCK nd_hostile_big)
