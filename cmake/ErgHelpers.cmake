# SPDX-License-Identifier: MIT
# ErgHelpers.cmake: sanitizer flags and erg_test(), one cmocka binary per module.

# erg_apply_sanitizers(): adds -fsanitize=... for ERG_SANITIZE to every target.
function(erg_apply_sanitizers)
  if(ERG_SANITIZE STREQUAL "")
    return()
  endif()
  set(flags -fsanitize=${ERG_SANITIZE} -fno-omit-frame-pointer -g)
  if(ERG_SANITIZE MATCHES "undefined")
    # UBSan findings fail the test instead of scrolling past.
    list(APPEND flags -fno-sanitize-recover=all)
  endif()
  add_compile_options(${flags})
  add_link_options(-fsanitize=${ERG_SANITIZE})
endfunction()

# erg_test(NAME <ctest name> SOURCES <files...> [LIBS <targets...>]
#          [TIMEOUT <seconds>] [LABELS <labels...>])
#
# Builds one cmocka executable for one module and registers it with ctest
# under NAME (the "<area>.<module>" name its cmocka group carries).
function(erg_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_NAME OR NOT T_SOURCES)
    message(FATAL_ERROR "erg_test: NAME and SOURCES are required")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  string(REPLACE "." "_" exe "test_${T_NAME}")
  add_executable(${exe} ${T_SOURCES})
  target_link_libraries(${exe} PRIVATE erg_test_support ${T_LIBS})
  add_test(NAME ${T_NAME} COMMAND ${exe})
  set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT})
  if(T_LABELS)
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
