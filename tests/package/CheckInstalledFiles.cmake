# What `cmake --install` must put in place besides the CMake package.
if(WITH_WSI)
  set(SLIDE_LAYER_FILES ${LIBDIR}/libbioptimus_wsi.a ${LIBDIR}/libbioptimus_extraction.a
                        include/bioptimus/io/wsi/reader.hpp include/bioptimus/extraction/wsi/tile_extractor.hpp)
endif()
foreach(file include/bioptimus/models/model_spec.hpp include/bioptimus/version.hpp include/bioptimus/format.hpp
             ${LIBDIR}/libbioptimus.a ${LIBDIR}/libbioptimus_image.a ${LIBDIR}/libbioptimus_preprocess.a
             include/bioptimus/image/resize.hpp include/bioptimus/models/preprocess.hpp ${LIBDIR}/cmake/bioptimus/bioptimusConfig.cmake
             ${LIBDIR}/cmake/bioptimus/bioptimusConfigVersion.cmake ${LIBDIR}/pkgconfig/bioptimus.pc
             share/bioptimus/configs/h0-mini.yaml bin/modelspec ${SLIDE_LAYER_FILES})
  if(NOT EXISTS "${PREFIX}/${file}")
    message(FATAL_ERROR "not installed: ${file}")
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
execute_process(COMMAND "${PREFIX}/bin/modelspec" --version OUTPUT_VARIABLE printed RESULT_VARIABLE status)
if(NOT status EQUAL 0 OR NOT printed MATCHES "^${VERSION}")
  message(FATAL_ERROR "installed modelspec --version printed '${printed}' (exit ${status})")
endif()
