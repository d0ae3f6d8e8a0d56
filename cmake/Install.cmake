# Install rules: headers, the library, the CMake package and a pkg-config
# file, so that a consumer writes find_package(bioptimus CONFIG REQUIRED).
include(CMakePackageConfigHelpers)

set(BIOPTIMUS_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/bioptimus"
    CACHE STRING "Where the CMake package files are installed")

install(TARGETS bioptimus_types bioptimus_bioptimus bioptimus_image bioptimus_preprocess
        EXPORT bioptimusTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT bioptimus_development
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT bioptimus_runtime
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT bioptimus_runtime)
install(DIRECTORY include/ "${BIOPTIMUS_GENERATED_INCLUDE_DIR}/"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT bioptimus_development)
install(DIRECTORY configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/bioptimus/configs
        COMPONENT bioptimus_runtime FILES_MATCHING PATTERN "*.yaml")

install(EXPORT bioptimusTargets NAMESPACE bioptimus:: DESTINATION ${BIOPTIMUS_INSTALL_CMAKEDIR}
        COMPONENT bioptimus_development)
export(EXPORT bioptimusTargets NAMESPACE bioptimus:: FILE "${PROJECT_BINARY_DIR}/bioptimusTargets.cmake")

# A component: `target` in an export set of its own, which
# bioptimusConfig.cmake loads (and whose dependencies it looks for) only when
# a consumer asks for the component.
function(bioptimus_install_component target export_set)
  install(TARGETS ${target} EXPORT ${export_set}
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT bioptimus_development
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT bioptimus_runtime)
  install(EXPORT ${export_set} NAMESPACE bioptimus:: DESTINATION ${BIOPTIMUS_INSTALL_CMAKEDIR}
          COMPONENT bioptimus_development)
  export(EXPORT ${export_set} NAMESPACE bioptimus:: FILE "${PROJECT_BINARY_DIR}/${export_set}.cmake")
endfunction()

# `format`: bioptimus::format, the {fmt} formatters (looks for fmt).
if(TARGET bioptimus_format)
  bioptimus_install_component(bioptimus_format bioptimusFormatTargets)
endif()
# `engine`: bioptimus::engine, the native ViT engine; oneDNN, Highway and
# OpenMP are private to libbioptimus_engine.so (installed before inference,
# which links it).
if(TARGET bioptimus_engine)
  bioptimus_install_component(bioptimus_engine bioptimusEngineTargets)
endif()
# `inference`: bioptimus::inference, the backbone. LibTorch and the engine are
# private to libbioptimus_inference.so: LibTorch's CMake package is never
# looked for. `writers`: bioptimus::writers, the prediction writers, a
# static library whose HDF5, libzip and libblosc are needed at the final link.
if(TARGET bioptimus_inference)
  bioptimus_install_component(bioptimus_inference bioptimusInferenceTargets)
endif()
if(TARGET bioptimus_writers)
  bioptimus_install_component(bioptimus_writers bioptimusWritersTargets)
endif()
# `slide_inference`: bioptimus::slide_inference (SlideInference), a static
# library over the pipeline, inference and writers layers: asking for it
# asks for those two components too.
if(TARGET bioptimus_slide_inference)
  bioptimus_install_component(bioptimus_slide_inference bioptimusSlideInferenceTargets)
endif()

configure_package_config_file(cmake/bioptimusConfig.cmake.in "${PROJECT_BINARY_DIR}/bioptimusConfig.cmake"
                              INSTALL_DESTINATION ${BIOPTIMUS_INSTALL_CMAKEDIR})
# 0.x: a minor release may break the API, so only the same minor matches.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(bioptimus_compatibility SameMinorVersion)
else()
  set(bioptimus_compatibility SameMajorVersion)
endif()
write_basic_package_version_file("${PROJECT_BINARY_DIR}/bioptimusConfigVersion.cmake"
                                 COMPATIBILITY ${bioptimus_compatibility})
install(FILES "${PROJECT_BINARY_DIR}/bioptimusConfig.cmake" "${PROJECT_BINARY_DIR}/bioptimusConfigVersion.cmake"
        DESTINATION ${BIOPTIMUS_INSTALL_CMAKEDIR} COMPONENT bioptimus_development)

# A static library has nothing to import (see bioptimus/export.hpp).
if(bioptimus_library_type STREQUAL "STATIC_LIBRARY")
  set(BIOPTIMUS_PC_DEFINES " -DBIOPTIMUS_STATIC_DEFINE")
else()
  set(BIOPTIMUS_PC_DEFINES "")
endif()
configure_file(cmake/bioptimus.pc.in "${PROJECT_BINARY_DIR}/bioptimus.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/bioptimus.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT bioptimus_development)
