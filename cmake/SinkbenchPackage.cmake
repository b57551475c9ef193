# Installs libsinkbench with a CMake package (find_package(sinkbench) -> sinkbench::sinkbench) and a
# pkg-config file.
include(CMakePackageConfigHelpers)

install(TARGETS sinkbench EXPORT sinkbenchTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/sinkbench" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES "${PROJECT_BINARY_DIR}/include/sinkbench/version.h"
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sinkbench)
install(EXPORT sinkbenchTargets NAMESPACE sinkbench:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sinkbench)

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/sinkbenchConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/sinkbenchConfig.cmake" INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sinkbench)
write_basic_package_version_file("${PROJECT_BINARY_DIR}/sinkbenchConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/sinkbenchConfig.cmake" "${PROJECT_BINARY_DIR}/sinkbenchConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sinkbench)

# Relocatable: the prefix is derived from where the .pc file is installed.
file(RELATIVE_PATH SINKBENCH_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
configure_file("${PROJECT_SOURCE_DIR}/cmake/sinkbench.pc.in" "${PROJECT_BINARY_DIR}/sinkbench.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/sinkbench.pc" DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
