# User-facing switches. Optional parts turn themselves off with a message when a dependency is missing.
option(BUILD_SHARED_LIBS "Build libsinkbench as a shared library (plugins need it)" ON)
option(SINKBENCH_WERROR "Treat warnings in our own code as errors" OFF)
option(SINKBENCH_SANITIZE "Build with AddressSanitizer + UndefinedBehaviorSanitizer" OFF)
option(SINKBENCH_LONG_TESTS "Register the long-running tests (1 M and 16 M rows)" ON)
set(SINKBENCH_TEST_TIMEOUT 900 CACHE STRING "Per-test ctest timeout in seconds")

if(SINKBENCH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# Target architecture, as the compiler sees it (cross builds included).
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
  set(SINKBENCH_ARCH "x86_64")
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
  set(SINKBENCH_ARCH "aarch64")
else()
  set(SINKBENCH_ARCH "${CMAKE_SYSTEM_PROCESSOR}")
endif()
message(STATUS "sinkbench: target architecture ${SINKBENCH_ARCH}")

# libsinkbench's thread pool (kernels/core/pool.c) is its own; Debian's pthreadpool is built in beside
# it when found, for SINKBENCH_THREAD_POOL=pthreadpool at run time (the comparison in docs/attention.md).
option(SINKBENCH_PTHREADPOOL "Build pthreadpool in as the alternative thread pool when it is found" ON)
# The CPU description (kernels/core/cpu.c): cpuinfo names the microarchitecture and the caches; without
# it (or where it cannot initialise) the library reads CPUID, sysfs and sysconf itself.
option(SINKBENCH_CPUINFO "Describe the CPU with cpuinfo when it is found" ON)
