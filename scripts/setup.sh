#!/usr/bin/env bash
# Installs what motcua needs beyond Rust, gcc, Python and git, on Debian. Idempotent: installs only
# what is missing. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and the tests use.
# chromium + chromium-driver: the staff console test in a real headless browser.
# espeak-ng + sox: assets/voice/generate.sh, rerun by the voice test.
# nats-server + postgresql: the centre tests start their own on loopback ports in temporary folders.
DEB_PACKAGES=(pkg-config libasound2-dev libfontconfig-dev fonts-dejavu-core tesseract-ocr tesseract-ocr-vie xvfb xdotool chromium chromium-driver espeak-ng sox nats-server postgresql)

# The demo also takes screenshots of its windows when there is no display.
if [ "${1:-}" = "--demo" ]; then
    DEB_PACKAGES+=(imagemagick)
fi

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

# The ESC/POS printer emulator the printing tests drive (PyPI, Apache-2.0; needs Python >= 3.13).
EMUPOS_VERSION=0.4.0
if [ ! -x .venv-emupos/bin/emupos ] || ! .venv-emupos/bin/pip show emupos 2>/dev/null | grep -q "^Version: $EMUPOS_VERSION$"; then
    py=""
    for c in python3.14 python3.13 "$HOME"/.pyenv/versions/3.1[3-9]*/bin/python3; do
        if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 13))' 2>/dev/null; then
            py="$c"
            break
        fi
    done
    if [ -z "$py" ]; then
        echo "setup: emupos needs Python >= 3.13 and none was found (tried python3.13, pyenv 3.13+)" >&2
        exit 1
    fi
    echo "setup: installing emupos $EMUPOS_VERSION with $py" >&2
    rm -rf .venv-emupos
    "$py" -m venv .venv-emupos
    .venv-emupos/bin/pip install -q --disable-pip-version-check "emupos==$EMUPOS_VERSION"
fi
