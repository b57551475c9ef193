# Shared by the CLI test scripts (sourced): run a command, check its exit code and output.
# expect <exit code> <description> <command...>: runs it, prints ok/FAIL, keeps the output in LAST.
# contains <text> <description>: checks LAST. Failures are counted in $fails.
fails=0
expect() {
  want="$1"; what="$2"; shift 2
  out=$("$@" 2>&1); got=$?
  if [ "$got" -ne "$want" ]; then
    echo "FAIL: $what: exit $got, want $want"; echo "$out" | head -20; fails=$((fails + 1))
  else
    echo "ok: $what"
  fi
  LAST="$out"
}
contains() {
  case "$LAST" in *"$1"*) echo "ok: $2";; *) echo "FAIL: $2: output lacks '$1'"; echo "$LAST" | head -20; fails=$((fails + 1));; esac
}
