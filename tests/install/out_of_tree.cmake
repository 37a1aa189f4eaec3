# SPDX-License-Identifier: MIT
# out_of_tree.cmake (cmake -P): install BUILD_DIR into WORK_DIR/prefix,
# build HELLO_DIR against it, run it, and ask pkg-config about erg.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rv OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rv EQUAL 0)
    message(FATAL_ERROR "failed (${rv}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_out "${out}" PARENT_SCOPE)
endfunction()

run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/idlc include/erg/codec.h include/erg/erg.h lib/liberg.a
          lib/pkgconfig/erg.pc lib/cmake/erg/ergConfig.cmake
          lib/cmake/erg/ErgIdl.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "make install did not install ${f}")
  endif()
endforeach()

# A sanitized liberg needs the sanitizer runtime in the program too.
set(san_flags "")
if(SANITIZE)
  set(san_flags -DCMAKE_C_FLAGS=-fsanitize=${SANITIZE}
                -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=${SANITIZE})
endif()
run(${CMAKE_COMMAND} -S ${HELLO_DIR} -B ${WORK_DIR}/hello
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${CC} ${san_flags})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/hello)
run(${WORK_DIR}/hello/hello)
message(STATUS "${last_out}")

find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)
  run(${PKG_CONFIG} --cflags --libs erg)
  string(REGEX MATCH "-I([^ \n]+)" inc "${last_out}")
  if(NOT last_out MATCHES "-lerg" OR NOT EXISTS ${CMAKE_MATCH_1}/erg/codec.h)
    message(FATAL_ERROR "pkg-config --cflags --libs erg gave: ${last_out}")
  endif()
endif()
