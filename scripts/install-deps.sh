#!/bin/sh
# Installs every Debian package sinkbench needs. Idempotent: installs only what is missing and runs
# apt-get update only then. As non-root it prints the exact command to run and stops.
set -eu

packages="cmake ninja-build gcc g++ make pkg-config git ca-certificates \
  libsimde-dev libmpfr-dev libgmp-dev libjson-c-dev \
  libbenchmark-dev \
  libxnnpack-dev libpthreadpool-dev libcpuinfo-dev libdnnl-dev ocl-icd-opencl-dev opencl-c-headers libsleef-dev libhwy-dev \
  libtorch-dev libopenblas0-pthread \
  libopenblas-dev libopenblas-pthread-dev fortunes \
  clang llvm libclang-rt-14-dev afl++ \
  gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user \
  python3 python3-matplotlib"
# ocl-icd-opencl-dev and opencl-c-headers: Debian's oneDNN CMake package (dnnl-config.cmake) requires
# OpenCL although the CPU engine never uses it; without them the oneDNN peer is off.
# libopenblas-dev, fortunes: the emerge study (studies/emerge, docs/emerge.md) trains small transformers
# with OpenBLAS's cblas_sgemm and reads natural text from the fortune cookie files
# (/usr/share/games/fortunes, about 2.6 MB).
# libjson-c-dev: every JSON file sinkbench reads or writes (io/).
# The aarch64 build's oracle links MPFR, and its io/ json-c, for arm64 (Debian multiarch).
# libpthreadpool-dev (XNNPACK's pool; libsinkbench's alternative to its own) has no arm64 twin here:
# Debian 12's package is not Multi-Arch, so installing libpthreadpool-dev:arm64 would remove the amd64
# one and, with it, libxnnpack-dev and libtorch-dev. The aarch64 build has only the library's own pool.
# libcpuinfo-dev:arm64 cannot be installed beside the amd64 one either (both ship
# /usr/lib/cmake/cpuinfo/cpuinfo-targets-none.cmake with different contents): the aarch64 build
# describes the CPU with the library's own code, as it would under qemu-user anyway.
foreign_packages="libmpfr-dev:arm64 libgmp-dev:arm64 libjson-c-dev:arm64"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

need_arm64=0
dpkg --print-foreign-architectures 2>/dev/null | grep -qx arm64 || need_arm64=1

missing=""
for p in $packages $foreign_packages; do
  installed "$p" || missing="$missing $p"
done

if [ -z "$missing" ] && [ "$need_arm64" -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages:$missing" >&2
  echo "install-deps: run as root (or with sudo):" >&2
  [ "$need_arm64" -eq 1 ] && echo "  dpkg --add-architecture arm64" >&2
  echo "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi

[ "$need_arm64" -eq 1 ] && dpkg --add-architecture arm64
echo "install-deps: installing$missing"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
