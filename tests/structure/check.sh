#!/bin/bash
# The layering of docs/architecture.md, checked on the built objects and the sources:
#   1. every object a folder's targets compile comes from a source in that folder (no program or
#      library compiles another folder's sources by path);
#   2. no import circle: the file-level graph "A calls a function or uses an object defined in B",
#      read from the symbols of the objects (nm), has no cycle;
#   3. calls and includes run down the layers only:
#        kernels (0) -> check (1) -> io (2) -> studies/* (3) -> cli, bench, fuzz, tests, plugins (4)
#      a file may use its own folder and any lower layer; studies do not use each other (but
#      studies/emerge uses studies/stack's metrics), and programs do not use each other's folders.
# usage: check.sh <build dir> <source dir>     prints every violation; exit 1 if there is any.
set -u
build=$(cd "$1" && pwd); src=$(cd "$2" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

# The folder that owns a path, and its layer.
owner() { # path relative to the source root -> folder (studies/x, bench/x, or the top folder)
  case "$1" in
    studies/*/*|bench/*/*) echo "$1" | cut -d/ -f1-2;;
    */*) echo "${1%%/*}";;
    *) echo .;;
  esac
}
layer() {
  case "$1" in
    kernels|include) echo 0;; check) echo 1;; io) echo 2;; studies/*) echo 3;;
    cli|bench/*|fuzz|tests|plugins|corpus) echo 4;; *) echo 9;;
  esac
}
allowed() { # from-folder to-folder -> 0 when the dependency is allowed
  [ "$1" = "$2" ] && return 0
  local a b; a=$(layer "$1"); b=$(layer "$2")
  [ "$b" -lt "$a" ] && return 0
  # bench/suite drives bench/shim (the Google Benchmark C shim) and bench/peers share peer_common
  # the emerge study measures trained models with the stack study's metrics (one sink metric)
  case "$1 $2" in "bench/suite bench/shim"|"bench/peers bench/peers"|"studies/emerge studies/stack") return 0;; esac
  return 1
}

# ---- 1 and 2: objects ------------------------------------------------------------------------------
# The objects of the current build (Ninja knows them; stale objects of removed targets are left out),
# else every object in the tree.
if [ -f "$build/build.ninja" ] && command -v ninja >/dev/null; then
  ninja -C "$build" -t targets all | sed -n 's/^\(.*\.o\): .*/\1/p' | sed "s|^|$build/|"
else
  find "$build" -name '*.o'
fi | grep '/CMakeFiles/[^/]*\.dir/' | grep -v 'CompilerId\|CMakeScratch\|sinkbench-probe\|-test/' | sort -u >"$tmp/objects"
[ -s "$tmp/objects" ] || { echo "FAIL: no objects under $build (build first)"; exit 1; }
while read -r o; do
  [ -f "$o" ] || continue
  rel=${o#$build/}
  case "$rel" in */CMakeFiles/*) dir=${rel%%/CMakeFiles/*}; in=${rel#*/CMakeFiles/*.dir/};;
                 *) continue;; esac
  in=${in%.o}; in=${in//__/..}
  s=$(realpath -m "$src/$dir/$in"); s=${s#$src/}
  [ -f "$src/$s" ] || continue   # a stale object of a deleted source
  [ "$(owner "$s")" = "$(owner "$dir/x")" ] ||
    echo "FAIL: $dir compiles $s, a source of another folder (link its library instead)" >>"$tmp/compile-fails"
  nm "$o" 2>/dev/null | awk -v s="$s" '$1 == "U" { print "U", s, $2 }
                                        NF == 3 && $2 ~ /^[TDBRVW]$/ { print "D", s, $3 }'
done <"$tmp/objects" | sort -u >"$tmp/syms"
# Symbols defined in exactly one source (main, the fuzz entry point and per-program hooks are defined
# in many and say nothing about structure).
awk '$1 == "D" { if (($3 in def) && def[$3] != $2) dup[$3] = 1; def[$3] = $2 }
     END { for (k in def) if (!(k in dup)) print k, def[k] }' "$tmp/syms" | sort >"$tmp/defs"
awk 'NR == FNR { def[$1] = $2; next }
     $1 == "U" && ($3 in def) && def[$3] != $2 { print $2, def[$3] }' "$tmp/defs" "$tmp/syms" | sort -u >"$tmp/edges"
if [ -s "$tmp/compile-fails" ]; then
  sort -u "$tmp/compile-fails"; fails=$((fails + $(sort -u "$tmp/compile-fails" | wc -l)))
fi
echo "structure: $(wc -l <"$tmp/objects") objects, $(wc -l <"$tmp/edges") file-level dependencies"

if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/loops"; then
  bad "import circles (each 'loop' below lists the files of one cycle):"
  sed 's/^tsort: /    /' "$tmp/loops" | grep -v "input contains a loop" | head -40
fi
while read -r a b; do
  fa=$(owner "$a"); fb=$(owner "$b")
  allowed "$fa" "$fb" || bad "$a uses $b: $fa may not depend on $fb"
done <"$tmp/edges"

# ---- 3: includes -----------------------------------------------------------------------------------
# Project headers are included by their path from the source root (check/x.h, io/x.h, studies/s/x.h);
# kernels' internal headers (core/, simd/, attention/, reference/) only by kernels and its white-box
# users (check, tests, bench's measurement loops).
cd "$src"
git ls-files '*.c' '*.h' '*.cc' 2>/dev/null | grep -v '^build/' >"$tmp/sources" || find . -name '*.[ch]' | sed 's|^\./||' >"$tmp/sources"
while read -r f; do
  from=$(owner "$f")
  grep -o '^#include "[^"]*"' "$f" | sed 's/#include "\(.*\)"/\1/' | while read -r inc; do
    case "$inc" in
      check/*|io/*|studies/*/*) to=$(owner "$inc");;
      core/*|simd/*|attention/*|reference/*)
        case "$from" in kernels|check|tests|bench/suite) continue;; esac
        echo "FAIL: $f includes kernels' internal header $inc"; continue;;
      *) continue;;
    esac
    allowed "$from" "$to" || echo "FAIL: $f includes $inc: $from may not depend on $to"
  done
done <"$tmp/sources" >"$tmp/include-fails"
if [ -s "$tmp/include-fails" ]; then
  cat "$tmp/include-fails"; fails=$((fails + $(wc -l <"$tmp/include-fails")))
fi

if [ "$fails" -eq 0 ]; then echo "structure: layers respected, no import circles"; exit 0; fi
echo "structure: $fails violations"; exit 1
