#!/usr/bin/env bash
# Installs what rnnstep needs on Debian, only what is missing.
#   scripts/deps.sh build   the C libraries SwiftPM links (libedit, zlib) and pkg-config to find them
#   scripts/deps.sh test    those, tmux for the end-to-end tests, and NumPy for the reference
#                           implementations the tests and the benchmark compare with
# NumPy comes from Debian's own package (python3-numpy): Debian's Python refuses pip installs
# into the system (PEP 668).
set -euo pipefail

purpose="${1:-build}"
packages=(libedit-dev zlib1g-dev pkg-config)
if [ "$purpose" = test ]; then
  packages+=(tmux)
  python3 -c "import numpy" 2>/dev/null || packages+=(python3 python3-numpy)
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "$purpose" = test ] && ! python3 -c "import numpy" 2>/dev/null; then
  # python3 on PATH is not Debian's (a pyenv or venv without NumPy): use Debian's for the scripts.
  if /usr/bin/python3 -c "import numpy" 2>/dev/null; then
    echo "deps: python3 on PATH has no NumPy; the tests use /usr/bin/python3, which has it" >&2
  else
    echo "deps: NumPy is missing and python3-numpy did not provide it" >&2
    exit 1
  fi
fi

command -v swift >/dev/null || { echo "deps: swift is not on PATH (Swift 6.0 or later is needed)" >&2; exit 1; }
