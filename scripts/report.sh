#!/bin/sh
# The main job: installs what is missing, builds the release tree and runs the default suite on this
# machine, writing a report under reports/. Options are passed to 'sinkbench report'. Each phase's
# time goes to stderr. usage: scripts/report.sh [--out DIR] [--full] ...
set -eu
cd "$(dirname "$0")/.."
t0=$(date +%s)
scripts/install-deps.sh >&2
t1=$(date +%s)
cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" >&2
t2=$(date +%s)
echo "report.sh: packages $((t1 - t0)) s, build $((t2 - t1)) s; running the suite" >&2
build/release/cli/sinkbench report "$@" || rc=$?
echo "report.sh: suite $(( $(date +%s) - t2 )) s" >&2
exit "${rc:-0}"
