# json-c (Debian libjson-c-dev), which reads and writes every JSON file of sinkbench (io/). Works for
# native and multiarch cross builds (libjson-c-dev:arm64). json-c's own CMake package and pkg-config
# file both add /usr/include as an include folder, which in a cross build would put the host's libc
# headers before the cross compiler's; so, as FindMPFR.cmake does, this finds the header and the
# library and, when cross compiling, links only the json-c header folder into a private one.
# Needs 0.15 or later (json_tokener_get_parse_end; Debian 12 has 0.16).
find_path(JSONC_INCLUDE_DIR json-c/json.h)
find_library(JSONC_LIBRARY json-c)
if(JSONC_INCLUDE_DIR AND EXISTS "${JSONC_INCLUDE_DIR}/json-c/json_c_version.h")
  file(STRINGS "${JSONC_INCLUDE_DIR}/json-c/json_c_version.h" _jsonc_version_line
       REGEX "^#define[ \t]+JSON_C_VERSION[ \t]+\"[0-9.]+\"")
  string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" JsonC_VERSION "${_jsonc_version_line}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(JsonC REQUIRED_VARS JSONC_LIBRARY JSONC_INCLUDE_DIR VERSION_VAR JsonC_VERSION)
if(JsonC_FOUND AND NOT TARGET JsonC::JsonC)
  set(_jsonc_inc "${JSONC_INCLUDE_DIR}")
  if(CMAKE_CROSSCOMPILING)
    set(_jsonc_inc "${CMAKE_BINARY_DIR}/json-c-include")
    file(MAKE_DIRECTORY "${_jsonc_inc}")
    if(NOT EXISTS "${_jsonc_inc}/json-c")
      file(CREATE_LINK "${JSONC_INCLUDE_DIR}/json-c" "${_jsonc_inc}/json-c" SYMBOLIC)
    endif()
  endif()
  add_library(JsonC::JsonC UNKNOWN IMPORTED)
  set_target_properties(JsonC::JsonC PROPERTIES IMPORTED_LOCATION "${JSONC_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${_jsonc_inc}")
endif()
