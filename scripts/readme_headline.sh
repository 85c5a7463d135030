#!/usr/bin/env bash
# Regenerates README.md's headline from a bench_all run (default: the committed reference run,
# results/reference): the table of its headline.md and its charts, between the two headline
# markers of README.md. Run it after committing a new reference run.
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:-results/reference}
if [ ! -f "$run/headline.md" ]; then
  echo "readme_headline.sh: $run/headline.md not found: run bench_all --out $run first" >&2
  exit 1
fi
begin='<!-- headline: written by scripts/readme_headline.sh from'
end='<!-- /headline -->'
if ! grep -q "^$begin" README.md || ! grep -q "^$end" README.md; then
  echo "readme_headline.sh: README.md lacks the headline markers" >&2
  exit 1
fi
block=$(mktemp)
trap 'rm -f "$block"' EXIT
{
  echo "$begin $run/headline.md -->"
  cat "$run/headline.md"
  echo
  echo "Full report: [$run/REPORT.md]($run/REPORT.md)."
  echo
  echo "![training time for the blog's 10,000 iterations]($run/hours_vs_seconds.png)"
  echo
  echo "![backprop's speedup against threads]($run/threads_backprop.png)"
  echo "$end"
} >"$block"
awk -v begin="$begin" -v end="$end" -v block="$block" '
  index($0, begin) == 1 { while ((getline line < block) > 0) print line; skip = 1; next }
  index($0, end) == 1 { skip = 0; next }
  !skip { print }
' README.md >README.md.new
mv README.md.new README.md
echo "readme_headline.sh: README.md's headline now shows $run" >&2
