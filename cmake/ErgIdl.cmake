# SPDX-License-Identifier: MIT
# ErgIdl.cmake: erg_generate(), build-time C generation from .erg schemas.

# erg_generate(TARGET <target> SCHEMAS <files...> [IMPORT_DIRS <dirs...>]
#              [OUTPUT_DIR <dir>])
#
# Runs `idlc gen` at build time over SCHEMAS and adds the generated .c files
# to TARGET, with the output directory on its include path, so sources
# include "<path>.h" (shop/payment.erg -> "shop/payment.h"). Each schema's
# path is taken relative to the first IMPORT_DIRS entry that contains it
# (its own directory when none does). List every schema the target uses,
# imported ones too: each gets its .h and .c. The command reruns when a
# schema or idlc changes. idlc is the in-tree target when there is one,
# otherwise ERG_IDLC_EXECUTABLE (set by the installed package).
function(erg_generate)
  cmake_parse_arguments(G "" "TARGET;OUTPUT_DIR" "SCHEMAS;IMPORT_DIRS" ${ARGN})
  if(NOT G_TARGET OR NOT G_SCHEMAS)
    message(FATAL_ERROR "erg_generate: TARGET and SCHEMAS are required")
  endif()
  if(NOT G_OUTPUT_DIR)
    set(G_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR}/erg_gen/${G_TARGET})
  endif()
  if(TARGET idlc)
    set(idlc_exe $<TARGET_FILE:idlc>)
    set(idlc_dep idlc)
  elseif(ERG_IDLC_EXECUTABLE)
    set(idlc_exe ${ERG_IDLC_EXECUTABLE})
    set(idlc_dep ${ERG_IDLC_EXECUTABLE})
  else()
    message(FATAL_ERROR "erg_generate: no idlc (build it in-tree or "
                        "find_package(erg))")
  endif()

  set(dirs "")
  set(abs_dirs "")
  foreach(d ${G_IMPORT_DIRS})
    get_filename_component(ad ${d} ABSOLUTE)
    list(APPEND abs_dirs ${ad})
    list(APPEND dirs -I ${ad})
  endforeach()

  set(schemas "")
  set(outputs "")
  set(sources "")
  foreach(s ${G_SCHEMAS})
    get_filename_component(as ${s} ABSOLUTE)
    set(rel "")
    foreach(ad ${abs_dirs})
      if(rel STREQUAL "")
        file(RELATIVE_PATH r ${ad} ${as})
        if(NOT r MATCHES "^\\.\\./")
          set(rel ${r})
        endif()
      endif()
    endforeach()
    if(rel STREQUAL "")
      get_filename_component(rel ${as} NAME)
      get_filename_component(own ${as} DIRECTORY)
      list(APPEND dirs -I ${own})
    endif()
    string(REGEX REPLACE "\\.erg$" "" stem ${rel})
    list(APPEND schemas ${as})
    list(APPEND outputs ${G_OUTPUT_DIR}/${stem}.h ${G_OUTPUT_DIR}/${stem}.c)
    list(APPEND sources ${G_OUTPUT_DIR}/${stem}.c)
  endforeach()

  # idlc rewrites only files whose text changed; the touch keeps the
  # outputs newer than the schemas so the rule does not run again.
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${idlc_exe} gen ${dirs} -o ${G_OUTPUT_DIR} ${schemas}
    COMMAND ${CMAKE_COMMAND} -E touch_nocreate ${outputs}
    DEPENDS ${schemas} ${idlc_dep}
    COMMENT "idlc gen for ${G_TARGET}"
    VERBATIM)
  target_sources(${G_TARGET} PRIVATE ${sources})
  target_include_directories(${G_TARGET} PUBLIC ${G_OUTPUT_DIR})
endfunction()
