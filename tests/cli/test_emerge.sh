#!/bin/sh
# `sinkbench emerge` and `sinkbench sinkmetric` end to end: usage errors (exit 2, the problem named),
# runtime errors (exit 3), a tiny study with its files, read-back of finished runs, a foreign checkpoint
# refused, the same numbers with 1 and 2 threads, and the .npy reader through the command.
# usage: test_emerge.sh <path to sinkbench>     env: EMULATOR
set -u
bin="$1"
E="${EMULATOR:-}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sinkbench-emerge.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/expect.sh"
echo "test_emerge: seeds 20261129 (study default) and 7 (below)"
py() { # py <description> <python code reading sys.argv[1:]> <files...>
  what="$1"; code="$2"; shift 2
  [ -x /usr/bin/python3 ] || { echo "skip: $what (no /usr/bin/python3)"; return; }
  if /usr/bin/python3 -c "$code" "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
tiny="--steps 30 --contexts 16 --width 16 --eval-every 10 --tokens-per-step 128 --quiet --no-plots --seed 7"

expect 0 "emerge --help" $E "$bin" emerge --help;  contains "usage: sinkbench emerge" "help text"
contains "--checkpoint-every" "documents the options"; contains "examples:" "help has examples"
expect 2 "unknown option" $E "$bin" emerge --bogus;  contains "unknown option '--bogus'" "names the option"
expect 2 "not a number" $E "$bin" emerge --steps ten;  contains "--steps" "names --steps"
expect 2 "short context" $E "$bin" emerge --contexts 3;  contains "context lengths must be" "explains --contexts"
expect 2 "bad list" $E "$bin" emerge --contexts 16,x;  contains "comma-separated" "explains the list"
expect 2 "unknown variant" $E "$bin" emerge --variants bos,bogus;  contains "unknown variant 'bogus'" "names the variant"
expect 2 "heads not dividing width" $E "$bin" emerge --heads 3;  contains "heads must" "explains --heads"
expect 2 "bad matmul" $E "$bin" emerge --matmul gpu;  contains "'own' or 'blas'" "explains --matmul"
expect 2 "quick and full" $E "$bin" emerge --quick --full;  contains "exclude each other" "says why"
expect 2 "missing value" $E "$bin" emerge --out;  contains "needs a value" "says a value is missing"
expect 2 "stray argument" $E "$bin" emerge stray;  contains "unexpected argument 'stray'" "names it"
expect 3 "unwritable output" $E "$bin" emerge $tiny --out /proc/sinkbench-no/such;  contains "cannot create" "names the problem"

expect 0 "tiny study" $E "$bin" emerge $tiny --variants bos,learned --out "$tmp/a"
contains "$tmp/a/emerge.md" "prints the page's path"
contains "sink formed" "says whether a sink formed"
for f in emerge.json emerge.md runs/bb-bos-T16-L1-s0.json runs/bb-learned-T16-L1-s0.json; do
  [ -s "$tmp/a/$f" ] && echo "ok: wrote $f" || { echo "FAIL: $f missing"; fails=$((fails + 1)); }
done
[ -z "$(ls "$tmp/a/checkpoints")" ] && echo "ok: checkpoints removed after the runs" || { echo "FAIL: checkpoints left"; fails=$((fails + 1)); }
py "emerge.json has both runs, logs, probes and cells" '
import json, sys
d = json.load(open(sys.argv[1]))
assert [r["variant"] for r in d["runs"]] == ["bos", "learned"], [r["variant"] for r in d["runs"]]
for r in d["runs"]:
    assert r["log"]["step"] == [0, 10, 20, 30], r["log"]["step"]
    p = r["probe"]
    assert len(p["drift"]["trained"]) == 2 and len(p["sensitivity"]["removed"]) == 16
    assert p["kernels"] and all(k["error"][-1] < 0.05 for k in p["kernels"])
assert len(d["cells"]) == 2 and d["cells"][0]["sink_rate_03"]["n"] == 1
' "$tmp/a/emerge.json"
grep -q "## The sink removed at inference" "$tmp/a/emerge.md" && echo "ok: the page has the removal table" || { echo "FAIL: page"; fails=$((fails + 1)); }

# Finished runs are read back, not trained again.
cp "$tmp/a/runs/bb-bos-T16-L1-s0.json" "$tmp/bos-before.json"
expect 0 "the same study again" $E "$bin" emerge $tiny --variants bos,learned --out "$tmp/a"
cmp -s "$tmp/a/runs/bb-bos-T16-L1-s0.json" "$tmp/bos-before.json" && echo "ok: a finished run is read back" || { echo "FAIL: run retrained"; fails=$((fails + 1)); }
# Without runs/, the runs are read back from emerge.json (a committed sample keeps only that).
cp "$tmp/a/emerge.json" "$tmp/emerge-before.json"
rm -rf "$tmp/a/runs"
expect 0 "the study with runs/ deleted" $E "$bin" emerge $tiny --variants bos,learned --out "$tmp/a"
py "runs read back from emerge.json, not retrained" '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert [r["log"] for r in a["runs"]] == [r["log"] for r in b["runs"]]
assert [r["wall_seconds"] for r in a["runs"]] == [r["wall_seconds"] for r in b["runs"]], "retrained"
' "$tmp/emerge-before.json" "$tmp/a/emerge.json"
# Other settings train again.
expect 0 "another seed" $E "$bin" emerge $tiny --variants bos --seed 8 --out "$tmp/a"
cmp -s "$tmp/a/runs/bb-bos-T16-L1-s0.json" "$tmp/bos-before.json" && { echo "FAIL: another seed read back"; fails=$((fails + 1)); } || echo "ok: other settings train again"

# A foreign file where a run's checkpoint belongs is refused, never overwritten.
mkdir -p "$tmp/b/checkpoints"
echo "not a checkpoint" > "$tmp/b/checkpoints/bb-bos-T16-L1-s0.ckpt"
expect 3 "foreign checkpoint" $E "$bin" emerge $tiny --variants bos --out "$tmp/b"
contains "not an emerge checkpoint" "says what is wrong"
grep -q "not a checkpoint" "$tmp/b/checkpoints/bb-bos-T16-L1-s0.ckpt" && echo "ok: left untouched" || { echo "FAIL: overwritten"; fails=$((fails + 1)); }

# The thread count does not change the numbers.
expect 0 "1 thread" $E "$bin" emerge $tiny --variants gate --threads 1 --out "$tmp/t1"
expect 0 "2 threads" $E "$bin" emerge $tiny --variants gate --threads 2 --out "$tmp/t2"
py "1 and 2 threads: the same logs and probes" '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for k in ("log", "final", "probe"):
    assert a[k] == b[k], k
' "$tmp/t1/runs/bb-gate-T16-L1-s0.json" "$tmp/t2/runs/bb-gate-T16-L1-s0.json"

# sinkmetric
expect 0 "sinkmetric --help" $E "$bin" sinkmetric --help;  contains "usage: sinkbench sinkmetric" "help text"
expect 2 "sinkmetric without a file" $E "$bin" sinkmetric;  contains "give the .npy file" "says what is missing"
expect 2 "sinkmetric two files" $E "$bin" sinkmetric a.npy b.npy;  contains "unexpected argument" "one file at a time"
expect 2 "sinkmetric bad window" $E "$bin" sinkmetric --window 1 x.npy;  contains "--window" "names the option"
expect 3 "sinkmetric missing file" $E "$bin" sinkmetric "$tmp/none.npy";  contains "cannot read" "says why"
printf 'hello' > "$tmp/junk.npy"
expect 3 "sinkmetric not an npy" $E "$bin" sinkmetric "$tmp/junk.npy";  contains "not an .npy file" "says why"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  /usr/bin/python3 - "$tmp" <<'PY'
import sys, numpy as np
d = sys.argv[1]
L, H, T = 2, 3, 80
a = np.zeros((L, H, T, T), dtype=np.float32)
for t in range(T):
    if t == 0:
        a[:, :, 0, 0] = 1
    else:
        a[:, :, t, 0] = 0.9
        a[:, :, t, 1:t + 1] = 0.1 / t
a[1, 2, 1:, 0] = 0.2          # one head without a sink
a[1, 2, 1:, 1:] *= 8
for t in range(1, T):
    a[1, 2, t, t + 1:] = 0
np.save(d + "/sink.npy", a)
np.save(d + "/sink64.npy", a.astype(np.float64))
b = a.copy(); b[0, 0, 5, 7] = 0.5; np.save(d + "/noncausal.npy", b)
c = a.copy(); c[0, 1, 3, 1] = np.nan; np.save(d + "/nan.npy", c)
np.save(d + "/shape.npy", a[0])
np.save(d + "/fortran.npy", np.asfortranarray(a))
PY
  expect 0 "sinkmetric float32" $E "$bin" sinkmetric "$tmp/sink.npy"
  contains "eps 0.3:  83.33 %" "5 of 6 heads over 0.3"
  expect 0 "sinkmetric float64 as JSON" $E "$bin" sinkmetric --json --window 32 "$tmp/sink64.npy"
  echo "$LAST" > "$tmp/metric.json"
  py "sinkmetric JSON parses" 'import json, sys; d = json.load(open(sys.argv[1])); assert d["window"] == 32 and abs(d["row0_not_counted"]["sink_rate_03"] - 5/6) < 1e-9' "$tmp/metric.json"
  expect 3 "sinkmetric non-causal" $E "$bin" sinkmetric "$tmp/noncausal.npy";  contains "above the diagonal" "says why"
  expect 3 "sinkmetric NaN" $E "$bin" sinkmetric "$tmp/nan.npy";  contains "finite" "says why"
  expect 3 "sinkmetric wrong shape" $E "$bin" sinkmetric "$tmp/shape.npy";  contains "is not [layers, heads, T, T]" "says why"
  expect 3 "sinkmetric Fortran order" $E "$bin" sinkmetric "$tmp/fortran.npy";  contains "Fortran order" "says why"
  expect 2 "sinkmetric window too long" $E "$bin" sinkmetric --window 100 "$tmp/sink.npy";  contains "longer than the maps" "says why"
else
  echo "skip: sinkmetric on numpy-written files (no numpy for /usr/bin/python3)"
fi

[ "$fails" -eq 0 ] && echo "test_emerge: all passed" || echo "test_emerge: $fails failures"
[ "$fails" -eq 0 ]
