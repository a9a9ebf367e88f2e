# tests/interrupt/interrupt.cmake - registers the cases of
# tests/interrupt/run.sh (issue 13; included by tests/CMakeLists.txt):
# interrupt_sigint, interrupt_sigterm and interrupt_sigkill, label
# "interrupt".  Each stops `neardup clean` at 24 moments of a run on a
# generated 400-file corpus and checks that the output is absent or
# complete (and rebuilds the input with the log), that SIGINT/SIGTERM exit
# 130 leaving nothing behind, and that a rerun names what a kill left and
# succeeds.  Under the sanitizers (ND_INTR_SMALL=1) the script shortens
# itself: 120 files, 8 moments.  Run one case by hand with
#   ND_BIN=build/neardup tests/interrupt/run.sh sigint
set(ND_INTR_ENV ${ND_TEST_ENV})
if(ND_SANITIZE)
  list(APPEND ND_INTR_ENV "ND_INTR_SMALL=1")
endif()
nd_add_case_tests(interrupt ${CMAKE_CURRENT_LIST_DIR}/run.sh
  LABEL interrupt TIMEOUT 600
  ENV ${ND_INTR_ENV})
# each run times itself against an undisturbed run: not two at once
set_tests_properties(interrupt_sigint interrupt_sigterm interrupt_sigkill
  PROPERTIES RESOURCE_LOCK nd_live)
