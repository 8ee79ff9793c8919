#!/usr/bin/env bash
# Installs what motcua needs beyond Rust, gcc, Python and git, on Debian. Idempotent: installs only
# what is missing. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and the tests use.
DEB_PACKAGES=(pkg-config)

missing=()
for p in "${DEB_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
