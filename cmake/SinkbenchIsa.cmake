# One source per algorithm, compiled once per ISA.
#
# SIMDe picks its native code paths from compiler macros (__AVX2__, __ARM_NEON, ...), not from
# function target attributes, so every ISA gets its own translation unit compiled with that ISA's
# flags, and every copy gets its own symbol suffix (SB_ISA_SUFFIX). Dispatch and shared helpers stay
# in baseline-flag files.

# SIMDe is header-only and architecture independent. In a cross build the sysroot does not have it,
# and adding the host's /usr/include would pull in the host's libc headers, so the SIMDe folder is
# linked alone into a private include directory.
find_path(SIMDE_ROOT simde/simde-common.h PATHS /usr/include /usr/local/include
          NO_CMAKE_FIND_ROOT_PATH)
if(NOT SIMDE_ROOT)
  message(FATAL_ERROR "SIMDe not found: install Debian's libsimde-dev (scripts/install-deps.sh does it)")
endif()
set(SINKBENCH_SIMDE_INCLUDE "${CMAKE_BINARY_DIR}/simde-include")
file(MAKE_DIRECTORY "${SINKBENCH_SIMDE_INCLUDE}")
if(NOT EXISTS "${SINKBENCH_SIMDE_INCLUDE}/simde")
  file(CREATE_LINK "${SIMDE_ROOT}/simde" "${SINKBENCH_SIMDE_INCLUDE}/simde" SYMBOLIC)
endif()

# ISAs built for this target. "neon" on x86 (and x86 ISAs on aarch64, if ever added) are SIMDe
# emulations: correct and tested, flagged SB_KERNEL_EMULATED, never dispatched.
# "avx512_emulated" is the AVX-512 source compiled for AVX2 + FMA, SIMDe emulating AVX-512 on top, so
# that the AVX-512 code path is tested on CPUs without AVX-512 (it sees SB_ISA_AVX512_EMULATED).
if(SINKBENCH_ARCH STREQUAL "x86_64")
  set(SINKBENCH_ISAS scalar sse2 avx2 avx512 avx512_emulated neon)
elseif(SINKBENCH_ARCH STREQUAL "aarch64")
  set(SINKBENCH_ISAS scalar neon)
else()
  set(SINKBENCH_ISAS scalar)
endif()

set(SINKBENCH_ISA_FLAGS_scalar "")
set(SINKBENCH_ISA_FLAGS_sse2 "-msse2")
set(SINKBENCH_ISA_FLAGS_avx2 "-mavx2;-mfma;-mf16c")
set(SINKBENCH_ISA_FLAGS_avx512 "-mavx512f;-mavx512bw;-mavx512dq;-mavx512vl;-mavx2;-mfma;-mf16c")
set(SINKBENCH_ISA_FLAGS_avx512_emulated "-mavx2;-mfma;-mf16c")
if(SINKBENCH_ARCH STREQUAL "aarch64")
  set(SINKBENCH_ISA_FLAGS_neon "")   # Advanced SIMD is baseline on aarch64
else()
  set(SINKBENCH_ISA_FLAGS_neon "")   # emulated by SIMDe on the host's baseline ISA
endif()

# sinkbench_add_isa_objects(<prefix> SOURCES <files...> [ISAS <isa...>])
# Creates one OBJECT library <prefix>_<isa> per ISA and appends them to <prefix>_OBJECT_TARGETS in
# the caller's scope. Each copy sees SB_ISA_<ISA>=1, SB_ISA_NAME="<isa>" and SB_ISA_SUFFIX=_<isa>.
function(sinkbench_add_isa_objects prefix)
  cmake_parse_arguments(ARG "" "" "SOURCES;ISAS" ${ARGN})
  if(NOT ARG_ISAS)
    set(ARG_ISAS ${SINKBENCH_ISAS})
  endif()
  set(targets "")
  foreach(isa IN LISTS ARG_ISAS)
    string(TOUPPER "${isa}" ISA)
    set(t ${prefix}_${isa})
    add_library(${t} OBJECT ${ARG_SOURCES})
    target_compile_definitions(${t} PRIVATE SB_ISA_${ISA}=1 SB_ISA_NAME="${isa}" SB_ISA_SUFFIX=_${isa})
    # -ffp-contract=off: the error-free transformations (TwoSum, Fast2Sum) in kernels/simd/ must not
    # be fused into FMAs behind our back.
    target_compile_options(${t} PRIVATE ${SINKBENCH_ISA_FLAGS_${isa}} -ffp-contract=off)
    target_include_directories(${t} PRIVATE
      "${PROJECT_SOURCE_DIR}/include" "${PROJECT_SOURCE_DIR}/kernels" "${PROJECT_BINARY_DIR}/include"
      "${SINKBENCH_SIMDE_INCLUDE}")
    sinkbench_warnings(${t})
    list(APPEND targets ${t})
  endforeach()
  set(${prefix}_OBJECT_TARGETS ${targets} PARENT_SCOPE)
endfunction()
