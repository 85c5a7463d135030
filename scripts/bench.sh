#!/usr/bin/env bash
# The README's main command: setup, build, then bench_all with any options given
# (e.g. scripts/bench.sh --quick). Tables and charts go to a new results/<date>-<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec build/bench_all "$@"
