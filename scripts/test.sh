#!/usr/bin/env bash
# Runs every motcua test: installs what is missing, builds the binaries the end-to-end tests start,
# then the whole workspace's tests, then (as root: it runs dpkg -i) the Debian package's install
# test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --workspace --bins
cargo test --workspace
if [ "$(id -u)" -eq 0 ]; then
    ./scripts/package.sh
    ./scripts/test-package.sh
else
    echo "test.sh: the package install test needs root (dpkg -i): sudo ./scripts/package.sh && sudo ./scripts/test-package.sh" >&2
fi
