# tests/live/live.cmake - registers the changing-input cases of
# tests/live/run.sh (issue 12; included by tests/CMakeLists.txt): live_scan,
# live_clean and live_compare, label "live".  Each changes a copy of a 48 MiB
# input at 24 moments of a run and checks that neardup exits 0 or 2, never by
# a signal, and names the changed file.  Under the sanitizers
# (ND_LIVE_SMALL=1) and valgrind (live_valgrind_*, label "valgrind") the
# script shortens itself: 2 MiB and 8 moments.  Run one case by hand with
#   ND_BIN=build/neardup tests/live/run.sh scan
set(ND_LIVE_ENV ${ND_TEST_ENV})
if(ND_SANITIZE)
  list(APPEND ND_LIVE_ENV "ND_LIVE_SMALL=1")
endif()
nd_add_case_tests(live ${CMAKE_CURRENT_LIST_DIR}/run.sh
  LABEL live TIMEOUT 300 VALGRIND_TIMEOUT 900
  ENV ${ND_LIVE_ENV}
  VALGRIND scan clean compare)
# each run times itself against an undisturbed run: not two at once
set_tests_properties(live_scan live_clean live_compare
  PROPERTIES RESOURCE_LOCK nd_live)
