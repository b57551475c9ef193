#!/bin/sh
# The command-line contract: help, exit codes, clear errors, JSON that parses.
# usage: test_cli.sh <path to sinkbench> [emulator...]
set -u
bin="$1"; shift
run() { "$@" "$bin"; }
. "$(dirname "$0")/expect.sh"
E="${EMULATOR:-}"

expect 0 "--help" $E "$bin" --help;              contains "commands:" "help lists commands"
expect 2 "no command" $E "$bin"
expect 2 "unknown command" $E "$bin" frobnicate;  contains "unknown command 'frobnicate'" "names the unknown command"
expect 2 "unknown global option" $E "$bin" --frob; contains "unknown option '--frob'" "names the global option"
expect 0 "--version" $E "$bin" --version;        contains "sinkbench " "version line"
expect 0 "info" $E "$bin" info;                  contains "softmax_reference_f64" "info lists the references"
contains "dispatch:" "info shows the dispatch choice"
contains "L1d" "info shows the caches"
expect 0 "info --help" $E "$bin" info --help;    contains "usage: sinkbench info" "per-command help"
expect 0 "help check" $E "$bin" help check;      contains "usage: sinkbench check" "help <command>"
expect 2 "info bad flag" $E "$bin" info --bogus; contains "unknown option '--bogus'" "names the bad flag"
expect 2 "info bad flag with a value" $E "$bin" info --bogus=1; contains "unknown option '--bogus'" "names the flag, not its value"
expect 2 "a flag given a value" $E "$bin" info --json=1; contains "--json takes no value" "says the flag takes no value"
expect 2 "info stray argument" $E "$bin" info extra; contains "unexpected argument 'extra'" "names the stray argument"
expect 0 "--help after a bad option" $E "$bin" check --bogus --help; contains "usage: sinkbench check" "--help anywhere wins"
expect 0 "info --json" $E "$bin" info --json
if [ -x /usr/bin/python3 ]; then
  printf '%s' "$LAST" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["softmax_kernels"] and d["cpu"]["arch"]' \
    && echo "ok: info --json parses" || { echo "FAIL: info --json does not parse"; fails=$((fails + 1)); }
fi
SINKBENCH_ISA=bogus expect 3 "unsupported SINKBENCH_ISA" env SINKBENCH_ISA=bogus $E "$bin" info
contains "SINKBENCH_ISA=bogus" "names the bad ISA"
expect 2 "check bad seed" $E "$bin" check --seed abc; contains "not a non-negative integer" "explains the bad seed"
expect 2 "check bad --seed=" $E "$bin" check --seed=abc; contains "--seed: 'abc' is not a non-negative integer" "explains --seed=abc"
expect 2 "check missing value" $E "$bin" check --kernel; contains "--kernel needs a value" "names the option without its value"
expect 2 "check ambiguous abbreviation" $E "$bin" check --qu; contains "'--qu' is ambiguous (--quick, --quiet)" "names the candidates"
expect 2 "check unknown --kernel=" $E "$bin" check --kernel=nope; contains "no kernel named 'nope'" "names the kernel given with ="
expect 2 "check unknown kernel" $E "$bin" check --kernel nope; contains "no kernel named 'nope'" "names the kernel"
expect 0 "check (quick)" $E "$bin" check --quiet;  contains "softmax_reference_f64" "check reports the reference"
contains "attention_reference_f64" "check covers the attention kernels"
expect 0 "check one attention kernel" $E "$bin" check --quiet --kernel attention_scalar_f32
contains "attention_scalar_f32 " "checks the attention kernel named"
expect 0 "check --json" $E "$bin" check --json --kernel=softmax_scalar_f32 --seed=0x1357
if [ -x /usr/bin/python3 ]; then
  printf '%s' "$LAST" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["passed"] and d["kernels"][0]["name"]=="softmax_scalar_f32" and d["attention_kernels"]==[] and d["attention_problems"]>0 and d["seed"]==0x1357' \
    && echo "ok: check --json parses" || { echo "FAIL: check --json"; fails=$((fails + 1)); }
fi
expect 3 "missing plugin" $E "$bin" --plugin /nonexistent.so info; contains "cannot load plugin" "explains the plugin failure"
expect 2 "--plugin without a path" $E "$bin" --plugin; contains "--plugin needs the path of a shared library" "says what --plugin needs"
if [ -n "${PLUGIN:-}" ]; then
  expect 0 "info with a plugin" $E "$bin" --plugin "$PLUGIN" info; contains "plugin_test_delegate" "plugin kernel listed"
  expect 0 "check with a plugin" $E "$bin" --plugin "$PLUGIN" check --quiet --kernel plugin_test_delegate
  expect 0 "--plugin=PATH" $E "$bin" --plugin="$PLUGIN" info; contains "plugin_test_delegate" "plugin given with = is loaded"
  expect 0 "--version after --plugin" $E "$bin" --plugin "$PLUGIN" --version; contains "sinkbench " "version line"
fi
if [ -n "${EXAMPLE_PLUGIN:-}" ]; then
  # the example plugin's deliberately wrong kernel: the user sees which rules it breaks, with a seed
  expect 1 "check catches the wrong example kernel" $E "$bin" --plugin "$EXAMPLE_PLUGIN" check --quiet
  contains "softmax_example_clamped_scalar: " "names the wrong kernel"
  contains "must-be-zero" "reports the masked-entry rule"
  contains "nan-expected" "reports the NaN rule"
  contains "row seed" "gives the seed to replay"
  expect 1 "check catches the example's sinkless attention kernel" $E "$bin" --plugin "$EXAMPLE_PLUGIN" check --quiet --kernel attention_example_sinkless_scalar
  contains "rule 'error bound'" "names the broken attention rule"
  contains "learned sink" "names the problem"
  expect 0 "the example's correct kernel passes" $E "$bin" --plugin "$EXAMPLE_PLUGIN" check --quiet --kernel softmax_example_twopass_scalar
fi
[ "$fails" -eq 0 ] && echo "test_cli: all passed" || echo "test_cli: $fails failures"
[ "$fails" -eq 0 ]
