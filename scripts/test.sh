#!/usr/bin/env bash
# Runs every motcua test: installs what is missing, builds the binaries the end-to-end tests start,
# then the whole workspace's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --workspace --bins
cargo test --workspace
