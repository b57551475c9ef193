#!/bin/sh
# A peer plugin under the contract check (`sinkbench --plugin LIB check`): it loads, each of its kernels
# this CPU runs is listed as a study kernel with its measured max ulp, and the check does not fail
# (peers claim nothing under the contract; the output shows where they break).
# usage: test_peer_check.sh <sinkbench> <plugin.so>
set -u
bin="$1"; plugin="$2"
out=$(${EMULATOR:-} "$bin" --plugin "$plugin" check --quiet 2>&1); rc=$?
printf '%s\n' "$out"
fail() { echo "FAIL: $*"; exit 1; }
[ "$rc" -eq 0 ] || fail "check exited $rc with the plugin loaded"
peers=$(printf '%s\n' "$out" | grep -E '^peer_[a-z0-9_]+ +[0-9]+ ')
[ -n "$peers" ] || fail "no peer kernel in the check output"
printf '%s\n' "$peers" | while read -r name rows maxulp bound mean verdict; do
  [ "$bound" = "study" ] || fail "$name: bound '$bound', want 'study' (peers claim nothing)"
  case "$maxulp" in ''|*[!0-9]*) [ "$maxulp" = "inf/NaN" ] || fail "$name: max ulp '$maxulp' is not a measurement";; esac
  case "$verdict" in ok|"breaks (study kernel)") ;; *) fail "$name: verdict '$verdict'";; esac
  [ "$rows" -gt 0 ] || fail "$name: no rows checked"
  if [ "$verdict" != ok ]; then   # the rows it breaks are listed, per contract rule
    printf '%s\n' "$out" | grep -q "^$name (study kernel): [0-9]* of $rows rows break" || fail "$name: broken rows not listed"
  fi
  echo "ok: $name: max ulp $maxulp over $rows rows, $verdict"
done || exit 1
echo "test_peer_check: passed"
