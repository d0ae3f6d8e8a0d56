# check_header_dependencies(FORBIDDEN WHAT HEADER...): runs `COMPILER -M` on
# each public header (from INCLUDE_DIR) and fails when its dependency list
# matches the regex FORBIDDEN; WHAT names the forbidden libraries in messages.
function(check_header_dependencies forbidden what)
  foreach(header IN LISTS ARGN)
    execute_process(
      COMMAND "${COMPILER}" -std=c++20 -M -x c++ "${INCLUDE_DIR}/${header}" "-I${INCLUDE_DIR}"
      OUTPUT_VARIABLE dependencies
      ERROR_VARIABLE errors
      RESULT_VARIABLE status)
    if(NOT status EQUAL 0)
      message(FATAL_ERROR "${COMPILER} -M ${header} failed: ${errors}")
    endif()
    if(dependencies MATCHES "${forbidden}")
      message(FATAL_ERROR "${header} depends on ${what}:\n${dependencies}")
    endif()
    message(STATUS "${header}: no ${what} header")
  endforeach()
endfunction()
