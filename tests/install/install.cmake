# tests/install/install.cmake - the installed library and program (issue 17),
# included by tests/CMakeLists.txt.  One ctest per case of tests/install/run.sh,
# named install_<case>, label "install".  install_install installs into
# build/install-test (fixture nd_prefix); the other cases use that prefix.
set(ND_INSTALL_PREFIX ${CMAKE_BINARY_DIR}/install-test)
set(ND_CONSUMER_CFLAGS "")
if(ND_SANITIZE)
  # a library built with the sanitizers needs their runtime in the program
  set(ND_CONSUMER_CFLAGS "-fsanitize=address,undefined")
endif()
set(ND_INSTALL_ENV
  "ND_BUILD=${CMAKE_BINARY_DIR}"
  "ND_PREFIX=${ND_INSTALL_PREFIX}"
  "ND_SOURCE=${CMAKE_SOURCE_DIR}"
  "ND_SEEDS=${CMAKE_SOURCE_DIR}/examples/seeds"
  "CC=${CMAKE_C_COMPILER}"
  "ND_CONSUMER_CFLAGS=${ND_CONSUMER_CFLAGS}"
  "ASAN_OPTIONS=detect_leaks=1:abort_on_error=0")
set(ND_INSTALL_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/run.sh)
execute_process(COMMAND ${BASH_PROGRAM} ${ND_INSTALL_SCRIPT} --list
  OUTPUT_VARIABLE nd_install_cases RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${ND_INSTALL_SCRIPT} --list failed")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${ND_INSTALL_SCRIPT})
string(REPLACE "\n" ";" nd_install_cases "${nd_install_cases}")
foreach(case ${nd_install_cases})
  add_test(NAME install_${case} COMMAND ${BASH_PROGRAM} ${ND_INSTALL_SCRIPT} ${case})
  set_tests_properties(install_${case} PROPERTIES
    ENVIRONMENT "${ND_INSTALL_ENV}"
    FAIL_REGULAR_EXPRESSION "${ND_FAIL_REGEX}"
    SKIP_RETURN_CODE 77
    LABELS install TIMEOUT 300)
  if(case STREQUAL "install")
    set_tests_properties(install_${case} PROPERTIES FIXTURES_SETUP nd_prefix)
  elseif(NOT case STREQUAL "symbols")
    set_tests_properties(install_${case} PROPERTIES FIXTURES_REQUIRED nd_prefix)
  endif()
endforeach()
