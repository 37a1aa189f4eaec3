# SPDX-License-Identifier: MIT
# ErgInstall.cmake: what `make install` puts where: idlc, the public
# headers, liberg, erg.pc and the CMake package (find_package(erg) gives
# erg::erg and erg_generate()).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(ERG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/erg)

install(TARGETS idlc RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS erg EXPORT ergTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/erg
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(EXPORT ergTargets NAMESPACE erg:: DESTINATION ${ERG_CMAKE_DIR})

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ergConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ergConfig.cmake
  INSTALL_DESTINATION ${ERG_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(
  ${CMAKE_CURRENT_BINARY_DIR}/ergConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ergConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/ergConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/ErgIdl.cmake
        DESTINATION ${ERG_CMAKE_DIR})

# pkg-config: liberg is static, so its dependencies are listed for
# `pkg-config --static --libs erg`. The prefix is found relative to the .pc
# file, so `cmake --install --prefix` anywhere gives a working erg.pc.
file(RELATIVE_PATH ERG_PC_UP /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${PROJECT_SOURCE_DIR}/cmake/erg.pc.in
               ${CMAKE_CURRENT_BINARY_DIR}/erg.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/erg.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
