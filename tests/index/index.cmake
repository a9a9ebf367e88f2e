# tests/index/index.cmake - registers tests/index/run.sh (issue 15; included
# by tests/CMakeLists.txt), label "interrupt": index_sigkill kills
# `neardup index add` with SIGKILL at 24 moments of a run on a generated
# 200-file corpus and checks that the index then holds the old state or the
# new one and passes `index check`, and that a rerun completes;
# index_concurrent runs queries while an add writes (each gives the old
# state's result or the new one's) and a second writer beside it (it waits
# for the lock and succeeds); index_create-sigkill kills `neardup index
# create` at 24 moments: the index then does not exist or is whole.  Under
# the sanitizers (ND_INDEX_SMALL=1) the script shortens itself: 80 files,
# 8 moments.  Run one case by hand with
#   ND_BIN=build/neardup tests/index/run.sh sigkill
set(ND_INDEX_ENV ${ND_TEST_ENV})
if(ND_SANITIZE)
  list(APPEND ND_INDEX_ENV "ND_INDEX_SMALL=1")
endif()
nd_add_case_tests(index ${CMAKE_CURRENT_LIST_DIR}/run.sh
  LABEL interrupt TIMEOUT 600
  ENV ${ND_INDEX_ENV})
# it times itself against an undisturbed run: not beside the other timed tests
set_tests_properties(index_sigkill index_concurrent index_create-sigkill PROPERTIES RESOURCE_LOCK nd_live)
