#!/usr/bin/env bash
# Makes the kiosk's service-name clips (linh_vuc_CODE.wav) for [kiosk] voice_dir with espeak-ng
# and sox (Debian packages espeak-ng, sox), in the format of the shipped clips. Recorded voices
# are better: record each name and convert it with the same sox line.
#   assets/voice/service-names.sh /etc/motcua/voice "TP=Tư pháp - Hộ tịch" "DD=Đất đai"
set -euo pipefail
out="${1:?usage: service-names.sh OUTDIR CODE=NAME...}"
shift
mkdir -p "$out"
for pair in "$@"; do
    code="${pair%%=*}"
    name="${pair#*=}"
    espeak-ng -v vi -s 140 -w "/tmp/motcua-sv-$code.wav" "$name"
    sox "/tmp/motcua-sv-$code.wav" -r 22050 -c 1 -b 16 "$out/linh_vuc_$code.wav" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
    rm -f "/tmp/motcua-sv-$code.wav"
    echo "$out/linh_vuc_$code.wav: $name"
done
