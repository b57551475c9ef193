# Warnings for the project's own targets only (never for Debian headers or peers).
function(sinkbench_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wstrict-prototypes
                                           -Wmissing-prototypes -Wno-psabi)
  if(SINKBENCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# C++ shim files (bench/ only) get the same strictness, minus the C-only flags.
function(sinkbench_warnings_cxx target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wno-psabi)
  if(SINKBENCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
