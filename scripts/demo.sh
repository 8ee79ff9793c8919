#!/usr/bin/env bash
# The motcua demo on the demo office config (assets/demo/motcua.toml): a fresh queue in demo-run/,
# tickets printed by the virtual printer into demo-run/tickets/, the staff console (counter serve)
# on http://127.0.0.1:8080 with demo accounts, then the kiosk touchscreen and the board in windows. On a desktop the window stays open until Ctrl+C; without a display it runs on a virtual
# X server (Xvfb), and the demo saves screenshots into demo-run/ and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --demo
cargo build --workspace --bins
BIN=$PWD/target/debug
export MOTCUA_CONFIG="$PWD/assets/demo/motcua.toml"
rm -rf demo-run && mkdir -p demo-run

echo "== Công dân lấy số (kiosk issue)"
for args in "--service TP" "--service TP --priority elderly" "--service DD" "--service CT" "--service TP" "--service LD --priority veteran"; do
    # shellcheck disable=SC2086
    "$BIN/kiosk" issue $args
done

echo "== Cán bộ gọi số tại quầy (counter call)"
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

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

echo "== Bàn làm việc của cán bộ (counter serve)"
printf '246810\n' | "$BIN/counter" user add --login lan >/dev/null
printf '135790\n' | "$BIN/counter" user add --login giamsat --role supervisor >/dev/null
LISTEN=${MOTCUA_DEMO_LISTEN:-127.0.0.1:8080}
"$BIN/counter" serve --listen "$LISTEN" >demo-run/serve.out 2>demo-run/serve.log &
pids+=($!)
until grep -q "listening on" demo-run/serve.out; do
    kill -0 "${pids[-1]}" 2>/dev/null || { cat demo-run/serve.log >&2; echo "counter serve did not start (is $LISTEN in use? set MOTCUA_DEMO_LISTEN)" >&2; exit 1; }
    sleep 0.1
done
URL=$(sed -n 's/^listening on //p' demo-run/serve.out)
echo "Staff console: $URL  (officer: lan / PIN 246810, pick a counter; supervisor: giamsat / PIN 135790, \"Giám sát\")"

headless=0
if [ -z "${DISPLAY:-}" ]; then
    headless=1
    n=$((150 + RANDOM % 100))
    Xvfb ":$n" -screen 0 1920x1080x24 -nolisten tcp -noreset >/dev/null 2>&1 &
    pids+=($!)
    export DISPLAY=":$n"
    until xdotool getmouselocation >/dev/null 2>&1; do sleep 0.1; done
fi

echo "== Kiosk (màn hình cảm ứng) và bảng hiển thị"
"$BIN/kiosk" --windowed 2>demo-run/kiosk.log &
pids+=($!)
xdotool search --sync --onlyvisible --name "motcua kiosk" >/dev/null
if [ "$headless" = 1 ]; then
    sleep 1   # let the first refresh (waiting counts) reach the screen before the picture
    import -window root demo-run/kiosk-home.png
    # Inside the first service button with or without the clock banner above the grid.
    xdotool mousemove 480 360 click 1
    until ls demo-run/tickets/*-TP-1004-* >/dev/null 2>&1; do sleep 0.1; done
    sleep 0.5
    import -window root demo-run/kiosk-done.png
fi

"$BIN/display-board" --windowed 2>demo-run/board.log &
pids+=($!)
xdotool search --sync --onlyvisible --name "motcua board" >/dev/null
"$BIN/display-board" announce --number 1004 --counter 1 --out demo-run/announce-1004.wav

if [ "$headless" = 1 ]; then
    "$BIN/counter" call --counter 1 >/dev/null
    sleep 1
    import -window root demo-run/board-window.png
    "$BIN/display-board" snapshot --out demo-run/board.png
    if command -v chromium >/dev/null; then
        chromium --headless --no-sandbox --disable-gpu --disable-background-networking --no-first-run \
            --window-size=1280,800 --screenshot="$PWD/demo-run/console-login.png" "$URL/login" >/dev/null 2>&1 || true
    fi
    echo "No display here: the windows ran on a virtual screen (Xvfb)."
    echo "  kiosk: demo-run/kiosk-home.png, demo-run/kiosk-done.png; its ticket: $(ls demo-run/tickets/*-TP-1004-*.png)"
    echo "  board: demo-run/board-window.png (the window after a call), demo-run/board.png (snapshot); voice: demo-run/announce-1004.wav"
    echo "  staff console sign-in page: demo-run/console-login.png"
else
    echo "The kiosk and the board are open. Open $URL in a browser (lan / 2468) to call numbers,"
    echo "or call from the shell: MOTCUA_CONFIG=$MOTCUA_CONFIG $BIN/counter call --counter 1"
    echo "Tickets appear in demo-run/tickets/. Ctrl+C stops the demo."
    wait
fi
