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

configure_file(cmake/bioptimus.pc.in "${PROJECT_BINARY_DIR}/bioptimus.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/bioptimus.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT bioptimus_development)
