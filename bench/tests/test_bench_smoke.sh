#!/bin/sh
# Every benchmark of a preset once with a tiny minimum time: the binary runs, writes a complete
# report, every listed benchmark is in it, only CPU-support skips (and attention kernels over the
# preset's per-call cap) happen, every softmax and attention result carries its accuracy and roofline
# counters, and `sinkbench compare` reads the report back, attention tables included.
# usage: test_bench_smoke.sh <sinkbench-bench> <sinkbench> <scratch dir> <bench options...>
set -u
bench="$1"; cli="$2"; dir="$3"; shift 3
mkdir -p "$dir"
out="$dir/smoke.json"
fail() { echo "FAIL: $*"; exit 1; }
rm -f "$out"
"$bench" "$@" --out "$out" > "$dir/smoke.log" 2>&1; rc=$?
tail -5 "$dir/smoke.log"
[ "$rc" -eq 0 ] || { cat "$dir/smoke.log" | tail -40; fail "sinkbench-bench exited $rc"; }
[ -s "$out" ] || fail "no report at $out"
ls "$dir" | grep -q 'smoke.json.tmp' && fail "a temporary file was left behind"
listed=$("$bench" "$@" --list | grep -c /)
ran=$(grep -c '"run_name":' "$out")
[ "$listed" -gt 0 ] && [ "$ran" -eq "$listed" ] || fail "$listed benchmarks listed, $ran in the report"
echo "ok: all $listed benchmarks ran"
bad=$(grep '"error_message":' "$out" | grep -v -e 'this CPU lacks' -e 'emulated by SIMDe' -e 'too slow for this preset')
[ -z "$bad" ] || fail "unexpected skips: $bad"
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 - "$out" <<'PY' || fail "report content"
import json, math, sys
d = json.load(open(sys.argv[1]))
ctx = d["context"]
for key in ("sinkbench_version", "cpu_model", "dispatch_isa", "google_benchmark_version", "peers", "bytes_per_element"):
    assert ctx.get(key), "context lacks " + key
runs = [b for b in d["benchmarks"] if not b.get("error_occurred")]
soft = [b for b in runs if b["name"].startswith("softmax/")]
assert soft, "no softmax results"
for b in soft:
    for c in ("max_ulp", "roofline", "ns_per_row", "items_per_second"):
        assert c in b, b["name"] + " lacks " + c
    assert b["roofline"] > 0 and b["ns_per_row"] > 0, b["name"]
    assert "role=" in b["label"], b["name"]
refs = [b for b in soft if "/softmax_reference_f64/" in b["name"]]
assert refs and all(b["max_ulp"] <= 1 for b in refs), "the f64 reference must be within 1 ulp"
assert any(b["name"].startswith("bandwidth/copy/") and b["bytes_per_second"] > 0 for b in runs)
print("ok: context, counters and reference accuracy")
# attention: decode and prefill of sb_attention at least, with their counters; decode's roofline
# uses a bandwidth/read run of the same working set in this report; prefill's the FMA peak
att = [b for b in runs if b["name"].startswith("attention/")]
kinds = {b["name"].split("/")[1] for b in att}
assert {"decode", "prefill"} <= kinds, "attention decode and prefill missing: %s" % sorted(kinds)
assert any(b["name"].startswith("attention/decode/sb_attention/") for b in att), "no sb_attention decode"
reads = {b["name"] for b in runs if b["name"].startswith("bandwidth/read/")}
for b in att:
    for c in ("GFLOPs", "GFLOP_per_call", "fma_peak_frac", "fma_peak_GFLOPs", "B_per_key", "KV_MB",
              "max_err_u", "err_of_bound", "checked_rows", "contract_ok"):
        assert c in b, b["name"] + " lacks " + c
    assert b["GFLOPs"] > 0 and b["fma_peak_frac"] > 0 and b["checked_rows"] > 0, b["name"]
    assert "role=" in b["label"] and "kv=" in b["label"], b["name"]
    if "role=kernel" in b["label"] or "role=dispatch" in b["label"]:
        assert b["contract_ok"] == 1 and b["err_of_bound"] <= 1, b["name"] + " breaks its error bound"
    if b["name"].split("/")[1] in ("decode", "threads"):
        for c in ("roofline", "GBps", "bw_read_GBps"):
            assert c in b and b[c] > 0, b["name"] + " lacks " + c
        n = round(b["KV_MB"] * 1e6 / 8)   # floats of K (and of V): the bench buffers' x and y
        assert "bandwidth/read/n:%d/rows:1" % n in reads, b["name"] + ": no bandwidth/read of its working set"
    bpk = 2 * int(b["name"].split("/d:")[1].split("/")[0]) * (4 if "/kv:f32/" in b["name"] else 2)
    assert b["B_per_key"] == bpk, b["name"] + " B_per_key"
assert any(b["name"].startswith("fma_peak/") and b["GFLOPs"] > 0 for b in runs), "no fma_peak result"
print("ok: %d attention results with their counters" % len(att))
# batched softmax: sb_softmax_batch at 1 and 2 threads on every shape, each with its copy roofline of
# the same shape and thread count, within 2 ulp
bat = [b for b in runs if b["name"].startswith("batch/")]
api = [b for b in bat if b["name"].startswith("batch/sb_softmax_batch/")]
assert api, "no batched results"
shapes = {b["name"].split("/", 2)[2] for b in api}
copies = {b["name"].split("/", 2)[2] for b in bat if b["name"].startswith("batch/copy/")}
assert shapes <= copies, "batched shapes without their copy roofline: %s" % sorted(shapes - copies)
assert {"threads:1", "threads:2"} <= {s.split("/")[-2] for s in shapes}, "batch thread counts"
for b in api:
    for c in ("ns_per_call", "roofline_copy", "bw_copy_GBps", "threads"):
        assert c in b, b["name"] + " lacks " + c
    assert b["ns_per_call"] > 0 and b["roofline_copy"] > 0, b["name"]
    n = int(b["name"].split("/n:")[1].split("/")[0])
    assert "max_ulp" in b or n > 1048576, b["name"] + " lacks max_ulp"   # rows past 1 M: not checked
    assert b.get("max_ulp", 0) <= 2, b["name"] + " above 2 ulp"
    assert "role=dispatch" in b["label"] and "kernel=softmax_batch_" in b["label"], b["name"]
print("ok: %d batched results, %d shapes with their rooflines" % (len(bat), len(shapes)))
PY
fi
${EMULATOR:-} "$cli" compare "$out" > "$dir/smoke-compare.txt" 2>&1 || fail "compare cannot read the report"
grep -q "sb_softmax_f32" "$dir/smoke-compare.txt" || fail "compare's table lacks sb_softmax_f32"
grep -q "^attention ratios" "$dir/smoke-compare.txt" && grep -q "bf16 time / f32 time" "$dir/smoke-compare.txt" \
  && grep -q "^  sb_attention " "$dir/smoke-compare.txt" || fail "compare's attention tables are missing"
echo "ok: compare reads the report"
# The driver's own errors: usage 2, runtime 3, each with a message.
"$bench" --help | grep -q "presets:" || fail "--help lacks the presets"
for bad in "--bogus" "--seed abc" "--repetitions 0" "--min-time x" "--min-time 0" "--attention-cap 0" "--out" \
           "--seed=abc" "--repetitions=1001" "--max-n=x" "--list=yes" "stray"; do
  "$bench" $bad > "$dir/err.txt" 2>&1; rc=$?
  [ "$rc" -eq 2 ] && [ -s "$dir/err.txt" ] || fail "'$bad' exited $rc (want 2 with a message)"
done
# each message names the option and the problem
for pair in "--bogus=1|unknown option '--bogus'" "--out|--out needs a value" "--list=yes|--list takes no value" \
            "--seed=abc|--seed needs a non-negative integer" "stray|unexpected argument 'stray'"; do
  "$bench" ${pair%%|*} > "$dir/err.txt" 2>&1
  grep -qF -- "${pair#*|}" "$dir/err.txt" || fail "'${pair%%|*}': message lacks '${pair#*|}': $(cat "$dir/err.txt")"
done
"$bench" --bogus --help | grep -q "presets:" || fail "--help after a bad option does not show the usage"
# Google Benchmark's own options after '--' reach it unchanged
"$bench" --no-peers --list -- --benchmark_filter='^bandwidth/read/' > "$dir/pass.txt" 2>/dev/null ||
  fail "--list -- --benchmark_filter=... failed"
[ -s "$dir/pass.txt" ] && ! grep -qv '^bandwidth/read/' "$dir/pass.txt" || fail "the filter after '--' did not reach Google Benchmark"
"$bench" --plugin /nonexistent.so --list > "$dir/err.txt" 2>&1; rc=$?
[ "$rc" -eq 3 ] && grep -q "cannot load plugin" "$dir/err.txt" || fail "a missing plugin exited $rc (want 3)"
echo "ok: usage and runtime errors"
echo "test_bench_smoke: passed"
