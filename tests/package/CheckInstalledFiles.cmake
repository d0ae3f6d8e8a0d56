# What `cmake --install` must put in place besides the CMake package. The
# optional layers and components are checked when their targets are built
# (WITH_WSI, WITH_INFERENCE, WITH_WRITERS).
set(files
    include/bioptimus/models/model_spec.hpp
    include/bioptimus/version.hpp
    include/bioptimus/format.hpp
    include/bioptimus/export.hpp
    include/bioptimus/image/resize.hpp
    include/bioptimus/models/preprocess.hpp
    ${LIBDIR}/cmake/bioptimus/bioptimusConfig.cmake
    ${LIBDIR}/cmake/bioptimus/bioptimusTargets.cmake
    ${LIBDIR}/cmake/bioptimus/bioptimusFormatTargets.cmake
    ${LIBDIR}/cmake/bioptimus/bioptimusConfigVersion.cmake
    ${LIBDIR}/pkgconfig/bioptimus.pc
    share/bioptimus/configs/h0-mini.yaml
    bin/modelspec)
set(libraries bioptimus)
if(WITH_WSI)
  list(APPEND files include/bioptimus/io/wsi/reader.hpp include/bioptimus/extraction/wsi/tile_extractor.hpp)
  list(APPEND libraries bioptimus_wsi bioptimus_extraction)
endif()
if(WITH_INFERENCE)
  list(APPEND files include/bioptimus/inference/backbone.hpp ${LIBDIR}/cmake/bioptimus/bioptimusInferenceTargets.cmake)
  list(APPEND libraries bioptimus_inference)
endif()
if(WITH_ENGINE)
  list(APPEND files include/bioptimus/engine/vit_model.hpp ${LIBDIR}/cmake/bioptimus/bioptimusEngineTargets.cmake)
  list(APPEND libraries bioptimus_engine)
endif()
if(WITH_WRITERS)
  list(APPEND files include/bioptimus/writers/prediction_writer.hpp ${LIBDIR}/cmake/bioptimus/bioptimusWritersTargets.cmake)
  list(APPEND libraries bioptimus_writers)
endif()
foreach(file IN LISTS files)
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()
foreach(library IN LISTS libraries)
  if(NOT EXISTS "${PREFIX}/${LIBDIR}/lib${library}.a" AND NOT EXISTS "${PREFIX}/${LIBDIR}/lib${library}.so")
    message(FATAL_ERROR "not installed: ${LIBDIR}/lib${library}.a or .so")
  endif()
endforeach()
file(GLOB src_headers "${PREFIX}/include/bioptimus/../../src/*")
if(src_headers)
  message(FATAL_ERROR "private sources installed: ${src_headers}")
endif()
file(READ "${PREFIX}/${LIBDIR}/pkgconfig/bioptimus.pc" pc)
if(NOT pc MATCHES "Version: ${VERSION}")
  message(FATAL_ERROR "bioptimus.pc does not carry version ${VERSION}:\n${pc}")
endif()
# {fmt} is opt-in (the format component): the loader's users never need it.
if(pc MATCHES "fmt")
  message(FATAL_ERROR "bioptimus.pc requires fmt:\n${pc}")
endif()
execute_process(COMMAND "${PREFIX}/bin/modelspec" --version OUTPUT_VARIABLE printed RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR NOT printed MATCHES "^${VERSION}")
  message(FATAL_ERROR "installed modelspec --version printed '${printed}' (exit ${status})")
endif()
