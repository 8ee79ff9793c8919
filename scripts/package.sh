#!/usr/bin/env bash
# Builds the Debian package target/debian/motcua_VERSION-1_ARCH.deb: every binary in the release
# profile (stripped by cargo-deb), the config template, the systemd units, the docs.
# Installs cargo-deb first when missing. `--arch arm64` cross-builds for an arm64 office box
# where the machine has the target and a linker (see docs/install.md).
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_DEB_VERSION=3.8.0
if ! cargo deb --version 2>/dev/null | grep -q "$CARGO_DEB_VERSION"; then
    echo "package: installing cargo-deb $CARGO_DEB_VERSION" >&2
    cargo install --quiet --locked --no-default-features --version "$CARGO_DEB_VERSION" cargo-deb
fi
target=()
if [ "${1:-}" = "--arch" ]; then
    case "${2:-}" in
        arm64) target=(--target aarch64-unknown-linux-gnu) ;;
        amd64) ;;
        *) echo "package: --arch amd64 or arm64" >&2; exit 2 ;;
    esac
fi
cargo build --release --workspace --bins "${target[@]}"
cargo deb -p counter --no-build --strip "${target[@]}" --output target/debian/
ls -1 target/debian/*.deb
