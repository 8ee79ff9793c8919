#!/usr/bin/env bash
# Idle CPU and memory of the real board window (release build) on a virtual X screen, with the demo
# config: starts Xvfb, runs `display-board --windowed --mute`, waits 3 s, then samples 20 s.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p display-board >/dev/null 2>&1
export MOTCUA_CONFIG="$PWD/assets/demo/motcua.toml"
mkdir -p demo-run
n=$((300 + RANDOM % 100))
Xvfb ":$n" -screen 0 1920x1080x24 -nolisten tcp -noreset >/dev/null 2>&1 &
xpid=$!
trap 'kill $bpid $xpid 2>/dev/null || true' EXIT
export DISPLAY=":$n"
until xdotool getmouselocation >/dev/null 2>&1; do sleep 0.1; done
target/release/display-board --windowed --mute 2>/dev/null &
bpid=$!
sleep 3
ticks() { awk '{print $14 + $15}' "/proc/$bpid/stat"; }
t0=$(ticks)
sleep 20
t1=$(ticks)
hz=$(getconf CLK_TCK)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$bpid/status")
echo "board idle CPU over 20 s: $(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz / 20 * 100}') % of one core"
echo "board RSS: $(awk -v r="$rss" 'BEGIN {printf "%.1f", r / 1024}') MiB"
