#!/bin/sh
# `sinkbench stability` end to end: the quick sweep writes its files, the JSON parses, the same seed gives
# the same cells, plots are skipped (not failed) without python, and bad options are named.
# usage: test_stability_cli.sh <path to sinkbench> <scratch folder>     (EMULATOR: e.g. qemu-aarch64 ...)
set -u
bin="$1"; tmp="$2"
E="${EMULATOR:-}"
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }
expect() { # expect <exit code> <description> <command...>
  want="$1"; what="$2"; shift 2
  out=$("$@" 2>&1); got=$?
  if [ "$got" -ne "$want" ]; then bad "$what: exit $got, want $want"; echo "$out" | tail -20; else ok "$what"; fi
  LAST="$out"
}
contains() { case "$LAST" in *"$1"*) ok "$2";; *) bad "$2: output lacks '$1'"; echo "$LAST" | tail -20;; esac; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=""

rm -rf "$tmp"; mkdir -p "$tmp"

# 1. the quick sweep, end to end, with plots when Debian's matplotlib is there
start=$(date +%s)
expect 0 "stability --quick" $E "$bin" stability --quick --out "$tmp/quick"
echo "quick sweep with plots took $(( $(date +%s) - start )) s"
contains "stability.md" "prints the summary's path"
contains "agree with theory" "reports the threshold check"
for f in stability.json stability.md; do
  [ -s "$tmp/quick/$f" ] && ok "$f written" || bad "$f missing"
done
ls "$tmp/quick" | grep -q '\.tmp\.' && bad "temporary files left behind" || ok "no temporary files left"
if [ -n "$PY" ]; then
  "$PY" - "$tmp/quick/stability.json" <<'EOF' && ok "stability.json parses and has every precision and metric" || bad "stability.json content"
import json, sys
d = json.load(open(sys.argv[1]))
cells = d["cells"]
assert d["study"]["cells"] == len(cells) > 0
assert {c["precision"] for c in cells} == {"f32", "f16_in", "bf16_in", "f16_out", "bf16_out"}
need = {"max_ulp", "mean_ulp", "sink_rel_err", "resid_tail_rel_err", "resid_1m_rel_err", "sum_err", "tail_zero",
        "tail_subnormal", "attn_err", "attn_sink_err", "attn_tail_err"}
assert all(need <= set(c["metrics"]) for c in cells)
assert all(c["machine"] and c["kernel"] and c["isa"] and "seed" in c and c["spec"]["n"] >= 16 for c in cells)
assert {c["spec"]["place"] for c in cells} >= {"first", "middle", "last", "learned", "softmax1"}
assert any(t["agrees"] for t in d["thresholds"])
assert all(v["failures"] == 0 for v in d["verdicts"] if v["kernel"] != "softmax_naive_f32")
EOF
  if "$PY" -c 'import matplotlib' 2>/dev/null; then
    n=$(ls "$tmp/quick"/stability-*.png 2>/dev/null | wc -l)
    [ "$n" -eq 5 ] && ok "5 plots drawn" || bad "$n plots drawn, want 5"
    grep -q "stability-heatmap.png" "$tmp/quick/stability.md" && ok "summary links the plots" || bad "summary lacks plots"
  else
    grep -q "Plots were not drawn" "$tmp/quick/stability.md" && ok "summary says why there are no plots" || bad "no plot note"
  fi
fi

# 2. determinism: the same seed twice gives the same bytes, except the "run" object
for r in a b; do
  expect 0 "one-kernel sweep ($r)" $E "$bin" stability --quick --no-plots --quiet --seed 7 \
    --kernel softmax_scalar_f32 --out "$tmp/det-$r"
done
for r in a b; do
  grep -v -e '"started"' -e '"sweep_seconds"' -e '"command"' "$tmp/det-$r/stability.json" > "$tmp/det-$r.cmp"
done
cmp -s "$tmp/det-a.cmp" "$tmp/det-b.cmp" && ok "same seed, same JSON" || bad "same seed gave different JSON"
grep -q '"seed": 7,' "$tmp/det-a/stability.json" && ok "seed recorded" || bad "seed not recorded"
grep -q "Plots were not drawn: --no-plots was given" "$tmp/det-a/stability.md" && ok "--no-plots noted" || bad "--no-plots not noted"
# (the cheap thresholds block from here on: these runs test the command, not the sweep)
T="--quick --quiet --block thresholds --kernel softmax_scalar_f32"
expect 0 "another seed (--opt=value)" $E "$bin" stability $T --no-plots --seed=8 --out="$tmp/det-c"
grep -q '"seed": 8,' "$tmp/det-c/stability.json" && ok "--seed=8 recorded" || bad "--seed=8 not recorded"
expect 0 "seed 7 again" $E "$bin" stability $T --no-plots --seed 7 --out "$tmp/det-d"
for r in c d; do
  grep -v -e '"started"' -e '"sweep_seconds"' -e '"command"' "$tmp/det-$r/stability.json" > "$tmp/det-$r.cmp"
done
cmp -s "$tmp/det-c.cmp" "$tmp/det-d.cmp" && bad "another seed gave the same JSON" || ok "another seed, other cells"

# 3. plots skipped, not failed, when the interpreter or the script is missing
expect 0 "no python: plots skipped" env SINKBENCH_PYTHON=/nonexistent/python3 $E "$bin" stability $T --out "$tmp/nopy"
contains "plots skipped" "says plots were skipped"
grep -q "/nonexistent/python3 not found" "$tmp/nopy/stability.md" && ok "summary names the missing python" || bad "no note"
expect 0 "no script: plots skipped" $E "$bin" stability $T --plot-dir /nonexistent --out "$tmp/noscript"
contains "stability.py not found in /nonexistent" "names where it looked"
if [ -n "$PY" ]; then
  # Debian's python without its site packages: the real script, no matplotlib
  printf '#!/bin/sh\nexec %s -S "$@"\n' "$PY" > "$tmp/python-no-site"; chmod +x "$tmp/python-no-site"
  expect 0 "no matplotlib: plots skipped" env SINKBENCH_PYTHON="$tmp/python-no-site" $E "$bin" stability $T --out "$tmp/nompl"
  contains "matplotlib is not available" "says matplotlib is missing"
  [ -s "$tmp/nompl/stability.json" ] && grep -q "matplotlib is not available" "$tmp/nompl/stability.md" \
    && ok "JSON and summary still written" || bad "outputs missing without matplotlib"
fi

# 4. plugin kernels join the sweep; the example plugin's wrong kernel (binary32 max subtraction, exp
#    clamped to FLT_MIN) exceeds its bound and never lets a tail go subnormal or to 0
if [ -n "${EXAMPLE_PLUGIN:-}" ]; then
  expect 1 "a wrong plugin kernel fails the sweep" $E "$bin" --plugin "$EXAMPLE_PLUGIN" stability $T --no-plots \
    --kernel softmax_example_clamped_scalar --kernel softmax_example_twopass_scalar --out "$tmp/plugin"
  contains "a contract kernel exceeded its bound" "says a kernel failed"
  md="$tmp/plugin/stability.md"
  grep -q '`softmax_example_twopass_scalar` | 1 | 0 |' "$md" && ok "the correct plugin kernel is within 0 ulp" || bad "twopass row"
  grep -q 'softmax_example_clamped_scalar` f32 tail_zero, thresholds block, sink first, n = 64: theory 103.9721, observed nan' "$md" \
    && ok "the clamped kernel's tail never reaches 0" || bad "clamped tail_zero disagreement not reported"
fi

# 5. usage and runtime errors
expect 2 "unknown kernel" $E "$bin" stability --kernel nope --out "$tmp/x"; contains "no kernel named 'nope'" "names the kernel"
expect 2 "bad seed" $E "$bin" stability --seed abc;   contains "not a non-negative integer" "explains the seed"
expect 2 "unknown option" $E "$bin" stability --frob; contains "unknown option '--frob'" "names the option"
expect 2 "unknown block" $E "$bin" stability --block nope; contains "no block named 'nope'" "names the block"
expect 2 "unknown --block=" $E "$bin" stability --block=nope; contains "no block named 'nope'" "names the block given with ="
expect 2 "unknown --kernel=" $E "$bin" stability --kernel=nope --out "$tmp/x"; contains "no kernel named 'nope'" "names the kernel given with ="
expect 2 "missing value" $E "$bin" stability --out; contains "--out needs a value" "names the option"
expect 2 "a flag given a value" $E "$bin" stability --no-plots=1; contains "--no-plots takes no value" "says so"
expect 2 "stray argument" $E "$bin" stability quick; contains "unexpected argument 'quick'" "names it"
expect 3 "unwritable folder" $E "$bin" stability $T --no-plots --out /proc/sinkbench-nope
contains "cannot create" "explains the folder"
expect 0 "help" $E "$bin" stability --help; contains "usage: sinkbench stability" "help text"

[ "$fails" -eq 0 ] && echo "test_stability_cli: all passed" || echo "test_stability_cli: $fails failures"
[ "$fails" -eq 0 ]
