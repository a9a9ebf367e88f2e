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

# The Python binding (python/): pytest over the installed library (label
# python), and `pip install ./python` into a new virtual environment with no
# package index.  Not in sanitizer builds: python itself is not built with
# the sanitizers, so an instrumented libneardup.so cannot be loaded into it.
if(ND_SANITIZE OR ND_FUZZ)
  message(STATUS "python tests: not registered in a sanitizer build")
else()
  add_executable(nd_py_layout ${CMAKE_SOURCE_DIR}/python/tests/layout.c)
  target_include_directories(nd_py_layout PRIVATE ${CMAKE_SOURCE_DIR}/include)
  target_compile_options(nd_py_layout PRIVATE ${ND_WARNINGS})
  find_program(ND_PYTEST NAMES pytest-3 pytest)
  find_package(Python3 COMPONENTS Interpreter)
  set(ND_PYTHON_ENV
    "NEARDUP_LIBRARY=${ND_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libneardup.so.0"
    "NEARDUP_BIN=${ND_INSTALL_PREFIX}/bin/neardup"
    "NEARDUP_LAYOUT=$<TARGET_FILE:nd_py_layout>"
    "ND_SEEDS=${CMAKE_SOURCE_DIR}/examples/seeds"
    "PYTHONPATH=${CMAKE_SOURCE_DIR}/python"
    "PYTHONDONTWRITEBYTECODE=1")
  if(ND_PYTEST)
    add_test(NAME python_pytest
      COMMAND ${ND_PYTEST} -p no:cacheprovider -q ${CMAKE_SOURCE_DIR}/python/tests)
  else()
    # pytest missing is a failure, as a missing browser is (setup.sh test
    # installs python3-pytest)
    add_test(NAME python_pytest
      COMMAND ${CMAKE_COMMAND} -E echo "FAIL: pytest not found (python3-pytest)")
    set_tests_properties(python_pytest PROPERTIES WILL_FAIL ON)
  endif()
  set_tests_properties(python_pytest PROPERTIES
    ENVIRONMENT "${ND_PYTHON_ENV}" FIXTURES_REQUIRED nd_prefix
    LABELS python TIMEOUT 300)
  add_test(NAME python_pip
    COMMAND ${BASH_PROGRAM} ${CMAKE_SOURCE_DIR}/python/tests/pip.sh
            ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/python)
  set_tests_properties(python_pip PROPERTIES
    ENVIRONMENT "${ND_PYTHON_ENV};ND_PREFIX=${ND_INSTALL_PREFIX}"
    FIXTURES_REQUIRED nd_prefix LABELS python TIMEOUT 300)
endif()
