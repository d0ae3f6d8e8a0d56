# Compile-fail test of one *.fail.cpp, in the spirit of date's
# test/*/*.fail.cpp: the file states a claim about code that must not
# compile, as one or more cases
#   // CASE NAME: REGEX
# each enabled by -DBIOPTIMUS_FAIL_NAME. The file must compile with no case
# enabled (so a typo in the shared code cannot pass for the claim), and each
# case alone must fail with a diagnostic matching REGEX (so it fails for the
# claimed reason, with g++ and clang alike).
# Run as: cmake -DCOMPILER=... -DSOURCE=x.fail.cpp -DINCLUDE_DIR=include -DGENERATED_INCLUDE_DIR=gen -P CheckCompileFail.cmake
set(ENV{LC_ALL} C)  # plain quotes in the compiler's messages
set(command "${COMPILER}" -std=c++20 -fsyntax-only)
# Two variables, not one list: a list survives neither add_test nor -D intact.
list(APPEND command "-I${INCLUDE_DIR}" "-I${GENERATED_INCLUDE_DIR}")
list(APPEND command "${SOURCE}")

execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${SOURCE} does not compile without a failing case, so no case proves its claim:\n${out}")
endif()

file(STRINGS "${SOURCE}" case_lines REGEX "^// CASE [A-Z0-9_]+: ")
if(NOT case_lines)
  message(FATAL_ERROR "${SOURCE} has no `// CASE NAME: REGEX` line")
endif()
foreach(line IN LISTS case_lines)
  string(REGEX REPLACE "^// CASE ([A-Z0-9_]+): (.*)$" "\\1" name "${line}")
  string(REGEX REPLACE "^// CASE ([A-Z0-9_]+): (.*)$" "\\2" expected "${line}")
  execute_process(COMMAND ${command} "-DBIOPTIMUS_FAIL_${name}" RESULT_VARIABLE status OUTPUT_VARIABLE out
                  ERROR_VARIABLE out)
  if(status EQUAL 0)
    message(FATAL_ERROR "${SOURCE} case ${name} compiled, but must not")
  endif()
  if(NOT out MATCHES "${expected}")
    message(FATAL_ERROR "${SOURCE} case ${name} failed, but not with /${expected}/:\n${out}")
  endif()
  message(STATUS "${name}: does not compile, as claimed")
endforeach()
