#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12: a root made with debootstrap that holds
# only Debian's base system, the Swift toolchain (bind-mounted read-only from this machine) and
# the toolchain's documented dependencies. No NumPy, libedit, tmux or zlib headers are installed
# beforehand: `make run` and `make test` must install what they need themselves.
#
#   sudo scripts/fresh-debian.sh [ROOT]      (ROOT defaults to /tmp/rnnstep-fresh-debian)
#
# Needs root, debootstrap (installed if missing) and Debian's package mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-/tmp/rnnstep-fresh-debian}
swift=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")  # e.g. /opt/swift
command -v debootstrap >/dev/null || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }

if [ ! -x "$root/usr/bin/apt-get" ]; then
  echo "fresh-debian: debootstrap bookworm into $root"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
fi
mounts=()
cleanup() { for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done; }
trap cleanup EXIT
bind() {  # bind SOURCE TARGET [ro]
  mkdir -p "$2"
  mount --bind "$1" "$2"
  mounts=("$2" "${mounts[@]}")
  [ "${3:-}" = ro ] && mount -o remount,bind,ro "$2"
  return 0
}
bind /proc "$root/proc"
bind /dev "$root/dev"
bind /dev/pts "$root/dev/pts"  # the end-to-end tests open terminals under tmux
bind "$swift" "$root/opt/swift" ro
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The dependencies swift.org lists for the Debian 12 toolchain, and make and git to drive it.
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive bash -c '
  apt-get update -qq &&
  apt-get install -y -qq --no-install-recommends binutils-gold ca-certificates gcc git gnupg2 libc6-dev \
    libcurl4-openssl-dev libedit2 libgcc-12-dev libncurses-dev libpython3-dev libsqlite3-0 \
    libstdc++-12-dev libxml2-dev libz3-dev pkg-config tzdata unzip make >/dev/null'

# A clean checkout of the current commit, as CI makes one.
rm -rf "$root/work/rnnstep"
mkdir -p "$root/work"
git clone -q . "$root/work/rnnstep"
# Start without what make must install: remove it if an earlier run of this script left it.
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq libedit-dev tmux python3-numpy \
  >/dev/null 2>&1 || true
echo "fresh-debian: installed before make: $(chroot "$root" dpkg-query -W -f='${Package}:${Status} ' \
  libedit-dev tmux python3-numpy 2>/dev/null | grep -o '[a-z0-9-]*:install ok installed' || echo none of libedit-dev tmux python3-numpy)"

chroot "$root" /usr/bin/env -i HOME=/root PATH=/opt/swift/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb bash -c '
  set -e
  cd /work/rnnstep
  echo "fresh-debian: make run (its REPL reads a command from a pipe and leaves)"
  echo "print 1 + 1" | make run 2>&1 | tail -3
  python3 -c "import numpy" 2>/dev/null && echo "fresh-debian: make run installed NumPy (it should not)" || echo "fresh-debian: make run needed no NumPy"
  echo "fresh-debian: make test"
  CI=true make test > /tmp/make-test.log 2>&1 || { echo "fresh-debian: make test FAILED"; tail -30 /tmp/make-test.log; exit 1; }
  grep -E "Test run with|all match|^scripts: [0-9]+ passed|^e2e: [0-9]+ passed" /tmp/make-test.log
  python3 -c "import numpy; print(\"fresh-debian: NumPy\", numpy.__version__, \"from\", numpy.__file__)"
'
echo "fresh-debian: done"
