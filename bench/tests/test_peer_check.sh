#!/bin/sh
# A peer plugin under the contract check (`sinkbench --plugin LIB check`): it loads, each of its kernels
# this CPU runs is listed as a study kernel with its measured error, and the check does not fail
# (peers claim nothing under the contract; the output shows where they break). Softmax peers are
# in the first table (max ulp), attention peers in the attention table (max error in units), batched
# peers (sinkbench/softmax_batch.h) in the batched table: their API answers (status codes for bad
# descriptors, untouched inputs) must hold, their ulp errors are measured.
# usage: test_peer_check.sh <sinkbench> <plugin.so>
set -u
bin="$1"; plugin="$2"
out=$(${EMULATOR:-} "$bin" --plugin "$plugin" check --quiet 2>&1); rc=$?
printf '%s\n' "$out"
fail() { echo "FAIL: $*"; exit 1; }
[ "$rc" -eq 0 ] || fail "check exited $rc with the plugin loaded"
softmax=$(printf '%s\n' "$out" | sed '/^attention contract check/,$d')
attention=$(printf '%s\n' "$out" | sed -n '/^attention contract check/,$p' | sed '/^batched softmax contract check/,$d')
batch=$(printf '%s\n' "$out" | sed -n '/^batched softmax contract check/,$p')
peers=$(printf '%s\n' "$softmax" | grep -E '^peer_[a-z0-9_]+ +[0-9]+ ')
apeers=$(printf '%s\n' "$attention" | grep -E '^peer_[a-z0-9_]+ +[0-9]+ ')
bpeers=$(printf '%s\n' "$batch" | grep -E '^peer_[a-z0-9_]+ +[0-9]+ ')
[ -n "$peers$apeers$bpeers" ] || fail "no peer kernel in the check output"
[ -z "$peers" ] || printf '%s\n' "$peers" | while read -r name rows maxulp bound mean verdict; do
  [ "$bound" = "study" ] || fail "$name: bound '$bound', want 'study' (peers claim nothing)"
  case "$maxulp" in ''|*[!0-9]*) [ "$maxulp" = "inf/NaN" ] || fail "$name: max ulp '$maxulp' is not a measurement";; esac
  case "$verdict" in ok|"breaks (study kernel)") ;; *) fail "$name: verdict '$verdict'";; esac
  [ "$rows" -gt 0 ] || fail "$name: no rows checked"
  if [ "$verdict" != ok ]; then   # the rows it breaks are listed, per contract rule
    printf '%s\n' "$out" | grep -q "^$name (study kernel): [0-9]* of $rows rows break" || fail "$name: broken rows not listed"
  fi
  echo "ok: $name: max ulp $maxulp over $rows rows, $verdict"
done || exit 1
[ -z "$apeers" ] || printf '%s\n' "$apeers" | while read -r name problems rows maxerr ratio verdict; do
  [ "$ratio" = "study" ] || fail "$name: ratio '$ratio', want 'study' (peers claim nothing)"
  /usr/bin/python3 -c 'import sys; float(sys.argv[1])' "$maxerr" 2>/dev/null || fail "$name: max error '$maxerr' is not a measurement"
  case "$verdict" in ok|"breaks (study kernel)") ;; *) fail "$name: verdict '$verdict'";; esac
  [ "$problems" -gt 0 ] && [ "$rows" -gt 0 ] || fail "$name: nothing checked"
  if [ "$verdict" != ok ]; then   # the first broken problem is named, with its rule
    printf '%s\n' "$out" | grep -q "^$name: [0-9]* of $problems problems break the contract; first: problem" || fail "$name: broken problems not listed"
  fi
  echo "ok: $name: max error $maxerr units over $problems problems, $verdict"
done || exit 1
[ -z "$bpeers" ] || printf '%s\n' "$bpeers" | while read -r name problems rows maxulp bound verdict; do
  [ "$bound" = "study" ] || fail "$name: bound '$bound', want 'study' (peers claim nothing)"
  case "$maxulp" in ''|*[!0-9]*) [ "$maxulp" = "inf/NaN" ] || fail "$name: max ulp '$maxulp' is not a measurement";; esac
  case "$verdict" in ok|"breaks (peer)") ;; *) fail "$name: verdict '$verdict'";; esac
  [ "$problems" -gt 0 ] && [ "$rows" -gt 0 ] || fail "$name: nothing checked"
  if [ "$verdict" != ok ]; then
    printf '%s\n' "$out" | grep -q "^$name: [0-9]* of $problems problems break the contract; first: problem" || fail "$name: broken problems not listed"
  fi
  echo "ok: $name: max ulp $maxulp over $problems batches, $verdict"
done || exit 1
echo "test_peer_check: passed"
