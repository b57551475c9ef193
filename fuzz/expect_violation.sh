#!/bin/sh
# Runs a fuzz replay that must fail: exit status non-zero and a report naming the expected violation.
# usage: expect_violation.sh <pattern> <command...>     (EMULATOR, if set, is put before the command)
pattern="$1"; shift
out=$(${EMULATOR:-} "$@" 2>&1); rc=$?
case "$out" in
  *"$pattern"*) ;;
  *) echo "FAIL: the output lacks '$pattern' (exit $rc):"; echo "$out" | tail -20; exit 1;;
esac
if [ "$rc" -eq 0 ]; then
  echo "FAIL: exit status 0 despite the violation"; exit 1
fi
echo "ok: exit $rc and the report names it:"
echo "$out" | grep -m1 "VIOLATION"
