#!/bin/sh
# sinkbench compare on synthetic reports with known answers (data/): ratios of medians, exact
# Mann-Whitney p-values (checked against a brute-force enumeration of the rank sums), time units,
# skipped runs, the side-by-side table of one file, and bad input (exit 2 for usage, 3 for files).
# Also two real, complete reports that both have benchmarks (the committed sample, copied twice), and
# two benchmark files of the same name in different folders: the legend must name each file by its
# path (the labels once pointed into freed stack memory; the ASan build runs this too).
# usage: test_compare.sh <sinkbench> <data dir> <scratch dir> <sample report dir>
#        (EMULATOR: e.g. qemu for cross builds)
set -u
bin="$1"; data="$2"; tmp="$3"; sample="$4"
E="${EMULATOR:-}"
. "$(dirname "$0")/../../tests/cli/expect.sh" # expect, contains, fails
line_has() { # line_has <line pattern> <text> <description>: a line matching the pattern contains the text
  l=$(printf '%s\n' "$LAST" | grep -F -- "$1" | head -1)
  case "$l" in *"$2"*) echo "ok: $3";; *) echo "FAIL: $3: line '$l' lacks '$2'"; fails=$((fails + 1));; esac
}
OURS="softmax/sb_softmax_f32/n:4096/gap:15/rows:1"
PEER="softmax/peer_x/n:4096/gap:15/rows:1"

# A: ours 1..5 ns, peer 6..10; B: ours 6..10, peer 6..10; C: ours 4, 5, 6 ns written in us.
expect 0 "two files" $E "$bin" compare "$data/a.json" "$data/b.json"
contains "A = $data/a.json" "legend names file A"
contains "Test CPU beta" "legend shows B's CPU"
line_has "$OURS" "2.667" "ratio of medians 8/3"
line_has "$OURS" "0.00794*" "exact two-sided p = 2/252, significant"
line_has "$PEER" "1.000" "equal samples: ratio 1"
line_has "$PEER" " 1 " "equal samples: p = 1, not significant"
line_has "softmax_x_avx512" "skipped" "a skipped run is shown as skipped"
line_has "bandwidth/copy" "missing" "a run absent from B is shown missing"
contains "geometric mean ratio 1.633 over 2 benchmarks in both, 1 significant" "geometric mean of 8/3 and 1"

expect 0 "three files, time units" $E "$bin" compare "$data/a.json" "$data/b.json" "$data/c.json"
line_has "$OURS" "1.667" "C in microseconds: median 5 ns / 3 ns"
line_has "$OURS" "0.179" "p with ties (a = 1..5, c = 4, 5, 6): 0.1786"

expect 0 "one file: side by side" $E "$bin" compare "$data/a.json"
line_has "n:4096/gap:15/rows:1" "2.67" "peer-ratio summary: peer_x / ours = 8/3"
line_has "peer_x" "2.67" "peer's time relative to sb_softmax_f32 (8/3)"
line_has "peer_x" "50.0%" "peer's roofline fraction"
line_has "  sb_softmax_f32 " "dispatch" "role from the label"
line_has "bandwidth/copy/n:4096/rows:1" "200.0" "bandwidth in GB/s"
line_has "softmax_x_avx512" "lacks AVX-512" "skip reason listed"

expect 0 "filter" $E "$bin" compare --filter peer_x "$data/a.json" "$data/b.json"
case "$LAST" in *sb_softmax_f32/n*) echo "FAIL: filter kept sb_softmax_f32"; fails=$((fails + 1));; *) echo "ok: filter drops others";; esac
expect 0 "--filter=TEXT, files before and after options" $E "$bin" compare "$data/a.json" --filter=peer_x "$data/b.json"
case "$LAST" in *sb_softmax_f32/n*) echo "FAIL: --filter= kept sb_softmax_f32"; fails=$((fails + 1));; *) echo "ok: --filter= drops others";; esac
contains "A = $data/a.json" "the files keep their order around the options"
line_has "$PEER" "1.000" "and the numbers are still a/b's"
expect 0 "files after --" $E "$bin" compare --metric=cpu_time -- "$data/a.json" "$data/b.json"
line_has "$OURS" "2.667" "files after '--' are read"

expect 0 "--json" $E "$bin" compare --json "$data/a.json" "$data/b.json"
if [ -x /usr/bin/python3 ]; then
  printf '%s' "$LAST" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
b = {x["name"]: x for x in d["benchmarks"]}
o = b["softmax/sb_softmax_f32/n:4096/gap:15/rows:1"]["against_A"][0]
assert abs(o["ratio"] - 8 / 3) < 1e-12 and abs(o["p"] - 2 / 252) < 1e-12 and o["significant"], o
assert b["softmax/peer_x/n:4096/gap:15/rows:1"]["against_A"][0]["p"] == 1.0
assert abs(d["geomean_ratio"][0] - (8 / 3) ** 0.5) < 1e-12
' && echo "ok: --json values exact" || { echo "FAIL: --json values"; fails=$((fails + 1)); }
fi

# Two complete reports, both with benchmarks: every label names its own file.
rm -rf "$tmp/reports"; mkdir -p "$tmp/reports"
cp -r "$sample" "$tmp/reports/first"; cp -r "$sample" "$tmp/reports/second"
expect 0 "two complete reports" $E "$bin" compare "$tmp/reports/first" "$tmp/reports/second"
contains "A = $tmp/reports/first/bench.json" "label A names the first report's bench.json"
contains "B = $tmp/reports/second/bench.json" "label B names the second report's bench.json"
contains "| A | \`$tmp/reports/first\`" "machine table names report A"
contains "| B | \`$tmp/reports/second\`" "machine table names report B"
# Two folders of benchmark JSON whose files share a name.
mkdir -p "$tmp/reports/x" "$tmp/reports/y"
cp "$data/a.json" "$tmp/reports/x/bench.json"; cp "$data/b.json" "$tmp/reports/y/bench.json"
expect 0 "same file name in two folders" $E "$bin" compare "$tmp/reports/x/bench.json" "$tmp/reports/y/bench.json"
contains "A = $tmp/reports/x/bench.json" "label A names folder x"
contains "B = $tmp/reports/y/bench.json" "label B names folder y"
line_has "$OURS" "2.667" "and the numbers are still a/b's"

# Bad input: usage errors exit 2, unreadable or foreign files exit 3, each with a message naming it.
expect 2 "no files" $E "$bin" compare;                       contains "give one or more" "says what is missing"
expect 2 "unknown option" $E "$bin" compare --bogus x.json;  contains "unknown option '--bogus'" "names the option"
expect 2 "bad alpha" $E "$bin" compare --alpha 2 "$data/a.json"; contains "--alpha must be" "explains --alpha"
expect 2 "bad metric" $E "$bin" compare --metric wall "$data/a.json"; contains "cpu_time or real_time" "explains --metric"
expect 2 "bad --alpha=" $E "$bin" compare --alpha=x "$data/a.json"; contains "--alpha must be a number between 0 and 1, not 'x'" "explains --alpha=x"
expect 2 "bad --metric=" $E "$bin" compare --metric=wall "$data/a.json"; contains "cpu_time or real_time, not 'wall'" "explains --metric=wall"
expect 2 "--metric without a value" $E "$bin" compare "$data/a.json" --metric; contains "--metric needs a value" "names the option"
expect 2 "a flag given a value" $E "$bin" compare --json=yes "$data/a.json"; contains "--json takes no value" "says so"
expect 3 "missing file" $E "$bin" compare "$tmp/does-not-exist.json"; contains "does-not-exist.json" "names the file"
# The file ends inside the string "max_ (line 141, 8 bytes): json-c stops where the input ends.
expect 3 "truncated JSON" $E "$bin" compare "$data/truncated.json"; contains "truncated.json: line 141, column 9: unexpected end of data" "position of the error"
expect 3 "not a benchmark report" $E "$bin" compare "$data/notbench.json"; contains "not a Google Benchmark JSON report" "explains"
expect 3 "no results" $E "$bin" compare "$data/empty.json"; contains "no benchmark results" "explains"
expect 3 "bad second file" $E "$bin" compare "$data/a.json" "$data/notbench.json"; contains "notbench.json" "names the bad file"
expect 0 "compare --help" $E "$bin" compare --help; contains "Mann-Whitney" "help explains the test"

# The batched tables of one file (compare_batch.c; data/batch.json: per shape ours at 1.5x the copy time
# with 1 thread and 1.2x with 2, the peer at 1.3x ours): times, ratios, roofline shares, the thread
# scaling, the per-call line; in JSON the "batch" array.
expect 0 "batched tables" $E "$bin" compare "$data/batch.json"
line_has "| \`peer_onednn_batch\` | 545.3 us" "| 1.30 | 327.2 us | 1.30 | 37 | 51 % | 64 % |" "decode 32 K: the peer's times, ratios to ours, roofline shares"
line_has "| \`sb_softmax_batch\` | 419.4 us" "| 1.00 | 251.7 us | 1.00 | 1 | 67 % | 83 % |" "decode 32 K: ours"
contains "| [32 x 1 x 32768] | 419.4 us | 251.7 us | 1.67 | 1.33 |" "thread scaling of ours and of the copy"
contains "Per-call time of \`sb_softmax_batch\` on one 8-entry row, 1 thread: 50.0 ns" "per-call time"
expect 0 "batched tables as JSON" $E "$bin" compare --json "$data/batch.json"
contains '"kernel": "peer_onednn_batch"' "the batch array names the peer"
contains '"ratio_2": 1.3' "and its ratio at 2 threads"

[ "$fails" -eq 0 ] && echo "test_compare: all passed" || echo "test_compare: $fails failures"
[ "$fails" -eq 0 ]
