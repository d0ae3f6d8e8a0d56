# Runs `COMPILER -M` on each value-type header, and on the image layer's and
# the preprocessor's (whose SIMD library stays in their .cpp files), and fails
# if the dependency list names a yaml-cpp, {fmt}, Highway, libpng or OpenCV header.
set(value_type_headers
    bioptimus/error.hpp bioptimus/io/wsi/types.hpp bioptimus/extraction/wsi/types.hpp bioptimus/models/types.hpp
    bioptimus/image/image.hpp bioptimus/image/resize.hpp bioptimus/models/preprocess.hpp)
foreach(header IN LISTS value_type_headers)
  execute_process(
    COMMAND "${COMPILER}" -std=c++20 -M -x c++ "${INCLUDE_DIR}/${header}" "-I${INCLUDE_DIR}"
    OUTPUT_VARIABLE dependencies
    ERROR_VARIABLE errors
    RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${COMPILER} -M ${header} failed: ${errors}")
  endif()
  if(dependencies MATCHES "yaml-cpp|/fmt/|/hwy/|png\\.h|opencv")
    message(FATAL_ERROR "${header} depends on yaml-cpp, fmt, Highway, libpng or OpenCV:\n${dependencies}")
  endif()
  string(REGEX MATCHALL "/usr/include/c\\+\\+/[^ \\\\\n]*" std_headers "${dependencies}")
  list(LENGTH std_headers count)
  message(STATUS "${header}: only standard headers (${count} of them)")
endforeach()
