#!/bin/sh
# The main job: installs what is missing, builds the release tree and runs the default suite on this
# machine, writing a report under reports/. Options are passed to 'sinkbench report'.
# usage: scripts/report.sh [--out DIR] [--full] ...
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh >&2
cmake --preset release >/dev/null
cmake --build --preset release -j "${JOBS:-$(nproc)}" >&2
exec build/release/cli/sinkbench report "$@"
