#!/usr/bin/env bash
# The motcua demo on the demo office config (assets/demo/motcua.toml): a fresh queue database in
# demo-run/, a few citizens take tickets, counters call them, and the queue is shown.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --workspace --bins
BIN=target/debug
CFG=assets/demo/motcua.toml
export MOTCUA_CONFIG="$PWD/$CFG"
rm -rf demo-run && mkdir -p demo-run

echo "== Công dân lấy số tại kiosk"
for args in "--service TP" "--service TP --priority elderly" "--service DD" "--service CT" "--service TP" "--service LD --priority veteran"; do
    # shellcheck disable=SC2086
    "$BIN/kiosk" issue $args
done

echo "== Cán bộ gọi số tại quầy"
for c in 1 3 5 1 2; do
    "$BIN/counter" call --counter "$c"
done
"$BIN/counter" recall --counter 1
"$BIN/counter" start --counter 3

echo "== Hàng đợi"
"$BIN/counter" queue
echo "== Bảng hiển thị"
"$BIN/display-board" state
echo "== Phiếu đã in (máy in ảo): demo-run/tickets/"
ls demo-run/tickets/
