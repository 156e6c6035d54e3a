#!/usr/bin/env bash
# Installs what rnnstep needs on Debian, only what is missing: the C libraries SwiftPM links
# (libedit, zlib) with pkg-config to find them, tmux for the end-to-end tests, NumPy for the
# reference implementations the tests and the benchmark compare with.
set -euo pipefail

missing=()
for package in libedit-dev zlib1g-dev pkg-config tmux; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import numpy" 2>/dev/null; then
  echo "deps: installing numpy"
  python3 -m pip install --quiet numpy
fi

command -v swift >/dev/null || { echo "deps: swift is not on PATH (Swift 6.0 or later is needed)" >&2; exit 1; }
