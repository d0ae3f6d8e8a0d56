# Runs `COMPILER -M` on each slide-layer header and fails if the dependency
# list names an OpenSlide, OpenCV or HDF5 header: those stay behind the
# layers' compiled code (PRIVATE), so a consumer never needs their headers.
set(layer_headers bioptimus/io/wsi/reader.hpp bioptimus/extraction/wsi/tissue_mask.hpp
                  bioptimus/extraction/wsi/tile_extractor.hpp bioptimus/extraction/wsi/thumbnail.hpp)
foreach(header IN LISTS layer_headers)
  execute_process(
    COMMAND "${COMPILER}" -std=c++20 -M -x c++ "${INCLUDE_DIR}/${header}" "-I${INCLUDE_DIR}"
    OUTPUT_VARIABLE dependencies
    ERROR_VARIABLE errors
    RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${COMPILER} -M ${header} failed: ${errors}")
  endif()
  if(dependencies MATCHES "openslide|opencv|hdf5|H5[A-Za-z]*\\.h")
    message(FATAL_ERROR "${header} depends on OpenSlide, OpenCV or HDF5:\n${dependencies}")
  endif()
  message(STATUS "${header}: no OpenSlide, OpenCV or HDF5 header")
endforeach()
