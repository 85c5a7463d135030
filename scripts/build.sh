#!/usr/bin/env bash
# Configures and builds into build/ (Release, -O3 -march=native; extra CMake options pass
# through). Warnings are errors when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."
werror=OFF
[ -n "${CI:-}" ] && werror=ON
cmake -S . -B build -DMLP_WERROR="$werror" "$@" >/dev/null
cmake --build build -j "$(nproc)"
