# sinkbench_probe_package(<package> <result-var> <why-var> [TARGETS t...])
#
# Whether find_package(<package> CONFIG) can succeed, asked in a separate cmake process
# (cmake/probe/), because an optional peer must never break our configuration: a package's config
# file may call find_package(... REQUIRED) or message(FATAL_ERROR) itself, which QUIET cannot stop
# (Debian's oneDNN requires OpenCL that way). <result-var> is set to TRUE or FALSE and <why-var> to
# the probe's first error line when it fails. The answer is cached per package (SINKBENCH_PROBE_*);
# delete the cache entry or the build tree to probe again. The probe sees the same toolchain,
# compilers, prefix and find-root paths as this configuration, so cross builds probe the target.
function(sinkbench_probe_package package result_var why_var)
  cmake_parse_arguments(PARSE_ARGV 3 P "" "" "TARGETS")
  string(TOUPPER "${package}" _up)
  set(_cache SINKBENCH_PROBE_${_up})
  if(NOT DEFINED ${_cache})
    set(_dir "${PROJECT_BINARY_DIR}/CMakeFiles/sinkbench-probe-${package}")
    file(REMOVE_RECURSE "${_dir}")
    set(_args -S "${PROJECT_SOURCE_DIR}/cmake/probe" -B "${_dir}"
              "-DSB_PROBE_PACKAGE=${package}" "-DSB_PROBE_TARGETS=${P_TARGETS}"
              "-DCMAKE_C_COMPILER=${CMAKE_C_COMPILER}")
    if(CMAKE_CXX_COMPILER)
      list(APPEND _args "-DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}")
    endif()
    foreach(v CMAKE_TOOLCHAIN_FILE CMAKE_PREFIX_PATH CMAKE_FIND_ROOT_PATH CMAKE_BUILD_TYPE)
      if(DEFINED ${v} AND NOT "${${v}}" STREQUAL "")
        string(REPLACE ";" "\\;" _val "${${v}}")
        list(APPEND _args "-D${v}=${_val}")
      endif()
    endforeach()
    if(DEFINED ${package}_DIR AND ${package}_DIR)
      list(APPEND _args "-D${package}_DIR=${${package}_DIR}")
    endif()
    execute_process(COMMAND "${CMAKE_COMMAND}" ${_args} -G "${CMAKE_GENERATOR}"
                    RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
    set(_why "")
    if(_rc EQUAL 0)
      set(_ok TRUE)
    else()
      set(_ok FALSE)
      # The most telling line: CMake's "Could NOT find ..." or the config's own message.
      string(REGEX MATCH "Could NOT find[^\n]*" _why "${_err}")
      if(NOT _why)   # else the first error paragraph, on one line, shortened
        string(REGEX MATCH "CMake Error[^\n]*\n([^\n]+\n)*" _why "${_err}")
        string(REGEX REPLACE "[ \n]+" " " _why "${_why}")
        string(STRIP "${_why}" _why)
        string(LENGTH "${_why}" _len)
        if(_len GREATER 240)
          string(SUBSTRING "${_why}" 0 237 _why)
          string(APPEND _why "...")
        endif()
      endif()
      if(NOT _why)
        set(_why "its CMake package could not be loaded (exit ${_rc})")
      endif()
      file(WRITE "${_dir}.log" "${_out}\n${_err}")
    endif()
    file(REMOVE_RECURSE "${_dir}")
    set(${_cache} "${_ok}" CACHE INTERNAL "find_package(${package} CONFIG) works in a probe")
    set(${_cache}_WHY "${_why}" CACHE INTERNAL "why the ${package} probe failed")
  endif()
  set(${result_var} "${${_cache}}" PARENT_SCOPE)
  set(${why_var} "${${_cache}_WHY}" PARENT_SCOPE)
endfunction()
