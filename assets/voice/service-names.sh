#!/usr/bin/env bash
# Makes the kiosk's service-name clips (linh_vuc_CODE.wav) for [kiosk] voice_dir with espeak-ng
# and sox (Debian packages espeak-ng, sox), levelled like the shipped clips by
# `display-board voice level`. Recorded voices are better: record each name and level it with
# `display-board voice level RECORDING.wav linh_vuc_CODE.wav` (docs/voice.md).
#   assets/voice/service-names.sh /etc/motcua/voice "TP=Tư pháp - Hộ tịch" "DD=Đất đai"
# DISPLAY_BOARD=path/to/display-board when it is not on the PATH.
set -euo pipefail
out="${1:?usage: service-names.sh OUTDIR CODE=NAME...}"
shift
board=${DISPLAY_BOARD:-display-board}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for pair in "$@"; do
    code="${pair%%=*}"
    name="${pair#*=}"
    espeak-ng -v vi -s 140 -w "$tmp/espeak.wav" "$name"
    sox -D "$tmp/espeak.wav" -r 22050 -c 1 -e floating-point -b 32 "$tmp/raw.wav" \
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
    "$board" voice level "$tmp/raw.wav" "$out/linh_vuc_$code.wav"
    echo "$out/linh_vuc_$code.wav: $name"
done
