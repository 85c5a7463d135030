#!/usr/bin/env bash
# Installs the Debian packages mlpbench needs, only those missing; safe to run again.
# As root it runs apt-get itself; otherwise it prints the exact command to run and fails.
set -euo pipefail

packages=(
  gcc g++ cmake make pkg-config git             # the build
  libhwloc-dev hwloc                            # topology and thread pinning
  libbenchmark-dev libbenchmark-tools           # Google Benchmark and its compare.py,
  python3-scipy                                 # which needs SciPy
  zlib1g-dev dataset-fashion-mnist              # the IDX loader and the default data set
  libopenblas-dev libsleef-dev                  # reference variants (openblas, sleef)
  gnuplot-nox                                   # charts
  python3-numpy                                 # the seed's NumPy code, timed for comparison
  clang libclang-rt-14-dev                      # libFuzzer for scripts/fuzz.sh
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages; as root run: $cmd" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}" >&2
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
