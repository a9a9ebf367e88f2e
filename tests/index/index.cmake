# tests/index/index.cmake - registers tests/index/run.sh (issue 15; included
# by tests/CMakeLists.txt): index_sigkill, label "interrupt".  It kills
# `neardup index add` with SIGKILL at 24 moments of a run on a generated
# 200-file corpus and checks that the index then holds the old state or the
# new one and passes `index check`, and that a rerun completes.  Under the
# sanitizers (ND_INDEX_SMALL=1) it shortens itself: 80 files, 8 moments.
# Run it by hand with
#   ND_BIN=build/neardup tests/index/run.sh sigkill
set(ND_INDEX_ENV ${ND_TEST_ENV})
if(ND_SANITIZE)
  list(APPEND ND_INDEX_ENV "ND_INDEX_SMALL=1")
endif()
nd_add_case_tests(index ${CMAKE_CURRENT_LIST_DIR}/run.sh
  LABEL interrupt TIMEOUT 600
  ENV ${ND_INDEX_ENV})
# it times itself against an undisturbed run: not beside the other timed tests
set_tests_properties(index_sigkill PROPERTIES RESOURCE_LOCK nd_live)
