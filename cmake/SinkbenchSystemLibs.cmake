# Plain C libraries that ship a header and a shared object but no usable CMake package for every
# target (Debian's pthreadpool has none; cpuinfo's is the amd64 one even in an aarch64 cross build,
# since /usr/lib/cmake/cpuinfo is not per-architecture).
#
# sinkbench_find_c_library(<PREFIX> HEADER <file.h> NAMES <lib...> SYMBOL <function>)
# sets <PREFIX>_FOUND, <PREFIX>_LIBRARY and <PREFIX>_INCLUDE_DIR (empty when the header is in a
# folder the compiler searches anyway) and <PREFIX>_WHY when not found. Found means: the header and
# the library exist for the target and a program calling SYMBOL links (so a cross build never takes
# the host's library).
include(CheckCSourceCompiles)
include(CMakePushCheckState)

function(sinkbench_find_c_library prefix)
  cmake_parse_arguments(A "" "HEADER;SYMBOL" "NAMES" ${ARGN})
  find_path(${prefix}_HEADER_DIR ${A_HEADER})
  find_library(${prefix}_LIBRARY NAMES ${A_NAMES})
  set(found FALSE)
  set(why "")
  set(inc "")
  if(NOT ${prefix}_HEADER_DIR)
    set(why "${A_HEADER} not found")
  elseif(NOT ${prefix}_LIBRARY)
    set(why "lib${A_NAMES} for ${SINKBENCH_ARCH} not found")
  else()
    set(inc "${${prefix}_HEADER_DIR}")
    if(CMAKE_CROSSCOMPILING)
      # The header lives in the host's /usr/include; adding that folder would put the host's libc
      # headers before the cross compiler's, so only this header is linked into a private folder.
      set(inc "${CMAKE_BINARY_DIR}/${prefix}-include")
      file(MAKE_DIRECTORY "${inc}")
      if(NOT EXISTS "${inc}/${A_HEADER}")
        file(CREATE_LINK "${${prefix}_HEADER_DIR}/${A_HEADER}" "${inc}/${A_HEADER}" SYMBOLIC)
      endif()
    elseif(inc STREQUAL "/usr/include")
      set(inc "")
    endif()
    cmake_push_check_state(RESET)
    set(CMAKE_REQUIRED_QUIET ON)
    set(CMAKE_REQUIRED_INCLUDES "${inc}")
    set(CMAKE_REQUIRED_LIBRARIES "${${prefix}_LIBRARY}")
    check_c_source_compiles("#include <${A_HEADER}>\nint main(void) { return (int)(long)&${A_SYMBOL}; }"
                            ${prefix}_LINKS)
    cmake_pop_check_state()
    if(${prefix}_LINKS)
      set(found TRUE)
    else()
      set(why "${${prefix}_LIBRARY} does not link for ${SINKBENCH_ARCH}")
    endif()
  endif()
  set(${prefix}_FOUND ${found} PARENT_SCOPE)
  set(${prefix}_INCLUDE_DIR "${inc}" PARENT_SCOPE)
  set(${prefix}_WHY "${why}" PARENT_SCOPE)
endfunction()
