#!/usr/bin/env bash
# Fuzzes the IDX parser (tests/fuzz_idx.c) with libFuzzer under ASan and UBSan for a bounded
# time: `scripts/fuzz.sh [SECONDS]`, 60 by default. Exits non-zero on any crash, leak, sanitizer
# report, or an allocation over 16 MB (a 4 KB input justifies at most 16 KB of floats), and
# prints a one-line summary. The binary, and any crashing input, land in build-fuzz/; the seed
# corpus is generated here, so no binary files live in the repository. Needs Debian's clang and
# libclang-rt-14-dev.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! command -v clang >/dev/null; then
  echo "fuzz.sh: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi

out=build-fuzz
mkdir -p "$out"
clang -std=c17 -g -O1 -Wall -Wextra -Wpedantic -Werror -Iinclude \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  tests/fuzz_idx.c src/idx.c src/util.c -lz -o "$out/fuzz_idx"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/seeds"
# Seeds: a valid image file and label file, and broken ones near them.
be32() { printf "$(printf '\\%03o' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) \
  $(($1 & 255)))"; }
pixels() { head -c "$1" /dev/zero | tr '\0' '\063'; }
{ be32 0x803; be32 1; be32 28; be32 28; pixels 784; } >"$work/seeds/images"
{ be32 0x801; be32 3; printf '\000\005\011'; } >"$work/seeds/labels"
{ be32 0x803; be32 2; be32 28; be32 28; pixels 784; } >"$work/seeds/truncated"
{ be32 0x803; be32 1; be32 32; be32 32; } >"$work/seeds/size32"
{ be32 0x801; be32 2; printf '\001\014'; } >"$work/seeds/label12"
{ be32 0x803; printf '\000\000'; } >"$work/seeds/short"

status=0
"$out/fuzz_idx" -max_total_time="$seconds" -max_len=4096 -timeout=10 -malloc_limit_mb=16 \
  -print_final_stats=1 -artifact_prefix="$out/" "$work/corpus" "$work/seeds" \
  >"$work/log" 2>&1 || status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
line=$(grep -E '^#[0-9]+' "$work/log" | tail -n 1 || true)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$line")
if [ "$status" -ne 0 ]; then
  tail -n 40 "$work/log" >&2
  echo "fuzz.sh: FAILED (exit $status) after ${runs:-?} runs; input in $out/" >&2
  exit 1
fi
echo "fuzz.sh: ${runs} runs in ${seconds} s, coverage ${cov} edges, ${ft} features," \
  "corpus ${corp} inputs: no crash, leak or sanitizer report"
