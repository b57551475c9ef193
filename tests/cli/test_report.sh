#!/bin/sh
# The main job end to end: every part lands, a failing part is reported as missing while the rest
# still lands, options are checked. The bench fixture has every shape the speed tables need
# (io/bench_schema.h); a second one lacking some must make the report say so as an error and exit 3.
# usage: test_report.sh <sinkbench> <bench fixture JSON> <scratch dir> <fixture lacking report shapes>
set -u
bin="$1"; fixture="$2"; tmp="$3"; partial_fixture="$4"
. "$(dirname "$0")/expect.sh"
rm -rf "$tmp"; mkdir -p "$tmp"
# Plots are tested with the studies; here they are skipped to keep the test short.
export SINKBENCH_PYTHON=/nonexistent/python3
# A stand-in for sinkbench-bench that writes a known result file where it is told to.
cat > "$tmp/fake-bench" <<EOS
#!/bin/sh
while [ \$# -gt 0 ]; do [ "\$1" = --out ] && cp "$fixture" "\$2"; shift; done
EOS
chmod +x "$tmp/fake-bench"

SINKBENCH_BENCH="$tmp/fake-bench" expect 0 "report, every part" env SINKBENCH_BENCH="$tmp/fake-bench" "$bin" report --no-peers --out "$tmp/full"
contains "$tmp/full/index.md" "prints where the index is"
for f in index.md info.json check.json outputs.bin stability/stability.json stability/stability.md perturb/perturb.json \
         perturb/perturb.md emerge/emerge.json emerge/emerge.md bench.json; do
  if [ -s "$tmp/full/$f" ]; then echo "ok: wrote $f"; else echo "FAIL: $f missing"; fails=$((fails + 1)); fi
done
LAST=$(cat "$tmp/full/index.md")
contains "## Contract check" "index has the contract check"
contains "softmax_reference_f64" "index names the kernels"
contains "| \`attention_reference_f64\` |" "index has the attention contract check"
contains "## Stability of sink-dominated rows" "index has the stability study"
contains "## Perturbation through stacked attention layers" "index has the perturbation study"
contains "reproduced" "index states measured trends"
contains "## Sinks that emerge in training" "index has the emerge study"
contains "sink formed" "index says whether a sink formed"
contains "## Speed, side by side with the peers" "index has the benchmarks"
contains "| \`sb_softmax_f32\` |" "benchmark table from bench.json"
contains "| \`peer_onednn_batch\` | " "batched table with a peer"
contains "**Thread scaling**" "thread-scaling table"
contains "Per-call time of \`sb_softmax_batch\` on one 8-entry row, 1 thread: 50.0 ns" "per-call time"
for shape in n:4096/gap:15/rows:1 n:1048576/gap:15/rows:1 n:67108864/gap:15/rows:1; do
  contains "**$shape** (ours:" "speed table for $shape"
done
case "$LAST" in *"**error**"*) echo "FAIL: no shape should be missing"; fails=$((fails + 1));; *) echo "ok: no shape missing";; esac
case "$LAST" in *"Missing parts"*) echo "FAIL: nothing should be missing"; fails=$((fails + 1));; *) echo "ok: nothing missing";; esac
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1])); json.load(open(sys.argv[2]))' \
    "$tmp/full/info.json" "$tmp/full/check.json" && echo "ok: JSON parts parse" || { echo "FAIL: JSON parts"; fails=$((fails + 1)); }
fi

# bench.json without two of the shapes the speed tables need: an error in index.md and exit 3.
cat > "$tmp/fake-bench-partial" <<EOS
#!/bin/sh
while [ \$# -gt 0 ]; do [ "\$1" = --out ] && cp "$partial_fixture" "\$2"; shift; done
EOS
chmod +x "$tmp/fake-bench-partial"
expect 3 "report whose bench.json lacks shapes" env SINKBENCH_BENCH="$tmp/fake-bench-partial" "$bin" report --no-peers --out "$tmp/shapes"
contains "bench.json lacks 7 shape(s)" "says so on stderr (2 softmax shapes, the 5 batched ones)"
LAST=$(cat "$tmp/shapes/index.md" 2>/dev/null)
contains "**n:1048576/gap:15/rows:1**: **error**: bench.json has no \`softmax/sb_softmax_f32/n:1048576/gap:15/rows:1\`" "index shows the missing 1 M shape as an error"
contains "**n:67108864/gap:15/rows:1**: **error**" "and the missing 64 M shape"
contains "**Batched softmax**: **error**: bench.json has no \`batch/\` results" "and the missing batched shapes"
contains "**n:4096/gap:15/rows:1** (ours:" "the shape it has is still shown"

# A part that cannot be written (a file where its folder should go): missing, the rest lands, exit 3.
mkdir -p "$tmp/partial" && : > "$tmp/partial/stability"
expect 3 "report with an unwritable part" "$bin" report --no-peers --no-bench --out="$tmp/partial"
contains "stability is missing" "says which part is missing"
LAST=$(cat "$tmp/partial/index.md" 2>/dev/null)
contains "Missing parts" "index lists the missing part"
contains "- bench: skipped (--no-bench)" "index lists the skipped part"
contains "## Contract check" "the other parts still land"
[ -s "$tmp/partial/check.json" ] && echo "ok: check.json still written" || { echo "FAIL: check.json"; fails=$((fails + 1)); }

# Comparing report folders: machines, speed, accuracy, bit for bit.
expect 0 "compare two reports" "$bin" compare "$tmp/full" "$tmp/partial"
contains "## Machines" "compare lists the machines"
contains "## Accuracy" "compare has the accuracy table"
contains "| \`attention_flash_scalar\` |" "compare has the attention accuracy table"
contains "## Bit for bit" "compare has the bit-for-bit table"
contains "| B | \`softmax_reference_f64\` | scalar | 100.00 % | 0 |" "same build, same outputs, bit for bit"
contains "Speed needs two reports" "says why speed is not compared"
expect 2 "compare a folder and a file" "$bin" compare "$tmp/full" "$fixture"
mkdir -p "$tmp/not-a-report"
expect 3 "compare a folder that is not a report" "$bin" compare "$tmp/not-a-report"
contains "not a complete sinkbench report" "explains"

expect 2 "unknown option" "$bin" report --bogus; contains "unknown option '--bogus'" "names it"
expect 2 "bad seed" "$bin" report --seed x
expect 2 "bad --seed=" "$bin" report --seed=x; contains "--seed: 'x' is not a non-negative integer" "explains the seed"
expect 2 "--out without a value" "$bin" report --out; contains "--out needs a value" "names the option"
expect 2 "a flag given a value" "$bin" report --no-bench=yes; contains "--no-bench takes no value" "says so"
expect 2 "stray argument" "$bin" report somewhere; contains "unexpected argument 'somewhere'" "names it"
expect 0 "report --help" "$bin" report --help; contains "--no-bench" "documents the options"
[ "$fails" -eq 0 ] && echo "test_report: all passed" || echo "test_report: $fails failures"
[ "$fails" -eq 0 ]
