#!/bin/bash
# check.sh can fail: a miniature tree whose kernels/ calls into io/ (a layer upward), whose io/ calls
# back (an import circle), whose cli/ compiles a source of kernels/ by path, and whose kernels/
# includes a check/ header, must give exactly those violations; the same tree without them passes.
# usage: selftest.sh <check.sh> <scratch dir> <C compiler>
set -u
check="$1"; tmp="$2"; cc="$3"
rm -rf "$tmp"; mkdir -p "$tmp"
fails=0
make_tree() { # dir, bad (1: with the violations)
  local d="$1" bad="$2"
  mkdir -p "$d/src/kernels" "$d/src/io" "$d/src/check" "$d/src/cli"
  echo 'int check_helper(void);' >"$d/src/check/helper.h"
  if [ "$bad" = 1 ]; then
    printf '#include "check/helper.h"\nint io_write(void);\nint kernel_run(void) { return io_write(); }\n' >"$d/src/kernels/run.c"
    printf 'int kernel_run(void);\nint io_write(void) { return 0; }\nint io_read(void) { return kernel_run(); }\n' >"$d/src/io/write.c"
  else
    printf 'int kernel_run(void) { return 0; }\n' >"$d/src/kernels/run.c"
    printf 'int kernel_run(void);\nint io_write(void) { return kernel_run(); }\n' >"$d/src/io/write.c"
  fi
  printf 'int io_write(void);\nint main(void) { return io_write(); }\n' >"$d/src/cli/main.c"
  mkdir -p "$d/build/kernels/CMakeFiles/k.dir" "$d/build/io/CMakeFiles/i.dir" "$d/build/cli/CMakeFiles/c.dir/__/kernels"
  "$cc" -I"$d/src" -c "$d/src/kernels/run.c" -o "$d/build/kernels/CMakeFiles/k.dir/run.c.o"
  "$cc" -c "$d/src/io/write.c" -o "$d/build/io/CMakeFiles/i.dir/write.c.o"
  "$cc" -c "$d/src/cli/main.c" -o "$d/build/cli/CMakeFiles/c.dir/main.c.o"
  if [ "$bad" = 1 ]; then   # cli compiling kernels/run.c by path, as CMake names such an object
    "$cc" -I"$d/src" -c "$d/src/kernels/run.c" -o "$d/build/cli/CMakeFiles/c.dir/__/kernels/run.c.o"
  fi
}
expect_in() { # text, description
  if printf '%s\n' "$out" | grep -qF -- "$1"; then echo "ok: $2"; else echo "FAIL: $2 (no '$1')"; fails=$((fails + 1)); fi
}

make_tree "$tmp/good" 0
out=$(bash "$check" "$tmp/good/build" "$tmp/good/src" 2>&1); rc=$?
[ "$rc" -eq 0 ] && echo "ok: a layered tree passes" || { echo "FAIL: a layered tree fails:"; echo "$out"; fails=$((fails + 1)); }

make_tree "$tmp/bad" 1
out=$(bash "$check" "$tmp/bad/build" "$tmp/bad/src" 2>&1); rc=$?
[ "$rc" -ne 0 ] && echo "ok: the broken tree fails" || { echo "FAIL: the broken tree passes"; fails=$((fails + 1)); }
expect_in "cli compiles kernels/run.c, a source of another folder" "compiling another folder's source is found"
expect_in "import circles" "the circle kernels <-> io is found"
expect_in "kernels/run.c uses io/write.c: kernels may not depend on io" "the upward call is found"
expect_in "kernels/run.c includes check/helper.h: kernels may not depend on check" "the upward include is found"
[ "$fails" -eq 0 ] && echo "structure selftest: all passed"
[ "$fails" -eq 0 ]
